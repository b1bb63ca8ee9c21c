#include "store/postgres_store.h"

#include <algorithm>
#include <map>
#include <set>

#include <pqxx/pqxx>

#include "crypto/sha256.h"
#include "json/json.h"
#include "store/libpq_loader.h"
#include "store/store_sql.h"

namespace oep {
namespace {

constexpr int kChunk = 2000;  // rows per keyset page of the scans

Status PgError(const std::exception& e, const std::string& what) { return Status::IOError(what + ": " + e.what()); }

// '?' placeholders (the SQLite store's) as PostgreSQL's $1, $2, ...
std::string Numbered(const std::string& sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  for (char c : sql) {
    if (c == '?') out += "$" + std::to_string(++n);
    else out += c;
  }
  return out;
}

std::string HexBytea(std::string_view bytes) {
  static const char* kHex = "0123456789abcdef";
  std::string out = "\\x";
  out.reserve(2 + bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string Str(const pqxx::field& f) { return f.is_null() ? std::string() : std::string(f.c_str(), f.size()); }
int64_t Int(const pqxx::field& f) { return f.is_null() ? 0 : f.as<int64_t>(); }
std::string Bytes(const pqxx::field& f) { return f.is_null() ? std::string() : pqxx::binarystring(f).str(); }

StoredArtifact ReadArtifact(const pqxx::row& r) { return {Str(r[0]), Str(r[1]), Str(r[2]), Str(r[3])}; }

std::vector<std::optional<std::string>> ToParams(const std::vector<std::string>& args) {
  return {args.begin(), args.end()};
}

std::optional<std::string> OrNull(const std::string& v) {
  return v.empty() ? std::nullopt : std::optional<std::string>(v);
}

// --- schema ------------------------------------------------------------------------------

constexpr const char* kText = " TEXT COLLATE \"C\"";

std::string AppendOnly(const std::string& table) {
  return "CREATE TRIGGER " + table + "_append_only BEFORE UPDATE OR DELETE ON " + table +
         " FOR EACH ROW EXECUTE FUNCTION oep_append_only();\n"
         "CREATE TRIGGER " + table + "_no_truncate BEFORE TRUNCATE ON " + table +
         " FOR EACH STATEMENT EXECUTE FUNCTION oep_append_only();\n";
}

std::string KindTable(const KindSpec& spec) {
  std::string t(spec.table);
  std::string ddl = "CREATE TABLE " + t + " (\n  tenant" + kText + " NOT NULL,\n  " + std::string(spec.id_column) + kText +
                    " NOT NULL,\n  digest" + kText + " NOT NULL,\n  body" + kText + " NOT NULL,\n  source" + kText +
                    " NOT NULL,\n  ledger_entry BIGINT";
  for (const auto& col : spec.columns) {
    ddl += ",\n  " + std::string(col.name) + (col.type == ColumnType::kBool ? " BIGINT" : kText);
  }
  ddl += ",\n  PRIMARY KEY (tenant, " + std::string(spec.id_column) + ")";
  if (!spec.manifest_ref_column.empty()) {
    ddl += ",\n  FOREIGN KEY (tenant, " + std::string(spec.manifest_ref_column) +
           ") REFERENCES manifests(tenant, manifest_id) DEFERRABLE INITIALLY DEFERRED";
  }
  ddl += "\n);\n";
  for (const auto& col : spec.columns) {
    if (!col.indexed) continue;
    ddl += "CREATE INDEX " + t + "_" + std::string(col.name) + " ON " + t + "(tenant, " + std::string(col.name) + ");\n";
  }
  return ddl + AppendOnly(t);
}

// The tables that hold one tenant's rows (row-level security applies to them).
std::vector<std::string> TenantTables() {
  std::vector<std::string> out;
  for (const auto& spec : AllKinds()) out.emplace_back(spec.table);
  for (const char* t : {"decision_inputs", "documents", "runs", "run_tags", "run_steps", "audit_log", "policies"}) {
    out.emplace_back(t);
  }
  return out;
}

std::vector<std::string> AllTables() {
  std::vector<std::string> out = TenantTables();
  for (const char* t : {"ledger", "tenants", "api_keys", "api_key_revocations"}) out.emplace_back(t);
  return out;
}

// Row-level security on table `t`: a tenant's rows are visible and insertable only under its
// oep.tenant setting ('*' reads every tenant: the operator's whole-store scans), also for
// the tables' owner. Superusers and BYPASSRLS roles are not subject to it.
std::string RowLevelSecurity(const std::string& t) {
  return "ALTER TABLE " + t + " ENABLE ROW LEVEL SECURITY;\nALTER TABLE " + t + " FORCE ROW LEVEL SECURITY;\n"
         "CREATE POLICY " + t + "_tenant ON " + t + " USING (tenant = current_setting('oep.tenant', true) OR "
         "current_setting('oep.tenant', true) = '*') WITH CHECK (tenant = current_setting('oep.tenant', true));\n";
}

// The role servers log in through (CREATE ROLE s1 LOGIN IN ROLE oep_writer): SELECT and
// INSERT on every table, nothing else. Made when the migrating user may create roles; run
// again by every step that adds tables.
const char* const kWriterRole =
    "DO $$ BEGIN\n"
    "  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'oep_writer') THEN CREATE ROLE oep_writer NOLOGIN; END IF;\n"
    "EXCEPTION WHEN insufficient_privilege THEN RAISE NOTICE 'oep: cannot create role oep_writer';\n"
    "END $$;\n"
    "DO $$ BEGIN\n"
    "  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'oep_writer') THEN\n"
    "    EXECUTE format('GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA %I TO oep_writer', current_schema());\n"
    "    EXECUTE format('REVOKE INSERT ON oep_meta FROM oep_writer');\n"
    "  END IF;\n"
    "END $$;\n";

// Format 4, the first format PostgreSQL stores have: every table of store.h's format 4.
std::string SchemaV4() {
  std::string ddl =
      "CREATE OR REPLACE FUNCTION oep_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "RAISE EXCEPTION 'oep evidence is append-only: % on % refused', TG_OP, TG_TABLE_NAME; END $$;\n";
  // manifests first: the other kinds reference it.
  for (const auto& spec : AllKinds()) {
    if (spec.kind == ArtifactKind::kReleaseManifest) ddl += KindTable(spec);
  }
  for (const auto& spec : AllKinds()) {
    if (spec.kind != ArtifactKind::kReleaseManifest && spec.since_store_version <= 4) ddl += KindTable(spec);
  }
  std::string T = kText;
  ddl += "CREATE TABLE decision_inputs (\n  tenant" + T + " NOT NULL,\n  decision_id" + T + " NOT NULL,\n  digest" + T +
         " NOT NULL,\n  body" + T + " NOT NULL,\n  source" + T + " NOT NULL,\n  ledger_entry BIGINT,\n"
         "  PRIMARY KEY (tenant, decision_id),\n  FOREIGN KEY (tenant, decision_id) REFERENCES decisions(tenant, "
         "decision_id) DEFERRABLE INITIALLY DEFERRED\n);\n" +
         AppendOnly("decision_inputs");
  ddl += "CREATE TABLE documents (\n  tenant" + T + " NOT NULL,\n  path" + T + " NOT NULL,\n  digest" + T +
         " NOT NULL,\n  size BIGINT NOT NULL,\n  body BYTEA NOT NULL,\n  ledger_entry BIGINT,\n"
         "  PRIMARY KEY (tenant, path)\n);\n" + AppendOnly("documents");
  ddl += "CREATE TABLE ledger (\n  entry_id BIGINT PRIMARY KEY,\n  chain_id" + T + " NOT NULL,\n  seq BIGINT NOT NULL,\n"
         "  kind" + T + " NOT NULL,\n  artifact_table" + T + ",\n  artifact_id" + T + ",\n  content_hash" + T +
         ",\n  source" + T + ",\n  payload" + T + ",\n  prev_hash" + T + " NOT NULL,\n  entry_hash" + T +
         " NOT NULL,\n  tenant" + T + " NOT NULL DEFAULT 'default',\n  UNIQUE (chain_id, seq)\n);\n" + AppendOnly("ledger");
  ddl += "CREATE TABLE tenants (\n  name" + T + " PRIMARY KEY,\n  created_at" + T + " NOT NULL\n);\n" +
         "CREATE TABLE api_keys (\n  key_id" + T + " PRIMARY KEY,\n  tenant" + T + " NOT NULL,\n  role" + T +
         " NOT NULL,\n  key_hash" + T + " NOT NULL UNIQUE,\n  created_at" + T + " NOT NULL,\n  label" + T + " NOT NULL\n);\n" +
         "CREATE TABLE api_key_revocations (\n  key_id" + T + " PRIMARY KEY REFERENCES api_keys(key_id),\n  revoked_at" + T +
         " NOT NULL\n);\n" +
         "CREATE TABLE runs (\n  tenant" + T + " NOT NULL,\n  run_id" + T + " NOT NULL,\n  chain_id" + T +
         " NOT NULL,\n  created_at" + T + " NOT NULL,\n  release_manifest_id" + T + ",\n  model" + T + ",\n  agent" + T +
         ",\n  digest" + T + " NOT NULL,\n  body" + T + " NOT NULL,\n  source" + T + " NOT NULL,\n  ledger_entry BIGINT,\n"
         "  PRIMARY KEY (tenant, run_id)\n);\n"
         "CREATE INDEX runs_created ON runs(tenant, created_at, run_id);\n"
         "CREATE INDEX runs_chain ON runs(chain_id);\n" +
         "CREATE TABLE run_tags (\n  tenant" + T + " NOT NULL,\n  run_id" + T + " NOT NULL,\n  tag" + T + " NOT NULL,\n"
         "  PRIMARY KEY (tenant, run_id, tag),\n  FOREIGN KEY (tenant, run_id) REFERENCES runs(tenant, run_id)\n);\n"
         "CREATE INDEX run_tags_tag ON run_tags(tenant, tag);\n" +
         "CREATE TABLE run_steps (\n  tenant" + T + " NOT NULL,\n  run_id" + T + " NOT NULL,\n  step BIGINT NOT NULL,\n"
         "  event_id" + T + " NOT NULL,\n  digest" + T + " NOT NULL,\n  PRIMARY KEY (tenant, run_id, step),\n"
         "  FOREIGN KEY (tenant, run_id) REFERENCES runs(tenant, run_id)\n);\n" +
         "CREATE TABLE audit_log (\n  tenant" + T + " NOT NULL,\n  audit_id" + T + " NOT NULL,\n  at" + T +
         " NOT NULL,\n  digest" + T + " NOT NULL,\n  body" + T + " NOT NULL,\n  source" + T + " NOT NULL,\n"
         "  ledger_entry BIGINT,\n  PRIMARY KEY (tenant, audit_id)\n);\n" +
         "CREATE TABLE policies (\n  tenant" + T + " NOT NULL,\n  project" + T + " NOT NULL,\n  version BIGINT NOT NULL,\n"
         "  digest" + T + " NOT NULL,\n  size BIGINT NOT NULL,\n  body BYTEA NOT NULL,\n  uploaded_by" + T +
         " NOT NULL,\n  created_at" + T + " NOT NULL,\n  source" + T + " NOT NULL,\n  ledger_entry BIGINT,\n"
         "  PRIMARY KEY (tenant, project, version)\n);\n";
  for (const char* t : {"tenants", "api_keys", "api_key_revocations", "runs", "run_tags", "run_steps", "audit_log",
                        "policies"}) {
    ddl += AppendOnly(t);
  }
  for (const auto& spec : AllKinds()) {
    if (spec.since_store_version <= 4) ddl += RowLevelSecurity(std::string(spec.table));
  }
  for (const char* t : {"decision_inputs", "documents", "runs", "run_tags", "run_steps", "audit_log", "policies"}) {
    ddl += RowLevelSecurity(t);
  }
  return ddl + kWriterRole;
}

// Format 5 (the monitors' violations), format 6 (webhooks and their delivery log): the kinds
// of `format`, with their security.
std::string KindTablesOfFormat(int format) {
  std::string ddl;
  for (const auto& spec : AllKinds()) {
    if (spec.since_store_version == format) ddl += KindTable(spec) + RowLevelSecurity(std::string(spec.table));
  }
  return ddl + kWriterRole;
}

// Forward migrations, by the format they produce. Formats are shared with the SQLite store
// (kStoreSchemaVersion); PostgreSQL stores begin at format 4, so a later format adds a
// step here and one to SqliteStore::Migrate. A step never changes once released.
// Format 7 (tolerating parts that exist already, as a store whose format number was set back
// has them): tombstones; the retention tables' DELETE accepted only for a row tombstoned by
// the retention run open in the same transaction (retention_open is empty at every commit).
std::string SchemaV7() {
  std::string T = kText;
  std::string ddl = "CREATE TABLE IF NOT EXISTS tombstones (\n  tenant" + T + " NOT NULL,\n  artifact_table" + T +
                    " NOT NULL,\n  artifact_id" + T + " NOT NULL,\n  content_hash" + T +
                    " NOT NULL,\n  ledger_entry BIGINT,\n  deleted_at" + T + " NOT NULL,\n  retention_id" + T +
                    " NOT NULL,\n  PRIMARY KEY (tenant, artifact_table, artifact_id)\n);\n"
                    "CREATE INDEX IF NOT EXISTS tombstones_retention ON tombstones(retention_id);\n"
                    "CREATE TABLE IF NOT EXISTS retention_open (\n  retention_id" + T + " PRIMARY KEY\n);\n"
                    "DROP TRIGGER IF EXISTS retention_open_append_only ON retention_open;\n"
                    "DROP TRIGGER IF EXISTS tombstones_append_only ON tombstones;\n"
                    "DROP TRIGGER IF EXISTS tombstones_no_truncate ON tombstones;\n"
                    "DROP POLICY IF EXISTS tombstones_tenant ON tombstones;\n"
                    "CREATE TRIGGER retention_open_append_only BEFORE UPDATE OR TRUNCATE ON retention_open "
                    "FOR EACH STATEMENT EXECUTE FUNCTION oep_append_only();\n" +
                    AppendOnly("tombstones") + RowLevelSecurity("tombstones");
  std::string grants;
  for (const auto& t : RetentionTables()) {
    std::string table(t.table), fn = "oep_delete_tombstoned_" + table;
    ddl += "CREATE OR REPLACE FUNCTION " + fn + "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF " +
           store_sql::TombstonedInThisTransaction(t) + " THEN RETURN OLD; END IF; RAISE EXCEPTION "
           "'oep evidence is append-only: DELETE on " + table +
           " refused (no tombstone written by the retention run of this transaction)'; END $$;\n"
           "DROP TRIGGER IF EXISTS " + table + "_append_only ON " + table + ";\n"
           "DROP TRIGGER IF EXISTS " + table + "_delete_tombstoned ON " + table + ";\n"
           "CREATE TRIGGER " + table + "_append_only BEFORE UPDATE ON " + table +
           " FOR EACH ROW EXECUTE FUNCTION oep_append_only();\n"
           "CREATE TRIGGER " + table + "_delete_tombstoned BEFORE DELETE ON " + table + " FOR EACH ROW EXECUTE FUNCTION " +
           fn + "();\n";
    grants += ", " + table;
  }
  return ddl + kWriterRole +
         "DO $$ BEGIN\n  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'oep_writer') THEN\n"
         "    GRANT DELETE ON retention_open" + grants + " TO oep_writer;\n  END IF;\nEND $$;\n";
}

const std::vector<std::pair<int, std::string>>& PostgresSchemaSteps() {
  static const std::vector<std::pair<int, std::string>> steps = {
      {4, SchemaV4()}, {5, KindTablesOfFormat(5)}, {6, KindTablesOfFormat(6)}, {7, SchemaV7()}};
  return steps;
}

}  // namespace

// Reads every tenant's rows (oep.tenant '*') while it lives.
struct PostgresStore::AllTenants {
  explicit AllTenants(PostgresStore* s) : store(s) { store->all_tenants_ = true; }
  ~AllTenants() { store->all_tenants_ = false; }
  PostgresStore* store;
};

struct PostgresStore::Session {
  explicit Session(const std::string& url) : conn(url) {}
  pqxx::connection conn;
  std::unique_ptr<pqxx::work> tx;  // the open batch
  std::map<std::string, std::string> prepared;  // SQL -> name of its prepared statement
  std::map<std::string, int> uses;  // SQL not prepared yet -> times run
};

PostgresStore::PostgresStore(std::string url, std::unique_ptr<Session> session)
    : Store(std::move(url)), db_(std::move(session)) {}

PostgresStore::~PostgresStore() {
  RollbackBatch();
  db_.reset();
}

void PostgresStore::ApplyTenant() {
  const std::string& want = all_tenants_ ? std::string("*") : tenant_;
  if (want == applied_tenant_) return;
  std::string sql = "SELECT set_config('oep.tenant', $1, false)";
  if (db_->tx) db_->tx->exec_params(sql, want);
  else pqxx::nontransaction(db_->conn).exec_params(sql, want);
  applied_tenant_ = want;
}

pqxx::result PostgresStore::Exec(const std::string& sql, const Params& params) {
  ApplyTenant();
  // A statement text used a second time is prepared (once per connection, up to a bound:
  // filters make many texts), so the hot paths are parsed and planned once; a statement
  // run once (most of a short CLI process's) costs no extra round trip to prepare it.
  constexpr size_t kMaxPrepared = 512;
  auto it = db_->prepared.find(sql);
  if (it == db_->prepared.end() && db_->prepared.size() < kMaxPrepared && ++db_->uses[sql] >= 2) {
    std::string name = "oep_" + std::to_string(db_->prepared.size());
    db_->conn.prepare(name, Numbered(sql));
    it = db_->prepared.emplace(sql, name).first;
  }
  auto run = [&](pqxx::transaction_base& t) {
    if (it != db_->prepared.end()) return t.exec_prepared(it->second, pqxx::prepare::make_dynamic_params(params));
    return t.exec_params(Numbered(sql), pqxx::prepare::make_dynamic_params(params));
  };
  if (db_->tx) return run(*db_->tx);
  pqxx::nontransaction n(db_->conn);
  return run(n);
}

Result<std::unique_ptr<Store>> PostgresStore::OpenUrl(const std::string& url, Mode mode) {
  std::string why;
  if (!LoadLibpq(&why)) return Status::IOError("cannot open evidence store " + url + ": " + why);
  try {
    std::unique_ptr<PostgresStore> store(new PostgresStore(url, std::make_unique<Session>(url)));
    store->read_only_ = mode == Mode::kReadOnly;
    OEP_RETURN_IF_ERROR(store->Recognise(mode));
    if (mode == Mode::kReadOnly) {
      store->Exec("SET default_transaction_read_only = on");
    } else {
      OEP_RETURN_IF_ERROR(store->Migrate());
    }
    return std::unique_ptr<Store>(std::move(store));
  } catch (const std::exception& e) {
    return PgError(e, "cannot open evidence store " + url);
  }
}

Status PostgresStore::Recognise(Mode mode) {
  auto meta = Exec("SELECT to_regclass('oep_meta') IS NOT NULL");
  if (!meta[0][0].as<bool>()) {
    auto tables = Exec("SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()");
    if (Int(tables[0][0]) != 0) {
      return Status::InvalidArgument(path_ + ": not an oep evidence store (has tables, no oep_meta); left untouched");
    }
    if (mode == Mode::kReadOnly) return Status::InvalidArgument(path_ + ": not an oep evidence store (an empty database)");
    return Status::Ok();
  }
  std::map<std::string, std::string> values;
  for (const auto& row : Exec("SELECT key, value FROM oep_meta")) values[Str(row[0])] = Str(row[1]);
  application_ = values["application"];
  if (application_ != "OEPS" && application_ != "OEPD") {
    return Status::InvalidArgument(path_ + ": not an oep evidence store (oep_meta application \"" + application_ + "\")");
  }
  int version = std::atoi(values["store_format"].c_str());
  format_ = version;
  if (version > kStoreSchemaVersion) {
    return Status::InvalidArgument(path_ + ": store format version " + std::to_string(version) +
                                   " is newer than this oep reads (" + std::to_string(kStoreSchemaVersion) + ")");
  }
  std::set<std::string> present;
  for (const auto& row : Exec("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")) {
    present.insert(Str(row[0]));
  }
  std::set<std::string> later;  // tables of kinds newer than the store's format: made by Migrate
  for (const auto& spec : AllKinds()) {
    if (spec.since_store_version > version) later.insert(std::string(spec.table));
  }
  for (const auto& t : AllTables()) {
    if (present.count(t) == 0 && later.count(t) == 0) {
      return Status::InvalidArgument(path_ + ": not an oep evidence store (format " + std::to_string(version) +
                                     " but no table \"" + t + "\"); left untouched");
    }
  }
  return Status::Ok();
}

Status PostgresStore::Migrate() {
  pqxx::work tx(db_->conn);
  tx.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kPostgresWriteLock) + ")");
  // Another process may have created or migrated the schema while this one waited.
  int version = 0;
  if (tx.exec("SELECT to_regclass('oep_meta') IS NOT NULL")[0][0].as<bool>()) {
    auto r = tx.exec("SELECT value FROM oep_meta WHERE key = 'store_format'");
    if (!r.empty()) version = std::atoi(r[0][0].c_str());
  } else {
    tx.exec("CREATE TABLE oep_meta (key TEXT COLLATE \"C\" PRIMARY KEY, value TEXT NOT NULL)");
    tx.exec("INSERT INTO oep_meta VALUES ('application', 'OEPS')");
    application_ = "OEPS";
  }
  if (version == kStoreSchemaVersion) {
    format_ = version;
    return Status::Ok();
  }
  for (const auto& [to, ddl] : PostgresSchemaSteps()) {
    if (to > version) tx.exec(ddl);
  }
  tx.exec("INSERT INTO oep_meta VALUES ('store_format', '" + std::to_string(kStoreSchemaVersion) +
          "') ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  tx.commit();
  format_ = kStoreSchemaVersion;
  return Status::Ok();
}

Status PostgresStore::Stream(const std::string& sql, const std::function<Status(const pqxx::result&)>& fn) {
  ApplyTenant();
  bool own = !db_->tx;
  if (own) db_->tx = std::make_unique<pqxx::work>(db_->conn);
  std::string cursor = "oep_scan_" + std::to_string(++cursors_);
  Status s;
  try {
    db_->tx->exec("DECLARE " + cursor + " NO SCROLL CURSOR FOR " + sql);
    for (;;) {
      pqxx::result chunk = db_->tx->exec("FETCH " + std::to_string(kChunk) + " FROM " + cursor);
      s = fn(chunk);
      if (!s.ok() || chunk.size() < static_cast<size_t>(kChunk)) break;
    }
    db_->tx->exec("CLOSE " + cursor);
  } catch (...) {
    if (own) {
      db_->tx.reset();
      applied_tenant_.clear();
    }
    throw;
  }
  if (own) {
    db_->tx->commit();
    db_->tx.reset();
  }
  return s;
}

bool PostgresStore::generated_demo() const { return application_ == "OEPD"; }
bool PostgresStore::stamped() const { return true; }

Status PostgresStore::MarkGeneratedDemo() {
  if (!db_->tx) std::abort();  // programmer error: the mark belongs to a batch
  try {
    Exec("UPDATE oep_meta SET value = 'OEPD' WHERE key = 'application'");
    application_ = "OEPD";
    return Status::Ok();
  } catch (const std::exception& e) {
    return PgError(e, "cannot mark " + path_ + " as a demo store");
  }
}

Result<int> PostgresStore::SynchronousLevel() {
  try {
    return Str(Exec("SHOW synchronous_commit")[0][0]) == "off" ? 0 : 2;
  } catch (const std::exception& e) {
    return PgError(e, "cannot read the settings of " + path_);
  }
}

// Every statement outside a batch is its own transaction: nothing to release.
void PostgresStore::ReleaseReadSnapshot() {}

Status PostgresStore::BeginBatch() {
  try {
    db_->tx = std::make_unique<pqxx::work>(db_->conn);
    if (!read_only_) db_->tx->exec("SELECT pg_advisory_xact_lock(" + std::to_string(kPostgresWriteLock) + ")");
    return Status::Ok();
  } catch (const std::exception& e) {
    db_->tx.reset();
    return PgError(e, "cannot start a transaction on " + path_);
  }
}

Status PostgresStore::CommitBatch() {
  try {
    db_->tx->commit();
    db_->tx.reset();
    return Status::Ok();
  } catch (const std::exception& e) {
    db_->tx.reset();
    applied_tenant_.clear();
    return PgError(e, "cannot commit to " + path_);
  }
}

void PostgresStore::RollbackBatch() {
  if (!db_->tx) return;
  applied_tenant_.clear();  // a rolled-back transaction undoes set_config
  try {
    db_->tx->abort();
  } catch (const std::exception&) {
    // the connection already ended the transaction
  }
  db_->tx.reset();
}

Result<PutOutcome> PostgresStore::Put(const ArtifactRecord& r, int64_t ledger_entry) {
  const KindSpec& spec = *r.spec;
  std::string table(spec.table), id_col(spec.id_column);
  try {
    std::string sql = "INSERT INTO " + table + "(" + id_col + ", digest, body, source, ledger_entry";
    std::string values = "?, ?, ?, ?, ?";
    Params p = {r.id, r.digest, r.body, r.source, ledger_entry > 0 ? std::optional(std::to_string(ledger_entry)) : std::nullopt};
    for (size_t i = 0; i < spec.columns.size(); ++i) {
      sql += ", " + std::string(spec.columns[i].name);
      values += ", ?";
      p.push_back(r.columns[i]);
    }
    p.push_back(tenant_);
    sql += ", tenant) VALUES (" + values + ", ?) ON CONFLICT (tenant, " + id_col + ") DO NOTHING";
    if (Exec(sql, p).affected_rows() == 1) return PutOutcome::kInserted;
    auto q = Exec("SELECT digest, source FROM " + table + " WHERE tenant = ? AND " + id_col + " = ?", {tenant_, r.id});
    std::string stored = Str(q[0][0]);
    if (stored == r.digest) return PutOutcome::kUnchanged;
    return Status::Conflict(std::string(spec.label) + " \"" + r.id + "\" is already stored with different content (stored " +
                            stored + " from " + Str(q[0][1]) + ", this record " + r.digest + ")");
  } catch (const std::exception& e) {
    return PgError(e, "cannot store " + std::string(spec.label) + " " + r.id);
  }
}

Result<PutOutcome> PostgresStore::PutDecisionInput(const std::string& decision_id, const StoredArtifact& input,
                                                   int64_t ledger_entry) {
  try {
    auto ins = Exec(
        "INSERT INTO decision_inputs(decision_id, digest, body, source, ledger_entry, tenant) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (tenant, decision_id) DO NOTHING",
        {decision_id, input.digest, input.body, input.source, std::to_string(ledger_entry), tenant_});
    if (ins.affected_rows() == 1) return PutOutcome::kInserted;
    auto q = Exec("SELECT digest FROM decision_inputs WHERE tenant = ? AND decision_id = ?", {tenant_, decision_id});
    if (Str(q[0][0]) == input.digest) return PutOutcome::kUnchanged;
    return Status::Conflict("OPA input of decision \"" + decision_id + "\" is already stored with different content");
  } catch (const std::exception& e) {
    return PgError(e, "cannot store OPA input of " + decision_id);
  }
}

Result<PutOutcome> PostgresStore::PutDocument(const std::string& path, std::string_view bytes, int64_t ledger_entry) {
  try {
    std::string digest = crypto::Sha256Digest(bytes);
    auto ins = Exec(
        "INSERT INTO documents(path, digest, size, body, ledger_entry, tenant) VALUES (?, ?, ?, ?::bytea, ?, ?) "
        "ON CONFLICT (tenant, path) DO NOTHING",
        {path, digest, std::to_string(bytes.size()), HexBytea(bytes), std::to_string(ledger_entry), tenant_});
    if (ins.affected_rows() == 1) return PutOutcome::kInserted;
    auto q = Exec("SELECT digest FROM documents WHERE tenant = ? AND path = ?", {tenant_, path});
    if (Str(q[0][0]) == digest) return PutOutcome::kUnchanged;
    return Status::Conflict("document \"" + path + "\" is already stored with different content");
  } catch (const std::exception& e) {
    return PgError(e, "cannot store document " + path);
  }
}

Result<bool> PostgresStore::Exists(ArtifactKind kind, std::string_view id) {
  const KindSpec& spec = Spec(kind);
  try {
    return !Exec("SELECT 1 FROM " + std::string(spec.table) + " WHERE tenant = ? AND " + std::string(spec.id_column) +
                     " = ?",
                 {tenant_, std::string(id)})
                .empty();
  } catch (const std::exception& e) {
    return PgError(e, "cannot read " + std::string(spec.table));
  }
}

Result<std::optional<StoredArtifact>> PostgresStore::Get(ArtifactKind kind, std::string_view id) {
  const KindSpec& spec = Spec(kind);
  try {
    auto q = Exec("SELECT " + std::string(spec.id_column) + ", digest, body, source FROM " + std::string(spec.table) +
                      " WHERE tenant = ? AND " + std::string(spec.id_column) + " = ?",
                  {tenant_, std::string(id)});
    if (q.empty()) return std::optional<StoredArtifact>();
    return std::optional<StoredArtifact>(ReadArtifact(q[0]));
  } catch (const std::exception& e) {
    return PgError(e, "cannot read " + std::string(spec.table));
  }
}

Result<std::vector<StoredArtifact>> PostgresStore::FindBy(ArtifactKind kind, std::string_view column,
                                                          std::string_view value, int limit) {
  const KindSpec& spec = Spec(kind);
  bool known = std::any_of(spec.columns.begin(), spec.columns.end(), [&](const KeyColumn& c) { return c.name == column; });
  if (!known) std::abort();  // programmer error: callers name spec columns
  try {
    auto q = Exec("SELECT " + std::string(spec.id_column) + ", digest, body, source FROM " + std::string(spec.table) +
                      " WHERE tenant = ? AND " + std::string(column) + " = ? ORDER BY " + std::string(spec.id_column) +
                      " LIMIT ?",
                  {tenant_, std::string(value), std::to_string(limit)});
    std::vector<StoredArtifact> out;
    for (const auto& row : q) out.push_back(ReadArtifact(row));
    return out;
  } catch (const std::exception& e) {
    return PgError(e, "cannot read " + std::string(spec.table));
  }
}

Result<std::optional<StoredArtifact>> PostgresStore::GetDecisionInput(std::string_view decision_id) {
  try {
    auto q = Exec("SELECT decision_id, digest, body, source FROM decision_inputs WHERE tenant = ? AND decision_id = ?",
                  {tenant_, std::string(decision_id)});
    if (q.empty()) return std::optional<StoredArtifact>();
    return std::optional<StoredArtifact>(ReadArtifact(q[0]));
  } catch (const std::exception& e) {
    return PgError(e, "cannot read decision_inputs");
  }
}

Result<int64_t> PostgresStore::Count(ArtifactKind kind) {
  try {
    return Int(Exec("SELECT count(*) FROM " + std::string(Spec(kind).table) + " WHERE tenant = ?", {tenant_})[0][0]);
  } catch (const std::exception& e) {
    return PgError(e, "cannot count " + std::string(Spec(kind).table));
  }
}

Result<std::vector<std::string>> PostgresStore::NearestIds(ArtifactKind kind, std::string_view id, int n) {
  const KindSpec& spec = Spec(kind);
  std::string table(spec.table), col(spec.id_column);
  try {
    auto count = Count(kind);
    if (!count.ok()) return count.status();
    std::vector<std::string> candidates;
    if (*count <= store_sql::kFullScanLimit) {
      for (const auto& row : Exec("SELECT " + col + " FROM " + table + " WHERE tenant = ?", {tenant_})) {
        candidates.push_back(Str(row[0]));
      }
    } else {
      for (const char* sql : {" >= ? ORDER BY ", " < ? ORDER BY "}) {
        bool asc = sql[2] == '=';
        for (const auto& row : Exec("SELECT " + col + " FROM " + table + " WHERE tenant = ? AND " + col + sql + col +
                                        (asc ? " ASC" : " DESC") + " LIMIT 50",
                                    {tenant_, std::string(id)})) {
          candidates.push_back(Str(row[0]));
        }
      }
    }
    return store_sql::Nearest(id, std::move(candidates), n);
  } catch (const std::exception& e) {
    return PgError(e, "cannot read " + table);
  }
}

Result<std::optional<ChainHead>> PostgresStore::GetChainHead(const std::string& chain_id) {
  try {
    auto q = Exec("SELECT seq, entry_hash, kind FROM ledger WHERE chain_id = ? ORDER BY seq DESC LIMIT 1", {chain_id});
    if (q.empty()) return std::optional<ChainHead>();
    return std::optional<ChainHead>(ChainHead{Int(q[0][0]), Str(q[0][1]), Str(q[0][2])});
  } catch (const std::exception& e) {
    return PgError(e, "cannot read the ledger");
  }
}

Status PostgresStore::AppendLedgerEntry(LedgerEntry& entry) {
  try {
    std::string id = entry.entry_id > 0 ? std::to_string(entry.entry_id) : "";
    auto q = Exec(
        "INSERT INTO ledger(chain_id, seq, kind, artifact_table, artifact_id, content_hash, source, payload, prev_hash, "
        "entry_hash, entry_id, tenant) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, coalesce(?::bigint, (SELECT coalesce(max("
        "entry_id), 0) + 1 FROM ledger)), ?) RETURNING entry_id",
        {entry.chain_id, std::to_string(entry.seq), entry.kind, OrNull(entry.artifact_table), OrNull(entry.artifact_id),
         OrNull(entry.content_hash), OrNull(entry.source), OrNull(entry.payload), entry.prev_hash, entry.entry_hash,
         OrNull(id), tenant_});
    entry.entry_id = Int(q[0][0]);
    return Status::Ok();
  } catch (const std::exception& e) {
    return PgError(e, "cannot append to the ledger chain " + entry.chain_id);
  }
}

Status PostgresStore::ForEachLedgerEntry(const std::string& chain_id, const std::function<Status(LedgerEntry&)>& fn) {
  try {
    std::string sql =
        "SELECT entry_id, chain_id, seq, kind, artifact_table, artifact_id, content_hash, source, payload, prev_hash, "
        "entry_hash FROM ledger WHERE ";
    sql += chain_id.empty() ? "entry_id > ? ORDER BY entry_id LIMIT " : "chain_id = ? AND seq > ? ORDER BY seq LIMIT ";
    sql += std::to_string(kChunk);
    int64_t after = 0;
    LedgerEntry e;
    for (;;) {
      Params p;
      if (!chain_id.empty()) p.push_back(chain_id);
      p.push_back(std::to_string(after));
      auto q = Exec(sql, p);
      for (const auto& row : q) {
        e.entry_id = Int(row[0]);
        e.chain_id = Str(row[1]);
        e.seq = Int(row[2]);
        e.kind = Str(row[3]);
        e.artifact_table = Str(row[4]);
        e.artifact_id = Str(row[5]);
        e.content_hash = Str(row[6]);
        e.source = Str(row[7]);
        e.payload = Str(row[8]);
        e.prev_hash = Str(row[9]);
        e.entry_hash = Str(row[10]);
        after = chain_id.empty() ? e.entry_id : e.seq;
        OEP_RETURN_IF_ERROR(fn(e));
      }
      if (q.size() < static_cast<size_t>(kChunk)) return Status::Ok();
    }
  } catch (const std::exception& e) {
    return PgError(e, "cannot read the ledger");
  }
}

Result<int64_t> PostgresStore::NextLedgerEntryId() {
  try {
    return Int(Exec("SELECT coalesce(max(entry_id), 0) + 1 FROM ledger")[0][0]);
  } catch (const std::exception& e) {
    return PgError(e, "cannot read the ledger");
  }
}

Result<int64_t> PostgresStore::LedgerEntryCount(std::optional<int64_t> before_entry_id) {
  try {
    if (before_entry_id) {
      return Int(Exec("SELECT count(*) FROM ledger WHERE entry_id < ?", {std::to_string(*before_entry_id)})[0][0]);
    }
    return Int(Exec("SELECT count(*) FROM ledger")[0][0]);
  } catch (const std::exception& e) {
    return PgError(e, "cannot read the ledger");
  }
}

namespace {

// The ledger columns (entry_id, chain_id, seq, kind, artifact_table, artifact_id,
// content_hash, source) of a covered-row scan, from column `first` on.
void ReadCoveringEntry(const pqxx::row& row, int first, Store::CoveredRow* r) {
  r->has_entry = !row[first].is_null();
  r->entry.entry_id = Int(row[first]);
  r->entry.chain_id = Str(row[first + 1]);
  r->entry.seq = Int(row[first + 2]);
  r->entry.kind = Str(row[first + 3]);
  r->entry.artifact_table = Str(row[first + 4]);
  r->entry.artifact_id = Str(row[first + 5]);
  r->entry.content_hash = Str(row[first + 6]);
  r->entry.source = Str(row[first + 7]);
}

}  // namespace

Status PostgresStore::ForEachCoveredRow(const std::function<Status(CoveredRow&)>& fn,
                                        const std::function<bool(std::string_view table)>& include) {
  AllTenants every_tenant(this);  // the operator's view (see Store::ScopeToTenant)
  std::vector<std::pair<std::string, std::string>> tables;  // table, select list
  for (const auto& spec : AllKinds()) {
    tables.emplace_back(spec.table, "t." + std::string(spec.id_column) + ", t.digest, t.body, t.source");
  }
  tables.emplace_back("decision_inputs", "t.decision_id, t.digest, t.body, t.source");
  tables.emplace_back("documents", "t.path, t.digest, t.body, ''");
  tables.emplace_back("runs", "t.run_id, t.digest, t.body, t.source");
  tables.emplace_back("audit_log", "t.audit_id, t.digest, t.body, t.source");
  tables.emplace_back("policies", "t.project || '/' || t.version, t.digest, t.body, t.source");
  try {
    for (const auto& [table, columns] : tables) {
      if (include && !include(table)) continue;
      bool blob = table == "documents" || table == "policies";
      CoveredRow r;
      Status streamed = Stream("SELECT " + columns +
                                     ", l.entry_id, l.chain_id, l.seq, l.kind, l.artifact_table, l.artifact_id, "
                                     "l.content_hash, l.source FROM " + table +
                                     " t LEFT JOIN ledger l ON l.entry_id = t.ledger_entry",
                                 [&](const pqxx::result& q) -> Status {
        for (const auto& row : q) {
          r.table = table;
          r.row.id = Str(row[0]);
          r.row.digest = Str(row[1]);
          r.row.body = blob ? Bytes(row[2]) : Str(row[2]);
          r.row.source = Str(row[3]);
          ReadCoveringEntry(row, 4, &r);
          OEP_RETURN_IF_ERROR(fn(r));
        }
        return Status::Ok();
                                 });
      OEP_RETURN_IF_ERROR(streamed);
      if (format_ < 7 || FindRetentionTable(table) == nullptr) continue;
      streamed = Stream("SELECT t.artifact_id, t.content_hash, l.entry_id, l.chain_id, l.seq, l.kind, l.artifact_table, "
                        "l.artifact_id, l.content_hash, l.source FROM tombstones t LEFT JOIN ledger l ON l.entry_id = "
                        "t.ledger_entry WHERE t.artifact_table = '" + table + "' ORDER BY t.tenant, t.artifact_id",
                        [&](const pqxx::result& q) -> Status {
        for (const auto& row : q) {
          r = CoveredRow{};
          r.table = table;
          r.tombstoned = true;
          r.row.id = Str(row[0]);
          r.row.digest = "sha256:" + Str(row[1]);
          ReadCoveringEntry(row, 2, &r);
          r.row.source = r.entry.source;
          OEP_RETURN_IF_ERROR(fn(r));
        }
        return Status::Ok();
                        });
      OEP_RETURN_IF_ERROR(streamed);
    }
    return Status::Ok();
  } catch (const std::exception& e) {
    return PgError(e, "cannot read the evidence tables");
  }
}

Result<std::optional<LedgerEntry>> PostgresStore::GetLedgerEntry(int64_t entry_id) {
  try {
    auto q = Exec("SELECT chain_id, seq, kind, artifact_table, artifact_id FROM ledger WHERE entry_id = ?",
                  {std::to_string(entry_id)});
    if (q.empty()) return std::optional<LedgerEntry>();
    LedgerEntry e;
    e.entry_id = entry_id;
    e.chain_id = Str(q[0][0]);
    e.seq = Int(q[0][1]);
    e.kind = Str(q[0][2]);
    e.artifact_table = Str(q[0][3]);
    e.artifact_id = Str(q[0][4]);
    return std::optional<LedgerEntry>(e);
  } catch (const std::exception& e) {
    return PgError(e, "cannot read the ledger");
  }
}

std::vector<StoredArtifact> PostgresStore::ArtifactRows(const std::string& sql, const std::vector<std::string>& args) {
  std::vector<StoredArtifact> out;
  for (const auto& row : Exec(sql, ToParams(args))) out.push_back(ReadArtifact(row));
  return out;
}

Result<std::vector<StoredArtifact>> PostgresStore::DecisionBatch(const DecisionFilter& f, const std::string& after_id,
                                                                 int limit) {
  try {
    std::vector<std::string> args = {tenant_, after_id};
    std::string sql = "SELECT decision_id, digest, body, source FROM decisions WHERE tenant = ? AND decision_id > ?" +
                      store_sql::DecisionFilter(f, &args) + " ORDER BY decision_id LIMIT ?";
    args.push_back(std::to_string(limit));
    return ArtifactRows(sql, args);
  } catch (const std::exception& e) {
    return PgError(e, "cannot read decisions");
  }
}

Result<std::vector<StoredArtifact>> PostgresStore::RecentDecisions(const DecisionFilter& f,
                                                                   const std::optional<DecisionCursor>& before, int limit) {
  try {
    std::vector<std::string> args = {tenant_};
    if (before) {
      args.push_back(before->decision_time);
      args.push_back(before->decision_id);
    }
    std::string sql = "SELECT decision_id, digest, body, source FROM decisions WHERE tenant = ? AND " +
                      std::string(before ? "(decision_time, decision_id) < (?, ?)" : "true") +
                      store_sql::DecisionFilter(f, &args) + " ORDER BY decision_time DESC, decision_id DESC LIMIT ?";
    args.push_back(std::to_string(limit));
    return ArtifactRows(sql, args);
  } catch (const std::exception& e) {
    return PgError(e, "cannot read decisions");
  }
}

Result<std::map<std::string, std::string>> PostgresStore::DecisionInputs(const std::vector<std::string>& ids) {
  std::map<std::string, std::string> out;
  if (ids.empty()) return out;
  try {
    std::string sql = "SELECT decision_id, body FROM decision_inputs WHERE tenant = ? AND decision_id IN (?";
    for (size_t i = 1; i < ids.size(); ++i) sql += ",?";
    Params p = {tenant_};
    for (const auto& id : ids) p.push_back(id);
    for (const auto& row : Exec(sql + ")", p)) out[Str(row[0])] = Str(row[1]);
    return out;
  } catch (const std::exception& e) {
    return PgError(e, "cannot read decision_inputs");
  }
}

Status PostgresStore::ForEach(ArtifactKind kind, const std::function<Status(const StoredArtifact&)>& fn) {
  const KindSpec& spec = Spec(kind);
  std::string id_col(spec.id_column);
  try {
    std::string after;
    bool first = true;
    for (;;) {
      auto q = Exec("SELECT " + id_col + ", digest, body, source FROM " + std::string(spec.table) + " WHERE tenant = ?" +
                        (first ? " AND ? = ''" : " AND " + id_col + " > ?") + " ORDER BY " + id_col + " LIMIT " +
                        std::to_string(kChunk),
                    {tenant_, after});
      first = false;
      for (const auto& row : q) {
        StoredArtifact a = ReadArtifact(row);
        after = a.id;
        OEP_RETURN_IF_ERROR(fn(a));
      }
      if (q.size() < static_cast<size_t>(kChunk)) return Status::Ok();
    }
  } catch (const std::exception& e) {
    return PgError(e, "cannot read " + std::string(spec.table));
  }
}

Result<std::vector<std::string>> PostgresStore::RowsWithStaleColumns(ArtifactKind kind, int limit) {
  AllTenants every_tenant(this);  // the operator's view (see Store::ScopeToTenant)
  const KindSpec& spec = Spec(kind);
  std::vector<std::string> out;
  if (spec.columns.empty()) return out;
  // Text on both sides, booleans as the 0/1 the columns hold.
  std::string differs;
  for (const auto& col : spec.columns) {
    std::string path(col.json_path);
    std::replace(path.begin(), path.end(), '.', ',');
    std::string value = "(body::jsonb #>> '{" + path + "}')";
    if (col.type == ColumnType::kBool) {
      value = "CASE " + value + " WHEN 'true' THEN '1' WHEN 'false' THEN '0' ELSE " + value + " END";
    }
    differs += std::string(differs.empty() ? "" : " OR ") + "CAST(" + std::string(col.name) +
               " AS TEXT) IS DISTINCT FROM " + value;
  }
  try {
    for (const auto& row : Exec("SELECT " + std::string(spec.id_column) + " FROM " + std::string(spec.table) +
                                    " WHERE " + differs + " ORDER BY " + std::string(spec.id_column) + " LIMIT ?",
                                {std::to_string(limit)})) {
      out.push_back(Str(row[0]));
    }
    return out;
  } catch (const std::exception& e) {
    return PgError(e, "cannot read " + std::string(spec.table));
  }
}

Status PostgresStore::Dump(const std::function<void(std::string_view line)>& sink) {
  AllTenants every_tenant(this);  // the operator's view (see Store::ScopeToTenant)
  std::vector<std::pair<std::string, std::string>> tables;  // table, primary key
  for (const auto& spec : AllKinds()) tables.emplace_back(spec.table, "tenant, " + std::string(spec.id_column));
  tables.emplace_back("decision_inputs", "tenant, decision_id");
  tables.emplace_back("documents", "tenant, path");
  for (const auto& [t, key] : std::vector<std::pair<const char*, const char*>>{
           {"tenants", "name"}, {"api_keys", "key_id"}, {"api_key_revocations", "key_id"},
           {"runs", "tenant, run_id"}, {"run_tags", "tenant, run_id, tag"}, {"run_steps", "tenant, run_id, step"},
           {"audit_log", "tenant, audit_id"}, {"policies", "tenant, project, version"}}) {
    tables.emplace_back(t, key);
  }
  if (format_ >= 7) {
    tables.emplace_back("tombstones", "tenant, artifact_table, artifact_id");
    tables.emplace_back("retention_open", "retention_id");
  }
  tables.emplace_back("ledger", "entry_id");
  constexpr unsigned kInt8 = 20, kInt4 = 23, kBytea = 17;
  try {
    auto version = Exec("SELECT value FROM oep_meta WHERE key = 'store_format'");
    sink("{\"store_format\":" + Str(version[0][0]) + "}");
    for (const auto& [table, pk] : tables) {
      Status streamed = Stream("SELECT * FROM " + table + " ORDER BY " + pk, [&](const pqxx::result& q) -> Status {
        for (const auto& r : q) {
          rapidjson::Document row(rapidjson::kObjectType);
          auto& a = row.GetAllocator();
          row.AddMember("table", rapidjson::Value(table.c_str(), a), a);
          for (pqxx::row::size_type i = 0; i < r.size(); ++i) {
            rapidjson::Value name(q.column_name(i), a), value;
            unsigned type = q.column_type(i);
            if (r[i].is_null()) value.SetNull();
            else if (type == kInt8 || type == kInt4) value.SetInt64(Int(r[i]));
            else if (type == kBytea) value.SetString(("sha256:" + crypto::Sha256Hex(Bytes(r[i]))).c_str(), a);
            else value.SetString(r[i].c_str(), static_cast<rapidjson::SizeType>(r[i].size()), a);
            row.AddMember(name, value, a);
          }
          sink(json::CanonicalText(row));
        }
        return Status::Ok();
      });
      OEP_RETURN_IF_ERROR(streamed);
    }
    return Status::Ok();
  } catch (const std::exception& e) {
    return PgError(e, "cannot dump " + path_);
  }
}

// --- tenancy, keys, audit log, policies ------------------------------------------------

Result<PutOutcome> PostgresStore::PutTenant(const std::string& name, const std::string& created_at) {
  try {
    auto r = Exec("INSERT INTO tenants(name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING", {name, created_at});
    return r.affected_rows() == 1 ? PutOutcome::kInserted : PutOutcome::kUnchanged;
  } catch (const std::exception& e) {
    return PgError(e, "cannot create tenant " + name);
  }
}

Result<bool> PostgresStore::TenantExists(const std::string& name) {
  if (name == kDefaultTenant) return true;  // the default tenant always exists
  try {
    return !Exec("SELECT 1 FROM tenants WHERE name = ?", {name}).empty();
  } catch (const std::exception& e) {
    return PgError(e, "cannot read tenants");
  }
}

Status PostgresStore::PutApiKey(const ApiKeyRecord& k) {
  try {
    Exec("INSERT INTO api_keys(key_id, tenant, role, key_hash, created_at, label) VALUES (?, ?, ?, ?, ?, ?)",
         {k.key_id, k.tenant, k.role, k.key_hash, k.created_at, k.label});
    return Status::Ok();
  } catch (const std::exception& e) {
    return PgError(e, "cannot store API key " + k.key_id);
  }
}

Result<PutOutcome> PostgresStore::RevokeApiKey(const std::string& key_id, const std::string& revoked_at) {
  try {
    if (Exec("SELECT 1 FROM api_keys WHERE key_id = ?", {key_id}).empty()) {
      return Status::NotFound("no API key \"" + key_id + "\" in " + path_);
    }
    auto r = Exec("INSERT INTO api_key_revocations(key_id, revoked_at) VALUES (?, ?) ON CONFLICT (key_id) DO NOTHING",
                  {key_id, revoked_at});
    return r.affected_rows() == 1 ? PutOutcome::kInserted : PutOutcome::kUnchanged;
  } catch (const std::exception& e) {
    return PgError(e, "cannot revoke API key " + key_id);
  }
}

namespace {

ApiKeyRecord ReadKey(const pqxx::row& q) {
  return {Str(q[0]), Str(q[1]), Str(q[2]), Str(q[3]), Str(q[4]), Str(q[5]), Str(q[6])};
}

}  // namespace

Result<std::optional<ApiKeyRecord>> PostgresStore::FindApiKeyByHash(const std::string& key_hash) {
  try {
    auto q = Exec(std::string(store_sql::kKeyColumns) + "WHERE k.key_hash = ?", {key_hash});
    if (q.empty()) return std::optional<ApiKeyRecord>();
    return std::optional<ApiKeyRecord>(ReadKey(q[0]));
  } catch (const std::exception& e) {
    return PgError(e, "cannot read API keys");
  }
}

Result<std::vector<ApiKeyRecord>> PostgresStore::ListApiKeys(const std::string& tenant) {
  try {
    std::vector<ApiKeyRecord> out;
    for (const auto& row :
         Exec(std::string(store_sql::kKeyColumns) + "WHERE ? = '' OR k.tenant = ? ORDER BY k.tenant, k.key_id", {tenant, tenant})) {
      out.push_back(ReadKey(row));
    }
    return out;
  } catch (const std::exception& e) {
    return PgError(e, "cannot read API keys");
  }
}

Status PostgresStore::PutAuditRecord(const AuditRecord& r, int64_t ledger_entry) {
  try {
    Exec("INSERT INTO audit_log(tenant, audit_id, at, digest, body, source, ledger_entry) VALUES (?, ?, ?, ?, ?, ?, ?)",
         {tenant_, r.audit_id, r.at, r.digest, r.body, r.source, std::to_string(ledger_entry)});
    return Status::Ok();
  } catch (const std::exception& e) {
    return PgError(e, "cannot append to the audit log");
  }
}

Result<std::vector<AuditRecord>> PostgresStore::AuditRecords(const std::string& after_id, int limit) {
  try {
    std::vector<AuditRecord> out;
    for (const auto& q : Exec("SELECT audit_id, at, body, digest, source FROM audit_log WHERE tenant = ? AND audit_id > ? "
                              "ORDER BY audit_id LIMIT ?",
                              {tenant_, after_id, std::to_string(limit)})) {
      out.push_back({Str(q[0]), Str(q[1]), Str(q[2]), Str(q[3]), Str(q[4])});
    }
    return out;
  } catch (const std::exception& e) {
    return PgError(e, "cannot read the audit log");
  }
}

Result<int64_t> PostgresStore::LatestPolicyVersion(const std::string& project) {
  try {
    return Int(Exec("SELECT coalesce(max(version), 0) FROM policies WHERE tenant = ? AND project = ?", {tenant_, project})[0][0]);
  } catch (const std::exception& e) {
    return PgError(e, "cannot read policies");
  }
}

Status PostgresStore::PutPolicyVersion(const PolicyVersion& p, const std::string& source, int64_t ledger_entry) {
  try {
    Exec("INSERT INTO policies(tenant, project, version, digest, size, body, uploaded_by, created_at, source, "
         "ledger_entry) VALUES (?, ?, ?, ?, ?, ?::bytea, ?, ?, ?, ?)",
         {tenant_, p.project, std::to_string(p.version), p.digest, std::to_string(p.body.size()), HexBytea(p.body),
          p.uploaded_by, p.created_at, source, std::to_string(ledger_entry)});
    return Status::Ok();
  } catch (const std::exception& e) {
    return PgError(e, "cannot store policy " + p.project + " version " + std::to_string(p.version));
  }
}

namespace {

PolicyVersion ReadPolicy(const pqxx::row& q, bool with_body) {
  PolicyVersion p;
  p.project = Str(q[0]);
  p.version = Int(q[1]);
  p.digest = Str(q[2]);
  p.size = Int(q[3]);
  p.uploaded_by = Str(q[4]);
  p.created_at = Str(q[5]);
  if (with_body) p.body = Bytes(q[6]);
  return p;
}

}  // namespace

Result<std::optional<PolicyVersion>> PostgresStore::GetPolicyVersion(const std::string& project, int64_t version) {
  try {
    auto q = Exec("SELECT project, version, digest, size, uploaded_by, created_at, body FROM policies WHERE tenant = ? "
                  "AND project = ? AND version = ?",
                  {tenant_, project, std::to_string(version)});
    if (q.empty()) return std::optional<PolicyVersion>();
    return std::optional<PolicyVersion>(ReadPolicy(q[0], true));
  } catch (const std::exception& e) {
    return PgError(e, "cannot read policies");
  }
}

Result<std::vector<PolicyVersion>> PostgresStore::PolicyVersions(const std::string& project) {
  try {
    std::vector<PolicyVersion> out;
    for (const auto& row : Exec("SELECT project, version, digest, size, uploaded_by, created_at FROM policies WHERE "
                                "tenant = ? AND (? = '' OR project = ?) ORDER BY project, version",
                                {tenant_, project, project})) {
      out.push_back(ReadPolicy(row, false));
    }
    return out;
  } catch (const std::exception& e) {
    return PgError(e, "cannot read policies");
  }
}

// --- runs --------------------------------------------------------------------------------

namespace {

constexpr const char* kRunColumns =
    "SELECT r.run_id, r.chain_id, r.created_at, coalesce(r.release_manifest_id, ''), coalesce(r.model, ''), "
    "coalesce(r.agent, ''), r.digest, r.body, r.source, "
    "(SELECT count(*) FROM run_steps s WHERE s.tenant = r.tenant AND s.run_id = r.run_id), "
    "(SELECT l.payload FROM ledger l WHERE l.chain_id = r.chain_id AND l.kind = 'seal' LIMIT 1), "
    "(SELECT string_agg(tag, E'\\n' ORDER BY tag) FROM run_tags t WHERE t.tenant = r.tenant AND t.run_id = r.run_id) "
    "FROM runs r ";

RunSummary ReadRun(const pqxx::row& q) {
  RunSummary s;
  RunRecord& r = s.run;
  r.run_id = Str(q[0]);
  r.chain_id = Str(q[1]);
  r.created_at = Str(q[2]);
  r.release_manifest_id = Str(q[3]);
  r.model = Str(q[4]);
  r.agent = Str(q[5]);
  r.digest = Str(q[6]);
  r.body = Str(q[7]);
  r.source = Str(q[8]);
  s.steps = Int(q[9]);
  s.finished = !q[10].is_null();
  s.seal_payload = Str(q[10]);
  r.tags = store_sql::SplitLines(Str(q[11]));
  return s;
}

}  // namespace

Result<PutOutcome> PostgresStore::PutRun(const RunRecord& r, int64_t ledger_entry) {
  try {
    auto ins = Exec(
        "INSERT INTO runs(tenant, run_id, chain_id, created_at, release_manifest_id, model, agent, digest, body, source, "
        "ledger_entry) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, run_id) DO NOTHING",
        {tenant_, r.run_id, r.chain_id, r.created_at, OrNull(r.release_manifest_id), OrNull(r.model), OrNull(r.agent),
         r.digest, r.body, r.source, std::to_string(ledger_entry)});
    if (ins.affected_rows() == 0) {
      auto q = Exec("SELECT digest FROM runs WHERE tenant = ? AND run_id = ?", {tenant_, r.run_id});
      std::string stored = Str(q[0][0]);
      if (stored == r.digest) return PutOutcome::kUnchanged;
      return Status::Conflict("run \"" + r.run_id + "\" already exists with other content (stored " + stored +
                              ", this request " + r.digest + ")");
    }
    for (const auto& tag : r.tags) {
      Exec("INSERT INTO run_tags(tenant, run_id, tag) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", {tenant_, r.run_id, tag});
    }
    return PutOutcome::kInserted;
  } catch (const std::exception& e) {
    return PgError(e, "cannot store run " + r.run_id);
  }
}

Result<std::optional<RunSummary>> PostgresStore::GetRun(const std::string& run_id) {
  try {
    auto q = Exec(std::string(kRunColumns) + "WHERE r.tenant = ? AND r.run_id = ?", {tenant_, run_id});
    if (q.empty()) return std::optional<RunSummary>();
    return std::optional<RunSummary>(ReadRun(q[0]));
  } catch (const std::exception& e) {
    return PgError(e, "cannot read run " + run_id);
  }
}

Result<std::vector<RunSummary>> PostgresStore::ListRuns(const RunFilter& f, const std::optional<RunCursor>& after,
                                                        int limit) {
  std::string sql = std::string(kRunColumns) + "WHERE r.tenant = ?";
  std::vector<std::string> args = {tenant_};
  sql += store_sql::RunFilter(f, after, &args);
  args.push_back(std::to_string(limit));
  try {
    std::vector<RunSummary> out;
    for (const auto& row : Exec(sql, ToParams(args))) out.push_back(ReadRun(row));
    return out;
  } catch (const std::exception& e) {
    return PgError(e, "cannot list runs");
  }
}

Status PostgresStore::PutRunStep(const std::string& run_id, const RunStep& step) {
  try {
    Exec("INSERT INTO run_steps(tenant, run_id, step, event_id, digest) VALUES (?, ?, ?, ?, ?)",
         {tenant_, run_id, std::to_string(step.step), step.event_id, step.digest});
    return Status::Ok();
  } catch (const std::exception& e) {
    return PgError(e, "cannot store step " + std::to_string(step.step) + " of run " + run_id);
  }
}

Result<std::optional<RunStep>> PostgresStore::GetRunStep(const std::string& run_id, int64_t step) {
  try {
    auto q = Exec("SELECT step, event_id, digest FROM run_steps WHERE tenant = ? AND run_id = ? AND step = ?",
                  {tenant_, run_id, std::to_string(step)});
    if (q.empty()) return std::optional<RunStep>();
    return std::optional<RunStep>(RunStep{Int(q[0][0]), Str(q[0][1]), Str(q[0][2]), ""});
  } catch (const std::exception& e) {
    return PgError(e, "cannot read the steps of run " + run_id);
  }
}

Result<int64_t> PostgresStore::LastRunStep(const std::string& run_id) {
  try {
    return Int(Exec("SELECT coalesce(max(step), 0) FROM run_steps WHERE tenant = ? AND run_id = ?", {tenant_, run_id})[0][0]);
  } catch (const std::exception& e) {
    return PgError(e, "cannot read the steps of run " + run_id);
  }
}

Result<std::vector<RunStep>> PostgresStore::RunSteps(const std::string& run_id, int64_t after_step, int limit) {
  try {
    std::vector<RunStep> out;
    for (const auto& q : Exec(store_sql::RunStepsWithTombstones(format_ >= 7),
                              {tenant_, run_id, std::to_string(after_step), std::to_string(limit)})) {
      out.push_back({Int(q[0]), Str(q[1]), Str(q[2]), Str(q[3]), Int(q[4]) == 1});
    }
    return out;
  } catch (const std::exception& e) {
    return PgError(e, "cannot read the steps of run " + run_id);
  }
}

Result<std::map<std::string, Store::RunFigures>> PostgresStore::RunFiguresOf(const std::vector<std::string>& run_ids) {
  std::map<std::string, RunFigures> out;
  if (run_ids.empty()) return out;
  auto budget = [](std::string_view member) {
    std::string path = "e.body::jsonb #> '{budget," + std::string(member) + "}'";
    return "CASE WHEN jsonb_typeof(" + path + ") = 'number' THEN (" + path + ")::text::float8 END";
  };
  std::vector<std::string> args = {tenant_};
  args.insert(args.end(), run_ids.begin(), run_ids.end());
  try {
    std::vector<std::string> mixed = {tenant_};
    for (const auto& row : Exec(store_sql::RunFigures(run_ids.size(), budget), ToParams(args))) {
      RunFigures& f = out[Str(row[0])];
      f.tool_calls = Int(row[1]);
      f.denials = Int(row[2]);
      if (!row[3].is_null()) f.step_cost_usd = row[3].as<double>();
      if (!row[4].is_null()) f.run_cost_usd = row[4].as<double>();
      if (Int(row[7]) == 1) {
        store_sql::AddEventTime(Str(row[5]), &f);
        store_sql::AddEventTime(Str(row[6]), &f);
      } else {
        mixed.push_back(Str(row[0]));
      }
    }
    if (mixed.size() > 1) {
      for (const auto& row : Exec(store_sql::RunEventTimes(mixed.size() - 1), ToParams(mixed))) {
        store_sql::AddEventTime(Str(row[1]), &out[Str(row[0])]);
      }
    }
    for (const auto& row : Exec(store_sql::RunViolations(run_ids.size()), ToParams(args))) {
      out[Str(row[0])].violations = Int(row[1]);
    }
    return out;
  } catch (const std::exception& e) {
    return PgError(e, "cannot read the figures of runs");
  }
}

Result<std::vector<Store::RunListing>> PostgresStore::RecentRuns(const RunListFilter& f, int limit) {
  std::vector<std::string> args;
  auto tenant = [&](std::string_view alias) {
    args.push_back(tenant_);
    return std::string(alias) + ".tenant = ? AND ";
  };
  std::string sql = store_sql::RecentRuns(f, true, tenant, &args);
  args.push_back(std::to_string(limit));
  try {
    std::vector<RunListing> out;
    for (const auto& q : Exec(sql, ToParams(args))) {
      RunListing r;
      r.run_id = Str(q[0]);
      r.started_at = Str(q[1]);
      r.status = Str(q[2]);
      r.release_manifest_id = Str(q[3]);
      r.decisions = Int(q[4]);
      r.denied = Int(q[5]);
      out.push_back(std::move(r));
    }
    return out;
  } catch (const std::exception& e) {
    return PgError(e, "cannot list runs");
  }
}

// --- retention (format 7) ----------------------------------------------------------------

namespace {

const RetentionTable& RetentionTableOrDie(std::string_view table) {
  const RetentionTable* t = FindRetentionTable(table);
  if (t == nullptr) std::abort();  // programmer error: callers name RetentionTables
  return *t;
}

Tombstone ReadTombstone(const pqxx::row& r) {
  return {Str(r[0]), Str(r[1]), Str(r[2]), Int(r[3]), Str(r[4]), Str(r[5])};
}

}  // namespace

Status PostgresStore::ForEachRowTime(std::string_view table,
                                     const std::function<Status(const std::string&, const std::string&)>& fn) {
  const RetentionTable& t = RetentionTableOrDie(table);
  if (t.time_column.empty()) std::abort();  // programmer error: the table has no time column
  try {
    for (const auto& row : Exec(store_sql::RowTimes(t), {tenant_})) OEP_RETURN_IF_ERROR(fn(Str(row[0]), Str(row[1])));
    return Status::Ok();
  } catch (const std::exception& e) {
    return PgError(e, "cannot read " + std::string(table));
  }
}

Status PostgresStore::BeginRetention(const std::string& retention_id) {
  if (!db_->tx) std::abort();  // programmer error: retention belongs to a batch
  if (format_ < 7) return Status::InvalidArgument(path_ + ": store format " + std::to_string(format_) + " has no tombstones");
  try {
    Exec("INSERT INTO retention_open(retention_id) VALUES (?)", {retention_id});
    return Status::Ok();
  } catch (const std::exception& e) {
    return PgError(e, "cannot open retention run " + retention_id);
  }
}

Status PostgresStore::EndRetention(const std::string& retention_id) {
  try {
    Exec("DELETE FROM retention_open WHERE retention_id = ?", {retention_id});
    return Status::Ok();
  } catch (const std::exception& e) {
    return PgError(e, "cannot close retention run " + retention_id);
  }
}

Result<Tombstone> PostgresStore::TombstoneRow(std::string_view table, const std::string& id,
                                              const std::string& retention_id, const std::string& deleted_at) {
  const RetentionTable& t = RetentionTableOrDie(table);
  try {
    if (Exec(store_sql::InsertTombstone(t), {deleted_at, retention_id, tenant_, id}).affected_rows() != 1) {
      return Status::NotFound("no " + std::string(table) + " row \"" + id + "\" to delete");
    }
    Exec(store_sql::DeleteTombstoned(t), {tenant_, id});
  } catch (const std::exception& e) {
    return PgError(e, "cannot delete " + std::string(table) + " row " + id);
  }
  auto stone = GetTombstone(table, id);
  if (!stone.ok()) return stone.status();
  return **stone;
}

Result<std::optional<Tombstone>> PostgresStore::GetTombstone(std::string_view table, const std::string& id) {
  if (format_ < 7) return std::optional<Tombstone>();
  try {
    auto q = Exec(store_sql::TombstoneRows(true, true), {tenant_, std::string(table), id});
    if (q.empty()) return std::optional<Tombstone>();
    return std::optional<Tombstone>(ReadTombstone(q[0]));
  } catch (const std::exception& e) {
    return PgError(e, "cannot read tombstones");
  }
}

Status PostgresStore::ForEachTombstone(std::string_view table, const std::function<Status(const Tombstone&)>& fn) {
  if (format_ < 7) return Status::Ok();
  try {
    Params p = {tenant_};
    if (!table.empty()) p.push_back(std::string(table));
    for (const auto& row : Exec(store_sql::TombstoneRows(!table.empty()), p)) OEP_RETURN_IF_ERROR(fn(ReadTombstone(row)));
    return Status::Ok();
  } catch (const std::exception& e) {
    return PgError(e, "cannot read tombstones");
  }
}

Result<bool> PostgresStore::ReclaimDeleted() { return true; }

Result<int64_t> PostgresStore::OpenRetentionCount() {
  if (format_ < 7) return int64_t{0};
  try {
    return Int(Exec("SELECT count(*) FROM retention_open")[0][0]);
  } catch (const std::exception& e) {
    return PgError(e, "cannot read retention_open");
  }
}

}  // namespace oep
