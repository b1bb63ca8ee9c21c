// crypto.*: digests (md5, sha1, sha256), HMACs and crypto.hmac.equal; crypto.x509.* and
// crypto.parse_private_keys, through OpenSSL. Certificates and requests
// are returned in the JSON shape OPA returns (Go's x509 structures), for the fields listed
// in README.md; inputs are PEM, or base64 of PEM or DER, as OPA reads them.
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>

#include <algorithm>
#include <ctime>
#include <memory>

#include "rego/builtins.h"

namespace oep::rego {
namespace {

using Args = std::vector<Value>;

void Add(Registry& r, const std::string& name, int arity, BuiltinFn fn) { r[name] = Builtin{arity, std::move(fn)}; }

struct Freer {
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_REQ* p) const { X509_REQ_free(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
};
template <typename T>
using Owned = std::unique_ptr<T, Freer>;
using Certs = std::vector<Owned<X509>>;

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::string Base64(const std::string& bytes) { return Base64Encode(bytes, false, true); }

// Go's base64.StdEncoding.DecodeString, with its error text.
std::optional<std::string> DecodeStd(const std::string& in, std::string* error) {
  size_t bad = 0;
  auto out = Base64Decode(in, false, &bad);
  if (!out) *error = "illegal base64 data at input byte " + std::to_string(bad);
  return out;
}

// The DER encoding i2d produces for `x`.
template <typename T, typename F>
std::string Der(T* x, F i2d) {
  int n = i2d(x, nullptr);
  if (n <= 0) return "";
  std::string out(static_cast<size_t>(n), '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  i2d(x, &p);
  return out;
}

struct PemBlock {
  std::string type, bytes;
};

// The PEM blocks of `text` in order (text between blocks is skipped).
std::vector<PemBlock> PemBlocks(const std::string& text) {
  std::vector<PemBlock> out;
  Owned<BIO> bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  for (;;) {
    char *name = nullptr, *header = nullptr;
    unsigned char* data = nullptr;
    long len = 0;
    if (PEM_read_bio(bio.get(), &name, &header, &data, &len) != 1) break;
    out.push_back({name, std::string(reinterpret_cast<char*>(data), static_cast<size_t>(len))});
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
  }
  return out;
}

std::string ParseErrorText(const char* what) { return std::string("x509: malformed ") + what; }

// Concatenated DER certificates, as Go's x509.ParseCertificates reads them.
std::optional<Certs> ParseDerCertificates(const std::string& der, std::string* error) {
  Certs certs;
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  const auto* end = p + der.size();
  while (p < end) {
    X509* cert = d2i_X509(nullptr, &p, end - p);
    if (!cert) {
      *error = ParseErrorText("certificate");
      return std::nullopt;
    }
    certs.emplace_back(cert);
  }
  return certs;
}

// Certificates from PEM, or base64 of PEM or of DER (OPA's getX509CertsFromString).
std::optional<Certs> CertificatesFrom(const std::string& input, std::string* error) {
  std::string bytes = input;
  if (!StartsWith(input, "-----BEGIN")) {
    auto decoded = DecodeStd(input, error);
    if (!decoded) return std::nullopt;
    bytes = *decoded;
    if (!StartsWith(bytes, "-----BEGIN")) return ParseDerCertificates(bytes, error);
  }
  std::string der;
  for (const auto& block : PemBlocks(bytes)) {
    if (block.type != "CERTIFICATE") {
      *error = "PEM block type is '" + block.type + "', expected CERTIFICATE";
      return std::nullopt;
    }
    der += block.bytes;
  }
  return ParseDerCertificates(der, error);
}

Value StringsOrNull(const std::vector<std::string>& items) {
  if (items.empty()) return Value::Null();  // Go's nil slice
  Array out;
  for (const auto& s : items) out.push_back(Value::String(s));
  return Value::MakeArray(std::move(out));
}

Value BigNumber(const BIGNUM* bn) {
  char* dec = BN_bn2dec(bn);
  Value v = Value::NumberText(dec);
  OPENSSL_free(dec);
  return v;
}

Value Asn1Integer(const ASN1_INTEGER* i) {
  Owned<BIGNUM> bn(ASN1_INTEGER_to_BN(i, nullptr));
  return bn ? BigNumber(bn.get()) : Value::Null();
}

Value Time(const ASN1_TIME* t) {
  std::tm tm{};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return Value::Null();
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return Value::String(buf);
}

std::string Asn1Text(const ASN1_STRING* s) {
  unsigned char* utf8 = nullptr;
  int n = ASN1_STRING_to_UTF8(&utf8, s);
  if (n < 0) return "";
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

// The arcs of an OID ("2.5.4.3" -> [2, 5, 4, 3]).
Value OidArcs(const ASN1_OBJECT* obj) {
  char buf[128];
  OBJ_obj2txt(buf, sizeof buf, obj, 1);
  Array arcs;
  std::string_view text(buf);
  size_t start = 0;
  while (start <= text.size()) {
    size_t dot = text.find('.', start);
    if (dot == std::string_view::npos) dot = text.size();
    arcs.push_back(Value::NumberText(text.substr(start, dot - start)));
    start = dot + 1;
  }
  return Value::MakeArray(std::move(arcs));
}

// Go's pkix.Name.
Value Name(const X509_NAME* name) {
  std::map<int, std::vector<std::string>> lists;
  std::string common_name, serial;
  Array names;
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    const X509_NAME_ENTRY* e = X509_NAME_get_entry(name, i);
    const ASN1_OBJECT* obj = X509_NAME_ENTRY_get_object(e);
    std::string text = Asn1Text(X509_NAME_ENTRY_get_data(e));
    int nid = OBJ_obj2nid(obj);
    if (nid == NID_commonName) common_name = text;
    else if (nid == NID_serialNumber) serial = text;
    else lists[nid].push_back(text);
    Object entry;
    entry[Value::String("Type")] = OidArcs(obj);
    entry[Value::String("Value")] = Value::String(text);
    names.push_back(Value::MakeObject(std::move(entry)));
  }
  Object out;
  auto list = [&](const char* key, int nid) { out[Value::String(key)] = StringsOrNull(lists[nid]); };
  list("Country", NID_countryName);
  list("Organization", NID_organizationName);
  list("OrganizationalUnit", NID_organizationalUnitName);
  list("Locality", NID_localityName);
  list("Province", NID_stateOrProvinceName);
  list("StreetAddress", NID_streetAddress);
  list("PostalCode", NID_postalCode);
  out[Value::String("SerialNumber")] = Value::String(serial);
  out[Value::String("CommonName")] = Value::String(common_name);
  out[Value::String("Names")] = names.empty() ? Value::Null() : Value::MakeArray(std::move(names));
  out[Value::String("ExtraNames")] = Value::Null();
  return Value::MakeObject(std::move(out));
}

struct AltNames {
  std::vector<std::string> dns, email, ip, uri;
};

AltNames AltNamesOf(const GENERAL_NAMES* names) {
  AltNames out;
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
    switch (n->type) {
      case GEN_DNS: out.dns.push_back(Asn1Text(n->d.dNSName)); break;
      case GEN_EMAIL: out.email.push_back(Asn1Text(n->d.rfc822Name)); break;
      case GEN_URI: out.uri.push_back(Asn1Text(n->d.uniformResourceIdentifier)); break;
      case GEN_IPADD: {
        const ASN1_OCTET_STRING* ip = n->d.iPAddress;
        char buf[64];
        int family = ip->length == 4 ? AF_INET : AF_INET6;
        if ((ip->length == 4 || ip->length == 16) && inet_ntop(family, ip->data, buf, sizeof buf)) out.ip.push_back(buf);
        break;
      }
      default: break;
    }
  }
  return out;
}

void AddAltNames(Object& out, const AltNames& names, bool uri_strings) {
  out[Value::String("DNSNames")] = StringsOrNull(names.dns);
  out[Value::String("EmailAddresses")] = StringsOrNull(names.email);
  out[Value::String("IPAddresses")] = StringsOrNull(names.ip);
  if (uri_strings) out[Value::String("URIStrings")] = StringsOrNull(names.uri);
}

// Go's x509.SignatureAlgorithm and PublicKeyAlgorithm numbers.
int SignatureAlgorithm(int nid) {
  switch (nid) {
    case NID_md5WithRSAEncryption: return 2;
    case NID_sha1WithRSAEncryption: return 3;
    case NID_sha256WithRSAEncryption: return 4;
    case NID_sha384WithRSAEncryption: return 5;
    case NID_sha512WithRSAEncryption: return 6;
    case NID_dsaWithSHA1: return 7;
    case NID_dsa_with_SHA256: return 8;
    case NID_ecdsa_with_SHA1: return 9;
    case NID_ecdsa_with_SHA256: return 10;
    case NID_ecdsa_with_SHA384: return 11;
    case NID_ecdsa_with_SHA512: return 12;
    case NID_rsassaPss: return 13;  // Go tells the PSS hashes apart by parameters; SHA-256 assumed
    case NID_ED25519: return 16;
    default: return 0;
  }
}

int PublicKeyAlgorithm(const EVP_PKEY* key) {
  switch (key ? EVP_PKEY_get_base_id(key) : 0) {
    case EVP_PKEY_RSA: return 1;
    case EVP_PKEY_DSA: return 2;
    case EVP_PKEY_EC: return 3;
    case EVP_PKEY_ED25519: return 4;
    default: return 0;
  }
}

// Go's x509.KeyUsage bits from OpenSSL's.
int64_t KeyUsage(const X509* cert) {
  uint32_t ku = X509_get_key_usage(const_cast<X509*>(cert));
  if (ku == UINT32_MAX) return 0;
  constexpr std::pair<uint32_t, int> kBits[] = {{KU_DIGITAL_SIGNATURE, 0}, {KU_NON_REPUDIATION, 1}, {KU_KEY_ENCIPHERMENT, 2},
                                                {KU_DATA_ENCIPHERMENT, 3}, {KU_KEY_AGREEMENT, 4},   {KU_KEY_CERT_SIGN, 5},
                                                {KU_CRL_SIGN, 6},          {KU_ENCIPHER_ONLY, 7},   {KU_DECIPHER_ONLY, 8}};
  int64_t out = 0;
  for (const auto& [flag, bit] : kBits) {
    if (ku & flag) out |= int64_t{1} << bit;
  }
  return out;
}

// Go's x509.ExtKeyUsage numbers, in the extension's order (unknown purposes left out).
std::vector<int> ExtKeyUsages(const X509* cert, bool* present) {
  std::vector<int> out;
  auto* eku = static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(cert, NID_ext_key_usage, nullptr, nullptr));
  *present = eku != nullptr;
  for (int i = 0; eku && i < sk_ASN1_OBJECT_num(eku); ++i) {
    switch (OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i))) {
      case NID_anyExtendedKeyUsage: out.push_back(0); break;
      case NID_server_auth: out.push_back(1); break;
      case NID_client_auth: out.push_back(2); break;
      case NID_code_sign: out.push_back(3); break;
      case NID_email_protect: out.push_back(4); break;
      case NID_ipsecEndSystem: out.push_back(5); break;
      case NID_ipsecTunnel: out.push_back(6); break;
      case NID_ipsecUser: out.push_back(7); break;
      case NID_time_stamp: out.push_back(8); break;
      case NID_OCSP_sign: out.push_back(9); break;
      case NID_ms_sgc: out.push_back(10); break;
      case NID_ns_sgc: out.push_back(11); break;
      case NID_ms_code_com: out.push_back(12); break;
      default: break;
    }
  }
  EXTENDED_KEY_USAGE_free(eku);
  return out;
}

