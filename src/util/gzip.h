// gzip decompression (zlib) for inputs that arrive compressed, such as OPA decision logs.
#pragma once

#include <string>
#include <string_view>

#include "util/status.h"

namespace oep {

// True when `bytes` start with the gzip magic number (1f 8b).
bool IsGzip(std::string_view bytes);

// Decompresses every gzip member in `bytes`. Errors name `what` and refuse output beyond
// `max_bytes` (a bound against decompression bombs).
Result<std::string> Gunzip(std::string_view bytes, const std::string& what, size_t max_bytes);

}  // namespace oep
