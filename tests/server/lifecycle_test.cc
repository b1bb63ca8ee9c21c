// TLS, shutdown, body limits, OPA decision-log uploads, artifacts, and stores made before tenants.
#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "json/json.h"
#include "server/server_fixture.h"
#include "store/store.h"
#include "util/gzip.h"
#include "util/subprocess.h"

using namespace oep;
using namespace oep::test;

namespace {

const std::string kRun = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

std::string Gzip(const std::string& dir, const std::string& text) {
  WriteText(dir + "/plain", text);
  auto r = RunProcess({"/bin/sh", "-c", "gzip -c '" + dir + "/plain' > '" + dir + "/plain.gz'"});
  REQUIRE(r.ok());
  REQUIRE(r->exit_code == 0);
  return ReadText(dir + "/plain.gz");
}

std::string DecisionLog() { return ReadText(RepoRoot() + "/tests/data/opa_decision_log/service_body.json"); }

}  // namespace

TEST_CASE("serve speaks HTTPS with --tls-cert and --tls-key", "[server][tls]") {
  ScratchDir dir;
  MakeTlsFiles(dir.path());
  std::string key = MakeKey(dir / "s.sqlite", "acme", "viewer");
  TestServer server(dir / "s.sqlite", dir.path(), {}, dir.path());
  HttpResult r = server.Get("/v1/runs", key);
  CHECK(r.status == 200);
  CHECK(r.json["runs"].IsArray());
  // Plain HTTP to the TLS port gets no HTTP answer.
  httplib::Client plain("127.0.0.1", server.port());
  plain.set_read_timeout(5, 0);
  auto res = plain.Get("/healthz");
  CHECK((!res || res->status != 200));
}

