#include <catch2/catch.hpp>

#include "json/json.h"
#include "support/support.h"
#include "util/subprocess.h"

using namespace oep::test;

namespace {

const char* kManifest = "rmf_oep_code_review_demo_v0";

std::string Log(const char* name) { return RepoRoot() + "/tests/data/opa_decision_log/" + name; }
std::string Policy(const char* name) { return RepoRoot() + "/permissions/policy/counterfactual/" + name; }

RunResult Import(const std::string& store, const std::string& file, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"import", "opa-decision-log", file, "--state-path", store, "--manifest", kManifest};
  args.insert(args.end(), extra.begin(), extra.end());
  return RunOep(args);
}

std::string Field(const std::string& store, const std::string& id, const std::string& field) {
  return RunOep({"replay", id, "--state-path", store, "--field", field, "--output-format", "jsonl"}).out;
}

}  // namespace

TEST_CASE("OPA console decision logs import as permission packets that replay", "[import][opa-decision-log]") {
  ScratchDir dir;
  std::string store = dir / "s.sqlite";
  MakeDemoStore(store);
  RunResult r = Import(store, Log("console.jsonl"));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("5 decision-log events, 5 as permission packets") &&
                        Catch::Contains("1 other log lines skipped") && Catch::Contains("1 with erased or masked input"));

  const std::string read = "pder_opa_0b6e1c2d-5f7a-4e3b-9c1d-2a3b4c5d6e02";
  CHECK(Field(store, read, "decision.allow") == "true\n");
  CHECK(Field(store, read, "decision.matched_rule") == "\"allow_read_only_review_tools\"\n");
  CHECK(Field(store, read, "decision_time") == "\"2026-11-20T09:00:02.5Z\"\n");
  CHECK(Field(store, read, "tool.name") == "\"read_diff\"\n");  // taken from the input's oep-shaped tool
  CHECK(Field(store, read, "policy.policy_version") == "\"oep_permissions@2026-11-20T08:00:00Z-7f3a\"\n");
  CHECK(Field(store, read, "permission_packet.body.opa_decision_log.requested_by") == "\"10.0.4.17:53122\"\n");
  CHECK(Field(store, read, "opa_input.body.run.cost_usd_so_far") == "0.05\n");
  // A boolean decision of another path: the path stands in for the tool, ids are marked unrecorded.
  const std::string boolean = "pder_opa_0b6e1c2d-5f7a-4e3b-9c1d-2a3b4c5d6e05";
  CHECK(Field(store, boolean, "tool.name") == "\"http/authz/allow\"\n");
  CHECK(Field(store, boolean, "policy.package") == "\"data.http.authz\"\n");
  CHECK(Field(store, boolean, "permission_packet.body.trace_id") == "\"00000000000000000000000000000000\"\n");
  CHECK(Field(store, boolean, "permission_packet.body.event_id") ==
        "\"opa_dl_0b6e1c2d-5f7a-4e3b-9c1d-2a3b4c5d6e05\"\n");

  // Re-importing is idempotent, and the ledger covers every imported packet.
  RunResult again = Import(store, Log("console.jsonl"));
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.out, Catch::Contains("0 new rows, 5 already stored"));
  CHECK(RunOep({"verify", "--chain", "--state-path", store}).exit_code == 0);
}

