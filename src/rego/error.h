// Errors as data carrying OPA's code strings.
#pragma once

#include <string>

#include "rego/ast.h"

namespace oep::rego {

struct RegoError {
  std::string code;     // rego_parse_error, rego_compile_error, eval_conflict_error, ...
  std::string message;
  std::string file;
  Location loc;
};

}  // namespace oep::rego
