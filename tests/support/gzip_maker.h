// Test data: gzip files made with zlib, including decompression bombs.
#pragma once

#include <string>
#include <string_view>

namespace oep::test {

// One gzip member holding `text` (zlib, best compression).
std::string GzipMember(std::string_view text);

// `copies` concatenated gzip members of `block`: decompresses to block.size() * copies
// bytes while the file stays about copies * GzipMember(block).size() bytes.
std::string GzipRepeated(std::string_view block, size_t copies);

}  // namespace oep::test
