// RFC 6901 JSON pointers as segments.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace oep::json {

// The unescaped segments of a JSON pointer ("/a/b~1c" -> {"a", "b/c"}; "" -> {}; "/" ->
// {""}); a missing leading "/" is tolerated ("a/b" -> {"a", "b"}). Escaping a segment is
// EscapePointerSegment (json.h).
std::vector<std::string> SplitPointer(std::string_view pointer);

}  // namespace oep::json
