// The evidence store, behind the abstract Store (SqliteStore in sqlite_store.h, the
// embedded default; PostgresStore in postgres_store.h). The SQLite store is one file (WAL, foreign keys on, schema version in
// PRAGMA user_version). Every artifact kind has a table holding its canonical JSON
// body, the body's sha256 digest, where it came from, and its join keys (indexed).
//
// On-disk format, version 7 (see Migrate in store.cc):
//   <kind table>(tenant, <id> TEXT, digest, body, source, ledger_entry, <key columns...>;
//                PRIMARY KEY(tenant, <id>))
//     for manifests, events, human_reviews, decisions, traces, evals, reconstructions (v1)
//     and counterfactual_runs (v2: `oep impact --save`)
//   decision_inputs(tenant, decision_id, digest, body, source, ledger_entry)
//     OPA input documents recorded beside (not inside) a permission packet
//   documents(tenant, path, digest, size, body BLOB, ledger_entry)
//     files imported verbatim (policies, fixtures, integration projections)
//   ledger(entry_id INTEGER PRIMARY KEY, chain_id, seq, kind, artifact_table, artifact_id,
//          content_hash, source, payload, prev_hash, entry_hash, tenant; UNIQUE(chain_id, seq))
//     the hash chains over everything above (see src/ledger/ledger.h); each row's
//     ledger_entry names the entry that covers it
//   (v3) tenants(name PK, created_at); api_keys(key_id PK, tenant, role, key_hash UNIQUE,
//     created_at, label); api_key_revocations(key_id PK, revoked_at): API keys of
//     `oep serve`, stored as hashes only
//   (v3) runs(tenant, run_id, chain_id, created_at, release_manifest_id, model, agent, digest,
//     body, source, ledger_entry); run_tags(tenant, run_id, tag); run_steps(tenant, run_id,
//     step, event_id, digest): agent runs posted to `oep serve`; a run is finished when its
//     chain is sealed
//   (v3) audit_log(tenant, audit_id, at, digest, body, source, ledger_entry): admin actions
//     and denied requests, covered by the ledger chain "audit"
//   (v3) policies(tenant, project, version, digest, size, body BLOB, uploaded_by, created_at,
//     source, ledger_entry): versioned policy bundles
//   (v4) approval_requests, approval_decisions: the approval gates' kinds (artifact tables
//     of the same shape, see schema/artifact_kind.cc)
//   (v5) violations: what the monitors of `oep serve` flagged (an artifact table)
//   (v6) webhook_subscriptions, webhook_removals, webhook_attempts: webhooks of `oep serve`
//     and their delivery log (artifact tables, see src/webhooks)
//   (v7) tombstones(tenant, artifact_table, artifact_id, content_hash, ledger_entry,
//     deleted_at, retention_id; PRIMARY KEY(tenant, artifact_table, artifact_id)): rows that
//     retention deleted (src/retention), with the hex SHA-256 of the deleted bytes, which the
//     ledger entry naming the row still commits to; retention_open(retention_id PK): the
//     retention run of the open transaction (empty in every committed state)
// Version 3 gave every stored row its tenant (rows of older stores belong to "default").
// Every table refuses UPDATE and DELETE (triggers): evidence is append-only. From version 7
// the retention tables (RetentionTables) accept a DELETE of a row whose tombstone, with the
// row's content hash, was written by the retention run open in the same transaction.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "schema/artifact_kind.h"
#include "util/status.h"

