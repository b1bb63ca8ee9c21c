// A module's syntax tree as the JSON value OPA gives it (rego.parse_module): terms as
// {"type", "value"}, expressions as {"index", "terms"}, rules as {"head", "body"}.
#pragma once

#include "rego/ast.h"

namespace oep::rego {

Value ModuleAst(const Module& module);

}  // namespace oep::rego
