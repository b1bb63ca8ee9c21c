// Rego's safety rule, checked at compile time: every variable must be bound by some
// expression before an expression that only reads it. Bodies are reordered (stably: an
// expression moves only past the expressions that bind what it reads) so that evaluation can
// run them in sequence; a variable no expression can bind is an error, as in OPA
// ("var x is unsafe", rego_unsafe_var_error), even in a rule no query ever evaluates.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>

#include "rego/ast.h"
#include "rego/error.h"

namespace oep::rego {

struct SafetyScope {
  // Names that are never local variables here: input, data, the package's rules, imports.
  std::function<bool(const std::string&)> is_global;
  // The declared number of arguments of the function a call term names (built-in or user
  // function), or nullopt when unknown; a call with one argument more binds its last one.
  std::function<std::optional<int>(const Term& call)> arity;
  // Whether `t` (a `with` value) names a built-in or a function rather than a value.
  std::function<bool(const TermPtr& t)> names_function;
  std::string file;
};

// Reorders `rule`'s body (and, recursively, the bodies of its comprehensions and `every`
// expressions) and checks that its head's variables are bound.
std::optional<RegoError> CheckRuleSafety(Rule& rule, const SafetyScope& scope);

}  // namespace oep::rego