namespace oep {

inline constexpr int kStoreSchemaVersion = 7;
// The tenant of everything the CLI reads and writes, and of every row of a store made
// before tenants existed.
inline constexpr std::string_view kDefaultTenant = "default";
// PRAGMA application_id of every oep store ("OEPS"), and of a store `oep demo` generated
// ("OEPD"), which `oep demo` may replace. Stores made before application_id existed have
// 0 and are recognised by their tables (then stamped "OEPS" by their next write).
inline constexpr int32_t kStoreApplicationId = 0x4F455053;
inline constexpr int32_t kDemoStoreApplicationId = 0x4F455044;

// One validated artifact ready to store. `columns` holds spec.columns' values in order
// (nullopt for JSON null or absent; booleans as "0"/"1").
struct ArtifactRecord {
  const KindSpec* spec = nullptr;
  std::string id;
  std::string digest;  // "sha256:<hex>" of `body`
  std::string body;    // RFC 8785 canonical JSON
  std::string source;  // "path:line" or "path#/pointer"
  std::vector<std::optional<std::string>> columns;
};

struct StoredArtifact {
  std::string id;
  std::string digest;
  std::string body;
  std::string source;
};

enum class PutOutcome { kInserted, kUnchanged };

struct ApiKeyRecord {
  std::string key_id;    // public identifier (part of the key, not secret)
  std::string tenant;
  std::string role;      // admin | approver | viewer | ingest
  std::string key_hash;  // hex SHA-256 of the whole key; the key itself is never stored
  std::string created_at;
  std::string label;
  std::string revoked_at;  // empty while the key is valid
};

// An agent run posted to `oep serve`: its chain is "run:<run_id>" (see TenantChain).
struct RunRecord {
  std::string run_id;  // the run's trace id (32 lowercase hex digits)
  std::string chain_id;
  std::string created_at;  // RFC 3339 UTC, the server's clock
  std::string release_manifest_id, model, agent;  // searchable metadata ("" = none)
  std::vector<std::string> tags;
  std::string digest, body, source;  // canonical JSON of the run as created
};

struct RunSummary {
  RunRecord run;
  int64_t steps = 0;
  bool finished = false;  // its chain is sealed
  std::string seal_payload;  // the seal's payload when finished
};

struct RunStep {
  int64_t step = 0;  // 1, 2, ... without gaps within a run
  std::string event_id;
  std::string digest;  // of the stored agent-step event
  std::string body;    // the event (RunSteps only; empty when tombstoned)
  bool tombstoned = false;  // the event was deleted by retention (RunSteps only)
};

// A row deleted by retention (format 7): what it was and the hash of its bytes.
struct Tombstone {
  std::string artifact_table, artifact_id;
  std::string content_hash;  // hex SHA-256 of the deleted bytes (the ledger's content_hash)
  int64_t ledger_entry = 0;  // the entry that covered the row (0: none)
  std::string deleted_at, retention_id;
};

// A table retention may delete from, its id column and the column holding each row's time
// (empty: the rows go with the decision they belong to).
struct RetentionTable {
  std::string_view table, id_column, time_column;
};
// events (event_time), decisions (decision_time), decision_inputs (with their decision),
// audit_log (at).
std::span<const RetentionTable> RetentionTables();
const RetentionTable* FindRetentionTable(std::string_view table);

// Only these metadata fields are searchable; payloads never are.
struct RunFilter {
  std::string since, until;  // created_at bounds (RFC 3339, inclusive)
  std::string status;        // "" | open | finished
  std::string tool;          // a decision of the run names this tool
  std::string model, tag, release;
};

// Keyset position in the run listing's order (created_at, run_id).
struct RunCursor {
  std::string created_at, run_id;
};

struct AuditRecord {
  std::string audit_id;  // unique, time-ordered
  std::string at;
  std::string body;  // canonical JSON: actor, action, target, outcome, ...
  std::string digest, source;
};

struct PolicyVersion {
  std::string project;
  int64_t version = 0;  // 1, 2, ... per project
  std::string digest;   // sha256 of the bundle bytes
  int64_t size = 0;
  std::string body;  // the bundle's bytes (PolicyVersions leaves it empty)
  std::string uploaded_by, created_at;
};

// One row of the ledger table; the hashing rules are in src/ledger/ledger.h.
struct LedgerEntry {
  int64_t entry_id = 0;  // global append order, assigned by the store
  std::string chain_id;
  int64_t seq = 0;  // 1-based within the chain
  std::string kind;  // artifact | drop | break | seal
  std::string artifact_table, artifact_id;  // artifact entries only
  std::string content_hash;  // hex SHA-256 of the artifact's stored bytes (artifact entries)
  std::string source;
  std::string payload;  // canonical JSON object (drop, break, seal), else empty
  std::string prev_hash, entry_hash;
};

struct ChainHead {
  int64_t seq = 0;
  std::string entry_hash;
  std::string kind;
};

class Store {
 public:
  enum class Mode { kReadOnly, kReadWrite };

