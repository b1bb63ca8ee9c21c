// io.jwt.*: decode, verify_{hs,rs,ps,es}{256,384,512} and verify_eddsa, decode_verify,
// encode_sign and encode_sign_raw (OpenSSL).
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <memory>

#include "rego/builtins.h"

namespace oep::rego {
namespace {

using Args = std::vector<Value>;

void Add(Registry& r, const std::string& name, int arity, BuiltinFn fn) { r[name] = Builtin{arity, std::move(fn)}; }

// Base64url, padding optional. Key material (JWK members) also accepts the standard
// alphabet; JWS segments (`url_only`) do not, as in OPA. `bad_byte` receives the offset of
// the first character outside the alphabet.
std::optional<std::string> B64UrlDecode(std::string in, bool url_only = false, size_t* bad_byte = nullptr) {
  static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  while (!in.empty() && in.back() == '=') in.pop_back();
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (!url_only) c = c == '+' ? '-' : (c == '/' ? '_' : c);
    size_t v = kAlphabet.find(c);
    if (v == std::string::npos) {
      if (bad_byte) *bad_byte = i;
      return std::nullopt;
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

struct Jwt {
  std::string header_b64, payload_b64, signature;
  Value header, payload;
  std::string nested;  // a nested token (header cty "JWT", RFC 7519 5.2): the payload's text
};

bool IsNested(const Value& header) {
  auto cty = header.Get(Value::String("cty"));
  if (!cty || !cty->is_string()) return false;
  std::string t = cty->str();
  for (auto& c : t) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return t == "JWT";
}

std::optional<Jwt> Split(const std::string& token, std::string* why) {
  size_t sections = static_cast<size_t>(std::count(token.begin(), token.end(), '.')) + 1;
  if (sections == 5) {
    *why = "JWT is a JWE object, which is not supported";
    return std::nullopt;
  }
  if (sections == 1) {
    *why = "encoded JWT had no period separators";
    return std::nullopt;
  }
  if (sections != 3) {
    *why = "encoded JWT must have 3 sections, found " + std::to_string(sections);
    return std::nullopt;
  }
  size_t a = token.find('.'), b = token.find('.', a + 1);
  Jwt j;
  j.header_b64 = token.substr(0, a);
  j.payload_b64 = token.substr(a + 1, b - a - 1);
  size_t bad = 0;
  for (auto [part, text] : {std::pair{"header", &j.header_b64}, std::pair{"payload", &j.payload_b64}}) {
    if (!B64UrlDecode(*text, true, &bad)) {
      *why = std::string("JWT ") + part + " had invalid encoding: illegal base64 data at input byte " + std::to_string(bad);
      return std::nullopt;
    }
  }
  auto h = B64UrlDecode(j.header_b64, true), p = B64UrlDecode(j.payload_b64, true);
  auto s = B64UrlDecode(token.substr(b + 1), true, &bad);
  if (!s) {
    *why = "JWT signature had invalid encoding: illegal base64 data at input byte " + std::to_string(bad);
    return std::nullopt;
  }
  auto hv = Value::FromJsonText(*h), pv = Value::FromJsonText(*p);
  if (!hv.ok() || !hv->is_object()) {
    *why = "JWT header had invalid encoding: not a JSON object";
    return std::nullopt;
  }
  if (hv->Get(Value::String("enc"))) {
    *why = "JWT is a JWE object, which is not supported";
    return std::nullopt;
  }
  j.header = *hv;
  if (IsNested(j.header)) {
    j.nested = *p;
    j.payload = Value::String(*p);  // io.jwt.decode shows the inner token as it is
  } else if (!pv.ok()) {
    *why = "JWT payload had invalid encoding: not JSON";
    return std::nullopt;
  } else {
    j.payload = *pv;
  }
  j.signature = *s;
  return j;
}

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

// A public key from a JWK, or with `include_private` its key pair (d, and for RSA the CRT
// parameters when present).
Pkey KeyFromJwk(const Value& jwk, bool include_private = false) {
  auto get = [&](const char* k) -> std::optional<std::string> {
    auto v = jwk.Get(Value::String(k));
    if (!v || !v->is_string()) return std::nullopt;
    return B64UrlDecode(v->str());
  };
  auto kty = jwk.Get(Value::String("kty"));
  if (!kty || !kty->is_string()) return nullptr;
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  EVP_PKEY* key = nullptr;
  const char* type = nullptr;
  BIGNUM *n = nullptr, *e = nullptr;
  std::vector<BIGNUM*> private_parts;  // freed with the builder
  auto push_private = [&](const char* member, const char* param) {
    auto bytes = get(member);
    if (!bytes) return false;
    BIGNUM* bn = BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes->data()), static_cast<int>(bytes->size()), nullptr);
    private_parts.push_back(bn);
    OSSL_PARAM_BLD_push_BN(bld, param, bn);
    return true;
  };
  std::string point;
  if (kty->str() == "RSA") {
    auto nb = get("n"), eb = get("e");
    if (!nb || !eb) return OSSL_PARAM_BLD_free(bld), nullptr;
    n = BN_bin2bn(reinterpret_cast<const unsigned char*>(nb->data()), static_cast<int>(nb->size()), nullptr);
    e = BN_bin2bn(reinterpret_cast<const unsigned char*>(eb->data()), static_cast<int>(eb->size()), nullptr);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e);
    if (include_private) {
      push_private("d", OSSL_PKEY_PARAM_RSA_D);
      if (push_private("p", OSSL_PKEY_PARAM_RSA_FACTOR1) && push_private("q", OSSL_PKEY_PARAM_RSA_FACTOR2)) {
        push_private("dp", OSSL_PKEY_PARAM_RSA_EXPONENT1);
        push_private("dq", OSSL_PKEY_PARAM_RSA_EXPONENT2);
        push_private("qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1);
      }
    }
    type = "RSA";
  } else if (kty->str() == "OKP") {
    OSSL_PARAM_BLD_free(bld);
    if (include_private) {
      auto d = get("d");
      if (!d) return nullptr;
      return Pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(d->data()), d->size()));
    }
    auto x = get("x");
    if (!x) return nullptr;
    return Pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(x->data()), x->size()));
  } else if (kty->str() == "EC") {
    auto x = get("x"), y = get("y");
    auto crv = jwk.Get(Value::String("crv"));
    if (!x || !y || !crv || !crv->is_string()) return OSSL_PARAM_BLD_free(bld), nullptr;
    const char* group = crv->str() == "P-256" ? "prime256v1" : crv->str() == "P-384" ? "secp384r1" : "secp521r1";
    point = std::string(1, '\x04') + *x + *y;
    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
    if (include_private) push_private("d", OSSL_PKEY_PARAM_PRIV_KEY);
    type = "EC";
  } else {
    OSSL_PARAM_BLD_free(bld);
    return nullptr;
  }
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  if (ctx && EVP_PKEY_fromdata_init(ctx) == 1) {
    EVP_PKEY_fromdata(ctx, &key, include_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params);
  }
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  BN_free(n);
  BN_free(e);
  for (BIGNUM* bn : private_parts) BN_clear_free(bn);
  return Pkey(key);
}

