// `oep serve` over real loopback HTTP: the server is a subprocess started per test.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>

#include "json/json.h"
#include "server/server_fixture.h"
#include "support/store_backends.h"

using namespace oep;
using namespace oep::test;

namespace {

const std::string kRun = "0123456789abcdef0123456789abcdef";

// A server on a fresh store of `backend` (see support/store_backends.h): the tests using
// it run on SQLite and on PostgreSQL.
struct Fixture {
  ScratchDir dir;
  std::string backend, state, server_key;
  std::string ingest, viewer, admin;
  std::unique_ptr<TestServer> server;
  explicit Fixture(std::string backend_name) : backend(std::move(backend_name)), state(NewStoreUrl(backend, dir)) {
    std::vector<std::string> extra = ServerKeyFlags(state, dir.path(), &server_key);
    ingest = MakeKey(state, "acme", "ingest");
    viewer = MakeKey(state, "acme", "viewer");
    admin = MakeKey(state, "acme", "admin");
    server = std::make_unique<TestServer>(state, dir.path(), extra);
    REQUIRE(server->Post("/v1/artifacts", ManifestJson(), ingest).status == 200);
  }
  HttpResult NewRun(const std::string& body = "{\"run_id\":\"" + kRun + "\",\"model\":\"m1\",\"tags\":[\"a\"]}") {
    return server->Post("/v1/runs", body, ingest);
  }
};

}  // namespace

TEST_CASE("serve answers healthz, readyz and its OpenAPI document without a key", "[server]") {
  ScratchDir dir;
  TestServer server(dir / "s.sqlite", dir.path());
  CHECK(server.Get("/healthz").status == 200);
  CHECK(server.Get("/readyz").body == "{\"status\":\"ready\"}");
  HttpResult doc = server.Get("/v1/openapi.json");
  REQUIRE(doc.status == 200);
  CHECK(json::GetString(doc.json, "openapi") == "3.1.0");
  CHECK(doc.json["paths"].HasMember("/v1/runs/{run_id}:finish"));
}

TEST_CASE("serve writes one JSON access log line per request on stderr", "[server]") {
  ScratchDir dir;
  TestServer server(dir / "s.sqlite", dir.path());
  server.Get("/healthz");
  server.Get("/nope");
  server.Stop();
  int lines = 0;
  std::string log = server.Log();
  for (size_t start = 0; start < log.size();) {
    size_t end = log.find('\n', start);
    std::string line = log.substr(start, end - start);
    start = end + 1;
    if (line.empty() || line[0] != '{') continue;
    auto doc = json::Parse(line);
    REQUIRE(doc.ok());
    CHECK(doc->HasMember("status"));
    CHECK(doc->HasMember("duration_ms"));
    ++lines;
  }
  CHECK(lines == 2);
  CHECK(log.find("\"path\":\"/nope\",\"remote\":\"127.0.0.1\",\"status\":404") != std::string::npos);
}

TEST_CASE("requests without a valid key get 401, the wrong role 403, and both are audited", "[server][auth]") {
  Fixture f(GENERATE(from_range(StoreBackends())));
  INFO(f.backend);
  CHECK(f.server->Get("/v1/runs").status == 401);
  CHECK(f.server->Get("/v1/runs", "oepk_0000000000000000_00").status == 401);
  HttpResult denied = f.server->Post("/v1/runs", "{}", f.viewer);
  CHECK(denied.status == 403);
  CHECK(denied.ErrorMessage() == "role viewer may not write");
  CHECK(f.server->Get("/v1/runs", f.ingest).status == 403);  // ingest only writes
  HttpResult audit = f.server->Get("/v1/audit", f.admin);
  REQUIRE(audit.status == 200);
  int denials = 0;
  for (const auto& r : audit.json["records"].GetArray()) {
    if (json::GetString(r, "action") == "request.denied") ++denials;
  }
  CHECK(denials == 2);  // the tenant's own: viewer write, ingest read (unknown keys go to the default tenant)
  CHECK(f.server->Get("/v1/audit", f.viewer).status == 403);
}

