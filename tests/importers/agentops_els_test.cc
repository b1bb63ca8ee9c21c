// `oep import agentops-els FILE`: AgentOps Replay session logs as runs that keep their hash
// chain and evidence class; tampered logs are refused; `oep verify` re-checks the chain.
#include <catch2/catch.hpp>

#include "crypto/sha256.h"
#include "json/json.h"
#include "server/server_fixture.h"
#include "store/store.h"
#include "support/store_backends.h"

using namespace oep;
using namespace oep::test;

namespace {

const std::string kValidRun = "550e8400e29b41d4a716446655440000";  // valid_session.jsonl's session id

std::string Els(const char* name) { return CorpusDir("agentops-replay") + "/" + name; }

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    if (end > at) out.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  return out;
}

// The events `lines` re-chained (prev_hash, event_hash recomputed) after `edit` changed them.
std::string Rechain(const std::vector<std::string>& lines, const std::function<void(rapidjson::Document&, size_t)>& edit) {
  std::string prev(64, '0'), out;
  for (size_t i = 0; i < lines.size(); ++i) {
    auto doc = json::Parse(lines[i]);
    REQUIRE(doc.ok());
    edit(*doc, i);
    doc->RemoveMember("event_hash");
    (*doc)["prev_hash"].SetString(prev.c_str(), doc->GetAllocator());
    prev = crypto::Sha256Hex(json::CanonicalText(*doc));
    doc->AddMember("event_hash", rapidjson::Value(prev.c_str(), doc->GetAllocator()), doc->GetAllocator());
    out += json::CanonicalText(*doc) + "\n";
  }
  return out;
}

std::vector<rapidjson::Document> StoredEvents(const std::string& state, const std::string& run) {
  auto store = Store::Open(state, Store::Mode::kReadOnly);
  REQUIRE(store.ok());
  auto steps = (*store)->RunSteps(run, 0, 100);
  REQUIRE(steps.ok());
  std::vector<rapidjson::Document> out;
  for (const auto& s : *steps) out.push_back(std::move(*json::Parse(s.body)));
  return out;
}

}  // namespace

TEST_CASE("an ELS v1.0 log imports as a run keeping its chain and again changes nothing", "[import][agentops-els]") {
  if (CorpusDir("agentops-replay").empty()) return;
  ScratchDir dir;
  std::string state = NewStoreUrl(GENERATE(from_range(StoreBackends())), dir);
  RunResult r = RunOep({"import", "agentops-els", Els("valid_session.jsonl"), "--store", state});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("8 events (v1.0 envelope, NON_AUTHORITATIVE_EVIDENCE) of run " + kValidRun +
                                    ": 8 stored, 0 already stored; new run"));
  auto events = StoredEvents(state, kValidRun);
  REQUIRE(events.size() == 8);
  auto lines = Lines(ReadText(Els("valid_session.jsonl")));
  for (size_t i = 0; i < 8; ++i) {
    INFO(i);
    CHECK(json::CanonicalText(events[i]["payload"]["els"]) == json::CanonicalText(*json::Parse(lines[i])));
    CHECK(json::GetString(events[i]["links"], "els_event_hash") == json::GetString(*json::Parse(lines[i]), "event_hash"));
    CHECK(json::GetString(events[i]["evidence_status"], "els_hash") == "present");
  }
  CHECK(json::GetString(events[0], "event_type") == "session.started");
  CHECK(json::GetString(events[1], "event_type") == "llm.call");
  CHECK(json::GetString(events[3]["action"], "name") == "calculator");
  CHECK(json::GetString(events[0]["actor"], "id") == "test-agent");
  CHECK(json::GetString(events[7]["payload"], "evidence_class") == "NON_AUTHORITATIVE_EVIDENCE");

  std::string before = StoreDigest(state);
  RunResult again = RunOep({"import", "agentops-els", Els("valid_session.jsonl"), "--store", state});
  CHECK_THAT(again.out, Catch::Contains("0 stored, 8 already stored"));
  CHECK(StoreDigest(state) == before);

  RunResult verify = RunOep({"verify", "--store", state});
  CHECK_THAT(verify.out, Catch::Contains("ok   agentops-els: 1 imported AgentOps sessions, 8 ELS events re-verified from "
                                         "their steps; " + kValidRun + " NON_AUTHORITATIVE_EVIDENCE"));
  RunResult frames = RunOep({"replay", "run", kValidRun, "--output-format", "jsonl", "--store", state});
  INFO(frames.err);
  REQUIRE(frames.exit_code == 0);
  auto frame_lines = Lines(frames.out);
  REQUIRE(frame_lines.size() >= 9);
  int event_frames = 0;
  for (const auto& line : frame_lines) {
    auto f = json::Parse(line);
    REQUIRE(f.ok());
    if (json::GetString(*f, "type") == "EVENT" && f->HasMember("event_sequence")) {
      ++event_frames;
      CHECK((*f)["event_sequence"].GetInt64() == event_frames);  // the logged chain's order
    }
  }
  CHECK(event_frames == 8);
}

