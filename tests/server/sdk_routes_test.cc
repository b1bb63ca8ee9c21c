// The routes the SDKs need beyond runs and steps: :drop (evidence loss on the run's chain),
// /v1/decide (the gate's live decision) and run metadata (SDK and framework versions).
#include <catch2/catch.hpp>

#include "json/json.h"
#include "server/server_fixture.h"
#include "support/store_backends.h"

using namespace oep;
using namespace oep::test;

namespace {

const std::string kRun = "00112233445566778899aabbccddeeff";

// A server on a fresh store of `backend`: the tests using it run on SQLite and PostgreSQL.
struct Served {
  ScratchDir dir;
  std::string backend, state = NewStoreUrl(backend, dir), server_key;
  std::string ingest = MakeKey(state, "acme", "ingest"), admin = MakeKey(state, "acme", "admin");
  std::string viewer = MakeKey(state, "acme", "viewer");
  TestServer server{state, dir.path(), ServerKeyFlags(state, dir.path(), &server_key)};
  explicit Served(std::string backend_name) : backend(std::move(backend_name)) {
    REQUIRE(server.Post("/v1/artifacts", ManifestJson(), ingest).status == 200);
    REQUIRE(server.Post("/v1/runs", "{\"run_id\":\"" + kRun + "\"}", ingest).status == 201);
  }
  HttpResult Drop(const std::string& body) { return server.Post("/v1/runs/" + kRun + ":drop", body, ingest); }
};

std::string GateInput(const std::string& operation, const std::string& tool) {
  return "{\"actor\":{\"type\":\"agent\",\"id\":\"a\"},\"tool\":{\"name\":\"" + tool + "\",\"operation\":\"" +
         operation + "\"},\"resource\":{\"mutable\":false}}";
}

}  // namespace

TEST_CASE("a drop is a ledger entry of the run's chain and makes it partial", "[server][sdk-routes]") {
  Served s(GENERATE(from_range(StoreBackends())));
  REQUIRE(s.server.Post("/v1/runs/" + kRun + "/steps", StepBatch(kRun, 1, 2), s.ingest).status == 200);
  HttpResult drop = s.Drop("{\"count\":3,\"first_seq\":4,\"last_seq\":7,\"reason\":\"sdk buffer full\"}");
  INFO(drop.body);
  REQUIRE(drop.status == 201);
  CHECK(drop.json["drop"]["count"].GetInt() == 3);
  REQUIRE(s.server.Post("/v1/runs/" + kRun + ":finish", "", s.ingest).status == 200);
  s.server.Stop();
  // --run names default-tenant chains only, so the run's line is read from --all-chains.
  REQUIRE(RunOep({"keys", "export", "--key", s.server_key, "--out", s.dir / "pub.pem"}).exit_code == 0);
  RunResult v = RunOep({"verify", "--chain", "--all-chains", "--store", s.state, "--trusted-key",
                        "server=" + s.dir / "pub.pem"});
  INFO(v.out << v.err);
  CHECK(v.exit_code == 0);
  size_t at = v.out.find("chain tenant:acme/run:" + kRun + ":");
  REQUIRE(at != std::string::npos);
  std::string line = v.out.substr(at, v.out.find('\n', at) - at);
  CHECK(line.find("1 drop(s)") != std::string::npos);
  CHECK(line.find("PARTIAL") != std::string::npos);
}

TEST_CASE("a bad drop is 400 naming the member, and stores nothing", "[server][sdk-routes][bad-input]") {
  Served s(GENERATE(from_range(StoreBackends())));
  // A denied request is audited, so it comes before the store's digest is taken.
  CHECK(s.server.Post("/v1/runs/" + kRun + ":drop", "{\"count\":1,\"first_seq\":1,\"last_seq\":1,\"reason\":\"r\"}",
                      s.viewer)
            .status == 403);
  std::string before = StoreDigest(s.state);
  struct Case {
    std::string body, pointer;
  };
  for (const Case& c : {Case{"[]", "/"}, Case{"{\"count\":0,\"first_seq\":1,\"last_seq\":1,\"reason\":\"r\"}", "/count"},
                        Case{"{\"count\":1,\"first_seq\":0,\"last_seq\":1,\"reason\":\"r\"}", "/first_seq"},
                        Case{"{\"count\":1,\"first_seq\":5,\"last_seq\":4,\"reason\":\"r\"}", "/last_seq"},
                        Case{"{\"count\":9,\"first_seq\":1,\"last_seq\":2,\"reason\":\"r\"}", "/count"},
                        Case{"{\"count\":1,\"first_seq\":1,\"last_seq\":1}", "/reason"},
                        Case{"{\"count\":1,\"first_seq\":1,\"last_seq\":1,\"reason\":\"r\",\"x\":1}", "/x"}}) {
    INFO(c.body);
    HttpResult r = s.Drop(c.body);
    CHECK(r.status == 400);
    CHECK(r.ErrorPointer() == c.pointer);
  }
  CHECK(s.server.Post("/v1/runs/ffffffffffffffffffffffffffffffff:drop",
                      "{\"count\":1,\"first_seq\":1,\"last_seq\":1,\"reason\":\"r\"}", s.ingest)
            .status == 404);
  s.server.Stop();
  CHECK(StoreDigest(s.state) == before);
}

