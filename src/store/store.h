// The evidence store: one SQLite file (WAL, foreign keys on, schema version in
// PRAGMA user_version). Every artifact kind has a table holding its canonical JSON
// body, the body's sha256 digest, where it came from, and its join keys (indexed).
//
// On-disk format, version 2 (see Migrate in store.cc):
//   <kind table>(<id> TEXT PRIMARY KEY, digest, body, source, ledger_entry, <key columns...>)
//     for manifests, events, human_reviews, decisions, traces, evals, reconstructions (v1)
//     and counterfactual_runs (v2: `oep impact --save`)
//   decision_inputs(decision_id PRIMARY KEY, digest, body, source, ledger_entry)
//     OPA input documents recorded beside (not inside) a permission packet
//   documents(path PRIMARY KEY, digest, size, body BLOB, ledger_entry)
//     files imported verbatim (policies, fixtures, integration projections)
//   ledger(entry_id INTEGER PRIMARY KEY, chain_id, seq, kind, artifact_table, artifact_id,
//          content_hash, source, payload, prev_hash, entry_hash; UNIQUE(chain_id, seq))
//     the hash chains over everything above (see src/ledger/ledger.h); each row's
//     ledger_entry names the entry that covers it
// Every table refuses UPDATE and DELETE (triggers): evidence is append-only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "schema/artifact_kind.h"
#include "util/status.h"

namespace SQLite {
class Database;
}

namespace oep {

inline constexpr int kStoreSchemaVersion = 2;

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
  // kReadOnly reads as having no rows of the kinds its version lacks.
  static Result<std::unique_ptr<Store>> Open(const std::string& path, Mode mode);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::string& path() const { return path_; }

  // One transaction; RollbackBatch (also run by the destructor) discards everything since BeginBatch.
  Status BeginBatch();
  Status CommitBatch();
  void RollbackBatch();

  // Inserts `record`; kUnchanged when the same id is stored with the same digest;
  // InvalidArgument when the id is stored with a different digest.
  // `ledger_entry` is the id of the ledger entry that will cover the row (0: none yet).
  Result<PutOutcome> Put(const ArtifactRecord& record, int64_t ledger_entry = 0);
  Result<PutOutcome> PutDecisionInput(const std::string& decision_id, const StoredArtifact& input,
                                      int64_t ledger_entry);
  Result<PutOutcome> PutDocument(const std::string& path, std::string_view bytes, int64_t ledger_entry);

  Result<bool> Exists(ArtifactKind kind, std::string_view id);
  Result<std::optional<StoredArtifact>> Get(ArtifactKind kind, std::string_view id);
  // Artifacts whose key `column` equals `value`, in id order, at most `limit`.
  Result<std::vector<StoredArtifact>> FindBy(ArtifactKind kind, std::string_view column, std::string_view value,
                                             int limit);
  Result<std::optional<StoredArtifact>> GetDecisionInput(std::string_view decision_id);
  Result<int64_t> Count(ArtifactKind kind);
  // Up to `n` stored ids of `kind` closest to `id` (edit distance; lexicographic
  // neighbours in very large stores).
  Result<std::vector<std::string>> NearestIds(ArtifactKind kind, std::string_view id, int n);

  // The last entry of `chain_id`, or nullopt for a chain with no entries.
  Result<std::optional<ChainHead>> GetChainHead(const std::string& chain_id);
  Result<int64_t> NextLedgerEntryId();
  // How many ledger entries there are (with entry_id < `before_entry_id` when given).
  Result<int64_t> LedgerEntryCount(std::optional<int64_t> before_entry_id = std::nullopt);
  // Inserts `entry` under entry.entry_id (assigned by SQLite when 0, then set).
  Status AppendLedgerEntry(LedgerEntry& entry);
  Result<std::optional<LedgerEntry>> GetLedgerEntry(int64_t entry_id);
  // Ledger entries in append order (of one chain when `chain_id` is not empty).
  // `fn` may move from the entry it is given.
  Status ForEachLedgerEntry(const std::string& chain_id, const std::function<Status(LedgerEntry&)>& fn);
  // Every row the ledger must cover (artifact tables, decision_inputs, documents) with the
  // ledger entry its ledger_entry column points to, if any.
  struct CoveredRow {
    std::string table;
    StoredArtifact row;  // body holds the stored bytes
    bool has_entry = false;
    LedgerEntry entry;  // without payload and hashes other than content_hash
  };
  // `fn` may move from the row; `include` (when given) selects tables by name.
  Status ForEachCoveredRow(const std::function<Status(CoveredRow&)>& fn,
                           const std::function<bool(std::string_view table)>& include = {});

  // Decisions with decision_id > after_id matching the filter, in id order, at most
  // `limit` (keyset pagination: constant memory over any number of decisions).
  struct DecisionFilter {
    std::string since, until;  // decision_time bounds (RFC 3339, inclusive)
    std::string tool, actor;
  };
  Result<std::vector<StoredArtifact>> DecisionBatch(const DecisionFilter& filter, const std::string& after_id, int limit);
  // OPA inputs recorded beside packets, for the given decision ids (one IN query).
  Result<std::map<std::string, std::string>> DecisionInputs(const std::vector<std::string>& decision_ids);

  // Rows of `kind` whose join-key columns differ from the values their canonical body holds
  // at the columns' JSON paths (the columns are derived from the body, which the ledger
  // covers; a column edited alone would mislead filters and joins). At most `limit` ids.
  Result<std::vector<std::string>> RowsWithStaleColumns(ArtifactKind kind, int limit);

  // Every row of every table, in a fixed order, as canonical JSON lines: two stores
  // holding the same evidence produce the same dump.
  Status Dump(const std::function<void(std::string_view line)>& sink);

  // All rows of a kind in id order (verification scans).
  Status ForEach(ArtifactKind kind, const std::function<Status(const StoredArtifact&)>& fn);

 private:
  Store(std::string path, std::unique_ptr<SQLite::Database> db);
  Status Migrate();
  struct Statements;

  std::string path_;
  std::unique_ptr<SQLite::Database> db_;
  std::unique_ptr<Statements> stmts_;
  bool in_batch_ = false;
  int version_ = kStoreSchemaVersion;  // an older store opened read-only lacks later kinds' tables
  bool HasTable(const KindSpec& spec) const { return spec.since_store_version <= version_; }
};

// NotFound: no `noun` "id" in the store, with the closest stored ids of `kind`.
Status UnknownIdError(Store& store, ArtifactKind kind, std::string_view id, const std::string& noun);

// Removes a store file and its -wal/-shm companions (used when a failed first
// ingest must leave no store behind).
void RemoveStoreFiles(const std::string& path);

}  // namespace oep