TEST_CASE("legacy ELS logs keep their evidence class and record a log drop as evidence loss", "[import][agentops-els]") {
  if (CorpusDir("agentops-replay").empty()) return;
  ScratchDir dir;
  std::string state = NewStoreUrl(GENERATE(from_range(StoreBackends())), dir);
  RunResult drop = RunOep({"import", "agentops-els", Els("log_drop_session.jsonl"), "--store", state});
  INFO(drop.err);
  REQUIRE(drop.exit_code == 0);
  CHECK_THAT(drop.out, Catch::Contains("3 events (legacy envelope, PARTIAL_AUTHORITATIVE_EVIDENCE) of run b16ae9852aa843039751fe49c4398623"));
  auto events = StoredEvents(state, "b16ae9852aa843039751fe49c4398623");
  REQUIRE(events.size() == 3);
  CHECK(json::GetString(events[1], "event_type") == "evidence.log_drop");
  CHECK(json::GetString(events[1]["evidence_loss"][0], "impact") == "3 events lost before logging (buffer_overflow)");
  CHECK(json::GetString(events[2], "event_type") == "evidence.chain_sealed");
  CHECK(json::GetString(events[2]["payload"], "evidence_class") == "PARTIAL_AUTHORITATIVE_EVIDENCE");
  REQUIRE(RunOep({"import", "agentops-els", Els("authoritative_session.jsonl"), "--store", state}).exit_code == 0);
  RunResult verify = RunOep({"verify", "--store", state});
  CHECK_THAT(verify.out, Catch::Contains("ok   agentops-els: 2 imported AgentOps sessions, 6 ELS events"));
  CHECK_THAT(verify.out, Catch::Contains("b16ae9852aa843039751fe49c4398623 PARTIAL_AUTHORITATIVE_EVIDENCE"));
  CHECK_THAT(verify.out, Catch::Contains(" AUTHORITATIVE_EVIDENCE"));
}

TEST_CASE("a tampered ELS log is refused naming each line and reason and nothing is stored", "[import][agentops-els][bad-input]") {
  if (CorpusDir("agentops-replay").empty()) return;
  ScratchDir dir;
  std::string state = NewStoreUrl(GENERATE(from_range(StoreBackends())), dir);
  REQUIRE(RunOep({"import", "agentops-els", Els("authoritative_session.jsonl"), "--store", state}).exit_code == 0);
  std::string before = StoreDigest(state);
  struct Case {
    const char* file;
    std::vector<std::string> reasons;
  };
  for (const Case& c : {Case{"tampered_hash.jsonl", {"line 5, seq 5: event_hash does not match the event's canonical form",
                                                     "line 6, seq 6: prev_hash does not link to the previous event_hash"}},
                        Case{"tampered_session.jsonl", {"line 2: event_hash does not match"}},
                        Case{"sequence_gap.jsonl", {"line 4, seq 5: sequence gap, seq 4 is missing"}}}) {
    INFO(c.file);
    RunResult r = RunOep({"import", "agentops-els", Els(c.file), "--store", state});
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Catch::Contains(Els(c.file) + ": the ELS hash chain does not verify, nothing imported:"));
    for (const auto& reason : c.reasons) CHECK_THAT(r.err, Catch::Contains(reason));
  }
  WriteText(dir / "not_json.jsonl", "{\"seq\": 1}\n{oops\n");
  RunResult bad = RunOep({"import", "agentops-els", dir / "not_json.jsonl", "--store", state});
  CHECK(bad.exit_code != 0);
  CHECK_THAT(bad.err, Catch::Contains("not_json.jsonl: line 2: "));
  CHECK(StoreDigest(state) == before);
}

