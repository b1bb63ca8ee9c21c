// The subset of the `opa eval` and `opa test` command lines that oep's OPA engine uses,
// answered by the native engine with OPA's output shapes and exit codes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "rego/engine.h"

namespace oep::rego {

struct OpaEvalOptions {
  std::vector<std::string> data;     // --data paths
  std::vector<std::string> bundles;  // --bundle directories (see LoadOptions::bundles)
  std::optional<std::string> input_file;
  bool stdin_input = false;
  bool fail = false;          // exit 1 when undefined
  bool fail_defined = false;  // exit 1 when defined
  bool strict_builtin_errors = false;
  bool v0_compatible = false;
  std::string format = "json";  // json | raw | pretty, as `opa eval --format`
  std::string query;
  int64_t max_memory_bytes = kDefaultMaxMemoryBytes;  // EvalOptions::max_memory_bytes
};

struct CliOutput {
  std::string out;
  std::string err;
  int exit_code = 0;
};

// json: {"result":[{"expressions":[{"value","text","location"}],"bindings":{}}]}, "{}" when
// undefined; raw: one line per result, its expression values separated by spaces (strings
// unquoted), nothing when undefined; pretty: one value as indented JSON, bindings as a
// table, "undefined". Errors: {"errors":[{"message","code","location"}]} with exit 2.
// A query expression's value is OPA's: `false` is a value (see Engine::Query).
CliOutput OpaEval(const OpaEvalOptions& options);


}  // namespace oep::rego
