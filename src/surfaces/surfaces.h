// Counterfactual surfaces beyond the policy: `oep replay ID --counterfactual --substitute
// SURFACE=VALUE` (repeatable) re-derives one stored decision under a substituted budget
// cap, reservation, model, cache mode, credential lifetime, prompt, tool schema or
// workflow. Field names and meanings follow the reference implementation's v0.3
// counterfactual records (diff.budget_delta, diff.model_delta, diff.surface_delta,
// replay_metadata.substituted_surfaces).
//
// Deterministic surfaces are fixed rules over recorded fields: budget.per_run_cap_usd (over
// the run's recorded cost trace), reserve.usd (over the recorded committed cost),
// identity.credential_ttl_s (over the recorded decision times), cache=recorded. Evaluative
// surfaces need behaviour that was never recorded, so their result is a counterfactual
// estimate, each with its reason: model, cache=fresh (a fresh model call), prompt,
// tool_schema, workflow. A budget cap compared with a recorded pre-session cost projection is
// reported in diff.budget_delta.pre_session_projection, labelled evaluative there with its
// reason (the outcome itself follows the recorded cost trace).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

#include "policy/outcome.h"
#include "rego/value.h"
#include "store/store.h"
#include "util/status.h"

namespace oep {

struct Substitutions {
  std::optional<double> per_run_cap_usd, reserve_usd;
  std::optional<int64_t> credential_ttl_s;
  std::string model, cache, prompt, tool_schema, workflow;  // empty: not substituted
  // replay_metadata.substituted_surfaces: "budget" -> "per_run_cap_usd=0.005", "model" -> "...".
  std::vector<std::pair<std::string, std::string>> listed;
  bool empty() const { return listed.empty(); }
};

// Each argument "SURFACE=VALUE". InvalidArgument naming the argument and what was expected
// for an unknown surface, a bad value, or a surface given twice.
Result<Substitutions> ParseSubstitutions(const std::vector<std::string>& args);

// One step of a run's recorded cost trace (the run: stored decisions with the same
// trace_id, ordered by decision_time then decision id).
struct CostStep {
  std::string decision_id, decision_time;
  double cost_usd = 0;      // decision_id.cost.per_step_cost_usd (0 when not recorded)
  double cumulative_usd = 0;
  // decision_id.cost.reservation_committed_cost_usd, else per_step_cost_usd when recorded.
  std::optional<double> committed_usd;
};

// What one stored decision (and its run) recorded about the surfaces.
struct RecordedSurfaces {
  std::vector<CostStep> trace;  // the run up to and including this decision
  bool has_cost = false;        // this decision recorded per_step_cost_usd
  std::optional<double> reserved_usd, committed_usd, projected_max_usd;
  std::string model_alias, model_provider, model_version;
  std::string prompt_version, tool_schema_version, workflow_version, policy_version;
  std::optional<int64_t> credential_lifetime_s;  // scoped_credential_lifetime (ISO 8601)
  std::optional<int64_t> elapsed_s;               // from the run's first decision to this one
  std::string cache_hit_id, cache_status;
  int64_t step() const { return static_cast<int64_t>(trace.size()); }
};

// Reads `packet` (a stored permission packet) and, for the cost trace and elapsed time, the
// other decisions of its run; for the workflow version, its release manifest.
Result<RecordedSurfaces> ReadRecordedSurfaces(Store& store, std::string_view decision_id, const rapidjson::Value& packet);

// `input` with input.budget = {original_cumulative_usd, counterfactual_budget_cap_usd,
// per_step_cost_usd, step} added when the budget is substituted (what a substituted budget
// policy reads); `input` itself otherwise.
rego::Value WithSurfaceInput(const rego::Value& input, const Substitutions& subs, const RecordedSurfaces& rec);

// What the substituted deterministic surfaces decide without a substituted policy: the
// first that blocks the step (budget, reservation, credential), as a decision block.
std::optional<Outcome> SurfaceBlock(const Substitutions& subs, const RecordedSurfaces& rec);

// Why each substituted evaluative surface makes the replay evaluative.
std::vector<std::string> EvaluativeSurfaceReasons(const Substitutions& subs, const RecordedSurfaces& rec);

// Adds diff.budget_delta, reserve_delta, identity_delta, cache_delta, model_delta,
// surface_delta and workflow_delta (null when not substituted) to `diff`.
// `policy_before`/`policy_after`: the bundle digests when --policy-bundle substituted the policy.
void AddSurfaceDiff(const Substitutions& subs, const RecordedSurfaces& rec, const std::string& policy_before,
                    const std::string& policy_after, rapidjson::Value& diff, rapidjson::Document::AllocatorType& a);

// The deterministic surfaces (budget cap, reservation, credential lifetime) applied to a
// run's whole recorded trace: the run terminates at the first step any of them blocks.
struct BudgetRunReplay {
  std::string run_id;
  std::optional<double> cap_usd;
  double original_total_usd = 0, counterfactual_total_usd = 0;
  int64_t termination_step = 0;  // 0: no surface blocks a step
  std::string termination_code;  // BUDGET_EXCEEDED | RESERVATION_EXCEEDED | CREDENTIAL_EXPIRED
  std::vector<CostStep> trace;
  // {"budget": {...}, "cost_trace": [...]} as the reference's budget_per_run record.
  void ToJson(rapidjson::Value* out, rapidjson::Document::AllocatorType& a) const;
};
BudgetRunReplay ReplayBudgetOverRun(std::string run_id, std::vector<CostStep> trace, const Substitutions& subs);

// Every stored decision's cost step grouped by run (trace_id), each run ordered by
// (decision_time, decision id); `run_id` non-empty: that run only (NotFound when it has
// no stored decision).
Result<std::vector<std::pair<std::string, std::vector<CostStep>>>> LoadCostTraces(Store& store, const std::string& run_id);

}  // namespace oep
