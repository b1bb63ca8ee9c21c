// The rows a ledger chain covers, read back with the entries that cover them: what an
// export or an exposure audit of one run works over. Read-only; scoped to the store's tenant.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"
#include "util/status.h"

namespace oep {

// One stored row and the artifact entry covering it. `body` is the stored bytes
// (canonical JSON for every table a run chain holds).
struct CoveredRecord {
  std::string table, id, digest, source, body;
  LedgerEntry entry;
};

struct ChainContents {
  std::string chain_id;
  std::vector<LedgerEntry> entries;     // every entry of the chain, in append order
  std::vector<CoveredRecord> records;   // rows of its artifact entries that are stored
  std::vector<std::string> missing;     // "table/id" of artifact entries whose row is gone, without a tombstone
  // Rows retention deleted (format 7): their tombstones, with the entries that covered them.
  struct Tombstoned {
    Tombstone tombstone;
    LedgerEntry entry;
  };
  std::vector<Tombstoned> tombstoned;
};

// The entries and rows of `chain_id` (already tenant-qualified, see TenantChain). NotFound
// when the chain has no entries.
Result<ChainContents> ReadChain(Store& store, const std::string& chain_id);

// The row `table`/`id` of the scoped tenant (artifact kinds, decision_inputs, runs);
// nullopt when not stored or of a table this reader does not cover.
Result<std::optional<StoredArtifact>> ReadRow(Store& store, const std::string& table, const std::string& id);

// The artifact entry of `chain_id` covering `table`/`id`, scanning the chain.
Result<std::optional<LedgerEntry>> FindCoveringEntry(Store& store, const std::string& chain_id, const std::string& table,
                                                     const std::string& id);

}  // namespace oep
