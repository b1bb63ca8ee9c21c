// /v1/approvals over real HTTP: roles decide who may request, approve and break glass;
// approving returns a token signed with the server key, which `oep verify` accepts.
#include <catch2/catch.hpp>

#include "json/json.h"
#include "server/server_fixture.h"
#include "support/store_backends.h"
#include "support/support.h"

using namespace oep;
using namespace oep::test;

namespace {

const std::string kRun = "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3";

std::string RequestBody(const std::string& extra = "") {
  return "{\"run_id\":\"" + kRun + "\",\"step\":2,\"tool\":\"write_file\",\"action_summary\":\"write the fix\","
         "\"risk\":\"high\",\"payload_sha256\":\"sha256:" + std::string(64, 'a') + "\"" + extra + "}";
}

}  // namespace

TEST_CASE("approvals over HTTP: ingest requests, approvers decide, viewers cannot, admins break glass", "[server][approvals]") {
  ScratchDir dir;
  std::string state = NewStoreUrl(GENERATE(from_range(StoreBackends())), dir);
  std::string ingest = MakeKey(state, "acme", "ingest"), viewer = MakeKey(state, "acme", "viewer");
  std::string approver = MakeKey(state, "acme", "approver"), admin = MakeKey(state, "acme", "admin");
  WriteEd25519Key(dir / "server.pem");
  TestServer server(state, dir.path(), {"--server-key", dir / "server.pem"});

  HttpResult requested = server.Post("/v1/approvals", RequestBody(), ingest);
  INFO(requested.body);
  REQUIRE(requested.status == 201);
  std::string id = json::GetString(requested.json, "request_id");
  CHECK(json::GetString(requested.json, "requested_by").rfind("key:", 0) == 0);

  std::string before = StoreDigest(state);
  HttpResult by_viewer = server.Post("/v1/approvals/" + id + ":approve", "{\"reason\":\"ok\"}", viewer);
  CHECK(by_viewer.status == 403);
  HttpResult bad = server.Post("/v1/approvals/" + id + ":approve", "{\"why\":\"ok\"}", approver);
  CHECK(bad.status == 400);
  CHECK(bad.ErrorPointer() == "/why");
  HttpResult no_reason = server.Post("/v1/approvals/" + id + ":approve", "{}", approver);
  CHECK(no_reason.status == 400);
  CHECK(no_reason.ErrorMessage().find("/reason: expected a string") != std::string::npos);
  HttpResult bad_request = server.Post("/v1/approvals", RequestBody(",\"risk2\":1"), ingest);
  CHECK(bad_request.status == 400);
  HttpResult bad_risk = server.Post("/v1/approvals", "{\"run_id\":\"" + kRun + "\",\"step\":2,\"tool\":\"t\",\"action_summary\":\"s\","
                                    "\"risk\":\"huge\",\"payload_sha256\":\"sha256:" + std::string(64, 'a') + "\"}", ingest);
  CHECK(bad_risk.status == 400);
  CHECK(bad_risk.ErrorMessage().find("/risk: expected low, medium, high or critical") != std::string::npos);
  HttpResult unknown = server.Post("/v1/approvals/apr_" + std::string(32, '0') + ":deny", "{\"reason\":\"no\"}", approver);
  CHECK(unknown.status == 404);

  HttpResult approved = server.Post("/v1/approvals/" + id + ":approve", "{\"reason\":\"reviewed\",\"ttl_seconds\":600}", approver);
  REQUIRE(approved.status == 200);
  CHECK(json::GetString(approved.json, "decision") == "approved");
  CHECK(json::GetString(approved.json["token"]["payload"], "tenant") == "acme");
  CHECK(server.Post("/v1/approvals/" + id + ":deny", "{\"reason\":\"changed my mind\"}", approver).status == 409);

  HttpResult list = server.Get("/v1/approvals?status=approved", viewer);
  REQUIRE(list.status == 200);
  REQUIRE(list.json["approvals"].Size() == 1);
  CHECK(json::GetString(list.json["approvals"][0], "token_id") == json::GetString(approved.json, "token_id"));
  CHECK(server.Get("/v1/approvals?status=maybe", viewer).status == 400);
  CHECK(server.Get("/v1/approvals", MakeKey(state, "globex", "viewer")).json["approvals"].Size() == 0);

  CHECK(server.Post("/v1/approvals:break-glass", RequestBody(",\"reason\":\"outage\""), approver).status == 403);
  HttpResult glass = server.Post("/v1/approvals:break-glass", RequestBody(",\"reason\":\"INC-1: outage\""), admin);
  INFO(glass.body);
  CHECK(glass.status == 201);
  CHECK(json::GetString(glass.json, "decision") == "break_glass");
}
