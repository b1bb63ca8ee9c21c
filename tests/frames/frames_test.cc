#include <catch2/catch.hpp>

#include "frames/frames.h"
#include "json/json.h"
#include "schema/validator.h"
#include "support/support.h"

using namespace oep::test;

namespace {

constexpr const char* kTrace = "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd";

std::string Packet(const std::string& id, const std::string& time, const std::string& email) {
  return R"({"schema_version":"oep.tool_permission_packet.v0","packet_id":")" + id + R"(","decision_time":")" + time +
         R"(","release_manifest_id":"rmf_oep_code_review_demo_v0","event_id":"evt_)" + id + R"(","tool_call_id":"tc_)" + id +
         R"(","trace_id":")" + kTrace + R"(","span_id":"1111111111111111","actor":{"type":"agent","id":"agent_a"},)"
         R"("tool":{"name":"send_mail","operation":"write","version":"0.1.0"},"requested_action":{"action_type":"mail","name":"x"},)"
         R"("resource":{"type":"mailbox","id":")" + email + R"(","mutable":true},)"
         R"("decision":{"allow":false,"matched_rule":"deny_mail","reason":"no mail"},)"
         R"("policy":{"engine":"opa","package":"data.oep.permissions","policy_id":"p","policy_version":"0.1.0"},)"
         R"("policy_bundle_version":"sha256:0000000000000000000000000000000000000000000000000000000000000001"})";
}