// Public keys from PEM certificates, a PEM public key, or a JWK / JWK set (JSON). Text that
// is none of these sets `why` (OPA's texts) and yields no keys.
std::vector<Pkey> ParseKeys(const std::string& text, std::string* why) {
  std::vector<Pkey> keys;
  constexpr std::string_view kEndCert = "-----END CERTIFICATE-----";
  if (text.find("-----BEGIN CERTIFICATE-----") != std::string::npos) {
    BIO* bio = BIO_new_mem_buf(text.data(), static_cast<int>(text.size()));
    while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
      EVP_PKEY* key = X509_get_pubkey(cert);
      X509_free(cert);
      if (key == nullptr) {
        *why = "failed to extract a Key from the PEM certificate";
        break;
      }
      keys.emplace_back(key);
    }
    BIO_free(bio);
    size_t end = text.rfind(kEndCert);
    if (keys.empty() && why->empty()) {
      *why = "failed to parse a PEM certificate";
    } else if (end != std::string::npos &&
               text.find_first_not_of(" \t\r\n", end + kEndCert.size()) != std::string::npos) {
      *why = "extra data after a PEM certificate block";
    }
  } else if (text.find("-----BEGIN") != std::string::npos) {
    BIO* bio = BIO_new_mem_buf(text.data(), static_cast<int>(text.size()));
    if (EVP_PKEY* k = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr)) keys.emplace_back(k);
    else *why = "failed to extract a Key from the PEM certificate";
    BIO_free(bio);
  } else if (auto v = Value::FromJsonText(text); v.ok() && v->is_object()) {
    auto set = v->Get(Value::String("keys"));
    if (set && set->is_array()) {
      for (const auto& jwk : set->array()) if (auto k = KeyFromJwk(jwk)) keys.push_back(std::move(k));
    } else if (auto k = KeyFromJwk(*v)) {
      keys.push_back(std::move(k));
    }
    if (keys.empty()) *why = "failed to parse a JWK key (set)";
  } else {
    *why = "failed to parse a JWK key (set)";
  }
  if (!why->empty()) keys.clear();
  return keys;
}

