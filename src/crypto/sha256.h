// SHA-256 through OpenSSL.
#pragma once

#include <string>
#include <string_view>

namespace oep::crypto {

// Lowercase hex SHA-256 of `data` (64 characters).
std::string Sha256Hex(std::string_view data);
// The 32 raw bytes of SHA-256 of `data`.
std::string Sha256Raw(std::string_view data);

// "sha256:<hex>": the digest notation used by manifests, packets and the store.
std::string Sha256Digest(std::string_view data);

// Incremental hashing for streams (file contents, canonical dumps).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(std::string_view data);
  std::string FinishHex();
  std::string FinishRaw();  // 32 raw bytes; either Finish ends the hash

 private:
  struct Impl;
  Impl* impl_;
};

}  // namespace oep::crypto