struct FramesStore {
  ScratchDir dir;
  std::string store = dir / "f.sqlite";
  FramesStore() {
    WriteText(dir / "p1.json", Packet("pder_f1", "2026-05-04T00:00:00Z", "alice@example.com"));
    WriteText(dir / "p2.json", Packet("pder_f2", "2026-05-04T00:00:05Z", "mbox_2"));
    WriteText(dir / "profile.json", R"({"schema_version":"oep.redaction_profile.v0","detectors":["email"]})");
    RunResult r = RunOep({"ingest", RepoRoot() + "/manifest/examples/code_review_demo_release.v0.json", dir / "p1.json",
                          "--state-path", store, "--redaction-profile", dir / "profile.json"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    r = RunOep({"ledger", "drop", "--state-path", store, "--chain", std::string("run:") + kTrace, "--count", "3", "--reason",
                "exporter queue overflow", "--first-seq", "7", "--last-seq", "9"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    r = RunOep({"ingest", dir / "p2.json", "--state-path", store});
    REQUIRE(r.exit_code == 0);
    r = RunOep({"ledger", "break", "--state-path", store, "--chain", std::string("run:") + kTrace, "--reason", "agent restarted"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }
  RunResult Frames(const std::string& format) {
    return RunOep({"replay", "run", kTrace, "--state-path", store, "--output-format", format});
  }
};

std::string At(const rapidjson::Value& doc, const std::string& path) {
  const rapidjson::Value* v = oep::json::FindDotted(doc, path);
  return v == nullptr ? "<absent>" : oep::json::CanonicalText(*v);
}

}  // namespace

TEST_CASE("a run replays as ordered frames: events, redactions by hash, log drops and gaps", "[frames]") {
  FramesStore f;
  RunResult r = f.Frames("json");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto doc = oep::json::Parse(r.out);
  REQUIRE(doc.ok());
  CHECK(At(*doc, "served") == "true");
  CHECK(oep::Validator().ValidateWith(oep::kRunFramesSchemaPath, *doc).message() == "");
  {
    rapidjson::Document bogus;
    bogus.CopyFrom(*doc, bogus.GetAllocator());
    bogus["frames"][0]["type"].SetString("SMOOTHED");
    CHECK_THAT(oep::Validator().ValidateWith(oep::kRunFramesSchemaPath, bogus).message(), Catch::Contains("/frames/0/type"));
  }
  CHECK(At(*doc, "chain.verified") == "true");
  CHECK(At(*doc, "chain.sealed") == "false");
  const auto& frames = (*doc)["frames"];
  std::string types;
  for (const auto& fr : frames.GetArray()) types += std::string(fr["type"].GetString()) + " ";
  CHECK(types == "EVENT REDACTION LOG_DROP GAP EVENT GAP ");
  CHECK(At(*doc, "frames.0.artifact_id") == "\"pder_f1\"");
  CHECK(At(*doc, "frames.0.outcome") == "\"deny\"");
  CHECK(At(*doc, "frames.1.pointer") == "\"/resource/id\"");
  CHECK(At(*doc, "frames.1.detector") == "\"email\"");
  CHECK(At(*doc, "frames.1.warning_code") == "\"OEP-F003\"");
  CHECK(r.out.find("alice@example.com") == std::string::npos);
  CHECK(At(*doc, "frames.2.count") == "3");
  CHECK(At(*doc, "frames.3.missing_first_seq") == "7");
  CHECK(At(*doc, "frames.3.missing_last_seq") == "9");
  CHECK(At(*doc, "frames.5.reason") == "\"agent restarted\"");
  CHECK(At(*doc, "frames.5.warning_code") == "\"OEP-F001\"");
  CHECK(At(*doc, "warnings") ==
        "[{\"code\":\"OEP-F001\",\"count\":2},{\"code\":\"OEP-F002\",\"count\":1},{\"code\":\"OEP-F003\",\"count\":1},"
        "{\"code\":\"OEP-F005\",\"count\":1}]");
  RunResult human = f.Frames("human");
  CHECK_THAT(human.out, Catch::Contains("LOG_DROP") && Catch::Contains("3 events lost: exporter queue overflow  [OEP-F002]") &&
                            Catch::Contains("missing 7..9"));
  RunResult jsonl = f.Frames("jsonl");
  CHECK(std::count(jsonl.out.begin(), jsonl.out.end(), '\n') == 7);  // the run, then six frames
}

TEST_CASE("frame output is byte-identical run after run", "[frames]") {
  FramesStore f;
  for (const char* format : {"human", "json", "jsonl"}) {
    RunResult a = f.Frames(format), b = f.Frames(format);
    REQUIRE(a.exit_code == 0);
    CHECK(a.out == b.out);
  }
}

TEST_CASE("frames are not served from a chain that does not verify: why, and which entries", "[frames]") {
  FramesStore f;
  TamperSql(f.store, "UPDATE decisions SET body = replace(body, 'deny_mail', 'allow_mail') WHERE decision_id = 'pder_f2'");
  RunResult r = f.Frames("json");
  CHECK(r.exit_code == 1);
  auto doc = oep::json::Parse(r.out);
  REQUIRE(doc.ok());
  CHECK(At(*doc, "served") == "false");
  CHECK(oep::Validator().ValidateWith(oep::kRunFramesSchemaPath, *doc).message() == "");
  CHECK(At(*doc, "frames.0.type") == "\"CHAIN_UNVERIFIED\"");
  CHECK(At(*doc, "frames.0.failed_seq") == "3");  // p1, the drop, then p2
  CHECK(At(*doc, "frames.0.affected_seqs") == "[3,4]");
  CHECK_THAT(At(*doc, "frames.0.reason"), Catch::Contains("pder_f2") && Catch::Contains("content hash"));
  CHECK(r.out.find("allow_mail") == std::string::npos);
  CHECK((*doc)["frames"].Size() == 1);

  FramesStore g;
  TamperSql(g.store, std::string("DELETE FROM ledger WHERE chain_id = 'run:") + kTrace + "' AND seq = 3");
  RunResult gap = g.Frames("human");
  CHECK(gap.exit_code == 1);
  CHECK_THAT(gap.out, Catch::Contains("CHAIN_UNVERIFIED") && Catch::Contains("[OEP-F004]"));
}

TEST_CASE("replay run bad inputs are clear errors", "[frames][bad-input]") {
  FramesStore f;
  RunResult unknown = RunOep({"replay", "run", "ffffffffffffffffffffffffffffffff", "--state-path", f.store});
  CHECK(unknown.exit_code == 1);
  CHECK_THAT(unknown.err, Catch::Contains("has no ledger chain"));
  RunResult format = RunOep({"replay", "run", kTrace, "--state-path", f.store, "--output-format", "markdown"});
  CHECK(format.exit_code == 2);
  CHECK_THAT(format.err, Catch::Contains("expected human, json or jsonl"));
  RunResult none = RunOep({"replay", "--state-path", f.store});
  CHECK(none.exit_code == 2);
  CHECK_THAT(none.err, Catch::Contains("needs a decision id"));
}

TEST_CASE("a jump in the events' sequence numbers without a recorded drop is a GAP of its own", "[frames]") {
  ScratchDir dir;
  std::string store = dir / "g.sqlite";
  std::vector<std::string> args = {"ingest", RepoRoot() + "/manifest/examples/code_review_demo_release.v0.json", "--state-path", store};
  for (int seq : {1, 2, 5}) {
    auto doc = oep::json::Parse(ReadText(RepoRoot() + "/events/examples/code_review_demo_read_step.v0.json"));
    REQUIRE(doc.ok());
    auto& a = doc->GetAllocator();
    std::string id = "evt_gap_" + std::to_string(seq);
    (*doc)["event_id"].SetString(id.c_str(), a);
    (*doc)["trace_id"].SetString(kTrace, a);
    (*doc)["checkpoint"]["sequence"].SetInt(seq);
    doc->RemoveMember("permission_packet_ref");
    doc->RemoveMember("tool_call_id");
    WriteText(dir / (id + ".json"), oep::json::CanonicalText(*doc));
    args.push_back(dir / (id + ".json"));
  }
  RunResult in = RunOep(args);
  INFO(in.err);
  REQUIRE(in.exit_code == 0);
  RunResult r = RunOep({"replay", "run", kTrace, "--state-path", store, "--output-format", "json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto doc = oep::json::Parse(r.out);
  REQUIRE(doc.ok());
  std::string types;
  for (const auto& fr : (*doc)["frames"].GetArray()) types += std::string(fr["type"].GetString()) + " ";
  CHECK(types == "EVENT EVENT GAP EVENT ");
  CHECK(At(*doc, "frames.2.missing_first_seq") == "3");
  CHECK(At(*doc, "frames.2.missing_last_seq") == "4");
  CHECK_THAT(At(*doc, "frames.2.reason"), Catch::Contains("no recorded drop"));
}
