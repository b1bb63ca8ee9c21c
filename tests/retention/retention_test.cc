// Retention with tombstones (src/retention, store format 7), on both backends: what goes,
// what stays, what verify says, what the store refuses, and that the deleted bytes are gone.
#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <fstream>
#include <set>
#include <sstream>

#include "crypto/sha256.h"
#include "json/json.h"
#include "store/store.h"
#include "support/postgres_cluster.h"
#include "support/store_backends.h"
#include "support/support.h"
#include "retention/retention_fixture.h"

using namespace oep;
using namespace oep::test;

namespace {

const std::string kRun = "5e0c1d2a9b8f47d6a1c3e5f7091b2d4f";

RunResult Retention(const std::string& url, std::vector<std::string> args, const std::vector<std::string>& env = {}) {
  args.insert(args.begin(), {"retention", "apply", "--store", url});
  return RunOep(args, env);
}

rapidjson::Document Json(const RunResult& r) {
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  auto doc = json::Parse(r.out);
  REQUIRE(doc.ok());
  return std::move(*doc);
}

int64_t Deleted(const rapidjson::Document& doc, const char* table) { return doc["deleted"][table].GetInt64(); }

RunResult VerifyChain(const std::string& url) { return RunOep({"verify", "--chain", "--store", url}, {"OEP_TRUSTED_KEYS="}); }

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void StringLeaves(const rapidjson::Value& v, std::set<std::string>* out) {
  if (v.IsString() && v.GetStringLength() >= 12) out->insert(v.GetString());
  if (v.IsObject()) {
    for (const auto& m : v.GetObject()) StringLeaves(m.value, out);
  } else if (v.IsArray()) {
    for (const auto& e : v.GetArray()) StringLeaves(e, out);
  }
}

// The string values (12 characters or more) of the bodies in `table` rows of a dump.
std::set<std::string> BodyValues(const std::string& dump, const std::string& table) {
  std::set<std::string> out;
  std::istringstream lines(dump);
  for (std::string line; std::getline(lines, line);) {
    auto row = json::Parse(line);
    if (!row.ok() || json::GetString(*row, "table") != table) continue;
    auto body = json::Parse(json::GetString(*row, "body"));
    if (body.ok()) StringLeaves(*body, &out);
  }
  return out;
}

std::string Dump(const std::string& url) {
  RunResult d = RunOep({"dump", "--store", url});
  REQUIRE(d.exit_code == 0);
  return d.out;
}

// Values only the payloads retention deletes held: in the events, decisions and OPA inputs
// before, nowhere in the dump after.
std::set<std::string> OnlyInDeletedPayloads(const std::string& before, const std::string& after) {
  std::set<std::string> gone;
  for (const char* table : {"events", "decisions", "decision_inputs"}) {
    for (const auto& v : BodyValues(before, table)) {
      if (after.find(v) == std::string::npos) gone.insert(v);
    }
  }
  return gone;
}

}  // namespace

TEST_CASE("retention refuses bad durations before the store is touched", "[retention][bad-input]") {
  DemoFixture demo;
  std::string before = StoreFingerprint(demo.store);
  struct Case {
    std::vector<std::string> args;
    std::string expected;
  };
  for (const auto& c : std::vector<Case>{
           {{"--older-than", "30x"}, "--older-than \"30x\": expected a positive whole number and a unit"},
           {{"--older-than", "-1d"}, "--older-than \"-1d\": expected a positive whole number"},
           {{"--older-than", "0d"}, "--older-than \"0d\": must be more than zero"},
           {{"--older-than", ""}, "--older-than: a duration is required"},
           {{"--older-than", "99999999999999d"}, "at most a century"},
           {{"--older-than", "30d", "--audit-older-than", "30d"}, "the audit log is kept at least 365d"},
           {{"--older-than", "400d", "--audit-older-than", "370d"}, "kept at least as long as run data"},
           {{"--older-than", "30d", "--audit-older-than", "1y"}, "--audit-older-than \"1y\": expected"}}) {
    RunResult r = Retention(demo.store, c.args);
    INFO(c.expected << "\n" << r.err);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::StartsWith("oep: ") && Catch::Contains(c.expected));
    CHECK(r.out.empty());
    CHECK(StoreFingerprint(demo.store) == before);
  }
}

