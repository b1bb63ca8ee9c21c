// The incident view (`oep replay ID --output-format human|markdown`): golden files of the
// demo decisions compared byte for byte, escaping, imported decisions, the chain's class
// and the mistakes that get a clear error. OEP_UPDATE_GOLDEN=1 rewrites the golden files.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "support/support.h"

using namespace oep::test;

namespace {

struct Demo : DemoFixture {
  RunResult Replay(std::vector<std::string> args) const {
    args.insert(args.begin(), "replay");
    return Run(args);
  }
};

void CheckGolden(const std::string& actual, const std::string& name) {
  std::string path = RepoRoot() + "/tests/data/golden/" + name;
  if (const char* update = std::getenv("OEP_UPDATE_GOLDEN"); update && std::string(update) == "1") WriteText(path, actual);
  INFO(path);
  CHECK(actual == ReadText(path));
}

}  // namespace

TEST_CASE("incident views of the demo decisions match their golden files", "[incident]") {
  Demo d;
  for (const char* id : {"pder_oep_demo_read_diff_0001", "pder_oep_demo_write_file_0002"}) {
    for (const auto& [format, ext] : {std::pair{"human", ".human.txt"}, {"markdown", ".md"}}) {
      RunResult r = d.Replay({id, "--output-format", format});
      INFO(r.err);
      REQUIRE(r.exit_code == 0);
      CheckGolden(r.out, std::string(id) + ext);
    }
  }
}

TEST_CASE("the human incident view fits 80 columns but for unbreakable ids", "[incident]") {
  Demo d;
  RunResult r = d.Replay({"pder_oep_demo_write_file_0002", "--output-format", "human"});
  REQUIRE(r.exit_code == 0);
  for (size_t start = 0, end; (end = r.out.find('\n', start)) != std::string::npos; start = end + 1) {
    std::string line = r.out.substr(start, end - start);
    if (line.find("sha256:a7f382032d2524991746ba1fa8171a94e8ca0b38e70a4440fe1522ceaae569ff") != std::string::npos) continue;
    INFO(line);
    CHECK(line.size() <= 80 + 2 * 3);  // "…" and "→" are 3 bytes, one column
  }
  // Verdict, rule and reason come first.
  CHECK_THAT(r.out, Catch::StartsWith("Decision pder_oep_demo_write_file_0002: DENIED\n"
                                      "  rule        deny_write_without_approval\n"
                                      "  reason      writes to the repository need a recorded human approval\n"));
}

TEST_CASE("the incident view with --full shows the whole OPA input", "[incident]") {
  Demo d;
  RunResult summary = d.Replay({"pder_oep_demo_write_file_0002", "--output-format", "human"});
  RunResult full = d.Replay({"pder_oep_demo_write_file_0002", "--output-format", "human", "--full"});
  REQUIRE(full.exit_code == 0);
  CHECK_THAT(summary.out, Catch::Contains("OPA input (summary; --full shows all of it)"));
  CHECK_THAT(full.out, Catch::Contains("OPA input\n  {\n    \"action\": {\n      \"action_type\": \"write_file\","));
  CHECK_THAT(full.out, Catch::Contains("\"budget_usd\": 1,"));
  RunResult md = d.Replay({"pder_oep_demo_write_file_0002", "--output-format", "markdown", "--full"});
  CHECK_THAT(md.out, Catch::Contains("#### OPA input\n\n```json\n{\n  \"action\": {"));
}

TEST_CASE("strings from policies and inputs never reach the terminal raw", "[incident]") {
  ScratchDir dir;
  std::string store = dir / "s.sqlite";
  std::string packet = ReadText(RepoRoot() + "/permissions/examples/code_review_demo_write_denied.v0.json");
  auto replace = [&](const std::string& from, const std::string& to) { packet.replace(packet.find(from), from.size(), to); };
  replace("writes to the repository need a recorded human approval", "evil \\u001b[2J\\u001b]0;owned\\u0007 \\u202e txt");
  replace("\"run\": {", "\"note\": \"line1\\nline2 | `x` *y*\", \"run\": {");
  WriteText(dir / "packet.json", packet);
  RunResult ingest = RunOep({"ingest", "--state-path", store, RepoRoot() + "/manifest/examples/code_review_demo_release.v0.json",
                             dir / "packet.json"});
  INFO(ingest.err);
  REQUIRE(ingest.exit_code == 0);
  for (const char* format : {"human", "markdown"}) {
    RunResult r = RunOep({"replay", "--state-path", store, "pder_oep_demo_write_file_0002", "--output-format", format});
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find('\x1b') == std::string::npos);
    CHECK(r.out.find('\x07') == std::string::npos);
    CHECK(r.out.find("\xe2\x80\xae") == std::string::npos);
    CHECK_THAT(r.out, Catch::Contains("x1b") && Catch::Contains("u{202E}"));
  }
  RunResult human = RunOep({"replay", "--state-path", store, "pder_oep_demo_write_file_0002", "--output-format", "human"});
  CHECK_THAT(human.out, Catch::Contains("reason      evil \\x1b[2J\\x1b]0;owned\\x07 \\u{202E} txt\n"));
  CHECK_THAT(human.out, Catch::Contains("note                 line1\\x0aline2 | `x` *y*\n"));
  RunResult md = RunOep({"replay", "--state-path", store, "pder_oep_demo_write_file_0002", "--output-format", "markdown"});
  CHECK_THAT(md.out, Catch::Contains("| note | line1\\\\x0aline2 \\| \\`x\\` \\*y\\* |"));
  RunResult list = RunOep({"decisions", "--state-path", store});
  CHECK(list.out.find('\x1b') == std::string::npos);
  RunResult field = RunOep({"replay", "--state-path", store, "pder_oep_demo_write_file_0002", "--field", "decision.reason",
                            "--output-format", "human"});
  CHECK(field.out == "evil \\x1b[2J\\x1b]0;owned\\x07 \\u{202E} txt\n");
}