  // kReadOnly: the file must exist and be an oep store of a version this binary reads.
  // kReadWrite: creates the file if needed and migrates it forward. An older store opened
  // kReadOnly reads as having no rows of the kinds its version lacks. A file that is not
  // an oep store (another application_id, or tables that are not an oep store's) is refused
  // before anything in it changes.
  // Commits are durable (WAL, synchronous=FULL): CommitBatch returns after the fsync.
  // `url` names the store: "sqlite:PATH" or a bare PATH (SQLite, as above), or
  // "postgresql://..." / "postgres://..." (a libpq connection URI; see postgres_store.h).
  static Result<std::unique_ptr<Store>> Open(const std::string& url, Mode mode);
  virtual ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Where the store is: the SQLite file's path, or the PostgreSQL URL as given.
  const std::string& path() const { return path_; }

  // Tenancy. Every evidence read and write after ScopeToTenant sees and creates only
  // `tenant`'s rows (kDefaultTenant until called): another tenant's rows are not found,
  // and the same id may be stored by two tenants. Ledger appends carry the tenant; the
  // ledger itself and the whole-store scans (ForEachLedgerEntry of every chain,
  // ForEachCoveredRow, LedgerEntryCount, RowsWithStaleColumns, Dump) are the operator's
  // view of every tenant.
  void ScopeToTenant(std::string tenant) { tenant_ = std::move(tenant); }
  const std::string& tenant() const { return tenant_; }
  // True for a store `oep demo` generated (application_id kDemoStoreApplicationId).
  virtual bool generated_demo() const = 0;
  // False for a store made before application_id existed and not written to since.
  virtual bool stamped() const = 0;
  // Marks the store, within the current batch, as generated by `oep demo`.
  virtual Status MarkGeneratedDemo() = 0;
  // PRAGMA synchronous of the connection (2 = FULL; PostgreSQL: 2 when synchronous_commit is on).
  virtual Result<int> SynchronousLevel() = 0;

  // Ends the read snapshot single-row lookups leave open, so the next read sees what other
  // processes committed since (a long-lived connection, as the server's, calls it between
  // requests; BeginBatch does it itself). Not while iterating (ForEach and the like).
  virtual void ReleaseReadSnapshot() = 0;

  // One transaction; RollbackBatch (also run by the destructor) discards everything since BeginBatch.
  virtual Status BeginBatch() = 0;
  virtual Status CommitBatch() = 0;
  virtual void RollbackBatch() = 0;

  // Inserts `record`; kUnchanged when the same id is stored with the same digest;
  // InvalidArgument when the id is stored with a different digest.
  // `ledger_entry` is the id of the ledger entry that will cover the row (0: none yet).
  virtual Result<PutOutcome> Put(const ArtifactRecord& record, int64_t ledger_entry = 0) = 0;
  virtual Result<PutOutcome> PutDecisionInput(const std::string& decision_id, const StoredArtifact& input,
                                      int64_t ledger_entry) = 0;
  virtual Result<PutOutcome> PutDocument(const std::string& path, std::string_view bytes, int64_t ledger_entry) = 0;

