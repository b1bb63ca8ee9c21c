#include "json/json_pointer.h"

namespace oep::json {

std::vector<std::string> SplitPointer(std::string_view pointer) {
  std::vector<std::string> out;
  if (pointer.empty()) return out;
  if (pointer[0] == '/') pointer.remove_prefix(1);
  std::string segment;
  for (size_t i = 0;; ++i) {
    if (i == pointer.size() || pointer[i] == '/') {
      out.push_back(std::move(segment));
      segment.clear();
      if (i == pointer.size()) break;
    } else if (pointer[i] == '~' && i + 1 < pointer.size() && (pointer[i + 1] == '0' || pointer[i + 1] == '1')) {
      segment += pointer[++i] == '1' ? '/' : '~';
    } else {
      segment += pointer[i];
    }
  }
  return out;
}

}  // namespace oep::json
