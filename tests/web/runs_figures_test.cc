// GET /v1/runs per-run figures (tool_calls, denials, cost_usd, duration_ms) over real HTTP
// on both store backends: the values a run's steps and decisions record, the same as
// GET /v1/diff's cost_duration of that run; runs without steps or costs say so with null.
#include <catch2/catch.hpp>

#include "json/json.h"
#include "server/server_fixture.h"
#include "support/store_backends.h"
#include "support/support.h"

using namespace oep;
using namespace oep::test;

namespace {

const std::string kMixed = "f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1";    // mixed event_time formats
const std::string kUniform = "f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2";  // every event_time "...Z", one length
const std::string kEmpty = "f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3";    // no steps

// Step `step` of `run` at `time`, with budget `budget` (a JSON object, "" for none) and a
// permission_packet_ref when `packet` is not empty.
std::string Step(const std::string& run, int step, const std::string& time, const std::string& budget,
                 const std::string& packet = "") {
  auto doc = json::Parse(StepEvent(run, step));
  auto& a = doc->GetAllocator();
  (*doc)["event_time"].SetString(time.c_str(), a);
  doc->RemoveMember("budget");
  if (!budget.empty()) {
    auto b = json::Parse(budget);
    rapidjson::Value v;
    v.CopyFrom(*b, a);
    doc->AddMember("budget", v, a);
  }
  if (!packet.empty()) doc->AddMember("permission_packet_ref", rapidjson::Value(packet.c_str(), a), a);
  return "{\"step\":" + std::to_string(step) + ",\"event\":" + json::CanonicalText(*doc) + "}";
}

// A permission packet of `run`'s event `event_id`: allowed or denied.
std::string Packet(const std::string& run, const std::string& packet_id, const std::string& event_id, bool allow) {
  auto doc = json::Parse(ReadText(RepoRoot() + "/permissions/examples/code_review_demo_write_denied.v0.json"));
  auto& a = doc->GetAllocator();
  (*doc)["packet_id"].SetString(packet_id.c_str(), a);
  (*doc)["event_id"].SetString(event_id.c_str(), a);
  (*doc)["trace_id"].SetString(run.c_str(), a);
  (*doc)["decision"]["allow"].SetBool(allow);
  return json::CanonicalText(*doc);
}

const rapidjson::Value* Listed(const HttpResult& list, const std::string& run) {
  for (const auto& r : list.json["runs"].GetArray()) {
    if (json::GetString(r, "run_id") == run) return &r;
  }
  return nullptr;
}

std::string Figures(const rapidjson::Value& v) {
  std::string out;
  for (const char* k : {"tool_calls", "denials", "cost_usd", "duration_ms"}) {
    out += std::string(k) + "=" + (v.HasMember(k) ? json::CanonicalText(v[k]) : "absent") + " ";
  }
  return out;
}

}  // namespace