const EVP_MD* Md(int bits) { return bits == 256 ? EVP_sha256() : bits == 384 ? EVP_sha384() : EVP_sha512(); }

bool VerifyAsym(EVP_PKEY* key, const std::string& kind, int bits, const std::string& signing_input, std::string sig) {
  if (kind == "es") {
    // JWS carries r||s; OpenSSL verifies DER.
    size_t half = sig.size() / 2;
    ECDSA_SIG* es = ECDSA_SIG_new();
    ECDSA_SIG_set0(es, BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()), static_cast<int>(half), nullptr),
                   BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data() + half), static_cast<int>(half), nullptr));
    unsigned char* der = nullptr;
    int len = i2d_ECDSA_SIG(es, &der);
    sig.assign(reinterpret_cast<char*>(der), static_cast<size_t>(len));
    OPENSSL_free(der);
    ECDSA_SIG_free(es);
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  bool ok = EVP_DigestVerifyInit(ctx, &pctx, Md(bits), nullptr, key) == 1;
  if (ok && kind == "ps") {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO);
  }
  ok = ok && EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                              reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

bool VerifyHmac(int bits, const std::string& secret, const std::string& signing_input, const std::string& sig) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  HMAC(Md(bits), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(signing_input.data()),
       signing_input.size(), md, &len);
  return sig.size() == len && CRYPTO_memcmp(md, sig.data(), len) == 0;
}

