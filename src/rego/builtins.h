// Built-in functions: one registry, one file per namespace (builtins_*.cc).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rego/value.h"

namespace oep::rego {

// What a built-in call produced. Errors carry OPA's codes: eval_type_error for operands
// of the wrong type, eval_builtin_error otherwise.
struct BuiltinOut {
  enum class Kind { kValue, kUndefined, kError, kMany } kind = Kind::kUndefined;
  Value value;  // kMany: an array of the outputs (relations such as walk)
  std::string code;
  std::string message;
  // kError that ends the evaluation whatever strict_builtin_errors says (the memory budget):
  // making the call undefined would turn a refused allocation into a wrong decision.
  bool fatal = false;
  static BuiltinOut Of(Value v) { return {Kind::kValue, std::move(v), {}, {}}; }
  static BuiltinOut Undefined() { return {}; }
  static BuiltinOut Many(Array outputs) { return {Kind::kMany, Value::MakeArray(std::move(outputs)), {}, {}}; }
  static BuiltinOut TypeError(std::string msg) { return {Kind::kError, {}, "eval_type_error", std::move(msg)}; }
  static BuiltinOut Error(std::string msg) { return {Kind::kError, {}, "eval_builtin_error", std::move(msg)}; }
};

// ---- the evaluation's memory budget (EvalOptions::max_memory_bytes)

// Estimated bytes of one element of a collection: the Value itself, plus the tree node of a
// set member or object entry.
inline constexpr uint64_t kArrayElementBytes = sizeof(Value);
inline constexpr uint64_t kSetElementBytes = sizeof(Value) + 32;
inline constexpr uint64_t kObjectEntryBytes = 2 * sizeof(Value) + 32;

// Bytes that charging would count for `v` itself: a string's length, a collection's
// elements (not what they hold in turn); 0 for null, booleans and numbers.
inline uint64_t ShallowBytes(const Value& v) {
  switch (v.kind()) {
    case Kind::kString: return v.str().size();
    case Kind::kArray: return v.array().size() * kArrayElementBytes;
    case Kind::kSet: return v.set().size() * kSetElementBytes;
    case Kind::kObject: return v.object().size() * kObjectEntryBytes;
    default: return 0;
  }
}

// The bytes in use by one evaluation's values. Built-ins reserve what they are about to
// allocate, estimated from their arguments, before allocating (ReserveMemory); the evaluator
// charges results of built-ins and the collections it builds, and releases a charge when
// nothing kept the value it paid for. One per evaluation; not thread-safe.
class MemoryBudget {
 public:
  explicit MemoryBudget(int64_t limit) : limit_(limit) {}
  // Adds `bytes` to the bytes in use; false, and nothing added, when that passes the limit.
  bool Charge(uint64_t bytes) {
    if (bytes > static_cast<uint64_t>(limit_ - used_)) return false;
    used_ += static_cast<int64_t>(bytes);
    return true;
  }
  void Release(int64_t bytes) { used_ -= bytes; }
  int64_t used() const { return used_; }
  int64_t limit() const { return limit_; }
  // "memory budget exceeded: N more bytes needed, U of the L-byte limit in use".
  std::string ExceededMessage(uint64_t bytes) const;

 private:
  int64_t limit_;
  int64_t used_ = 0;
};

// The budget ReserveMemory charges on this thread (set by BuiltinBudgetScope).
inline thread_local MemoryBudget* builtin_budget = nullptr;

// Makes `budget` the one ReserveMemory charges on this thread while the scope lives.
class BuiltinBudgetScope {
 public:
  explicit BuiltinBudgetScope(MemoryBudget* budget) : saved_(builtin_budget) { builtin_budget = budget; }
  ~BuiltinBudgetScope() { builtin_budget = saved_; }
  BuiltinBudgetScope(const BuiltinBudgetScope&) = delete;
  BuiltinBudgetScope& operator=(const BuiltinBudgetScope&) = delete;

 private:
  MemoryBudget* saved_;
};

// For a built-in about to allocate `count` * `unit_bytes` (saturating: a count taken from an
// argument cannot overflow): nullopt when that fits the budget in scope (and it is charged),
// else the fatal error to return. Outside an evaluation (no budget in scope) the default
// limit bounds the one reservation.
std::optional<BuiltinOut> ReserveMemory(uint64_t count, uint64_t unit_bytes = 1);

// What is left of the budget in scope (the default limit outside an evaluation): the cap
// for an estimate whose only use is to be reserved.
uint64_t MemoryLeft();

// The size of `v` as JSON text, estimated (numbers as 20 bytes) and counted no further than
// `cap`; a collection shared at many places of `v` is measured once, so this is linear in
// the memory `v` occupies even when its text would be exponentially longer.
uint64_t EncodedBytes(const Value& v, uint64_t cap);

using BuiltinFn = std::function<BuiltinOut(const std::vector<Value>& args)>;

struct Builtin {
  int arity;
  BuiltinFn fn;
  // Deprecated: OPA offers it to v0 policies only (Engine::Compile's v0_compatible).
  bool v0_only = false;
};

// name (e.g. "count", "object.get", "plus") -> built-in.
const std::map<std::string, Builtin>& Builtins();

// Registration helpers used by the builtins_*.cc files.
using Registry = std::map<std::string, Builtin>;
void RegisterOperatorBuiltins(Registry& r);
void RegisterStringBuiltins(Registry& r);
void RegisterCollectionBuiltins(Registry& r);
void RegisterEncodingBuiltins(Registry& r);
void RegisterRegexBuiltins(Registry& r);
void RegisterGraphBuiltins(Registry& r);
void RegisterOpaBuiltins(Registry& r);
void RegisterSemverBuiltins(Registry& r);
void RegisterUuidBuiltins(Registry& r);
void RegisterJwtBuiltins(Registry& r);
void RegisterNetBuiltins(Registry& r);
void RegisterJsonBuiltins(Registry& r);
void RegisterAwsBuiltins(Registry& r);
void RegisterTimeBuiltins(Registry& r);
void RegisterHttpBuiltins(Registry& r);
void RegisterRandomBuiltins(Registry& r);
void RegisterCryptoBuiltins(Registry& r);
void RegisterYamlBuiltins(Registry& r);
void RegisterGraphqlBuiltins(Registry& r);
void RegisterTemplateBuiltins(Registry& r);
void RegisterUnitsBuiltins(Registry& r);
void RegisterUrlqueryBuiltins(Registry& r);
void RegisterUriBuiltins(Registry& r);
// Last: it aliases built-ins the others registered.
void RegisterDeprecatedBuiltins(Registry& r);

// 32 bytes: HMAC-SHA256 of `what` under this process's random key (rand.intn, uuid.rfc4122).
std::string ProcessRandom(const std::string& what);

// Base64 of `in`: standard or URL alphabet, with or without '=' padding.
std::string Base64Encode(const std::string& in, bool url, bool pad);

// Decodes base64 (the URL alphabet when `url`) as Go's encoding/base64 does: line breaks
// skipped, standard text padded with '='; nullopt on bad input, with the offset of the
// offending quantum or byte in *bad_byte.
std::optional<std::string> Base64Decode(std::string_view in, bool url, size_t* bad_byte = nullptr);

// `{"a", "b"}`: names as OPA lists them in its operand messages.
std::string QuotedNameSet(const std::vector<std::string>& names);

// Lowercase hexadecimal of `bytes` (digests, signatures).
std::string HexEncode(std::string_view bytes);

// "operand 1 must be number but got string"-style messages.
std::string OperandError(const std::string& fn, int index, const std::string& want, const Value& got);

}  // namespace oep::rego