TEST_CASE("a drop on a finished run is 409", "[server][sdk-routes][bad-input]") {
  Served s(GENERATE(from_range(StoreBackends())));
  REQUIRE(s.server.Post("/v1/runs/" + kRun + "/steps", StepBatch(kRun, 1, 1), s.ingest).status == 200);
  REQUIRE(s.server.Post("/v1/runs/" + kRun + ":finish", "", s.ingest).status == 200);
  HttpResult r = s.Drop("{\"count\":1,\"first_seq\":1,\"last_seq\":1,\"reason\":\"late\"}");
  CHECK(r.status == 409);
  CHECK(r.ErrorMessage().find("is finished") != std::string::npos);
}

TEST_CASE("decide answers the stored policy's decision for a gate's input", "[server][sdk-routes]") {
  Served s(GENERATE(from_range(StoreBackends())));
  REQUIRE(s.server.Post("/v1/policies?project=perms",
                        ReadText(RepoRoot() + "/permissions/policy/tool_permissions.rego"), s.admin)
              .status == 201);
  HttpResult allow = s.server.Post(
      "/v1/decide", "{\"policy\":{\"project\":\"perms\"},\"input\":" + GateInput("read", "read_diff") + "}", s.ingest);
  INFO(allow.body);
  REQUIRE(allow.status == 200);
  CHECK(json::GetString(allow.json, "decision") == "allow");
  CHECK(json::GetString(allow.json, "decision_code") == "ALLOW_READ_ONLY");
  CHECK(json::GetString(allow.json, "policy") == "perms/v1");
  HttpResult deny = s.server.Post(
      "/v1/decide", "{\"policy\":{\"project\":\"perms\"},\"input\":" + GateInput("write", "write_file") + "}", s.ingest);
  CHECK(json::GetString(deny.json, "decision") == "deny");
  CHECK(json::GetString(deny.json, "decision_code") == "DENY_WRITE_NEEDS_APPROVAL");
  HttpResult value = s.server.Post("/v1/decide",
                                   "{\"policy\":{\"rego\":\"package p\\nx := 1 + input.n\"},\"query\":\"data.p.x\","
                                   "\"input\":{\"n\":2}}",
                                   s.ingest);
  CHECK(json::GetString(value.json, "decision") == "value");
  CHECK(value.json["result"].GetInt() == 3);
}

TEST_CASE("a bad decide request is 400 or 404 and stores nothing", "[server][sdk-routes][bad-input]") {
  Served s(GENERATE(from_range(StoreBackends())));
  CHECK(s.server.Post("/v1/decide", "{\"policy\":{\"rego\":\"package p\"},\"input\":{}}", s.viewer).status == 403);
  std::string before = StoreDigest(s.state);
  CHECK(s.server.Post("/v1/decide", "{\"policy\":{\"project\":\"none\"},\"input\":{}}", s.ingest).status == 404);
  HttpResult no_input = s.server.Post("/v1/decide", "{\"policy\":{\"rego\":\"package p\"}}", s.ingest);
  CHECK(no_input.status == 400);
  CHECK(no_input.ErrorPointer() == "/input");
  HttpResult extra = s.server.Post("/v1/decide", "{\"policy\":{\"rego\":\"package p\"},\"input\":{},\"y\":1}", s.ingest);
  CHECK(extra.ErrorPointer() == "/y");
  HttpResult bad_query =
      s.server.Post("/v1/decide", "{\"policy\":{\"rego\":\"package p\"},\"input\":{},\"query\":\"data.p[\"}", s.ingest);
  CHECK(bad_query.status == 400);
  CHECK(s.server.Post("/v1/decide", "{\"policy\":{\"rego\":\"package p\\nx if {\"},\"input\":{}}", s.ingest).status ==
        400);
  s.server.Stop();
  CHECK(StoreDigest(s.state) == before);
}

TEST_CASE("a run's metadata (SDK and framework versions) is returned with the run", "[server][sdk-routes]") {
  Served s(GENERATE(from_range(StoreBackends())));
  std::string id = "ffeeddccbbaa99887766554433221100";
  HttpResult made = s.server.Post(
      "/v1/runs", "{\"run_id\":\"" + id + "\",\"metadata\":{\"sdk\":{\"name\":\"oep-python\",\"version\":\"0.1.0\"}}}",
      s.ingest);
  REQUIRE(made.status == 201);
  HttpResult got = s.server.Get("/v1/runs/" + id, s.viewer);
  CHECK(json::GetString(got.json["metadata"]["sdk"], "version") == "0.1.0");
}

TEST_CASE("the unspecified release is stored once, and events naming it are then accepted", "[server][sdk-routes]") {
  Served s(GENERATE(from_range(StoreBackends())));
  std::string id = "0f0e0d0c0b0a09080706050403020100";
  REQUIRE(s.server.Post("/v1/runs", "{\"run_id\":\"" + id + "\"}", s.ingest).status == 201);
  auto doc = json::Parse(StepEvent(id, 1));
  (*doc)["release_manifest_id"].SetString("rmf_unspecified");
  std::string batch = "{\"steps\":[{\"step\":1,\"event\":" + json::CanonicalText(*doc) + "}]}";
  CHECK(s.server.Post("/v1/runs/" + id + "/steps", batch, s.ingest).status == 400);  // not stored yet
  HttpResult made = s.server.Post("/v1/releases/unspecified", "", s.ingest);
  INFO(made.body);
  CHECK(made.status == 201);
  CHECK(json::GetString(made.json, "release_manifest_id") == "rmf_unspecified");
  std::string before = StoreDigest(s.state);
  CHECK(s.server.Post("/v1/releases/unspecified", "", s.ingest).status == 200);
  CHECK(StoreDigest(s.state) == before);
  CHECK(s.server.Post("/v1/runs/" + id + "/steps", batch, s.ingest).status == 200);
}
