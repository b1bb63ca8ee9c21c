// Ed25519 signatures through OpenSSL, for chain seals.
#pragma once

#include <string>
#include <string_view>

#include "util/status.h"

namespace oep::crypto {

struct Ed25519Signature {
  std::string public_key_hex;  // 32-byte raw public key
  std::string signature_hex;   // 64-byte signature
};

// Signs `message` with the Ed25519 private key in the PEM file `key_path`
// (e.g. made by `openssl genpkey -algorithm ed25519 -out key.pem`).
Result<Ed25519Signature> SignEd25519(const std::string& key_path, std::string_view message);

// True when `signature_hex` is a valid signature of `message` under `public_key_hex`.
bool VerifyEd25519(std::string_view public_key_hex, std::string_view message, std::string_view signature_hex);

}  // namespace oep::crypto
