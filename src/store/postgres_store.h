// The PostgreSQL evidence store (libpqxx): the same tables, rows and contracts as the
// SQLite store (sqlite_store.h), for several `oep serve` processes sharing one database.
//
// Schema: oep_meta(key, value) holds store_format (kStoreSchemaVersion, the version shared
// with SQLite) and application ("OEPS", or "OEPD" for a store `oep demo` generated); the
// evidence tables are those of store.h's format 4 with TEXT COLLATE "C" (byte order, as
// SQLite compares), BIGINT for integers and BYTEA for blobs. Forward migrations are the
// steps of PostgresSchemaSteps (postgres_store.cc), applied under an advisory lock.
//
// Concurrency: every write batch holds one transaction-level advisory lock
// (kPostgresWriteLock) from BeginBatch to its end, so batches of several processes apply one
// after another, each seeing every earlier commit: ledger entry ids and chain heads are
// read and extended under the lock, and a chain never forks.
// Append-only: triggers refuse UPDATE, DELETE and TRUNCATE on every table (from format 7 a
// retention table's trigger accepts the DELETE of a row tombstoned in the same transaction,
// see store.h), and the role oep_writer (for servers' logins) has SELECT and INSERT only
// (and DELETE on the retention tables, under those triggers).
// Tenants: besides every query naming its tenant, row-level security on every tenant-held
// table shows and accepts only the rows of the session's oep.tenant setting, which this
// store sets to the scoped tenant ('*' for the whole-store scans). A session without the
// setting sees no tenant's rows.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"

namespace pqxx {
class result;
}  // namespace pqxx

namespace oep {

// pg_advisory_xact_lock key of write batches ("OEPW").
inline constexpr int64_t kPostgresWriteLock = 0x4F455057;

class PostgresStore final : public Store {
 public:
  // Store::Open for postgresql:// and postgres:// URLs (libpq connection URIs). kReadWrite
  // creates the schema in an empty database and migrates an older one forward; kReadOnly
  // refuses a database without an oep schema. A database whose tables are not an oep
  // store's is refused before anything in it changes.
  static Result<std::unique_ptr<Store>> OpenUrl(const std::string& url, Mode mode);
  ~PostgresStore() override;

