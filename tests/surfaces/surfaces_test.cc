#include <catch2/catch.hpp>

#include "json/json.h"
#include "support/support.h"

using namespace oep::test;

namespace {

// A permission packet of run `trace` at `time`, costing `cost` US dollars, with the recorded
// surfaces the reference's v0.3 packets carry (model alias, drift versions, reservation).
std::string Packet(const std::string& id, const std::string& trace, const std::string& time, const std::string& cost) {
  return R"({"schema_version":"oep.tool_permission_packet.v0","packet_id":")" + id + R"(","decision_time":")" + time +
         R"(","release_manifest_id":"rmf_oep_code_review_demo_v0","event_id":"evt_)" + id + R"(","tool_call_id":"tc_)" + id +
         R"(","trace_id":")" + trace + R"(","span_id":"1111111111111111","actor":{"type":"agent","id":"agent_a"},)"
         R"("tool":{"name":"read_diff","operation":"read","version":"0.1.0"},"requested_action":{"action_type":"inspect_diff","name":"x"},)"
         R"("resource":{"type":"repository_diff","id":"d1","mutable":false},)"
         R"("decision":{"allow":true,"matched_rule":"allow_read","reason":"reads are allowed"},)"
         R"("policy":{"engine":"opa","package":"data.oep.permissions","policy_id":"p","policy_version":"0.1.0"},)"
         R"("policy_bundle_version":"sha256:0000000000000000000000000000000000000000000000000000000000000001",)"
         R"("opa_input":{"tool":{"name":"read_diff"}},"approval_capture":null,"scoped_credential_lifetime":"PT1M30S",)"
         R"("model_alias":"reviewer","model_provider":"acme","resolved_model_version":"1.2.0",)"
         R"("decision_id":{"cost":{"per_step_cost_usd":)" + cost +
         R"(,"reservation_estimated_cost_usd":0.05,"reservation_committed_cost_usd":)" + cost + R"(},)"
         R"("cache":{"cache_hit_id":"cache_none","cache_correctness_status":"not_applicable"},)"
         R"("drift":{"prompt_template":{"after_version":"review-prompt@0.1.0"},"tool_registry":{"after_version":"tools@0.1.0"}}}})";
}

struct Run {
  ScratchDir dir;
  std::string store = dir / "s.sqlite";
  static constexpr const char* kTrace = "abababababababababababababababab";
  // Three steps one minute apart costing 0.02, 0.03 and 0.04 (cumulative 0.02, 0.05, 0.09).
  Run() {
    WriteText(dir / "p1.json", Packet("pder_s1", kTrace, "2026-05-04T00:00:00Z", "0.02"));
    WriteText(dir / "p2.json", Packet("pder_s2", kTrace, "2026-05-04T00:01:00Z", "0.03"));
    WriteText(dir / "p3.json", Packet("pder_s3", kTrace, "2026-05-04T00:02:00Z", "0.04"));
    RunResult r = RunOep({"ingest", RepoRoot() + "/manifest/examples/code_review_demo_release.v0.json", dir / "p1.json", dir / "p2.json", dir / "p3.json", "--state-path", store});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }
  rapidjson::Document Replay(const std::string& id, const std::vector<std::string>& subs) {
    std::vector<std::string> args = {"replay", id, "--state-path", store, "--counterfactual", "--output-format", "jsonl",
                                     "--replay-timestamp-utc", "2026-06-02T00:00:00Z"};
    for (const auto& s : subs) {
      args.push_back("--substitute");
      args.push_back(s);
    }
    RunResult r = RunOep(args);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto doc = oep::json::Parse(r.out);
    REQUIRE(doc.ok());
    return std::move(*doc);
  }
};

std::string At(const rapidjson::Value& doc, const char* path) {
  const rapidjson::Value* v = oep::json::FindDotted(doc, path);
  return v == nullptr ? "<absent>" : oep::json::CanonicalText(*v);
}

}  // namespace

