// Store::Open recognises an oep store (application_id, or an older store's tables) before
// it changes anything; commits are durable (synchronous=FULL).
#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include "store/store.h"
#include "support/support.h"

using namespace oep;
using namespace oep::test;

namespace {

int64_t ApplicationId(const std::string& path) {
  SQLite::Database db(path);
  return db.execAndGet("PRAGMA application_id").getInt();
}

// Opening `path` read-write and read-only, and ingesting into it, are refused with
// `expected`; the file's bytes never change.
void RefusedUntouched(const std::string& path, const std::string& expected) {
  for (auto mode : {Store::Mode::kReadWrite, Store::Mode::kReadOnly}) {
    auto store = Store::Open(path, mode);
    REQUIRE_FALSE(store.ok());
    CHECK_THAT(store.status().message(), Catch::Contains(expected));
  }
  CheckRefusedUntouched({"ingest", "--state-path", path, RepoRoot() + "/manifest/examples"}, path, expected);
}

}  // namespace

TEST_CASE("a new store carries oep's application_id", "[store]") {
  ScratchDir dir;
  { REQUIRE(Store::Open(dir / "s.sqlite", Store::Mode::kReadWrite).ok()); }
  CHECK(ApplicationId(dir / "s.sqlite") == kStoreApplicationId);
}

TEST_CASE("a foreign SQLite file with user_version 1 is refused before any migration", "[store][bad-input]") {
  ScratchDir dir;
  ExecSql(dir / "foreign.db", "CREATE TABLE notes(x); INSERT INTO notes VALUES ('mine'); PRAGMA user_version = 1");
  RefusedUntouched(dir / "foreign.db", "not an oep evidence store (user_version 1 but no table");
}

TEST_CASE("a SQLite file of another application is refused untouched", "[store][bad-input]") {
  ScratchDir dir;
  ExecSql(dir / "app.db", "PRAGMA application_id = 1179407972; CREATE TABLE t(x)");
  RefusedUntouched(dir / "app.db", "not an oep evidence store (SQLite application_id 0x464c5664");
  // Even one with oep's tables.
  MakeDemoStore(dir / "copy.sqlite");
  ExecSql(dir / "copy.sqlite", "PRAGMA application_id = 7");
  RefusedUntouched(dir / "copy.sqlite", "application_id 0x00000007");
}

TEST_CASE("a text file is refused untouched", "[store][bad-input]") {
  ScratchDir dir;
  WriteText(dir / "notes.txt", std::string(2000, 'n'));
  RefusedUntouched(dir / "notes.txt", "file is not a database");
}

TEST_CASE("a store made before application_id opens, and is stamped by its next write", "[store]") {
  ScratchDir dir;
  std::string path = dir / "old.sqlite";
  MakeDemoStore(path);
  ExecSql(path, "PRAGMA application_id = 0");  // as stores were before
  std::string dump = RunOep({"dump", "--state-path", path}).out;
  REQUIRE_FALSE(dump.empty());
  // A failed write leaves it as it was, unstamped.
  std::string before = FileSha256(path);
  WriteText(dir / "bad.json", "{");
  CHECK(RunOep({"ingest", "--state-path", path, dir / "bad.json"}).exit_code == 2);
  CHECK(FileSha256(path) == before);
  CHECK(ApplicationId(path) == 0);
  RunResult r = RunOep({"ingest", "--state-path", path, RepoRoot() + "/manifest/examples"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(ApplicationId(path) == kStoreApplicationId);
  CHECK(RunOep({"dump", "--state-path", path}).out == dump);
}

TEST_CASE("evidence commits are durable: WAL with synchronous FULL", "[store]") {
  ScratchDir dir;
  auto store = Store::Open(dir / "s.sqlite", Store::Mode::kReadWrite);
  REQUIRE(store.ok());
  CHECK((*store)->SynchronousLevel().value() == 2);
}
