// Tenancy over HTTP: every endpoint, every role of another tenant, sees nothing of acme's.
#include <catch2/catch.hpp>

#include <functional>
#include <map>

#include "json/json.h"
#include "server/server_fixture.h"

using namespace oep;
using namespace oep::test;

namespace {

const std::string kRun = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const std::string kDecision = "pder_opa_0b6e1c2d-5f7a-4e3b-9c1d-2a3b4c5d6e01";

std::string Body(const std::string& file) { return ReadText(RepoRoot() + "/tests/data/opa_decision_log/" + file); }

}  // namespace

TEST_CASE("another tenant's keys, of every role, get 404 or nothing for acme's evidence", "[server][tenancy]") {
  ScratchDir dir;
  std::string state = dir / "s.sqlite";
  std::string acme = MakeKey(state, "acme", "admin");
  std::map<std::string, std::string> beta;
  for (const char* role : {"admin", "approver", "viewer", "ingest"}) beta[role] = MakeKey(state, "beta", role);
  TestServer server(state, dir.path());
  REQUIRE(server.Post("/v1/artifacts", ManifestJson(), acme).status == 200);
  REQUIRE(server.Post("/v1/runs", "{\"run_id\":\"" + kRun + "\"}", acme).status == 201);
  REQUIRE(server.Post("/v1/runs/" + kRun + "/steps", StepBatch(kRun, 1, 2), acme).status == 200);
  REQUIRE(server.Post("/logs", Body("service_body.json"), acme).status == 200);
  REQUIRE(server.Get("/v1/decisions/" + kDecision, acme).status == 200);

  // What beta learns about acme's ids must be what it learns about ids nobody holds: the
  // same status and the same body (which echoes the id asked for).
  const std::string kNobody = "cccccccccccccccccccccccccccccccc", kNoDecision = "pder_opa_nobody";
  auto same = [&](const std::function<HttpResult(const std::string&, const std::string&)>& call, bool allowed,
                  int status) {
    HttpResult mine = call(kRun, kDecision), nobody = call(kNobody, kNoDecision);
    CHECK(mine.status == (allowed ? status : 403));
    CHECK(mine.status == nobody.status);
    std::string masked = mine.body;
    for (auto [from, to] : {std::pair{kRun, kNobody}, std::pair{kDecision, kNoDecision}}) {
      for (size_t at; (at = masked.find(from)) != std::string::npos;) masked.replace(at, from.size(), to);
    }
    CHECK(masked == nobody.body);
    CHECK(mine.body.find("evt_aaaaaaaa") == std::string::npos);
    CHECK(mine.body.find("0b6e1c2d-5f7a-4e3b-9c1d-2a3b4c5d6e02") == std::string::npos);
  };
  for (const auto& [role, key] : beta) {
    INFO("beta " << role);
    bool reads = role != "ingest", writes = role == "admin" || role == "ingest";
    same([&](const std::string& run, const std::string&) { return server.Get("/v1/runs/" + run, key); }, reads, 404);
    same([&](const std::string& run, const std::string&) { return server.Get("/v1/runs/" + run + "/steps", key); }, reads,
         404);
    same([&](const std::string& run, const std::string&) {
      return server.Post("/v1/runs/" + run + "/steps", StepBatch(run, 3, 3), key);
    }, writes, 404);
    same([&](const std::string& run, const std::string&) { return server.Post("/v1/runs/" + run + ":finish", "", key); },
         writes, 404);
    same([&](const std::string&, const std::string& d) { return server.Get("/v1/decisions/" + d, key); }, reads, 404);
    HttpResult runs = server.Get("/v1/runs", key);
    CHECK(runs.status == (reads ? 200 : 403));
    if (reads) CHECK(runs.json["runs"].Size() == 0);
    HttpResult decisions = server.Get("/v1/decisions", key);
    CHECK(decisions.status == (reads ? 200 : 403));
    if (reads) CHECK(decisions.json["decisions"].Size() == 0);
    HttpResult audit = server.Get("/v1/audit", key);
    CHECK(audit.status == (role == "admin" ? 200 : 403));
    CHECK(audit.body.find("acme") == std::string::npos);
  }
  // The same ids are free in beta: no 409 tells beta that acme holds them.
  HttpResult manifest = server.Post("/v1/artifacts", ManifestJson(), beta["ingest"]);
  CHECK(manifest.status == 200);
  CHECK(manifest.json["inserted"].GetInt() == 1);
  CHECK(server.Post("/v1/runs", "{\"run_id\":\"" + kRun + "\",\"model\":\"other\"}", beta["ingest"]).status == 201);
  HttpResult logs = server.Post("/logs", Body("service_body.json"), beta["ingest"]);
  CHECK(logs.status == 200);
  CHECK(logs.json["unchanged"].GetInt() == 0);
  // acme's run is untouched by beta's writes.
  HttpResult mine = server.Get("/v1/runs/" + kRun, acme);
  CHECK(mine.json["steps"].GetInt() == 2);
  CHECK(mine.json["model"].IsNull());
}

TEST_CASE("the CLI works on the default tenant of a served store", "[server][tenancy]") {
  ScratchDir dir;
  std::string state = dir / "s.sqlite";
  std::string acme = MakeKey(state, "acme", "ingest");
  {
    TestServer server(state, dir.path());
    REQUIRE(server.Post("/logs", Body("service_body.json"), acme).status == 200);
  }
  // acme's decisions are not the CLI's (default tenant); the CLI's ingest still works.
  RunResult replay = RunOep({"replay", kDecision, "--state-path", state});
  CHECK(replay.exit_code == 1);
  CHECK(replay.err.find("no decision \"" + kDecision + "\"") != std::string::npos);
  RunResult import = RunOep({"import", "opa-decision-log", RepoRoot() + "/tests/data/opa_decision_log/service_body.json",
                             "--state-path", state});
  REQUIRE(import.exit_code == 0);
  CHECK(RunOep({"replay", kDecision, "--state-path", state}).exit_code == 0);
  CHECK(RunOep({"verify", "--chain", "--state-path", state}).exit_code == 0);
}
