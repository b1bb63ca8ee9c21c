// The declared argument and result types of the built-ins (OPA's declarations, in the
// notation of rego/types.h), read by the compile-time type check.
#pragma once

#include <string_view>
#include <vector>

#include "rego/types.h"

namespace oep::rego {

struct BuiltinSignature {
  std::vector<types::TypePtr> args;
  types::TypePtr result;
};

// nullptr for names without a declaration (their calls are not type-checked).
const BuiltinSignature* SignatureOf(std::string_view name);

}  // namespace oep::rego
