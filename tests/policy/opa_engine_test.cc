// The OPA CLI engine, driven for real through `oep rego eval` behind OEP_OPA_BIN_PATH.
#include <sys/stat.h>

#include <chrono>
#include <filesystem>

#include <catch2/catch.hpp>

#include "support/support.h"
#include "util/subprocess.h"

using namespace oep::test;

namespace {

struct Demo {
  ScratchDir dir;
  std::string store = dir / "demo.sqlite";
  std::string shim_env = std::string("OEP_SHIM_TARGET=") + OepBinary();
  Demo() { MakeDemoStore(store); }
  // A stand-in OPA: answers `opa version` as OPA 1.4.2 does, runs `body` for eval.
  std::string Script(const std::string& name, const std::string& body) {
    std::string path = dir / name;
    WriteText(path, "#!/bin/sh\nif [ \"$1\" = version ]; then echo 'Version: 1.4.2'; exit 0; fi\n" + body + "\n");
    ::chmod(path.c_str(), 0755);
    return path;
  }
  RunResult Cf(const std::string& engine, const std::string& opa, std::vector<std::string> extra_env = {},
               const std::string& id = "pder_oep_demo_read_diff_0001",
               const std::string& bundle = RepoRoot() + "/permissions/policy/counterfactual/budget_per_run_cap.rego") {
    extra_env.push_back("OEP_OPA_BIN_PATH=" + opa);
    extra_env.push_back(shim_env);
    return RunOep({"replay", id, "--state-path", store, "--counterfactual", "--engine", engine, "--policy-bundle", bundle,
                   "--output-format", "jsonl", "--replay-timestamp-utc", "2026-11-25T00:00:00Z"},
                  extra_env);
  }
};

std::string Shim() { return RepoRoot() + "/tests/data/opa_shim.sh"; }

}  // namespace

TEST_CASE("the OPA engine decides through the opa eval command line", "[opa-engine]") {
  Demo d;
  RunResult r = d.Cf("opa", Shim());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("\"name\":\"opa\"") && Catch::Contains("\"transition\":\"allow->deny\""));
}

TEST_CASE("both engines agree on the demo decisions", "[opa-engine]") {
  Demo d;
  for (const char* id : {"pder_oep_demo_read_diff_0001", "pder_oep_demo_write_file_0002"}) {
    RunResult r = d.Cf("both", Shim(), {}, id);
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("\"agree\":true"));
  }
}

TEST_CASE("both engines agree on the demo and reference policies through OPA 0.61 and 1.x", "[opa-engine]") {
  Demo d;
  std::vector<std::string> bundles = {RepoRoot() + "/permissions/policy/tool_permissions.rego"};
  for (const char* p : {"approval_per_step_escalation", "budget_per_run_cap", "workflow_step_bound"}) {
    bundles.push_back(RepoRoot() + "/permissions/policy/counterfactual/" + p + ".rego");
  }
  if (std::string ref = CorpusDir("oep-reference"); !ref.empty()) {
    bundles.push_back(ref + "/permissions/policy/tool_permissions.rego");
    for (const char* p : {"approval_per_step_escalation", "budget_per_run_cap", "compound_reliability_step_bound"}) {
      bundles.push_back(ref + "/permissions/policy/counterfactual/" + p + ".rego");
    }
  } else {
    WARN("../shared/corpus/oep-reference is absent: the reference policies are skipped");
  }
  for (const char* version : {"0.61.0", "1.4.2"}) {
    for (const auto& bundle : bundles) {
      for (const char* id : {"pder_oep_demo_read_diff_0001", "pder_oep_demo_write_file_0002"}) {
        RunResult r = d.Cf("both", Shim(), {std::string("OEP_SHIM_OPA_VERSION=") + version}, id, bundle);
        INFO(version << " " << bundle << " " << id << ": " << r.err);
        CHECK(r.exit_code == 0);
        CHECK_THAT(r.out, Catch::Contains("\"agree\":true"));
      }
    }
  }
}

TEST_CASE("a disagreement between engines exits non-zero", "[opa-engine]") {
  Demo d;
  std::string liar = d.Script("liar.sh", "cat >/dev/null; echo '{\"result\":[{\"expressions\":[{\"value\":{\"0\":{\"allow\":true}}}]}]}'");
  RunResult r = d.Cf("both", liar);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Catch::Contains("\"agree\":false"));
  CHECK_THAT(r.err, Catch::Contains("disagree"));
}

