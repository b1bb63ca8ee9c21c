#include "chain_rows/chain_rows.h"

#include <string_view>

namespace oep {

Result<std::optional<StoredArtifact>> ReadRow(Store& store, const std::string& table, const std::string& id) {
  for (const auto& spec : AllKinds()) {
    if (spec.table == table) return store.Get(spec.kind, id);
  }
  if (table == "decision_inputs") return store.GetDecisionInput(id);
  if (table == "runs") {
    auto run = store.GetRun(id);
    if (!run.ok()) return run.status();
    if (!*run) return std::optional<StoredArtifact>();
    const RunRecord& r = (*run)->run;
    return std::optional<StoredArtifact>(StoredArtifact{r.run_id, r.digest, r.body, r.source});
  }
  return std::optional<StoredArtifact>();
}

Result<ChainContents> ReadChain(Store& store, const std::string& chain_id) {
  ChainContents out;
  out.chain_id = chain_id;
  OEP_RETURN_IF_ERROR(store.ForEachLedgerEntry(chain_id, [&](LedgerEntry& e) {
    out.entries.push_back(std::move(e));
    return Status::Ok();
  }));
  if (out.entries.empty()) return Status::NotFound("no ledger chain \"" + chain_id + "\" in " + store.path());
  for (const auto& e : out.entries) {
    if (e.kind != "artifact") continue;
    auto row = ReadRow(store, e.artifact_table, e.artifact_id);
    if (!row.ok()) return row.status();
    if (!*row) {
      auto tombstone = store.GetTombstone(e.artifact_table, e.artifact_id);
      if (!tombstone.ok()) return tombstone.status();
      if (*tombstone) out.tombstoned.push_back({std::move(**tombstone), e});
      else out.missing.push_back(e.artifact_table + "/" + e.artifact_id);
      continue;
    }
    out.records.push_back({e.artifact_table, e.artifact_id, (*row)->digest, (*row)->source, std::move((*row)->body), e});
  }
  return out;
}

Result<std::optional<LedgerEntry>> FindCoveringEntry(Store& store, const std::string& chain_id, const std::string& table,
                                                     const std::string& id) {
  std::optional<LedgerEntry> found;
  OEP_RETURN_IF_ERROR(store.ForEachLedgerEntry(chain_id, [&](LedgerEntry& e) {
    if (!found && e.kind == "artifact" && e.artifact_table == table && e.artifact_id == id) found = std::move(e);
    return Status::Ok();
  }));
  return found;
}

}  // namespace oep
