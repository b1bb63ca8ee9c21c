// The OPA CLI engine's library path (src/policy) against stand-ins for OPA 0.x and 1.x.
#include <sys/stat.h>

#include <filesystem>

#include <catch2/catch.hpp>

#include "policy/opa_cli_engine.h"
#include "support/support.h"
#include "util/subprocess.h"

using namespace oep;
using namespace oep::test;

namespace {

const char* kV1Policy = "package x\n\ndefault allow := false\n\nallow if input.a == 1\n\nonly_one if input.a == 1\n";
const char* kV0Policy = "package x\n\ndefault allow = false\n\nallow { input.a == 1 }\n\nonly_one { input.a == 1 }\n";

std::string Executable(const std::string& path, const std::string& body) {
  WriteText(path, "#!/bin/sh\n" + body + "\n");
  ::chmod(path.c_str(), 0755);
  return path;
}

// A stand-in for OPA `version`, logging its argv to <dir>/argv.log.
struct FakeOpa {
  ScratchDir dir;
  OpaCliConfig config;
  explicit FakeOpa(const std::string& version) {
    config.binary = Executable(dir / "opa", "OEP_SHIM_TARGET='" + OepBinary() + "' OEP_SHIM_OPA_VERSION=" + version +
                                                " OEP_SHIM_ARGV_LOG='" + dir / "argv.log" + "' exec '" + RepoRoot() +
                                                "/tests/data/opa_shim.sh' \"$@\"");
    auto v = ReadOpaVersion(config);
    REQUIRE(v.ok());
    config.version = *v;
  }
  std::string LastEvalArgs() {
    std::string log = ReadText(dir / "argv.log");
    size_t at = log.rfind("eval ");
    return at == std::string::npos ? "" : log.substr(at, log.find('\n', at) - at);
  }
};

struct Bundles {
  ScratchDir dir;
  std::string v1 = dir / "v1", v0 = dir / "v0";
  Bundles() {
    std::filesystem::create_directories(v1);
    std::filesystem::create_directories(v0);
    WriteText(v1 + "/policy.rego", kV1Policy);
    WriteText(v0 + "/policy.rego", kV0Policy);
    WriteText(v0 + "/.manifest", "{\"revision\": \"r0\", \"rego_version\": 0}");
  }
};

std::string Show(const Result<std::vector<OpaDecision>>& r) {
  if (!r.ok()) return "error: " + r.status().message();
  std::string s;
  for (const auto& d : *r) s += (s.empty() ? "" : " ") + (d.defined ? d.value_json : std::string("undefined"));
  return s;
}

}  // namespace

TEST_CASE("opa version is read from its Version: line", "[opa-cli]") {
  FakeOpa old("0.61.0"), current("1.4.2");
  CHECK(old.config.version.major == 0);
  CHECK(old.config.version.minor == 61);
  CHECK(current.config.version.major == 1);
  CHECK(current.config.version.text == "1.4.2");
  ScratchDir d;
  OpaCliConfig c;
  c.binary = Executable(d / "opa", "printf 'Vers\\033[2Jion 9\\n'");
  auto bad = ReadOpaVersion(c);
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.status().message(), Catch::Contains("Version:") && Catch::Contains("\\x1b[2J"));
  CHECK(bad.status().message().find('\x1b') == std::string::npos);
}

TEST_CASE("compatibility flags follow the OPA version and the bundle's Rego version", "[opa-cli]") {
  struct Case {
    int major, minor;
    RegoSyntax syntax;
    std::string flags;
  } cases[] = {
      {1, 4, RegoSyntax::kV1, ""},          {1, 4, RegoSyntax::kV0, "--v0-compatible"},
      {0, 61, RegoSyntax::kV1, "--v1-compatible"}, {0, 61, RegoSyntax::kV0, ""},
      {0, 60, RegoSyntax::kV1, "--v1-compatible"}, {0, 59, RegoSyntax::kV0, ""},
      {2, 0, RegoSyntax::kV0, "--v0-compatible"},
  };
  for (const auto& c : cases) {
    OpaVersion v;
    v.major = c.major, v.minor = c.minor;
    auto flags = OpaCompatibilityFlags(v, c.syntax);
    REQUIRE(flags.ok());
    std::string joined;
    for (const auto& f : *flags) joined += f;
    INFO(c.major << "." << c.minor);
    CHECK(joined == c.flags);
  }
  OpaVersion old;
  old.major = 0, old.minor = 59, old.text = "0.59.0";
  auto refused = OpaCompatibilityFlags(old, RegoSyntax::kV1);
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.status().message(), Catch::Contains("OPA 0.59.0") && Catch::Contains("0.60.0"));
}

