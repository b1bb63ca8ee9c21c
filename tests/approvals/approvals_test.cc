// Approval gates through the real CLI: requests, decisions signed with a real Ed25519 key,
// tool-execution events ingested into a real store, and `oep verify --tool-modes` naming
// every violation.
#include <catch2/catch.hpp>

#include <rapidjson/pointer.h>

#include "json/json.h"
#include "support/store_backends.h"
#include "support/support.h"

using namespace oep;
using namespace oep::test;

namespace {

const std::string kRun = "5e0c1d2a9b8f47d6a1c3e5f7091b2d4f";  // the demo's run
const std::string kPayload = R"({"tool":"write_file","arguments":{"path":"src/billing/invoice.py","patch":"fix"}})";

// The demo store on `backend` (see support/store_backends.h) with a server key and tool modes.
struct Gate {
  ScratchDir dir;
  std::string store, key = dir / "server.pem", pub = dir / "server.pub", modes = dir / "modes.json";
  int events = 0;
  explicit Gate(const std::string& backend) : store(NewStoreUrl(backend, dir)) {
    MakeDemoStore(store);
    WriteEd25519Key(key);
    REQUIRE(RunOep({"keys", "export", "--key", key, "--out", pub}).exit_code == 0);
    WriteText(dir / "payload.json", kPayload);
    WriteText(modes, R"({"tools": {"write_file": "require_approval", "drop_database": "block", "read_diff": "allow"}})");
  }
  // A request for the write (step 3), returning its id.
  std::string Request(const std::string& tenant = "default") {
    RunResult r = RunOep({"approvals", "request", "--run", kRun, "--step", "3", "--tool", "write_file", "--summary",
                          "write the docstring fix", "--risk", "high", "--payload-file", dir / "payload.json",
                          "--requested-by", "agent_oep_demo_reviewer", "--store", store, "--tenant", tenant,
                          "--output-format", "json"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto d = json::Parse(r.out);
    REQUIRE(d.ok());
    return json::GetString(*d, "request_id");
  }
  // Approves `request` and returns the decision token id.
  std::string Approve(const std::string& request, const std::string& signing_key, const std::string& ttl = "15m",
                      const std::string& tenant = "default") {
    RunResult r = RunOep({"approvals", "approve", request, "--approver", "alice", "--reason", "reviewed the patch", "--key",
                          signing_key, "--ttl", ttl, "--store", store, "--tenant", tenant, "--output-format", "json"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto d = json::Parse(r.out);
    REQUIRE(d.ok());
    return json::GetString(*d, "token_id");
  }
  // Ingests an execution of `tool` with `payload`, recording `token` ("" = none).
  void Execute(const std::string& token, const std::string& payload = kPayload, const std::string& tool = "write_file",
               const std::string& at = "") {
    auto e = json::Parse(ReadText(RepoRoot() + "/events/examples/code_review_demo_write_step.v0.json"));
    REQUIRE(e.ok());
    auto& a = e->GetAllocator();
    std::string id = "evt_exec_" + std::to_string(++events);
    (*e)["event_id"].SetString(id.c_str(), a);
    (*e)["event_type"].SetString("tool_call.executed", a);
    (*e)["event_time"].SetString((at.empty() ? NowIso() : at).c_str(), a);
    (*e)["action"]["action_type"].SetString(tool.c_str(), a);
    e->RemoveMember("permission_packet_ref");
    e->RemoveMember("tool_call_id");
    auto p = json::Parse(payload);
    REQUIRE(p.ok());
    rapidjson::Value pv;
    pv.CopyFrom(*p, a);
    e->AddMember("tool_payload", pv, a);
    if (!token.empty()) {
      rapidjson::Value approval(rapidjson::kObjectType);
      approval.AddMember("token_id", rapidjson::Value(token.c_str(), a), a);
      e->AddMember("approval", approval, a);
    }
    WriteText(dir / (id + ".json"), json::CanonicalText(*e));
    RunResult in = RunOep({"ingest", dir / (id + ".json"), "--store", store});
    INFO(in.err);
    REQUIRE(in.exit_code == 0);
  }
  RunResult Verify(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"verify", "--store", store, "--tool-modes", modes, "--trusted-key", "server=" + pub};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunOep(args);
  }
  static std::string NowIso() {
    std::time_t t = std::time(nullptr);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    return buf;
  }
};

}  // namespace

TEST_CASE("an approved call executed with its token verifies, the request lists as approved", "[approvals]") {
  Gate g(GENERATE(from_range(StoreBackends())));
  std::string request = g.Request();
  CHECK(request.rfind("apr_", 0) == 0);
  RunResult pending = RunOep({"approvals", "list", "--status", "pending", "--store", g.store});
  CHECK(pending.out.find(request) != std::string::npos);
  std::string token = g.Approve(request, g.key);
  CHECK(token.rfind("dtk_", 0) == 0);
  g.Execute(token);
  RunResult v = g.Verify();
  INFO(v.out << v.err);
  CHECK(v.exit_code == 0);
  CHECK(v.out.find("ok   approvals: 1 tool executions, 1 of tools that require approval, 1 with a valid token, 0 under "
                   "break-glass, 0 violations") != std::string::npos);
  RunResult list = RunOep({"approvals", "list", "--store", g.store});
  CHECK(list.out.find(request) != std::string::npos);
  CHECK(list.out.find("approved") != std::string::npos);
  // The requests and decisions are evidence: on the run's chain, which still verifies.
  RunResult chain = RunOep({"verify", "--chain", "--store", g.store});
  INFO(chain.out);
  CHECK(chain.exit_code == 0);
}

TEST_CASE("verify names each approval violation with its event and token", "[approvals]") {
  Gate g(GENERATE(from_range(StoreBackends())));
  SECTION("execution without a token") {
    g.Execute("");
    RunResult v = g.Verify();
    CHECK(v.exit_code == 1);
    CHECK(v.out.find("violation evt_exec_1 (run " + kRun + ", tool write_file): tool write_file needs approval; the "
                     "execution records no decision token") != std::string::npos);
  }
  SECTION("a token used twice") {
    std::string token = g.Approve(g.Request(), g.key);
    g.Execute(token);
    g.Execute(token);
    RunResult v = g.Verify();
    CHECK(v.exit_code == 1);
    CHECK(v.out.find("was already used by evt_exec_1 (a token is used once)") != std::string::npos);
  }
  SECTION("an expired token") {
    std::string token = g.Approve(g.Request(), g.key, "1s");
    g.Execute(token, kPayload, "write_file", "2031-01-01T00:00:00Z");
    RunResult v = g.Verify();
    CHECK(v.exit_code == 1);
    CHECK(v.out.find("executed at 2031-01-01T00:00:00Z") != std::string::npos);
  }
  SECTION("the payload changed after approval") {
    std::string token = g.Approve(g.Request(), g.key);
    g.Execute(token, R"({"tool":"write_file","arguments":{"path":"src/billing/invoice.py","patch":"rm -rf"}})");
    RunResult v = g.Verify();
    CHECK(v.exit_code == 1);
    CHECK(v.out.find("(changed after approval)") != std::string::npos);
  }
  SECTION("a token of another tenant") {
    std::string token = g.Approve(g.Request("globex"), g.key, "15m", "globex");
    g.Execute(token);
    RunResult v = g.Verify();
    CHECK(v.exit_code == 1);
    CHECK(v.out.find("token " + token + " was not issued to this tenant") != std::string::npos);
  }
  SECTION("a token signed by a key that is not trusted") {
    WriteEd25519Key(g.dir / "rogue.pem");
    std::string token = g.Approve(g.Request(), g.dir / "rogue.pem");
    g.Execute(token);
    RunResult v = g.Verify();
    CHECK(v.exit_code == 1);
    CHECK(v.out.find("is signed by a key that is not trusted") != std::string::npos);
  }
  SECTION("a token trusted only as local") {
    std::string token = g.Approve(g.Request(), g.key);
    g.Execute(token);
    RunResult v = RunOep({"verify", "--store", g.store, "--tool-modes", g.modes, "--trusted-key", "local=" + g.pub});
    CHECK(v.exit_code == 1);
    CHECK(v.out.find("trusted as local, not server") != std::string::npos);
  }
  SECTION("a forged decision: the token payload altered after signing") {
    std::string token = g.Approve(g.Request(), g.key);
    // An attacker with write access copies the decision under a new id with another payload hash.
    RunResult dump = RunOep({"dump", "--store", g.store});
    size_t at = dump.out.find("\"table\":\"approval_decisions\"");
    REQUIRE(at != std::string::npos);
    size_t line_start = dump.out.rfind('\n', at) + 1;
    auto row = json::Parse(dump.out.substr(line_start, dump.out.find('\n', at) - line_start));
    REQUIRE(row.ok());
    auto decision = json::Parse(json::GetString(*row, "body"));
    REQUIRE(decision.ok());
    auto& a = decision->GetAllocator();
    std::string forged_token = "dtk_" + std::string(32, 'f');
    (*decision)["decision_id"].SetString(("apd_" + std::string(32, 'e')).c_str(), a);
    (*decision)["token_id"].SetString(forged_token.c_str(), a);
    (*decision)["token"]["payload"]["token_id"].SetString(forged_token.c_str(), a);
    (*decision)["token"]["payload"]["payload_sha256"].SetString(("sha256:" + std::string(64, '0')).c_str(), a);
    WriteText(g.dir / "forged.json", json::CanonicalText(*decision));
    REQUIRE(RunOep({"ingest", g.dir / "forged.json", "--store", g.store}).exit_code == 0);
    g.Execute(forged_token);
    RunResult v = g.Verify();
    CHECK(v.exit_code == 1);
    CHECK(v.out.find("the signature does not verify (the token was altered or forged)") != std::string::npos);
  }
  SECTION("a blocked tool executed at all") {
    g.Execute("", R"({"tool":"drop_database","arguments":{}})", "drop_database");
    RunResult v = g.Verify();
    CHECK(v.exit_code == 1);
    CHECK(v.out.find("tool drop_database is marked block and was executed") != std::string::npos);
  }
}

TEST_CASE("break-glass executes without approval and is always reported", "[approvals]") {
  Gate g(GENERATE(from_range(StoreBackends())));
  RunResult glass = RunOep({"approvals", "break-glass", "--run", kRun, "--step", "3", "--tool", "write_file", "--summary",
                            "hotfix during the outage", "--risk", "critical", "--payload-file", g.dir / "payload.json",
                            "--admin", "root-oncall", "--reason", "INC-4411: billing is down", "--key", g.key,
                            "--store", g.store, "--output-format", "json"});
  INFO(glass.err);
  REQUIRE(glass.exit_code == 0);
  auto d = json::Parse(glass.out);
  REQUIRE(d.ok());
  g.Execute(json::GetString(*d, "token_id"));
  RunResult v = g.Verify();
  CHECK(v.exit_code == 0);
  CHECK(v.out.find("1 under break-glass, 0 violations") != std::string::npos);
  CHECK(v.out.find("break-glass evt_exec_1 (run " + kRun + ", tool write_file): executed under break-glass by root-oncall: "
                   "INC-4411: billing is down") != std::string::npos);
  RunResult list = RunOep({"approvals", "list", "--status", "break_glass", "--store", g.store});
  CHECK(list.out.find("break_glass  write_file (critical)") != std::string::npos);
}

TEST_CASE("approval mistakes get a clear error and leave the store as it was", "[approvals][bad-input]") {
  Gate g(GENERATE(from_range(StoreBackends())));
  std::string request = g.Request();
  std::string before = StoreFingerprint(g.store);
  auto refused = [&](const std::vector<std::string>& args, int code, const std::string& expected) {
    RunResult r = RunOep(args);
    INFO(r.err);
    CHECK(r.exit_code == code);
    CHECK(r.err.find(expected) != std::string::npos);
    CHECK(StoreFingerprint(g.store) == before);
  };
  refused({"approvals", "request", "--run", kRun, "--step", "3", "--tool", "write_file", "--summary", "x", "--risk", "huge",
           "--payload-sha256", "sha256:" + std::string(64, 'a'), "--requested-by", "a", "--store", g.store},
          2, "risk: expected low, medium, high or critical, found \"huge\"");
  refused({"approvals", "request", "--run", "not-a-run", "--step", "3", "--tool", "write_file", "--summary", "x", "--risk",
           "low", "--payload-sha256", "sha256:" + std::string(64, 'a'), "--requested-by", "a", "--store", g.store},
          2, "run: expected a run id (32 lowercase hex digits)");
  refused({"approvals", "request", "--run", kRun, "--step", "3", "--tool", "write_file", "--summary", "x", "--risk", "low",
           "--payload-sha256", "md5:abc", "--requested-by", "a", "--store", g.store},
          2, "payload_sha256: expected sha256:<64 lowercase hex digits>");
  refused({"approvals", "approve", "apr_" + std::string(32, '0'), "--approver", "alice", "--reason", "r", "--key", g.key,
           "--store", g.store},
          1, "no approval request \"apr_00000000000000000000000000000000\"");
  refused({"approvals", "approve", request, "--approver", "alice", "--reason", "r", "--key", g.key, "--ttl", "forever",
           "--store", g.store},
          2, "--ttl forever: expected a duration such as 90s, 15m, 2h or 1d");
  refused({"approvals", "approve", request, "--approver", "alice", "--reason", "r", "--key", g.dir / "missing.pem",
           "--store", g.store},
          2, "missing.pem");
  WriteText(g.dir / "bad_modes.json", R"({"tools": {"write_file": "ask"}})");
  refused({"verify", "--store", g.store, "--tool-modes", g.dir / "bad_modes.json"}, 2,
          "/tools/write_file: expected allow, require_approval or block, found \"ask\"");
  // Deciding twice is a conflict: the first decision stands.
  REQUIRE(RunOep({"approvals", "deny", request, "--approver", "bob", "--reason", "too risky", "--store", g.store}).exit_code == 0);
  before = StoreFingerprint(g.store);
  refused({"approvals", "approve", request, "--approver", "alice", "--reason", "r", "--key", g.key, "--store", g.store},
          2, "is already decided (denied by bob)");
}