  virtual Result<bool> Exists(ArtifactKind kind, std::string_view id) = 0;
  virtual Result<std::optional<StoredArtifact>> Get(ArtifactKind kind, std::string_view id) = 0;
  // Artifacts whose key `column` equals `value`, in id order, at most `limit`.
  virtual Result<std::vector<StoredArtifact>> FindBy(ArtifactKind kind, std::string_view column, std::string_view value,
                                             int limit) = 0;
  virtual Result<std::optional<StoredArtifact>> GetDecisionInput(std::string_view decision_id) = 0;
  virtual Result<int64_t> Count(ArtifactKind kind) = 0;
  // Up to `n` stored ids of `kind` closest to `id` (edit distance; lexicographic
  // neighbours in very large stores).
  virtual Result<std::vector<std::string>> NearestIds(ArtifactKind kind, std::string_view id, int n) = 0;

  // The last entry of `chain_id`, or nullopt for a chain with no entries.
  virtual Result<std::optional<ChainHead>> GetChainHead(const std::string& chain_id) = 0;
  virtual Result<int64_t> NextLedgerEntryId() = 0;
  // How many ledger entries there are (with entry_id < `before_entry_id` when given).
  virtual Result<int64_t> LedgerEntryCount(std::optional<int64_t> before_entry_id = std::nullopt) = 0;
  // Inserts `entry` under entry.entry_id (assigned by SQLite when 0, then set).
  virtual Status AppendLedgerEntry(LedgerEntry& entry) = 0;
  virtual Result<std::optional<LedgerEntry>> GetLedgerEntry(int64_t entry_id) = 0;
  // Ledger entries in append order (of one chain when `chain_id` is not empty).
  // `fn` may move from the entry it is given.
  virtual Status ForEachLedgerEntry(const std::string& chain_id, const std::function<Status(LedgerEntry&)>& fn) = 0;
  // Every row the ledger must cover (artifact tables, decision_inputs, documents) with the
  // ledger entry its ledger_entry column points to, if any.
  // A tombstone (format 7) is handed over as a row of its table with `tombstoned` set, an
  // empty body and digest "sha256:<the tombstone's content_hash>".
  struct CoveredRow {
    std::string table;
    StoredArtifact row;  // body holds the stored bytes
    bool tombstoned = false;
    bool has_entry = false;
    LedgerEntry entry;  // without payload and hashes other than content_hash
  };
  // `fn` may move from the row; `include` (when given) selects tables by name.
  virtual Status ForEachCoveredRow(const std::function<Status(CoveredRow&)>& fn,
                           const std::function<bool(std::string_view table)>& include = {}) = 0;

  // Decisions with decision_id > after_id matching the filter, in id order, at most
  // `limit` (keyset pagination: constant memory over any number of decisions).
  struct DecisionFilter {
    std::string since, until;  // decision_time bounds (RFC 3339, inclusive)
    std::string tool, actor;
    std::string trace_id = "";  // decisions of one run
    std::optional<bool> allow = std::nullopt;  // the recorded decision.allow
  };
  virtual Result<std::vector<StoredArtifact>> DecisionBatch(const DecisionFilter& filter, const std::string& after_id, int limit) = 0;
  // Decisions matching `filter`, newest first by (decision_time, decision_id), strictly
  // before `before` in that order when given, at most `limit` (`oep decisions`).
  struct DecisionCursor {
    std::string decision_time, decision_id;
  };
  virtual Result<std::vector<StoredArtifact>> RecentDecisions(const DecisionFilter& filter,
                                                      const std::optional<DecisionCursor>& before, int limit) = 0;
  // Runs: every stored trace bundle and every run posted to the server, newest first by
  // start time, with their decision counts (`oep runs`).
  struct RunListing {
    std::string run_id;      // the trace id
    std::string started_at;  // the trace's started_at, else the server run's created_at
    std::string status;      // the trace's status, else open | finished (chain sealed)
    std::string release_manifest_id;
    int64_t decisions = 0, denied = 0;
  };
  struct RunListFilter {
    std::string since, until;  // started_at bounds (RFC 3339, inclusive)
    std::string tool;          // a decision of the run names this tool
  };
  virtual Result<std::vector<RunListing>> RecentRuns(const RunListFilter& filter, int limit) = 0;
  // OPA inputs recorded beside packets, for the given decision ids (one IN query).
  virtual Result<std::map<std::string, std::string>> DecisionInputs(const std::vector<std::string>& decision_ids) = 0;

