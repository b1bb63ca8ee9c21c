// `oep import opa-decision-log` on decompression bombs: refused while streaming, exit 2, the
// store unchanged (bench/decision_log_bomb_bench prints the time and peak RSS).
#include <filesystem>

#include <catch2/catch.hpp>

#include "support/gzip_maker.h"
#include "support/support.h"

using namespace oep::test;

namespace {

void ImportRefused(const std::string& log, const std::string& expected) {
  ScratchDir dir;
  std::string store = dir / "s.sqlite";
  MakeDemoStore(store);
  std::string before = FileSha256(store);
  RunResult r = RunOep({"import", "opa-decision-log", log, "--state-path", store, "--manifest", "rmf_oep_code_review_demo_v0"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains(log) && Catch::Contains(expected));
  CHECK(FileSha256(store) == before);
  std::string fresh = dir / "fresh.sqlite";
  r = RunOep({"import", "opa-decision-log", log, "--state-path", fresh, "--manifest", "rmf_oep_code_review_demo_v0"});
  CHECK(r.exit_code == 2);
  CHECK_FALSE(std::filesystem::exists(fresh));
}

}  // namespace

TEST_CASE("a gzip bomb of one endless line is refused at the 8 MiB record limit", "[import][opa-decision-log][bad-input]") {
  ScratchDir dir;
  WriteText(dir / "bomb.jsonl.gz", GzipRepeated(std::string(1 << 20, ' '), 1024));  // 1 GiB of spaces in ~1 MB
  ImportRefused(dir / "bomb.jsonl.gz", "line 1 is longer than 8 MiB (the limit on one record)");
}

TEST_CASE("a gzip bomb inside a JSON array is refused at the 8 MiB record limit", "[import][opa-decision-log][bad-input]") {
  ScratchDir dir;
  WriteText(dir / "bomb.json.gz", GzipMember("[{\"decision_id\": \"") + GzipRepeated(std::string(1 << 20, 'a'), 1024));
  ImportRefused(dir / "bomb.json.gz", "array element /0 is longer than 8 MiB");
}
