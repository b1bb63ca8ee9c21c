// `make deb` (src/packaging/deb/build_deb.sh): the package is built from the binaries under test,
// its contents, control data, service unit and man page are checked, and the packaged binary
// runs from an extracted tree.
#include <filesystem>

#include <catch2/catch.hpp>

#include "support/support.h"
#include "util/files.h"
#include "util/subprocess.h"

using namespace oep;
using namespace oep::test;

namespace {

ProcessResult Run(const std::vector<std::string>& argv, const std::vector<std::string>& env = {}) {
  auto r = RunProcess(argv, env, "", 300);
  REQUIRE(r.ok());
  INFO(argv[0] << ": " << r->err);
  REQUIRE(r->exit_code == 0);
  return *r;
}

}  // namespace

TEST_CASE("the Debian package holds the binaries a hardened unit a config and a man page and its oep runs", "[packaging]") {
  ScratchDir dir;
  std::string build = std::filesystem::path(OepBinary()).parent_path().string();
  std::string deb = Run({"/bin/sh", RepoRoot() + "/src/packaging/deb/build_deb.sh", build, dir / "out"},
                        {"OEP_DEB_COMPRESSION=gzip"}).out;
  deb = deb.substr(0, deb.find('\n'));
  REQUIRE(std::filesystem::exists(deb));
  CHECK_THAT(deb, Catch::EndsWith(".deb"));

  std::string contents = Run({"/usr/bin/dpkg-deb", "--contents", deb}).out;
  for (const char* path : {"./usr/bin/oep", "./usr/bin/oep-serve", "./usr/bin/oep-pdf", "./lib/systemd/system/oep.service",
                           "./etc/oep/oep.yaml", "./usr/share/man/man1/oep.1.gz", "./usr/share/oep/monitors/blocked_tool.rego",
                           "./usr/share/oep/monitors/data.json"}) {
    CHECK_THAT(contents, Catch::Contains(std::string(path) + "\n"));
  }
  CHECK_THAT(contents, !Catch::Contains("_test.rego"));
  CHECK_THAT(contents, Catch::Contains("-rwxr-xr-x root/root"));  // owned by root whoever built it

  std::string version = Run({OepBinary(), "--version"}).out;
  CHECK(Run({"/usr/bin/dpkg-deb", "--field", deb, "Package"}).out == "oep\n");
  CHECK("oep " + Run({"/usr/bin/dpkg-deb", "--field", deb, "Version"}).out == version);

  std::string tree = dir / "tree", control = dir / "control";
  Run({"/usr/bin/dpkg-deb", "--extract", deb, tree});
  Run({"/usr/bin/dpkg-deb", "--control", deb, control});
  CHECK(*ReadFile(control + "/conffiles") == "/etc/oep/oep.yaml\n");
  CHECK_THAT(*ReadFile(control + "/postinst"), Catch::Contains("useradd --system"));

  std::string unit = *ReadFile(tree + "/lib/systemd/system/oep.service");
  for (const char* line : {"User=oep\n", "ExecStart=/usr/bin/oep serve --config /etc/oep/oep.yaml\n", "NoNewPrivileges=yes\n",
                           "ProtectSystem=strict\n", "StateDirectory=oep\n", "ProtectHome=yes\n", "CapabilityBoundingSet=\n"}) {
    CHECK_THAT(unit, Catch::Contains(line));
  }

  // The man page is the CLI's help, and groff renders it without warnings.
  std::string page = Run({"/bin/sh", "-c", "gzip -dc '" + tree + "/usr/share/man/man1/oep.1.gz'"}).out;
  CHECK_THAT(page, Catch::Contains(".SS \"oep webhook add\""));
  CHECK_THAT(page, Catch::Contains("--webhook-attempts"));
  if (std::filesystem::exists("/usr/bin/groff")) {
    auto rendered = RunProcess({"/usr/bin/groff", "-man", "-Tutf8", "-ww", "-z"}, {}, page, 60);
    REQUIRE(rendered.ok());
    CHECK(rendered->exit_code == 0);
    CHECK(rendered->err.empty());
  }

  // The packaged binary, run from the extracted tree: its version, its default config with
  // the packaged monitors, and a command against a store.
  std::string oep = tree + "/usr/bin/oep";
  CHECK(Run({oep, "--version"}).out == version);
  std::string effective = Run({oep, "serve", "--config", tree + "/etc/oep/oep.yaml", "--check-config", "--monitor",
                               tree + "/usr/share/oep/monitors"}).out;
  CHECK_THAT(effective, Catch::Contains("state_path: \"/var/lib/oep/evidence.sqlite\"\n"));
  CHECK_THAT(effective, Catch::Contains("listen: \"127.0.0.1:8080\"\n"));
  std::string store = dir / "s.sqlite";
  Run({oep, "ingest", "--state-path", store, RepoRoot() + "/manifest/examples/code_review_demo_release.v0.json"});
  CHECK(Run({oep, "webhook", "list", "--state-path", store}).out == "no webhooks\n");
}
