// Ingest through the real CLI: good input, idempotence, and every bad input class:
// clear message (file, line / JSON pointer, expectation), exit 2, store unchanged.
#include <catch2/catch.hpp>

#include "support/support.h"

using namespace oep::test;

namespace {

std::string Example(const std::string& rel) { return RepoRoot() + "/" + rel; }

const std::string kEvent = "events/examples/code_review_demo_read_step.v0.json";
const std::string kManifest = "manifest/examples/code_review_demo_release.v0.json";

// The event example on one line, with `from` replaced by `to`.
std::string EventLine(const std::string& from = "", const std::string& to = "") {
  std::string text = ReadText(Example(kEvent));
  std::string line;
  for (char c : text) if (c != '\n') line.push_back(c);
  if (!from.empty()) {
    size_t at = line.find(from);
    REQUIRE(at != std::string::npos);
    line.replace(at, from.size(), to);
  }
  return line;
}

struct StoreFixture {
  ScratchDir dir;
  std::string store = dir / "s.sqlite";
  StoreFixture() { MakeDemoStore(store); }

  // Ingests `text` as `name` and checks the failure contract.
  RunResult IngestBad(const std::string& name, const std::string& text) {
    std::string before = FileSha256(store);
    std::string dump_before = RunOep({"dump", "--state-path", store}).out;
    WriteText(dir / name, text);
    RunResult r = RunOep({"ingest", "--state-path", store, dir / name});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains(dir / name));
    CHECK(FileSha256(store) == before);
    CHECK(RunOep({"dump", "--state-path", store}).out == dump_before);
    return r;
  }
};

}  // namespace

TEST_CASE("ingest stores examples and re-ingest is idempotent", "[ingest]") {
  ScratchDir dir;
  std::string store = dir / "s.sqlite";
  RunResult r = RunOep({"ingest", "--state-path", store, Example("manifest/examples"), Example("events/examples")});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("4 new"));
  std::string dump = RunOep({"dump", "--state-path", store}).out;
  r = RunOep({"ingest", "--state-path", store, Example("events/examples")});
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("0 new, 3 already stored"));
  CHECK(RunOep({"dump", "--state-path", store}).out == dump);
}

