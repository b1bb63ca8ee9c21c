#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include "store/store.h"
#include "support/support.h"

using namespace oep;
using namespace oep::test;

namespace {

ArtifactRecord Manifest(const std::string& id, const std::string& body) {
  ArtifactRecord r;
  r.spec = &Spec(ArtifactKind::kReleaseManifest);
  r.id = id;
  r.body = body;
  r.digest = "sha256:" + body;
  r.source = "test";
  r.columns.assign(r.spec->columns.size(), std::nullopt);
  return r;
}

}  // namespace

TEST_CASE("a new store is created at the current format version", "[store]") {
  ScratchDir dir;
  auto store = Store::Open(dir / "s.sqlite", Store::Mode::kReadWrite);
  REQUIRE(store.ok());
  store->reset();
  SQLite::Database db(dir / "s.sqlite");
  CHECK(db.execAndGet("PRAGMA user_version").getInt() == kStoreSchemaVersion);
  CHECK(db.execAndGet("PRAGMA journal_mode").getString() == "wal");
  for (const char* index : {"decisions_event_id", "decisions_tool_call_id", "decisions_trace_id",
                            "decisions_release_manifest_id", "events_trace_id", "events_tool_call_id",
                            "events_release_manifest_id", "evals_trace_id"}) {
    INFO(index);
    CHECK(db.execAndGet(std::string("SELECT count(*) FROM sqlite_schema WHERE type='index' AND name='") + index + "'")
              .getInt() == 1);
  }
}

TEST_CASE("put is idempotent and refuses different content under one id", "[store]") {
  ScratchDir dir;
  auto store = Store::Open(dir / "s.sqlite", Store::Mode::kReadWrite);
  REQUIRE(store.ok());
  REQUIRE((*store)->BeginBatch().ok());
  auto first = (*store)->Put(Manifest("m1", "{}"));
  REQUIRE(first.ok());
  CHECK(*first == PutOutcome::kInserted);
  auto again = (*store)->Put(Manifest("m1", "{}"));
  REQUIRE(again.ok());
  CHECK(*again == PutOutcome::kUnchanged);
  auto conflict = (*store)->Put(Manifest("m1", "{\"x\":1}"));
  REQUIRE_FALSE(conflict.ok());
  CHECK_THAT(conflict.status().message(), Catch::Contains("already stored with different content"));
  REQUIRE((*store)->CommitBatch().ok());
}

TEST_CASE("an uncommitted batch leaves no trace", "[store]") {
  ScratchDir dir;
  {
    auto store = Store::Open(dir / "s.sqlite", Store::Mode::kReadWrite);
    REQUIRE(store.ok());
    REQUIRE((*store)->BeginBatch().ok());
    REQUIRE((*store)->Put(Manifest("m1", "{}")).ok());
  }  // destroyed without commit
  auto store = Store::Open(dir / "s.sqlite", Store::Mode::kReadOnly);
  REQUIRE(store.ok());
  CHECK(*(*store)->Count(ArtifactKind::kReleaseManifest) == 0);
}

TEST_CASE("a store written by a newer oep is refused", "[store][bad-input]") {
  ScratchDir dir;
  { REQUIRE(Store::Open(dir / "s.sqlite", Store::Mode::kReadWrite).ok()); }
  ExecSql(dir / "s.sqlite", "PRAGMA user_version = 99");
  auto store = Store::Open(dir / "s.sqlite", Store::Mode::kReadWrite);
  REQUIRE_FALSE(store.ok());
  CHECK_THAT(store.status().message(), Catch::Contains("format version 99 is newer"));
}

TEST_CASE("a SQLite file that is not an oep store is refused and left alone", "[store][bad-input]") {
  ScratchDir dir;
  ExecSql(dir / "other.sqlite", "CREATE TABLE t(x)");  // creates the file
  std::string before = FileSha256(dir / "other.sqlite");
  auto store = Store::Open(dir / "other.sqlite", Store::Mode::kReadWrite);
  REQUIRE_FALSE(store.ok());
  CHECK_THAT(store.status().message(), Catch::Contains("not an oep evidence store"));
  CHECK(FileSha256(dir / "other.sqlite") == before);
}

TEST_CASE("nearest ids rank by edit distance", "[store]") {
  ScratchDir dir;
  MakeDemoStore(dir / "s.sqlite");
  auto store = Store::Open(dir / "s.sqlite", Store::Mode::kReadOnly);
  REQUIRE(store.ok());
  auto ids = (*store)->NearestIds(ArtifactKind::kPermissionPacket, "pder_oep_demo_write_fil_0002", 1);
  REQUIRE(ids.ok());
  REQUIRE(ids->size() == 1);
  CHECK((*ids)[0] == "pder_oep_demo_write_file_0002");
}
