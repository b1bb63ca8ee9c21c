// One stored decision as replay, impact and verify read it — the recorded input, the query
// it was decided at, the recorded outcome, the pinned time, the recorded answers of
// non-deterministic built-ins and what the decision logger redacted — read once from the
// packet, instead of each verb picking fields out of JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/outcome.h"
#include "rego/input_paths.h"
#include "rego/value.h"
#include "util/status.h"

namespace oep {

// Where a decision's query comes from, in this order: the packet's `policy.query`; for a
// packet imported from an OPA decision log, the logged `path` (or ad-hoc `query`); else
// the reference convention `<policy.package>.decision`.
enum class QuerySource { kRecorded, kDecisionLogPath, kPackageConvention };
const char* QuerySourceName(QuerySource s);  // recorded | decision log path | policy.package + ".decision"

struct StoredDecision {
  std::string id;
  std::string query;
  QuerySource query_source = QuerySource::kPackageConvention;
  Outcome recorded;                    // the logged result, or the packet's decision block
  std::optional<rego::Value> input;    // the recorded OPA input (inline or stored beside)
  std::string decision_time;
  std::optional<int64_t> pinned_time_ns;  // decision_time, when RFC 3339
  std::optional<rego::Value> nd_builtin_cache;
  // Why the recorded input is not the input the policy saw (fields the decision logger
  // erased or masked); non-empty makes any re-decision evaluative.
  std::vector<std::string> redactions;
  std::string tool, actor;  // tool.name, actor.id
  bool imported_from_decision_log = false;
};

// `packet` is a stored permission packet (its JSON text); `detached_input` the OPA input
// stored beside it (JSON text), or nullptr. Numbers in the input keep their exact value.
// With `input_read` (what the re-deciding policy can read, rego/input_paths.h), only those
// parts of the input are built, unless the decision's query may read input itself.
// Corruption when the packet is not a JSON object.
Result<StoredDecision> ReadStoredDecision(std::string_view id, std::string_view packet, const std::string* detached_input,
                                          const rego::InputPaths* input_read = nullptr);

// "a/b/c" (an OPA decision-log path) -> "data.a.b.c"; segments that are not identifiers
// become ["..."] keys.
std::string DecisionPathToQuery(std::string_view path);

}  // namespace oep