TEST_CASE("an imported decision shows what the log did not record as not recorded", "[incident]") {
  ScratchDir dir;
  std::string store = dir / "s.sqlite";
  REQUIRE(RunOep({"import", "opa-decision-log", "--state-path", store,
                  RepoRoot() + "/tests/data/opa_decision_log/httpapi_authz.jsonl"})
              .exit_code == 0);
  RunResult r = RunOep({"replay", "--state-path", store, "pder_opa_8f1c0000-0000-4000-8000-000000000039", "--output-format",
                        "human"});
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("  rule        not recorded\n  reason      not recorded\n"));
  CHECK_THAT(r.out, Catch::Contains("Event: not recorded") && Catch::Contains("Trace: not recorded") &&
                        Catch::Contains("Reconstruction: not recorded") && Catch::Contains("approval    not recorded"));
  CHECK_THAT(r.out, Catch::Contains("  model        not recorded"));
  CHECK_THAT(r.out, !Catch::Contains("MISSING") && !Catch::Contains(" - "));
  for (size_t start = 0, end; (end = r.out.find('\n', start)) != std::string::npos; start = end + 1) {
    std::string line = r.out.substr(start, end - start);
    INFO(line);
    CHECK(line.find_last_not_of(' ') == line.size() - 1);  // no blank values, no trailing spaces
  }
}

TEST_CASE("the chain's evidence class follows the trusted keys", "[incident]") {
  Demo d;
  WriteEd25519Key(d.dir / "server.pem");
  REQUIRE(RunOep({"keys", "export", "--key", d.dir / "server.pem", "--out", d.dir / "server.pub.pem"}).exit_code == 0);
  REQUIRE(RunOep({"seal", "--state-path", d.store, "--chain", "run:5e0c1d2a9b8f47d6a1c3e5f7091b2d4f", "--key",
                  d.dir / "server.pem", "--authority", "server"})
              .exit_code == 0);
  RunResult untrusted = d.Replay({"pder_oep_demo_read_diff_0001", "--output-format", "human"});
  CHECK_THAT(untrusted.out, Catch::Contains("NON_AUTHORITATIVE") && Catch::Contains("untrusted: no trusted keys given"));
  RunResult trusted = d.Replay({"pder_oep_demo_read_diff_0001", "--output-format", "human", "--trusted-key",
                                "server=" + d.dir / "server.pub.pem"});
  INFO(trusted.err);
  CHECK_THAT(trusted.out, Catch::Contains("run:5e0c1d2a9b8f47d6a1c3e5f7091b2d4f: AUTHORITATIVE (9 entries,"));
}

TEST_CASE("replay mistakes get a clear error and leave the store as it was", "[incident]") {
  Demo d;
  std::string bundle = RepoRoot() + "/permissions/policy/counterfactual/workflow_step_bound.rego";
  const std::string id = "pder_oep_demo_write_file_0002", hint = " re-decides under a substituted policy: add --counterfactual";
  CheckFlagRefused(d, {"replay", id, "--policy-bundle", bundle}, "--policy-bundle" + hint);
  CheckFlagRefused(d, {"replay", id, "--query", "data.x"}, "--query" + hint);
  CheckFlagRefused(d, {"replay", id, "--engine", "opa"}, "--engine" + hint);
  CheckFlagRefused(d, {"replay", id, "--counterfactual", "--policy-bundle", d.dir / "missing.rego"},
                   "--policy-bundle " + d.dir / "missing.rego" + ": no such file or directory");
  CheckFlagRefused(d, {"replay", id, "--counterfactual"}, "--counterfactual needs --policy-bundle");
}
