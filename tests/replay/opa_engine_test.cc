// The OPA CLI engine, driven for real through `oep rego eval` behind OEP_OPA_BIN_PATH.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "support/support.h"

using namespace oep::test;

namespace {

struct Demo {
  ScratchDir dir;
  std::string store = dir / "demo.sqlite";
  std::string shim_env = std::string("OEP_SHIM_TARGET=") + OepBinary();
  Demo() { MakeDemoStore(store); }
  std::string Script(const std::string& name, const std::string& body) {
    std::string path = dir / name;
    WriteText(path, "#!/bin/sh\n" + body + "\n");
    ::chmod(path.c_str(), 0755);
    return path;
  }
  RunResult Cf(const std::string& engine, const std::string& opa, std::vector<std::string> extra_env = {},
               const std::string& id = "pder_oep_demo_read_diff_0001") {
    extra_env.push_back("OEP_OPA_BIN_PATH=" + opa);
    extra_env.push_back(shim_env);
    return RunOep({"replay", id, "--state-path", store, "--counterfactual", "--engine", engine, "--policy-bundle",
                   RepoRoot() + "/permissions/policy/counterfactual/budget_per_run_cap.rego", "--output-format", "jsonl",
                   "--replay-timestamp-utc", "2026-11-25T00:00:00Z"},
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

TEST_CASE("a disagreement between engines exits non-zero", "[opa-engine]") {
  Demo d;
  std::string liar = d.Script("liar.sh", "cat >/dev/null; echo '{\"result\":[{\"expressions\":[{\"value\":{\"allow\":true}}]}]}'");
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
  CHECK_THAT(slow.err, Catch::Contains("timed out") && Catch::Contains("process group was killed"));
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
  RunResult bad_timeout = d.Cf("opa", Shim(), {"OEP_OPA_EVAL_TIMEOUT_SECONDS=0"});
  CHECK(bad_timeout.exit_code == 2);
  CHECK_THAT(bad_timeout.err, Catch::Contains(">= 0.001"));
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
                              "docker run --init -v /data:/data img", "docker run img", "env FOO=1"}) {
    INFO(wrapper);
    RunResult r = d.Cf("opa", Shim(), {std::string("OEP_OPA_COMMAND_WRAPPER=") + wrapper});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("OEP_OPA_COMMAND_WRAPPER") && Catch::Contains("not allowed"));
  }
}
