// OPA's conformance cases through the real CLI, against a committed floor that only moves up.
#include <fstream>

#include <catch2/catch.hpp>

#include "support/support.h"

using namespace oep::test;

TEST_CASE("OPA conformance cases pass at or above the committed floor", "[rego][corpus]") {
  std::string dir = CorpusDir("opa-compliance/v1");
  if (dir.empty()) {
    WARN("skipped: ../shared/corpus/opa-compliance is absent");
    return;
  }
  std::ifstream floor_file(RepoRoot() + "/tests/rego/conformance_floor.txt");
  int floor = 0;
  floor_file >> floor;
  REQUIRE(floor > 0);
  RunResult r = RunOep({"rego", "conformance", dir, "--floor", std::to_string(floor), "--max-failures", "0"});
  INFO(r.out.substr(r.out.size() > 2000 ? r.out.size() - 2000 : 0) << r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains(" passed, "));
}
