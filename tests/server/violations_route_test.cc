// Monitors in `oep serve --monitor`: every ingested batch (run steps, /v1/artifacts, drops)
// is evaluated; what they flag is listed by GET /v1/violations, per tenant, once.
#include <filesystem>
#include <set>

#include <catch2/catch.hpp>

#include "json/json.h"
#include "server/server_fixture.h"
#include "support/store_backends.h"
#include "support/support.h"

using namespace oep;
using namespace oep::test;

namespace {

const std::string kRun = "d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4";

// Step `step` of kRun executing `tool` at a run cost of `cost` USD.
std::string ToolStep(int step, const std::string& tool, double cost) {
  auto doc = json::Parse(StepEvent(kRun, step));
  auto& a = doc->GetAllocator();
  (*doc)["event_type"].SetString("tool_call.executed", a);
  rapidjson::Value payload(rapidjson::kObjectType);
  payload.AddMember("tool", rapidjson::Value(tool.c_str(), a), a);
  doc->AddMember("tool_payload", payload, a);
  (*doc)["budget"]["run_cost_usd"].SetDouble(cost);
  return "{\"step\":" + std::to_string(step) + ",\"event\":" + json::CanonicalText(*doc) + "}";
}

}  // namespace

TEST_CASE("serve --monitor flags ingested steps and drops and GET /v1/violations lists them per tenant", "[server][monitors]") {
  ScratchDir dir;
  std::string state = NewStoreUrl(GENERATE(from_range(StoreBackends())), dir), server_key;
  std::string ingest = MakeKey(state, "acme", "ingest"), viewer = MakeKey(state, "acme", "viewer");
  std::string other = MakeKey(state, "globex", "viewer");
  std::vector<std::string> flags = ServerKeyFlags(state, dir.path(), &server_key);
  flags.insert(flags.end(), {"--monitor", RepoRoot() + "/permissions/policy/monitors"});
  TestServer server(state, dir.path(), flags);
  REQUIRE(server.Post("/v1/artifacts", ManifestJson(), ingest).status == 200);
  REQUIRE(server.Post("/v1/runs", "{\"run_id\":\"" + kRun + "\",\"model\":\"m1\"}", ingest).status == 201);

  std::string batch = "{\"steps\":[" + ToolStep(1, "read_file", 1.0) + "," + ToolStep(2, "delete_repository", 6.0) + "]}";
  HttpResult steps = server.Post("/v1/runs/" + kRun + "/steps", batch, ingest);
  INFO(steps.body << server.Log());
  REQUIRE(steps.status == 200);

  HttpResult list = server.Get("/v1/violations", viewer);
  REQUIRE(list.status == 200);
  const auto& items = list.json["violations"];
  REQUIRE(items.Size() == 2);  // blocked_tool and over_budget, both on step 2
  std::set<std::string> monitors;
  for (const auto& v : items.GetArray()) {
    monitors.insert(json::GetString(v, "monitor"));
    CHECK(json::GetString(v, "run_id") == kRun);
    CHECK(json::GetString(v, "policy_version").rfind("sha256:", 0) == 0);
    REQUIRE(v["event_ids"].Size() == 1);
    CHECK(std::string(v["event_ids"][0].GetString()) == "evt_" + kRun.substr(0, 8) + "_2");
  }
  CHECK(monitors == std::set<std::string>{"monitors.blocked_tool", "monitors.over_budget"});

  // A retried batch stores nothing new; another tenant sees nothing.
  REQUIRE(server.Post("/v1/runs/" + kRun + "/steps", batch, ingest).status == 200);
  CHECK(server.Get("/v1/violations", viewer).json["violations"].Size() == 2);
  CHECK(server.Get("/v1/violations", other).json["violations"].Size() == 0);

  HttpResult drop = server.Post("/v1/runs/" + kRun + ":drop",
                                "{\"count\":2,\"first_seq\":3,\"last_seq\":4,\"reason\":\"buffer full\"}", ingest);
  REQUIRE(drop.status == 201);
  HttpResult drops = server.Get("/v1/violations?monitor=monitors.log_drop", viewer);
  REQUIRE(drops.json["violations"].Size() == 1);
  CHECK(json::GetString(drops.json["violations"][0], "rule") == "violation");
  CHECK(json::GetString(drops.json["violations"][0], "run_id") == kRun);  // attributed to the run
  CHECK(json::GetString(drops.json["violations"][0], "message").find("dropped 2 events") != std::string::npos);

  HttpResult critical = server.Get("/v1/violations?severity=critical&run=" + kRun, viewer);
  REQUIRE(critical.json["violations"].Size() == 1);
  HttpResult page = server.Get("/v1/violations?limit=2", viewer);
  REQUIRE(page.json["violations"].Size() == 2);
  std::string after = json::GetString(page.json, "next_after");
  CHECK(server.Get("/v1/violations?limit=2&after=" + after, viewer).json["violations"].Size() == 1);

  HttpResult bad = server.Get("/v1/violations?severity=urgent", viewer);
  CHECK(bad.status == 400);
  CHECK(bad.ErrorMessage().find("severity: expected low, medium, high or critical") != std::string::npos);
  CHECK(server.Get("/v1/violations?colour=red", viewer).status == 400);
  CHECK(server.Get("/v1/violations", ingest).status == 403);
  CHECK(server.Get("/v1/violations").status == 401);
  CHECK(server.Stop() == 0);
  CHECK(RunOep({"verify", "--chain", "--store", state}).exit_code == 0);
}

