#include "rego/builtins.h"

#include <unordered_map>

#include "rego/engine.h"

namespace oep::rego {
namespace {

uint64_t SaturatingMul(uint64_t a, uint64_t b) {
  uint64_t out;
  return __builtin_mul_overflow(a, b, &out) ? UINT64_MAX : out;
}

// EncodedBytes' walk: adds to *total, stops once past cap; `seen` memoizes collections.
void AddEncoded(const Value& v, uint64_t cap, uint64_t* total, std::unordered_map<const void*, uint64_t>* seen) {
  if (*total > cap) return;
  const void* key = nullptr;
  switch (v.kind()) {
    case Kind::kNull:
    case Kind::kBool: *total += 5; return;
    case Kind::kNumber: *total += 20; return;
    case Kind::kString: *total += v.str().size() + 2; return;
    case Kind::kArray: key = &v.array(); break;
    case Kind::kSet: key = &v.set(); break;
    case Kind::kObject: key = &v.object(); break;
  }
  if (auto it = seen->find(key); it != seen->end()) {
    *total = it->second > cap - std::min(cap, *total) ? cap + 1 : *total + it->second;
    return;
  }
  uint64_t start = *total;
  *total += 2;
  if (v.is_array()) {
    for (const auto& e : v.array()) {
      AddEncoded(e, cap, total, seen);
      ++*total;
      if (*total > cap) return;
    }
  } else if (v.is_set()) {
    for (const auto& e : v.set()) {
      AddEncoded(e, cap, total, seen);
      ++*total;
      if (*total > cap) return;
    }
  } else {
    for (const auto& [k, e] : v.object()) {
      AddEncoded(k, cap, total, seen);
      AddEncoded(e, cap, total, seen);
      *total += 2;
      if (*total > cap) return;
    }
  }
  (*seen)[key] = *total - start;
}

}  // namespace

std::string MemoryBudget::ExceededMessage(uint64_t bytes) const {
  return "memory budget exceeded: " + (bytes == UINT64_MAX ? std::string("more than 2^64") : std::to_string(bytes)) +
         " more bytes needed, " + std::to_string(used_) + " of the " + std::to_string(limit_) +
         "-byte limit in use (max_memory_bytes)";
}

std::optional<BuiltinOut> ReserveMemory(uint64_t count, uint64_t unit_bytes) {
  uint64_t bytes = SaturatingMul(count, unit_bytes);
  MemoryBudget fallback(kDefaultMaxMemoryBytes);
  MemoryBudget* budget = builtin_budget ? builtin_budget : &fallback;
  if (budget->Charge(bytes)) return std::nullopt;
  BuiltinOut out = BuiltinOut::Error(budget->ExceededMessage(bytes));
  out.fatal = true;
  return out;
}

uint64_t MemoryLeft() {
  if (!builtin_budget) return static_cast<uint64_t>(kDefaultMaxMemoryBytes);
  return static_cast<uint64_t>(std::max<int64_t>(0, builtin_budget->limit() - builtin_budget->used()));
}

uint64_t EncodedBytes(const Value& v, uint64_t cap) {
  uint64_t total = 0;
  std::unordered_map<const void*, uint64_t> seen;
  AddEncoded(v, cap, &total, &seen);
  return total;
}

std::string OperandError(const std::string& fn, int index, const std::string& want, const Value& got) {
  (void)fn;
  return "operand " + std::to_string(index) + " must be " + want + " but got " + got.TypeName();
}

std::string QuotedNameSet(const std::vector<std::string>& names) {
  std::string out = "{";
  for (size_t i = 0; i < names.size(); ++i) out += (i ? ", \"" : "\"") + names[i] + "\"";
  return out + "}";
}

std::string HexEncode(std::string_view bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

const std::map<std::string, Builtin>& Builtins() {
  static const Registry registry = [] {
    Registry r;
    RegisterOperatorBuiltins(r);
    RegisterStringBuiltins(r);
    RegisterCollectionBuiltins(r);
    RegisterEncodingBuiltins(r);
    RegisterRegexBuiltins(r);
    RegisterGraphBuiltins(r);
    RegisterOpaBuiltins(r);
    RegisterSemverBuiltins(r);
    RegisterUuidBuiltins(r);
    RegisterJwtBuiltins(r);
    RegisterNetBuiltins(r);
    RegisterJsonBuiltins(r);
    RegisterAwsBuiltins(r);
    RegisterTimeBuiltins(r);
    RegisterHttpBuiltins(r);
    RegisterRandomBuiltins(r);
    RegisterCryptoBuiltins(r);
    RegisterYamlBuiltins(r);
    RegisterGraphqlBuiltins(r);
    RegisterTemplateBuiltins(r);
    RegisterUnitsBuiltins(r);
    RegisterUrlqueryBuiltins(r);
    RegisterUriBuiltins(r);
    RegisterDeprecatedBuiltins(r);
    return r;
  }();
  return registry;
}

}  // namespace oep::rego