// The JWS signature of `signing_input` with `alg` under the private JWK `jwk`; nullopt with
// `why` set when the algorithm is unknown or the key cannot sign with it.
std::optional<std::string> SignJws(const std::string& alg, const Value& jwk, const std::string& signing_input,
                                   std::string* why) {
  std::string kind = alg.size() == 5 ? std::string{static_cast<char>(std::tolower(alg[0])), static_cast<char>(std::tolower(alg[1]))} : "";
  int bits = alg.size() == 5 ? std::atoi(alg.c_str() + 2) : 0;
  bool known = alg == "EdDSA" || ((kind == "hs" || kind == "rs" || kind == "ps" || kind == "es") &&
                                  (bits == 256 || bits == 384 || bits == 512));
  if (!known) {
    *why = "unknown JWS algorithm: " + alg;
    return std::nullopt;
  }
  if (kind == "hs") {
    auto k = jwk.Get(Value::String("k"));
    auto secret = k && k->is_string() ? B64UrlDecode(k->str()) : std::nullopt;
    if (!secret) {
      *why = "invalid oct JWK: \"k\" must be base64url";
      return std::nullopt;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    HMAC(Md(bits), secret->data(), static_cast<int>(secret->size()),
         reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(), md, &len);
    return std::string(reinterpret_cast<const char*>(md), len);
  }
  Pkey key = KeyFromJwk(jwk, true);
  if (!key) {
    *why = "invalid private JWK for " + alg;
    return std::nullopt;
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  bool ok = EVP_DigestSignInit(ctx, &pctx, alg == "EdDSA" ? nullptr : Md(bits), nullptr, key.get()) == 1;
  if (ok && kind == "ps") {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
  }
  size_t len = 0;
  const auto* input = reinterpret_cast<const unsigned char*>(signing_input.data());
  ok = ok && EVP_DigestSign(ctx, nullptr, &len, input, signing_input.size()) == 1;
  std::string sig(len, '\0');
  ok = ok && EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len, input, signing_input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) {
    *why = "cannot sign with " + alg + " using this key";
    return std::nullopt;
  }
  sig.resize(len);
  if (kind == "es") {
    // OpenSSL signs DER; JWS carries r||s, each the curve's size.
    const auto* der = reinterpret_cast<const unsigned char*>(sig.data());
    ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(sig.size()));
    if (es == nullptr) {
      *why = "cannot sign with " + alg;
      return std::nullopt;
    }
    int size = bits == 256 ? 32 : bits == 384 ? 48 : 66;
    std::string raw(static_cast<size_t>(2 * size), '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(es), reinterpret_cast<unsigned char*>(raw.data()), size);
    BN_bn2binpad(ECDSA_SIG_get0_s(es), reinterpret_cast<unsigned char*>(raw.data()) + size, size);
    ECDSA_SIG_free(es);
    return raw;
  }
  return sig;
}

// A compact JWS of the header and payload texts, signed with the JWK text or object `key`.
BuiltinOut EncodeSign(const std::string& header, const std::string& payload, const Value& key) {
  if (header.empty()) {
    return BuiltinOut::Error("missing or invalid 'alg' header: cannot parse JSON: cannot parse empty string");
  }
  auto parsed = Value::FromJsonText(header);
  if (!parsed.ok() || !parsed->is_object()) return BuiltinOut::Error("missing or invalid 'alg' header: cannot parse JSON");
  auto alg = parsed->Get(Value::String("alg"));
  if (!alg || !alg->is_string()) {
    return BuiltinOut::Error("missing or invalid 'alg' header: jwsbb: header \"alg\" not found");
  }
  auto typ = parsed->Get(Value::String("typ"));
  if (typ && typ->is_string() && typ->str() == "JWT" && !Value::FromJsonText(payload).ok()) {
    return BuiltinOut::Error("type is JWT but payload is not JSON");
  }
  std::string signing_input = Base64Encode(header, true, false) + "." + Base64Encode(payload, true, false);
  std::string why;
  auto sig = SignJws(alg->str(), key, signing_input, &why);
  if (!sig) return BuiltinOut::Error(why);
  return BuiltinOut::Of(Value::String(signing_input + "." + Base64Encode(*sig, true, false)));
}

// Verifies `token` with `alg` ("RS256", "HS512", ...) against keys or a secret; a key text
// that cannot be read sets `why`.
bool VerifyToken(const Jwt& j, const std::string& alg, const std::string& key_or_secret, std::string* why) {
  std::string signing_input = j.header_b64 + "." + j.payload_b64;
  std::string kind = alg.size() > 2 ? std::string{static_cast<char>(std::tolower(alg[0])), static_cast<char>(std::tolower(alg[1]))} : "";
  if (alg == "EdDSA") {
    for (auto& key : ParseKeys(key_or_secret, why)) {
      EVP_MD_CTX* ctx = EVP_MD_CTX_new();
      bool ok = EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, key.get()) == 1 &&
                EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(j.signature.data()), j.signature.size(),
                                 reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) == 1;
      EVP_MD_CTX_free(ctx);
      if (ok) return true;
    }
    return false;
  }
  int bits = alg.size() == 5 ? std::atoi(alg.c_str() + 2) : 0;
  if (bits != 256 && bits != 384 && bits != 512) return false;
  if (kind == "hs") return VerifyHmac(bits, key_or_secret, signing_input, j.signature);
  if (kind != "rs" && kind != "ps" && kind != "es") return false;
  for (auto& key : ParseKeys(key_or_secret, why)) {
    if (VerifyAsym(key.get(), kind, bits, signing_input, j.signature)) return true;
  }
  return false;
}

}  // namespace