Value Bytes(const ASN1_OCTET_STRING* s) {
  if (!s) return Value::Null();
  return Value::String(Base64(std::string(reinterpret_cast<const char*>(s->data), static_cast<size_t>(s->length))));
}

// Go's x509.Certificate as JSON (the fields README.md lists), plus OPA's URIStrings.
Value CertificateValue(X509* cert) {
  Object out;
  auto set = [&](const char* key, Value v) { out[Value::String(key)] = std::move(v); };
  set("Raw", Value::String(Base64(Der(cert, i2d_X509))));
  set("RawTBSCertificate", Value::String(Base64(Der(cert, i2d_re_X509_tbs))));
  set("RawSubjectPublicKeyInfo", Value::String(Base64(Der(X509_get0_pubkey(cert), i2d_PUBKEY))));
  set("RawSubject", Value::String(Base64(Der(X509_get_subject_name(cert), i2d_X509_NAME))));
  set("RawIssuer", Value::String(Base64(Der(X509_get_issuer_name(cert), i2d_X509_NAME))));
  const ASN1_BIT_STRING* signature = nullptr;
  const X509_ALGOR* sig_alg = nullptr;
  X509_get0_signature(&signature, &sig_alg, cert);
  set("Signature", Value::String(Base64(std::string(reinterpret_cast<const char*>(signature->data),
                                                    static_cast<size_t>(signature->length)))));
  set("SignatureAlgorithm", Value::Int(SignatureAlgorithm(X509_get_signature_nid(cert))));
  set("PublicKeyAlgorithm", Value::Int(PublicKeyAlgorithm(X509_get0_pubkey(cert))));
  set("Version", Value::Int(X509_get_version(cert) + 1));
  set("SerialNumber", Asn1Integer(X509_get0_serialNumber(cert)));
  set("Issuer", Name(X509_get_issuer_name(cert)));
  set("Subject", Name(X509_get_subject_name(cert)));
  set("NotBefore", Time(X509_get0_notBefore(cert)));
  set("NotAfter", Time(X509_get0_notAfter(cert)));
  set("KeyUsage", Value::Int(KeyUsage(cert)));
  bool has_eku = false;
  std::vector<int> eku = ExtKeyUsages(cert, &has_eku);
  Array eku_values;
  for (int u : eku) eku_values.push_back(Value::Int(u));
  set("ExtKeyUsage", eku_values.empty() ? Value::Null() : Value::MakeArray(std::move(eku_values)));
  auto* bc = static_cast<BASIC_CONSTRAINTS*>(X509_get_ext_d2i(cert, NID_basic_constraints, nullptr, nullptr));
  set("BasicConstraintsValid", Value::Bool(bc != nullptr));
  set("IsCA", Value::Bool(bc && bc->ca));
  int64_t max_path = bc ? (bc->pathlen ? ASN1_INTEGER_get(bc->pathlen) : -1) : 0;
  set("MaxPathLen", Value::Int(max_path));
  set("MaxPathLenZero", Value::Bool(bc && bc->pathlen && max_path == 0));
  BASIC_CONSTRAINTS_free(bc);
  set("SubjectKeyId", Bytes(X509_get0_subject_key_id(cert)));
  set("AuthorityKeyId", Bytes(X509_get0_authority_key_id(cert)));
  auto* san = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  AddAltNames(out, AltNamesOf(san), true);
  GENERAL_NAMES_free(san);
  std::vector<std::string> ocsp, issuers;
  auto* aia = static_cast<AUTHORITY_INFO_ACCESS*>(X509_get_ext_d2i(cert, NID_info_access, nullptr, nullptr));
  for (int i = 0; aia && i < sk_ACCESS_DESCRIPTION_num(aia); ++i) {
    const ACCESS_DESCRIPTION* ad = sk_ACCESS_DESCRIPTION_value(aia, i);
    if (ad->location->type != GEN_URI) continue;
    int nid = OBJ_obj2nid(ad->method);
    if (nid == NID_ad_OCSP) ocsp.push_back(Asn1Text(ad->location->d.uniformResourceIdentifier));
    if (nid == NID_ad_ca_issuers) issuers.push_back(Asn1Text(ad->location->d.uniformResourceIdentifier));
  }
  AUTHORITY_INFO_ACCESS_free(aia);
  set("OCSPServer", StringsOrNull(ocsp));
  set("IssuingCertificateURL", StringsOrNull(issuers));
  std::vector<std::string> crl_points;
  auto* crl = static_cast<CRL_DIST_POINTS*>(X509_get_ext_d2i(cert, NID_crl_distribution_points, nullptr, nullptr));
  for (int i = 0; crl && i < sk_DIST_POINT_num(crl); ++i) {
    const DIST_POINT* dp = sk_DIST_POINT_value(crl, i);
    if (!dp->distpoint || dp->distpoint->type != 0) continue;
    for (const auto& uri : AltNamesOf(dp->distpoint->name.fullname).uri) crl_points.push_back(uri);
  }
  CRL_DIST_POINTS_free(crl);
  set("CRLDistributionPoints", StringsOrNull(crl_points));
  return Value::MakeObject(std::move(out));
}