TEST_CASE("the runs listing carries each run's tool calls denials cost and duration", "[web][runs-figures][postgres]") {
  for (const std::string& backend : StoreBackends()) {
    SECTION(backend) {
      ScratchDir dir;
      std::string state = NewStoreUrl(backend, dir);
      std::string key_path;
      std::vector<std::string> flags = ServerKeyFlags(state, dir.path(), &key_path);
      std::string ingest = MakeKey(state, "acme", "ingest"), viewer = MakeKey(state, "acme", "viewer");
      TestServer server(state, dir.path(), flags);
      REQUIRE(server.Post("/v1/artifacts", ManifestJson(), ingest).status == 200);
      for (const auto& run : {kMixed, kUniform, kEmpty}) {
        REQUIRE(server.Post("/v1/runs", "{\"run_id\":\"" + run + "\"}", ingest).status == 201);
      }
      std::string e1 = "evt_" + kMixed.substr(0, 8) + "_1", e2 = "evt_" + kMixed.substr(0, 8) + "_2";
      // Step 1's packet is found by its event id, step 2's by permission_packet_ref; step 3 has none.
      HttpResult p1 = server.Post("/v1/artifacts", Packet(kMixed, "pder_fig_1", e1, true), ingest);
      INFO(p1.body);
      REQUIRE(p1.status == 200);
      REQUIRE(server.Post("/v1/artifacts", Packet(kMixed, "pder_fig_2", e2, false), ingest).status == 200);
      std::string mixed = "{\"steps\":[" + Step(kMixed, 1, "2026-11-01T09:15:02Z", R"({"step_cost_usd":0.02,"run_cost_usd":0.02})") +
                          "," + Step(kMixed, 2, "2026-11-01T11:15:04.25+02:00", R"({"step_cost_usd":0.03})", "pder_fig_2") +
                          "," + Step(kMixed, 3, "2026-11-01T09:16:05.5Z", R"({"step_cost_usd":0.01})") + "]}";
      HttpResult posted = server.Post("/v1/runs/" + kMixed + "/steps", mixed, ingest);
      INFO(posted.body);
      REQUIRE(posted.status == 200);
      // Here the largest run cost (0.09) exceeds the summed step costs (0.015).
      std::string uniform = "{\"steps\":[" + Step(kUniform, 1, "2026-11-01T10:00:00.000Z", R"({"step_cost_usd":0.005})") +
                            "," + Step(kUniform, 2, "2026-11-01T10:00:01.500Z", R"({"step_cost_usd":0.01,"run_cost_usd":0.09})") +
                            "]}";
      REQUIRE(server.Post("/v1/runs/" + kUniform + "/steps", uniform, ingest).status == 200);

      HttpResult list = server.Get("/v1/runs", viewer);
      INFO(list.body);
      REQUIRE(list.status == 200);
      const rapidjson::Value* m = Listed(list, kMixed);
      const rapidjson::Value* u = Listed(list, kUniform);
      const rapidjson::Value* e = Listed(list, kEmpty);
      REQUIRE((m && u && e));
      // 09:15:02Z to 09:16:05.5Z (step 2, 09:15:04.25Z, written with an offset, lies between).
      CHECK(Figures(*m) == "tool_calls=2 denials=1 cost_usd=0.06 duration_ms=63500 ");
      CHECK(Figures(*u) == "tool_calls=0 denials=0 cost_usd=0.09 duration_ms=1500 ");
      CHECK(Figures(*e) == "tool_calls=0 denials=0 cost_usd=null duration_ms=null ");
      CHECK(json::GetString(*m, "run_id") == kMixed);  // the fields the listing had stay
      CHECK((*m)["steps"].GetInt64() == 3);

      // The same figures as the run diff's cost and duration of these runs.
      HttpResult d = server.Get("/v1/diff?runA=" + kMixed + "&runB=" + kUniform, viewer);
      INFO(d.body);
      REQUIRE(d.status == 200);
      for (const auto& [side, listed] : {std::pair{"a", m}, std::pair{"b", u}}) {
        const rapidjson::Value& cd = d.json["cost_duration"][side];
        for (const char* k : {"tool_calls", "denials", "cost_usd", "duration_ms"}) {
          INFO(side << " " << k);
          CHECK(json::CanonicalText(cd[k]) == json::CanonicalText((*listed)[k]));
        }
      }
    }
  }
}

TEST_CASE("the run figures follow the listing's pages and tenant", "[web][runs-figures]") {
  ScratchDir dir;
  std::string state = dir / "s.sqlite";
  std::string ingest = MakeKey(state, "acme", "ingest"), viewer = MakeKey(state, "acme", "viewer");
  std::string other = MakeKey(state, "globex", "viewer");
  TestServer server(state, dir.path());
  REQUIRE(server.Post("/v1/artifacts", ManifestJson(), ingest).status == 200);
  REQUIRE(server.Post("/v1/runs", "{\"run_id\":\"" + kUniform + "\"}", ingest).status == 201);
  REQUIRE(server.Post("/v1/runs", "{\"run_id\":\"" + kMixed + "\"}", ingest).status == 201);
  REQUIRE(server.Post("/v1/runs/" + kMixed + "/steps", "{\"steps\":[" + Step(kMixed, 1, "2026-11-01T09:00:00Z", R"({"step_cost_usd":0.5})") +
                                                          "," + Step(kMixed, 2, "2026-11-01T09:00:09Z", "") + "]}", ingest).status == 200);
  HttpResult first = server.Get("/v1/runs?limit=1", viewer);
  HttpResult second = server.Get("/v1/runs?limit=1&cursor=" + json::GetString(first.json, "next_cursor"), viewer);
  INFO(first.body << "\n" << second.body);
  REQUIRE(first.json["runs"].Size() == 1);
  REQUIRE(second.json["runs"].Size() == 1);
  const rapidjson::Value& a = first.json["runs"][0];
  const rapidjson::Value& b = second.json["runs"][0];
  const rapidjson::Value& mixed = json::GetString(a, "run_id") == kMixed ? a : b;
  const rapidjson::Value& uniform = json::GetString(a, "run_id") == kMixed ? b : a;
  CHECK(Figures(mixed) == "tool_calls=0 denials=0 cost_usd=0.5 duration_ms=9000 ");
  CHECK(Figures(uniform) == "tool_calls=0 denials=0 cost_usd=null duration_ms=null ");
  // Another tenant's listing is empty: no figures of acme's runs reach it.
  HttpResult foreign = server.Get("/v1/runs", other);
  CHECK(foreign.status == 200);
  CHECK(foreign.json["runs"].Size() == 0);
}
