#include "crypto/random.h"

#include <openssl/rand.h>

#include "crypto/encoding.h"

namespace oep::crypto {

Result<std::string> RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    return Status::IOError("cannot draw random bytes (OpenSSL RAND_bytes failed)");
  }
  return HexEncode(raw);
}

}  // namespace oep::crypto
