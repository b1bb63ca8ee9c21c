// Ed25519 keys and signatures through OpenSSL, for chain seals and checkpoints.
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
// (made by `oep keys generate` or `openssl genpkey -algorithm ed25519 -out key.pem`).
Result<Ed25519Signature> SignEd25519(const std::string& key_path, std::string_view message);

// True when `signature_hex` is a valid signature of `message` under `public_key_hex`.
bool VerifyEd25519(std::string_view public_key_hex, std::string_view message, std::string_view signature_hex);

// A fresh Ed25519 private key as PKCS#8 PEM text ("-----BEGIN PRIVATE KEY-----").
Result<std::string> GenerateEd25519PrivateKeyPem();

// The raw public key (hex) of the PEM file at `path`: a public key (SubjectPublicKeyInfo,
// "-----BEGIN PUBLIC KEY-----") or, when `allow_private`, a private key.
Result<std::string> ReadEd25519PublicKey(const std::string& path, bool allow_private);

// A 32-byte key derived from the Ed25519 private key in the PEM file `key_path` for one
// purpose: HKDF-SHA256 (RFC 5869) over the raw 32-byte private key, no salt, `info` naming
// the purpose (distinct purposes get independent keys). Also returns the key pair's raw
// public key (hex), which names the derived key without revealing it.
struct DerivedKey {
  std::string public_key_hex;
  std::string bytes;  // 32 raw bytes
};
Result<DerivedKey> DeriveKeyFromEd25519PrivateKey(const std::string& key_path, std::string_view info);

// The SubjectPublicKeyInfo PEM text of a raw public key (hex).
Result<std::string> Ed25519PublicKeyPem(std::string_view public_key_hex);

}  // namespace oep::crypto
