#include <catch2/catch.hpp>

#include "json/json.h"
#include "support/support.h"

using namespace oep::test;

namespace {

struct DemoStore {
  ScratchDir dir;
  std::string store = dir / "demo.sqlite";
  DemoStore() { MakeDemoStore(store); }
  RunResult Replay(std::vector<std::string> args) {
    args.insert(args.begin(), {"replay", "--state-path", store});
    return RunOep(args);
  }
};

}  // namespace

TEST_CASE("replay joins packet, event, trace, manifest, eval and review", "[replay]") {
  DemoStore d;
  RunResult r = d.Replay({"pder_oep_demo_write_file_0002"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto doc = oep::json::Parse(r.out);
  REQUIRE(doc.ok());
  auto at = [&](const char* path) {
    const auto* v = oep::json::FindDotted(*doc, path);
    REQUIRE(v != nullptr);
    return oep::json::CanonicalText(*v);
  };
  CHECK(at("schema_version") == "\"oep.decision_replay.v0\"");
  CHECK(at("decision.allow") == "false");
  CHECK(at("decision.matched_rule") == "\"deny_write_without_approval\"");
  CHECK(at("event.body.event_id") == "\"evt_oep_demo_write_file_0002\"");
  CHECK(at("trace.span.name") == "\"tool.write_file\"");
  CHECK(at("manifest.release.name") == "\"oep-demo-code-review-agent\"");
  CHECK(at("manifest.layer_bindings.policy.digest") == at("policy.bundle_digest"));
  CHECK(at("eval.status") == "\"passed\"");
  CHECK(at("human_reviews.0.action.outcome") == "\"rejected\"");
  CHECK(at("opa_input.body.tool.name") == "\"write_file\"");
  CHECK(at("evidence.replay_handle") == "\"missing\"");
  CHECK(at("join_issues") == "[]");
}

TEST_CASE("replay output is canonical and repeatable", "[replay]") {
  DemoStore d;
  RunResult a = d.Replay({"pder_oep_demo_read_diff_0001", "--output-format", "jsonl"});
  RunResult b = d.Replay({"pder_oep_demo_read_diff_0001", "--output-format", "jsonl"});
  REQUIRE(a.exit_code == 0);
  CHECK(a.out == b.out);
  CHECK(std::count(a.out.begin(), a.out.end(), '\n') == 1);
  auto doc = oep::json::Parse(a.out);
  REQUIRE(doc.ok());
  CHECK(oep::json::CanonicalText(*doc) + "\n" == a.out);
}

TEST_CASE("replay --field prints one value", "[replay]") {
  DemoStore d;
  CHECK(d.Replay({"pder_oep_demo_read_diff_0001", "--field", "decision.allow"}).out == "true\n");
  CHECK(d.Replay({"pder_oep_demo_read_diff_0001", "--field", "trace.span.span_id", "--output-format", "human"}).out ==
        "a1b2c3d4e5f60002\n");
  RunResult r = d.Replay({"pder_oep_demo_read_diff_0001", "--field", "decision.nope"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("decision.nope") && Catch::Contains("top-level fields"));
}

TEST_CASE("replay human summary reads like an incident note", "[replay]") {
  DemoStore d;
  RunResult r = d.Replay({"pder_oep_demo_write_file_0002", "--output-format", "human"});
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::StartsWith("Decision pder_oep_demo_write_file_0002: DENIED"));
  CHECK_THAT(r.out, Catch::Contains("rule        deny_write_without_approval"));
  CHECK_THAT(r.out, Catch::Contains("review      hrev_oep_demo_write_file_0001: rejected by user_maintainer_billing"));
  CHECK_THAT(r.out, Catch::Contains("replay_handle missing"));
}

TEST_CASE("unknown decision id exits 1 naming the closest ids", "[replay]") {
  DemoStore d;
  RunResult r = d.Replay({"pder_oep_demo_read_dif_0001"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("no decision \"pder_oep_demo_read_dif_0001\"") &&
                        Catch::Contains("closest stored decision ids: pder_oep_demo_read_diff_0001"));
  CHECK(r.out.empty());
}

TEST_CASE("replay never writes to the store", "[replay]") {
  DemoStore d;
  std::string before = FileSha256(d.store);
  REQUIRE(d.Replay({"pder_oep_demo_read_diff_0001"}).exit_code == 0);
  CHECK(FileSha256(d.store) == before);
}

TEST_CASE("replay of a missing store is a clear error", "[replay]") {
  ScratchDir dir;
  RunResult r = RunOep({"replay", "--state-path", dir / "none.sqlite", "pder_x"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("no evidence store at"));
  CHECK(FileSha256(dir / "none.sqlite").empty());
}

TEST_CASE("replay reports evidence that is missing instead of failing", "[replay]") {
  DemoStore d;
  TamperSql(d.store, "DELETE FROM traces; DELETE FROM evals;");
  RunResult r = d.Replay({"pder_oep_demo_read_diff_0001", "--output-format", "jsonl"});
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("\"trace\":\"missing\"") && Catch::Contains("is not stored"));
}

TEST_CASE("OEP_STATE_PATH selects the store when --state-path is absent", "[replay]") {
  DemoStore d;
  RunResult r = RunOep({"replay", "pder_oep_demo_read_diff_0001", "--field", "decision_id"},
                       {"OEP_STATE_PATH=" + d.store});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "\"pder_oep_demo_read_diff_0001\"\n");
}
