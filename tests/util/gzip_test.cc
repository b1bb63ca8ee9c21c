// ReadBoundedText: gzip streams decompressed in chunks, refused as soon as a record or the
// whole text passes its limit.
#include <catch2/catch.hpp>

#include "support/gzip_maker.h"
#include "support/support.h"
#include "util/gzip.h"

using namespace oep::test;
using oep::InputLimits;
using oep::ReadBoundedText;

namespace {

std::string ReadError(const std::string& path, InputLimits limits) {
  auto text = ReadBoundedText(path, limits);
  return text.ok() ? "<read " + std::to_string(text->size()) + " bytes>" : text.status().message();
}

}  // namespace

TEST_CASE("plain and multi-member gzip text read back whole", "[gzip]") {
  ScratchDir dir;
  std::string text = "{\"a\": 1}\n{\"b\": [1, 2]}\n";
  WriteText(dir / "plain.jsonl", text);
  WriteText(dir / "z.jsonl.gz", GzipMember(text) + GzipMember("{}\n"));
  WriteText(dir / "one.json", "x");
  CHECK(ReadBoundedText(dir / "plain.jsonl", {}).value() == text);
  CHECK(ReadBoundedText(dir / "z.jsonl.gz", {}).value() == text + "{}\n");
  CHECK(ReadBoundedText(dir / "one.json", {}).value() == "x");
  WriteText(dir / "big.gz", GzipRepeated(std::string(1000, 'a') + "\n", 3000));  // 3 MB through many chunks
  CHECK(ReadBoundedText(dir / "big.gz", {}).value().size() == 3003000);
}

TEST_CASE("a line longer than the record limit is refused when the stream reaches it", "[gzip][bad-input]") {
  ScratchDir dir;
  WriteText(dir / "bomb.gz", GzipRepeated(std::string(1 << 20, ' '), 64));  // 64 MiB without a line break
  CHECK(ReadError(dir / "bomb.gz", {size_t{1} << 30, size_t{1} << 20}) ==
        dir / "bomb.gz" + ": line 1 is longer than 1 MiB (the limit on one record); refused at byte 1048577");
  WriteText(dir / "lines.jsonl", "{}\n{}\n" + std::string(2000, 'x') + "\n");
  CHECK_THAT(ReadError(dir / "lines.jsonl", {100000, 1000}), Catch::Contains("line 3 is longer than 1000 bytes"));
}

TEST_CASE("an element of a top-level array longer than the record limit is refused", "[gzip][bad-input]") {
  ScratchDir dir;
  // Commas and brackets inside strings or nested values do not end an element.
  std::string first = "{\"s\": \"" + std::string(300, ',') + "]\", \"n\": [1, 2]}";
  WriteText(dir / "a.json", " [" + first + ", " + first + ", {\"x\": \"" + std::string(600, 'y') + "\"}]");
  CHECK_THAT(ReadError(dir / "a.json", {100000, 400}), Catch::Contains("array element /2 is longer than 400 bytes"));
  CHECK_THAT(ReadError(dir / "a.json", {100000, 700}), Catch::StartsWith("<read"));
  WriteText(dir / "spaces.json.gz", GzipMember("[") + GzipRepeated(std::string(1 << 20, ' '), 16));
  CHECK_THAT(ReadError(dir / "spaces.json.gz", {size_t{1} << 30, size_t{8} << 20}),
             Catch::Contains("array element /0 is longer than 8 MiB"));
}

TEST_CASE("a text longer than the total limit is refused", "[gzip][bad-input]") {
  ScratchDir dir;
  WriteText(dir / "many.jsonl.gz", GzipRepeated("{\"msg\": \"x\"}\n", 100000));  // 1.3 MB of short lines
  CHECK(ReadError(dir / "many.jsonl.gz", {size_t{1} << 20, size_t{8} << 20}) ==
        dir / "many.jsonl.gz" + ": text is longer than 1 MiB (the limit on a whole input); refused before reading further");
  WriteText(dir / "plain.jsonl", std::string(5000, '\n'));
  CHECK_THAT(ReadError(dir / "plain.jsonl", {4096, 100}), Catch::Contains("longer than 4096 bytes"));
}

TEST_CASE("a corrupt or truncated gzip stream is refused", "[gzip][bad-input]") {
  ScratchDir dir;
  std::string member = GzipMember("{\"a\": 1}\n");
  WriteText(dir / "cut.gz", member.substr(0, member.size() - 5));
  CHECK_THAT(ReadError(dir / "cut.gz", {}), Catch::Contains("not a complete gzip stream"));
  WriteText(dir / "junk.gz", member + "junk");
  CHECK_THAT(ReadError(dir / "junk.gz", {}), Catch::Contains("not a complete gzip stream"));
}