TEST_CASE("serve refuses a monitor that does not compile, naming it", "[server][monitors][bad-input]") {
  ScratchDir dir;
  WriteText(dir / "bad.rego", "package m\n\nviolation contains v if {\n");
  RunResult r = RunOep({"serve", "--state-path", dir / "s.sqlite", "--listen", "127.0.0.1:0", "--monitor", dir / "bad.rego"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--monitor") != std::string::npos);
  CHECK(r.err.find("bad.rego:") != std::string::npos);
  CHECK(!std::filesystem::exists(dir / "s.sqlite"));  // refused before the store is opened
}

TEST_CASE("serve --monitor TENANT=PATH applies a monitor to that tenant's batches only", "[server][monitors]") {
  ScratchDir dir;
  std::string state = dir / "s.sqlite";
  std::string acme = MakeKey(state, "acme", "admin"), globex = MakeKey(state, "globex", "admin");
  WriteText(dir / "acme_only.rego",
            "package tenant.acme_only\n\ndeny contains msg if {\n\tsome e in input.events\n"
            "\tmsg := sprintf(\"acme watches %s\", [e.event_id])\n}\n");
  TestServer server(state, dir.path(),
                    {"--monitor", "acme=" + (dir / "acme_only.rego"), "--monitor", RepoRoot() + "/permissions/policy/monitors"});
  for (const std::string& key : {acme, globex}) {
    REQUIRE(server.Post("/v1/artifacts", ManifestJson(), key).status == 200);
    REQUIRE(server.Post("/v1/runs", "{\"run_id\":\"" + kRun + "\"}", key).status == 201);
    std::string batch = "{\"steps\":[" + ToolStep(1, "delete_repository", 0.5) + "]}";
    HttpResult steps = server.Post("/v1/runs/" + kRun + "/steps", batch, key);
    INFO(steps.body << server.Log());
    REQUIRE(steps.status == 200);
  }
  auto monitors_of = [&](const std::string& key) {
    std::multiset<std::string> out;
    HttpResult list = server.Get("/v1/violations", key);
    REQUIRE(list.status == 200);
    for (const auto& v : list.json["violations"].GetArray()) out.insert(json::GetString(v, "monitor"));
    return out;
  };
  // Both tenants get the monitors for every tenant; only acme gets its own as well.
  CHECK(monitors_of(acme) == std::multiset<std::string>{"monitors.blocked_tool", "tenant.acme_only"});
  CHECK(monitors_of(globex) == std::multiset<std::string>{"monitors.blocked_tool"});
  CHECK(server.Stop() == 0);
}

TEST_CASE("serve refuses a tenant's monitor set that loads one monitor twice or a path that does not exist", "[server][monitors][bad-input]") {
  ScratchDir dir;
  std::string monitors = RepoRoot() + "/permissions/policy/monitors";
  RunResult twice = RunOep({"serve", "--state-path", dir / "s.sqlite", "--listen", "127.0.0.1:0", "--monitor", monitors,
                            "--monitor", "acme=" + monitors + "/blocked_tool.rego"});
  CHECK(twice.exit_code == 2);
  CHECK_THAT(twice.err, Catch::Contains("--monitor: acme: ") && Catch::Contains("monitor monitors.blocked_tool is loaded twice"));
  // A prefix that is not a tenant name is part of the path.
  RunResult missing = RunOep({"serve", "--state-path", dir / "s.sqlite", "--listen", "127.0.0.1:0", "--monitor", "Not A Tenant=x"});
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.err, Catch::Contains("Not A Tenant=x: no such monitor file or folder"));
  RunResult check = RunOep({"serve", "--state-path", dir / "s.sqlite", "--check-config", "--monitor", "acme=" + (dir / "none")});
  CHECK(check.exit_code == 2);
  CHECK_THAT(check.err, Catch::Contains("acme: ") && Catch::Contains("none: no such monitor file or folder"));
  CHECK(!std::filesystem::exists(dir / "s.sqlite"));
}
