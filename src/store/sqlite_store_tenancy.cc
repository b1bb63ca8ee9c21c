// The store's format-3 tables: tenants, API keys (hashes only), the audit log and policy
// versions; the runs tables are in store_runs.cc.
#include <cstdio>

#include "store/sqlite_store.h"
#include "store/sqlite_store_internal.h"
#include "store/store_sql.h"

namespace oep {

std::string TenancyTablesDdl() {
  std::string ddl =
      "CREATE TABLE IF NOT EXISTS tenants (\n  name TEXT PRIMARY KEY,\n  created_at TEXT NOT NULL\n);\n"
      "CREATE TABLE IF NOT EXISTS api_keys (\n  key_id TEXT PRIMARY KEY,\n  tenant TEXT NOT NULL,\n"
      "  role TEXT NOT NULL,\n  key_hash TEXT NOT NULL UNIQUE,\n  created_at TEXT NOT NULL,\n  label TEXT NOT NULL\n);\n"
      "CREATE TABLE IF NOT EXISTS api_key_revocations (\n  key_id TEXT PRIMARY KEY REFERENCES api_keys(key_id),\n"
      "  revoked_at TEXT NOT NULL\n);\n"
      "CREATE TABLE IF NOT EXISTS runs (\n  tenant TEXT NOT NULL,\n  run_id TEXT NOT NULL,\n  chain_id TEXT NOT NULL,\n"
      "  created_at TEXT NOT NULL,\n  release_manifest_id TEXT,\n  model TEXT,\n  agent TEXT,\n"
      "  digest TEXT NOT NULL,\n  body TEXT NOT NULL,\n  source TEXT NOT NULL,\n  ledger_entry INTEGER,\n"
      "  PRIMARY KEY (tenant, run_id)\n);\n"
      "CREATE INDEX IF NOT EXISTS runs_created ON runs(tenant, created_at, run_id);\n"
      "CREATE INDEX IF NOT EXISTS runs_chain ON runs(chain_id);\n"
      "CREATE TABLE IF NOT EXISTS run_tags (\n  tenant TEXT NOT NULL,\n  run_id TEXT NOT NULL,\n  tag TEXT NOT NULL,\n"
      "  PRIMARY KEY (tenant, run_id, tag),\n  FOREIGN KEY (tenant, run_id) REFERENCES runs(tenant, run_id)\n);\n"
      "CREATE INDEX IF NOT EXISTS run_tags_tag ON run_tags(tenant, tag);\n"
      "CREATE TABLE IF NOT EXISTS run_steps (\n  tenant TEXT NOT NULL,\n  run_id TEXT NOT NULL,\n  step INTEGER NOT NULL,\n"
      "  event_id TEXT NOT NULL,\n  digest TEXT NOT NULL,\n  PRIMARY KEY (tenant, run_id, step),\n"
      "  FOREIGN KEY (tenant, run_id) REFERENCES runs(tenant, run_id)\n);\n"
      "CREATE TABLE IF NOT EXISTS audit_log (\n  tenant TEXT NOT NULL,\n  audit_id TEXT NOT NULL,\n  at TEXT NOT NULL,\n"
      "  digest TEXT NOT NULL,\n  body TEXT NOT NULL,\n  source TEXT NOT NULL,\n  ledger_entry INTEGER,\n"
      "  PRIMARY KEY (tenant, audit_id)\n);\n"
      "CREATE TABLE IF NOT EXISTS policies (\n  tenant TEXT NOT NULL,\n  project TEXT NOT NULL,\n  version INTEGER NOT NULL,\n"
      "  digest TEXT NOT NULL,\n  size INTEGER NOT NULL,\n  body BLOB NOT NULL,\n  uploaded_by TEXT NOT NULL,\n"
      "  created_at TEXT NOT NULL,\n  source TEXT NOT NULL,\n  ledger_entry INTEGER,\n"
      "  PRIMARY KEY (tenant, project, version)\n);\n";
  for (const char* table : {"tenants", "api_keys", "api_key_revocations", "runs", "run_tags", "run_steps", "audit_log",
                            "policies"}) {
    ddl += AppendOnlyTriggers(table);
  }
  return ddl;
}

Result<PutOutcome> SqliteStore::PutTenant(const std::string& name, const std::string& created_at) {
  try {
    auto& ins = stmts_->Get("INSERT OR IGNORE INTO tenants(name, created_at) VALUES (?, ?) ON CONFLICT(name) DO NOTHING");
    ins.bind(1, name);
    ins.bind(2, created_at);
    return ins.exec() == 1 ? PutOutcome::kInserted : PutOutcome::kUnchanged;
  } catch (const std::exception& e) {
    return FromException(e, "cannot create tenant " + name);
  }
}

Result<bool> SqliteStore::TenantExists(const std::string& name) {
  if (version_ < 3 || name == kDefaultTenant) return name == kDefaultTenant;  // the default tenant always exists
  try {
    auto& q = stmts_->Get("SELECT 1 FROM tenants WHERE name = ?");
    q.bind(1, name);
    return q.executeStep();
  } catch (const std::exception& e) {
    return FromException(e, "cannot read tenants");
  }
}

Status SqliteStore::PutApiKey(const ApiKeyRecord& k) {
  try {
    auto& ins = stmts_->Get(
        "INSERT INTO api_keys(key_id, tenant, role, key_hash, created_at, label) VALUES (?, ?, ?, ?, ?, ?)");
    ins.bind(1, k.key_id);
    ins.bind(2, k.tenant);
    ins.bind(3, k.role);
    ins.bind(4, k.key_hash);
    ins.bind(5, k.created_at);
    ins.bind(6, k.label);
    ins.exec();
    return Status::Ok();
  } catch (const std::exception& e) {
    return FromException(e, "cannot store API key " + k.key_id);
  }
}

Result<PutOutcome> SqliteStore::RevokeApiKey(const std::string& key_id, const std::string& revoked_at) {
  try {
    auto& known = stmts_->Get("SELECT 1 FROM api_keys WHERE key_id = ?");
    known.bind(1, key_id);
    if (!known.executeStep()) return Status::NotFound("no API key \"" + key_id + "\" in " + path_);
    auto& ins = stmts_->Get(
        "INSERT INTO api_key_revocations(key_id, revoked_at) VALUES (?, ?) ON CONFLICT(key_id) DO NOTHING");
    ins.bind(1, key_id);
    ins.bind(2, revoked_at);
    return ins.exec() == 1 ? PutOutcome::kInserted : PutOutcome::kUnchanged;
  } catch (const std::exception& e) {
    return FromException(e, "cannot revoke API key " + key_id);
  }
}

namespace {

ApiKeyRecord ReadKey(SQLite::Statement& q) {
  ApiKeyRecord k;
  k.key_id = q.getColumn(0).getString();
  k.tenant = q.getColumn(1).getString();
  k.role = q.getColumn(2).getString();
  k.key_hash = q.getColumn(3).getString();
  k.created_at = q.getColumn(4).getString();
  k.label = q.getColumn(5).getString();
  k.revoked_at = q.getColumn(6).getString();
  return k;
}

}  // namespace

Result<std::optional<ApiKeyRecord>> SqliteStore::FindApiKeyByHash(const std::string& key_hash) {
  if (version_ < 3) return std::optional<ApiKeyRecord>();
  try {
    auto& q = stmts_->Get(std::string(store_sql::kKeyColumns) + "WHERE k.key_hash = ?");
    q.bind(1, key_hash);
    if (!q.executeStep()) return std::optional<ApiKeyRecord>();
    return std::optional<ApiKeyRecord>(ReadKey(q));
  } catch (const std::exception& e) {
    return FromException(e, "cannot read API keys");
  }
}

Result<std::vector<ApiKeyRecord>> SqliteStore::ListApiKeys(const std::string& tenant) {
  std::vector<ApiKeyRecord> out;
  if (version_ < 3) return out;
  try {
    auto& q = stmts_->Get(std::string(store_sql::kKeyColumns) + "WHERE ? = '' OR k.tenant = ? ORDER BY k.tenant, k.key_id");
    q.bind(1, tenant);
    q.bind(2, tenant);
    while (q.executeStep()) out.push_back(ReadKey(q));
    return out;
  } catch (const std::exception& e) {
    return FromException(e, "cannot read API keys");
  }
}

Status SqliteStore::PutAuditRecord(const AuditRecord& r, int64_t ledger_entry) {
  try {
    auto& ins = stmts_->Get(
        "INSERT INTO audit_log(tenant, audit_id, at, digest, body, source, ledger_entry) VALUES (?, ?, ?, ?, ?, ?, ?)");
    ins.bind(1, tenant_);
    ins.bind(2, r.audit_id);
    ins.bind(3, r.at);
    ins.bind(4, r.digest);
    ins.bind(5, r.body);
    ins.bind(6, r.source);
    ins.bind(7, ledger_entry);
    ins.exec();
    return Status::Ok();
  } catch (const std::exception& e) {
    return FromException(e, "cannot append to the audit log");
  }
}

Result<std::vector<AuditRecord>> SqliteStore::AuditRecords(const std::string& after_id, int limit) {
  std::vector<AuditRecord> out;
  if (version_ < 3) return out;
  try {
    auto& q = stmts_->Get(
        "SELECT audit_id, at, body, digest, source FROM audit_log WHERE tenant = ? AND audit_id > ? ORDER BY audit_id "
        "LIMIT ?");
    q.bind(1, tenant_);
    q.bind(2, after_id);
    q.bind(3, limit);
    while (q.executeStep()) {
      out.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getString(),
                     q.getColumn(3).getString(), q.getColumn(4).getString()});
    }
    return out;
  } catch (const std::exception& e) {
    return FromException(e, "cannot read the audit log");
  }
}