TEST_CASE("an undefined OPA result is reported as undefined", "[opa-engine]") {
  Demo d;
  std::string undefined = d.Script("undef.sh", "cat >/dev/null; echo '{}'");
  RunResult r = d.Cf("opa", undefined);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("\"transition\":\"allow->undefined\""));
}

TEST_CASE("OPA engine failures are clear errors", "[opa-engine][bad-input]") {
  Demo d;
  RunResult slow = d.Cf("opa", d.Script("slow.sh", "sleep 20"), {"OEP_OPA_EVAL_TIMEOUT_SECONDS=0.3"});
  CHECK(slow.exit_code == 2);
  CHECK_THAT(slow.err, Catch::Contains("timed out after 0.3 s") && Catch::Contains("process group was killed"));
  RunResult junk = d.Cf("opa", d.Script("junk.sh", "cat >/dev/null; echo not json"));
  CHECK(junk.exit_code == 2);
  CHECK_THAT(junk.err, Catch::Contains("not OPA's JSON") && Catch::Contains("not json"));
  RunResult failing = d.Cf("opa", d.Script("fail.sh", "cat >/dev/null; head -c 5000 /dev/zero | tr '\\\\0' x; exit 3"));
  CHECK(failing.exit_code == 2);
  CHECK_THAT(failing.err, Catch::Contains("exited 3"));
  CHECK(failing.err.size() < 1300);  // OPA's output is surfaced bounded to 1,000 bytes
  RunResult missing = d.Cf("opa", d.dir / "no-such-opa");
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.err, Catch::Contains("OEP_OPA_BIN_PATH") && Catch::Contains("not an executable"));
}

TEST_CASE("the OPA timeout takes plain decimal seconds from 0.001 to 86400 only", "[opa-engine][bad-input]") {
  Demo d;
  for (const char* t : {"0", "0.0001", "inf", "nan", "1e300", "1e3", "0x10", "-1", "100000", " 5", "5s", "1.5.0", ".5"}) {
    INFO(t);
    RunResult r = d.Cf("opa", Shim(), {std::string("OEP_OPA_EVAL_TIMEOUT_SECONDS=") + t});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("plain decimal seconds from 0.001 to 86400"));
  }
  for (const char* t : {"0.5", "30", "86400"}) {
    INFO(t);
    CHECK(d.Cf("opa", Shim(), {std::string("OEP_OPA_EVAL_TIMEOUT_SECONDS=") + t}).exit_code == 0);
  }
}

TEST_CASE("an OPA answer is kept when OPA leaves a child holding its output open", "[opa-engine]") {
  Demo d;
  std::string forking = d.Script("forking.sh", "\"$OEP_SHIM_TARGET\" rego \"$@\"; sleep 30 &");
  auto start = std::chrono::steady_clock::now();
  RunResult held = d.Cf("opa", forking, {"OEP_OPA_EVAL_TIMEOUT_SECONDS=10"});
  INFO(held.err);
  CHECK(held.exit_code == 0);
  CHECK_THAT(held.out, Catch::Contains("\"transition\":\"allow->deny\""));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(9));
}

TEST_CASE("an OPA that closes its output and keeps running times out", "[opa-engine][bad-input]") {
  Demo d;
  auto start = std::chrono::steady_clock::now();
  RunResult r = d.Cf("opa", d.Script("mute.sh", "exec >&- 2>&- <&-; sleep 30"), {"OEP_OPA_EVAL_TIMEOUT_SECONDS=0.5"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("timed out"));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(20));
}

TEST_CASE("OPA output past its cap is refused and OPA killed", "[opa-engine][bad-input]") {
  Demo d;
  RunResult r = d.Cf("opa", d.Script("flood.sh", "cat >/dev/null; exec head -c 50000000 /dev/zero"),
                     {"OEP_OPA_MAX_OUTPUT_BYTES=1048576"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("more than 1048576 bytes on stdout") && Catch::Contains("OEP_OPA_MAX_OUTPUT_BYTES"));
  RunResult bad = d.Cf("opa", Shim(), {"OEP_OPA_MAX_OUTPUT_BYTES=lots"});
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("OEP_OPA_MAX_OUTPUT_BYTES=lots"));
}

TEST_CASE("OPA's output reaches the terminal escaped", "[opa-engine][bad-input]") {
  Demo d;
  RunResult r = d.Cf("opa", d.Script("ansi.sh", "cat >/dev/null; printf 'boom \\033[2J\\033]0;owned\\007 \\302\\233' >&2; exit 3"));
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("boom \\x1b[2J\\x1b]0;owned\\x07 \\xc2\\x9b"));
  CHECK(r.err.find('\x1b') == std::string::npos);
  CHECK(r.err.find('\x07') == std::string::npos);
}