Value CertificatesValue(const Certs& certs) {
  Array out;
  for (const auto& c : certs) out.push_back(CertificateValue(c.get()));
  return Value::MakeArray(std::move(out));
}

// Go's x509.VerifyOptions as OPA reads them from crypto.x509.parse_and_verify_certificates_with_options.
struct VerifyOptions {
  std::string dns_name;
  std::optional<int64_t> current_time_ns;
  std::vector<int> key_usages;  // Go's ExtKeyUsage numbers; empty: server authentication
};

// Go's ExtKeyUsage names as OPA accepts them, in Go's numbering.
const std::vector<std::string> kKeyUsageNames = {
    "KeyUsageAny", "KeyUsageServerAuth", "KeyUsageClientAuth", "KeyUsageCodeSigning", "KeyUsageEmailProtection",
    "KeyUsageIPSECEndSystem", "KeyUsageIPSECTunnel", "KeyUsageIPSECUser", "KeyUsageTimeStamping",
    "KeyUsageOCSPSigning", "KeyUsageMicrosoftServerGatedCrypto", "KeyUsageNetscapeServerGatedCrypto",
    "KeyUsageMicrosoftCommercialCodeSigning", "KeyUsageMicrosoftKernelCodeSigning"};

// The options object; "" and *out filled, or OPA's error text.
std::string ReadVerifyOptions(const Value& options, VerifyOptions* out) {
  for (const auto& [key, v] : options.object()) {
    if (!key.is_string()) continue;
    const std::string& k = key.str();
    if (k == "DNSName") {
      if (!v.is_string()) return "'DNSName' should be a string";
      out->dns_name = v.str();
      out->dns_name.erase(0, out->dns_name.find_first_not_of('"'));
      out->dns_name.erase(out->dns_name.find_last_not_of('"') + 1);
    } else if (k == "CurrentTime") {
      if (!v.is_number()) return "'CurrentTime' should be a number";
      if (!v.is_int()) return "'CurrentTime' should be a valid int64 number";
      out->current_time_ns = v.as_int();
    } else if (k == "MaxConstraintComparisons") {
      // Bounds Go's name-constraint work; OpenSSL's checks need no such bound.
      if (!v.is_number()) return "'MaxConstraintComparisons' should be a number";
      if (!v.is_int()) return "'MaxConstraintComparisons' should be a valid number";
    } else if (k == "KeyUsages") {
      Array names;
      if (v.is_array()) names = v.array();
      else if (v.is_set()) names.assign(v.set().begin(), v.set().end());
      else return "'KeyUsages' should be an Array or Set";
      std::string invalid;
      for (const auto& n : names) {
        if (!n.is_string()) continue;
        auto it = std::find(kKeyUsageNames.begin(), kKeyUsageNames.end(), n.str());
        if (it == kKeyUsageNames.end()) invalid += (invalid.empty() ? "" : " ") + n.str();
        else out->key_usages.push_back(static_cast<int>(it - kKeyUsageNames.begin()));
      }
      if (!invalid.empty()) return "invalid entries for 'KeyUsages' found: [" + invalid + "]";
    } else {
      return "invalid key option";
    }
  }
  return "";
}

