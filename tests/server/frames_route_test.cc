// GET /v1/runs/{id}/frames over real loopback HTTP: a run's ordered frames, scoped to the
// caller's tenant; 409 with the reason when the chain does not verify.
#include <catch2/catch.hpp>

#include "json/json.h"
#include "server/server_fixture.h"

using namespace oep;
using namespace oep::test;

namespace {
const std::string kRun = "0123456789abcdef0123456789abcdef";
}  // namespace

TEST_CASE("a run's frames over HTTP: events, a log drop and its gap, tenancy, a broken chain", "[server][frames]") {
  ScratchDir dir;
  std::string state = dir / "s.sqlite";
  std::string ingest = MakeKey(state, "acme", "ingest"), viewer = MakeKey(state, "acme", "viewer");
  std::string other = MakeKey(state, "globex", "viewer");
  {
    TestServer server(state, dir.path());
    REQUIRE(server.Post("/v1/artifacts", ManifestJson(), ingest).status == 200);
    REQUIRE(server.Post("/v1/runs", "{\"run_id\":\"" + kRun + "\"}", ingest).status == 201);
    REQUIRE(server.Post("/v1/runs/" + kRun + "/steps", StepBatch(kRun, 1, 2), ingest).status == 200);
    HttpResult drop = server.Post("/v1/runs/" + kRun + ":drop", R"({"count":4,"first_seq":3,"last_seq":6,"reason":"buffer full"})", ingest);
    INFO(drop.body);
    REQUIRE(drop.status == 201);
    REQUIRE(server.Post("/v1/runs/" + kRun + ":finish", "", ingest).status == 200);
    std::string before = StoreDigest(state);

    HttpResult frames = server.Get("/v1/runs/" + kRun + "/frames", viewer);
    INFO(frames.body);
    REQUIRE(frames.status == 200);
    CHECK(frames.json["served"].GetBool());
    CHECK(json::GetString(frames.json["chain"], "chain_id") == "tenant:acme/run:" + kRun);
    CHECK(frames.json["chain"]["sealed"].GetBool());
    std::string types;
    for (const auto& f : frames.json["frames"].GetArray()) types += std::string(f["type"].GetString()) + " ";
    CHECK_THAT(types, Catch::Contains("EVENT") && Catch::Contains("LOG_DROP GAP"));
    for (const auto& f : frames.json["frames"].GetArray()) {
      if (std::string(f["type"].GetString()) == "EVENT") CHECK(f["content_checked"].GetBool());  // the run record too
    }
    CHECK(server.Get("/v1/runs/" + kRun + "/frames", viewer).body == frames.body);  // deterministic
    CHECK(StoreDigest(state) == before);  // frames read only (refused requests below are audited)
    CHECK(server.Get("/v1/runs/" + kRun + "/frames", other).status == 404);       // another tenant's run
    CHECK(server.Get("/v1/runs/not-a-run/frames", viewer).status == 404);
    CHECK(server.Get("/v1/runs/" + kRun + "/frames").status == 401);
  }
  TamperSql(state, "UPDATE events SET body = body || ' '");
  TestServer server(state, dir.path());
  HttpResult broken = server.Get("/v1/runs/" + kRun + "/frames", viewer);
  INFO(broken.body);
  CHECK(broken.status == 409);
  CHECK_FALSE(broken.json["served"].GetBool());
  CHECK(json::GetString(broken.json["frames"][0], "type") == "CHAIN_UNVERIFIED");
}
