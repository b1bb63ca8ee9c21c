// Which names a rule's own scope declares: OPA resolves a name to a package rule or an
// import only when neither the rule's arguments nor its body's declarations (`some`, `:=`,
// `some ... in`, `every`, outside comprehensions) make it a local variable.
#pragma once

#include <set>
#include <string>

#include "rego/ast.h"

namespace oep::rego {

// The vars of `rule`'s arguments (object values, not keys) and of every declaration in its
// body and those of its else alternatives.
std::set<std::string, std::less<>> RuleLocalNames(const Rule& rule);

}  // namespace oep::rego
