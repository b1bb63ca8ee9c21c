// The SQLite store's format 7: tombstones, and retention's deletes under them.
#include "store/sqlite_store.h"
#include "store/sqlite_store_internal.h"
#include "store/store_sql.h"

namespace oep {

// Tolerates parts that exist already (as SchemaV3 does): a store whose format number was set
// back keeps its tombstones.
std::string SchemaV7() {
  std::string ddl =
      "CREATE TABLE IF NOT EXISTS tombstones (\n  tenant TEXT NOT NULL,\n  artifact_table TEXT NOT NULL,\n  artifact_id TEXT NOT NULL,\n"
      "  content_hash TEXT NOT NULL,\n  ledger_entry INTEGER,\n  deleted_at TEXT NOT NULL,\n  retention_id TEXT NOT NULL,\n"
      "  PRIMARY KEY (tenant, artifact_table, artifact_id)\n);\n"
      "CREATE INDEX IF NOT EXISTS tombstones_retention ON tombstones(retention_id);\n"
      "CREATE TABLE IF NOT EXISTS retention_open (\n  retention_id TEXT PRIMARY KEY\n);\n"
      "CREATE TRIGGER IF NOT EXISTS retention_open_no_UPDATE BEFORE UPDATE ON retention_open BEGIN SELECT RAISE(ABORT, "
      "'oep evidence is append-only: UPDATE on retention_open refused'); END;\n" +
      AppendOnlyTriggers("tombstones");
  // The retention tables' DELETE trigger is made again with its one exception.
  for (const auto& t : RetentionTables()) {
    std::string table(t.table);
    ddl += "DROP TRIGGER IF EXISTS " + table + "_no_DELETE;\nCREATE TRIGGER " + table + "_no_DELETE BEFORE DELETE ON " + table +
           " WHEN NOT " + store_sql::TombstonedInThisTransaction(t) +
           " BEGIN SELECT RAISE(ABORT, 'oep evidence is append-only: DELETE on " + table +
           " refused (no tombstone written by the retention run of this transaction)'); END;\n";
  }
  return ddl;
}

namespace {

Status NeedsFormat7(int version, const std::string& path) {
  if (version >= 7) return Status::Ok();
  return Status::InvalidArgument(path + ": store format " + std::to_string(version) +
                                 " has no tombstones (open it read-write once to migrate it to format 7)");
}

const RetentionTable& TableOrDie(std::string_view table) {
  const RetentionTable* t = FindRetentionTable(table);
  if (t == nullptr) std::abort();  // programmer error: callers name RetentionTables
  return *t;
}

}  // namespace

Status SqliteStore::ForEachRowTime(std::string_view table,
                                   const std::function<Status(const std::string&, const std::string&)>& fn) {
  const RetentionTable& t = TableOrDie(table);
  if (t.time_column.empty()) std::abort();  // programmer error: the table has no time column
  if (version_ < 3) return Status::Ok();
  try {
    SQLite::Statement q(*db_, store_sql::RowTimes(t));
    q.bind(1, tenant_);
    while (q.executeStep()) OEP_RETURN_IF_ERROR(fn(q.getColumn(0).getString(), q.getColumn(1).getString()));
    return Status::Ok();
  } catch (const std::exception& e) {
    return FromException(e, "cannot read " + std::string(table));
  }
}

Status SqliteStore::BeginRetention(const std::string& retention_id) {
  if (!in_batch_) std::abort();  // programmer error: retention belongs to a batch
  OEP_RETURN_IF_ERROR(NeedsFormat7(version_, path_));
  try {
    // Deleted cells and freed pages are overwritten with zeros, so the bytes leave the file.
    db_->exec("PRAGMA secure_delete = ON");
    auto& q = stmts_->Get("INSERT INTO retention_open(retention_id) VALUES (?)");
    q.bind(1, retention_id);
    q.exec();
    return Status::Ok();
  } catch (const std::exception& e) {
    return FromException(e, "cannot open retention run " + retention_id);
  }
}

Status SqliteStore::EndRetention(const std::string& retention_id) {
  try {
    auto& q = stmts_->Get("DELETE FROM retention_open WHERE retention_id = ?");
    q.bind(1, retention_id);
    q.exec();
    return Status::Ok();
  } catch (const std::exception& e) {
    return FromException(e, "cannot close retention run " + retention_id);
  }
}

Result<Tombstone> SqliteStore::TombstoneRow(std::string_view table, const std::string& id,
                                            const std::string& retention_id, const std::string& deleted_at) {
  const RetentionTable& t = TableOrDie(table);
  OEP_RETURN_IF_ERROR(NeedsFormat7(version_, path_));
  try {
    auto& ins = stmts_->Get(store_sql::InsertTombstone(t));
    ins.bind(1, deleted_at);
    ins.bind(2, retention_id);
    ins.bind(3, tenant_);
    ins.bind(4, id);
    if (ins.exec() != 1) return Status::NotFound("no " + std::string(table) + " row \"" + id + "\" to delete");
    auto& del = stmts_->Get(store_sql::DeleteTombstoned(t));
    del.bind(1, tenant_);
    del.bind(2, id);
    del.exec();
  } catch (const std::exception& e) {
    return FromException(e, "cannot delete " + std::string(table) + " row " + id);
  }
  auto stone = GetTombstone(table, id);
  if (!stone.ok()) return stone.status();
  return **stone;
}

Result<std::optional<Tombstone>> SqliteStore::GetTombstone(std::string_view table, const std::string& id) {
  if (version_ < 7) return std::optional<Tombstone>();
  try {
    auto& q = stmts_->Get(store_sql::TombstoneRows(true, true));
    q.bind(1, tenant_);
    q.bind(2, std::string(table));
    q.bind(3, id);
    if (!q.executeStep()) return std::optional<Tombstone>();
    Tombstone out{q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getString(),
                  q.getColumn(3).getInt64(),  q.getColumn(4).getString(), q.getColumn(5).getString()};
    q.reset();
    return std::optional<Tombstone>(out);
  } catch (const std::exception& e) {
    return FromException(e, "cannot read tombstones");
  }
}

Status SqliteStore::ForEachTombstone(std::string_view table, const std::function<Status(const Tombstone&)>& fn) {
  if (version_ < 7) return Status::Ok();
  try {
    SQLite::Statement q(*db_, store_sql::TombstoneRows(!table.empty()));
    q.bind(1, tenant_);
    if (!table.empty()) q.bind(2, std::string(table));
    while (q.executeStep()) {
      OEP_RETURN_IF_ERROR(fn(Tombstone{q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getString(),
                                       q.getColumn(3).getInt64(), q.getColumn(4).getString(), q.getColumn(5).getString()}));
    }
    return Status::Ok();
  } catch (const std::exception& e) {
    return FromException(e, "cannot read tombstones");
  }
}

Result<bool> SqliteStore::ReclaimDeleted() {
  try {
    stmts_->ResetAll();
    SQLite::Statement q(*db_, "PRAGMA wal_checkpoint(TRUNCATE)");
    q.executeStep();
    return q.getColumn(0).getInt() == 0;  // busy = 0: every frame checkpointed, the WAL truncated
  } catch (const std::exception& e) {
    return FromException(e, "cannot checkpoint " + path_);
  }
}

Result<int64_t> SqliteStore::OpenRetentionCount() {
  if (version_ < 7) return int64_t{0};
  try {
    return db_->execAndGet("SELECT count(*) FROM retention_open").getInt64();
  } catch (const std::exception& e) {
    return FromException(e, "cannot read retention_open");
  }
}

}  // namespace oep
