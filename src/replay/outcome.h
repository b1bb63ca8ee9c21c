// A decision's outcome as oep compares them: allow / deny / undefined plus the matched
// rule, reason and decision code of a decision object (or a bare boolean).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "rego/value.h"

namespace oep {

struct Outcome {
  std::string decision;  // allow | deny | undefined
  std::optional<bool> allow;
  std::string matched_rule, reason, decision_code;
  bool has_matched_rule = false, has_reason = false, has_code = false;

  static Outcome FromJson(const rapidjson::Value* v);  // nullptr: undefined
  static Outcome FromRego(const rego::Value* v);       // nullptr: undefined
  // The fields that differ from `other`: allow, matched_rule, reason, decision_code.
  std::vector<std::string> ChangedFields(const Outcome& other) const;
};

// The decision a stored permission packet records: for a packet imported from an OPA
// decision log, the logged result (no result: undefined); otherwise its decision block.
Outcome RecordedOutcome(const rapidjson::Value& packet);

// Why the packet's recorded OPA input is not the input the policy saw: fields the decision
// logger erased or masked. Non-empty makes any re-decision of the packet evaluative.
std::vector<std::string> RecordedInputRedactions(const rapidjson::Value& packet);

}  // namespace oep
