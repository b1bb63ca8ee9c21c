// JSON Lines (one JSON text per line), as the importers and verifiers read them: lines
// split at '\n', numbered from 1, blank lines (spaces, tabs, a CR) skipped, a last line
// without a line break included.
#pragma once

#include <cstdint>
#include <string_view>

#include "util/function_ref.h"
#include "util/status.h"

namespace oep::json {

// Calls visit(line, line_number) for each non-blank line of `text` in order (the line
// without its '\n'; a trailing CR is kept for the JSON parser to skip as whitespace).
// Stops at, and returns, the first status that is not ok.
Status ForEachLine(std::string_view text, FunctionRef<Status(std::string_view line, int64_t line_number)> visit);

}  // namespace oep::json