TEST_CASE("a bundle's .manifest declares its Rego version", "[opa-cli]") {
  Bundles b;
  CHECK(*BundleSyntax(b.v0, RegoSyntax::kDeclared) == RegoSyntax::kV0);
  CHECK(*BundleSyntax(b.v1, RegoSyntax::kDeclared) == RegoSyntax::kV1);
  CHECK(*BundleSyntax(b.v1 + "/policy.rego", RegoSyntax::kDeclared) == RegoSyntax::kV1);
  CHECK(*BundleSyntax(b.v1, RegoSyntax::kV0) == RegoSyntax::kV0);  // the caller's word wins
  WriteText(b.v1 + "/.manifest", "{\"rego_version\": 3}");
  auto bad = BundleSyntax(b.v1, RegoSyntax::kDeclared);
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.status().message(), Catch::Contains(".manifest") && Catch::Contains("rego_version"));
}

TEST_CASE("v1 and v0 bundles decide through OPA 0.61 and 1.x with the right flags", "[opa-cli]") {
  Bundles b;
  std::vector<std::string> inputs = {"{\"a\":1}", "{\"a\":2}"};
  struct Case {
    const char* version;
    bool v0_bundle;
    const char* want_flag;  // "" when neither compatibility flag is expected
  } cases[] = {{"1.4.2", false, ""}, {"1.4.2", true, "--v0-compatible"}, {"0.61.0", false, "--v1-compatible"},
               {"0.61.0", true, ""}};
  for (const auto& c : cases) {
    FakeOpa opa(c.version);
    const std::string& bundle = c.v0_bundle ? b.v0 : b.v1;
    INFO(c.version << (c.v0_bundle ? " v0 bundle" : " v1 bundle"));
    CHECK(Show(OpaEvalBatch(opa.config, bundle, "data.x.allow", inputs)) == "true false");  // false is a value
    CHECK(Show(OpaEvalBatch(opa.config, bundle, "data.x.only_one", inputs)) == "true undefined");
    std::string args = opa.LastEvalArgs();
    INFO(args);
    for (const char* flag : {"--v0-compatible", "--v1-compatible"}) {
      CHECK((args.find(flag) != std::string::npos) == (std::string(flag) == c.want_flag));
    }
    auto one = OpaEval(opa.config, bundle, "data.x.allow", "{\"a\":2}");
    REQUIRE(one.ok());
    CHECK(one->defined);
    CHECK(one->value_json == "false");
  }
}

TEST_CASE("a v0 policy file is read as v0 when the caller says so", "[opa-cli]") {
  ScratchDir d;
  WriteText(d / "p.rego", kV0Policy);
  FakeOpa opa("1.4.2");
  CHECK_THAT(Show(OpaEvalBatch(opa.config, d / "p.rego", "data.x.allow", {"{\"a\":1}"})), Catch::Contains("error"));
  opa.config.syntax = RegoSyntax::kV0;
  CHECK(Show(OpaEvalBatch(opa.config, d / "p.rego", "data.x.allow", {"{\"a\":1}"})) == "true");
}

TEST_CASE("OPA before 0.60 is refused for a v1 bundle and still decides a v0 one", "[opa-cli]") {
  Bundles b;
  FakeOpa opa("0.59.0");
  auto refused = OpaEvalBatch(opa.config, b.v1, "data.x.allow", {"{\"a\":1}"});
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.status().message(), Catch::Contains("--v1-compatible` arrived in OPA 0.60.0"));
  CHECK(Show(OpaEvalBatch(opa.config, b.v0, "data.x.allow", {"{\"a\":1}"})) == "true");
}

TEST_CASE("the stand-in for OPA 0.x refuses what OPA 0.61 refuses", "[opa-cli]") {
  Bundles b;
  FakeOpa opa("0.61.0");
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), opa.config.binary);
    auto r = RunProcess(args, {}, "{\"inputs\":[{\"a\":1}]}");
    REQUIRE(r.ok());
    return *r;
  };
  // oep's former batch query: `in` is no keyword in v0.
  ProcessResult some_in = run({"eval", "--format", "json", "--data", b.v0, "--stdin-input",
                               "{__i: __d | some __i, __x in input.inputs; __d := data.x.allow with input as __x}"});
  CHECK(some_in.exit_code != 0);
  CHECK_THAT(some_in.out, Catch::Contains("rego_parse_error"));
  ProcessResult v0_flag = run({"eval", "--v0-compatible", "--format", "json", "--data", b.v0, "--stdin-input", "data.x.allow"});
  CHECK(v0_flag.exit_code == 1);
  CHECK_THAT(v0_flag.err, Catch::Contains("unknown flag: --v0-compatible"));
  ProcessResult v1_unflagged = run({"eval", "--format", "json", "--data", b.v1, "--stdin-input", "data.x.allow"});
  CHECK(v1_unflagged.exit_code != 0);  // 0.x reads v0 unless told otherwise
}

