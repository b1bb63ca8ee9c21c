// The SQLite evidence store (the embedded default): one file, format described in store.h.
#pragma once

#include <memory>
#include <string>

#include "store/store.h"

namespace SQLite {
class Database;
class Statement;
}

namespace oep {

class SqliteStore final : public Store {
 public:
  // Store::Open for "sqlite:PATH" and bare paths (the contract is Store::Open's).
  static Result<std::unique_ptr<Store>> OpenFile(const std::string& path, Mode mode);
  ~SqliteStore() override;

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
  SqliteStore(std::string path, std::unique_ptr<SQLite::Database> db);
  Status Recognise(Mode mode);
  Status Migrate();
  struct Statements;
  // "tenant = ? AND " for stores of format 3 or later (older stores, read-only, hold only
  // the default tenant's rows); BindTenant binds it at `index` and returns the next index.
  std::string TenantIs(std::string_view alias = "") const;
  int BindTenant(SQLite::Statement& q, int index) const;

  std::unique_ptr<SQLite::Database> db_;
  std::unique_ptr<Statements> stmts_;
  bool in_batch_ = false;
  int version_ = 0;  // an older store opened read-only lacks later kinds' tables
  int64_t application_id_ = 0;
  bool needs_stamp_ = false;  // made before application_id: stamped by the next commit
  bool HasTable(const KindSpec& spec) const { return spec.since_store_version <= version_; }
};

}  // namespace oep
