// What people see of `oep impact`: rows that add up, labels that say what they mean,
// the mistakes that get a clear error before any work, and progress only on a terminal.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <regex>

#include "support/support.h"
#include "util/display_text.h"

using namespace oep::test;

namespace {

const std::string kEscalation = "permissions/policy/counterfactual/approval_per_step_escalation.rego";

struct Demo : DemoFixture {
  RunResult Impact(std::vector<std::string> args) const {
    args.insert(args.begin(), "impact");
    return Run(args);
  }
};

int64_t CountOf(const std::string& out, const std::string& label) {
  std::smatch m;
  std::string text = out;
  REQUIRE(std::regex_search(text, m, std::regex("\n  " + label + " +([0-9]+)\n")));
  return std::stoll(m[1]);
}

}  // namespace

TEST_CASE("impact's rows add up to the total, evaluative and errors are dimensions", "[impact-view]") {
  Demo d;
  RunResult r = d.Impact({"--policy-bundle", kEscalation});
  REQUIRE(r.exit_code == 0);
  int64_t total = CountOf(r.out, "decisions");
  int64_t sum = 0;
  for (const char* part : {"  unchanged", "  allow -> deny", "  deny -> allow", "  -> undefined",
                           "  other changes \\(rule, reason, code or value\\)", "  not re-decided \\(input unreadable\\)"}) {
    sum += CountOf(r.out, part);
  }
  CHECK(total == 2);
  CHECK(sum == total);
  CHECK(CountOf(r.out, "evaluative \\(not pinned, any row\\)") == 0);
  CHECK(CountOf(r.out, "errors \\(any row\\)") == 0);
}

TEST_CASE("impact's human report fits 80 columns, its heading wrapped with paths whole", "[impact-view]") {
  Demo d;
  RunResult r = d.Impact({"--policy-bundle", kEscalation, "--baseline-bundle", "permissions/policy/tool_permissions.rego"});
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::StartsWith("Impact of " + kEscalation + "\n    (sha256:"));
  CHECK_THAT(r.out, Catch::Contains(" against permissions/policy/tool_permissions.rego\n    (sha256:"));
  for (size_t start = 0, end; (end = r.out.find('\n', start)) != std::string::npos; start = end + 1) {
    std::string line = r.out.substr(start, end - start);
    INFO(line);
    CHECK(oep::DisplayWidth(line) <= 80);
  }
}

TEST_CASE("impact's examples say which transition they are", "[impact-view]") {
  Demo d;
  RunResult r = d.Impact({"--policy-bundle", kEscalation});
  CHECK_THAT(r.out, Catch::Contains("First decisions per transition\n"
                                    "  allow -> deny                                 pder_oep_demo_read_diff_0001\n"
                                    "  deny -> deny (another rule, reason or value)  pder_oep_demo_write_file_0002\n"));
  CHECK_THAT(r.out, !Catch::Contains("First deny->deny"));
  RunResult md = d.Impact({"--policy-bundle", kEscalation, "--output-format", "markdown"});
  CHECK_THAT(md.out, Catch::Contains("- deny -> deny (another rule, reason or value): `pder_oep_demo_write_file_0002`"));
}

TEST_CASE("impact --limit 0 prints no empty headings", "[impact-view]") {
  Demo d;
  RunResult r = d.Impact({"--policy-bundle", kEscalation, "--limit", "0"});
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, !Catch::Contains("First") && !Catch::Contains("per transition"));
  RunResult md = d.Impact({"--policy-bundle", kEscalation, "--limit", "0", "--output-format", "markdown"});
  CHECK_THAT(md.out, !Catch::Contains("Examples") && !Catch::Contains("- allow -> deny:"));
}

TEST_CASE("impact takes the one time syntax and jsonl", "[impact-view]") {
  Demo d;
  CHECK(CountOf(d.Impact({"--policy-bundle", kEscalation, "--since", "20000d"}).out, "decisions") == 2);
  CHECK(CountOf(d.Impact({"--policy-bundle", kEscalation, "--since", "2026-11-01T09:15:05Z"}).out, "decisions") == 1);
  RunResult jsonl = d.Impact({"--policy-bundle", kEscalation, "--output-format", "jsonl"});
  REQUIRE(jsonl.exit_code == 0);
  CHECK(std::count(jsonl.out.begin(), jsonl.out.end(), '\n') == 1);
  CHECK_THAT(jsonl.out, Catch::StartsWith("{"));
}

TEST_CASE("impact mistakes get a clear error before any work and leave the store as it was", "[impact-view]") {
  Demo d;
  WriteEd25519Key(d.dir / "k.pem");
  REQUIRE(RunOep({"seal", "--state-path", d.store, "--chain", "store", "--key", d.dir / "k.pem"}).exit_code == 0);
  CheckFlagRefused(d, {"impact", "--policy-bundle", kEscalation, "--since", "yesterday"},
                   "--since yesterday: expected an RFC 3339 time");
  CheckFlagRefused(d, {"impact", "--policy-bundle", kEscalation, "--until", "soon"}, "--until soon: expected an RFC 3339 time");
  CheckFlagRefused(d, {"impact", "--policy-bundle", d.dir / "missing.rego"},
                   "--policy-bundle " + d.dir / "missing.rego" + ": no such file or directory");
  CheckFlagRefused(d, {"impact", "--policy-bundle", kEscalation, "--baseline-bundle", d.dir / "gone"},
                   "--baseline-bundle " + d.dir / "gone" + ": no such file");
  // Refused before the report is computed: nothing on stdout.
  CheckFlagRefused(d, {"impact", "--policy-bundle", kEscalation, "--save"},
                   "--save: the ledger chain \"store\" of " + d.store + " is sealed");
}

TEST_CASE("impact shows progress on a terminal and nothing on a pipe", "[impact-view][progress]") {
  Demo d;
  REQUIRE(RunOep({"demo", "--state-path", d.store, "--decisions", "3000"}).exit_code == 0);
  // A pipe (RunOep): stderr stays empty.
  RunResult piped = d.Impact({"--policy-bundle", kEscalation});
  REQUIRE(piped.exit_code == 0);
  CHECK(piped.err.empty());
  // A pseudo-terminal as stderr: the progress line is drawn there.
  TerminalRun run = RunOepWithTerminalStderr({"impact", "--state-path", d.store, "--policy-bundle", RepoRoot() + "/" + kEscalation});
  CHECK(run.exit_code == 0);
  std::string seen = run.terminal;
  INFO(seen);
  CHECK_THAT(seen, Catch::Contains("impact: 3,002/3,002 decisions re-decided (100%)") && Catch::Contains("/s"));
}

TEST_CASE("demo --decisions shows progress on a terminal and nothing on a pipe", "[progress]") {
  ScratchDir dir;
  TerminalRun run = RunOepWithTerminalStderr({"demo", "--state-path", dir / "s.db", "--decisions", "25000"});
  INFO(run.terminal);
  CHECK(run.exit_code == 0);
  CHECK_THAT(run.terminal, Catch::Contains("demo: 25,000/25,000 decisions prepared (100%)"));
  RunResult piped = RunOep({"demo", "--state-path", dir / "t.db", "--decisions", "100"});
  CHECK(piped.exit_code == 0);
  CHECK(piped.err.empty());
}