// Go's checkChainForKeyUsage: each requested usage must be allowed by every certificate of
// the chain that names extended key usages (any usage, or server authentication's
// server-gated-crypto stand-ins, allow it).
bool ChainAllows(STACK_OF(X509)* chain, std::vector<int> usages) {
  if (usages.empty()) usages = {1};
  if (std::count(usages.begin(), usages.end(), 0)) return true;
  for (int i = 0; i < sk_X509_num(chain) && !usages.empty(); ++i) {
    bool present = false;
    std::vector<int> allowed = ExtKeyUsages(sk_X509_value(chain, i), &present);
    if (!present || std::count(allowed.begin(), allowed.end(), 0)) continue;
    std::vector<int> kept;
    for (int u : usages) {
      bool ok = std::count(allowed.begin(), allowed.end(), u) > 0 ||
                (u == 1 && (std::count(allowed.begin(), allowed.end(), 10) || std::count(allowed.begin(), allowed.end(), 11)));
      if (ok) kept.push_back(u);
    }
    usages = std::move(kept);
  }
  return !usages.empty();
}

// Go's leaf.Verify with roots = {first}, intermediates = the middle, leaf = the last, at the
// options' time (else now), for their DNS name or IP address (if any) and key usages. The
// verified chain, leaf first, or nullopt.
std::optional<Certs> VerifyChain(const Certs& certs, const VerifyOptions& options = {}) {
  if (certs.size() < 2) return std::nullopt;
  Owned<X509_STORE> store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), certs.front().get());
  STACK_OF(X509)* untrusted = sk_X509_new_null();
  for (size_t i = 1; i + 1 < certs.size(); ++i) sk_X509_push(untrusted, certs[i].get());
  X509* leaf = certs.back().get();
  Owned<X509_STORE_CTX> ctx(X509_STORE_CTX_new());
  std::optional<Certs> chain;
  bool ready = X509_STORE_CTX_init(ctx.get(), store.get(), leaf, untrusted) == 1;
  if (ready) {
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
    if (options.current_time_ns) X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(*options.current_time_ns / 1000000000));
    if (!options.dns_name.empty()) {
      unsigned char ip[16];
      bool is_ip = inet_pton(AF_INET, options.dns_name.c_str(), ip) == 1 || inet_pton(AF_INET6, options.dns_name.c_str(), ip) == 1;
      // Go matches names against DNS alternative names only, never the common name.
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
      ready = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, options.dns_name.c_str()) == 1
                    : X509_VERIFY_PARAM_set1_host(param, options.dns_name.c_str(), 0) == 1;
    }
  }
  if (ready && X509_verify_cert(ctx.get()) == 1) {
    STACK_OF(X509)* verified = X509_STORE_CTX_get0_chain(ctx.get());
    if (ChainAllows(verified, options.key_usages)) {
      chain.emplace();
      for (int i = 0; i < sk_X509_num(verified); ++i) {
        X509* c = sk_X509_value(verified, i);
        X509_up_ref(c);
        chain->emplace_back(c);
      }
    }
  }
  sk_X509_free(untrusted);
  return chain;
}