TEST_CASE("imported decisions are re-decided against their logged result, erased input is evaluative",
          "[import][opa-decision-log][impact]") {
  ScratchDir dir;
  std::string store = dir / "s.sqlite";
  MakeDemoStore(store);
  REQUIRE(Import(store, Log("console.jsonl"), {"--path", "data.oep.permissions.decision"}).exit_code == 0);
  RunResult impact = RunOep({"impact", "--state-path", store, "--policy-bundle", Policy("budget_per_run_cap.rego"), "--json"});
  REQUIRE(impact.exit_code == 0);
  auto doc = oep::json::Parse(impact.out);
  REQUIRE(doc.ok());
  auto at = [&](const char* p) { return oep::json::CanonicalText(*oep::json::FindDotted(*doc, p)); };
  // 2 demo + 4 imported (the http/authz/allow event is on another path).
  CHECK(at("counts.total") == "6");
  CHECK(at("counts.evaluative") == "1");
  CHECK(at("examples.allow->deny") ==
        "[\"pder_oep_demo_read_diff_0001\",\"pder_opa_0b6e1c2d-5f7a-4e3b-9c1d-2a3b4c5d6e02\"]");
  // Under the recorded policy every imported decision is unchanged.
  RunResult same = RunOep({"impact", "--state-path", store, "--policy-bundle",
                           RepoRoot() + "/permissions/policy/tool_permissions.rego", "--json"});
  CHECK_THAT(same.out, Catch::Contains("\"unchanged\":6"));

  RunResult erased = RunOep({"replay", "pder_opa_0b6e1c2d-5f7a-4e3b-9c1d-2a3b4c5d6e04", "--state-path", store,
                             "--counterfactual", "--policy-bundle", Policy("budget_per_run_cap.rego"), "--output-format",
                             "json"});
  REQUIRE(erased.exit_code == 0);
  CHECK_THAT(erased.out, Catch::Contains("\"replay_class\": \"evaluative\"") &&
                             Catch::Contains("erased /input/approval"));
}

TEST_CASE("a gzip-compressed service body imports, including an undefined decision", "[import][opa-decision-log]") {
  ScratchDir dir;
  std::string store = dir / "s.sqlite";
  MakeDemoStore(store);
  std::string gz = dir / "body.json.gz";
  auto zipped = oep::RunProcess({"/bin/sh", "-c", "gzip -c '" + Log("service_body.json") + "' > '" + gz + "'"});
  REQUIRE(zipped.ok());
  REQUIRE(zipped->exit_code == 0);
  RunResult r = Import(store, gz);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("6 decision-log events, 6 as permission packets"));
  const std::string undefined = "pder_opa_0b6e1c2d-5f7a-4e3b-9c1d-2a3b4c5d6e06";
  CHECK_THAT(RunOep({"replay", undefined, "--state-path", store, "--output-format", "human"}).out,
             Catch::Contains(": UNDEFINED"));
  RunResult cf = RunOep({"replay", undefined, "--state-path", store, "--counterfactual", "--policy-bundle",
                         RepoRoot() + "/permissions/policy/tool_permissions.rego", "--field", "diff.transition"});
  CHECK(cf.out == "undefined->deny\n");
}

TEST_CASE("bad decision logs are refused with the event and member named, the store unchanged",
          "[import][opa-decision-log][bad-input]") {
  ScratchDir dir;
  std::string store = dir / "s.sqlite";
  MakeDemoStore(store);
  std::string before = FileSha256(store);
  struct Case {
    const char* name;
    std::string text;
    std::string expected;
  };
  const std::string ok_event =
      R"({"decision_id":"d1","path":"a/allow","timestamp":"2026-11-20T09:00:00Z","result":true,"input":{}})";
  std::vector<Case> cases = {
      {"not-json.jsonl", ok_event + "\n{\"decision_id\": oops}\n", "line 2: expected a JSON decision-log event"},
      {"no-id.jsonl", R"({"path":"a/allow","timestamp":"2026-11-20T09:00:00Z","result":true})", "line 1: /decision_id: expected"},
      {"no-time.json", R"([{"decision_id":"d2","path":"a/allow","result":true}])", "/0/timestamp: expected"},
      {"bad-time.jsonl", R"({"decision_id":"d3","path":"a/allow","timestamp":"yesterday","result":true})", "/decision_time"},
      {"masked-result.jsonl",
       R"({"decision_id":"d5","path":"a/allow","timestamp":"2026-11-20T09:00:00Z","result":true,"masked":["/result"]})",
       "erased or masked the result"},
      {"conflict.jsonl", ok_event + "\n" + R"({"decision_id":"d1","path":"a/allow","timestamp":"2026-11-20T09:00:00Z","result":false,"input":{}})",
       "already stored with different content"},
      {"empty.jsonl", "{\"level\":\"info\",\"msg\":\"Initializing server.\"}\n", "no OPA decision-log events"},
      {"truncated.json.gz", std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00", 8), "not a complete gzip stream"},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.name) {
      WriteText(dir / c.name, c.text);
      RunResult r = Import(store, dir / c.name);
      CHECK(r.exit_code == 2);
      CHECK_THAT(r.err, Catch::Contains(c.name) && Catch::Contains(c.expected));
      CHECK(FileSha256(store) == before);
    }
  }
  RunResult unknown_manifest = RunOep({"import", "opa-decision-log", Log("console.jsonl"), "--state-path", store,
                                       "--manifest", "rmf_nope"});
  CHECK(unknown_manifest.exit_code == 2);
  CHECK_THAT(unknown_manifest.err, Catch::Contains("unknown release manifest \"rmf_nope\""));
  CHECK(FileSha256(store) == before);
}