TEST_CASE("a longer log of an imported session appends and another log of it is a conflict", "[import][agentops-els]") {
  if (CorpusDir("agentops-replay").empty()) return;
  ScratchDir dir;
  std::string state = NewStoreUrl(GENERATE(from_range(StoreBackends())), dir);
  auto lines = Lines(ReadText(Els("valid_session.jsonl")));
  std::string head;
  for (size_t i = 0; i < 4; ++i) head += lines[i] + "\n";
  WriteText(dir / "head.jsonl", head);
  REQUIRE(RunOep({"import", "agentops-els", dir / "head.jsonl", "--store", state}).exit_code == 0);
  RunResult full = RunOep({"import", "agentops-els", Els("valid_session.jsonl"), "--store", state});
  CHECK_THAT(full.out, Catch::Contains("4 stored, 4 already stored"));
  CHECK(StoredEvents(state, kValidRun).size() == 8);
  std::string before = StoreDigest(state);
  WriteText(dir / "other.jsonl", Rechain(lines, [](rapidjson::Document& d, size_t i) {
              if (i == 2) d["payload"]["content"].SetString("edited, and re-chained");
            }));
  RunResult other = RunOep({"import", "agentops-els", dir / "other.jsonl", "--store", state});
  CHECK(other.exit_code != 0);
  CHECK_THAT(other.err, Catch::Contains("other.jsonl: line 3: run " + kValidRun + " holds another event at position 3"));
  CHECK(StoreDigest(state) == before);
  CHECK(RunOep({"verify", "--store", state}).exit_code == 0);
}

TEST_CASE("an ELS event the default redaction erases is stored as declared and still verifies", "[import][agentops-els]") {
  if (CorpusDir("agentops-replay").empty()) return;
  ScratchDir dir;
  std::string state = NewStoreUrl(GENERATE(from_range(StoreBackends())), dir);
  auto lines = Lines(ReadText(Els("valid_session.jsonl")));
  WriteText(dir / "secret.jsonl", Rechain(lines, [](rapidjson::Document& d, size_t i) {
              if (i == 3) d["payload"].AddMember("api_key", "sk-live-123", d.GetAllocator());
            }));
  RunResult r = RunOep({"import", "agentops-els", dir / "secret.jsonl", "--store", state});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto events = StoredEvents(state, kValidRun);
  REQUIRE(events.size() == 8);
  CHECK(json::GetString(events[3]["evidence_status"], "els_hash") == "declared");
  CHECK(json::CanonicalText(events[3]).find("sk-live-123") == std::string::npos);
  CHECK(json::GetString(events[4]["evidence_status"], "els_hash") == "present");
  RunResult verify = RunOep({"verify", "--store", state});
  CHECK_THAT(verify.out, Catch::Contains("ok   agentops-els: 1 imported AgentOps sessions, 8 ELS events"));
}

TEST_CASE("an imported ELS session whose events retention deleted verifies and says it was not re-verified", "[import][agentops-els][retention]") {
  if (CorpusDir("agentops-replay").empty()) return;
  ScratchDir dir;
  std::string state = dir / "s.sqlite";
  REQUIRE(RunOep({"import", "agentops-els", Els("valid_session.jsonl"), "--store", state}).exit_code == 0);
  RunResult retention = RunOep({"retention", "apply", "--older-than", "1d", "--store", state});
  INFO(retention.out << retention.err);
  REQUIRE(retention.exit_code == 0);
  CHECK_THAT(retention.out, Catch::Contains("events 8"));
  RunResult verify = RunOep({"verify", "--store", state});
  INFO(verify.out << verify.err);
  CHECK(verify.exit_code == 0);
  CHECK_THAT(verify.out, Catch::Contains("ok   agentops-els: 1 imported AgentOps sessions, 0 ELS events re-verified from "
                                         "their steps, 8 deleted by retention; " + kValidRun +
                                         " not re-verified: 8 of its events deleted by retention"));
}