// base64url without padding of a big number's bytes (JWK members).
std::string JwkNumber(const EVP_PKEY* key, const char* param) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, param, &bn) != 1) return "";
  std::string bytes(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(bytes.data()));
  BN_free(bn);
  return Base64Encode(bytes, true, false);
}

Value BigParam(const EVP_PKEY* key, const char* param) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, param, &bn) != 1) return Value::Null();
  Value v = BigNumber(bn);
  BN_free(bn);
  return v;
}

// The private keys in PEM text (RSA PRIVATE KEY, PRIVATE KEY, EC PRIVATE KEY blocks), as
// OPA's getPrivateKeysFromPEMData reads them.
std::optional<std::vector<Owned<EVP_PKEY>>> PrivateKeys(const std::string& input, std::string* error) {
  std::string text = input;
  std::string ignored;
  if (auto decoded = DecodeStd(input, &ignored)) text = *decoded;
  std::vector<Owned<EVP_PKEY>> keys;
  for (const auto& block : PemBlocks(text)) {
    if (block.type != "RSA PRIVATE KEY" && block.type != "PRIVATE KEY" && block.type != "EC PRIVATE KEY") continue;
    const auto* p = reinterpret_cast<const unsigned char*>(block.bytes.data());
    int type = block.type == "RSA PRIVATE KEY" ? EVP_PKEY_RSA : block.type == "EC PRIVATE KEY" ? EVP_PKEY_EC : 0;
    EVP_PKEY* key = type ? d2i_PrivateKey(type, nullptr, &p, static_cast<long>(block.bytes.size()))
                         : d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(block.bytes.size()));
    if (!key) {
      *error = "x509: failed to parse private key (" + block.type + ")";
      return std::nullopt;
    }
    keys.emplace_back(key);
  }
  return keys;
}