namespace {

std::string Fixture(const char* name) { return RepoRoot() + "/tests/data/opa_decision_log/" + name; }

// `oep impact --output-format json` parsed, with its exit code.
struct ImpactRun {
  int exit_code;
  rapidjson::Document report;
  std::string err;
};

ImpactRun Impact(const std::string& store, std::vector<std::string> extra) {
  std::vector<std::string> args = {"impact", "--state-path", store, "--output-format", "json"};
  args.insert(args.end(), extra.begin(), extra.end());
  RunResult r = RunOep(args);
  ImpactRun out{r.exit_code, {}, r.err};
  out.report.Parse(r.out.c_str());
  return out;
}

int64_t Count(const rapidjson::Value& report, const char* name) { return report["counts"][name].GetInt64(); }

}  // namespace

TEST_CASE("decision logs of a boolean policy import without a manifest and impact counts are exact",
          "[import][opa-decision-log][impact]") {
  ScratchDir dir;
  std::string store = dir / "s.sqlite";
  RunResult imported = RunOep({"import", "opa-decision-log", Fixture("httpapi_authz.jsonl"), "--state-path", store});
  INFO(imported.err);
  REQUIRE(imported.exit_code == 0);
  CHECK_THAT(imported.out, Catch::Contains("40 decision-log events, 40 as permission packets"));
  // The store passes verify: what the log never had is reported as not recorded.
  RunResult verified = RunOep({"verify", "--state-path", store});
  INFO(verified.out);
  CHECK(verified.exit_code == 0);
  CHECK_THAT(verified.out, Catch::Contains("40 decisions imported from OPA decision logs record no event or trace"));

  // Each decision is re-decided at its logged path (data.httpapi.authz.allow): false is a
  // deny, not undefined. 20 GETs were allowed; the 16 by non-admins flip.
  ImpactRun r = Impact(store, {"--policy-bundle", Fixture("httpapi_authz_r2.rego")});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(r.report.IsObject());
  CHECK(Count(r.report, "total") == 40);
  CHECK(Count(r.report, "allow_to_deny") == 16);
  CHECK(Count(r.report, "unchanged") == 24);
  CHECK(Count(r.report, "to_undefined") == 0);
  CHECK(Count(r.report, "deny_to_allow") == 0);
  CHECK(r.report["by_query"]["data.httpapi.authz.allow"]["allow_to_deny"].GetInt64() == 16);

  // The recorded policy re-decides every decision as recorded.
  ImpactRun same = Impact(store, {"--policy-bundle", Fixture("httpapi_authz_r1.rego")});
  CHECK(Count(same.report, "unchanged") == 40);

  // A policy PR: both bundles over the recorded inputs, with a CI gate.
  ImpactRun pr = Impact(store, {"--policy-bundle", Fixture("httpapi_authz_r2.rego"), "--baseline-bundle",
                                Fixture("httpapi_authz_r1.rego"), "--fail-on", "allow->deny"});
  CHECK(pr.exit_code == 1);
  CHECK_THAT(pr.err, Catch::Contains("--fail-on allow->deny: allow->deny (16)"));
  CHECK(Count(pr.report, "allow_to_deny") == 16);
  ImpactRun gate = Impact(store, {"--policy-bundle", Fixture("httpapi_authz_r2.rego"), "--fail-on", "deny->allow"});
  CHECK(gate.exit_code == 0);
  CHECK(Impact(store, {"--policy-bundle", Fixture("httpapi_authz_r2.rego"), "--fail-on", "sideways"}).exit_code == 2);

  // Markdown for the pull request.
  RunResult md = RunOep({"impact", "--state-path", store, "--policy-bundle", Fixture("httpapi_authz_r2.rego"),
                         "--baseline-bundle", Fixture("httpapi_authz_r1.rego"), "--output-format", "markdown"});
  CHECK_THAT(md.out, Catch::Contains("| allow -> deny | 16 |") && Catch::Contains("| `data.httpapi.authz.allow` | 40 | 24 | 16 | 0 | 0 |"));
}