TEST_CASE("tenant and key administration by the CLI is in the tenant's audit log", "[server][auth]") {
  Fixture f(GENERATE(from_range(StoreBackends())));
  INFO(f.backend);
  RunResult revoke = RunOep({"key", "revoke", f.viewer.substr(5, 16), "--state-path", f.state});
  REQUIRE(revoke.exit_code == 0);
  HttpResult audit = f.server->Get("/v1/audit", f.admin);
  REQUIRE(audit.status == 200);
  std::map<std::string, int> actions;
  for (const auto& r : audit.json["records"].GetArray()) {
    CHECK(json::GetString(r, "actor") == "cli");
    CHECK(json::GetString(r, "tenant") == "acme");
    ++actions[json::GetString(r, "action") + " " + json::GetString(r, "outcome")];
  }
  CHECK(actions["tenant.create ok"] == 1);  // the fixture runs `oep tenant create acme` three times
  CHECK(actions["tenant.create exists"] == 2);
  CHECK(actions["key.create ok"] == 3);
  CHECK(actions["key.revoke ok"] == 1);
}

TEST_CASE("a client that stops sending mid-request is cut off after the read timeout", "[server][limits]") {
  ScratchDir dir;
  TestServer server(dir / "s.sqlite", dir.path(), {"--read-timeout", "1"});
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  std::string partial = "POST /v1/runs HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{";
  REQUIRE(send(fd, partial.data(), partial.size(), 0) == static_cast<ssize_t>(partial.size()));
  auto start = std::chrono::steady_clock::now();
  char buf[512];
  ssize_t n = 0;
  while ((n = recv(fd, buf, sizeof buf, 0)) > 0) {}
  double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  close(fd);
  CHECK(waited < 10);  // closed by the server, not by this test giving up
  CHECK(server.Get("/healthz").status == 200);
}

TEST_CASE("a revoked key is refused at once", "[server][auth]") {
  Fixture f(GENERATE(from_range(StoreBackends())));
  INFO(f.backend);
  CHECK(f.server->Get("/v1/runs", f.viewer).status == 200);
  RunResult r = RunOep({"key", "revoke", f.viewer, "--state-path", f.state});
  REQUIRE(r.exit_code == 0);
  HttpResult after = f.server->Get("/v1/runs", f.viewer);
  CHECK(after.status == 401);
  CHECK(after.ErrorMessage() == "unknown or revoked API key");
}

TEST_CASE("oep key create prints the key once and stores only its hash", "[server][auth]") {
  ScratchDir dir;
  std::string key = MakeKey(dir / "s.sqlite", "acme", "viewer");
  CHECK(key.rfind("oepk_", 0) == 0);
  RunResult dump = RunOep({"dump", "--state-path", dir / "s.sqlite"});
  CHECK(dump.out.find(key) == std::string::npos);
  CHECK(dump.out.find(key.substr(key.rfind('_') + 1)) == std::string::npos);
  RunResult list = RunOep({"key", "list", "--state-path", dir / "s.sqlite"});
  CHECK(list.out.find("role=viewer") != std::string::npos);
  CHECK(list.out.find(key) == std::string::npos);
}