TEST_CASE("retention dry run prints what would go and leaves the store byte-identical", "[retention]") {
  for (const auto& backend : StoreBackends()) {
    DYNAMIC_SECTION(backend) {
      DemoFixture demo(backend);
      std::string before = StoreFingerprint(demo.store);
      auto dry = Json(Retention(demo.store, {"--older-than", "1d", "--dry-run", "--output-format", "json"}));
      CHECK(dry["dry_run"].GetBool());
      CHECK(Deleted(dry, "events") > 0);
      CHECK(Deleted(dry, "decisions") > 0);
      CHECK(StoreFingerprint(demo.store) == before);
      auto flag = Json(Retention(demo.store, {"--older-than", "1d", "--dry-run", "--json"}));
      CHECK(flag == dry);
      RunResult human = Retention(demo.store, {"--older-than", "1d", "--dry-run"});
      CHECK_THAT(human.out, Catch::Contains("would delete") && Catch::Contains("dry run: nothing changed"));
      CHECK(StoreFingerprint(demo.store) == before);
      auto real = Json(Retention(demo.store, {"--older-than", "1d", "--output-format", "json"}));
      CHECK(Deleted(real, "events") == Deleted(dry, "events"));
      CHECK(Deleted(real, "decisions") == Deleted(dry, "decisions"));
      CHECK(Deleted(real, "decision_inputs") == Deleted(dry, "decision_inputs"));
    }
  }
}

TEST_CASE("retention deletes old payloads with tombstones and verify reports them as tombstoned", "[retention][verify]") {
  for (const auto& backend : StoreBackends()) {
    DYNAMIC_SECTION(backend) {
      RetentionDemo fixture(backend);
      const DemoFixture& demo = fixture.demo;
      RunResult r = Retention(demo.store, {"--older-than", "1d"});
      INFO(r.out << r.err);
      REQUIRE(r.exit_code == 0);
      CHECK_THAT(r.out, Catch::Contains("deleted ") && Catch::Contains("decision_inputs 1,") && Catch::Contains("tombstone"));
      auto store = Store::Open(demo.store, Store::Mode::kReadOnly);
      REQUIRE(store.ok());
      auto events = (*store)->Count(ArtifactKind::kAgentStepEvent);
      auto decisions = (*store)->Count(ArtifactKind::kPermissionPacket);
      REQUIRE(events.ok());
      REQUIRE(decisions.ok());
      CHECK(*events == 0);  // every demo event is from 2026-11-01
      CHECK(*decisions == 0);
      int64_t tombstones = 0;
      REQUIRE((*store)->ForEachTombstone("", [&](const Tombstone& t) {
        ++tombstones;
        CHECK(t.content_hash.size() == 64);
        CHECK(t.ledger_entry > 0);
        return Status::Ok();
      }).ok());
      CHECK(tombstones > 0);
      // The retention run is in the audit log (and so covered by the ledger's audit chain).
      auto audit = (*store)->AuditRecords("", 100);
      REQUIRE(audit.ok());
      REQUIRE(!audit->empty());
      CHECK_THAT(audit->back().body, Catch::Contains("retention.apply") && Catch::Contains("cutoff"));
      store->reset();
      RunResult chain = VerifyChain(demo.store);
      INFO(chain.out << chain.err);
      CHECK(chain.exit_code == 0);
      CHECK_THAT(chain.out, Catch::Contains(std::to_string(tombstones) + " tombstoned") && !Catch::Contains("missing"));
      RunResult joins = RunOep({"verify", "--store", demo.store});
      INFO(joins.out << joins.err);
      CHECK_THAT(joins.out, Catch::Contains("ok   joins:") && Catch::Contains("tombstoned"));
      // Idempotent: the second run finds nothing and changes nothing.
      std::string before = StoreFingerprint(demo.store);
      auto again = Json(Retention(demo.store, {"--older-than", "1d", "--output-format", "json"}));
      CHECK(again["total"].GetInt64() == 0);
      CHECK(StoreFingerprint(demo.store) == before);
    }
  }
}

