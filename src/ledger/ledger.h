// The tamper-evident ledger: hash chains over every piece of stored evidence.
//
// Format (v1). Every artifact, OPA input and document that enters the store is appended,
// in the same transaction, as an entry of one chain: "run:<trace_id>" for evidence of one
// agent run (its trace id), "store" for everything else (manifests, imported documents).
// Chains of a tenant other than the default one are named "tenant:<tenant>/<chain>".
// Within a chain, seq counts from 1 without gaps. An entry's hash is
//   entry_hash = hex SHA-256 of the RFC 8785 canonical JSON object
//     {"artifact_id", "artifact_table", "chain_id", "content_hash", "kind", "payload",
//      "prev_hash", "seq", "source"}   (absent values as null; payload as a JSON object)
// and prev_hash is the previous entry's entry_hash (64 "0" for seq 1). content_hash is the
// hex SHA-256 of the stored bytes (canonical JSON body; a document's raw bytes).
// Entry kinds:
//   artifact  one stored row (artifact_table / artifact_id)
//   drop      evidence known to be lost: {"count", "reason", "first_seq"?, "last_seq"?}
//   break     a recorded break in continuity: {"reason"}
//   seal      closes the chain: {"authority": "server"|"local", "entry_count", "final_hash",
//             "public_key", "sealed_at", "signature"}; signature = Ed25519 over the canonical
//             payload without "signature". Nothing is appended after a seal. "authority" is
//             the sealer's claim only: verification takes the role of the trusted key that
//             signed (src/keys/keys.h).
#pragma once

#include <unordered_map>
#include <optional>
#include <string>
#include <string_view>

#include "store/store.h"
#include "util/status.h"

namespace oep {

inline constexpr std::string_view kGenesisHash = "0000000000000000000000000000000000000000000000000000000000000000";
inline constexpr std::string_view kStoreChain = "store";

// The canonical bytes an entry's hash is computed over, and that hash.
std::string CanonicalEntry(const LedgerEntry& entry);
std::string ComputeEntryHash(const LedgerEntry& entry);
// Hex SHA-256 of `digest` ("sha256:<hex>") without its prefix.
std::string ContentHashOfDigest(std::string_view digest);

// The chain an artifact row belongs to: "run:<trace_id>" when it has a trace id.
std::string ChainForTrace(const std::optional<std::string>& trace_id);

// The stored id of `chain` for `tenant`: `chain` itself for the default tenant, else
// "tenant:<tenant>/<chain>", so that one ledger holds every tenant's chains. The appender,
// SealChain and RecordChainEvent apply it with the store's tenant scope.
std::string TenantChain(std::string_view tenant, std::string_view chain);

// Appends entries to chains, keeping each chain's head in memory for the batch. Must be
// used inside the store's open batch; refuses to extend a sealed chain.
class LedgerAppender {
 public:
  explicit LedgerAppender(Store& store) : store_(store) {}
  // The entry id the next Append will use; a row put with it is then covered by appending
  // its artifact entry before any other entry.
  Result<int64_t> NextEntryId();
  Status AppendArtifact(const std::string& chain_id, std::string_view table, std::string_view id,
                        std::string_view content_hash, std::string_view source);
  // kind is "drop" or "break"; payload a canonical JSON object.
  Status AppendEvent(const std::string& chain_id, std::string_view kind, std::string payload);

 private:
  friend Status SealChain(Store&, const std::string&, const std::string&, const std::string&, const std::string&,
                          std::string*);
  Status Append(LedgerEntry& entry);
  Store& store_;
  std::unordered_map<std::string, ChainHead> heads_;
  int64_t next_id_ = 0;  // 0 until read from the store
};

// Seals `chain_id` with the Ed25519 key in `key_path` as `authority` ("server" or
// "local") at `sealed_at`, in its own transaction. Refuses an unknown, empty or already
// sealed chain. On success *summary describes the seal.
Status SealChain(Store& store, const std::string& chain_id, const std::string& key_path, const std::string& authority,
                 const std::string& sealed_at, std::string* summary);

// Appends a drop or break entry to `chain_id` in its own transaction.
Status RecordChainEvent(Store& store, const std::string& chain_id, std::string_view kind, const std::string& payload);

}  // namespace oep
