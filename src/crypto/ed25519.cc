#include "crypto/ed25519.h"

#include <sys/stat.h>

#include <cstdio>
#include <memory>
#include <vector>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>

#include "crypto/encoding.h"

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

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using Bio = std::unique_ptr<BIO, BioFree>;

std::string Hex(const unsigned char* p, size_t n) { return HexEncode(std::string_view(reinterpret_cast<const char*>(p), n)); }

bool Unhex(std::string_view hex, std::vector<unsigned char>* out) {
  auto bytes = HexDecode(hex);
  if (!bytes) return false;
  out->assign(bytes->begin(), bytes->end());
  return true;
}

// Opens a key file for PEM reading: a regular file of at most 64 KiB (keys are < 1 KiB).
Result<FILE*> OpenKeyFile(const std::string& path, const char* what) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return Status::InvalidArgument(path + ": cannot open the " + what);
  if (!S_ISREG(st.st_mode) || st.st_size > (64 << 10)) {
    return Status::InvalidArgument(path + ": the " + what + " is not a regular file of at most 64 KiB");
  }
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return Status::InvalidArgument(path + ": cannot open the " + what);
  return f;
}

Result<std::string> RawPublicKeyHex(EVP_PKEY* key) {
  unsigned char pub[32];
  size_t pub_len = sizeof pub;
  if (EVP_PKEY_get_raw_public_key(key, pub, &pub_len) != 1 || pub_len != 32) {
    return Status::IOError("cannot read the Ed25519 public key");
  }
  return Hex(pub, pub_len);
}

// The Ed25519 private key in the PEM file at `path` (`what` names it in errors).
Result<Pkey> ReadPrivateKey(const std::string& path, const char* what) {
  auto opened = OpenKeyFile(path, what);
  if (!opened.ok()) return opened.status();
  FILE* f = *opened;
  Pkey key(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  if (!key || EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_ED25519) {
    return Status::InvalidArgument(path + ": expected an Ed25519 private key in PEM form "
                                   "(openssl genpkey -algorithm ed25519)");
  }
  return key;
}

}  // namespace

Result<Ed25519Signature> SignEd25519(const std::string& key_path, std::string_view message) {
  auto loaded = ReadPrivateKey(key_path, "signing key");
  if (!loaded.ok()) return loaded.status();
  Pkey key = std::move(*loaded);
  MdCtx ctx(EVP_MD_CTX_new());
  size_t sig_len = 64;
  unsigned char sig[64];
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), sig, &sig_len, reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1) {
    return Status::IOError(key_path + ": Ed25519 signing failed");
  }
  auto pub = RawPublicKeyHex(key.get());
  if (!pub.ok()) return pub.status();
  return Ed25519Signature{*pub, Hex(sig, sig_len)};
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

Result<std::string> GenerateEd25519PrivateKeyPem() {
  Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  Bio bio(BIO_new(BIO_s_mem()));
  if (!key || !bio || PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return Status::IOError("cannot generate an Ed25519 key");
  }
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

Result<std::string> ReadEd25519PublicKey(const std::string& path, bool allow_private) {
  auto opened = OpenKeyFile(path, "key file");
  if (!opened.ok()) return opened.status();
  FILE* f = *opened;
  Pkey key(PEM_read_PUBKEY(f, nullptr, nullptr, nullptr));
  if (!key && allow_private) {
    std::rewind(f);
    key.reset(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
  }
  std::fclose(f);
  if (!key || EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_ED25519) {
    return Status::InvalidArgument(path + ": expected an Ed25519 " + (allow_private ? "key" : "public key") +
                                   " in PEM form (oep keys export --key KEY.pem)");
  }
  return RawPublicKeyHex(key.get());
}

Result<DerivedKey> DeriveKeyFromEd25519PrivateKey(const std::string& key_path, std::string_view info) {
  auto loaded = ReadPrivateKey(key_path, "private key");
  if (!loaded.ok()) return loaded.status();
  Pkey key = std::move(*loaded);
  unsigned char seed[32];
  size_t seed_len = sizeof seed;
  if (EVP_PKEY_get_raw_private_key(key.get(), seed, &seed_len) != 1 || seed_len != 32) {
    return Status::IOError(key_path + ": cannot read the Ed25519 private key");
  }
  auto pub = RawPublicKeyHex(key.get());
  if (!pub.ok()) return pub.status();
  struct KdfCtxFree {
    void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
  };
  std::unique_ptr<EVP_PKEY_CTX, KdfCtxFree> kdf(EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr));
  unsigned char out[32];
  size_t out_len = sizeof out;
  bool derived = kdf && EVP_PKEY_derive_init(kdf.get()) == 1 && EVP_PKEY_CTX_set_hkdf_md(kdf.get(), EVP_sha256()) == 1 &&
                 EVP_PKEY_CTX_set1_hkdf_key(kdf.get(), seed, static_cast<int>(seed_len)) == 1 &&
                 EVP_PKEY_CTX_add1_hkdf_info(kdf.get(), reinterpret_cast<const unsigned char*>(info.data()), static_cast<int>(info.size())) == 1 &&
                 EVP_PKEY_derive(kdf.get(), out, &out_len) == 1 && out_len == sizeof out;
  OPENSSL_cleanse(seed, sizeof seed);
  if (!derived) return Status::IOError(key_path + ": key derivation failed");
  DerivedKey d{*pub, std::string(reinterpret_cast<const char*>(out), out_len)};
  OPENSSL_cleanse(out, sizeof out);
  return d;
}

Result<std::string> Ed25519PublicKeyPem(std::string_view public_key_hex) {
  std::vector<unsigned char> pub;
  if (!Unhex(public_key_hex, &pub) || pub.size() != 32) return Status::InvalidArgument("not a 32-byte Ed25519 public key");
  Pkey key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, pub.data(), pub.size()));
  Bio bio(BIO_new(BIO_s_mem()));
  if (!key || !bio || PEM_write_bio_PUBKEY(bio.get(), key.get()) != 1) return Status::IOError("cannot encode the public key");
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

}  // namespace oep::crypto
