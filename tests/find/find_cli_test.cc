// `oep decisions` and `oep runs` through the real binary on the demo store.
#include <catch2/catch.hpp>

#include "support/support.h"

using namespace oep::test;

namespace {

struct Demo : DemoFixture {
  // Decision ids the listing prints, in order (first column of each row after the header).
  std::vector<std::string> Ids(std::vector<std::string> args) {
    args.insert(args.begin(), "decisions");
    RunResult r = Run(args);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    std::vector<std::string> ids;
    size_t start = r.out.find('\n') + 1;
    for (size_t end; (end = r.out.find('\n', start)) != std::string::npos; start = end + 1) {
      if (r.out[start] != ' ') ids.push_back(r.out.substr(start, r.out.find(' ', start) - start));  // not a stacked line
    }
    return ids;
  }
};

const std::string kWrite = "pder_oep_demo_write_file_0002", kRead = "pder_oep_demo_read_diff_0001";

}  // namespace

TEST_CASE("decisions lists one line per decision, newest first", "[find]") {
  Demo d;
  RunResult r = d.Run({"decisions"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out ==
        "DECISION                       TIME                  TOOL        OUTCOME  RULE\n"
        "pder_oep_demo_write_file_0002  2026-11-01T09:15:07Z  write_file  deny     deny_write_without_approval\n"
        "pder_oep_demo_read_diff_0001   2026-11-01T09:15:02Z  read_diff   allow    allow_read_only_review_tools\n");
}

// Every line of `out` fits `width` display columns (ASCII here: bytes).
void CheckFits(const std::string& out, size_t width) {
  for (size_t start = 0, end; (end = out.find('\n', start)) != std::string::npos; start = end + 1) {
    INFO(out.substr(start, end - start));
    CHECK(end - start <= width);
  }
}

TEST_CASE("at 80 columns the rule, status and release go under their row and ids stay whole", "[find]") {
  Demo d;
  RunResult r = RunOep({"decisions", "--state-path", d.store}, {"OEP_TRUSTED_KEYS=", "COLUMNS=80"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out ==
        "DECISION                       TIME                  TOOL        OUTCOME\n"
        "pder_oep_demo_write_file_0002  2026-11-01T09:15:07Z  write_file  deny\n"
        "  rule deny_write_without_approval\n"
        "pder_oep_demo_read_diff_0001   2026-11-01T09:15:02Z  read_diff   allow\n"
        "  rule allow_read_only_review_tools\n");
  CheckFits(r.out, 80);
  RunResult runs = RunOep({"runs", "--state-path", d.store}, {"OEP_TRUSTED_KEYS=", "COLUMNS=80"});
  REQUIRE(runs.exit_code == 0);
  CHECK(runs.out ==
        "RUN                               STARTED               DECISIONS  DENIED\n"
        "5e0c1d2a9b8f47d6a1c3e5f7091b2d4f  2026-11-01T09:15:00Z          2       1\n"
        "  status completed_with_denials  release rmf_oep_code_review_demo_v0\n");
  CheckFits(runs.out, 80);
  // Wide enough for the whole row: one line per item, as in a pipe.
  RunResult wide = RunOep({"decisions", "--state-path", d.store, "--limit", "1"}, {"OEP_TRUSTED_KEYS=", "COLUMNS=120"});
  CHECK(wide.out ==
        "DECISION                       TIME                  TOOL        OUTCOME  RULE\n"
        "pder_oep_demo_write_file_0002  2026-11-01T09:15:07Z  write_file  deny     deny_write_without_approval\n");
  // A COLUMNS that is not a width is ignored (the output is a pipe here).
  CHECK(RunOep({"decisions", "--state-path", d.store, "--limit", "1"}, {"OEP_TRUSTED_KEYS=", "COLUMNS=wide"}).out == wide.out);
}

TEST_CASE("decisions filters by tool, actor, outcome, run, path, time and limit", "[find]") {
  Demo d;
  using V = std::vector<std::string>;
  CHECK(d.Ids({"--tool", "read_diff"}) == V{kRead});
  CHECK(d.Ids({"--actor", "agent_oep_demo_reviewer"}) == V{kWrite, kRead});
  CHECK(d.Ids({"--actor", "someone_else"}).empty());
  CHECK(d.Ids({"--allow"}) == V{kRead});
  CHECK(d.Ids({"--deny"}) == V{kWrite});
  CHECK(d.Ids({"--run", "5e0c1d2a9b8f47d6a1c3e5f7091b2d4f"}) == V{kWrite, kRead});
  CHECK(d.Ids({"--run", "00000000000000000000000000000000"}).empty());
  CHECK(d.Ids({"--path", "oep/permissions/decision"}) == V{kWrite, kRead});
  CHECK(d.Ids({"--path", "data.oep.permissions.decision"}) == V{kWrite, kRead});
  CHECK(d.Ids({"--path", "oep/other"}).empty());
  CHECK(d.Ids({"--since", "2026-11-01T09:15:05Z"}) == V{kWrite});
  CHECK(d.Ids({"--until", "2026-11-01T10:15:05+01:00"}) == V{kRead});
  CHECK(d.Ids({"--since", "2026-11-01"}) == V{kWrite, kRead});
  CHECK(d.Ids({"--since", "20000d"}) == V{kWrite, kRead});  // durations count back from now
  CHECK(d.Ids({"--limit", "1"}) == V{kWrite});
}

TEST_CASE("decisions prints json, jsonl and markdown", "[find]") {
  Demo d;
  RunResult jsonl = d.Run({"decisions", "--output-format", "jsonl", "--limit", "1"});
  REQUIRE(jsonl.exit_code == 0);
  CHECK(jsonl.out ==
        "{\"actor\":\"agent_oep_demo_reviewer\",\"decision_id\":\"pder_oep_demo_write_file_0002\",\"decision_time\":"
        "\"2026-11-01T09:15:07Z\",\"imported_from_decision_log\":false,\"matched_rule\":\"deny_write_without_approval\","
        "\"outcome\":\"deny\",\"query\":\"data.oep.permissions.decision\",\"reason\":\"writes to the repository need a "
        "recorded human approval\",\"tool\":\"write_file\",\"trace_id\":\"5e0c1d2a9b8f47d6a1c3e5f7091b2d4f\"}\n");
  RunResult json = d.Run({"decisions", "--output-format", "json"});
  CHECK_THAT(json.out, Catch::StartsWith("[\n  {\n    \"actor\"") && Catch::EndsWith("}\n]\n"));
  RunResult md = d.Run({"decisions", "--output-format", "markdown", "--tool", "write_file"});
  CHECK(md.out ==
        "| DECISION | TIME | TOOL | OUTCOME | RULE |\n| --- | --- | --- | --- | --- |\n"
        "| `pder_oep_demo_write_file_0002` | 2026-11-01T09:15:07Z | write_file | deny | deny_write_without_approval |\n");
  RunResult none = d.Run({"decisions", "--tool", "nope", "--output-format", "json"});
  CHECK(none.out == "[]\n");
  CHECK_THAT(d.Run({"decisions", "--tool", "nope"}).out, Catch::StartsWith("no decisions in ") && Catch::EndsWith(" match\n"));
}

TEST_CASE("runs lists each run with its decision counts", "[find]") {
  Demo d;
  RunResult r = d.Run({"runs"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out ==
        "RUN                               STARTED               STATUS                  DECISIONS  DENIED  RELEASE\n"
        "5e0c1d2a9b8f47d6a1c3e5f7091b2d4f  2026-11-01T09:15:00Z  completed_with_denials          2       1  "
        "rmf_oep_code_review_demo_v0\n");
  CHECK(d.Run({"runs", "--tool", "write_file", "--output-format", "jsonl"}).out ==
        "{\"decisions\":2,\"denied\":1,\"release_manifest_id\":\"rmf_oep_code_review_demo_v0\",\"run_id\":"
        "\"5e0c1d2a9b8f47d6a1c3e5f7091b2d4f\",\"started_at\":\"2026-11-01T09:15:00Z\",\"status\":\"completed_with_denials\"}\n");
  CHECK(d.Run({"runs", "--tool", "nope", "--output-format", "json"}).out == "[]\n");
  CHECK(d.Run({"runs", "--since", "2026-11-02", "--output-format", "json"}).out == "[]\n");
}

TEST_CASE("finding mistakes get a clear error and leave the store as it was", "[find]") {
  Demo d;
  CheckFlagRefused(d, {"decisions", "--since", "yesterday"}, "--since yesterday: expected an RFC 3339 time");
  CheckFlagRefused(d, {"decisions", "--until", "7y"}, "--until 7y: expected an RFC 3339 time");
  CheckFlagRefused(d, {"decisions", "--since", "2026-11-02", "--until", "2026-11-01"}, "is after --until");
  CheckFlagRefused(d, {"decisions", "--allow", "--deny"}, "--allow and --deny exclude each other");
  CheckFlagRefused(d, {"decisions", "--limit", "0"}, "--limit 0: expected a whole number of at least 1");
  CheckFlagRefused(d, {"runs", "--limit", "0"}, "--limit 0: expected a whole number of at least 1");
  CheckFlagRefused(d, {"runs", "--since", "last week"}, "--since last week: expected");
  RunResult bad = d.Run({"decisions", "--output-format", "yaml"});
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("--output-format"));
}
