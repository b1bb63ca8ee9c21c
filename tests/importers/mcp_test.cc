// MCP sessions as evidence, through real subprocesses: `oep mcp-proxy` between a client (the
// test, on the proxy's stdin/stdout) and a real MCP server process (tests/data/mcp), then
// `oep import mcp` of its recording; and every bad recording refused with the store unchanged.
#include <catch2/catch.hpp>

#include <filesystem>

#include "json/json.h"
#include "server/server_fixture.h"
#include "support/support.h"
#include "util/subprocess.h"

using namespace oep;
using namespace oep::test;

namespace {

std::string Data(const std::string& name) { return RepoRoot() + "/tests/data/mcp/" + name; }

// The proxy in front of the fake server, fed the client's messages; the recording's path.
std::string RecordSession(const ScratchDir& dir, std::string* client_saw = nullptr) {
  std::string rec = dir / "session.jsonl";
  auto r = RunProcess({OepBinary(), "mcp-proxy", "--record", rec, "--", "/usr/bin/python3", Data("fake_server.py")}, {},
                      ReadText(Data("client_messages.jsonl")), 60);
  REQUIRE(r.ok());
  INFO(r->err);
  REQUIRE(r->exit_code == 0);
  if (client_saw) *client_saw = r->out;
  return rec;
}

int Lines(const std::string& text) { return static_cast<int>(std::count(text.begin(), text.end(), '\n')); }

}  // namespace

TEST_CASE("mcp-proxy forwards a session unchanged and records every message", "[import][mcp]") {
  ScratchDir dir;
  std::string saw;
  std::string rec = RecordSession(dir, &saw);
  // What the client received is exactly what the server wrote: three responses.
  auto direct = RunProcess({"/usr/bin/python3", Data("fake_server.py")}, {}, ReadText(Data("client_messages.jsonl")), 60);
  REQUIRE(direct.ok());
  CHECK(saw == direct->out);
  CHECK(Lines(saw) == 3);
  std::string text = ReadText(rec);
  CHECK(Lines(text) == 7);  // 4 client messages, 3 responses
  CHECK((std::filesystem::status(rec).permissions() & std::filesystem::perms::others_read) == std::filesystem::perms::none);
  size_t pos = 0;
  int from_client = 0;
  for (int i = 0; i < 7; ++i) {
    size_t end = text.find('\n', pos);
    auto line = json::Parse(text.substr(pos, end - pos));
    REQUIRE(line.ok());
    CHECK(line->HasMember("time"));
    CHECK((*line)["message"]["jsonrpc"] == "2.0");
    from_client += json::GetString(*line, "from") == "client";
    pos = end + 1;
  }
  CHECK(from_client == 4);
}

TEST_CASE("oep import mcp stores each tools/call as an event of one run, redacted, and re-imports as a no-op", "[import][mcp]") {
  ScratchDir dir;
  std::string rec = RecordSession(dir);
  std::string db = dir / "s.sqlite";
  MakeDemoStore(db);
  RunResult r = RunOep({"import", "mcp", rec, "--state-path", db});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("7 MCP messages, 2 tools/call (0 unanswered): 2 stored, 0 already stored, new run"));
  std::string run = r.out.substr(r.out.find("run ") + 4, 32);

  // A copy under another name is the same recording.
  std::filesystem::copy_file(rec, dir / "renamed.jsonl");
  RunResult again = RunOep({"import", "mcp", dir / "renamed.jsonl", "--state-path", db});
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.out, Catch::Contains("run " + run + ": 7 MCP messages, 2 tools/call (0 unanswered): 0 stored, 2 already stored"));

  std::string dump = RunOep({"dump", "--state-path", db}).out;
  CHECK(dump.find("sk-live-123") == std::string::npos);  // the api_key argument: the default profile
  std::string admin = MakeKey(db, "default", "viewer");
  TestServer server(db, dir.path());
  HttpResult steps = server.Get("/v1/runs/" + run + "/steps", admin);
  REQUIRE(steps.status == 200);
  REQUIRE(steps.json["steps"].Size() == 2);
  const auto& first = steps.json["steps"][0]["event"];
  CHECK(json::GetString(first, "event_type") == "tool_call.completed");
  CHECK(json::GetString(first["action"], "name") == "get_order");
  CHECK(json::GetString(first["actor"], "id") == "support-agent");
  CHECK(json::GetString(first["outcome"], "summary") == "order 42: shipped");
  CHECK(json::GetString(first["payload"]["mcp"]["server"], "name") == "fake-db");
  CHECK(first["payload"]["mcp"]["arguments"]["order_id"].GetInt() == 42);
  const auto& second = steps.json["steps"][1]["event"];
  CHECK(json::GetString(second, "event_type") == "tool_call.failed");
  CHECK(json::GetString(second["outcome"], "summary") == "unknown tool: fail");
  CHECK(RunOep({"verify", "--chain", "--state-path", db}).exit_code == 0);
}

