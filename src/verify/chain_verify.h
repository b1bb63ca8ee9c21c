// `oep verify --chain`: recomputes the ledger from the stored rows and classifies each chain.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/store.h"
#include "util/status.h"

namespace oep {

enum class EvidenceClass { kAuthoritative, kPartialAuthoritative, kNonAuthoritative };
const char* EvidenceClassName(EvidenceClass c);  // "AUTHORITATIVE", ...

struct ChainReport {
  std::string chain_id;
  int64_t entries = 0;
  int64_t drops = 0;   // drop entries
  int64_t breaks = 0;  // break entries
  bool sealed = false;
  std::string authority;  // of the seal
  EvidenceClass evidence_class = EvidenceClass::kNonAuthoritative;
  bool ok = true;
  int64_t failed_seq = 0;  // first broken entry
  std::string failure;     // why it is broken
};

struct ChainVerifyReport {
  std::vector<ChainReport> chains;  // sorted by chain id
  int64_t entries = 0;
  int64_t covered_rows = 0;
  std::vector<std::string> coverage_failures;  // stored rows without an entry, entries without a row
  // Passes when every chain and the coverage check pass (and, with reject_local, every
  // chain is authoritative or partially authoritative).
  bool ok(bool reject_local_authority) const;
  // One line per chain (all when `all_chains` or few; else failures), coverage, summary.
  std::string Render(bool all_chains, bool reject_local_authority) const;
};

// Verifies every chain (or only `chain_id`): sequence without gaps, duplicates or
// reordering; each prev_hash links to the previous entry; each entry hash recomputes;
// each artifact entry's content hash equals SHA-256 of the row it names, and every stored
// row is covered by exactly one entry; seals close the chain and their signatures verify.
Result<ChainVerifyReport> VerifyChains(Store& store, const std::string& chain_id = "");

}  // namespace oep
