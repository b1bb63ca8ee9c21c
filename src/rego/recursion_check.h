// The recursion check, a compile pass: a rule (document) that depends on itself, through
// refs and calls of any depth, is a rego_recursion_error naming the cycle, as in OPA.
#pragma once

#include <optional>

#include "rego/compiled_policy.h"
#include "rego/error.h"

namespace oep::rego {

std::optional<RegoError> CheckRecursion(const Engine::Impl& impl);

}  // namespace oep::rego
