// Two `oep serve` processes on one PostgreSQL database, posting into the same tenant at
// once: every step of every run is stored once, in order, each run's chain verifies, and
// what one server stored the other serves.
#include <catch2/catch.hpp>

#include <thread>

#include "json/json.h"
#include "server/server_fixture.h"
#include "support/store_backends.h"

using namespace oep;
using namespace oep::test;

TEST_CASE("PostgreSQL: two servers on one database ingest at once without losing or forking", "[server][postgres][concurrency]") {
  PostgresCluster* c = PostgresOrSkip(Catch::getResultCapture().getCurrentTestName());
  if (c == nullptr) return;
  ScratchDir dir, dir1, dir2;
  std::string url = c->NewDatabase();
  std::string key = MakeKey(url, "acme", "admin");
  WriteEd25519Key(dir / "s1.pem");
  WriteEd25519Key(dir / "s2.pem");
  TestServer s1(url, dir1.path(), {"--server-key", dir / "s1.pem"});
  TestServer s2(url, dir2.path(), {"--server-key", dir / "s2.pem"});
  REQUIRE(s1.Post("/v1/artifacts", ManifestJson(), key).status == 200);
  const std::string run_a(32, 'a'), run_b(32, 'b');
  REQUIRE(s1.Post("/v1/runs", "{\"run_id\":\"" + run_a + "\"}", key).status == 201);
  REQUIRE(s2.Post("/v1/runs", "{\"run_id\":\"" + run_b + "\"}", key).status == 201);
  constexpr int kBatches = 15, kSteps = 4;
  auto post = [&](TestServer* server, const std::string& run, std::vector<int>* statuses) {
    for (int b = 0; b < kBatches; ++b) {
      statuses->push_back(server->Post("/v1/runs/" + run + "/steps", StepBatch(run, b * kSteps + 1, (b + 1) * kSteps), key).status);
    }
  };
  std::vector<int> st_a, st_b;
  std::thread ta(post, &s1, run_a, &st_a), tb(post, &s2, run_b, &st_b);
  ta.join();
  tb.join();
  for (int s : st_a) CHECK(s == 200);
  for (int s : st_b) CHECK(s == 200);
  // Each server sees the other's steps.
  CHECK(s2.Get("/v1/runs/" + run_a, key).json["steps"].GetInt() == kBatches * kSteps);
  CHECK(s1.Get("/v1/runs/" + run_b, key).json["steps"].GetInt() == kBatches * kSteps);
  REQUIRE(s2.Post("/v1/runs/" + run_a + ":finish", "", key).status == 200);
  REQUIRE(s1.Post("/v1/runs/" + run_b + ":finish", "", key).status == 200);
  RunResult verify = RunOep({"verify", "--chain", "--store", url});
  INFO(verify.out + verify.err);
  CHECK(verify.exit_code == 0);
  CHECK_THAT(verify.out, Catch::Contains("0 failed"));
  CHECK_THAT(verify.out, Catch::Contains("run:" + run_a));
  CHECK_THAT(verify.out, Catch::Contains("run:" + run_b));
}

TEST_CASE("PostgreSQL: serve without --server-key is refused with the reason", "[server][postgres][bad-input]") {
  PostgresCluster* c = PostgresOrSkip(Catch::getResultCapture().getCurrentTestName());
  if (c == nullptr) return;
  RunResult r = RunOep({"serve", "--store", c->NewDatabase(), "--listen", "127.0.0.1:0"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("--server-key: required with a PostgreSQL store"));
}