// RFC 7518's RSA key members and the OpenSSL parameters holding them.
constexpr std::pair<const char*, const char*> kRsaJwkMembers[] = {
    {"n", OSSL_PKEY_PARAM_RSA_N},          {"e", OSSL_PKEY_PARAM_RSA_E},          {"d", OSSL_PKEY_PARAM_RSA_D},
    {"p", OSSL_PKEY_PARAM_RSA_FACTOR1},    {"q", OSSL_PKEY_PARAM_RSA_FACTOR2},    {"dp", OSSL_PKEY_PARAM_RSA_EXPONENT1},
    {"dq", OSSL_PKEY_PARAM_RSA_EXPONENT2}, {"qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1}};

// A private key as a JWK (RFC 7517 members), as OPA's parse_rsa_private_key returns it.
Value PrivateKeyJwk(const EVP_PKEY* key) {
  Object jwk;
  auto set = [&](const char* k, const std::string& v) { jwk[Value::String(k)] = Value::String(v); };
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      set("kty", "RSA");
      for (const auto& [member, param] : kRsaJwkMembers) set(member, JwkNumber(key, param));
      break;
    case EVP_PKEY_EC: {
      char curve[64] = {0};
      EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof curve, nullptr);
      std::string name = curve;
      set("kty", "EC");
      set("crv", name == "prime256v1" ? "P-256" : name == "secp384r1" ? "P-384" : name == "secp521r1" ? "P-521" : name);
      set("x", JwkNumber(key, OSSL_PKEY_PARAM_EC_PUB_X));
      set("y", JwkNumber(key, OSSL_PKEY_PARAM_EC_PUB_Y));
      set("d", JwkNumber(key, OSSL_PKEY_PARAM_PRIV_KEY));
      break;
    }
    default: return Value::Null();
  }
  return Value::MakeObject(std::move(jwk));
}

// A private key as Go's encoding/json writes crypto.PrivateKey values (parse_private_keys,
// parse_keypair): RSA {N, E, D, Primes, Precomputed}; ECDSA {Curve, X, Y, D}.
Value PrivateKeyGo(const EVP_PKEY* key) {
  Object out;
  auto set = [&](const char* k, Value v) { out[Value::String(k)] = std::move(v); };
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA: {
      set("N", BigParam(key, OSSL_PKEY_PARAM_RSA_N));
      set("E", BigParam(key, OSSL_PKEY_PARAM_RSA_E));
      set("D", BigParam(key, OSSL_PKEY_PARAM_RSA_D));
      set("Primes", Value::MakeArray({BigParam(key, OSSL_PKEY_PARAM_RSA_FACTOR1), BigParam(key, OSSL_PKEY_PARAM_RSA_FACTOR2)}));
      Object pre;
      pre[Value::String("Dp")] = BigParam(key, OSSL_PKEY_PARAM_RSA_EXPONENT1);
      pre[Value::String("Dq")] = BigParam(key, OSSL_PKEY_PARAM_RSA_EXPONENT2);
      pre[Value::String("Qinv")] = BigParam(key, OSSL_PKEY_PARAM_RSA_COEFFICIENT1);
      pre[Value::String("CRTValues")] = Value::MakeArray({});
      set("Precomputed", Value::MakeObject(std::move(pre)));
      break;
    }
    case EVP_PKEY_EC:
      set("Curve", Value::MakeObject({}));
      set("X", BigParam(key, OSSL_PKEY_PARAM_EC_PUB_X));
      set("Y", BigParam(key, OSSL_PKEY_PARAM_EC_PUB_Y));
      set("D", BigParam(key, OSSL_PKEY_PARAM_PRIV_KEY));
      break;
    default: return Value::Null();
  }
  return Value::MakeObject(std::move(out));
}

// PEM text, or base64 of it (DER becomes a PEM block of `der_type`), as OPA reads key pairs.
std::optional<std::string> PemOrBase64(const std::string& input, const char* der_type, std::string* error) {
  if (StartsWith(input, "-----BEGIN")) return input;
  auto decoded = DecodeStd(input, error);
  if (!decoded) return std::nullopt;
  if (StartsWith(*decoded, "-----BEGIN")) return decoded;
  return "-----BEGIN " + std::string(der_type) + "-----\n" + Base64(*decoded) + "\n-----END " + der_type + "-----\n";
}

BuiltinOut StringOperand(const std::string& fn, int index, const Value& v) {
  return BuiltinOut::TypeError(OperandError(fn, index, "string", v));
}

std::string Digest(const char* algo, const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_get_digestbyname(algo), nullptr);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(md), len));
}

std::string Hmac(const char* algo, const std::string& key, const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  HMAC(EVP_get_digestbyname(algo), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(md), len));
}

}  // namespace

