#include <catch2/catch.hpp>

#include "util/time_syntax.h"

using namespace oep;

namespace {
constexpr int64_t kNow = 1793524507;  // 2026-11-01T09:15:07Z
std::string Bound(const std::string& text) {
  auto r = ParseTimeBound("--since", text, kNow);
  REQUIRE(r.ok());
  return *r;
}
}  // namespace

TEST_CASE("RFC 3339 times and dates become UTC bounds", "[time_syntax]") {
  CHECK(FormatUtcSeconds(kNow) == "2026-11-01T09:15:07Z");
  CHECK(Bound("2026-11-01T09:15:07Z") == "2026-11-01T09:15:07Z");
  CHECK(Bound("2026-11-01T11:15:07+02:00") == "2026-11-01T09:15:07Z");
  CHECK(Bound("2026-11-01T09:15:07.250Z") == "2026-11-01T09:15:07.25Z");
  CHECK(Bound("2026-11-01") == "2026-11-01T00:00:00Z");
}

TEST_CASE("durations count back from now", "[time_syntax]") {
  CHECK(Bound("90s") == "2026-11-01T09:13:37Z");
  CHECK(Bound("30m") == "2026-11-01T08:45:07Z");
  CHECK(Bound("24h") == "2026-10-31T09:15:07Z");
  CHECK(Bound("7d") == "2026-10-25T09:15:07Z");
  CHECK(Bound("2w") == "2026-10-18T09:15:07Z");
}

TEST_CASE("anything else is a clear error naming the flag and the accepted forms", "[time_syntax]") {
  for (const char* bad : {"yesterday", "", "7", "d", "7y", "-7d", "2026-11-01T09:15:07", "2026-11-01T09:15:07Zjunk",
                          "2026-13-01", "1e9s", "99999999999999d"}) {
    INFO(bad);
    auto r = ParseTimeBound("--since", bad, kNow);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().exit_code() == 2);
    CHECK_THAT(r.status().message(), Catch::StartsWith(std::string("--since ") + bad + ": expected an RFC 3339 time") &&
                                         Catch::Contains("24h"));
  }
  auto r = ParseTimeBound("--until", "now\x1b[2J", kNow);
  CHECK_THAT(r.status().message(), Catch::StartsWith("--until now\\x1b[2J: "));
}
