#include <filesystem>

#include <catch2/catch.hpp>

#include "json/json.h"
#include "store/store.h"
#include "support/support.h"

using namespace oep::test;

namespace {

std::string Policy(const char* name) { return RepoRoot() + "/permissions/policy/counterfactual/" + name; }

// The run id printed by `oep impact --save`.
std::string SavedRunId(const std::string& out) {
  auto at = out.find("counterfactual run cfr_");
  REQUIRE(at != std::string::npos);
  return out.substr(at + 19, 24);
}

}  // namespace

TEST_CASE("impact --save stores the report as a ledgered run that list and show read back", "[impact][runs]") {
  ScratchDir dir;
  std::string store = dir / "s.sqlite";
  MakeDemoStore(store);
  RunResult empty = RunOep({"impact", "list", "--state-path", store});
  REQUIRE(empty.exit_code == 0);
  CHECK_THAT(empty.out, Catch::Contains("no saved counterfactual runs"));

  RunResult report = RunOep({"impact", "--state-path", store, "--policy-bundle", Policy("budget_per_run_cap.rego"),
                             "--json"});
  REQUIRE(report.exit_code == 0);
  RunResult saved = RunOep({"impact", "--state-path", store, "--policy-bundle", Policy("budget_per_run_cap.rego"),
                            "--tool", "read_diff", "--save", "--label", "budget cap, reads only"});
  INFO(saved.err);
  REQUIRE(saved.exit_code == 0);
  std::string run_id = SavedRunId(saved.out);
  CHECK(run_id.rfind("cfr_", 0) == 0);

  RunResult list = RunOep({"impact", "list", "--state-path", store});
  REQUIRE(list.exit_code == 0);
  CHECK_THAT(list.out, Catch::Contains(run_id) && Catch::Contains("budget_per_run_cap.rego") &&
                           Catch::Contains("budget cap, reads only"));

  RunResult show = RunOep({"impact", "show", run_id, "--state-path", store, "--json"});
  REQUIRE(show.exit_code == 0);
  auto doc = oep::json::Parse(show.out);
  REQUIRE(doc.ok());
  auto at = [&](const char* p) { return oep::json::CanonicalText(*oep::json::FindDotted(*doc, p)); };
  CHECK(at("run_id") == "\"" + run_id + "\"");
  CHECK(at("report.counts.total") == "1");
  CHECK(at("report.counts.allow_to_deny") == "1");
  CHECK(at("report.filter") == "{\"tool\":\"read_diff\"}");
  CHECK(at("report.examples.allow->deny") == "[\"pder_oep_demo_read_diff_0001\"]");
  RunResult human = RunOep({"impact", "show", run_id, "--state-path", store});
  CHECK_THAT(human.out, Catch::Contains("Counterfactual run " + run_id) && Catch::Contains("scope                 tool read_diff") &&
                            Catch::Contains("    allow -> deny                                1\n"));

  // The run is evidence: covered by the ledger, and editing it is detected.
  RunResult chain = RunOep({"verify", "--chain", "--state-path", store});
  INFO(chain.out);
  CHECK(chain.exit_code == 0);
  CHECK_THAT(chain.out, Catch::Contains("each covered by one ledger entry"));
  std::string copy = dir / "tampered.sqlite";
  REQUIRE(std::filesystem::copy_file(store, copy));
  TamperSql(copy, "UPDATE counterfactual_runs SET body = replace(body, '\"allow_to_deny\":1', '\"allow_to_deny\":0')");
  RunResult tampered = RunOep({"verify", "--chain", "--state-path", copy});
  CHECK(tampered.exit_code == 1);
  CHECK_THAT(tampered.out, Catch::Contains("counterfactual_runs") && Catch::Contains(run_id));
}

TEST_CASE("impact show names the closest runs for an unknown id", "[impact][runs][bad-input]") {
  ScratchDir dir;
  std::string store = dir / "s.sqlite";
  MakeDemoStore(store);
  RunResult saved = RunOep({"impact", "--state-path", store, "--policy-bundle", Policy("workflow_step_bound.rego"), "--save"});
  REQUIRE(saved.exit_code == 0);
  std::string run_id = SavedRunId(saved.out);
  std::string before = FileSha256(store);
  RunResult r = RunOep({"impact", "show", run_id.substr(0, 20), "--state-path", store});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("no counterfactual run") && Catch::Contains(run_id));
  CHECK(FileSha256(store) == before);
}

