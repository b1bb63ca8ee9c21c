#include <catch2/catch.hpp>

#include "json/json.h"
#include "replay/counterfactual.h"
#include "util/rfc3339.h"
#include "support/support.h"

using namespace oep::test;

namespace {

struct Demo {
  ScratchDir dir;
  std::string store = dir / "demo.sqlite";
  Demo() { MakeDemoStore(store); }
  RunResult Cf(const std::string& id, const std::string& policy, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"replay", id, "--state-path", store, "--counterfactual", "--policy-bundle",
                                     RepoRoot() + "/permissions/policy/counterfactual/" + policy};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunOep(args);
  }
};

}  // namespace

TEST_CASE("a counterfactual policy flips the recorded decision and says why", "[counterfactual]") {
  Demo d;
  RunResult r = d.Cf("pder_oep_demo_read_diff_0001", "budget_per_run_cap.rego", {"--output-format", "json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto doc = oep::json::Parse(r.out);
  REQUIRE(doc.ok());
  auto at = [&](const char* p) { return oep::json::CanonicalText(*oep::json::FindDotted(*doc, p)); };
  CHECK(at("original.decision") == "\"allow\"");
  CHECK(at("counterfactual.decision") == "\"deny\"");
  CHECK(at("counterfactual.matched_rules") == "[\"deny_run_budget_exceeded\"]");
  CHECK(at("diff.transition") == "\"allow->deny\"");
  CHECK(at("diff.changed_fields") == "[\"allow\",\"matched_rule\",\"reason\",\"decision_code\"]");
  CHECK(at("replay_metadata.replay_class") == "\"deterministic\"");
  CHECK(at("engine.name") == "\"native\"");
  CHECK(at("original.policy_bundle_version") != at("counterfactual.policy_bundle_version"));
}

TEST_CASE("the recorded policy as counterfactual changes nothing", "[counterfactual]") {
  Demo d;
  RunResult r = RunOep({"replay", "pder_oep_demo_write_file_0002", "--state-path", d.store, "--counterfactual",
                        "--policy-bundle", RepoRoot() + "/permissions/policy/tool_permissions.rego", "--field",
                        "diff", "--output-format", "jsonl"});
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("\"changed_fields\":[]") && Catch::Contains("\"decision_changed\":false"));
}

TEST_CASE("counterfactual output is byte-identical with a fixed timestamp", "[counterfactual]") {
  Demo d;
  for (const char* format : {"json", "jsonl", "human"}) {
    std::vector<std::string> extra = {"--output-format", format, "--replay-timestamp-utc", "2026-11-25T00:00:00Z"};
    RunResult a = d.Cf("pder_oep_demo_write_file_0002", "workflow_step_bound.rego", extra);
    RunResult b = d.Cf("pder_oep_demo_write_file_0002", "workflow_step_bound.rego", extra);
    REQUIRE(a.exit_code == 0);
    CHECK(a.out == b.out);
  }
  RunResult stripped = d.Cf("pder_oep_demo_write_file_0002", "workflow_step_bound.rego", {"--output-format", "jsonl", "--strip-exclusions"});
  CHECK_THAT(stripped.out, !Catch::Contains("replay_timestamp_utc"));
}

TEST_CASE("OEP_REPLAY_MODE=counterfactual selects the mode, human output by default", "[counterfactual]") {
  Demo d;
  RunResult r = RunOep({"replay", "pder_oep_demo_read_diff_0001", "--state-path", d.store, "--policy-bundle",
                        RepoRoot() + "/permissions/policy/counterfactual/approval_per_step_escalation.rego"},
                       {"OEP_REPLAY_MODE=counterfactual"});
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::StartsWith("Counterfactual replay of pder_oep_demo_read_diff_0001"));
  CHECK_THAT(r.out, Catch::Contains("decision      ALLOW") && Catch::Contains("DENY   <- changed"));
}

