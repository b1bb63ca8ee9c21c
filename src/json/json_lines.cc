#include "json/json_lines.h"

namespace oep::json {

Status ForEachLine(std::string_view text, FunctionRef<Status(std::string_view line, int64_t line_number)> visit) {
  int64_t number = 0;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    Status s = visit(line, number);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace oep::json
