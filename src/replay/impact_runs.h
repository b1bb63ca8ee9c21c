// Saved counterfactual runs: `oep impact --save` stores an impact report as an
// oep.counterfactual_run.v0 artifact (ingested, validated and ledgered like any other);
// `oep impact list` and `oep impact show` read them back.
#pragma once

#include <string>
#include <vector>

#include "replay/impact.h"
#include "store/store.h"
#include "util/status.h"

namespace oep {

struct SavedImpactRun {
  std::string run_id, created_at, label;
  ImpactReport report;
  std::string RenderHuman() const;
  std::string ToJson() const;  // the stored artifact (canonical JSON)
};

// Stores `report` as a counterfactual run created at `created_at` (RFC 3339 UTC) in one
// batch; the run id is derived from the content, so saving the same run twice stores it once.
Result<SavedImpactRun> SaveImpactRun(Store& store, const ImpactReport& report, const std::string& created_at,
                                     const std::string& label);

// Every saved run, oldest first (created_at, then run id).
Result<std::vector<SavedImpactRun>> ListImpactRuns(Store& store);
// A table of the runs for a terminal, or as markdown.
std::string RenderImpactRunList(const std::vector<SavedImpactRun>& runs, bool markdown = false);

// NotFound (with the closest run ids) when `run_id` is not stored.
Result<SavedImpactRun> LoadImpactRun(Store& store, const std::string& run_id);

}  // namespace oep