TEST_CASE("non-deterministic built-ins without a recorded answer make the replay evaluative", "[counterfactual]") {
  Demo d;
  WriteText(d.dir / "nd.rego",
            "package oep.permissions\n\nimport rego.v1\n\ndecision := {\"allow\": true, \"matched_rule\": \"r\", "
            "\"reason\": \"x\"} if {\n  resp := http.send({\"method\": \"GET\", \"url\": \"http://example.invalid\"})\n  "
            "resp.status_code == 200\n}\n\ndefault decision := {\"allow\": false, \"matched_rule\": \"d\", \"reason\": \"y\"}\n");
  RunResult r = RunOep({"replay", "pder_oep_demo_read_diff_0001", "--state-path", d.store, "--counterfactual",
                        "--policy-bundle", d.dir / "nd.rego", "--output-format", "jsonl"});
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("\"replay_class\":\"evaluative\"") && Catch::Contains("http.send"));
}

TEST_CASE("time.now_ns is pinned to the recorded decision time", "[counterfactual]") {
  Demo d;
  WriteText(d.dir / "t.rego",
            "package oep.permissions\n\nimport rego.v1\n\ndecision := {\"allow\": time.now_ns() == 1793524502000000000, "
            "\"matched_rule\": \"t\", \"reason\": \"clock\"}\n");
  RunResult r = RunOep({"replay", "pder_oep_demo_read_diff_0001", "--state-path", d.store, "--counterfactual",
                        "--policy-bundle", d.dir / "t.rego", "--field", "counterfactual.allow", "--output-format", "jsonl"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == "true\n");
}

TEST_CASE("counterfactual bad inputs are clear errors", "[counterfactual][bad-input]") {
  Demo d;
  RunResult missing = RunOep({"replay", "pder_oep_demo_read_diff_0001", "--state-path", d.store, "--counterfactual"});
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.err, Catch::Contains("--policy-bundle"));
  WriteText(d.dir / "bad.rego", "package oep.permissions\n\ndecision := {\n");
  RunResult bad = RunOep({"replay", "pder_oep_demo_read_diff_0001", "--state-path", d.store, "--counterfactual",
                          "--policy-bundle", d.dir / "bad.rego"});
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("bad.rego") && Catch::Contains("rego_parse_error"));
  RunResult unknown = d.Cf("pder_nope", "budget_per_run_cap.rego");
  CHECK(unknown.exit_code == 1);
  CHECK_THAT(unknown.err, Catch::Contains("closest stored decision ids"));
}

TEST_CASE("recorded decision times pin time.now_ns exactly, anything not RFC 3339 is refused", "[counterfactual]") {
  using oep::ParseRfc3339Ns;
  const int64_t base = int64_t{1793524502} * 1000000000;
  CHECK(ParseRfc3339Ns("2026-11-01T09:15:02Z") == base);
  CHECK(ParseRfc3339Ns("2026-11-01T09:15:02.5Z") == base + 500000000);
  CHECK(ParseRfc3339Ns("2026-11-01T09:15:02.123456789Z") == base + 123456789);
  CHECK(ParseRfc3339Ns("2026-11-01T11:15:02+02:00") == base);
  CHECK(ParseRfc3339Ns("2026-11-01T04:15:02-05:00") == base);
  for (const char* bad : {"", "2026-11-01", "2026-11-01 09:15:02Z", "2026-13-01T09:15:02Z", "2026-11-01T09:15:02",
                          "2026-11-01T09:15:02+0200", "20x6-11-01T09:15:02Z", "2026-11-01T09:15:02Q"}) {
    INFO(bad);
    CHECK_FALSE(ParseRfc3339Ns(bad).has_value());
  }
}