TEST_CASE("ingest reads JSONL and JSON arrays", "[ingest]") {
  StoreFixture f;
  WriteText(f.dir / "batch.jsonl", EventLine("evt_oep_demo_read_diff_0001", "evt_jsonl_1") + "\n\n" +
                                        EventLine("evt_oep_demo_read_diff_0001", "evt_jsonl_2") + "\n");
  WriteText(f.dir / "batch.json", "[" + EventLine("evt_oep_demo_read_diff_0001", "evt_array_1") + "]");
  RunResult r = RunOep({"ingest", "--state-path", f.store, f.dir / "batch.jsonl", f.dir / "batch.json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("3 new"));
  CHECK_THAT(RunOep({"dump", "--state-path", f.store}).out, Catch::Contains("batch.jsonl:3"));
}

TEST_CASE("malformed JSON names the file, line and column", "[ingest][bad-input]") {
  StoreFixture f;
  RunResult r = f.IngestBad("bad.jsonl", EventLine() + "\n{\"schema_version\": }\n");
  CHECK_THAT(r.err, Catch::Contains("line 2") && Catch::Contains("column 20") && Catch::Contains("malformed JSON"));
  // Records are parsed in place: an escaped line break before the error (unescaped into
  // the record's bytes) and CRLF line ends do not move the reported position.
  r = f.IngestBad("escaped.jsonl", EventLine() + "\r\n{\"a\": \"x\\ny\", \"b\": }\r\n");
  CHECK_THAT(r.err, Catch::Contains("escaped.jsonl: line 2: column 20: malformed JSON"));
}

TEST_CASE("schema violation names the JSON pointer and the expectation", "[ingest][bad-input]") {
  StoreFixture f;
  RunResult r = f.IngestBad("bad.json", EventLine("\"deterministic\": true", "\"deterministic\": \"yes\""));
  CHECK_THAT(r.err, Catch::Contains("/replay_handle/deterministic") && Catch::Contains("expected type") &&
                        Catch::Contains("boolean"));
}

TEST_CASE("missing required member is named", "[ingest][bad-input]") {
  StoreFixture f;
  RunResult r = f.IngestBad("bad.json", EventLine("\"outcome\":", "\"outcome_x\":"));
  CHECK_THAT(r.err, Catch::Contains("missing required member \"outcome\""));
}

TEST_CASE("unknown schema_version lists the known kinds", "[ingest][bad-input]") {
  StoreFixture f;
  RunResult r = f.IngestBad("bad.json", EventLine("oep.agent_step_event.v0", "oep.agent_step_event.v9"));
  CHECK_THAT(r.err, Catch::Contains("/schema_version") && Catch::Contains("oep.tool_permission_packet.v0"));
}

TEST_CASE("unknown manifest reference is refused", "[ingest][bad-input]") {
  StoreFixture f;
  std::string second = EventLine("rmf_oep_code_review_demo_v0", "rmf_nowhere");
  second.replace(second.find("evt_oep_demo_read_diff_0001"), 27, "evt_y");
  RunResult r = f.IngestBad("bad.jsonl", EventLine("evt_oep_demo_read_diff_0001", "evt_x") + "\n" + second);
  CHECK_THAT(r.err, Catch::Contains("line 2") && Catch::Contains("/release_manifest_id") &&
                        Catch::Contains("unknown release manifest \"rmf_nowhere\""));
}

TEST_CASE("a manifest later in the same batch satisfies the reference", "[ingest]") {
  ScratchDir dir;
  std::string store = dir / "s.sqlite";
  RunResult r = RunOep({"ingest", "--state-path", store, Example(kEvent), Example(kManifest)});
  INFO(r.err);
  CHECK(r.exit_code == 0);
}

TEST_CASE("duplicate id with different content is refused", "[ingest][bad-input]") {
  StoreFixture f;
  RunResult r = f.IngestBad("bad.json", EventLine("read the 9-line diff", "read the diff"));
  CHECK_THAT(r.err, Catch::Contains("evt_oep_demo_read_diff_0001") &&
                        Catch::Contains("already stored with different content"));
}

TEST_CASE("duplicate keys are refused", "[ingest][bad-input]") {
  StoreFixture f;
  RunResult r = f.IngestBad("bad.json", EventLine("\"event_type\":", "\"event_type\": \"x.y\", \"event_type\":"));
  CHECK_THAT(r.err, Catch::Contains("/event_type") && Catch::Contains("duplicate"));
}

TEST_CASE("records over 8 MiB are refused", "[ingest][bad-input]") {
  StoreFixture f;
  std::string big = EventLine("\"summary\": \"read the 9-line diff of pull request 1042\"",
                              "\"summary\": \"" + std::string(9u << 20, 'x') + "\"");
  RunResult r = f.IngestBad("big.jsonl", big + "\n");
  CHECK_THAT(r.err, Catch::Contains("line 1") && Catch::Contains("8 MiB"));
}

TEST_CASE("JSON nested deeper than 1000 levels is refused before it is walked", "[ingest][bad-input]") {
  StoreFixture f;
  std::string deep = std::string(1500, '[') + std::string(1500, ']');
  RunResult r = f.IngestBad("deep.jsonl", "{\"deep\": " + deep + "}\n");
  CHECK_THAT(r.err, Catch::Contains("deep.jsonl") && Catch::Contains("line 1") &&
                        Catch::Contains("nested more than 1000 levels deep"));
}

TEST_CASE("invalid UTF-8 is refused", "[ingest][bad-input]") {
  StoreFixture f;
  RunResult r = f.IngestBad("bad.json", EventLine("read the 9-line diff", "read the \xc3\x28 diff"));
  CHECK_THAT(r.err, Catch::Contains("encoding"));
}

TEST_CASE("a lone surrogate escape is refused, naming the file and line", "[ingest][bad-input]") {
  StoreFixture f;
  RunResult r = f.IngestBad("bad.jsonl", EventLine() + "\n" + EventLine("read the 9-line diff", "read \\udc00"));
  CHECK_THAT(r.err, Catch::Contains("bad.jsonl: line 2") && Catch::Contains("lone surrogate \\udc00"));
  r = f.IngestBad("bad.json", EventLine("read the 9-line diff", "read \\ud800 diff"));
  CHECK_THAT(r.err, Catch::Contains("bad.json") && Catch::Contains("lone surrogate \\ud800"));
}

TEST_CASE("a raw NUL byte is refused with its position, in a .json file and a .jsonl line", "[ingest][bad-input]") {
  StoreFixture f;
  std::string nul(1, '\0');
  RunResult r = f.IngestBad("bad.json", EventLine() + nul + "{\"ignored\": true}");
  CHECK_THAT(r.err, Catch::Contains("bad.json") && Catch::Contains("NUL byte at offset"));
  r = f.IngestBad("bad.jsonl", EventLine("evt_oep_demo_read_diff_0001", "evt_nul") + nul + " trailing\n");
  CHECK_THAT(r.err, Catch::Contains("bad.jsonl: line 1") && Catch::Contains("NUL byte"));
}

TEST_CASE("a failing batch leaves nothing of a store it would have created", "[ingest][bad-input]") {
  ScratchDir dir;
  std::string store = dir / "new.sqlite";
  WriteText(dir / "bad.json", "{");
  RunResult r = RunOep({"ingest", "--state-path", store, Example(kManifest), dir / "bad.json"});
  CHECK(r.exit_code == 2);
  CHECK(FileSha256(store).empty());
}

TEST_CASE("one bad record rolls back the whole batch", "[ingest][bad-input]") {
  StoreFixture f;
  RunResult r = f.IngestBad("bad.jsonl", EventLine("evt_oep_demo_read_diff_0001", "evt_good") + "\n" +
                                             EventLine("\"actor\":", "\"actor\": 5, \"x\":"));
  CHECK_THAT(r.err, Catch::Contains("line 2"));
}

TEST_CASE("a missing input path is a clear error", "[ingest][bad-input]") {
  StoreFixture f;
  RunResult r = RunOep({"ingest", "--state-path", f.store, f.dir / "nope.json"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("nope.json: no such file or directory"));
}
