// Signed checkpoints over the whole ledger, in the manner of Certificate Transparency.
//
// The ledger tree: the RFC 6962 Merkle tree (src/merkle/merkle.h) whose leaf i is the
// i-th ledger entry in entry_id order, every chain together; leaf data is the entry's
// canonical JSON, the bytes its entry_hash is computed over (CanonicalEntry in
// src/ledger/ledger.h), so a checkpoint commits to content, not to a stored hash column.
//
// A checkpoint is a C2SP signed note (c2sp.org/signed-note) whose text is a C2SP
// tlog-checkpoint (c2sp.org/tlog-checkpoint):
//   <origin>\n<tree size, decimal>\n<base64 root hash>\n
//   \n
//   — <key name> <base64(4-byte key ID || 64-byte Ed25519 signature of the text)>\n
// with key name = origin and key ID = SHA-256(key name || 0x0A || 0x01 || public key)[:4].
//
// An inclusion proof (`oep prove`) is a JSON object:
//   {"format": "oep-inclusion-proof-v1", "entry_id", "canonical_entry" (string),
//    "leaf_index", "tree_size", "leaf_hash" (hex), "audit_path" ([hex], RFC 6962 PATH),
//    "checkpoint" (the signed note)}
// that verifies without the store.
//
// Errors: malformed input is InvalidArgument; a check that fails (untrusted signer, store
// not an extension, proof not leading to the root) is Corruption.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "keys/keys.h"
#include "merkle/merkle.h"
#include "store/store.h"
#include "util/status.h"

namespace oep {

inline constexpr std::string_view kDefaultCheckpointOrigin = "oep/ledger";

struct Checkpoint {
  std::string origin;
  uint64_t size = 0;
  merkle::Hash root{};
  std::string note;  // the signed note, as text
};

// A checkpoint whose signature a trusted server key verified.
struct TrustedCheckpoint {
  Checkpoint checkpoint;
  TrustedKey signer;
};

merkle::Hash LedgerLeafHash(const LedgerEntry& entry);

// Reads a checkpoint or inclusion-proof file: a regular file of at most 1 MiB.
Result<std::string> ReadCheckpointFile(const std::string& path);

// Signs a checkpoint of the store's whole ledger as it is now with the Ed25519 key in
// `key_path` (origin: non-empty, printable ASCII without spaces or '+').
Result<Checkpoint> MakeCheckpoint(Store& store, const std::string& key_path, const std::string& origin);

// Parses the signed note `note` (`where` names it in errors) without checking who signed it.
Result<Checkpoint> ParseCheckpoint(std::string_view note, const std::string& where);

// Parses the signed note `note` (`where` names it in errors) and verifies that a key
// `trusted` holds as server signed it.
Result<TrustedCheckpoint> OpenCheckpoint(std::string_view note, const TrustedKeys& trusted, const std::string& where);

// Proves with an RFC 6962 consistency proof, computed from the store and verified with
// RFC 9162 section 2.1.4.2, that the store's ledger is an append-only extension of
// `checkpoint`. On success a one-line description.
Result<std::string> VerifyStoreExtends(Store& store, const TrustedCheckpoint& checkpoint);

// The inclusion proof (JSON text, see above) of ledger entry `entry_id` in the tree of
// `checkpoint` (whose size must not exceed the store's ledger).
Result<std::string> ProveEntry(Store& store, int64_t entry_id, const Checkpoint& checkpoint);

// Verifies an inclusion proof offline against the trusted keys. On success a one-line
// description of the proven entry.
Result<std::string> VerifyInclusionProof(std::string_view proof_json, const TrustedKeys& trusted,
                                         const std::string& where);

}  // namespace oep