TEST_CASE("retention keeps payloads younger than the cutoff and the audit log younger than a year", "[retention]") {
  for (const auto& backend : StoreBackends()) {
    DYNAMIC_SECTION(backend) {
      DemoFixture demo(backend);
      // A century back: nothing in the demo is that old.
      auto none = Json(Retention(demo.store, {"--older-than", "5200w", "--audit-older-than", "5200w", "--output-format", "json"}));
      CHECK(none["total"].GetInt64() == 0);
      auto first = Json(Retention(demo.store, {"--older-than", "1d", "--output-format", "json"}));
      CHECK(Deleted(first, "audit_log") == 0);
      auto store = Store::Open(demo.store, Store::Mode::kReadOnly);
      REQUIRE(store.ok());
      auto audit = (*store)->AuditRecords("", 100);
      REQUIRE(audit.ok());
      CHECK(audit->size() == 1);  // the record of the retention run itself stays
    }
  }
}

TEST_CASE("retention deletes audit records older than the audit cutoff only", "[retention]") {
  ScratchDir dir;
  std::string path = dir / "s.sqlite";
  {
    auto store = Store::Open(path, Store::Mode::kReadWrite);
    REQUIRE(store.ok());
    REQUIRE((*store)->BeginBatch().ok());
    // Written as the audit log writes them, at times two years and one month back.
    for (const auto& [id, at] : std::vector<std::pair<std::string, std::string>>{
             {"a_old", "2024-11-01T00:00:00.000000Z"}, {"a_recent", "2026-11-01T00:00:00.000000Z"}}) {
      AuditRecord r{id, at, "{\"action\":\"key.create\",\"at\":\"" + at + "\",\"secret\":\"audit-payload-" + id + "\"}", "", "audit:test"};
      r.digest = crypto::Sha256Digest(r.body);
      REQUIRE((*store)->PutAuditRecord(r, 0).ok());
    }
    REQUIRE((*store)->CommitBatch().ok());
  }
  auto r = Json(Retention(path, {"--older-than", "30d", "--output-format", "json"}));
  CHECK(Deleted(r, "audit_log") == 1);
  auto store = Store::Open(path, Store::Mode::kReadOnly);
  REQUIRE(store.ok());
  auto audit = (*store)->AuditRecords("", 100);
  REQUIRE(audit.ok());
  std::set<std::string> ids;
  for (const auto& a : *audit) ids.insert(a.audit_id);
  CHECK(ids.count("a_old") == 0);
  CHECK(ids.count("a_recent") == 1);
}

TEST_CASE("after retention the deleted payload values are in neither the SQLite file nor its WAL", "[retention][sqlite]") {
  RetentionDemo fixture;
  const DemoFixture& demo = fixture.demo;
  std::string file = SqliteFilePath(demo.store);
  std::string before = Dump(demo.store);
  REQUIRE(Retention(demo.store, {"--older-than", "1d"}).exit_code == 0);
  std::string after = Dump(demo.store);
  std::set<std::string> gone = OnlyInDeletedPayloads(before, after);
  CHECK(gone.size() >= 10);
  CHECK(gone.count(kInputOnlyValue) == 1);  // the OPA input went with its decision
  std::string bytes = ReadBytes(file), wal = ReadBytes(file + "-wal");
  for (const auto& v : gone) {
    INFO(v);
    CHECK(bytes.find(v) == std::string::npos);
    CHECK(wal.find(v) == std::string::npos);
  }
}

TEST_CASE("the grep for deleted values finds them before retention (the check can fail)", "[retention][sqlite]") {
  DemoFixture demo;
  std::string before = Dump(demo.store);
  std::set<std::string> values = BodyValues(before, "events");
  REQUIRE(!values.empty());
  std::string bytes = ReadBytes(SqliteFilePath(demo.store)) + ReadBytes(SqliteFilePath(demo.store) + "-wal");
  for (const auto& v : values) CHECK(bytes.find(v) != std::string::npos);
}