TEST_CASE("programs resolve only to absolute paths in trusted directories", "[opa-cli]") {
  CHECK(*ResolveTrustedProgram("/bin/sh", "") == "/bin/sh");
  auto found = ResolveTrustedProgram("sh", "/nonexistent:/usr/bin");
  REQUIRE(found.ok());
  CHECK(*found == "/usr/bin/sh");
  auto relative = ResolveTrustedProgram("./opa", "/usr/bin");
  REQUIRE_FALSE(relative.ok());
  CHECK_THAT(relative.status().message(), Catch::Contains("relative path is refused"));
  // tests run from the source tree, so "tests/data" is a relative PATH entry that holds it
  auto rel_entry = ResolveTrustedProgram("opa_shim.sh", "tests/data");
  REQUIRE_FALSE(rel_entry.ok());
  CHECK_THAT(rel_entry.status().message(), Catch::Contains("tests/data/opa_shim.sh") && Catch::Contains("not an absolute directory"));

  ScratchDir d;
  std::string open_dir = d / "open";
  std::filesystem::create_directories(open_dir);
  Executable(open_dir + "/tool", "true");
  ::chmod(open_dir.c_str(), 0777);
  auto in_open = ResolveTrustedProgram("tool", open_dir);
  REQUIRE_FALSE(in_open.ok());
  CHECK_THAT(in_open.status().message(), Catch::Contains("world-writable"));
  auto abs_open = ResolveTrustedProgram(open_dir + "/tool", "");
  REQUIRE_FALSE(abs_open.ok());
  CHECK_THAT(abs_open.status().message(), Catch::Contains("world-writable"));
  std::string loose = Executable(d / "loose", "true");
  ::chmod(loose.c_str(), 0777);
  auto loose_file = ResolveTrustedProgram(loose, "");
  REQUIRE_FALSE(loose_file.ok());
  CHECK_THAT(loose_file.status().message(), Catch::Contains("file is world-writable"));
}

TEST_CASE("a docker wrapper must cut the network and may not reach the host", "[opa-cli]") {
  CHECK(ParseWrapper("docker run --init --network none --user=1000:1000 -v /srv/policy:/policy:ro opa:1").ok());
  CHECK(ParseWrapper("nice -n 5 docker run --init --rm -i --network=none --read-only opa:1").ok());
  for (const char* refused : {
           "docker run --init opa:1",                                     // network left on
           "docker run --init --network bridge opa:1",
           "docker run --init --network=host opa:1",
           "docker run --init --network none --user=0 opa:1",
           "docker run --init --network=none --user=root opa:1",
           "docker run --init --network none --user=1000:0 opa:1",
           "docker run --init --network none --user=00 opa:1",
           "docker run --init --network none -v /:/host:ro opa:1",
           "docker run --init --network=none -v //:/host:ro opa:1",
           "docker run --init --network none -v /srv/../:/host:ro opa:1",
           "docker run --init --network=none -v /var/run/docker.sock:/var/run/docker.sock:ro opa:1",
           "docker run --init --network none -v /run/containerd/containerd.sock:/c.sock:ro opa:1",
           "docker run --init --network none -v /home/me/podman.sock:/p:ro opa:1",
           "docker run --init --network=none -v /proc:/p:ro opa:1",
           "docker run --init --network none -v myvolume:/data:ro opa:1",
       }) {
    INFO(refused);
    auto r = ParseWrapper(refused);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(), Catch::Contains("not allowed"));
  }
}

TEST_CASE("a wrapper program that is not resolved is refused before anything runs", "[opa-cli]") {
  FakeOpa opa("1.4.2");
  opa.config.wrapper = {"nice", "-n", "5"};
  auto r = OpaEval(opa.config, RepoRoot() + "/permissions/policy", "data.x", "{}");
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("nice is not resolved to an absolute path"));
  opa.config.wrapper = {"/usr/bin/nice", "-n", "5"};
  Bundles b;
  CHECK(Show(OpaEvalBatch(opa.config, b.v1, "data.x.allow", {"{\"a\":1}"})) == "true");
}
