// GraphQL for the graphql.* built-ins: a parser for schema (SDL) and query documents that
// produces the JSON shape OPA returns (gqlparser's AST with positions, nulls and empty
// lists pruned), and the schema and query validation OPA applies (gqlparser's rules, the
// subset README.md lists). Documents given as objects are read in that same shape.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "rego/value.h"

namespace oep::rego::graphql {

struct SyntaxError {
  std::string message;  // gqlparser's text, e.g. "Expected Name, found |"
  int line = 0, column = 0;
};

std::variant<Value, SyntaxError> ParseSchema(std::string_view text);
std::variant<Value, SyntaxError> ParseQuery(std::string_view text);

// The first problem of a schema document (merged with GraphQL's built-in definitions), or
// nullopt when it is a valid schema.
std::optional<std::string> ValidateSchema(const Value& schema_document);
struct Finding {
  std::string message;
  bool in_schema = false;  // the schema document's problem, else the query's
};
// The first problem of the schema document or, when it is valid, of the query against it;
// nullopt when both are valid. The schema is built once.
std::optional<Finding> Validate(const Value& query_document, const Value& schema_document);

}  // namespace oep::rego::graphql
