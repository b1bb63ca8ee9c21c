#include <catch2/catch.hpp>

#include "json/json.h"
#include "support/support.h"

using namespace oep::test;

namespace {

std::string Policy(const char* name) { return RepoRoot() + "/permissions/policy/counterfactual/" + name; }

}  // namespace

TEST_CASE("impact counts transitions and names the flipped decisions", "[impact]") {
  ScratchDir dir;
  std::string store = dir / "s.sqlite";
  MakeDemoStore(store);
  RunResult r = RunOep({"impact", "--state-path", store, "--policy-bundle", Policy("budget_per_run_cap.rego"), "--json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto doc = oep::json::Parse(r.out);
  REQUIRE(doc.ok());
  auto at = [&](const char* p) { return oep::json::CanonicalText(*oep::json::FindDotted(*doc, p)); };
  CHECK(at("counts.total") == "2");
  CHECK(at("counts.allow_to_deny") == "1");
  CHECK(at("counts.other_changes") == "1");
  CHECK(at("examples.allow->deny") == "[\"pder_oep_demo_read_diff_0001\"]");
  CHECK(at("rule_transitions.allow_read_only_review_tools -> deny_run_budget_exceeded") == "1");
}

TEST_CASE("impact agrees with single-decision counterfactual replay on a synthetic store", "[impact]") {
  ScratchDir dir;
  std::string store = dir / "s.sqlite";
  REQUIRE(RunOep({"demo", "--decisions", "300", "--state-path", store}).exit_code == 0);
  // The recorded policy changes nothing (synthetic decisions follow it).
  RunResult same = RunOep({"impact", "--state-path", store, "--policy-bundle",
                           RepoRoot() + "/permissions/policy/tool_permissions.rego", "--json"});
  REQUIRE(same.exit_code == 0);
  CHECK_THAT(same.out, Catch::Contains("\"total\":302") && Catch::Contains("\"unchanged\":302"));
  // A flipped id reported by impact flips in single-decision replay too.
  RunResult r = RunOep({"impact", "--state-path", store, "--policy-bundle", Policy("approval_per_step_escalation.rego"),
                        "--json", "--limit", "1"},
                       {"OEP_SQLITE_BATCH_VARIABLE_LIMIT=7"});
  REQUIRE(r.exit_code == 0);
  auto doc = oep::json::Parse(r.out);
  REQUIRE(doc.ok());
  const auto* ids = oep::json::FindDotted(*doc, "examples.allow->deny");
  REQUIRE(ids != nullptr);
  REQUIRE(ids->Size() == 1);
  RunResult one = RunOep({"replay", (*ids)[0].GetString(), "--state-path", store, "--counterfactual", "--policy-bundle",
                          Policy("approval_per_step_escalation.rego"), "--field", "diff.transition"});
  CHECK(one.out == "allow->deny\n");
}

TEST_CASE("impact filters by tool, actor and time", "[impact]") {
  ScratchDir dir;
  std::string store = dir / "s.sqlite";
  MakeDemoStore(store);
  RunResult tool = RunOep({"impact", "--state-path", store, "--policy-bundle", Policy("budget_per_run_cap.rego"),
                           "--tool", "write_file", "--json"});
  CHECK_THAT(tool.out, Catch::Contains("\"total\":1"));
  RunResult until = RunOep({"impact", "--state-path", store, "--policy-bundle", Policy("budget_per_run_cap.rego"),
                            "--until", "2026-11-01T09:15:03Z", "--json"});
  CHECK_THAT(until.out, Catch::Contains("\"total\":1"));
  RunResult actor = RunOep({"impact", "--state-path", store, "--policy-bundle", Policy("budget_per_run_cap.rego"),
                            "--actor", "nobody", "--json"});
  CHECK_THAT(actor.out, Catch::Contains("\"total\":0"));
}

TEST_CASE("impact refuses a batch size SQLite cannot bind", "[impact][bad-input]") {
  ScratchDir dir;
  std::string store = dir / "s.sqlite";
  MakeDemoStore(store);
  for (const char* bad : {"0", "32767", "ten"}) {
    RunResult r = RunOep({"impact", "--state-path", store, "--policy-bundle", Policy("budget_per_run_cap.rego")},
                         {std::string("OEP_SQLITE_BATCH_VARIABLE_LIMIT=") + bad});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("OEP_SQLITE_BATCH_VARIABLE_LIMIT") && Catch::Contains("1 to 32766"));
  }
}

TEST_CASE("impact through the OPA CLI engine matches the native engine", "[impact][opa-engine]") {
  ScratchDir dir;
  std::string store = dir / "s.sqlite";
  REQUIRE(RunOep({"demo", "--decisions", "120", "--state-path", store}).exit_code == 0);
  std::vector<std::string> args = {"impact", "--state-path", store, "--policy-bundle",
                                   Policy("approval_per_step_escalation.rego"), "--json", "--limit", "3"};
  RunResult native = RunOep(args);
  args.insert(args.end(), {"--engine", "opa"});
  RunResult opa = RunOep(args, {"OEP_OPA_BIN_PATH=" + RepoRoot() + "/tests/data/opa_shim.sh",
                                std::string("OEP_SHIM_TARGET=") + OepBinary(), "OEP_SQLITE_BATCH_VARIABLE_LIMIT=50"});
  INFO(opa.err);
  REQUIRE(native.exit_code == 0);
  REQUIRE(opa.exit_code == 0);
  auto counts = [](const std::string& out) { return out.substr(out.find("\"counts\""), out.find("\"engine\"") - out.find("\"counts\"")); };
  CHECK(counts(native.out) == counts(opa.out));
  CHECK_THAT(opa.out, Catch::Contains("\"engine\":\"opa CLI at"));
}

TEST_CASE("integers beyond 2^53 reach the policy exactly on the native and OPA CLI paths", "[impact]") {
  ScratchDir dir;
  std::string store = dir / "s.sqlite";
  // 2^53 + 1 is not a double: a policy comparing it exactly sees the recorded value.
  WriteText(dir / "log.jsonl",
            R"({"decision_id":"n1","path":"limits/allow","timestamp":"2026-11-20T09:00:00Z","result":true,"input":{"n":9007199254740993}})"
            "\n");
  REQUIRE(RunOep({"import", "opa-decision-log", dir / "log.jsonl", "--state-path", store}).exit_code == 0);
  WriteText(dir / "p.rego", "package limits\n\nimport rego.v1\n\ndefault allow := false\n\nallow if input.n == 9007199254740993\n");
  std::string shim = RepoRoot() + "/tests/data/opa_shim.sh";
  for (std::string engine : {"native", "opa"}) {
    RunResult r = RunOep({"impact", "--state-path", store, "--policy-bundle", dir / "p.rego", "--engine", engine, "--json"},
                         {"OEP_OPA_BIN_PATH=" + shim, "OEP_SHIM_TARGET=" + OepBinary()});
    INFO(engine << ": " << r.out << r.err);
    CHECK_THAT(r.out, Catch::Contains("\"unchanged\":1"));
  }
}
