// Store URLs: --store / $OEP_STORE_URL name the store (sqlite:PATH, a bare path,
// postgresql://...) on every verb; --state-path stays the SQLite shorthand.
#include <catch2/catch.hpp>

#include <filesystem>

#include "store/store.h"
#include "support/support.h"

using namespace oep;
using namespace oep::test;

namespace {

std::string Example(const std::string& rel) { return RepoRoot() + "/" + rel; }

}  // namespace

TEST_CASE("sqlite:PATH and a bare path name the same SQLite store", "[store][url]") {
  ScratchDir dir;
  RunResult r = RunOep({"ingest", "--store", "sqlite:" + (dir / "s.sqlite"), Example("manifest/examples")});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(std::filesystem::exists(dir / "s.sqlite"));
  std::string by_url = RunOep({"dump", "--store", "sqlite:" + (dir / "s.sqlite")}).out;
  CHECK_THAT(by_url, Catch::Contains("\"table\":\"manifests\""));
  CHECK(RunOep({"dump", "--state-path", dir / "s.sqlite"}).out == by_url);
  CHECK(RunOep({"dump", "--store", dir / "s.sqlite"}).out == by_url);
}

TEST_CASE("$OEP_STORE_URL is the store of a verb without --store, before $OEP_STATE_PATH", "[store][url]") {
  ScratchDir dir;
  RunResult r = RunOep({"ingest", Example("manifest/examples")},
                       {"OEP_STORE_URL=sqlite:" + (dir / "url.sqlite"), "OEP_STATE_PATH=" + (dir / "path.sqlite")});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(std::filesystem::exists(dir / "url.sqlite"));
  CHECK_FALSE(std::filesystem::exists(dir / "path.sqlite"));
  // The flag wins over the environment.
  r = RunOep({"ingest", "--store", dir / "flag.sqlite", Example("manifest/examples")},
             {"OEP_STORE_URL=sqlite:" + (dir / "url.sqlite")});
  REQUIRE(r.exit_code == 0);
  CHECK(std::filesystem::exists(dir / "flag.sqlite"));
}

TEST_CASE("an unknown store URL scheme is refused and nothing is created", "[store][url][bad-input]") {
  ScratchDir dir;
  RunResult r = RunOep({"ingest", "--store", "mysql://localhost/oep", Example("manifest/examples")});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("mysql://localhost/oep: unknown store URL scheme"));
  CHECK(r.out.empty());
  r = RunOep({"dump", "--store", "sqlite:"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("no file path after sqlite:"));
}

TEST_CASE("giving both --store and --state-path is refused", "[store][url][bad-input]") {
  ScratchDir dir;
  RunResult r = RunOep({"dump", "--store", dir / "a.sqlite", "--state-path", dir / "b.sqlite"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("excludes"));
}

TEST_CASE("a failed first ingest through sqlite:PATH leaves no store, an existing one is kept", "[store][url][bad-input]") {
  ScratchDir dir;
  WriteText(dir / "bad.json", "{not json");
  RunResult r = RunOep({"ingest", "--store", "sqlite:" + (dir / "s.sqlite"), dir / "bad.json"});
  CHECK(r.exit_code == 2);
  CHECK_FALSE(std::filesystem::exists(dir / "s.sqlite"));
  REQUIRE(RunOep({"ingest", "--store", "sqlite:" + (dir / "s.sqlite"), Example("manifest/examples")}).exit_code == 0);
  std::string before = FileSha256(dir / "s.sqlite");
  r = RunOep({"ingest", "--store", "sqlite:" + (dir / "s.sqlite"), dir / "bad.json"});
  CHECK(r.exit_code == 2);
  CHECK(FileSha256(dir / "s.sqlite") == before);
}

TEST_CASE("store URL helpers", "[store][url]") {
  CHECK(IsPostgresUrl("postgresql://host/db"));
  CHECK(IsPostgresUrl("postgres://host/db"));
  CHECK_FALSE(IsPostgresUrl("sqlite:/tmp/x"));
  CHECK(SqliteFilePath("sqlite:/tmp/x") == "/tmp/x");
  CHECK(SqliteFilePath("/tmp/x") == "/tmp/x");
  CHECK(SqliteFilePath("postgresql://host/db").empty());
}