TEST_CASE("PostgreSQL: after retention the deleted payload values are in no row of any table", "[retention][postgres]") {
  PostgresCluster* c = PostgresOrSkip(Catch::getResultCapture().getCurrentTestName());
  if (c == nullptr) return;
  RetentionDemo fixture("postgresql");
  const DemoFixture& demo = fixture.demo;
  std::string before = Dump(demo.store);
  REQUIRE(Retention(demo.store, {"--older-than", "1d"}).exit_code == 0);
  std::string after = Dump(demo.store);
  std::set<std::string> gone = OnlyInDeletedPayloads(before, after);
  CHECK(gone.size() >= 10);
  CHECK(gone.count(kInputOnlyValue) == 1);
  std::string all = c->Sql(DatabaseOf(demo.store),
                           "SELECT string_agg(t::text, E'\\n') FROM (SELECT e::text AS t FROM events e UNION ALL SELECT d::text "
                           "FROM decisions d UNION ALL SELECT i::text FROM decision_inputs i UNION ALL SELECT s::text FROM "
                           "tombstones s UNION ALL SELECT l::text FROM ledger l UNION ALL SELECT a::text FROM audit_log a) x");
  for (const auto& v : gone) {
    INFO(v);
    CHECK(all.find(v) == std::string::npos);
  }
}

TEST_CASE("a crash in the middle of retention leaves the store exactly as it was", "[retention]") {
  for (const auto& backend : StoreBackends()) {
    DYNAMIC_SECTION(backend) {
      DemoFixture demo(backend);
      std::string before = StoreFingerprint(demo.store), dump = Dump(demo.store);
      RunResult r = Retention(demo.store, {"--older-than", "1d"}, {"OEP_TEST_RETENTION_EXIT_AFTER=2"});
      CHECK(r.exit_code == 86);  // ended by the hook after two deletions, inside the transaction
      CHECK(Dump(demo.store) == dump);
      CHECK(StoreFingerprint(demo.store) == before);
      CHECK(VerifyChain(demo.store).exit_code == 0);
      auto done = Json(Retention(demo.store, {"--older-than", "1d", "--output-format", "json"}));
      CHECK(done["total"].GetInt64() > 2);
    }
  }
}

TEST_CASE("the store refuses a delete without a tombstone written in the same transaction", "[retention][sqlite]") {
  DemoFixture demo;
  std::string path = SqliteFilePath(demo.store);
  CHECK_THROWS_WITH(ExecSql(path, "DELETE FROM events"), Catch::Contains("append-only"));
  // A tombstone alone is not enough: no retention run is open.
  CHECK_THROWS_WITH(ExecSql(path, "BEGIN; INSERT INTO tombstones SELECT tenant, 'events', event_id, substr(digest, 8), "
                                  "ledger_entry, 'now', 'r1' FROM events; DELETE FROM events; COMMIT"),
                    Catch::Contains("append-only"));
  // An open run with a tombstone of another hash is not enough either.
  CHECK_THROWS_WITH(ExecSql(path, "BEGIN; INSERT INTO retention_open VALUES ('r2'); INSERT INTO tombstones SELECT tenant, "
                                  "'events', event_id, 'ff', ledger_entry, 'now', 'r2' FROM events; DELETE FROM events; COMMIT"),
                    Catch::Contains("append-only"));
  // A tombstone of an earlier, committed run does not let a later transaction delete.
  REQUIRE(Retention(demo.store, {"--older-than", "1d"}).exit_code == 0);
  CHECK_THROWS_WITH(ExecSql(path, "DELETE FROM tombstones"), Catch::Contains("append-only"));
  CHECK_THROWS_WITH(ExecSql(path, "UPDATE tombstones SET content_hash = 'ff'"), Catch::Contains("append-only"));
  CHECK_THROWS_WITH(ExecSql(path, "DELETE FROM manifests"), Catch::Contains("append-only"));
  CHECK_THROWS_WITH(ExecSql(path, "DELETE FROM ledger"), Catch::Contains("append-only"));
  CHECK(VerifyChain(demo.store).exit_code == 0);
}

