// `oep replay <id> --counterfactual --policy-bundle B`: re-decides one stored decision's
// recorded OPA input under a substituted policy bundle and reports what changed. The
// record validates against playbooks/schema/counterfactual_replay.v0.schema.json.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "store/store.h"
#include "util/status.h"

namespace oep {

inline constexpr std::string_view kCounterfactualSchemaPath = "playbooks/schema/counterfactual_replay.v0.schema.json";

struct CounterfactualOptions {
  std::string policy_bundle;  // .rego file or bundle directory
  std::string query = "data.oep.permissions.decision";
  // Fixed replay_timestamp_utc for byte-identical output; the current time when empty.
  std::string replay_timestamp_utc;
  bool strip_exclusions = false;  // drop the fields listed in determinism_exclusions
  // native | opa (the OPA CLI, see policy/opa_cli_engine.h) | both (run the two and
  // report any disagreement in "engine_comparison") | auto (opa when a binary is found).
  std::string engine = "native";
};

// Deterministic: a pure function of the stored evidence and the bundle. time.now_ns is
// pinned to the recorded decision time and other non-deterministic built-ins answer only
// from the packet's nd_builtin_cache; what cannot be answered makes the replay
// "evaluative" with the reason, never a live lookup.
Result<rapidjson::Document> CounterfactualReplay(Store& store, std::string_view decision_id,
                                                 const CounterfactualOptions& options);

std::string RenderCounterfactualHuman(const rapidjson::Value& record);

// The non-deterministic built-ins a bundle's source names (the OPA CLI cannot pin them).
std::vector<std::string> NonDeterministicBuiltinsIn(const std::string& bundle);

// Nanoseconds since the epoch of an RFC 3339 UTC timestamp ("2026-11-01T09:15:02Z").
std::optional<int64_t> ParseRfc3339Ns(std::string_view ts);

}  // namespace oep
