// --tenant on the CLI's evidence verbs: what is ingested for a tenant is read back only
// under it; an unknown tenant is refused with the store unchanged.
#include <catch2/catch.hpp>

#include "support/support.h"

using namespace oep::test;

namespace {
const std::string kDenied = "pder_oep_demo_write_file_0002";
}  // namespace

TEST_CASE("CLI verbs read and write the evidence of the --tenant given, and only it", "[cli][tenant]") {
  ScratchDir dir;
  std::string db = dir / "s.sqlite";
  REQUIRE(RunOep({"tenant", "create", "acme", "--state-path", db}).exit_code == 0);
  RunResult in = RunOep({"ingest", "--tenant", "acme", "--state-path", db, RepoRoot() + "/manifest/examples",
                         RepoRoot() + "/events/examples", RepoRoot() + "/permissions/examples"});
  INFO(in.err);
  REQUIRE(in.exit_code == 0);

  RunResult acme = RunOep({"decisions", "--tenant", "acme", "--state-path", db});
  CHECK_THAT(acme.out, Catch::Contains(kDenied));
  RunResult other = RunOep({"decisions", "--state-path", db});
  CHECK(other.exit_code == 0);
  CHECK_THAT(other.out, !Catch::Contains(kDenied));

  CHECK(RunOep({"replay", kDenied, "--tenant", "acme", "--state-path", db, "--field", "decision.allow"}).out == "false\n");
  RunResult hidden = RunOep({"replay", kDenied, "--state-path", db});
  CHECK(hidden.exit_code != 0);
  RunResult impact = RunOep({"impact", "--tenant", "acme", "--state-path", db, "--policy-bundle",
                             RepoRoot() + "/permissions/policy/tool_permissions.rego", "--json"});
  INFO(impact.err);
  CHECK(impact.exit_code == 0);
  CHECK_THAT(impact.out, Catch::Contains("\"total\":2"));
}

TEST_CASE("an unknown --tenant is refused with the store unchanged", "[cli][tenant][bad-input]") {
  ScratchDir dir;
  std::string db = dir / "s.sqlite";
  MakeDemoStore(db);
  std::string before = FileSha256(db);
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"decisions", "--tenant", "nope", "--state-path", db},
           {"ingest", "--tenant", "nope", "--state-path", db, RepoRoot() + "/manifest/examples"},
           {"replay", kDenied, "--tenant", "nope", "--state-path", db}}) {
    RunResult r = RunOep(args);
    INFO(args[0] << ": " << r.err);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("--tenant nope: no such tenant") && Catch::Contains("oep tenant create nope"));
    CHECK(FileSha256(db) == before);
  }
}