  // Rows of `kind` whose join-key columns differ from the values their canonical body holds
  // at the columns' JSON paths (the columns are derived from the body, which the ledger
  // covers; a column edited alone would mislead filters and joins). At most `limit` ids.
  virtual Result<std::vector<std::string>> RowsWithStaleColumns(ArtifactKind kind, int limit) = 0;

  // Tenants and API keys (not scoped: they are how a request finds its tenant).
  virtual Result<PutOutcome> PutTenant(const std::string& name, const std::string& created_at) = 0;
  virtual Result<bool> TenantExists(const std::string& name) = 0;
  virtual Status PutApiKey(const ApiKeyRecord& key) = 0;
  // kUnchanged when the key was already revoked; NotFound for an unknown key id.
  virtual Result<PutOutcome> RevokeApiKey(const std::string& key_id, const std::string& revoked_at) = 0;
  virtual Result<std::optional<ApiKeyRecord>> FindApiKeyByHash(const std::string& key_hash) = 0;
  // Keys of `tenant` ("" = every tenant), by tenant then key id.
  virtual Result<std::vector<ApiKeyRecord>> ListApiKeys(const std::string& tenant) = 0;

  // Runs of the scoped tenant. PutRun: kUnchanged when the run is stored with the same
  // digest, Conflict when with another.
  virtual Result<PutOutcome> PutRun(const RunRecord& run, int64_t ledger_entry) = 0;
  virtual Result<std::optional<RunSummary>> GetRun(const std::string& run_id) = 0;
  // Runs matching `filter` after `after` (nullopt: from the start) in (created_at, run_id)
  // order, at most `limit`.
  virtual Result<std::vector<RunSummary>> ListRuns(const RunFilter& filter, const std::optional<RunCursor>& after, int limit) = 0;
  virtual Status PutRunStep(const std::string& run_id, const RunStep& step) = 0;
  virtual Result<std::optional<RunStep>> GetRunStep(const std::string& run_id, int64_t step) = 0;
  virtual Result<int64_t> LastRunStep(const std::string& run_id) = 0;  // 0 when none
  // Steps with step > after_step in order, at most `limit`, with their event bodies.
  virtual Result<std::vector<RunStep>> RunSteps(const std::string& run_id, int64_t after_step, int limit) = 0;
  // What a run's steps recorded, counted as `oep diff` counts them: a step is a tool call
  // when its event has a permission packet (by permission_packet_ref, else by event_id), a
  // denial when that packet's decision.allow is false; costs are the events'
  // budget.step_cost_usd (summed) and budget.run_cost_usd (the largest), nullopt when no
  // event records one; first/last are the earliest and latest event_time (ns); violations
  // counts the monitor violations stored with the run's id (format 5).
  struct RunFigures {
    int64_t tool_calls = 0, denials = 0, violations = 0;
    std::optional<double> step_cost_usd, run_cost_usd;
    std::optional<int64_t> first_event_ns, last_event_ns;
  };
  // The figures of the given runs of the scoped tenant (runs with neither steps nor
  // violations are absent): one aggregate query over the steps, one over the violations (and
  // one more only for runs whose event times mix formats).
  virtual Result<std::map<std::string, RunFigures>> RunFiguresOf(const std::vector<std::string>& run_ids) = 0;

  // The audit log of the scoped tenant (its ledger chain is "audit").
  virtual Status PutAuditRecord(const AuditRecord& record, int64_t ledger_entry) = 0;
  // Records with audit_id > after_id in order, at most `limit`.
  virtual Result<std::vector<AuditRecord>> AuditRecords(const std::string& after_id, int limit) = 0;

