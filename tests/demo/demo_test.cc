#include <filesystem>

#include <catch2/catch.hpp>

#include "support/support.h"

using namespace oep::test;

TEST_CASE("demo publishes its store at OEP_DEMO_STATE_PATH", "[demo]") {
  ScratchDir dir;
  std::string store = dir / "nested/demo.sqlite";
  RunResult r = RunOep({"demo"}, {"OEP_DEMO_STATE_PATH=" + store});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("2 decisions"));
  CHECK_FALSE(FileSha256(store).empty());
  // Only the published file remains: no temporary siblings.
  int leftovers = 0;
  for (auto& e : std::filesystem::directory_iterator(dir / "nested")) {
    leftovers += e.path().string().find(".tmp-") != std::string::npos;
  }
  CHECK(leftovers == 0);
}

TEST_CASE("demo regeneration replaces the store with identical content", "[demo]") {
  ScratchDir dir;
  std::string store = dir / "demo.sqlite";
  MakeDemoStore(store);
  std::string first = RunOep({"dump", "--digest", "--state-path", store}).out;
  MakeDemoStore(store);
  CHECK(RunOep({"dump", "--digest", "--state-path", store}).out == first);
}

TEST_CASE("synthetic stores replay and verify", "[demo]") {
  ScratchDir dir;
  std::string store = dir / "syn.sqlite";
  RunResult r = RunOep({"demo", "--decisions", "25", "--state-path", store});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("27 decisions"));
  RunResult v = RunOep({"verify", "--state-path", store});
  INFO(v.out);
  CHECK(v.exit_code == 0);
  RunResult replay = RunOep({"replay", "pder_syn_00000018", "--state-path", store, "--field", "evidence.span"});
  CHECK(replay.out == "\"present\"\n");
  // Same seed, same store; another seed, another store.
  std::string again = dir / "again.sqlite", other = dir / "other.sqlite";
  REQUIRE(RunOep({"demo", "--decisions", "25", "--state-path", again}).exit_code == 0);
  REQUIRE(RunOep({"demo", "--decisions", "25", "--seed", "7", "--state-path", other}).exit_code == 0);
  std::string d1 = RunOep({"dump", "--digest", "--state-path", store}).out;
  CHECK(RunOep({"dump", "--digest", "--state-path", again}).out == d1);
  CHECK(RunOep({"dump", "--digest", "--state-path", other}).out != d1);
}
