// `oep impact --substitute budget.per_run_cap_usd=X [--run RUN] [--policy-bundle B]`: the cap
// applied to whole runs' recorded cost traces: at which step each run would have terminated,
// with which code, and what it would have cost. reserve.usd and identity.credential_ttl_s
// combine with it (the first step any of them blocks ends the run); the evaluative surfaces
// are refused here (they replay one decision at a time). With --run, the run's cost trace step by
// step (the reference's budget_per_run record: budget, cost_trace) and, with a policy
// bundle, each step's counterfactual replay under it (step_outputs).
#pragma once

#include <string>

#include <rapidjson/document.h>

#include "replay/counterfactual.h"
#include "store/store.h"
#include "util/status.h"

namespace oep {

struct BudgetImpactOptions {
  std::vector<std::string> substitute;  // budget.per_run_cap_usd, reserve.usd, identity.credential_ttl_s
  std::string run_id;                   // empty: every run of the store
  CounterfactualOptions step_replay;    // with --run and a bundle: how each step is replayed
};

// Deterministic: a function of the stored decisions and the cap.
Result<rapidjson::Document> RunBudgetImpact(Store& store, const BudgetImpactOptions& options);

std::string RenderBudgetImpactHuman(const rapidjson::Value& report);

}  // namespace oep
