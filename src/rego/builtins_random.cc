// rand.intn and uuid.rfc4122 outside replay: random per process, and — as OPA guarantees
// within a query — the same arguments give the same answer (an HMAC of the arguments under a
// process-wide random key). During replay the evaluator answers both from the recorded
// nd_builtin_cache before this is reached.
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "rego/builtins.h"

namespace oep::rego {
namespace {

// 32 bytes: HMAC-SHA256 of `what` under this process's random key.
std::string ProcessRandom(const std::string& what) {
  static unsigned char key[32];
  static std::once_flag once;
  std::call_once(once, [] {
    if (RAND_bytes(key, sizeof key) != 1) std::abort();  // no entropy: nothing random can be trusted
  });
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  HMAC(EVP_sha256(), key, sizeof key, reinterpret_cast<const unsigned char*>(what.data()), what.size(), md, &len);
  return std::string(reinterpret_cast<const char*>(md), len);
}

}  // namespace

void RegisterRandomBuiltins(Registry& r) {
  r["rand.intn"] = Builtin{2, [](const std::vector<Value>& a) {
    if (!a[0].is_string()) return BuiltinOut::TypeError(OperandError("rand.intn", 1, "string", a[0]));
    if (!a[1].is_int()) return BuiltinOut::TypeError(OperandError("rand.intn", 2, "integer number", a[1]));
    int64_t n = a[1].as_int();
    if (n == 0) return BuiltinOut::Of(Value::Int(0));
    uint64_t bound = n < 0 ? static_cast<uint64_t>(-(n + 1)) + 1 : static_cast<uint64_t>(n);
    std::string bytes = ProcessRandom("rand.intn\n" + a[0].str() + "\n" + std::to_string(n));
    uint64_t v = 0;
    std::memcpy(&v, bytes.data(), sizeof v);
    return BuiltinOut::Of(Value::Int(static_cast<int64_t>(v % bound)));
  }};
  r["uuid.rfc4122"] = Builtin{1, [](const std::vector<Value>& a) {
    if (!a[0].is_string()) return BuiltinOut::TypeError(OperandError("uuid.rfc4122", 1, "string", a[0]));
    std::string b = ProcessRandom("uuid.rfc4122\n" + a[0].str()).substr(0, 16);
    b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);  // version 4
    b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
    std::string hex = HexEncode(b);
    return BuiltinOut::Of(Value::String(hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
                                        hex.substr(16, 4) + "-" + hex.substr(20)));
  }};
}

}  // namespace oep::rego