TEST_CASE("a key for an unknown tenant or role is refused", "[server][auth][bad-input]") {
  ScratchDir dir;
  RunResult r = RunOep({"key", "create", "--tenant", "nobody", "--role", "viewer", "--state-path", dir / "s.sqlite"});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("no tenant \"nobody\"") != std::string::npos);
  RunOep({"tenant", "create", "acme", "--state-path", dir / "s.sqlite"});
  r = RunOep({"key", "create", "--tenant", "acme", "--role", "root", "--state-path", dir / "s.sqlite"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("expected admin, approver, viewer or ingest") != std::string::npos);
  r = RunOep({"tenant", "create", "Bad_Name", "--state-path", dir / "s.sqlite"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("expected 1-63 lowercase letters") != std::string::npos);
}

TEST_CASE("a run is created once, a retry is a 200 no-op and other content under its id is 409", "[server][runs]") {
  Fixture f(GENERATE(from_range(StoreBackends())));
  INFO(f.backend);
  HttpResult created = f.NewRun();
  REQUIRE(created.status == 201);
  CHECK(json::GetString(created.json, "status") == "open");
  CHECK(json::GetString(created.json, "chain_id") == "tenant:acme/run:" + kRun);
  CHECK(f.NewRun().status == 200);
  std::string before = StoreDigest(f.state);
  HttpResult other = f.NewRun("{\"run_id\":\"" + kRun + "\",\"model\":\"m2\"}");
  CHECK(other.status == 409);
  CHECK(StoreDigest(f.state) == before);
}

TEST_CASE("a batch of steps is stored whole, a retry is a no-op, and the server computes the digests", "[server][runs]") {
  Fixture f(GENERATE(from_range(StoreBackends())));
  INFO(f.backend);
  REQUIRE(f.NewRun().status == 201);
  // A client-supplied digest is ignored.
  std::string batch = StepBatch(kRun, 1, 3);
  batch.insert(batch.find("\"step\":1") , "\"digest\":\"sha256:bogus\",");
  HttpResult first = f.server->Post("/v1/runs/" + kRun + "/steps", batch, f.ingest);
  REQUIRE(first.status == 200);
  CHECK(first.json["inserted"].GetInt() == 3);
  std::string digest = json::GetString(first.json["steps"][0], "digest");
  CHECK(digest != "sha256:bogus");
  CHECK(digest.rfind("sha256:", 0) == 0);
  std::string before = StoreDigest(f.state);
  HttpResult retry = f.server->Post("/v1/runs/" + kRun + "/steps", batch, f.ingest);
  CHECK(retry.status == 200);
  CHECK(retry.json["inserted"].GetInt() == 0);
  CHECK(retry.json["unchanged"].GetInt() == 3);
  CHECK(StoreDigest(f.state) == before);
  // A batch overlapping the stored steps adds only the new ones.
  HttpResult overlap = f.server->Post("/v1/runs/" + kRun + "/steps", StepBatch(kRun, 3, 5), f.ingest);
  CHECK(overlap.status == 200);
  CHECK(overlap.json["inserted"].GetInt() == 2);
  HttpResult steps = f.server->Get("/v1/runs/" + kRun + "/steps", f.viewer);
  REQUIRE(steps.status == 200);
  CHECK(steps.json["steps"].Size() == 5);
  CHECK(json::GetString(steps.json["steps"][4]["event"], "event_id") == "evt_01234567_5");
  CHECK(f.server->Get("/v1/runs/" + kRun, f.viewer).json["steps"].GetInt() == 5);
}

TEST_CASE("step conflicts are 409 and leave the store unchanged", "[server][runs][bad-input]") {
  Fixture f(GENERATE(from_range(StoreBackends())));
  INFO(f.backend);
  REQUIRE(f.NewRun().status == 201);
  REQUIRE(f.server->Post("/v1/runs/" + kRun + "/steps", StepBatch(kRun, 1, 2), f.ingest).status == 200);
  std::string before = StoreDigest(f.state);
  struct Case {
    std::string name, body, expected;
  } cases[] = {
      {"sequence gap", StepBatch(kRun, 4, 5), "sequence gap: run " + kRun + " has 2 steps, so the next is 3, found 4"},
      {"step stored with other content", StepBatch(kRun, 2, 3, "x"), "step 2 of run " + kRun + " is already stored with other content"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    HttpResult r = f.server->Post("/v1/runs/" + kRun + "/steps", c.body, f.ingest);
    CHECK(r.status == 409);
    CHECK(r.ErrorMessage().find(c.expected) != std::string::npos);
    CHECK(StoreDigest(f.state) == before);
  }
}

TEST_CASE("bad step batches are 400 naming the JSON pointer, and leave the store unchanged", "[server][runs][bad-input]") {
  Fixture f(GENERATE(from_range(StoreBackends())));
  INFO(f.backend);
  REQUIRE(f.NewRun().status == 201);
  std::string good = StepEvent(kRun, 1);
  std::string other_run = StepEvent("ffffffffffffffffffffffffffffffff", 2);
  std::string no_time = good;
  no_time.replace(no_time.find("\"event_time\""), 36, "\"event_time\":7,");
  std::string before = StoreDigest(f.state);
  struct Case {
    std::string body, pointer, expected;
  } cases[] = {
      {"[]", "/", "expected an object {\"steps\": [...]}"},
      {"{\"steps\":[]}", "/steps", "expected an array of 1 to 1000 steps"},
      {"{\"steps\":[{\"step\":0,\"event\":" + good + "}]}", "/steps/0/step", "expected an integer >= 1"},
      {"{\"steps\":[{\"step\":1,\"event\":" + good + "},{\"step\":3,\"event\":" + good + "}]}", "/steps/1/step",
       "expected 2 (steps of a batch are consecutive)"},
      {"{\"steps\":[{\"step\":1,\"event\":" + good + ",\"extra\":1}]}", "/steps/0/extra", "unknown member"},
      {"{\"steps\":[{\"step\":1,\"event\":" + good + "},{\"step\":2,\"event\":" + other_run + "}]}",
       "/steps/1/event/trace_id", "expected the run's trace id " + kRun},
      {"{\"steps\":[{\"step\":1,\"event\":" + no_time + "}]}", "/steps/0/event/event_time", "expected"},
      {"{\"steps\":[{\"step\":1,\"event\":" + ManifestJson() + "}]}", "/steps/0/event/schema_version",
       "expected oep.agent_step_event.v0"},
      {"{\"steps\": [", "", "request body is not JSON"},
  };
  for (const auto& c : cases) {
    INFO(c.body.substr(0, 120));
    HttpResult r = f.server->Post("/v1/runs/" + kRun + "/steps", c.body, f.ingest);
    CHECK(r.status == 400);
    CHECK(r.ErrorPointer() == c.pointer);
    CHECK(r.ErrorMessage().find(c.expected) != std::string::npos);
    CHECK(StoreDigest(f.state) == before);
  }
}

TEST_CASE("bad runs are 400 naming the JSON pointer, and leave the store unchanged", "[server][runs][bad-input]") {
  Fixture f(GENERATE(from_range(StoreBackends())));
  INFO(f.backend);
  std::string before = StoreDigest(f.state);
  struct Case {
    std::string body, pointer;
  } cases[] = {
      {"{\"run_id\":\"ABC\"}", "/run_id"},
      {"{\"tags\":[1]}", "/tags/0"},
      {"{\"model\":\"\"}", "/model"},
      {"{\"colour\":\"red\"}", "/colour"},
      {"{\"metadata\":[]}", "/metadata"},
      {"{\"release_manifest_id\":\"rmf_unknown\"}", "/release_manifest_id"},
  };
  for (const auto& c : cases) {
    INFO(c.body);
    HttpResult r = f.server->Post("/v1/runs", c.body, f.ingest);
    CHECK(r.status == 400);
    CHECK(r.ErrorPointer() == c.pointer);
    CHECK(r.ErrorMessage().find("expected") != std::string::npos);
    CHECK(StoreDigest(f.state) == before);
  }
}

TEST_CASE("finishing a run seals it with the server key: AUTHORITATIVE under the server's public key", "[server][runs]") {
  Fixture f(GENERATE(from_range(StoreBackends())));
  INFO(f.backend);
  REQUIRE(f.NewRun().status == 201);
  REQUIRE(f.server->Post("/v1/runs/" + kRun + "/steps", StepBatch(kRun, 1, 2), f.ingest).status == 200);
  HttpResult done = f.server->Post("/v1/runs/" + kRun + ":finish", "", f.ingest);
  REQUIRE(done.status == 200);
  CHECK(json::GetString(done.json, "status") == "finished");
  CHECK(json::GetString(done.json["seal"], "authority") == "server");
  HttpResult again = f.server->Post("/v1/runs/" + kRun + ":finish", "", f.ingest);
  CHECK(again.status == 200);
  CHECK(again.json["seal"] == done.json["seal"]);
  std::string before = StoreDigest(f.state);
  HttpResult late = f.server->Post("/v1/runs/" + kRun + "/steps", StepBatch(kRun, 3, 3), f.ingest);
  CHECK(late.status == 409);
  CHECK(late.ErrorMessage().find("is finished") != std::string::npos);
  CHECK(StoreDigest(f.state) == before);

  RunResult pub = RunOep({"keys", "export", "--key", f.server_key, "--out", f.dir / "server.pub.pem"});
  REQUIRE(pub.exit_code == 0);
  RunResult verify = RunOep({"verify", "--chain", "--all-chains", "--state-path", f.state, "--trusted-key",
                             "server=" + f.dir / "server.pub.pem"});
  INFO(verify.out << verify.err);
  CHECK(verify.exit_code == 0);
  CHECK(verify.out.find("tenant:acme/run:" + kRun) != std::string::npos);
  CHECK(verify.out.find("AUTHORITATIVE") != std::string::npos);
  // Without the server's key trusted, the same seal carries no authority.
  RunResult untrusted = RunOep({"verify", "--chain", "--all-chains", "--state-path", f.state});
  CHECK(untrusted.out.find("tenant:acme/run:" + kRun + ": 4 entries, NON_AUTHORITATIVE") != std::string::npos);
}

TEST_CASE("runs are listed with filters and stable cursor pages", "[server][runs]") {
  Fixture f(GENERATE(from_range(StoreBackends())));
  INFO(f.backend);
  std::vector<std::string> ids;
  for (int i = 0; i < 7; ++i) {
    char id[33];
    std::snprintf(id, sizeof id, "%032x", i + 1);
    ids.push_back(id);
    std::string body = std::string("{\"run_id\":\"") + id + "\",\"model\":\"" + (i % 2 ? "odd" : "even") +
                       "\",\"tags\":[\"t" + std::to_string(i % 3) + "\"]}";
    REQUIRE(f.server->Post("/v1/runs", body, f.ingest).status == 201);
  }
  REQUIRE(f.server->Post("/v1/runs/" + ids[2] + ":finish", "", f.ingest).status == 200);
  std::vector<std::string> seen;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    HttpResult r = f.server->Get("/v1/runs?limit=3" + (cursor.empty() ? "" : "&cursor=" + cursor), f.viewer);
    REQUIRE(r.status == 200);
    for (const auto& run : r.json["runs"].GetArray()) seen.push_back(json::GetString(run, "run_id"));
    if (r.json["next_cursor"].IsNull()) break;
    cursor = httplib::detail::encode_query_param(r.json["next_cursor"].GetString());
  }
  CHECK(seen == ids);
  CHECK(f.server->Get("/v1/runs?model=odd", f.viewer).json["runs"].Size() == 3);
  CHECK(f.server->Get("/v1/runs?tag=t0", f.viewer).json["runs"].Size() == 3);
  HttpResult finished = f.server->Get("/v1/runs?status=finished", f.viewer);
  REQUIRE(finished.json["runs"].Size() == 1);
  CHECK(json::GetString(finished.json["runs"][0], "run_id") == ids[2]);
  CHECK(f.server->Get("/v1/runs?status=open", f.viewer).json["runs"].Size() == 6);
  CHECK(f.server->Get("/v1/runs?until=2000-01-01T00:00:00Z", f.viewer).json["runs"].Size() == 0);
  HttpResult bad = f.server->Get("/v1/runs?body=secret", f.viewer);
  CHECK(bad.status == 400);
  CHECK(bad.ErrorMessage().find("?body: unknown filter") != std::string::npos);
  CHECK(f.server->Get("/v1/runs?status=done", f.viewer).status == 400);
  CHECK(f.server->Get("/v1/runs?cursor=zzz", f.viewer).status == 400);
  CHECK(f.server->Get("/v1/runs?limit=0", f.viewer).status == 400);
}

TEST_CASE("every operation of the OpenAPI document is served: open ones answer and the others want a key", "[server]") {
  ScratchDir dir;
  TestServer server(dir / "s.sqlite", dir.path());
  HttpResult doc = server.Get("/v1/openapi.json");
  REQUIRE(doc.status == 200);
  int operations = 0;
  for (const auto& path : doc.json["paths"].GetObject()) {
    std::string p = path.name.GetString();
    for (auto [from, to] : {std::pair<std::string, std::string>{"{run_id}", kRun}, {"{decision_id}", "pder_x"}, {"{request_id}", "apr_x"}}) {
      if (size_t at = p.find(from); at != std::string::npos) p.replace(at, from.size(), to);
    }
    for (const auto& op : path.value.GetObject()) {
      std::string method = op.name.GetString();
      bool open = op.value.HasMember("security") && op.value["security"].Empty();
      INFO(method << " " << p);
      HttpResult r = method == "get" ? server.Get(p) : server.Post(p, "{}");
      CHECK(r.status == (open ? 200 : 401));
      ++operations;
    }
  }
  CHECK(operations == 34);
}
