// `oep impact --policy-bundle B`: every stored decision (filtered) re-decided under B, and
// what would have changed. Streams in batches: memory does not grow with the store.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "store/store.h"
#include "util/status.h"

namespace oep {

struct ImpactOptions {
  std::string policy_bundle;
  std::string query = "data.oep.permissions.decision";
  Store::DecisionFilter filter;
  int examples = 10;      // flipped decision ids kept per transition (--limit)
  int batch_size = 900;   // OEP_SQLITE_BATCH_VARIABLE_LIMIT
  int threads = 2;
  std::string engine = "native";  // native | opa | auto (see counterfactual.h)
};

// The output of `oep impact`; ToJson is the "impact_report" of
// playbooks/schema/counterfactual_run.v0.schema.json and FromJson reads it back.
struct ImpactReport {
  std::string policy_bundle, bundle_digest, query, engine;
  Store::DecisionFilter filter;
  int64_t as_of_ledger_entry = 0;  // the store's last ledger entry when the run started
  int64_t total = 0, unchanged = 0, allow_to_deny = 0, deny_to_allow = 0, to_undefined = 0, other_changes = 0,
          evaluative = 0, errors = 0;
  // "original_rule -> counterfactual_rule" -> count, for decisions whose outcome changed.
  std::map<std::string, int64_t> rule_transitions;
  // transition ("allow->deny", ...) -> the first decision ids that took it.
  std::map<std::string, std::vector<std::string>> examples;
  std::vector<std::string> first_errors;
  std::string RenderHuman() const;
  std::string ToJson() const;
  static Result<ImpactReport> FromJson(const rapidjson::Value& report);
};

// Reads OEP_SQLITE_BATCH_VARIABLE_LIMIT: default 900, accepted 1..32766.
Result<int> BatchSizeFromEnv();

// `progress(done)` is called after each batch (the CLI prints it when stderr is a terminal).
Result<ImpactReport> RunImpact(Store& store, const ImpactOptions& options,
                               const std::function<void(int64_t)>& progress = {});

}  // namespace oep
