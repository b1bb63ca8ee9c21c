// `oep replay <id> --counterfactual --policy-bundle B`: re-decides one stored decision's
// recorded OPA input under a substituted policy bundle and reports what changed. The
// record validates against playbooks/schema/counterfactual_replay.v0.schema.json.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "policy/policy_engine.h"
#include "store/store.h"
#include "util/status.h"

namespace oep {

inline constexpr std::string_view kCounterfactualSchemaPath = "playbooks/schema/counterfactual_replay.v0.schema.json";

struct CounterfactualOptions {
  PolicyEngineConfig engine;  // the substituted bundle (.rego file or directory) and engine
  std::string query;          // empty: the query the decision was recorded at
  // Fixed replay_timestamp_utc for byte-identical output; the current time when empty.
  std::string replay_timestamp_utc;
  bool strip_exclusions = false;  // drop the fields listed in determinism_exclusions
  // --substitute SURFACE=VALUE (src/surfaces/surfaces.h); with substitutions the policy
  // bundle may be empty: the recorded policy's outcome, unless a substituted surface blocks.
  std::vector<std::string> substitute;
};

// Deterministic: a pure function of the stored evidence and the bundle. time.now_ns is
// pinned to the recorded decision time and other non-deterministic built-ins answer only
// from the packet's nd_builtin_cache; what cannot be answered makes the replay
// "evaluative" with the reason, never a live lookup.
Result<rapidjson::Document> CounterfactualReplay(Store& store, std::string_view decision_id,
                                                 const CounterfactualOptions& options);

std::string RenderCounterfactualHuman(const rapidjson::Value& record);



}  // namespace oep
