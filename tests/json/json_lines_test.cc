#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "json/json_lines.h"

using namespace oep;

namespace {

std::vector<std::pair<int64_t, std::string>> Lines(std::string_view text) {
  std::vector<std::pair<int64_t, std::string>> out;
  Status s = json::ForEachLine(text, [&](std::string_view line, int64_t n) {
    out.emplace_back(n, std::string(line));
    return Status::Ok();
  });
  REQUIRE(s.ok());
  return out;
}

}  // namespace

TEST_CASE("JSON Lines are numbered from 1, blank lines skipped, the last line without a break kept", "[json]") {
  using L = std::vector<std::pair<int64_t, std::string>>;
  CHECK(Lines("{\"a\":1}\n\n  \t\r\n{\"b\":2}\r\n[3]") == L{{1, "{\"a\":1}"}, {4, "{\"b\":2}\r"}, {5, "[3]"}});
  CHECK(Lines("").empty());
  CHECK(Lines("\n\n").empty());
  CHECK(Lines("1\n") == L{{1, "1"}});
}

TEST_CASE("JSON Lines stop at the first error the visitor returns", "[json]") {
  int seen = 0;
  Status s = json::ForEachLine("1\n2\n3\n", [&](std::string_view line, int64_t n) {
    ++seen;
    return line == "2" ? Status::InvalidArgument("line " + std::to_string(n) + ": bad") : Status::Ok();
  });
  CHECK(seen == 2);
  CHECK(s.message() == "line 2: bad");
}
