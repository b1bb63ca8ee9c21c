// rand.intn (and ProcessRandom, which uuid.rfc4122 uses) outside replay: random per process, and — as OPA guarantees
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
}

}  // namespace oep::rego
