// Directory inputs of `oep ingest` and `oep import oep-v0`: links and special files are
// refused with the path named, exit 2, and no store left behind (ListTreeFiles).
#include <filesystem>
#include <sys/stat.h>
#include <sys/types.h>

#include <catch2/catch.hpp>

#include "support/support.h"

using namespace oep::test;
namespace fs = std::filesystem;

namespace {

struct Tree {
  ScratchDir dir;
  std::string root = dir / "tree";
  std::string store = dir / "s.sqlite";
  Tree() {
    fs::create_directories(root + "/sub");
    fs::copy_file(RepoRoot() + "/manifest/examples/code_review_demo_release.v0.json", root + "/sub/manifest.json");
  }
  // Runs `args` + store and checks the refusal contract: exit 2, `what` named, no store.
  void Refused(std::vector<std::string> args, const std::string& what) {
    args.insert(args.end(), {"--state-path", store});
    RunResult r = RunOep(args);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains(what));
    CHECK_FALSE(fs::exists(store));
  }
};

}  // namespace

TEST_CASE("import oep-v0 refuses a symbolic link out of the tree and stores nothing", "[import][bad-input]") {
  Tree t;
  WriteText(t.dir / "secret.txt", "not part of the tree");
  fs::create_symlink(t.dir / "secret.txt", t.root + "/sub/innocent.rego");
  t.Refused({"import", "oep-v0", t.root}, t.root + "/sub/innocent.rego: a symbolic link");
}

TEST_CASE("a symbolic link loop is a clear error, not an abort", "[ingest][import][bad-input]") {
  Tree t;
  fs::create_symlink("loop.json", t.root + "/loop.json");  // points at itself
  t.Refused({"ingest", t.root}, t.root + "/loop.json: a symbolic link");
  t.Refused({"import", "oep-v0", t.root}, t.root + "/loop.json: a symbolic link");
  // Given directly, the loop cannot be resolved.
  t.Refused({"ingest", t.root + "/loop.json"}, "loop.json");
}

TEST_CASE("a FIFO is refused as not a regular file without blocking", "[ingest][import][bad-input]") {
  Tree t;
  REQUIRE(::mkfifo((t.root + "/pipe.json").c_str(), 0600) == 0);  // no writer: opening it would block
  t.Refused({"ingest", t.root}, t.root + "/pipe.json: not a regular file (a FIFO)");
  t.Refused({"ingest", t.root + "/pipe.json"}, "pipe.json: not a regular file (a FIFO)");
  t.Refused({"import", "oep-v0", t.root}, t.root + "/pipe.json: not a regular file (a FIFO)");
}

TEST_CASE("a linked root directory is followed, files inside it are listed", "[ingest]") {
  Tree t;
  fs::create_directory_symlink(t.root, t.dir / "link");
  RunResult r = RunOep({"ingest", "--state-path", t.store, t.dir / "link"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("1 records from 1 files"));
}

TEST_CASE("oep digest of a tree refuses a link loop instead of aborting", "[digest][bad-input]") {
  Tree t;
  std::string before = RunOep({"digest", t.root}).out;
  fs::create_symlink("loop", t.root + "/loop");
  RunResult r = RunOep({"digest", t.root});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains(t.root + "/loop: a symbolic link"));
  fs::remove(t.root + "/loop");
  CHECK(RunOep({"digest", t.root}).out == before);
}