TEST_CASE("a failed impact --save leaves the store as it was", "[impact][runs][bad-input]") {
  ScratchDir dir;
  std::string store = dir / "s.sqlite";
  MakeDemoStore(store);
  std::string before = FileSha256(store);
  WriteText(dir / "broken.rego", "package oep.permissions\ndecision := {\n");
  RunResult r = RunOep({"impact", "--state-path", store, "--policy-bundle", dir / "broken.rego", "--save"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("broken.rego"));
  RunResult label = RunOep({"impact", "--state-path", store, "--policy-bundle", Policy("budget_per_run_cap.rego"),
                            "--label", "x"});
  CHECK(label.exit_code == 2);
  CHECK_THAT(label.err, Catch::Contains("--save"));
  RunResult none = RunOep({"impact", "--state-path", store});
  CHECK(none.exit_code == 2);
  CHECK_THAT(none.err, Catch::Contains("--policy-bundle"));
  CHECK(FileSha256(store) == before);
}

TEST_CASE("a format-1 store is read as is and migrated when a run is saved", "[impact][runs][store]") {
  ScratchDir dir;
  std::string store = dir / "s.sqlite";
  MakeDemoStore(store);
  // Format 1 had no counterfactual_runs table (nor the approval tables of format 4, the violations of 5,
  // the webhook tables of 6).
  ExecSql(store, "DROP TABLE counterfactual_runs; DROP TABLE approval_requests; DROP TABLE approval_decisions; "
                 "DROP TABLE violations; DROP TABLE webhook_subscriptions; DROP TABLE webhook_removals; "
                 "DROP TABLE webhook_attempts; "
                 "PRAGMA user_version = 1;");
  std::string before = FileSha256(store);
  CHECK(RunOep({"replay", "pder_oep_demo_read_diff_0001", "--state-path", store}).exit_code == 0);
  RunResult list = RunOep({"impact", "list", "--state-path", store});
  CHECK(list.exit_code == 0);
  CHECK_THAT(list.out, Catch::Contains("no saved counterfactual runs"));
  CHECK(RunOep({"verify", "--chain", "--state-path", store}).exit_code == 0);
  CHECK(FileSha256(store) == before);

  RunResult saved = RunOep({"impact", "--state-path", store, "--policy-bundle", Policy("budget_per_run_cap.rego"), "--save"});
  INFO(saved.err);
  REQUIRE(saved.exit_code == 0);
  CHECK(RunOep({"impact", "show", SavedRunId(saved.out), "--state-path", store}).exit_code == 0);
  RunResult dump = RunOep({"dump", "--state-path", store});
  CHECK_THAT(dump.out, Catch::StartsWith("{\"store_format\":" + std::to_string(oep::kStoreSchemaVersion) + "}"));
  CHECK(RunOep({"verify", "--chain", "--state-path", store}).exit_code == 0);
}

TEST_CASE("impact list and show print every output format, --json staying an alias", "[impact][runs]") {
  ScratchDir dir;
  std::string store = dir / "s.sqlite";
  MakeDemoStore(store);
  RunResult saved = RunOep({"impact", "--state-path", store, "--policy-bundle", Policy("budget_per_run_cap.rego"), "--save",
                            "--label", "a|b"});
  REQUIRE(saved.exit_code == 0);
  std::string run_id = SavedRunId(saved.out);

  RunResult json = RunOep({"impact", "list", "--state-path", store, "--output-format", "json"});
  auto array = oep::json::Parse(json.out);
  REQUIRE(array.ok());
  REQUIRE(array->IsArray());
  CHECK(oep::json::GetString((*array)[0], "run_id") == run_id);
  CHECK(RunOep({"impact", "list", "--state-path", store, "--json"}).out == json.out);
  RunResult jsonl = RunOep({"impact", "list", "--state-path", store, "--output-format", "jsonl"});
  CHECK(std::count(jsonl.out.begin(), jsonl.out.end(), '\n') == 1);
  CHECK(oep::json::Parse(jsonl.out.substr(0, jsonl.out.size() - 1)).ok());
  RunResult md = RunOep({"impact", "list", "--state-path", store, "--output-format", "markdown"});
  CHECK_THAT(md.out, Catch::StartsWith("| RUN |") && Catch::Contains(run_id) && Catch::Contains("a\\|b"));

  RunResult show_md = RunOep({"impact", "show", run_id, "--state-path", store, "--output-format", "markdown"});
  CHECK(show_md.exit_code == 0);
  CHECK_THAT(show_md.out, Catch::Contains("budget_per_run_cap.rego") && Catch::Contains("|"));
  RunResult show_jsonl = RunOep({"impact", "show", run_id, "--state-path", store, "--output-format", "jsonl"});
  CHECK(std::count(show_jsonl.out.begin(), show_jsonl.out.end(), '\n') == 1);
  CHECK(RunOep({"impact", "show", run_id, "--state-path", store, "--output-format", "yaml"}).exit_code == 2);
}