TEST_CASE("serve without TLS answers plain HTTP, and refuses a TLS certificate without its key", "[server][tls][bad-input]") {
  ScratchDir dir;
  TestServer server(dir / "s.sqlite", dir.path());
  CHECK(server.Get("/healthz").status == 200);
  MakeTlsFiles(dir.path());
  RunResult r = RunOep({"serve", "--state-path", dir / "t.sqlite", "--listen", "127.0.0.1:0", "--tls-cert", dir / "cert.pem"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--tls-cert and --tls-key: expected both or neither") != std::string::npos);
  r = RunOep({"serve", "--state-path", dir / "t.sqlite", "--listen", "127.0.0.1:0", "--tls-cert", dir / "key.pem",
              "--tls-key", dir / "cert.pem"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("cannot load the certificate") != std::string::npos);
  r = RunOep({"serve", "--state-path", dir / "t.sqlite", "--listen", "localhost"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--listen localhost: expected HOST:PORT") != std::string::npos);
}

TEST_CASE("SIGTERM during a batch: the server finishes it or never took it, and exits 0", "[server][shutdown]") {
  for (int delay_ms : {0, 20, 80}) {
    INFO("SIGTERM after " << delay_ms << " ms");
    ScratchDir dir;
    std::string state = dir / "s.sqlite";
    std::string key = MakeKey(state, "acme", "admin");
    auto server = std::make_unique<TestServer>(state, dir.path());
    REQUIRE(server->Post("/v1/artifacts", ManifestJson(), key).status == 200);
    REQUIRE(server->Post("/v1/runs", "{\"run_id\":\"" + kRun + "\"}", key).status == 201);
    std::string batch = StepBatch(kRun, 1, 1000);
    HttpResult answer;
    std::thread client([&] { answer = server->Post("/v1/runs/" + kRun + "/steps", batch, key); });
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    int exit_status = server->Stop(SIGTERM);
    client.join();
    CHECK(exit_status == 0);
    CHECK(server->Log().find("stopped; store closed") != std::string::npos);
    TestServer again(state, dir.path());
    HttpResult run = again.Get("/v1/runs/" + kRun, key);
    REQUIRE(run.status == 200);
    int64_t steps = run.json["steps"].GetInt64();
    CHECK((steps == 0 || steps == 1000));
    if (answer.status == 200) CHECK(steps == 1000);
  }
}

TEST_CASE("OPA decision logs posted gzip-compressed to /logs are stored for replay", "[server][logs]") {
  ScratchDir dir;
  std::string key = MakeKey(dir / "s.sqlite", "acme", "admin");
  TestServer server(dir / "s.sqlite", dir.path());
  HttpResult r = server.Post("/logs", Gzip(dir.path(), DecisionLog()), key, "gzip");
  REQUIRE(r.status == 200);
  CHECK(r.json["events"].GetInt() == 6);
  CHECK(r.json["imported"].GetInt() == 6);
  HttpResult list = server.Get("/v1/decisions?limit=500", key);
  CHECK(list.json["decisions"].Size() == 6);
  HttpResult replay = server.Get("/v1/decisions/pder_opa_0b6e1c2d-5f7a-4e3b-9c1d-2a3b4c5d6e01", key);
  REQUIRE(replay.status == 200);
  CHECK(json::GetString(replay.json, "schema_version").find("decision_replay") != std::string::npos);
  // OPA retries an upload it did not see acknowledged: the same events again change nothing.
  std::string before = StoreDigest(dir / "s.sqlite");
  HttpResult retry = server.Post("/logs", DecisionLog(), key);
  CHECK(retry.status == 200);
  CHECK(retry.json["inserted"].GetInt() == 0);
  CHECK(StoreDigest(dir / "s.sqlite") == before);
  HttpResult missing = server.Get("/v1/decisions/pder_opa_nothing", key);
  CHECK(missing.status == 404);
}

TEST_CASE("bad decision logs are 400 and leave the store unchanged", "[server][logs][bad-input]") {
  ScratchDir dir;
  std::string key = MakeKey(dir / "s.sqlite", "acme", "ingest");
  TestServer server(dir / "s.sqlite", dir.path(), {"--max-body-bytes", "1048576"});
  std::string before = StoreDigest(dir / "s.sqlite");
  std::string log = DecisionLog();
  std::string broken = log.substr(0, log.size() / 2);
  CHECK(server.Post("/logs", broken, key).status == 400);
  CHECK(server.Post("/logs", "[{\"decision_id\": 7}]", key).status == 400);
  // A gzip bomb: 64 MiB of zeros, far past the 1 MiB body limit once decompressed.
  HttpResult bomb = server.Post("/logs", Gzip(dir.path(), std::string(64u << 20, ' ')), key, "gzip");
  CHECK(bomb.status == 413);
  CHECK(bomb.ErrorMessage().find("expected at most 1048576 bytes (after decompression)") != std::string::npos);
  CHECK(server.Post("/logs", std::string(2u << 20, ' '), key).status == 413);
  CHECK(StoreDigest(dir / "s.sqlite") == before);
  CHECK(server.Get("/healthz").status == 200);
}

TEST_CASE("POST /v1/artifacts ingests as the CLI does, bad input is 400 with its pointer, conflicts 409", "[server][artifacts]") {
  ScratchDir dir;
  std::string key = MakeKey(dir / "s.sqlite", "acme", "ingest");
  TestServer server(dir / "s.sqlite", dir.path());
  std::string manifest = ManifestJson();
  std::string event = ReadText(RepoRoot() + "/events/examples/code_review_demo_read_step.v0.json");
  HttpResult ok = server.Post("/v1/artifacts", "[" + manifest + "," + event + "]", key);
  REQUIRE(ok.status == 200);
  CHECK(ok.json["inserted"].GetInt() == 2);
  std::string before = StoreDigest(dir / "s.sqlite");
  std::string bad_event = event;
  bad_event.replace(bad_event.find("\"trace_id\": \""), 13, "\"trace_id\": \"XYZ");
  HttpResult bad = server.Post("/v1/artifacts", "[" + manifest + "," + bad_event + "]", key);
  CHECK(bad.status == 400);
  CHECK(bad.ErrorPointer() == "/1/trace_id");
  std::string changed = event;
  changed.replace(changed.find("read the 9-line diff"), 4, "READ");
  HttpResult conflict = server.Post("/v1/artifacts", changed, key);
  CHECK(conflict.status == 409);
  CHECK(conflict.ErrorMessage().find("already stored with different content") != std::string::npos);
  CHECK(server.Post("/v1/artifacts", "{\"schema_version\":\"nope\"}", key).ErrorPointer() == "/schema_version");
  CHECK(StoreDigest(dir / "s.sqlite") == before);
}

TEST_CASE("a store made before tenants is read as it is and migrated keeping its evidence and seals", "[server][store]") {
  ScratchDir dir;
  std::string state = dir / "v2.sqlite";
  auto bytes = ReadBoundedText(RepoRoot() + "/tests/data/store_v2/examples_v2.sqlite.gz", {});
  REQUIRE(bytes.ok());
  WriteText(state, *bytes);
  std::string trusted = "server=" + RepoRoot() + "/tests/data/store_v2/seal_public.pem";
  RunResult replay_before = RunOep({"replay", "pder_oep_demo_read_diff_0001", "--state-path", state,
                                    "--replay-timestamp-utc", "2026-12-01T00:00:00Z"});
  REQUIRE(replay_before.exit_code == 0);
  std::string file_before = FileSha256(state);
  CHECK(RunOep({"verify", "--chain", "--state-path", state}).exit_code == 0);
  CHECK(FileSha256(state) == file_before);  // read-only use leaves a format-2 store as it is

  REQUIRE(RunOep({"tenant", "create", "acme", "--state-path", state}).exit_code == 0);  // migrates
  RunResult dump = RunOep({"dump", "--state-path", state});
  CHECK(dump.out.rfind("{\"store_format\":" + std::to_string(kStoreSchemaVersion) + "}", 0) == 0);
  CHECK(dump.out.find("\"table\":\"decisions\",\"tenant\":\"default\"") != std::string::npos);
  RunResult replay_after = RunOep({"replay", "pder_oep_demo_read_diff_0001", "--state-path", state,
                                   "--replay-timestamp-utc", "2026-12-01T00:00:00Z"});
  CHECK(replay_after.out == replay_before.out);
  RunResult verify = RunOep({"verify", "--chain", "--all-chains", "--state-path", state, "--trusted-key", trusted});
  INFO(verify.out << verify.err);
  CHECK(verify.exit_code == 0);
  CHECK(verify.out.find("run:5e0c1d2a9b8f47d6a1c3e5f7091b2d4f: 7 entries, AUTHORITATIVE") != std::string::npos);
}

TEST_CASE("concurrent clients on a small pool: every batch is stored once in its run order", "[server][limits]") {
  ScratchDir dir;
  std::string state = dir / "s.sqlite";
  std::string key = MakeKey(state, "acme", "admin");
  TestServer server(state, dir.path(), {"--threads", "2"});
  REQUIRE(server.Post("/v1/artifacts", ManifestJson(), key).status == 200);
  constexpr int kClients = 6, kBatches = 4;
  std::vector<std::string> runs;
  for (int c = 0; c < kClients; ++c) {
    char id[33];
    std::snprintf(id, sizeof id, "%032x", 0xc0 + c);
    runs.push_back(id);
    REQUIRE(server.Post("/v1/runs", "{\"run_id\":\"" + runs.back() + "\"}", key).status == 201);
  }
  std::vector<int> ok(kClients, 0);
  std::vector<std::string> errors(kClients);
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      for (int b = 0; b < kBatches; ++b) {
        HttpResult r = server.Post("/v1/runs/" + runs[c] + "/steps", StepBatch(runs[c], b * 10 + 1, b * 10 + 10, "c" + std::to_string(c)), key);
        if (r.status == 200) ++ok[c];
        else errors[c] = std::to_string(r.status) + " " + r.body;
      }
    });
  }
  for (auto& t : clients) t.join();
  for (int c = 0; c < kClients; ++c) {
    INFO(errors[c]);
    CHECK(ok[c] == kBatches);
    HttpResult run = server.Get("/v1/runs/" + runs[c], key);
    CHECK(run.json["steps"].GetInt() == kBatches * 10);
  }
  server.Stop();
  CHECK(RunOep({"verify", "--chain", "--state-path", state}).exit_code == 0);
}
