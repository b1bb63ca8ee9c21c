#include <filesystem>

#include <catch2/catch.hpp>

#include "store/store.h"
#include "support/support.h"
#include "verify/verify.h"

using namespace oep::test;

TEST_CASE("verify regenerates the demo and every check passes", "[verify]") {
  RunResult r = RunOep({"verify"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  for (const char* check : {"ok   examples", "ok   joins", "ok   derived columns", "ok   manifest digests", "ok   replay",
                            "ok   deterministic"}) {
    CHECK_THAT(r.out, Catch::Contains(check));
  }
  CHECK_THAT(r.out, !Catch::Contains("FAIL"));
}

TEST_CASE("verify names a broken join", "[verify]") {
  ScratchDir dir;
  std::string store = dir / "s.sqlite";
  MakeDemoStore(store);
  TamperSql(store, "DELETE FROM events WHERE event_id = 'evt_oep_demo_write_file_0002'");
  RunResult r = RunOep({"verify", "--state-path", store});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Catch::Contains("FAIL joins") && Catch::Contains("decision pder_oep_demo_write_file_0002: event"));
}

TEST_CASE("verify names the broken chain on the ledger line", "[verify][tamper]") {
  ScratchDir dir;
  std::string store = dir / "s.sqlite";
  MakeDemoStore(store);
  // The store chain breaks; the run chain, listed first, is intact.
  TamperSql(store, "UPDATE manifests SET body = replace(body, 'canary', 'stable')");
  RunResult r = RunOep({"verify", "--state-path", store});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Catch::Contains("FAIL ledger: chain store: entry 1: content hash of manifests/"));
  CHECK_THAT(r.out, !Catch::Contains("FAIL ledger: ok"));
}

TEST_CASE("verify finds a join-key column edited without its body", "[verify][tamper]") {
  ScratchDir dir;
  std::string store = dir / "s.sqlite";
  MakeDemoStore(store);
  CHECK(RunOep({"verify", "--state-path", store}).exit_code == 0);
  // The body (and so the ledger) is intact; only the column impact --tool filters on changes.
  TamperSql(store, "UPDATE decisions SET tool_name = 'read_diff' WHERE decision_id = 'pder_oep_demo_write_file_0002'");
  RunResult r = RunOep({"verify", "--state-path", store});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Catch::Contains("FAIL derived columns") && Catch::Contains("decisions/pder_oep_demo_write_file_0002"));
  std::string flipped = dir / "flipped.sqlite";
  MakeDemoStore(flipped);
  TamperSql(flipped, "UPDATE decisions SET allow = 1 WHERE decision_id = 'pder_oep_demo_write_file_0002'");
  CHECK_THAT(RunOep({"verify", "--state-path", flipped}).out, Catch::Contains("FAIL derived columns"));
}

TEST_CASE("verify names a manifest digest that does not match its file", "[verify]") {
  ScratchDir dir;
  std::filesystem::copy(RepoRoot(), dir / "repo", std::filesystem::copy_options::recursive);
  std::filesystem::remove_all(dir / "repo/build");
  WriteText(dir / "repo/demo/prompts/code_review.md", "an edited prompt\n");
  std::string store = dir / "s.sqlite";
  MakeDemoStore(store);
  RunResult r = RunOep({"verify", "--state-path", store}, {"OEP_HOME=" + dir / "repo"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Catch::Contains("FAIL manifest digests") && Catch::Contains("layer prompt (demo/prompts/code_review.md)"));
}

TEST_CASE("verify flags a packet decided under another policy than the manifest's", "[verify]") {
  ScratchDir dir;
  std::string store = dir / "s.sqlite";
  MakeDemoStore(store);
  TamperSql(store, "UPDATE decisions SET body = replace(body, '\"policy_bundle_version\":\"sha256:a', "
                 "'\"policy_bundle_version\":\"sha256:b') WHERE decision_id = 'pder_oep_demo_read_diff_0001'");
  RunResult r = RunOep({"verify", "--state-path", store});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Catch::Contains("is not the manifest's policy"));
}

TEST_CASE("canonical dump digest is independent of ingest order", "[verify]") {
  ScratchDir dir;
  std::string root = RepoRoot();
  std::string a = dir / "a.sqlite", b = dir / "b.sqlite";
  REQUIRE(RunOep({"ingest", "--state-path", a, root + "/manifest/examples", root + "/events/examples"}).exit_code == 0);
  REQUIRE(RunOep({"ingest", "--state-path", b, root + "/manifest/examples"}).exit_code == 0);
  REQUIRE(RunOep({"ingest", "--state-path", b, root + "/events/examples"}).exit_code == 0);
  CHECK(RunOep({"dump", "--digest", "--state-path", a}).out == RunOep({"dump", "--digest", "--state-path", b}).out);
}
