#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include "store/store.h"
#include "support/store_backends.h"
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

TEST_CASE("put is idempotent and refuses different content under one id, on every backend", "[store][postgres]") {
  auto backend = GENERATE(from_range(StoreBackends()));
  INFO(backend);
  ScratchDir dir;
  auto store = Store::Open(NewStoreUrl(backend, dir), Store::Mode::kReadWrite);
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
  CHECK(*(*store)->Count(ArtifactKind::kReleaseManifest) == 1);
  auto got = (*store)->Get(ArtifactKind::kReleaseManifest, "m1");
  REQUIRE(got.ok());
  REQUIRE(got->has_value());
  CHECK((*got)->body == "{}");
}

TEST_CASE("an uncommitted batch leaves no trace, on every backend", "[store][postgres]") {
  auto backend = GENERATE(from_range(StoreBackends()));
  INFO(backend);
  ScratchDir dir;
  std::string url = NewStoreUrl(backend, dir);
  {
    auto store = Store::Open(url, Store::Mode::kReadWrite);
    REQUIRE(store.ok());
    REQUIRE((*store)->BeginBatch().ok());
    REQUIRE((*store)->Put(Manifest("m1", "{}")).ok());
  }  // destroyed without commit
  auto store = Store::Open(url, Store::Mode::kReadOnly);
  REQUIRE(store.ok());
  CHECK(*(*store)->Count(ArtifactKind::kReleaseManifest) == 0);
}

TEST_CASE("tenants see only their own rows, on every backend", "[store][postgres][tenants]") {
  auto backend = GENERATE(from_range(StoreBackends()));
  INFO(backend);
  ScratchDir dir;
  auto store = Store::Open(NewStoreUrl(backend, dir), Store::Mode::kReadWrite);
  REQUIRE(store.ok());
  Store& s = **store;
  REQUIRE(s.BeginBatch().ok());
  s.ScopeToTenant("acme");
  REQUIRE(s.Put(Manifest("m1", "{\"t\":\"acme\"}")).ok());
  s.ScopeToTenant("globex");
  REQUIRE(s.Put(Manifest("m1", "{\"t\":\"globex\"}")).ok());
  REQUIRE(s.CommitBatch().ok());
  CHECK((*s.Get(ArtifactKind::kReleaseManifest, "m1"))->body == "{\"t\":\"globex\"}");
  s.ScopeToTenant("acme");
  CHECK((*s.Get(ArtifactKind::kReleaseManifest, "m1"))->body == "{\"t\":\"acme\"}");
  s.ScopeToTenant("initech");
  CHECK_FALSE(s.Get(ArtifactKind::kReleaseManifest, "m1")->has_value());
  CHECK(*s.Count(ArtifactKind::kReleaseManifest) == 0);
}

TEST_CASE("PostgreSQL: evidence tables refuse UPDATE, DELETE and TRUNCATE", "[store][postgres][bad-input]") {
  PostgresCluster* c = PostgresOrSkip(Catch::getResultCapture().getCurrentTestName());
  if (c == nullptr) return;
  ScratchDir dir;
  std::string url = c->NewDatabase();
  {
    auto store = Store::Open(url, Store::Mode::kReadWrite);
    REQUIRE(store.ok());
    REQUIRE((*store)->BeginBatch().ok());
    REQUIRE((*store)->Put(Manifest("m1", "{}")).ok());
    REQUIRE((*store)->CommitBatch().ok());
  }
  std::string db = DatabaseOf(url);
  for (const char* sql : {"UPDATE manifests SET body = '{\"x\":1}'", "DELETE FROM manifests",
                          "TRUNCATE manifests CASCADE", "TRUNCATE ledger CASCADE"}) {
    INFO(sql);
    CHECK_THAT(c->SqlError(db, "", sql), Catch::Contains("oep evidence is append-only"));
  }
  CHECK(c->Sql(db, "SELECT body FROM manifests") == "{}\n");
}

TEST_CASE("PostgreSQL: a database holding other tables is refused untouched", "[store][postgres][bad-input]") {
  PostgresCluster* c = PostgresOrSkip(Catch::getResultCapture().getCurrentTestName());
  if (c == nullptr) return;
  std::string url = c->NewDatabase();
  c->Sql(DatabaseOf(url), "CREATE TABLE invoices (id int)");
  for (auto mode : {Store::Mode::kReadWrite, Store::Mode::kReadOnly}) {
    auto store = Store::Open(url, mode);
    REQUIRE_FALSE(store.ok());
    CHECK_THAT(store.status().message(), Catch::Contains("not an oep evidence store (has tables, no oep_meta)"));
  }
  CHECK(c->Sql(DatabaseOf(url), "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'") == "1\n");
}

TEST_CASE("PostgreSQL: an empty database opens read-write as a new store, not read-only", "[store][postgres][bad-input]") {
  PostgresCluster* c = PostgresOrSkip(Catch::getResultCapture().getCurrentTestName());
  if (c == nullptr) return;
  std::string url = c->NewDatabase();
  auto ro = Store::Open(url, Store::Mode::kReadOnly);
  REQUIRE_FALSE(ro.ok());
  CHECK_THAT(ro.status().message(), Catch::Contains("not an oep evidence store (an empty database)"));
  auto rw = Store::Open(url, Store::Mode::kReadWrite);
  REQUIRE(rw.ok());
  CHECK(c->Sql(DatabaseOf(url), "SELECT value FROM oep_meta WHERE key = 'store_format'") ==
        std::to_string(kStoreSchemaVersion) + "\n");
}

TEST_CASE("PostgreSQL: a store of a newer format is refused", "[store][postgres][bad-input]") {
  PostgresCluster* c = PostgresOrSkip(Catch::getResultCapture().getCurrentTestName());
  if (c == nullptr) return;
  std::string url = c->NewDatabase();
  { REQUIRE(Store::Open(url, Store::Mode::kReadWrite).ok()); }
  c->Sql(DatabaseOf(url), "UPDATE oep_meta SET value = '99' WHERE key = 'store_format'");
  auto store = Store::Open(url, Store::Mode::kReadWrite);
  REQUIRE_FALSE(store.ok());
  CHECK_THAT(store.status().message(), Catch::Contains("format version 99 is newer"));
}

TEST_CASE("PostgreSQL: an unreachable server is a clear error", "[store][postgres][bad-input]") {
  PostgresCluster* c = PostgresOrSkip(Catch::getResultCapture().getCurrentTestName());
  if (c == nullptr) return;
  ScratchDir dir;
  std::string url = "postgresql://oeptest@/nodb?host=" + dir.path();
  RunResult r = RunOep({"dump", "--store", url});
  CHECK(r.exit_code != 0);
  CHECK_THAT(r.err, Catch::Contains("cannot open evidence store " + url));
}
