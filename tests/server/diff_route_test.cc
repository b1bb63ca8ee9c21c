// GET /v1/diff over real HTTP: two runs posted through the runs API, compared; tenants
// see only their own runs; bad parameters are 400s.
#include <catch2/catch.hpp>

#include "json/json.h"
#include "server/server_fixture.h"
#include "support/store_backends.h"
#include "support/support.h"

using namespace oep;
using namespace oep::test;

namespace {

const std::string kRunA = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1";
const std::string kRunB = "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2";

bool HasPointer(const rapidjson::Value& list, const std::string& pointer, const std::string& change) {
  for (const auto& c : list.GetArray()) {
    if (json::GetString(c, "pointer") == pointer && json::GetString(c, "change") == change) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("GET /v1/diff compares two posted runs: model, tags and an inserted step", "[server][diff]") {
  ScratchDir dir;
  std::string state = NewStoreUrl(GENERATE(from_range(StoreBackends())), dir), server_key;
  std::string ingest = MakeKey(state, "acme", "ingest"), viewer = MakeKey(state, "acme", "viewer");
  std::string other = MakeKey(state, "globex", "viewer");
  TestServer server(state, dir.path(), ServerKeyFlags(state, dir.path(), &server_key));
  REQUIRE(server.Post("/v1/artifacts", ManifestJson(), ingest).status == 200);
  REQUIRE(server.Post("/v1/runs", "{\"run_id\":\"" + kRunA + "\",\"model\":\"m1\",\"tags\":[\"a\"]}", ingest).status == 201);
  REQUIRE(server.Post("/v1/runs", "{\"run_id\":\"" + kRunB + "\",\"model\":\"m2\",\"tags\":[\"a\",\"b\"]}", ingest).status == 201);
  REQUIRE(server.Post("/v1/runs/" + kRunA + "/steps", StepBatch(kRunA, 1, 2), ingest).status == 200);
  REQUIRE(server.Post("/v1/runs/" + kRunB + "/steps", StepBatch(kRunB, 1, 3), ingest).status == 200);

  HttpResult d = server.Get("/v1/diff?runA=" + kRunA + "&runB=" + kRunB, viewer);
  INFO(d.body);
  REQUIRE(d.status == 200);
  CHECK(json::GetString(d.json, "schema_version") == "oep.run_diff.v0");
  CHECK(json::GetString(d.json["runs"]["a"], "source") == "server run");
  CHECK(HasPointer(d.json["model"], "/run_model", "changed"));
  CHECK(HasPointer(d.json["metadata"], "/tags/b", "added"));
  CHECK(d.json["tool_calls"]["inserted"].GetInt64() == 1);
  CHECK(d.json["tool_calls"]["same"].GetInt64() == 2);
  CHECK(d.json["tool_calls"]["steps"][0]["b_step"].GetInt64() == 3);

  // The same request twice gives the same bytes.
  CHECK(server.Get("/v1/diff?runA=" + kRunA + "&runB=" + kRunB, viewer).body == d.body);
  HttpResult strict = server.Get("/v1/diff?runA=" + kRunA + "&runB=" + kRunB + "&profile=strict", viewer);
  CHECK(json::GetString(strict.json["profile"], "name") == "strict");

  // Another tenant does not see acme's runs.
  HttpResult foreign = server.Get("/v1/diff?runA=" + kRunA + "&runB=" + kRunB, other);
  CHECK(foreign.status == 404);
  CHECK(foreign.ErrorMessage().find("no run " + kRunA) != std::string::npos);

  std::string before = StoreDigest(state);
  HttpResult no_b = server.Get("/v1/diff?runA=" + kRunA, viewer);
  CHECK(no_b.status == 400);
  CHECK(no_b.ErrorMessage().find("?runB: expected a run id") != std::string::npos);
  HttpResult file = server.Get("/v1/diff?runA=" + kRunA + "&runB=" + kRunB + "&profile=/etc/passwd", viewer);
  CHECK(file.status == 400);
  CHECK(file.ErrorMessage().find("?profile: expected a built-in profile (default, strict)") != std::string::npos);
  HttpResult unknown = server.Get("/v1/diff?runA=" + kRunA + "&runB=" + kRunB + "&x=1", viewer);
  CHECK(unknown.status == 400);
  CHECK(StoreDigest(state) == before);
  // (A request without a key is audited as a denied request, so it comes last.)
  CHECK(server.Get("/v1/diff?runA=" + kRunA + "&runB=" + kRunB).status == 401);
}