TEST_CASE("exit 127 and an OPA that cannot be executed come with a reason", "[opa-engine][bad-input]") {
  Demo d;
  RunResult silent = d.Cf("opa", d.Script("gone.sh", "cat >/dev/null; exit 127"));
  CHECK(silent.exit_code == 2);
  CHECK_THAT(silent.err, Catch::Contains("exited 127") && Catch::Contains("could not be run"));
  std::string broken = d.dir / "broken.sh";
  WriteText(broken, "#!/nonexistent/interpreter\n");
  ::chmod(broken.c_str(), 0755);
  RunResult cannot = d.Cf("opa", broken);
  CHECK(cannot.exit_code != 0);
  CHECK_THAT(cannot.err, Catch::Contains("cannot execute " + broken) && Catch::Contains("No such file"));
}

TEST_CASE("a relative OPA path is refused", "[opa-engine][bad-input]") {
  Demo d;
  RunResult r = d.Cf("opa", "tests/data/opa_shim.sh");
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("OEP_OPA_BIN_PATH=tests/data/opa_shim.sh") && Catch::Contains("relative path is refused"));
}

TEST_CASE("a wrapper missing from PATH never runs ./sudo from the working directory", "[opa-engine][bad-input]") {
  Demo d;
  std::string marker = d.dir / "ran";
  d.Script("sudo", "touch '" + marker + "'; shift; exec \"$@\"");
  std::string env = "OEP_OPA_BIN_PATH=" + Shim() + " " + d.shim_env + " OEP_OPA_COMMAND_WRAPPER='sudo -n' PATH=/usr/bin:/bin";
  auto r = oep::RunProcess({"/bin/sh", "-c", "cd '" + d.dir.path() + "' && env " + env + " '" + OepBinary() +
                                                 "' replay pder_oep_demo_read_diff_0001 --state-path demo.sqlite --counterfactual "
                                                 "--engine opa --policy-bundle '" + RepoRoot() +
                                                 "/permissions/policy/counterfactual/budget_per_run_cap.rego'"});
  REQUIRE(r.ok());
  CHECK(r->exit_code != 0);
  CHECK_THAT(r->err, Catch::Contains("sudo not found in a trusted PATH directory"));
  CHECK_FALSE(std::filesystem::exists(marker));
}

TEST_CASE("the OPA engine cannot pin non-deterministic built-ins: evaluative", "[opa-engine]") {
  Demo d;
  WriteText(d.dir / "t.rego", "package oep.permissions\n\nimport rego.v1\n\ndecision := {\"allow\": time.now_ns() > 0, \"matched_rule\": \"t\", \"reason\": \"clock\"}\n");
  RunResult r = RunOep({"replay", "pder_oep_demo_read_diff_0001", "--state-path", d.store, "--counterfactual", "--engine",
                        "opa", "--policy-bundle", d.dir / "t.rego", "--output-format", "jsonl"},
                       {"OEP_OPA_BIN_PATH=" + Shim(), d.shim_env});
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("\"replay_class\":\"evaluative\"") && Catch::Contains("cannot pin time.now_ns"));
}

TEST_CASE("an allowed command wrapper runs in front of opa", "[opa-engine]") {
  Demo d;
  RunResult r = d.Cf("opa", Shim(), {"OEP_OPA_COMMAND_WRAPPER=nice -n 5 prlimit --nofile=256"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("\"transition\":\"allow->deny\""));
}

TEST_CASE("any other command wrapper or option is refused", "[opa-engine][bad-input]") {
  Demo d;
  for (const char* wrapper : {"bash -c", "nice -n ten", "prlimit --core=0", "sudo -E", "docker run --privileged img",
                              "docker run --init --network none -v /data:/data img", "docker run img", "env FOO=1",
                              "docker run --init -v /data:/data:ro img",
                              "docker run --init --network=none -v /var/run/docker.sock:/s:ro img",
                              "docker run --init --network=none --user=0 img",
                              "docker run --init --network=none -v /:/host:ro img"}) {
    INFO(wrapper);
    RunResult r = d.Cf("opa", Shim(), {std::string("OEP_OPA_COMMAND_WRAPPER=") + wrapper});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("OEP_OPA_COMMAND_WRAPPER") && Catch::Contains("not allowed"));
  }
}
