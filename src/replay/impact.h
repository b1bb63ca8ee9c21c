// `oep impact --policy-bundle B [--baseline-bundle A]`: every stored decision (filtered)
// re-decided under B at the query it was recorded at, compared with what was recorded
// (or, with a baseline, with A over the same recorded inputs: what a policy change
// changes, independent of history). Streams in batches: memory does not grow with the store.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "policy/policy_engine.h"
#include "store/store.h"
#include "util/status.h"

namespace oep {

struct ImpactOptions {
  PolicyEngineConfig engine;           // the substituted bundle and the engine deciding it
  std::string baseline_bundle;         // empty: compare with the recorded outcomes
  std::string query;                   // empty: each decision's recorded query
  Store::DecisionFilter filter;
  int examples = 10;      // flipped decision ids kept per transition (--limit)
  int batch_size = 900;   // OEP_SQLITE_BATCH_VARIABLE_LIMIT
  int threads = 2;
};

// Counts of one group of decisions. `changed` is every decision whose outcome differs.
struct ImpactCounts {
  int64_t total = 0, unchanged = 0, allow_to_deny = 0, deny_to_allow = 0, to_undefined = 0, other_changes = 0,
          evaluative = 0, errors = 0, disagreements = 0;
  int64_t changed() const { return allow_to_deny + deny_to_allow + to_undefined + other_changes; }
};

// The output of `oep impact`; ToJson is the "impact_report" of
// playbooks/schema/counterfactual_run.v0.schema.json and FromJson reads it back.
struct ImpactReport {
  std::string policy_bundle, bundle_digest, baseline_bundle, baseline_digest, query, engine;
  Store::DecisionFilter filter;
  int64_t as_of_ledger_entry = 0;  // the store's last ledger entry when the run started
  ImpactCounts counts;
  std::map<std::string, ImpactCounts> by_query;  // the query each decision was re-decided at
  // "original_rule -> counterfactual_rule" -> count, for decisions whose outcome changed.
  std::map<std::string, int64_t> rule_transitions;
  // Changed decisions by the tool, the actor and the original rule.
  std::map<std::string, int64_t> changed_by_tool, changed_by_actor, changed_by_rule;
  // transition ("allow->deny", ...) -> the first decision ids that took it.
  std::map<std::string, std::vector<std::string>> examples;
  std::vector<std::string> first_errors, first_disagreements;

  std::string RenderHuman() const;
  std::string RenderMarkdown() const;  // to paste into a pull request
  std::string ToJson() const;
  static Result<ImpactReport> FromJson(const rapidjson::Value& report);
};

// Reads OEP_SQLITE_BATCH_VARIABLE_LIMIT: default 900, accepted 1..32766.
Result<int> BatchSizeFromEnv();

// `progress(done)` is called after each batch (the CLI prints it when stderr is a terminal).
Result<ImpactReport> RunImpact(Store& store, const ImpactOptions& options,
                               const std::function<void(int64_t)>& progress = {});

// --fail-on: a comma-separated list of allow->deny, deny->allow, changed, error, disagreement.
// Returns the conditions of `list` the report meets (empty: the gate passes).
Result<std::vector<std::string>> FailOnConditions(const ImpactReport& report, const std::string& list);

}  // namespace oep