TEST_CASE("a budget cap over the run's recorded cost trace terminates at the step that exceeds it", "[surfaces]") {
  Run run;
  auto third = run.Replay("pder_s3", {"budget.per_run_cap_usd=0.06"});
  CHECK(At(third, "counterfactual.decision") == "\"deny\"");
  CHECK(At(third, "counterfactual.decision_code") == "\"BUDGET_EXCEEDED\"");
  CHECK(At(third, "counterfactual.matched_rules") == "[\"deny_budget_substitution\"]");
  CHECK(At(third, "diff.budget_delta.original_total_usd") == "0.09");
  CHECK(At(third, "diff.budget_delta.counterfactual_total_usd") == "0.05");
  CHECK(At(third, "diff.budget_delta.termination_step") == "3");
  CHECK(At(third, "diff.budget_delta.budget_cap_active") == "true");
  CHECK(At(third, "replay_metadata.replay_class") == "\"deterministic\"");
  CHECK(At(third, "replay_metadata.substituted_surfaces") == "{\"budget\":\"per_run_cap_usd=0.06\"}");
  CHECK(At(third, "diff.workflow_delta") == "null");
  auto second = run.Replay("pder_s2", {"budget.per_run_cap_usd=0.06"});
  CHECK(At(second, "counterfactual.decision") == "\"allow\"");
  CHECK(At(second, "diff.decision_changed") == "false");
  CHECK(At(second, "diff.budget_delta.original_total_usd") == "0.05");
  CHECK(At(second, "diff.budget_delta.termination_step") == "null");
  CHECK(At(second, "diff.budget_delta.cost_trace_changed") == "false");
  // A cap equal to a cumulative sum of decimals does not bind (0.02 + 0.03 is not above 0.05).
  auto exact = run.Replay("pder_s2", {"budget.per_run_cap_usd=0.05"});
  CHECK(At(exact, "diff.budget_delta.budget_cap_active") == "false");
}

TEST_CASE("a model substitution is an evaluative counterfactual estimate with its reason", "[surfaces]") {
  Run run;
  auto doc = run.Replay("pder_s1", {"model=bedrock:anthropic.claude-opus-4-6"});
  CHECK(At(doc, "counterfactual.decision") == "\"allow\"");
  CHECK(At(doc, "diff.model_delta") ==
        "{\"counterfactual_label\":\"counterfactual estimate\",\"original_model_version\":\"1.2.0\",\"original_provider\":"
        "\"acme\",\"substituted_model_version\":\"anthropic.claude-opus-4-6\",\"substituted_provider\":\"bedrock\"}");
  CHECK(At(doc, "diff.surface_delta.surfaces.model.before_version") == "\"reviewer@1.2.0\"");
  CHECK(At(doc, "diff.surface_delta.changed_surfaces") == "[\"model\"]");
  CHECK(At(doc, "replay_metadata.replay_class") == "\"evaluative\"");
  CHECK_THAT(At(doc, "replay_metadata.evaluative_reasons"), Catch::Contains("model substituted"));
  auto bare = run.Replay("pder_s1", {"model=2.0.0"});
  CHECK(At(bare, "diff.model_delta.substituted_provider") == "\"acme\"");
}

TEST_CASE("a reservation below the recorded committed cost would have stopped the step", "[surfaces]") {
  Run run;
  auto small = run.Replay("pder_s3", {"reserve.usd=0.03"});
  CHECK(At(small, "counterfactual.decision_code") == "\"RESERVATION_EXCEEDED\"");
  CHECK(At(small, "diff.reserve_delta.reservation_covers_committed_cost") == "false");
  CHECK(At(small, "diff.reserve_delta.original_reserved_usd") == "0.05");
  auto enough = run.Replay("pder_s3", {"reserve.usd=0.04"});
  CHECK(At(enough, "counterfactual.decision") == "\"allow\"");
  CHECK(At(enough, "diff.reserve_delta.counterfactual_excess_released_usd") == "0");
  CHECK(At(enough, "replay_metadata.replay_class") == "\"deterministic\"");
}

TEST_CASE("a shorter credential lifetime expires before a later step of the run", "[surfaces]") {
  Run run;
  auto late = run.Replay("pder_s3", {"identity.credential_ttl_s=90"});
  CHECK(At(late, "counterfactual.decision_code") == "\"CREDENTIAL_EXPIRED\"");
  CHECK(At(late, "diff.identity_delta.elapsed_since_run_start_s") == "120");
  CHECK(At(late, "diff.identity_delta.original_credential_ttl_s") == "90");
  auto early = run.Replay("pder_s2", {"identity.credential_ttl_s=90"});
  CHECK(At(early, "diff.identity_delta.credential_valid_at_step") == "true");
  CHECK(At(early, "counterfactual.decision") == "\"allow\"");
}

TEST_CASE("cache=fresh implies a fresh model call (evaluative), cache=recorded is deterministic", "[surfaces]") {
  Run run;
  auto fresh = run.Replay("pder_s1", {"cache=fresh"});
  CHECK(At(fresh, "replay_metadata.replay_class") == "\"evaluative\"");
  CHECK(At(fresh, "diff.cache_delta.fresh_model_call") == "true");
  CHECK(At(fresh, "diff.cache_delta.original_cache_hit_id") == "\"cache_none\"");
  auto recorded = run.Replay("pder_s1", {"cache=recorded"});
  CHECK(At(recorded, "replay_metadata.replay_class") == "\"deterministic\"");
}

