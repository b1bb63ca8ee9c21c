// GET /v1/runs/{id}/export over real loopback HTTP: JSON that verifies offline with the
// server's public key, markdown and PDF, tenancy and bad formats.
#include <catch2/catch.hpp>

#include "json/json.h"
#include "server/server_fixture.h"
#include "support/store_backends.h"

using namespace oep;
using namespace oep::test;

namespace {
const std::string kRun = "fedcba9876543210fedcba9876543210";
}  // namespace

TEST_CASE("a finished run exports over HTTP as JSON, markdown and PDF", "[server][export]") {
  ScratchDir dir;
  std::string state = NewStoreUrl(GENERATE(from_range(StoreBackends())), dir), server_key;
  std::string ingest = MakeKey(state, "acme", "ingest"), viewer = MakeKey(state, "acme", "viewer");
  std::string other = MakeKey(state, "globex", "viewer");
  TestServer server(state, dir.path(), ServerKeyFlags(state, dir.path(), &server_key));
  REQUIRE(server.Post("/v1/artifacts", ManifestJson(), ingest).status == 200);
  REQUIRE(server.Post("/v1/runs", "{\"run_id\":\"" + kRun + "\"}", ingest).status == 201);
  REQUIRE(server.Post("/v1/runs/" + kRun + "/steps", StepBatch(kRun, 1, 2), ingest).status == 200);
  REQUIRE(server.Post("/v1/runs/" + kRun + ":finish", "", ingest).status == 200);
  std::string before = StoreDigest(state);

  HttpResult json = server.Get("/v1/runs/" + kRun + "/export", viewer);
  REQUIRE(json.status == 200);
  CHECK(json::GetString(json.json["subject"], "chain_id") == "tenant:acme/run:" + kRun);
  WriteText(dir / "run.json", json.body);
  REQUIRE(RunOep({"keys", "export", "--key", server_key, "--out", dir / "server.pub.pem"}).exit_code == 0);
  RunResult verify = RunOep({"verify", "--export", dir / "run.json", "--trusted-key", "server=" + dir / "server.pub.pem"});
  INFO(verify.out << verify.err);
  CHECK(verify.exit_code == 0);
  CHECK_THAT(verify.out, Catch::Contains("sealed by trusted server key"));
  CHECK_THAT(verify.out, Catch::Contains("evidence class AUTHORITATIVE"));

  HttpResult md = server.Get("/v1/runs/" + kRun + "/export?format=markdown", viewer);
  CHECK(md.status == 200);
  CHECK_THAT(md.body, Catch::Contains("non-certifying"));
  HttpResult pdf = server.Get("/v1/runs/" + kRun + "/export?format=pdf", viewer);
  CHECK(pdf.status == 200);
  CHECK(pdf.body.rfind("%PDF-", 0) == 0);

  HttpResult bad = server.Get("/v1/runs/" + kRun + "/export?format=docx", viewer);
  CHECK(bad.status == 400);
  CHECK_THAT(bad.ErrorMessage(), Catch::Contains("?format: expected json, markdown or pdf"));
  CHECK(server.Get("/v1/runs/" + kRun + "/export", other).status == 404);  // another tenant's run
  CHECK(StoreDigest(state) == before);  // exports read only (a refused request is audited, below)
  CHECK(server.Get("/v1/runs/" + kRun + "/export").status == 401);
}