TEST_CASE("PostgreSQL: the store refuses a delete without a tombstone written in the same transaction", "[retention][postgres]") {
  PostgresCluster* c = PostgresOrSkip(Catch::getResultCapture().getCurrentTestName());
  if (c == nullptr) return;
  DemoFixture demo("postgresql");
  std::string db = DatabaseOf(demo.store), tenant = "SET oep.tenant = 'default'; ";
  CHECK_THAT(c->SqlError(db, "", tenant + "DELETE FROM events"), Catch::Contains("append-only"));
  CHECK_THAT(c->SqlError(db, "", tenant + "BEGIN; INSERT INTO tombstones SELECT tenant, 'events', event_id, substr(digest, 8), "
                                          "ledger_entry, 'now', 'r1' FROM events; DELETE FROM events; COMMIT"),
             Catch::Contains("append-only"));
  CHECK_THAT(c->SqlError(db, "", tenant + "BEGIN; INSERT INTO retention_open VALUES ('r2'); INSERT INTO tombstones SELECT "
                                          "tenant, 'events', event_id, 'ff', ledger_entry, 'now', 'r2' FROM events; DELETE "
                                          "FROM events; COMMIT"),
             Catch::Contains("append-only"));
  REQUIRE(Retention(demo.store, {"--older-than", "1d"}).exit_code == 0);
  CHECK_THAT(c->SqlError(db, "", tenant + "DELETE FROM tombstones"), Catch::Contains("append-only"));
  CHECK_THAT(c->SqlError(db, "", tenant + "UPDATE tombstones SET content_hash = 'ff'"), Catch::Contains("append-only"));
  CHECK_THAT(c->SqlError(db, "", "TRUNCATE events"), Catch::Contains("append-only"));
  CHECK(VerifyChain(demo.store).exit_code == 0);
}

TEST_CASE("verify fails on a row deleted without a tombstone and a forged tombstone and a retention left open", "[retention][verify]") {
  for (const auto& backend : StoreBackends()) {
    DYNAMIC_SECTION(backend) {
      SECTION("row deleted without a tombstone") {
        DemoFixture demo(backend);
        TamperStoreSql(demo.store, "DELETE FROM decisions WHERE decision_id = 'pder_oep_demo_read_diff_0001'");
        RunResult r = VerifyChain(demo.store);
        CHECK(r.exit_code == 1);
        CHECK_THAT(r.out, Catch::Contains("not stored (row deleted)"));
      }
      SECTION("tombstone whose hash is not the ledger's") {
        DemoFixture demo(backend);
        REQUIRE(Retention(demo.store, {"--older-than", "1d"}).exit_code == 0);
        TamperStoreSql(demo.store, "UPDATE tombstones SET content_hash = '" + std::string(64, 'a') +
                                       "' WHERE artifact_id = 'pder_oep_demo_read_diff_0001'");
        RunResult r = VerifyChain(demo.store);
        CHECK(r.exit_code == 1);
        CHECK_THAT(r.out, Catch::Contains("tombstone of decisions/pder_oep_demo_read_diff_0001") &&
                              Catch::Contains("tombstone forged or edited"));
      }
      SECTION("retention run left open") {
        DemoFixture demo(backend);
        TamperStoreSql(demo.store, "INSERT INTO retention_open VALUES ('left')");
        RunResult r = VerifyChain(demo.store);
        CHECK(r.exit_code == 1);
        CHECK_THAT(r.out, Catch::Contains("retention_open holds 1"));
      }
    }
  }
}

TEST_CASE("a sealed run chain still verifies as authoritative after retention", "[retention][verify]") {
  DemoFixture demo;
  std::string key = demo.dir / "server.pem", pub = demo.dir / "server.pub.pem";
  WriteEd25519Key(key);
  REQUIRE(RunOep({"keys", "export", "--key", key, "--out", pub}).exit_code == 0);
  REQUIRE(RunOep({"seal", "--store", demo.store, "--chain", "run:" + kRun, "--key", key, "--sealed-at",
                  "2026-11-01T10:00:00Z"}).exit_code == 0);
  REQUIRE(Retention(demo.store, {"--older-than", "1d"}).exit_code == 0);
  RunResult r = RunOep({"verify", "--chain", "--store", demo.store, "--run", kRun, "--trusted-key", "server=" + pub},
                       {"OEP_TRUSTED_KEYS="});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("chain run:" + kRun) && Catch::Contains(" AUTHORITATIVE") && Catch::Contains("tombstoned"));
}

