// `oep verify --chain`: recomputes the ledger from the stored rows and classifies each chain.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "keys/keys.h"
#include "store/store.h"
#include "util/status.h"
#include "verify/verify.h"

namespace oep {

enum class EvidenceClass { kAuthoritative, kPartialAuthoritative, kNonAuthoritative };
const char* EvidenceClassName(EvidenceClass c);  // "AUTHORITATIVE", ...

struct ChainReport {
  std::string chain_id;
  int64_t entries = 0;
  int64_t drops = 0;   // drop entries
  int64_t breaks = 0;  // break entries
  bool sealed = false;
  // The seal's authority: the role of the trusted key that signed it ("server" | "local"),
  // or empty when the key is not trusted. The seal's own claim is only reported.
  std::string authority;
  std::string claimed_authority;
  std::string seal_key_id;
  EvidenceClass evidence_class = EvidenceClass::kNonAuthoritative;
  bool ok = true;
  int64_t failed_seq = 0;  // first broken entry
  std::string failure;     // why it is broken
};

struct ChainVerifyReport {
  std::vector<ChainReport> chains;  // sorted by chain id
  int64_t entries = 0;
  int64_t covered_rows = 0;
  int64_t tombstoned_rows = 0;  // of covered_rows: rows retention deleted, checked by their tombstone's hash
  std::vector<std::string> coverage_failures;  // stored rows without an entry, entries without a row
  CheckResult derived_columns;                  // join-key columns against their bodies
  bool trusted_keys_given = false;
  // Passes when every chain and the coverage check pass (and, with reject_local, every
  // chain is authoritative or partially authoritative).
  bool ok(bool reject_local_authority) const;
  // Chains and coverage only (not the derived columns, nor the evidence classes).
  bool chains_ok() const;
  // The first broken chain ("chain <id>: entry <seq>: <why>") or coverage problem; "" when none.
  std::string FirstFailure() const;
  // One line per chain (all when `all_chains` or few; else failures), coverage, summary.
  std::string Render(bool all_chains, bool reject_local_authority) const;
};

// Verifies every chain (or only `chain_id`): sequence without gaps, duplicates or
// reordering; each prev_hash links to the previous entry; each entry hash recomputes;
// each artifact entry's content hash equals SHA-256 of the row it names, and every stored
// row is covered by exactly one entry; every join-key column equals its body's value;
// seals close the chain and their signatures verify. A chain is AUTHORITATIVE (or
// PARTIAL_AUTHORITATIVE with drops or breaks) only when its seal is signed by a key that
// `trusted` holds as "server".
// `progress` (optional) is called now and then on the calling thread with what has been
// checked of `total` (every entry and the row it covers).
using VerifyProgress = std::function<void(int64_t done, int64_t total)>;
Result<ChainVerifyReport> VerifyChains(Store& store, const TrustedKeys& trusted, const std::string& chain_id = "",
                                       const VerifyProgress& progress = {});

// The checks of VerifyChains that need no store, over the entries of one chain given in
// append order (an export's copy of a chain): sequence, links, entry hashes, seals and
// the evidence class. Rows are not checked here (the caller holds them, if any).
ChainReport VerifyChainEntries(const std::string& chain_id, const std::vector<LedgerEntry>& entries,
                               const TrustedKeys& trusted);

// One chain from its own entries only (sequence, links, entry hashes, seal and its
// signature, evidence class), not the rows they cover, which VerifyChains also checks:
// cheap enough for one decision's incident view. NotFound for a chain with no entries.
Result<ChainReport> ClassifyChain(Store& store, const TrustedKeys& trusted, const std::string& chain_id);

}  // namespace oep
