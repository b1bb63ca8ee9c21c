#include "crypto/ed25519.h"

#include <cstdio>
#include <memory>
#include <vector>

#include <openssl/evp.h>
#include <openssl/pem.h>

namespace oep::crypto {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

std::string Hex(const unsigned char* p, size_t n) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kHex[p[i] >> 4]);
    out.push_back(kHex[p[i] & 0xF]);
  }
  return out;
}

bool Unhex(std::string_view hex, std::vector<unsigned char>* out) {
  if (hex.size() % 2) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<unsigned char>(hi * 16 + lo));
  }
  return true;
}

}  // namespace

Result<Ed25519Signature> SignEd25519(const std::string& key_path, std::string_view message) {
  FILE* f = std::fopen(key_path.c_str(), "r");
  if (f == nullptr) return Status::InvalidArgument(key_path + ": cannot open the seal key");
  Pkey key(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  if (!key || EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_ED25519) {
    return Status::InvalidArgument(key_path + ": expected an Ed25519 private key in PEM form "
                                   "(openssl genpkey -algorithm ed25519)");
  }
  MdCtx ctx(EVP_MD_CTX_new());
  size_t sig_len = 64;
  unsigned char sig[64];
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), sig, &sig_len, reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1) {
    return Status::IOError(key_path + ": Ed25519 signing failed");
  }
  unsigned char pub[32];
  size_t pub_len = sizeof pub;
  if (EVP_PKEY_get_raw_public_key(key.get(), pub, &pub_len) != 1) return Status::IOError("cannot read the public key");
  return Ed25519Signature{Hex(pub, pub_len), Hex(sig, sig_len)};
}

bool VerifyEd25519(std::string_view public_key_hex, std::string_view message, std::string_view signature_hex) {
  std::vector<unsigned char> pub, sig;
  if (!Unhex(public_key_hex, &pub) || pub.size() != 32 || !Unhex(signature_hex, &sig) || sig.size() != 64) return false;
  Pkey key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, pub.data(), pub.size()));
  MdCtx ctx(EVP_MD_CTX_new());
  if (!key || !ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

}  // namespace oep::crypto
