// Random bytes from OpenSSL's CSPRNG.
#pragma once

#include <cstddef>
#include <string>

#include "util/status.h"

namespace oep::crypto {

// `bytes` random bytes as lowercase hex (2 * bytes digits).
Result<std::string> RandomHex(size_t bytes);

}  // namespace oep::crypto
