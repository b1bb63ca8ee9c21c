// Bounded reading of JSON inputs that may arrive gzip-compressed (zlib), such as OPA
// decision logs: decompressed as a stream, so memory is bounded by the limits, never by
// what a file expands to.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "util/status.h"

namespace oep {

// True when `bytes` start with the gzip magic number (1f 8b).
bool IsGzip(std::string_view bytes);

struct InputLimits {
  size_t max_total_bytes = size_t{1} << 30;   // the whole (decompressed) text: 1 GiB
  size_t max_record_bytes = size_t{8} << 20;  // one record: 8 MiB
};

// Reads the regular file at `path` as text, decompressing every gzip member as a stream
// when it starts with the gzip magic number. A record is a line of JSON lines, or one
// element of a top-level JSON array (the text's first non-blank byte is '['; elements are
// framed by their commas at depth 1, outside strings). Refuses the file (InvalidArgument
// naming it, the limit and where) as soon as the text passes max_total_bytes or one
// record passes max_record_bytes, before reading further; a gzip stream that is corrupt
// or ends inside a member is refused too. Never opens a FIFO or device (see ReadFile).
Result<std::string> ReadBoundedText(const std::string& path, const InputLimits& limits);

// The decompressed bytes of the gzip data `bytes` (`what` names it in errors), refused as
// soon as they pass `max_bytes`; a corrupt or truncated stream is refused too.
Result<std::string> GunzipBounded(std::string_view bytes, const std::string& what, size_t max_bytes);

}  // namespace oep
