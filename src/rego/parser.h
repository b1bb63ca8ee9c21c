// Rego v1 source text to modules, queries and terms. Errors carry OPA's rego_parse_error.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "rego/ast.h"
#include "rego/error.h"

namespace oep::rego {

template <typename T>
using ParseResult = std::variant<T, RegoError>;

enum class RegoVersion { kV1, kV0 };

// kV0 (`--v0-compatible`): rule bodies without `if`, and `p[x] { ... }` without a value
// defines the partial set p (in v1 it is the object p with p[x] = true).
ParseResult<Module> ParseModule(std::string_view text, const std::string& file, RegoVersion version = RegoVersion::kV1);
ParseResult<Body> ParseQuery(std::string_view text);
ParseResult<TermPtr> ParseTerm(std::string_view text);

}  // namespace oep::rego
