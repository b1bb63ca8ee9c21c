// Every input the fuzzers ever crashed on (tests/fuzz/regressions/) is replayed through every
// fuzz entry point (Rego, documents, JSON ingest, decision logs) in every build, under the
// sanitizers in `make asan`.
#include <filesystem>

#include <catch2/catch.hpp>

#include "fuzz/fuzz_targets.h"
#include "support/support.h"

using namespace oep::test;

TEST_CASE("fuzzer regression inputs parse and evaluate without crashing", "[rego][fuzz]") {
  std::string dir = RepoRoot() + "/tests/fuzz/regressions";
  size_t n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    INFO(entry.path().string());
    std::string bytes = ReadText(entry.path().string());
    oep::fuzz::RegoParse(bytes);
    oep::fuzz::RegoEval(bytes);
    oep::fuzz::DocumentParse(bytes);
    oep::fuzz::JsonIngest(bytes);
    oep::fuzz::DecisionLogParse(bytes);
    ++n;
  }
  CHECK(n > 0);
}