void RegisterCryptoBuiltins(Registry& r) {
  for (const char* algo : {"md5", "sha1", "sha256"}) {
    std::string name = std::string("crypto.") + algo, a_name = algo;
    Add(r, name, 1, [name, a_name](const Args& a) {
      if (!a[0].is_string()) return BuiltinOut::TypeError(OperandError(name, 1, "string", a[0]));
      return BuiltinOut::Of(Value::String(Digest(a_name.c_str(), a[0].str())));
    });
  }
  for (const char* algo : {"md5", "sha1", "sha256", "sha512"}) {
    std::string name = std::string("crypto.hmac.") + algo, a_name = algo;
    Add(r, name, 2, [name, a_name](const Args& a) {
      if (!a[0].is_string()) return BuiltinOut::TypeError(OperandError(name, 1, "string", a[0]));
      if (!a[1].is_string()) return BuiltinOut::TypeError(OperandError(name, 2, "string", a[1]));
      return BuiltinOut::Of(Value::String(Hmac(a_name.c_str(), a[1].str(), a[0].str())));
    });
  }
  Add(r, "crypto.hmac.equal", 2, [](const Args& a) {
    if (!a[0].is_string()) return BuiltinOut::TypeError(OperandError("crypto.hmac.equal", 1, "string", a[0]));
    if (!a[1].is_string()) return BuiltinOut::TypeError(OperandError("crypto.hmac.equal", 2, "string", a[1]));
    return BuiltinOut::Of(Value::Bool(a[0].str() == a[1].str()));
  });
  Add(r, "crypto.x509.parse_certificates", 1, [](const Args& a) {
    if (!a[0].is_string()) return StringOperand("crypto.x509.parse_certificates", 1, a[0]);
    std::string error;
    auto certs = CertificatesFrom(a[0].str(), &error);
    if (!certs) return BuiltinOut::Error(error);
    return BuiltinOut::Of(CertificatesValue(*certs));
  });
  Add(r, "crypto.x509.parse_and_verify_certificates", 1, [](const Args& a) {
    if (!a[0].is_string()) return StringOperand("crypto.x509.parse_and_verify_certificates", 1, a[0]);
    std::string error;
    auto certs = CertificatesFrom(a[0].str(), &error);
    std::optional<Certs> chain = certs ? VerifyChain(*certs) : std::nullopt;
    if (!chain) return BuiltinOut::Of(Value::MakeArray({Value::Bool(false), Value::MakeArray({})}));
    return BuiltinOut::Of(Value::MakeArray({Value::Bool(true), CertificatesValue(*chain)}));
  });
  Add(r, "crypto.x509.parse_and_verify_certificates_with_options", 2, [](const Args& a) {
    const char* name = "crypto.x509.parse_and_verify_certificates_with_options";
    if (!a[0].is_string()) return StringOperand(name, 1, a[0]);
    if (!a[1].is_object()) return BuiltinOut::TypeError(OperandError(name, 2, "object", a[1]));
    Value invalid = Value::MakeArray({Value::Bool(false), Value::MakeArray({})});
    std::string error;
    auto certs = CertificatesFrom(a[0].str(), &error);
    if (!certs) return BuiltinOut::Of(invalid);
    VerifyOptions options;
    if (auto why = ReadVerifyOptions(a[1], &options); !why.empty()) return BuiltinOut::Error(why);
    std::optional<Certs> chain = VerifyChain(*certs, options);
    if (!chain) return BuiltinOut::Of(invalid);
    return BuiltinOut::Of(Value::MakeArray({Value::Bool(true), CertificatesValue(*chain)}));
  });
  Add(r, "crypto.x509.parse_certificate_request", 1, [](const Args& a) {
    if (!a[0].is_string()) return StringOperand("crypto.x509.parse_certificate_request", 1, a[0]);
    std::string bytes = a[0].str(), error;
    if (!StartsWith(bytes, "-----BEGIN CERTIFICATE REQUEST-----")) {
      auto decoded = DecodeStd(bytes, &error);
      if (!decoded) return BuiltinOut::Error(error);
      bytes = *decoded;
    }
    auto blocks = PemBlocks(bytes);
    if (!blocks.empty()) {
      if (blocks[0].type != "CERTIFICATE REQUEST") return BuiltinOut::Error("invalid PEM-encoded certificate signing request");
      bytes = blocks[0].bytes;
    }
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    Owned<X509_REQ> req(d2i_X509_REQ(nullptr, &p, static_cast<long>(bytes.size())));
    if (!req) return BuiltinOut::Error("asn1: structure error: not a DER certificate signing request");
    Object out;
    auto set = [&](const char* key, Value v) { out[Value::String(key)] = std::move(v); };
    set("Raw", Value::String(Base64(Der(req.get(), i2d_X509_REQ))));
    set("Version", Value::Int(X509_REQ_get_version(req.get())));
    const ASN1_BIT_STRING* signature = nullptr;
    const X509_ALGOR* sig_alg = nullptr;
    X509_REQ_get0_signature(req.get(), &signature, &sig_alg);
    set("Signature", Value::String(Base64(std::string(reinterpret_cast<const char*>(signature->data),
                                                      static_cast<size_t>(signature->length)))));
    set("SignatureAlgorithm", Value::Int(SignatureAlgorithm(X509_REQ_get_signature_nid(req.get()))));
    EVP_PKEY* key = X509_REQ_get0_pubkey(req.get());
    set("PublicKeyAlgorithm", Value::Int(PublicKeyAlgorithm(key)));
    set("RawSubjectPublicKeyInfo", Value::String(Base64(Der(key, i2d_PUBKEY))));
    set("RawSubject", Value::String(Base64(Der(X509_REQ_get_subject_name(req.get()), i2d_X509_NAME))));
    set("Subject", Name(X509_REQ_get_subject_name(req.get())));
    AltNames names;
    if (STACK_OF(X509_EXTENSION)* exts = X509_REQ_get_extensions(req.get())) {
      auto* san = static_cast<GENERAL_NAMES*>(X509V3_get_d2i(exts, NID_subject_alt_name, nullptr, nullptr));
      names = AltNamesOf(san);
      GENERAL_NAMES_free(san);
      sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    }
    AddAltNames(out, names, false);
    return BuiltinOut::Of(Value::MakeObject(std::move(out)));
  });
  Add(r, "crypto.x509.parse_rsa_private_key", 1, [](const Args& a) {
    if (!a[0].is_string()) return StringOperand("crypto.x509.parse_rsa_private_key", 1, a[0]);
    std::string text = a[0].str(), error;
    if (text.empty()) return BuiltinOut::Error("input PEM data was empty");
    if (!StartsWith(text, "-----BEGIN")) {
      auto decoded = DecodeStd(text, &error);
      if (!decoded) return BuiltinOut::Error(error);
      text = *decoded;
    }
    auto keys = PrivateKeys(text, &error);
    if (!keys) return BuiltinOut::Error(error);
    if (keys->empty()) return BuiltinOut::Of(Value::Null());
    return BuiltinOut::Of(PrivateKeyJwk(keys->front().get()));
  });
  Add(r, "crypto.parse_private_keys", 1, [](const Args& a) {
    if (!a[0].is_string()) return StringOperand("crypto.parse_private_keys", 1, a[0]);
    if (a[0].str().empty()) return BuiltinOut::Of(Value::Null());
    std::string error;
    auto keys = PrivateKeys(a[0].str(), &error);
    if (!keys) return BuiltinOut::Error(error);
    Array out;
    for (const auto& k : *keys) out.push_back(PrivateKeyGo(k.get()));
    return BuiltinOut::Of(Value::MakeArray(std::move(out)));
  });
  Add(r, "crypto.x509.parse_keypair", 2, [](const Args& a) {
    for (int i = 0; i < 2; ++i) {
      if (!a[static_cast<size_t>(i)].is_string()) return StringOperand("crypto.x509.parse_keypair", i + 1, a[static_cast<size_t>(i)]);
    }
    std::string error;
    auto cert_pem = PemOrBase64(a[0].str(), "CERTIFICATE", &error);
    if (!cert_pem) return BuiltinOut::Error(error);
    auto key_pem = PemOrBase64(a[1].str(), "PRIVATE KEY", &error);
    if (!key_pem) return BuiltinOut::Error(error);
    Certs certs;
    for (const auto& block : PemBlocks(*cert_pem)) {
      if (block.type != "CERTIFICATE") continue;
      auto parsed = ParseDerCertificates(block.bytes, &error);
      if (!parsed) return BuiltinOut::Error(error);
      for (auto& c : *parsed) certs.push_back(std::move(c));
    }
    if (certs.empty()) return BuiltinOut::Error("tls: failed to find any PEM data in certificate input");
    auto keys = PrivateKeys(*key_pem, &error);
    if (!keys) return BuiltinOut::Error(error);
    if (keys->empty()) return BuiltinOut::Error("tls: failed to find any PEM data in key input");
    if (X509_check_private_key(certs.front().get(), keys->front().get()) != 1) {
      return BuiltinOut::Error("tls: private key does not match public key");
    }
    Array der;
    for (const auto& c : certs) der.push_back(Value::String(Base64(Der(c.get(), i2d_X509))));
    Object out;
    out[Value::String("Certificate")] = Value::MakeArray(std::move(der));
    out[Value::String("PrivateKey")] = PrivateKeyGo(keys->front().get());
    out[Value::String("Leaf")] = CertificateValue(certs.front().get());
    out[Value::String("OCSPStaple")] = Value::Null();
    out[Value::String("SignedCertificateTimestamps")] = Value::Null();
    out[Value::String("SupportedSignatureAlgorithms")] = Value::Null();
    return BuiltinOut::Of(Value::MakeObject(std::move(out)));
  });
}

}  // namespace oep::rego
