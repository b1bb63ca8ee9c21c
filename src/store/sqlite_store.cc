#include "store/sqlite_store.h"

#include <algorithm>
#include <filesystem>
#include <cstdio>
#include <map>
#include <set>


#include "crypto/sha256.h"
#include "json/json.h"
#include "store/sqlite_store_internal.h"
#include "store/store_sql.h"

namespace oep {

// Turns a SQLite failure into the project's error type at the store's edge.
Status FromException(const std::exception& e, const std::string& what) {
  return Status::IOError(what + ": " + e.what());
}

std::string AppendOnlyTriggers(const std::string& table) {
  std::string ddl;
  for (const char* op : {"UPDATE", "DELETE"}) {
    ddl += "CREATE TRIGGER IF NOT EXISTS " + table + "_no_" + op + " BEFORE " + op + " ON " + table +
           " BEGIN SELECT RAISE(ABORT, 'oep evidence is append-only: " + op + " on " + table + " refused'); END;\n";
  }
  return ddl;
}

namespace {

std::string KindTableDdl(const KindSpec& spec) {
  std::string ddl = "CREATE TABLE " + std::string(spec.table) + " (\n  " + std::string(spec.id_column) +
                    " TEXT PRIMARY KEY,\n  digest TEXT NOT NULL,\n  body TEXT NOT NULL,\n  source TEXT NOT NULL,\n"
                    "  ledger_entry INTEGER";
  for (const auto& col : spec.columns) {
    ddl += ",\n  " + std::string(col.name) + (col.type == ColumnType::kBool ? " INTEGER" : " TEXT");
    if (col.name == spec.manifest_ref_column) {
      ddl += " REFERENCES manifests(manifest_id) DEFERRABLE INITIALLY DEFERRED";
    }
  }
  ddl += "\n);\n";
  for (const auto& col : spec.columns) {
    if (!col.indexed) continue;
    ddl += "CREATE INDEX " + std::string(spec.table) + "_" + std::string(col.name) + " ON " +
           std::string(spec.table) + "(" + std::string(col.name) + ");\n";
  }
  return ddl;
}


// The tables of the kinds a format version introduced, with their triggers.
// (Kinds of format 3 and later are made by TenantKindTableDdl, see SchemaV3.)
std::string KindTablesOfVersion(int version) {
  std::string ddl;
  for (const auto& spec : AllKinds()) {
    if (spec.since_store_version != version) continue;
    ddl += KindTableDdl(spec) + AppendOnlyTriggers(std::string(spec.table));
  }
  return ddl;
}

// Step v0 -> v1 of the on-disk format. Later versions append steps; a step never changes.
std::string SchemaV1() {
  std::string ddl = KindTablesOfVersion(1);
  ddl +=
      "CREATE TABLE decision_inputs (\n  decision_id TEXT PRIMARY KEY REFERENCES decisions(decision_id) "
      "DEFERRABLE INITIALLY DEFERRED,\n  digest TEXT NOT NULL,\n  body TEXT NOT NULL,\n  source TEXT NOT NULL,\n"
      "  ledger_entry INTEGER\n);\n"
      "CREATE TABLE documents (\n  path TEXT PRIMARY KEY,\n  digest TEXT NOT NULL,\n  size INTEGER NOT NULL,\n"
      "  body BLOB NOT NULL,\n  ledger_entry INTEGER\n);\n"
      "CREATE TABLE ledger (\n  entry_id INTEGER PRIMARY KEY,\n  chain_id TEXT NOT NULL,\n  seq INTEGER NOT NULL,\n"
      "  kind TEXT NOT NULL,\n  artifact_table TEXT,\n  artifact_id TEXT,\n  content_hash TEXT,\n  source TEXT,\n"
      "  payload TEXT,\n  prev_hash TEXT NOT NULL,\n  entry_hash TEXT NOT NULL,\n  UNIQUE (chain_id, seq)\n);\n";
  for (const char* t : {"decision_inputs", "documents", "ledger"}) ddl += AppendOnlyTriggers(t);
  return ddl;
}

// Step v1 -> v2: saved counterfactual runs (`oep impact --save`).
std::string SchemaV2() { return KindTablesOfVersion(2); }

// Format 3's table of a kind, named `name`: the tenant is part of the primary key and of
// every index and reference.
std::string TenantKindTableDdl(const KindSpec& spec, const std::string& name) {
  std::string ddl = "CREATE TABLE " + name + " (\n  tenant TEXT NOT NULL,\n  " + std::string(spec.id_column) +
                    " TEXT NOT NULL,\n  digest TEXT NOT NULL,\n  body TEXT NOT NULL,\n  source TEXT NOT NULL,\n"
                    "  ledger_entry INTEGER";
  for (const auto& col : spec.columns) {
    ddl += ",\n  " + std::string(col.name) + (col.type == ColumnType::kBool ? " INTEGER" : " TEXT");
  }
  ddl += ",\n  PRIMARY KEY (tenant, " + std::string(spec.id_column) + ")";
  if (!spec.manifest_ref_column.empty()) {
    ddl += ",\n  FOREIGN KEY (tenant, " + std::string(spec.manifest_ref_column) +
           ") REFERENCES manifests(tenant, manifest_id) DEFERRABLE INITIALLY DEFERRED";
  }
  return ddl + "\n);\n";
}

std::string TenantKindIndexes(const KindSpec& spec) {
  std::string ddl;
  for (const auto& col : spec.columns) {
    if (!col.indexed) continue;
    ddl += "CREATE INDEX " + std::string(spec.table) + "_" + std::string(col.name) + " ON " +
           std::string(spec.table) + "(tenant, " + std::string(col.name) + ");\n";
  }
  return ddl;
}

// Rebuilds `table` as `create_new` (DDL of "oep_v3_<table>") holding the old rows under the
// default tenant; indexes and triggers are made again by the caller.
std::string RebuildWithTenant(const std::string& table, const std::string& create_new, const std::string& columns) {
  std::string tmp = "oep_v3_" + table;
  return create_new + "INSERT INTO " + tmp + "(tenant, " + columns + ") SELECT '" + std::string(kDefaultTenant) +
         "', " + columns + " FROM " + table + ";\nDROP TABLE " + table + ";\nALTER TABLE " + tmp + " RENAME TO " +
         table + ";\n";
}

// Step v3 -> v4: the approval gates' kinds (approval requests and decisions); step v4 -> v5
// (the same for `version` 5): monitor violations; v5 -> v6: webhooks and their delivery log.
std::string TenantKindTablesOfVersion(int version) {
  std::string ddl;
  for (const auto& spec : AllKinds()) {
    if (spec.since_store_version != version) continue;
    ddl += TenantKindTableDdl(spec, std::string(spec.table)) + TenantKindIndexes(spec) + AppendOnlyTriggers(std::string(spec.table));
  }
  return ddl;
}

// Step v2 -> v3: every row gets its tenant (the default one for existing rows), in the
// primary key of every evidence table; the ledger records it; the tables of `oep serve`.
// Runs with foreign keys off (SQLite cannot rebuild referenced tables otherwise). Tables
// that already have their format-3 shape are left as they are.
std::string SchemaV3(bool ledger_has_tenant) {
  std::string ddl;
  for (const auto& spec : AllKinds()) {
    if (spec.since_store_version > 2) continue;
    std::string table(spec.table), columns = std::string(spec.id_column) + ", digest, body, source, ledger_entry";
    for (const auto& col : spec.columns) columns += ", " + std::string(col.name);
    ddl += RebuildWithTenant(table, TenantKindTableDdl(spec, "oep_v3_" + table), columns) + TenantKindIndexes(spec) +
           AppendOnlyTriggers(table);
  }
  ddl += RebuildWithTenant("decision_inputs",
                           "CREATE TABLE oep_v3_decision_inputs (\n  tenant TEXT NOT NULL,\n  decision_id TEXT NOT NULL,\n"
                           "  digest TEXT NOT NULL,\n  body TEXT NOT NULL,\n  source TEXT NOT NULL,\n  ledger_entry INTEGER,\n"
                           "  PRIMARY KEY (tenant, decision_id),\n  FOREIGN KEY (tenant, decision_id) REFERENCES "
                           "decisions(tenant, decision_id) DEFERRABLE INITIALLY DEFERRED\n);\n",
                           "decision_id, digest, body, source, ledger_entry") +
         AppendOnlyTriggers("decision_inputs");
  ddl += RebuildWithTenant("documents",
                           "CREATE TABLE oep_v3_documents (\n  tenant TEXT NOT NULL,\n  path TEXT NOT NULL,\n"
                           "  digest TEXT NOT NULL,\n  size INTEGER NOT NULL,\n  body BLOB NOT NULL,\n  ledger_entry INTEGER,\n"
                           "  PRIMARY KEY (tenant, path)\n);\n",
                           "path, digest, size, body, ledger_entry") +
         AppendOnlyTriggers("documents");
  if (!ledger_has_tenant) {
    ddl += "ALTER TABLE ledger ADD COLUMN tenant TEXT NOT NULL DEFAULT '" + std::string(kDefaultTenant) + "';\n";
  }
  return ddl + TenancyTablesDdl();
}

StoredArtifact ReadArtifact(SQLite::Statement& q) {
  return {q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getString(),
          q.getColumn(3).getString()};
}

}  // namespace

// Format 3's insert (the tenant is the last parameter).
std::string InsertSql(const KindSpec& spec) {
  std::string sql = "INSERT INTO " + std::string(spec.table) + "(" + std::string(spec.id_column) +
                    ", digest, body, source, ledger_entry";
  std::string values = "?, ?, ?, ?, ?";
  for (const auto& col : spec.columns) {
    sql += ", " + std::string(col.name);
    values += ", ?";
  }
  return sql + ", tenant) VALUES (" + values + ", ?) ON CONFLICT(tenant, " + std::string(spec.id_column) +
         ") DO NOTHING";
}

std::string SqliteStore::TenantIs(std::string_view alias) const {
  if (version_ < 3) return "";
  return std::string(alias) + (alias.empty() ? "" : ".") + "tenant = ? AND ";
}

int SqliteStore::BindTenant(SQLite::Statement& q, int index) const {
  if (version_ < 3) return index;
  q.bind(index, tenant_);
  return index + 1;
}

SqliteStore::SqliteStore(std::string path, std::unique_ptr<SQLite::Database> db)
    : Store(std::move(path)), db_(std::move(db)), stmts_(std::make_unique<Statements>(*db_)) {}

SqliteStore::~SqliteStore() {
  RollbackBatch();
  stmts_.reset();
}

namespace {

// The tables an oep store of format `version` has (before application_id existed, this
// is how a store is recognised).
std::vector<std::string> TablesOfVersion(int version) {
  std::vector<std::string> tables = {"decision_inputs", "documents", "ledger"};
  for (const auto& spec : AllKinds()) {
    if (spec.since_store_version <= version) tables.emplace_back(spec.table);
  }
  if (version >= 3) {
    for (const char* t : {"tenants", "api_keys", "api_key_revocations", "runs", "run_tags", "run_steps", "audit_log",
                          "policies"}) {
      tables.emplace_back(t);
    }
  }
  if (version >= 7) {
    tables.emplace_back("tombstones");
    tables.emplace_back("retention_open");
  }
  return tables;
}

std::string Hex32(int64_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08llx", static_cast<unsigned long long>(v & 0xffffffff));
  return buf;
}

}  // namespace

// Recognises the database before anything in it is changed (not even its journal mode):
// an oep application_id; or, for stores made before it existed, none with the tables
// of its user_version (stamped on its next write); or an empty database.
Status SqliteStore::Recognise(Mode mode) {
  application_id_ = db_->execAndGet("PRAGMA application_id").getInt();
  int version = db_->execAndGet("PRAGMA user_version").getInt();
  if (application_id_ != 0 && application_id_ != kStoreApplicationId && application_id_ != kDemoStoreApplicationId) {
    return Status::InvalidArgument(path_ + ": not an oep evidence store (SQLite application_id " +
                                   Hex32(application_id_) + ", oep's is " + Hex32(kStoreApplicationId) + ")");
  }
  if (version > kStoreSchemaVersion) {
    return Status::InvalidArgument(path_ + ": store format version " + std::to_string(version) +
                                   " is newer than this oep reads (" + std::to_string(kStoreSchemaVersion) + ")");
  }
  std::set<std::string> tables;
  SQLite::Statement q(*db_, "SELECT name FROM sqlite_schema WHERE type = 'table'");
  while (q.executeStep()) tables.insert(q.getColumn(0).getString());
  if (version == 0) {
    if (!tables.empty()) {
      return Status::InvalidArgument(path_ + ": not an oep evidence store (has tables, user_version 0)");
    }
    if (mode == Mode::kReadOnly) return Status::InvalidArgument(path_ + ": not an oep evidence store (an empty database)");
    return Status::Ok();  // a new store: Migrate creates and stamps it
  }
  for (const auto& t : TablesOfVersion(version)) {
    if (tables.count(t) == 0) {
      return Status::InvalidArgument(path_ + ": not an oep evidence store (user_version " + std::to_string(version) +
                                     " but no table \"" + t + "\"); left untouched");
    }
  }
  version_ = version;
  needs_stamp_ = application_id_ == 0;
  return Status::Ok();
}

Result<std::unique_ptr<Store>> SqliteStore::OpenFile(const std::string& path, Mode mode) {
  if (mode == Mode::kReadOnly && !std::filesystem::exists(path)) {
    return Status::NotFound("no evidence store at " + path +
                            " (create one with `oep demo` or `oep ingest --state-path " + path + " FILE`)");
  }
  try {
    // One thread uses a connection at a time: SQLite's own mutexes are not needed.
    int flags = SQLite::OPEN_NOMUTEX |
                (mode == Mode::kReadOnly ? SQLite::OPEN_READONLY : (SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE));
    auto db = std::make_unique<SQLite::Database>(path, flags, 5000);
    std::unique_ptr<SqliteStore> store(new SqliteStore(path, std::move(db)));
    OEP_RETURN_IF_ERROR(store->Recognise(mode));
    if (mode == Mode::kReadOnly) {
      store->db_->exec("PRAGMA query_only = ON");
      return std::unique_ptr<Store>(std::move(store));
    }
    // Fresh files get 16 KiB pages: artifact bodies are ~1 KB, so fewer overflow pages
    // and a quarter of the I/O calls of the 4 KiB default (ingest writes every page twice).
    if (store->version_ == 0) store->db_->exec("PRAGMA page_size = 16384");
    store->db_->exec("PRAGMA journal_mode = WAL");
    // FULL: a commit is on disk (the WAL is fsynced) when CommitBatch returns, so committed
    // evidence survives a power loss; NORMAL would lose the last batches (see README).
    store->db_->exec("PRAGMA synchronous = FULL");
    store->db_->exec("PRAGMA foreign_keys = ON");
    // 64 MiB page cache: index pages of a large batch stay in memory.
    store->db_->exec("PRAGMA cache_size = -65536");
    OEP_RETURN_IF_ERROR(store->Migrate());
    return std::unique_ptr<Store>(std::move(store));
  } catch (const std::exception& e) {
    return FromException(e, "cannot open evidence store " + path);
  }
}

Status SqliteStore::Migrate() {
  int version = db_->execAndGet("PRAGMA user_version").getInt();
  if (version == kStoreSchemaVersion) return Status::Ok();
  db_->exec("PRAGMA foreign_keys = OFF");  // a no-op inside a transaction: set before it
  bool references_ok = true;
  {
    SQLite::Transaction tx(*db_);
    if (version < 1) db_->exec(SchemaV1());
    if (version < 2) db_->exec(SchemaV2());
    if (version < 3) {
      bool ledger_has_tenant = SQLite::Statement(*db_, "SELECT 1 FROM pragma_table_info('ledger') WHERE name = 'tenant'").executeStep();
      db_->exec(SchemaV3(ledger_has_tenant));
    }
    if (version < 4) db_->exec(TenantKindTablesOfVersion(4));
    if (version < 5) db_->exec(TenantKindTablesOfVersion(5));
    if (version < 6) db_->exec(TenantKindTablesOfVersion(6));
    if (version < 7) db_->exec(SchemaV7());
    references_ok = !SQLite::Statement(*db_, "PRAGMA foreign_key_check").executeStep();
    if (references_ok) {
      db_->exec("PRAGMA user_version = " + std::to_string(kStoreSchemaVersion));
      if (application_id_ == 0) db_->exec("PRAGMA application_id = " + std::to_string(kStoreApplicationId));
      tx.commit();
    }
  }
  db_->exec("PRAGMA foreign_keys = ON");
  if (!references_ok) return Status::Corruption(path_ + ": references between stored rows are broken; not migrated");
  version_ = kStoreSchemaVersion;
  if (application_id_ == 0) application_id_ = kStoreApplicationId;
  needs_stamp_ = false;
  return Status::Ok();
}

Status SqliteStore::MarkGeneratedDemo() {
  if (!in_batch_) std::abort();  // programmer error: the mark belongs to a batch
  try {
    db_->exec("PRAGMA application_id = " + std::to_string(kDemoStoreApplicationId));
    application_id_ = kDemoStoreApplicationId;
    needs_stamp_ = false;
    return Status::Ok();
  } catch (const std::exception& e) {
    return FromException(e, "cannot mark " + path_ + " as a demo store");
  }
}

Result<int> SqliteStore::SynchronousLevel() {
  try {
    return db_->execAndGet("PRAGMA synchronous").getInt();
  } catch (const std::exception& e) {
    return FromException(e, "cannot read the pragmas of " + path_);
  }
}

bool SqliteStore::generated_demo() const { return application_id_ == kDemoStoreApplicationId; }
bool SqliteStore::stamped() const { return application_id_ != 0; }

void SqliteStore::ReleaseReadSnapshot() { stmts_->ResetAll(); }

Status SqliteStore::BeginBatch() {
  try {
    stmts_->ResetAll();  // a snapshot older than another writer's commit could not become a write
    db_->exec("BEGIN IMMEDIATE");
    in_batch_ = true;
    // A store made before application_id existed is stamped by its first write.
    if (needs_stamp_) db_->exec("PRAGMA application_id = " + std::to_string(kStoreApplicationId));
    return Status::Ok();
  } catch (const std::exception& e) {
    return FromException(e, "cannot start a transaction on " + path_);
  }
}

Status SqliteStore::CommitBatch() {
  try {
    db_->exec("COMMIT");
    in_batch_ = false;
    if (needs_stamp_) application_id_ = kStoreApplicationId;
    needs_stamp_ = false;
    return Status::Ok();
  } catch (const std::exception& e) {
    RollbackBatch();
    return FromException(e, "cannot commit to " + path_);
  }
}

void SqliteStore::RollbackBatch() {
  if (!in_batch_) return;
  in_batch_ = false;
  try {
    db_->exec("ROLLBACK");
  } catch (const std::exception&) {
    // SQLite already rolled back (e.g. after a failed COMMIT); nothing is left to undo.
  }
}

Result<PutOutcome> SqliteStore::Put(const ArtifactRecord& r, int64_t ledger_entry) {
  const KindSpec& spec = *r.spec;
  std::string table(spec.table), id_col(spec.id_column);
  try {
    auto& ins = stmts_->Insert(spec);
    ins.bindNoCopy(1, r.id);
    ins.bindNoCopy(2, r.digest);
    ins.bindNoCopy(3, r.body);
    ins.bindNoCopy(4, r.source);
    if (ledger_entry > 0) ins.bind(5, ledger_entry);
    else ins.bind(5);
    for (size_t i = 0; i < spec.columns.size(); ++i) {
      int idx = static_cast<int>(i) + 6;
      const auto& v = r.columns[i];
      if (!v) ins.bind(idx);
      else if (spec.columns[i].type == ColumnType::kBool) ins.bind(idx, *v == "1" ? 1 : 0);
      else ins.bindNoCopy(idx, *v);
    }
    ins.bindNoCopy(static_cast<int>(spec.columns.size()) + 6, tenant_);
    if (ins.exec() == 1) return PutOutcome::kInserted;
    auto& q = stmts_->Get("SELECT digest, source FROM " + table + " WHERE tenant = ? AND " + id_col + " = ?");
    q.bindNoCopy(1, tenant_);
    q.bindNoCopy(2, r.id);
    q.executeStep();
    std::string stored = q.getColumn(0).getString();
    if (stored == r.digest) return PutOutcome::kUnchanged;
    return Status::Conflict(std::string(spec.label) + " \"" + r.id +
                                   "\" is already stored with different content (stored " + stored + " from " +
                                   q.getColumn(1).getString() + ", this record " + r.digest + ")");
  } catch (const std::exception& e) {
    return FromException(e, "cannot store " + std::string(spec.label) + " " + r.id);
  }
}

Result<PutOutcome> SqliteStore::PutDecisionInput(const std::string& decision_id, const StoredArtifact& input,
                                           int64_t ledger_entry) {
  try {
    auto& ins = stmts_->Get(
        "INSERT INTO decision_inputs(decision_id, digest, body, source, ledger_entry, tenant) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(tenant, decision_id) DO NOTHING");
    ins.bind(1, decision_id);
    ins.bind(2, input.digest);
    ins.bind(3, input.body);
    ins.bind(4, input.source);
    ins.bind(5, ledger_entry);
    ins.bind(6, tenant_);
    if (ins.exec() == 1) return PutOutcome::kInserted;
    auto& q = stmts_->Get("SELECT digest FROM decision_inputs WHERE tenant = ? AND decision_id = ?");
    q.bind(1, tenant_);
    q.bind(2, decision_id);
    q.executeStep();
    if (q.getColumn(0).getString() == input.digest) return PutOutcome::kUnchanged;
    return Status::Conflict("OPA input of decision \"" + decision_id +
                                   "\" is already stored with different content");
  } catch (const std::exception& e) {
    return FromException(e, "cannot store OPA input of " + decision_id);
  }
}

Result<PutOutcome> SqliteStore::PutDocument(const std::string& path, std::string_view bytes, int64_t ledger_entry) {
  try {
    std::string digest = crypto::Sha256Digest(bytes);
    auto& ins = stmts_->Get(
        "INSERT INTO documents(path, digest, size, body, ledger_entry, tenant) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(tenant, path) DO NOTHING");
    ins.bind(1, path);
    ins.bind(2, digest);
    ins.bind(3, static_cast<int64_t>(bytes.size()));
    ins.bind(4, bytes.data(), static_cast<int>(bytes.size()));
    ins.bind(5, ledger_entry);
    ins.bind(6, tenant_);
    if (ins.exec() == 1) return PutOutcome::kInserted;
    auto& q = stmts_->Get("SELECT digest FROM documents WHERE tenant = ? AND path = ?");
    q.bind(1, tenant_);
    q.bind(2, path);
    q.executeStep();
    if (q.getColumn(0).getString() == digest) return PutOutcome::kUnchanged;
    return Status::Conflict("document \"" + path + "\" is already stored with different content");
  } catch (const std::exception& e) {
    return FromException(e, "cannot store document " + path);
  }
}

Result<bool> SqliteStore::Exists(ArtifactKind kind, std::string_view id) {
  const KindSpec& spec = Spec(kind);
  if (!HasTable(spec)) return false;
  try {
    auto& q = stmts_->Get("SELECT 1 FROM " + std::string(spec.table) + " WHERE " + TenantIs() +
                          std::string(spec.id_column) + " = ?");
    q.bind(BindTenant(q, 1), std::string(id));
    return q.executeStep();
  } catch (const std::exception& e) {
    return FromException(e, "cannot read " + std::string(spec.table));
  }
}

Result<std::optional<StoredArtifact>> SqliteStore::Get(ArtifactKind kind, std::string_view id) {
  const KindSpec& spec = Spec(kind);
  if (!HasTable(spec)) return std::optional<StoredArtifact>();
  try {
    auto& q = stmts_->Get("SELECT " + std::string(spec.id_column) + ", digest, body, source FROM " +
                          std::string(spec.table) + " WHERE " + TenantIs() + std::string(spec.id_column) + " = ?");
    q.bind(BindTenant(q, 1), std::string(id));
    if (!q.executeStep()) return std::optional<StoredArtifact>();
    return std::optional<StoredArtifact>(ReadArtifact(q));
  } catch (const std::exception& e) {
    return FromException(e, "cannot read " + std::string(spec.table));
  }
}

Result<std::vector<StoredArtifact>> SqliteStore::FindBy(ArtifactKind kind, std::string_view column,
                                                  std::string_view value, int limit) {
  const KindSpec& spec = Spec(kind);
  bool known = std::any_of(spec.columns.begin(), spec.columns.end(), [&](const KeyColumn& c) { return c.name == column; });
  if (!known) std::abort();  // programmer error: callers name spec columns
  if (!HasTable(spec)) return std::vector<StoredArtifact>();
  try {
    auto& q = stmts_->Get("SELECT " + std::string(spec.id_column) + ", digest, body, source FROM " +
                          std::string(spec.table) + " WHERE " + TenantIs() + std::string(column) + " = ? ORDER BY " +
                          std::string(spec.id_column) + " LIMIT ?");
    int i = BindTenant(q, 1);
    q.bind(i, std::string(value));
    q.bind(i + 1, limit);
    std::vector<StoredArtifact> out;
    while (q.executeStep()) out.push_back(ReadArtifact(q));
    return out;
  } catch (const std::exception& e) {
    return FromException(e, "cannot read " + std::string(spec.table));
  }
}

Result<std::optional<StoredArtifact>> SqliteStore::GetDecisionInput(std::string_view decision_id) {
  try {
    auto& q = stmts_->Get("SELECT decision_id, digest, body, source FROM decision_inputs WHERE " + TenantIs() +
                          "decision_id = ?");
    q.bind(BindTenant(q, 1), std::string(decision_id));
    if (!q.executeStep()) return std::optional<StoredArtifact>();
    return std::optional<StoredArtifact>(ReadArtifact(q));
  } catch (const std::exception& e) {
    return FromException(e, "cannot read decision_inputs");
  }
}

Result<int64_t> SqliteStore::Count(ArtifactKind kind) {
  if (!HasTable(Spec(kind))) return int64_t{0};
  try {
    std::string where = TenantIs();
    auto& q = stmts_->Get("SELECT count(*) FROM " + std::string(Spec(kind).table) +
                          (where.empty() ? "" : " WHERE " + where.substr(0, where.size() - 5)));
    BindTenant(q, 1);
    q.executeStep();
    return q.getColumn(0).getInt64();
  } catch (const std::exception& e) {
    return FromException(e, "cannot count " + std::string(Spec(kind).table));
  }
}

Result<std::vector<std::string>> SqliteStore::NearestIds(ArtifactKind kind, std::string_view id, int n) {
  const KindSpec& spec = Spec(kind);
  std::string table(spec.table), col(spec.id_column);
  if (!HasTable(spec)) return std::vector<std::string>();
  try {
    auto count = Count(kind);
    if (!count.ok()) return count.status();
    std::vector<std::string> candidates;
    if (*count <= store_sql::kFullScanLimit) {
      SQLite::Statement q(*db_, "SELECT " + col + " FROM " + table + " WHERE " + TenantIs() + "1");
      BindTenant(q, 1);
      while (q.executeStep()) candidates.push_back(q.getColumn(0).getString());
    } else {
      for (const char* sql : {" >= ? ORDER BY ", " < ? ORDER BY "}) {
        bool asc = sql[2] == '=';
        SQLite::Statement q(*db_, "SELECT " + col + " FROM " + table + " WHERE " + TenantIs() + col + sql + col +
                                      (asc ? " ASC" : " DESC") + " LIMIT 50");
        q.bind(BindTenant(q, 1), std::string(id));
        while (q.executeStep()) candidates.push_back(q.getColumn(0).getString());
      }
    }
    return store_sql::Nearest(id, std::move(candidates), n);
  } catch (const std::exception& e) {
    return FromException(e, "cannot read " + table);
  }
}

Result<std::optional<ChainHead>> SqliteStore::GetChainHead(const std::string& chain_id) {
  try {
    auto& q = stmts_->Get("SELECT seq, entry_hash, kind FROM ledger WHERE chain_id = ? ORDER BY seq DESC LIMIT 1");
    q.bind(1, chain_id);
    if (!q.executeStep()) return std::optional<ChainHead>();
    return std::optional<ChainHead>(ChainHead{q.getColumn(0).getInt64(), q.getColumn(1).getString(), q.getColumn(2).getString()});
  } catch (const std::exception& e) {
    return FromException(e, "cannot read the ledger");
  }
}

Status SqliteStore::AppendLedgerEntry(LedgerEntry& entry) {
  try {
    auto& ins = stmts_->Get(
        "INSERT INTO ledger(chain_id, seq, kind, artifact_table, artifact_id, content_hash, source, payload, "
        "prev_hash, entry_hash, entry_id, tenant) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    auto text_or_null = [&](int i, const std::string& v) {
      if (v.empty()) ins.bind(i);
      else ins.bindNoCopy(i, v);
    };
    ins.bindNoCopy(1, entry.chain_id);
    ins.bind(2, entry.seq);
    ins.bindNoCopy(3, entry.kind);
    text_or_null(4, entry.artifact_table);
    text_or_null(5, entry.artifact_id);
    text_or_null(6, entry.content_hash);
    text_or_null(7, entry.source);
    text_or_null(8, entry.payload);
    ins.bindNoCopy(9, entry.prev_hash);
    ins.bindNoCopy(10, entry.entry_hash);
    if (entry.entry_id > 0) ins.bind(11, entry.entry_id);
    else ins.bind(11);
    ins.bindNoCopy(12, tenant_);
    ins.exec();
    entry.entry_id = db_->getLastInsertRowid();
    return Status::Ok();
  } catch (const std::exception& e) {
    return FromException(e, "cannot append to the ledger chain " + entry.chain_id);
  }
}

Status SqliteStore::ForEachLedgerEntry(const std::string& chain_id, const std::function<Status(LedgerEntry&)>& fn) {
  try {
    std::string sql =
        "SELECT entry_id, chain_id, seq, kind, artifact_table, artifact_id, content_hash, source, payload, prev_hash, "
        "entry_hash FROM ledger";
    sql += chain_id.empty() ? " ORDER BY entry_id" : " WHERE chain_id = ? ORDER BY seq";
    SQLite::Statement q(*db_, sql);
    if (!chain_id.empty()) q.bind(1, chain_id);
    LedgerEntry e;
    while (q.executeStep()) {
      e.entry_id = q.getColumn(0).getInt64();
      e.chain_id = q.getColumn(1).getString();
      e.seq = q.getColumn(2).getInt64();
      e.kind = q.getColumn(3).getString();
      e.artifact_table = q.getColumn(4).getString();
      e.artifact_id = q.getColumn(5).getString();
      e.content_hash = q.getColumn(6).getString();
      e.source = q.getColumn(7).getString();
      e.payload = q.getColumn(8).getString();
      e.prev_hash = q.getColumn(9).getString();
      e.entry_hash = q.getColumn(10).getString();
      OEP_RETURN_IF_ERROR(fn(e));
    }
    return Status::Ok();
  } catch (const std::exception& e) {
    return FromException(e, "cannot read the ledger");
  }
}

Result<int64_t> SqliteStore::NextLedgerEntryId() {
  try {
    return db_->execAndGet("SELECT coalesce(max(entry_id), 0) + 1 FROM ledger").getInt64();
  } catch (const std::exception& e) {
    return FromException(e, "cannot read the ledger");
  }
}

Result<int64_t> SqliteStore::LedgerEntryCount(std::optional<int64_t> before_entry_id) {
  try {
    SQLite::Statement q(*db_, before_entry_id ? "SELECT count(*) FROM ledger WHERE entry_id < ?" : "SELECT count(*) FROM ledger");
    if (before_entry_id) q.bind(1, *before_entry_id);
    q.executeStep();
    return q.getColumn(0).getInt64();
  } catch (const std::exception& e) {
    return FromException(e, "cannot read the ledger");
  }
}

namespace {

// The ledger columns (entry_id, chain_id, seq, kind, artifact_table, artifact_id,
// content_hash, source) of a covered-row scan, from column `first` on.
void ReadCoveringEntry(SQLite::Statement& q, int first, Store::CoveredRow* r) {
  r->has_entry = !q.getColumn(first).isNull();
  r->entry.entry_id = q.getColumn(first).getInt64();
  r->entry.chain_id = q.getColumn(first + 1).getString();
  r->entry.seq = q.getColumn(first + 2).getInt64();
  r->entry.kind = q.getColumn(first + 3).getString();
  r->entry.artifact_table = q.getColumn(first + 4).getString();
  r->entry.artifact_id = q.getColumn(first + 5).getString();
  r->entry.content_hash = q.getColumn(first + 6).getString();
  r->entry.source = q.getColumn(first + 7).getString();
}

}  // namespace

Status SqliteStore::ForEachCoveredRow(const std::function<Status(CoveredRow&)>& fn,
                                const std::function<bool(std::string_view table)>& include) {
  std::vector<std::pair<std::string, std::string>> tables;  // table, select list
  for (const auto& spec : AllKinds()) {
    if (!HasTable(spec)) continue;
    tables.emplace_back(spec.table, "t." + std::string(spec.id_column) + ", t.digest, t.body, t.source");
  }
  tables.emplace_back("decision_inputs", "t.decision_id, t.digest, t.body, t.source");
  tables.emplace_back("documents", "t.path, t.digest, t.body, ''");
  if (version_ >= 3) {
    tables.emplace_back("runs", "t.run_id, t.digest, t.body, t.source");
    tables.emplace_back("audit_log", "t.audit_id, t.digest, t.body, t.source");
    tables.emplace_back("policies", "t.project || '/' || t.version, t.digest, t.body, t.source");
  }
  try {
    for (const auto& [table, columns] : tables) {
      if (include && !include(table)) continue;
      SQLite::Statement q(*db_, "SELECT " + columns +
                                    ", l.entry_id, l.chain_id, l.seq, l.kind, l.artifact_table, l.artifact_id, "
                                    "l.content_hash, l.source FROM " + table +
                                    " t LEFT JOIN ledger l ON l.entry_id = t.ledger_entry");
      CoveredRow r;
      while (q.executeStep()) {
        r.table = table;
        r.row.id = q.getColumn(0).getString();
        r.row.digest = q.getColumn(1).getString();
        SQLite::Column body = q.getColumn(2);
        r.row.body.assign(static_cast<const char*>(body.getBlob()), static_cast<size_t>(body.getBytes()));
        r.row.source = q.getColumn(3).getString();
        ReadCoveringEntry(q, 4, &r);
        OEP_RETURN_IF_ERROR(fn(r));
      }
      if (version_ < 7 || FindRetentionTable(table) == nullptr) continue;
      SQLite::Statement t(*db_, "SELECT t.artifact_id, t.content_hash, l.entry_id, l.chain_id, l.seq, l.kind, "
                                    "l.artifact_table, l.artifact_id, l.content_hash, l.source FROM tombstones t LEFT "
                                    "JOIN ledger l ON l.entry_id = t.ledger_entry WHERE t.artifact_table = ? "
                                    "ORDER BY t.tenant, t.artifact_id");
      t.bind(1, table);
      while (t.executeStep()) {
        r = CoveredRow{};
        r.table = table;
        r.tombstoned = true;
        r.row.id = t.getColumn(0).getString();
        r.row.digest = "sha256:" + t.getColumn(1).getString();
        ReadCoveringEntry(t, 2, &r);
        r.row.source = r.entry.source;
        OEP_RETURN_IF_ERROR(fn(r));
      }
    }
    return Status::Ok();
  } catch (const std::exception& e) {
    return FromException(e, "cannot read the evidence tables");
  }
}

Result<std::optional<LedgerEntry>> SqliteStore::GetLedgerEntry(int64_t entry_id) {
  try {
    auto& q = stmts_->Get("SELECT chain_id, seq, kind, artifact_table, artifact_id FROM ledger WHERE entry_id = ?");
    q.bind(1, entry_id);
    if (!q.executeStep()) return std::optional<LedgerEntry>();
    LedgerEntry e;
    e.entry_id = entry_id;
    e.chain_id = q.getColumn(0).getString();
    e.seq = q.getColumn(1).getInt64();
    e.kind = q.getColumn(2).getString();
    e.artifact_table = q.getColumn(3).getString();
    e.artifact_id = q.getColumn(4).getString();
    return std::optional<LedgerEntry>(e);
  } catch (const std::exception& e) {
    return FromException(e, "cannot read the ledger");
  }
}

namespace {


// Binds `args` from `first`, then `limit`, and reads the artifact rows `q` selects.
std::vector<StoredArtifact> ReadRows(SQLite::Statement& q, int first, const std::vector<std::string>& args, int limit) {
  int i = first;
  for (const auto& v : args) q.bind(i++, v);
  q.bind(i, limit);
  std::vector<StoredArtifact> out;
  out.reserve(static_cast<size_t>(std::min(limit, 4096)));
  while (q.executeStep()) out.push_back(ReadArtifact(q));
  return out;
}

}  // namespace

Result<std::vector<StoredArtifact>> SqliteStore::DecisionBatch(const DecisionFilter& f, const std::string& after_id,
                                                          int limit) {
  try {
    std::vector<std::string> args;
    // One run's decisions: SQLite's planner prefers the primary key (tenant, decision_id), which
    // avoids the sort but scans every decision; the (tenant, trace_id) index holds a run's few.
    const char* index = f.trace_id.empty() ? "" : " INDEXED BY decisions_trace_id";
    std::string sql = std::string("SELECT decision_id, digest, body, source FROM decisions") + index + " WHERE " + TenantIs() +
                      "decision_id > ?" + store_sql::DecisionFilter(f, &args) + " ORDER BY decision_id LIMIT ?";
    args.insert(args.begin(), after_id);
    auto& q = stmts_->Get(sql);
    return ReadRows(q, BindTenant(q, 1), args, limit);
  } catch (const std::exception& e) {
    return FromException(e, "cannot read decisions");
  }
}

Result<std::vector<StoredArtifact>> SqliteStore::RecentDecisions(const DecisionFilter& f,
                                                           const std::optional<DecisionCursor>& before, int limit) {
  try {
    std::vector<std::string> args;
    if (before) {
      args.push_back(before->decision_time);
      args.push_back(before->decision_id);
    }
    std::string sql = "SELECT decision_id, digest, body, source FROM decisions WHERE " + TenantIs() +
                      (before ? "(decision_time, decision_id) < (?, ?)" : "1") + store_sql::DecisionFilter(f, &args) +
                      " ORDER BY decision_time DESC, decision_id DESC LIMIT ?";
    auto& q = stmts_->Get(sql);
    return ReadRows(q, BindTenant(q, 1), args, limit);
  } catch (const std::exception& e) {
    return FromException(e, "cannot read decisions");
  }
}

Result<std::map<std::string, std::string>> SqliteStore::DecisionInputs(const std::vector<std::string>& ids) {
  std::map<std::string, std::string> out;
  if (ids.empty()) return out;
  try {
    std::string sql = "SELECT decision_id, body FROM decision_inputs WHERE " + TenantIs() + "decision_id IN (?";
    for (size_t i = 1; i < ids.size(); ++i) sql += ",?";
    SQLite::Statement q(*db_, sql + ")");
    int first = BindTenant(q, 1);
    for (size_t i = 0; i < ids.size(); ++i) q.bind(static_cast<int>(i) + first, ids[i]);
    while (q.executeStep()) out[q.getColumn(0).getString()] = q.getColumn(1).getString();
    return out;
  } catch (const std::exception& e) {
    return FromException(e, "cannot read decision_inputs");
  }
}

Status SqliteStore::ForEach(ArtifactKind kind, const std::function<Status(const StoredArtifact&)>& fn) {
  const KindSpec& spec = Spec(kind);
  if (!HasTable(spec)) return Status::Ok();
  try {
    SQLite::Statement q(*db_, "SELECT " + std::string(spec.id_column) + ", digest, body, source FROM " +
                                  std::string(spec.table) + " WHERE " + TenantIs() + "1 ORDER BY " +
                                  std::string(spec.id_column));
    BindTenant(q, 1);
    while (q.executeStep()) OEP_RETURN_IF_ERROR(fn(ReadArtifact(q)));
    return Status::Ok();
  } catch (const std::exception& e) {
    return FromException(e, "cannot read " + std::string(spec.table));
  }
}

Result<std::vector<std::string>> SqliteStore::RowsWithStaleColumns(ArtifactKind kind, int limit) {
  const KindSpec& spec = Spec(kind);
  std::vector<std::string> out;
  if (!HasTable(spec) || spec.columns.empty()) return out;
  // Text on both sides: booleans are stored 0/1 and json_extract gives 0/1 for false/true.
  std::string differs;
  for (const auto& col : spec.columns) {
    differs += std::string(differs.empty() ? "" : " OR ") + "CAST(" + std::string(col.name) +
               " AS TEXT) IS NOT CAST(json_extract(body, '$." + std::string(col.json_path) + "') AS TEXT)";
  }
  try {
    SQLite::Statement q(*db_, "SELECT " + std::string(spec.id_column) + " FROM " + std::string(spec.table) +
                                  " WHERE " + differs + " ORDER BY " + std::string(spec.id_column) + " LIMIT ?");
    q.bind(1, limit);
    while (q.executeStep()) out.push_back(q.getColumn(0).getString());
    return out;
  } catch (const std::exception& e) {
    return FromException(e, "cannot read " + std::string(spec.table));
  }
}

Status SqliteStore::Dump(const std::function<void(std::string_view line)>& sink) {
  std::vector<std::pair<std::string, std::string>> tables;  // table, primary key
  std::string tenant_key = version_ >= 3 ? "tenant, " : "";
  for (const auto& spec : AllKinds()) {
    if (HasTable(spec)) tables.emplace_back(spec.table, tenant_key + std::string(spec.id_column));
  }
  tables.emplace_back("decision_inputs", tenant_key + "decision_id");
  tables.emplace_back("documents", tenant_key + "path");
  if (version_ >= 3) {
    for (const auto& [t, key] : std::vector<std::pair<const char*, const char*>>{
             {"tenants", "name"}, {"api_keys", "key_id"}, {"api_key_revocations", "key_id"},
             {"runs", "tenant, run_id"}, {"run_tags", "tenant, run_id, tag"}, {"run_steps", "tenant, run_id, step"},
             {"audit_log", "tenant, audit_id"}, {"policies", "tenant, project, version"}}) {
      tables.emplace_back(t, key);
    }
  }
  if (version_ >= 7) {
    tables.emplace_back("tombstones", "tenant, artifact_table, artifact_id");
    tables.emplace_back("retention_open", "retention_id");
  }
  tables.emplace_back("ledger", "entry_id");
  try {
    sink("{\"store_format\":" + std::to_string(db_->execAndGet("PRAGMA user_version").getInt()) + "}");
    for (const auto& [table, pk] : tables) {
      SQLite::Statement q(*db_, "SELECT * FROM " + table + " ORDER BY " + pk);
      while (q.executeStep()) {
        rapidjson::Document row(rapidjson::kObjectType);
        auto& a = row.GetAllocator();
        row.AddMember("table", rapidjson::Value(table.c_str(), a), a);
        for (int i = 0; i < q.getColumnCount(); ++i) {
          SQLite::Column c = q.getColumn(i);
          rapidjson::Value name(c.getName(), a), value;
          if (c.isNull()) value.SetNull();
          else if (c.isInteger()) value.SetInt64(c.getInt64());
          else if (c.isBlob()) value.SetString(("sha256:" + crypto::Sha256Hex(std::string_view(
                                                   static_cast<const char*>(c.getBlob()), static_cast<size_t>(c.getBytes())))).c_str(), a);
          else value.SetString(c.getText(), static_cast<rapidjson::SizeType>(c.getBytes()), a);
          row.AddMember(name, value, a);
        }
        sink(json::CanonicalText(row));
      }
    }
    return Status::Ok();
  } catch (const std::exception& e) {
    return FromException(e, "cannot dump " + path_);
  }
}

}  // namespace oep
