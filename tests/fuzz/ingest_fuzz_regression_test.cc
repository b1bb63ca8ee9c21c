// Every input the fuzzers ever crashed on (tests/fuzz/regressions/) replayed through the
// ingest and decision-log entry points in every build (the Rego ones: tests/rego/).
#include <filesystem>

#include <catch2/catch.hpp>

#include "fuzz/fuzz_targets.h"
#include "support/support.h"

using namespace oep::test;

TEST_CASE("fuzzer regression inputs ingest and import as decision logs without crashing", "[ingest][fuzz]") {
  std::string dir = RepoRoot() + "/tests/fuzz/regressions";
  size_t n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    INFO(entry.path().string());
    std::string bytes = ReadText(entry.path().string());
    oep::fuzz::JsonIngest(bytes);
    oep::fuzz::DecisionLogParse(bytes);
    ++n;
  }
  CHECK(n > 0);
}
