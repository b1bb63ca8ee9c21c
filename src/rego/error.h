// Errors as data carrying OPA's code strings.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "rego/ast.h"

namespace oep::rego {

struct RegoError {
  RegoError() = default;
  RegoError(std::string code_, std::string message_, std::string file_, Location loc_)
      : code(std::move(code_)), message(std::move(message_)), file(std::move(file_)), loc(loc_) {}

  std::string code;     // rego_parse_error, rego_compile_error, eval_conflict_error, ...
  std::string message;
  std::string file;
  Location loc;
  // Further lines OPA prints under the message (type errors: have / want).
  std::vector<std::string> details;

  // OPA's text form: "file:row: code: message", then each detail line indented by a tab.
  std::string Text() const {
    std::string out = file + ":" + std::to_string(loc.row) + ": " + code + ": " + message;
    for (const auto& line : details) out += "\n\t" + line;
    return out;
  }
};

}  // namespace oep::rego
