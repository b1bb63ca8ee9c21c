// OPA's compile-time type check, on bodies already ordered by the safety check: types flow
// from literals, built-in results and ref iteration into variables; a built-in argument
// whose type cannot be what the built-in declares ("plus: invalid argument(s)"), an
// equality of terms of disjoint types ("match error") and a ref into a value that cannot
// have the key ("undefined ref") are rego_type_error. Documents rules define have the type
// their heads give them; input and base data are of any type.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "rego/ast.h"
#include "rego/error.h"
#include "rego/types.h"

namespace oep::rego {

struct TypeCheckScope {
  // Names that are never local variables here: input, data, the package's rules, imports.
  std::function<bool(const std::string&)> is_global;
  // The built-in a call term names ("" when it calls a user function or nothing known).
  std::function<std::string(const Term& call)> builtin_name;
  // For a ref (or var) whose leading items name a document rules define: its type, and
  // how many items (head included) name it; nullptr otherwise (the type is then any).
  std::function<types::TypePtr(const TermPtr& ref, size_t* consumed)> document_type;
  std::string file;
};

// The first type error in `rule` (and its else chain), if any; else *head_type is the type
// of the document value the rule defines (a set's, an object's, a complete rule's value;
// any for functions and for refs with more than one variable key).
std::optional<RegoError> CheckRuleTypes(const Rule& rule, const TypeCheckScope& scope, types::TypePtr* head_type);
// The first type error in a query body, if any.
std::optional<RegoError> CheckBodyTypes(const Body& body, const TypeCheckScope& scope);

}  // namespace oep::rego
