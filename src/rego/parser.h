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

ParseResult<Module> ParseModule(std::string_view text, const std::string& file);
ParseResult<Body> ParseQuery(std::string_view text);
ParseResult<TermPtr> ParseTerm(std::string_view text);

}  // namespace oep::rego