void RegisterJwtBuiltins(Registry& r) {
  Add(r, "io.jwt.encode_sign", 3, [](const Args& a) {
    for (int i = 0; i < 3; ++i) {
      if (!a[static_cast<size_t>(i)].is_object()) {
        return BuiltinOut::TypeError(OperandError("io.jwt.encode_sign", i + 1, "object", a[static_cast<size_t>(i)]));
      }
    }
    return EncodeSign(a[0].ToJson(), a[1].ToJson(), a[2]);
  });
  Add(r, "io.jwt.encode_sign_raw", 3, [](const Args& a) {
    for (int i = 0; i < 3; ++i) {
      if (!a[static_cast<size_t>(i)].is_string()) {
        return BuiltinOut::TypeError(OperandError("io.jwt.encode_sign_raw", i + 1, "string", a[static_cast<size_t>(i)]));
      }
    }
    auto key = Value::FromJsonText(a[2].str());
    if (!key.ok() || !key->is_object()) return BuiltinOut::Error("invalid JWK: " + a[2].str().substr(0, 64));
    return EncodeSign(a[0].str(), a[1].str(), *key);
  });
  Add(r, "io.jwt.decode", 1, [](const Args& a) {
    if (!a[0].is_string()) return BuiltinOut::TypeError(OperandError("io.jwt.decode", 1, "string", a[0]));
    std::string why;
    auto j = Split(a[0].str(), &why);
    if (!j) return BuiltinOut::Error(why);
    return BuiltinOut::Of(Value::MakeArray({j->header, j->payload, Value::String(HexEncode(j->signature))}));
  });
  std::vector<std::pair<std::string, std::string>> verifiers = {{"io.jwt.verify_eddsa", "EdDSA"}};  // name, alg
  for (const char* kind : {"hs", "rs", "ps", "es"}) {
    for (int bits : {256, 384, 512}) {
      std::string alg = std::string(kind) + std::to_string(bits);
      std::string name = "io.jwt.verify_" + alg;
      for (auto& c : alg) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      verifiers.emplace_back(name, alg);
    }
  }
  for (const auto& [name, alg] : verifiers) {
    Add(r, name, 2, [name = name, alg = alg](const Args& a) {
      if (!a[0].is_string()) return BuiltinOut::TypeError(OperandError(name, 1, "string", a[0]));
      if (!a[1].is_string()) return BuiltinOut::TypeError(OperandError(name, 2, "string", a[1]));
      std::string why;
      auto j = Split(a[0].str(), &why);
      if (!j) return BuiltinOut::Error(why);
      bool ok = VerifyToken(*j, alg, a[1].str(), &why);
      if (!why.empty()) return BuiltinOut::Error(why);
      return BuiltinOut::Of(Value::Bool(ok));
    });
  }
  Add(r, "io.jwt.decode_verify", 2, [](const Args& a) {
    if (!a[0].is_string()) return BuiltinOut::TypeError(OperandError("io.jwt.decode_verify", 1, "string", a[0]));
    if (!a[1].is_object()) return BuiltinOut::TypeError(OperandError("io.jwt.decode_verify", 2, "object", a[1]));
    Value invalid = Value::MakeArray({Value::Bool(false), Value::MakeObject({}), Value::MakeObject({})});
    std::string why;
    auto c = [&](const char* k) { return a[1].Get(Value::String(k)); };
    std::string key = c("cert") && c("cert")->is_string() ? c("cert")->str() : (c("secret") && c("secret")->is_string() ? c("secret")->str() : "");
    // A nested token (cty JWT) is verified layer by layer with the same constraints; the
    // claims checked and returned are the innermost token's.
    std::string token = a[0].str();
    std::optional<Jwt> j;
    for (int layer = 0;; ++layer) {
      j = Split(token, &why);
      if (!j) return BuiltinOut::Error(why);
      auto alg = j->header.Get(Value::String("alg"));
      if (!alg || !alg->is_string() || j->header.Get(Value::String("crit"))) return BuiltinOut::Of(invalid);
      if (auto want = c("alg"); want && want->is_string() && want->str() != alg->str()) return BuiltinOut::Of(invalid);
      if (key.empty()) return BuiltinOut::Of(invalid);
      bool verified = VerifyToken(*j, alg->str(), key, &why);
      if (!why.empty()) return BuiltinOut::Error(why);
      if (!verified) return BuiltinOut::Of(invalid);
      if (!IsNested(j->header)) break;
      if (layer >= 8) return BuiltinOut::Of(invalid);  // nesting bounded
      token = j->nested;
    }
    const Value& p = j->payload;
    if (auto iss = c("iss")) {
      auto got = p.Get(Value::String("iss"));
      if (!got || *got != *iss) return BuiltinOut::Of(invalid);
    }
    auto aud = p.Get(Value::String("aud"));
    if (auto want = c("aud")) {
      bool ok = aud && (*aud == *want || (aud->is_array() && std::any_of(aud->array().begin(), aud->array().end(), [&](const Value& x) { return x == *want; })));
      if (!ok) return BuiltinOut::Of(invalid);
    } else if (aud) {
      return BuiltinOut::Of(invalid);  // an audience claim needs an audience constraint
    }
    double now_s = 0;
    if (auto t = c("time"); t && t->is_number()) now_s = t->as_double() / 1e9;
    else now_s = static_cast<double>(std::time(nullptr));
    for (const char* claim : {"exp", "nbf"}) {
      auto v = p.Get(Value::String(claim));
      if (v && !v->is_number()) return BuiltinOut::Error(std::string(claim) + " value must be a number");
    }
    if (auto exp = p.Get(Value::String("exp")); exp && now_s >= exp->as_double()) return BuiltinOut::Of(invalid);
    if (auto nbf = p.Get(Value::String("nbf")); nbf && now_s < nbf->as_double()) return BuiltinOut::Of(invalid);
    return BuiltinOut::Of(Value::MakeArray({Value::Bool(true), j->header, j->payload}));
  });
}

}  // namespace oep::rego