Result<int64_t> SqliteStore::LatestPolicyVersion(const std::string& project) {
  if (version_ < 3) return int64_t{0};
  try {
    auto& q = stmts_->Get("SELECT coalesce(max(version), 0) FROM policies WHERE tenant = ? AND project = ?");
    q.bind(1, tenant_);
    q.bind(2, project);
    q.executeStep();
    return q.getColumn(0).getInt64();
  } catch (const std::exception& e) {
    return FromException(e, "cannot read policies");
  }
}

Status SqliteStore::PutPolicyVersion(const PolicyVersion& p, const std::string& source, int64_t ledger_entry) {
  try {
    auto& ins = stmts_->Get(
        "INSERT INTO policies(tenant, project, version, digest, size, body, uploaded_by, created_at, source, "
        "ledger_entry) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    ins.bind(1, tenant_);
    ins.bind(2, p.project);
    ins.bind(3, p.version);
    ins.bind(4, p.digest);
    ins.bind(5, static_cast<int64_t>(p.body.size()));
    ins.bind(6, p.body.data(), static_cast<int>(p.body.size()));
    ins.bind(7, p.uploaded_by);
    ins.bind(8, p.created_at);
    ins.bind(9, source);
    ins.bind(10, ledger_entry);
    ins.exec();
    return Status::Ok();
  } catch (const std::exception& e) {
    return FromException(e, "cannot store policy " + p.project + " version " + std::to_string(p.version));
  }
}

namespace {

PolicyVersion ReadPolicy(SQLite::Statement& q, bool with_body) {
  PolicyVersion p;
  p.project = q.getColumn(0).getString();
  p.version = q.getColumn(1).getInt64();
  p.digest = q.getColumn(2).getString();
  p.size = q.getColumn(3).getInt64();
  p.uploaded_by = q.getColumn(4).getString();
  p.created_at = q.getColumn(5).getString();
  if (with_body) {
    SQLite::Column body = q.getColumn(6);
    p.body.assign(static_cast<const char*>(body.getBlob()), static_cast<size_t>(body.getBytes()));
  }
  return p;
}

}  // namespace

Result<std::optional<PolicyVersion>> SqliteStore::GetPolicyVersion(const std::string& project, int64_t version) {
  if (version_ < 3) return std::optional<PolicyVersion>();
  try {
    auto& q = stmts_->Get(
        "SELECT project, version, digest, size, uploaded_by, created_at, body FROM policies WHERE tenant = ? AND "
        "project = ? AND version = ?");
    q.bind(1, tenant_);
    q.bind(2, project);
    q.bind(3, version);
    if (!q.executeStep()) return std::optional<PolicyVersion>();
    return std::optional<PolicyVersion>(ReadPolicy(q, true));
  } catch (const std::exception& e) {
    return FromException(e, "cannot read policies");
  }
}

Result<std::vector<PolicyVersion>> SqliteStore::PolicyVersions(const std::string& project) {
  std::vector<PolicyVersion> out;
  if (version_ < 3) return out;
  try {
    auto& q = stmts_->Get(
        "SELECT project, version, digest, size, uploaded_by, created_at FROM policies WHERE tenant = ? AND "
        "(? = '' OR project = ?) ORDER BY project, version");
    q.bind(1, tenant_);
    q.bind(2, project);
    q.bind(3, project);
    while (q.executeStep()) out.push_back(ReadPolicy(q, false));
    return out;
  } catch (const std::exception& e) {
    return FromException(e, "cannot read policies");
  }
}

}  // namespace oep