TEST_CASE("the replay class is read from the policy's calls, not its text", "[counterfactual]") {
  Demo d;
  // A comment and a string naming http.send call nothing: the replay stays deterministic,
  // through the native engine and through the OPA CLI engine.
  WriteText(d.dir / "c.rego",
            "package oep.permissions\n\nimport rego.v1\n\n# http.send is not used here; time.now_ns neither\n"
            "decision := {\"allow\": true, \"matched_rule\": \"r\", \"reason\": \"see http.send docs\"}\n");
  std::string shim = RepoRoot() + "/tests/data/opa_shim.sh";
  for (std::string engine : {"native", "opa"}) {
    RunResult r = RunOep({"replay", "pder_oep_demo_read_diff_0001", "--state-path", d.store, "--counterfactual",
                          "--policy-bundle", d.dir / "c.rego", "--engine", engine, "--field",
                          "replay_metadata.replay_class", "--output-format", "jsonl"},
                         {"OEP_OPA_BIN_PATH=" + shim, "OEP_SHIM_TARGET=" + OepBinary()});
    INFO(engine << ": " << r.err);
    CHECK(r.out == "\"deterministic\"\n");
  }
}

TEST_CASE("a decision is re-decided at the query it was recorded at unless --query is given", "[counterfactual]") {
  Demo d;
  RunResult r = d.Cf("pder_oep_demo_read_diff_0001", "budget_per_run_cap.rego", {"--output-format", "json"});
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("\"query\": \"data.oep.permissions.decision\"") &&
                        Catch::Contains("\"query_source\": \"recorded\""));
  // A packet that does not record its query (the reference v0 artifacts) is re-decided at
  // <policy.package>.decision.
  std::string packet = ReadText(RepoRoot() + "/permissions/examples/code_review_demo_read_allowed.v0.json");
  auto cut = [&](const std::string& from, const std::string& to) {
    size_t at = packet.find(from);
    REQUIRE(at != std::string::npos);
    packet.replace(at, from.size(), to);
  };
  cut(",\n    \"query\": \"data.oep.permissions.decision\"", "");
  cut("\"packet_id\": \"pder_oep_demo_read_diff_0001\"", "\"packet_id\": \"pder_no_query\"");
  WriteText(d.dir / "no_query.json", packet);
  RunResult ingested = RunOep({"ingest", "--state-path", d.store, d.dir / "no_query.json"});
  INFO(ingested.err);
  REQUIRE(ingested.exit_code == 0);
  RunResult derived = d.Cf("pder_no_query", "budget_per_run_cap.rego", {"--field", "query_source", "--output-format", "jsonl"});
  CHECK(derived.out == "\"policy.package + \\\".decision\\\"\"\n");
  WriteText(d.dir / "b.rego", "package oep.permissions\n\nimport rego.v1\n\ndefault allowed := false\n");
  RunResult boolean = RunOep({"replay", "pder_oep_demo_read_diff_0001", "--state-path", d.store, "--counterfactual",
                              "--policy-bundle", d.dir / "b.rego", "--query", "data.oep.permissions.allowed",
                              "--field", "diff.transition", "--output-format", "jsonl"});
  INFO(boolean.err);
  CHECK(boolean.out == "\"allow->deny\"\n");  // false is a deny, not undefined
}

TEST_CASE("engine auto refuses an OPA binary it cannot trust instead of falling back to native", "[counterfactual][bad-input]") {
  Demo d;
  RunResult r = d.Cf("pder_oep_demo_read_diff_0001", "budget_per_run_cap.rego", {"--engine", "auto"});
  // With no binary at all, auto is the native engine.
  CHECK(r.exit_code == 0);
  RunResult refused = RunOep({"replay", "pder_oep_demo_read_diff_0001", "--state-path", d.store, "--counterfactual",
                              "--policy-bundle", RepoRoot() + "/permissions/policy/counterfactual/budget_per_run_cap.rego",
                              "--engine", "auto"},
                             {"OEP_OPA_BIN_PATH=relative/opa"});
  CHECK(refused.exit_code == 2);
  CHECK_THAT(refused.err, Catch::Contains("OEP_OPA_BIN_PATH=relative/opa"));
}