TEST_CASE("prompt, tool schema and workflow substitutions name their before and after versions", "[surfaces]") {
  Run run;
  auto doc = run.Replay("pder_s1", {"prompt=review-prompt@0.2.0", "tool_schema=tools@0.1.0", "workflow=wf@2"});
  CHECK(At(doc, "diff.surface_delta.surfaces.prompt.before_version") == "\"review-prompt@0.1.0\"");
  CHECK(At(doc, "diff.surface_delta.surfaces.prompt.status") == "\"changed\"");
  CHECK(At(doc, "diff.surface_delta.surfaces.tool_schema.status") == "\"unchanged\"");
  // The workflow's recorded version is the release manifest's workflow binding.
  CHECK(At(doc, "diff.surface_delta.surfaces.workflow.before_version") == "\"oep-demo-code-review@0.1.0\"");
  CHECK(At(doc, "diff.workflow_delta.original_workflow_version") == "\"oep-demo-code-review@0.1.0\"");
  CHECK(At(doc, "diff.surface_delta.absent_surfaces") == "[]");
  CHECK(At(doc, "diff.surface_delta.changed_surfaces") == "[\"prompt\",\"workflow\"]");
  CHECK(At(doc, "diff.workflow_delta.counterfactual_workflow_version") == "\"wf@2\"");
  CHECK(At(doc, "replay_metadata.evaluative_reasons").find("workflow substituted") != std::string::npos);
  CHECK(At(doc, "replay_metadata.substituted_surfaces") ==
        "{\"prompt\":\"review-prompt@0.2.0\",\"tool_schema\":\"tools@0.1.0\",\"workflow\":\"wf@2\"}");
}

TEST_CASE("surface replays are byte-identical run after run", "[surfaces]") {
  Run run;
  for (const char* format : {"json", "jsonl", "human"}) {
    std::vector<std::string> args = {"replay", "pder_s3", "--state-path", run.store, "--counterfactual", "--substitute",
                                     "budget.per_run_cap_usd=0.06", "--substitute", "model=x:y", "--output-format", format,
                                     "--replay-timestamp-utc", "2026-06-02T00:00:00Z"};
    RunResult a = RunOep(args), b = RunOep(args);
    REQUIRE(a.exit_code == 0);
    CHECK(a.out == b.out);
  }
}

TEST_CASE("bad substitutions are refused with what was expected, the store untouched", "[surfaces][bad-input]") {
  Run run;
  const std::string before = FileSha256(run.store);
  auto refused_args = [&](const std::vector<std::string>& args, const std::string& expected) {
    RunResult r = RunOep(args);
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK_THAT(r.err, Catch::StartsWith("oep: --substitute") && Catch::Contains(expected));
    CHECK(FileSha256(run.store) == before);
  };
  auto refused = [&](const std::string& sub, const std::string& expected) {
    refused_args({"replay", "pder_s1", "--state-path", run.store, "--counterfactual", "--substitute", sub}, expected);
  };
  refused("budget.per_run_cap_usd=abc", "expected a non-negative number of US dollars");
  refused("budget.per_run_cap_usd=-1", "non-negative");
  refused("reserve.usd=1e999", "non-negative");
  refused("identity.credential_ttl_s=1.5", "whole number of seconds");
  refused("cache=stale", "expected cache=fresh or cache=recorded");
  refused("temperature=0", "unknown surface \"temperature\"");
  refused("model", "expected SURFACE=VALUE");
  refused("model=", "expected a value");
  refused_args({"replay", "pder_s1", "--state-path", run.store, "--counterfactual", "--substitute", "model=a",
                "--substitute", "model=b"},
               "already substituted");
  RunResult without = RunOep({"replay", "pder_s1", "--state-path", run.store, "--substitute", "model=a"});
  CHECK(without.exit_code == 2);
  CHECK_THAT(without.err, Catch::Contains("--substitute") && Catch::Contains("--counterfactual"));
}

