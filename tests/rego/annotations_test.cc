// `oep rego inspect -a`: the METADATA annotations of a policy as `opa inspect` lists them.
#include <catch2/catch.hpp>

#include "support/support.h"

using namespace oep::test;

TEST_CASE("rego inspect -a lists the package and rule annotations with their paths", "[rego][annotations][cli]") {
  ScratchDir dir;
  WriteText(dir / "t.rego", "# METADATA\n# title: Pkg\npackage t\n\n# METADATA\n# title: Rule\n# custom:\n#   id: X-1\nr := 1\n");
  RunResult r = RunOep({"rego", "inspect", "-a", "--format", "json", dir.path()});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("\"annotations\":{\"scope\":\"package\",\"title\":\"Pkg\"}") &&
                        Catch::Contains("\"annotations\":{\"custom\":{\"id\":\"X-1\"},\"scope\":\"rule\",\"title\":\"Rule\"}") &&
                        Catch::Contains("{\"type\":\"string\",\"value\":\"r\"}") && Catch::Contains("\"namespaces\":{\"data.t\":["));
  RunResult plain = RunOep({"rego", "inspect", dir.path()});
  CHECK(plain.exit_code == 0);
  CHECK_THAT(plain.out, !Catch::Contains("\"annotations\""));
}

TEST_CASE("rego inspect refuses a METADATA block that is not YAML, naming file and line", "[rego][annotations][bad-input]") {
  ScratchDir dir;
  WriteText(dir / "t.rego", "package t\n\n# METADATA\n# title: [unclosed\nr := 1\n");
  RunResult r = RunOep({"rego", "inspect", "-a", dir.path()});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("t.rego:3: rego_parse_error: invalid METADATA block"));
}