TEST_CASE("a format-6 SQLite store is migrated to format 7 and retention works on it", "[retention][store][sqlite]") {
  DemoFixture demo;
  std::string path = SqliteFilePath(demo.store);
  // Format 6 as it was: no tombstones, every DELETE refused.
  std::string downgrade = "DROP TABLE tombstones; DROP TABLE retention_open;";
  for (const char* t : {"events", "decisions", "decision_inputs", "audit_log"}) {
    downgrade += std::string("DROP TRIGGER ") + t + "_no_DELETE; CREATE TRIGGER " + t + "_no_DELETE BEFORE DELETE ON " + t +
                 " BEGIN SELECT RAISE(ABORT, 'oep evidence is append-only: DELETE on " + t + " refused'); END;";
  }
  ExecSql(path, downgrade + "PRAGMA user_version = 6");
  {
    auto ro = Store::Open(path, Store::Mode::kReadOnly);
    REQUIRE(ro.ok());
    int64_t n = 0;
    REQUIRE((*ro)->ForEachTombstone("", [&](const Tombstone&) {
      ++n;
      return Status::Ok();
    }).ok());
    CHECK(n == 0);
    auto steps = (*ro)->RunSteps(kRun, 0, 100);
    REQUIRE(steps.ok());
  }
  // Dry run opens read-only: the format-6 store is not migrated by it.
  auto dry = Retention(demo.store, {"--older-than", "1d", "--dry-run"});
  CHECK(dry.exit_code == 0);
  {
    SQLite::Database db(path);
    CHECK(db.execAndGet("PRAGMA user_version").getInt() == 6);
  }
  RunResult r = Retention(demo.store, {"--older-than", "1d"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(Dump(demo.store), Catch::StartsWith("{\"store_format\":7}"));
  CHECK(VerifyChain(demo.store).exit_code == 0);
  CHECK_THROWS_WITH(ExecSql(path, "DELETE FROM manifests"), Catch::Contains("append-only"));
}

TEST_CASE("PostgreSQL: a format-6 store is migrated to format 7 and retention works on it", "[retention][store][postgres]") {
  PostgresCluster* c = PostgresOrSkip(Catch::getResultCapture().getCurrentTestName());
  if (c == nullptr) return;
  DemoFixture demo("postgresql");
  std::string db = DatabaseOf(demo.store);
  std::string downgrade = "DROP TABLE tombstones; DROP TABLE retention_open;";
  for (const char* t : {"events", "decisions", "decision_inputs", "audit_log"}) {
    std::string table = t;
    downgrade += "DROP TRIGGER " + table + "_delete_tombstoned ON " + table + "; DROP TRIGGER " + table + "_append_only ON " +
                 table + "; DROP FUNCTION oep_delete_tombstoned_" + table + "(); CREATE TRIGGER " + table +
                 "_append_only BEFORE UPDATE OR DELETE ON " + table + " FOR EACH ROW EXECUTE FUNCTION oep_append_only();";
  }
  c->Sql(db, downgrade + "UPDATE oep_meta SET value = '6' WHERE key = 'store_format'");
  CHECK_THAT(c->SqlError(db, "", "SET oep.tenant = 'default'; DELETE FROM events"), Catch::Contains("append-only"));
  RunResult r = Retention(demo.store, {"--older-than", "1d"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(c->Sql(db, "SELECT value FROM oep_meta WHERE key = 'store_format'") == "7\n");
  CHECK(c->Sql(db, "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = 'tombstones'") == "t|t\n");
  CHECK(VerifyChain(demo.store).exit_code == 0);
}

TEST_CASE("retention with --tenant deletes only that tenant's payloads", "[retention][tenancy]") {
  DemoFixture demo;
  REQUIRE(RunOep({"tenant", "create", "acme", "--store", demo.store}).exit_code == 0);
  auto acme = Json(Retention(demo.store, {"--older-than", "1d", "--tenant", "acme", "--output-format", "json"}));
  CHECK(json::GetString(acme, "tenant") == "acme");
  CHECK(acme["total"].GetInt64() == 0);
  auto store = Store::Open(demo.store, Store::Mode::kReadOnly);
  REQUIRE(store.ok());
  auto events = (*store)->Count(ArtifactKind::kAgentStepEvent);
  REQUIRE(events.ok());
  CHECK(*events > 0);  // the default tenant's events are untouched
  RunResult unknown = Retention(demo.store, {"--older-than", "1d", "--tenant", "nobody"});
  CHECK(unknown.exit_code != 0);
}