TEST_CASE("impact --substitute applies a budget cap to whole runs: where each terminates, with which code", "[surfaces]") {
  Run run;
  RunResult all = RunOep({"impact", "--state-path", run.store, "--substitute", "budget.per_run_cap_usd=0.03", "--json"});
  INFO(all.err);
  REQUIRE(all.exit_code == 0);
  auto doc = oep::json::Parse(all.out);
  REQUIRE(doc.ok());
  CHECK(At(*doc, "runs_total") == "1");
  CHECK(At(*doc, "runs_terminated") == "1");
  CHECK(At(*doc, "decisions_skipped_after_termination") == "1");
  CHECK(At(*doc, "terminated_runs.0.termination_step") == "2");
  CHECK(At(*doc, "terminated_runs.0.termination_decision_id") == "\"pder_s2\"");
  CHECK(At(*doc, "counterfactual_total_usd") == "0.02");
  RunResult one = RunOep({"impact", "--state-path", run.store, "--substitute", "budget.per_run_cap_usd=0.03", "--run",
                          Run::kTrace, "--output-format", "jsonl"});
  REQUIRE(one.exit_code == 0);
  auto trace = oep::json::Parse(one.out);
  REQUIRE(trace.ok());
  CHECK(At(*trace, "budget.termination_code") == "\"BUDGET_EXCEEDED\"");
  CHECK(At(*trace, "cost_trace.1.termination_code") == "\"BUDGET_EXCEEDED\"");
  CHECK(At(*trace, "cost_trace.2.skipped_after_termination") == "true");
  CHECK(At(*trace, "cost_trace.2.counterfactual_cumulative_usd") == "0.02");
  CHECK(At(*trace, "cost_trace.0.budget_cap_active") == "false");
  RunResult none = RunOep({"impact", "--state-path", run.store, "--substitute", "budget.per_run_cap_usd=1"});
  REQUIRE(none.exit_code == 0);
  CHECK_THAT(none.out, Catch::Contains("runs terminated                    0 {}"));
  RunResult human = RunOep({"impact", "--state-path", run.store, "--substitute", "budget.per_run_cap_usd=0.03", "--run", Run::kTrace});
  CHECK_THAT(human.out, Catch::Contains("terminates at step    2 (BUDGET_EXCEEDED, decision pder_s2)"));
}

TEST_CASE("impact --substitute bad inputs are clear errors", "[surfaces][bad-input]") {
  Run run;
  const std::string before = FileSha256(run.store);
  auto refused = [&](std::vector<std::string> args, int code, const std::string& expected) {
    args.insert(args.begin(), {"impact", "--state-path", run.store});
    RunResult r = RunOep(args);
    CHECK(r.exit_code == code);
    CHECK_THAT(r.err, Catch::Contains(expected));
    CHECK(FileSha256(run.store) == before);
  };
  refused({"--substitute", "model=x"}, 2, "model is replayed one decision at a time");
  refused({"--substitute", "budget.per_run_cap_usd=1", "--substitute", "cache=fresh"}, 2, "cache is replayed one decision at a time");
  refused({"--substitute", "budget.per_run_cap_usd=x"}, 2, "non-negative number");
  refused({"--substitute", "budget.per_run_cap_usd=1", "--policy-bundle", RepoRoot() + "/permissions/policy/tool_permissions.rego"},
          2, "add --run RUN_ID");
  refused({"--substitute", "budget.per_run_cap_usd=1", "--run", "ffffffffffffffffffffffffffffffff"}, 1, "has no stored decision");
  refused({"--substitute", "budget.per_run_cap_usd=1", "--save"}, 2, "--save does not apply");
  refused({"--run", Run::kTrace, "--policy-bundle", RepoRoot() + "/permissions/policy/tool_permissions.rego"}, 2,
          "--run applies to impact --substitute");
}

TEST_CASE("impact --substitute reserve and credential lifetime end runs at the first step they block", "[surfaces]") {
  Run run;
  auto impact = [&](std::vector<std::string> subs) {
    std::vector<std::string> args = {"impact", "--state-path", run.store, "--run", Run::kTrace, "--output-format", "jsonl"};
    for (const auto& s : subs) {
      args.push_back("--substitute");
      args.push_back(s);
    }
    RunResult r = RunOep(args);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto doc = oep::json::Parse(r.out);
    REQUIRE(doc.ok());
    return std::move(*doc);
  };
  auto reserve = impact({"reserve.usd=0.035"});
  CHECK(At(reserve, "budget.termination_code") == "\"RESERVATION_EXCEEDED\"");
  CHECK(At(reserve, "budget.termination_step") == "3");
  CHECK(At(reserve, "budget.counterfactual_total_usd") == "0.05");
  CHECK(At(reserve, "budget.counterfactual_budget_cap_usd") == "<absent>");
  auto ttl = impact({"identity.credential_ttl_s=90"});
  CHECK(At(ttl, "budget.termination_code") == "\"CREDENTIAL_EXPIRED\"");
  CHECK(At(ttl, "cost_trace.2.termination_code") == "\"CREDENTIAL_EXPIRED\"");
  auto both = impact({"identity.credential_ttl_s=90", "budget.per_run_cap_usd=0.03"});
  CHECK(At(both, "budget.termination_code") == "\"BUDGET_EXCEEDED\"");
  CHECK(At(both, "budget.termination_step") == "2");
  RunResult all = RunOep({"impact", "--state-path", run.store, "--substitute", "reserve.usd=0.035", "--json"});
  REQUIRE(all.exit_code == 0);
  CHECK_THAT(all.out, Catch::Contains("\"RESERVATION_EXCEEDED\": 1"));
}