TEST_CASE("a tools/call without its response is recorded as unanswered", "[import][mcp]") {
  ScratchDir dir;
  std::string db = dir / "s.sqlite";
  MakeDemoStore(db);
  WriteText(dir / "r.jsonl",
            R"({"from":"client","time":"2026-12-01T10:00:00.000001Z","message":{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"send_mail","arguments":{"to":"a@example.org"}}}})"
            "\n");
  RunResult r = RunOep({"import", "mcp", dir / "r.jsonl", "--state-path", db, "--run", std::string(32, 'a')});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("run " + std::string(32, 'a') + ": 1 MCP messages, 1 tools/call (1 unanswered): 1 stored"));
  CHECK_THAT(RunOep({"dump", "--state-path", db}).out, Catch::Contains("tool_call.unanswered"));
}

TEST_CASE("bad MCP recordings are refused naming the line and pointer, and the store is unchanged", "[import][mcp][bad-input]") {
  ScratchDir dir;
  std::string db = dir / "s.sqlite";
  MakeDemoStore(db);
  std::string before = FileSha256(db);
  const std::string ok_time = R"("time":"2026-12-01T10:00:00Z")";
  struct Bad {
    std::string text, expected;
  };
  for (const Bad& b : std::vector<Bad>{
           {"{not json\n", "r.jsonl:1: "},
           {"[1]\n", "r.jsonl:1: /: expected an object {\"time\""},
           {R"({"from":"client","message":{}})" "\n", "r.jsonl:1: /time: expected an RFC 3339 time"},
           {"{" + ok_time + R"(,"from":"agent","message":{}})" "\n", "r.jsonl:1: /from: expected \"client\" or \"server\""},
           {"{" + ok_time + R"(,"from":"client"})" "\n", "r.jsonl:1: /message: expected a JSON-RPC message"},
           {"{" + ok_time + R"(,"from":"client","message":{"id":1}})" "\n", "r.jsonl:1: /message: expected a JSON-RPC 2.0 message"},
           {"\n{" + ok_time + R"(,"from":"client","message":{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{}}})" "\n",
            "r.jsonl:2: /message/params/name: expected the name of the tool called"},
           {"{" + ok_time + R"(,"from":"client","message":{"jsonrpc":"2.0","id":[1],"method":"tools/call","params":{"name":"x"}}})" "\n",
            "r.jsonl:1: /message/id: expected a string or integer request id"},
           {"{" + ok_time + R"(,"from":"client","unparsed":"hello"})" "\n", "no MCP messages"},
       }) {
    WriteText(dir / "r.jsonl", b.text);
    RunResult r = RunOep({"import", "mcp", dir / "r.jsonl", "--state-path", db});
    INFO(b.text << " -> " << r.err);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains(b.expected));
    CHECK(FileSha256(db) == before);
  }
  RunResult run = RunOep({"import", "mcp", Data("client_messages.jsonl"), "--state-path", db, "--run", "xyz"});
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.err, Catch::Contains("--run xyz: expected 32 lower-case hex digits"));
  CHECK(FileSha256(db) == before);
}

TEST_CASE("mcp-proxy refuses a server it cannot start and a recording it cannot open", "[import][mcp][bad-input]") {
  ScratchDir dir;
  RunResult missing = RunOep({"mcp-proxy", "--record", dir / "r.jsonl", "--", "no-such-mcp-server-xyz"});
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.err, Catch::Contains("cannot run no-such-mcp-server-xyz"));
  RunResult unwritable = RunOep({"mcp-proxy", "--record", dir / "no/such/dir/r.jsonl", "--", "/usr/bin/python3", Data("fake_server.py")});
  CHECK(unwritable.exit_code == 2);
  CHECK_THAT(unwritable.err, Catch::Contains("--record " + dir / "no/such/dir/r.jsonl"));
}
