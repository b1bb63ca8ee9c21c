// A decision's outcome as a value: defined (any JSON value — a boolean, an object with
// `allow`, a set of violation messages, ...), undefined, or an evaluation error. `false`
// is a value (a deny), never undefined.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "rego/value.h"

namespace oep {

struct Outcome {
  enum class Kind { kUndefined, kDefined, kError };
  Kind kind = Kind::kUndefined;
  std::optional<rego::Value> value;  // when defined
  std::string ValueJson() const { return value ? value->ToJson() : ""; }  // sorted keys, sets as arrays
  std::string error;       // "code: message" when an error
  // A recorded decision block (allow, matched_rule, reason, decision_code) summarises the
  // value rather than holding it: only those fields are compared.
  bool summary_only = false;
  // The decision read from a defined value that is a boolean, or an object with a boolean
  // "allow" (and string matched_rule / reason / decision_code, when present).
  std::optional<bool> allow;
  std::string matched_rule, reason, decision_code;
  bool has_matched_rule = false, has_reason = false, has_code = false;
  // allow | deny (a decision) | value (defined, not a decision) | undefined | error
  std::string decision = "undefined";

  static Outcome Undefined();
  static Outcome Error(std::string message);
  static Outcome FromJson(const rapidjson::Value* v);  // nullptr: undefined
  static Outcome FromRego(const rego::Value* v);       // nullptr: undefined
  // A recorded decision block of a permission packet (summary_only).
  struct DecisionBlock {
    std::optional<bool> allow;
    std::optional<std::string> matched_rule, reason, decision_code;
  };
  static Outcome FromDecisionBlock(DecisionBlock block);  // its strings are moved into the outcome

  // What differs from `other`: "outcome" (defined / undefined / error), the decision
  // fields allow, matched_rule, reason, decision_code, and "value" when two defined values
  // differ beyond those fields (not compared when either side is a summary). Empty: same.
  std::vector<std::string> ChangedFields(const Outcome& other) const;
};

}  // namespace oep