TEST_CASE("renamed and gzipped copies of a decision log re-import as a no-op", "[import][opa-decision-log]") {
  ScratchDir dir;
  std::string store = dir / "s.sqlite";
  REQUIRE(RunOep({"import", "opa-decision-log", Fixture("httpapi_authz.jsonl"), "--state-path", store}).exit_code == 0);
  std::string before = FileSha256(store);
  std::string renamed = dir / "decisions-2026-11-20.log.gz";
  auto gz = oep::RunProcess({"/bin/sh", "-c", "gzip -c '" + Fixture("httpapi_authz.jsonl") + "' > '" + renamed + "'"});
  REQUIRE((gz.ok() && gz->exit_code == 0));
  RunResult again = RunOep({"import", "opa-decision-log", renamed, "--state-path", store});
  INFO(again.err);
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.out, Catch::Contains("0 new rows, 40 already stored"));
}

TEST_CASE("a logged result that is not a decision (a set of messages) is compared as a value", "[import][opa-decision-log]") {
  ScratchDir dir;
  std::string store = dir / "s.sqlite";
  WriteText(dir / "deny.jsonl",
            R"({"decision_id":"v1","path":"k8s/deny","timestamp":"2026-11-20T09:00:00Z","result":["no owner label"],"input":{"labels":{}}})"
            "\n"
            R"({"decision_id":"v2","path":"k8s/deny","timestamp":"2026-11-20T09:00:01Z","result":[],"input":{"labels":{"owner":"a"}}})"
            "\n");
  REQUIRE(RunOep({"import", "opa-decision-log", dir / "deny.jsonl", "--state-path", store}).exit_code == 0);
  WriteText(dir / "same.rego", "package k8s\n\ndeny contains \"no owner label\" if not input.labels.owner\n");
  WriteText(dir / "more.rego", "package k8s\n\ndeny contains \"no owner label\" if not input.labels.owner\n\n"
                               "deny contains \"no team label\" if not input.labels.team\n");
  ImpactRun same = Impact(store, {"--policy-bundle", dir / "same.rego"});
  INFO(same.err);
  CHECK(Count(same.report, "unchanged") == 2);  // sets from OPA's JSON arrays, compared as values
  ImpactRun more = Impact(store, {"--policy-bundle", dir / "more.rego"});
  CHECK(Count(more.report, "unchanged") == 0);
  CHECK(Count(more.report, "other_changes") == 2);
  CHECK(more.report["examples"]["value->value"].Size() == 2);
}

TEST_CASE("a decision-log import shows progress on a terminal and nothing on a pipe", "[import][opa-decision-log][progress]") {
  ScratchDir dir;
  std::string store = dir / "s.sqlite";
  MakeDemoStore(store);
  RunResult piped = Import(store, Log("console.jsonl"));
  REQUIRE(piped.exit_code == 0);
  CHECK(piped.err.empty());
  MakeDemoStore(dir / "t.sqlite");
  TerminalRun run = RunOepWithTerminalStderr(
      {"import", "opa-decision-log", Log("console.jsonl"), "--state-path", dir / "t.sqlite", "--manifest", kManifest});
  INFO(run.terminal);
  CHECK(run.exit_code == 0);
  CHECK_THAT(run.terminal, Catch::Contains("import: 5/5 decision-log events read (100%)"));
}