  // Policy bundles of the scoped tenant: versions count from 1 per project.
  virtual Result<int64_t> LatestPolicyVersion(const std::string& project) = 0;  // 0 when none
  virtual Status PutPolicyVersion(const PolicyVersion& policy, const std::string& source, int64_t ledger_entry) = 0;
  virtual Result<std::optional<PolicyVersion>> GetPolicyVersion(const std::string& project, int64_t version) = 0;
  // Every version of `project` ("" = all projects), without bodies.
  virtual Result<std::vector<PolicyVersion>> PolicyVersions(const std::string& project) = 0;

  // Every row of every table, in a fixed order, as canonical JSON lines: two stores
  // holding the same evidence produce the same dump.
  virtual Status Dump(const std::function<void(std::string_view line)>& sink) = 0;

  // All rows of a kind in id order (verification scans).
  virtual Status ForEach(ArtifactKind kind, const std::function<Status(const StoredArtifact&)>& fn) = 0;

  // Retention (format 7; older stores have no tombstones and refuse retention).
  // Every row of the scoped tenant in RetentionTable `table` that has a time column, with
  // that column's text, in id order.
  virtual Status ForEachRowTime(std::string_view table,
                                const std::function<Status(const std::string& id, const std::string& time)>& fn) = 0;
  // Within a batch: opens `retention_id` (BeginRetention), under which TombstoneRow deletes;
  // EndRetention closes it before the batch commits. The SQLite store also overwrites
  // deleted content with zeros while it is open (secure_delete).
  virtual Status BeginRetention(const std::string& retention_id) = 0;
  virtual Status EndRetention(const std::string& retention_id) = 0;
  // Writes the tombstone of row `id` of RetentionTable `table` (scoped tenant), then
  // deletes the row. NotFound when there is no such row.
  virtual Result<Tombstone> TombstoneRow(std::string_view table, const std::string& id, const std::string& retention_id,
                                         const std::string& deleted_at) = 0;
  // The scoped tenant's tombstone of row `id` of `table` (nullopt: none; always for older formats).
  virtual Result<std::optional<Tombstone>> GetTombstone(std::string_view table, const std::string& id) = 0;
  // The scoped tenant's tombstones (of `table` only when not empty), by table then id.
  virtual Status ForEachTombstone(std::string_view table, const std::function<Status(const Tombstone&)>& fn) = 0;
  // After a committed retention batch: makes deleted bytes leave the files (SQLite: a
  // TRUNCATE checkpoint of the WAL; false when readers kept it from completing). PostgreSQL:
  // true, nothing done (the rows' space is reclaimed by VACUUM; see README).
  virtual Result<bool> ReclaimDeleted() = 0;
  // Retention runs left open in the committed state (always 0 unless the store was tampered with).
  virtual Result<int64_t> OpenRetentionCount() = 0;


 protected:
  explicit Store(std::string path) : path_(std::move(path)) {}
  std::string path_;
  std::string tenant_ = std::string(kDefaultTenant);
};

// NotFound: no `noun` "id" in the store, with the closest stored ids of `kind`; or, for a row
// retention deleted, that it was tombstoned (when, and the hash kept).
Status UnknownIdError(Store& store, ArtifactKind kind, std::string_view id, const std::string& noun);

// True for "postgresql://..." and "postgres://..." store URLs.
bool IsPostgresUrl(std::string_view url);
// The SQLite file a store URL names ("sqlite:PATH" or a bare PATH); "" for PostgreSQL.
std::string SqliteFilePath(const std::string& url);
// Whether the store `url` names exists already (PostgreSQL: assumed so).
bool StoreExists(const std::string& url);

// Removes a store file and its -wal/-shm companions (used when a failed first
// ingest must leave no store behind). `url` as Store::Open takes it; nothing for PostgreSQL
// (the failed batch was rolled back).
void RemoveStoreFiles(const std::string& url);

}  // namespace oep
