#include "util/gzip.h"

#include <zlib.h>

namespace oep {

bool IsGzip(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f && static_cast<unsigned char>(bytes[1]) == 0x8b;
}

Result<std::string> Gunzip(std::string_view bytes, const std::string& what, size_t max_bytes) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return Status::IOError(what + ": cannot start gzip decompression");
  std::string out;
  char buf[1 << 16];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  int rc = Z_OK;
  for (;;) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    out.append(buf, sizeof buf - z.avail_out);
    if (out.size() > max_bytes) {
      inflateEnd(&z);
      return Status::InvalidArgument(what + ": decompresses to more than " + std::to_string(max_bytes >> 20) + " MiB");
    }
    if (rc == Z_STREAM_END) {
      if (z.avail_in == 0) break;
      if (inflateReset(&z) != Z_OK) break;  // concatenated gzip members
      continue;
    }
    if (z.avail_in == 0 && z.avail_out != 0) {
      rc = Z_DATA_ERROR;  // input ended inside a member
      break;
    }
  }
  std::string why = z.msg ? z.msg : "truncated";
  inflateEnd(&z);
  if (rc != Z_STREAM_END) return Status::InvalidArgument(what + ": not a complete gzip stream (zlib: " + why + ")");
  return out;
}

}  // namespace oep