  bool generated_demo() const override;
  bool stamped() const override;
  Status MarkGeneratedDemo() override;
  Result<int> SynchronousLevel() override;
  void ReleaseReadSnapshot() override;
  Status BeginBatch() override;
  Status CommitBatch() override;
  void RollbackBatch() override;
  Result<PutOutcome> Put(const ArtifactRecord& record, int64_t ledger_entry = 0) override;
  Result<PutOutcome> PutDecisionInput(const std::string& decision_id, const StoredArtifact& input, int64_t ledger_entry) override;
  Result<PutOutcome> PutDocument(const std::string& path, std::string_view bytes, int64_t ledger_entry) override;
  Result<bool> Exists(ArtifactKind kind, std::string_view id) override;
  Result<std::optional<StoredArtifact>> Get(ArtifactKind kind, std::string_view id) override;
  Result<std::vector<StoredArtifact>> FindBy(ArtifactKind kind, std::string_view column, std::string_view value, int limit) override;
  Result<std::optional<StoredArtifact>> GetDecisionInput(std::string_view decision_id) override;
  Result<int64_t> Count(ArtifactKind kind) override;
  Result<std::vector<std::string>> NearestIds(ArtifactKind kind, std::string_view id, int n) override;
  Result<std::optional<ChainHead>> GetChainHead(const std::string& chain_id) override;
  Result<int64_t> NextLedgerEntryId() override;
  Result<int64_t> LedgerEntryCount(std::optional<int64_t> before_entry_id = std::nullopt) override;
  Status AppendLedgerEntry(LedgerEntry& entry) override;
  Result<std::optional<LedgerEntry>> GetLedgerEntry(int64_t entry_id) override;
  Status ForEachLedgerEntry(const std::string& chain_id, const std::function<Status(LedgerEntry&)>& fn) override;
  Status ForEachCoveredRow(const std::function<Status(CoveredRow&)>& fn, const std::function<bool(std::string_view table)>& include = {}) override;
  Result<std::vector<StoredArtifact>> DecisionBatch(const DecisionFilter& filter, const std::string& after_id, int limit) override;
  Result<std::vector<StoredArtifact>> RecentDecisions(const DecisionFilter& filter, const std::optional<DecisionCursor>& before, int limit) override;
  Result<std::vector<RunListing>> RecentRuns(const RunListFilter& filter, int limit) override;
  Result<std::map<std::string, std::string>> DecisionInputs(const std::vector<std::string>& decision_ids) override;
  Result<std::vector<std::string>> RowsWithStaleColumns(ArtifactKind kind, int limit) override;
  Result<PutOutcome> PutTenant(const std::string& name, const std::string& created_at) override;
  Result<bool> TenantExists(const std::string& name) override;
  Status PutApiKey(const ApiKeyRecord& key) override;
  Result<PutOutcome> RevokeApiKey(const std::string& key_id, const std::string& revoked_at) override;
  Result<std::optional<ApiKeyRecord>> FindApiKeyByHash(const std::string& key_hash) override;
  Result<std::vector<ApiKeyRecord>> ListApiKeys(const std::string& tenant) override;
  Result<PutOutcome> PutRun(const RunRecord& run, int64_t ledger_entry) override;
  Result<std::optional<RunSummary>> GetRun(const std::string& run_id) override;
  Result<std::vector<RunSummary>> ListRuns(const RunFilter& filter, const std::optional<RunCursor>& after, int limit) override;
  Result<std::map<std::string, RunFigures>> RunFiguresOf(const std::vector<std::string>& run_ids) override;
  Status PutRunStep(const std::string& run_id, const RunStep& step) override;
  Result<std::optional<RunStep>> GetRunStep(const std::string& run_id, int64_t step) override;
  Result<int64_t> LastRunStep(const std::string& run_id) override;
  Result<std::vector<RunStep>> RunSteps(const std::string& run_id, int64_t after_step, int limit) override;
  Status PutAuditRecord(const AuditRecord& record, int64_t ledger_entry) override;
  Result<std::vector<AuditRecord>> AuditRecords(const std::string& after_id, int limit) override;
  Result<int64_t> LatestPolicyVersion(const std::string& project) override;
  Status PutPolicyVersion(const PolicyVersion& policy, const std::string& source, int64_t ledger_entry) override;
  Result<std::optional<PolicyVersion>> GetPolicyVersion(const std::string& project, int64_t version) override;
  Result<std::vector<PolicyVersion>> PolicyVersions(const std::string& project) override;
  Status Dump(const std::function<void(std::string_view line)>& sink) override;
  Status ForEach(ArtifactKind kind, const std::function<Status(const StoredArtifact&)>& fn) override;
  Status ForEachRowTime(std::string_view table,
                        const std::function<Status(const std::string& id, const std::string& time)>& fn) override;
  Status BeginRetention(const std::string& retention_id) override;
  Status EndRetention(const std::string& retention_id) override;
  Result<Tombstone> TombstoneRow(std::string_view table, const std::string& id, const std::string& retention_id,
                                 const std::string& deleted_at) override;
  Result<std::optional<Tombstone>> GetTombstone(std::string_view table, const std::string& id) override;
  Status ForEachTombstone(std::string_view table, const std::function<Status(const Tombstone&)>& fn) override;
  Result<bool> ReclaimDeleted() override;
  Result<int64_t> OpenRetentionCount() override;

 private:
  using Params = std::vector<std::optional<std::string>>;
  struct Session;  // the connection and the open batch's transaction
  PostgresStore(std::string url, std::unique_ptr<Session> session);
  Status Recognise(Mode mode);
  Status Migrate();
  // Runs `sql` ('?' placeholders, bound in order from `params`) in the batch's transaction,
  // or alone outside a batch.
  pqxx::result Exec(const std::string& sql, const Params& params = {});
  // Runs `sql` (no parameters) through a server-side cursor, handing `fn` one chunk of rows
  // at a time: whole-table scans in flat memory. Inside the batch's transaction, else a
  // read transaction of its own (which `fn`'s own reads then share).
  Status Stream(const std::string& sql, const std::function<Status(const pqxx::result&)>& fn);
  int cursors_ = 0;
  // The (id, digest, body, source) rows `sql` selects.
  std::vector<StoredArtifact> ArtifactRows(const std::string& sql, const std::vector<std::string>& args);
  // Sets oep.tenant (row-level security) to the scoped tenant, or '*' under AllTenants.
  void ApplyTenant();
  struct AllTenants;

  std::unique_ptr<Session> db_;
  bool read_only_ = false;
  std::string application_;  // OEPS | OEPD
  std::string applied_tenant_;  // oep.tenant of the session ("" = not known)
  bool all_tenants_ = false;
  int format_ = kStoreSchemaVersion;  // the store's format (an older one read-only has no tombstones)
};

}  // namespace oep
