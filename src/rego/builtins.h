// Built-in functions: one registry, one file per namespace (builtins_*.cc).
#pragma once

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
  static BuiltinOut Of(Value v) { return {Kind::kValue, std::move(v), {}, {}}; }
  static BuiltinOut Undefined() { return {}; }
  static BuiltinOut Many(Array outputs) { return {Kind::kMany, Value::MakeArray(std::move(outputs)), {}, {}}; }
  static BuiltinOut TypeError(std::string msg) { return {Kind::kError, {}, "eval_type_error", std::move(msg)}; }
  static BuiltinOut Error(std::string msg) { return {Kind::kError, {}, "eval_builtin_error", std::move(msg)}; }
};

using BuiltinFn = std::function<BuiltinOut(const std::vector<Value>& args)>;

struct Builtin {
  int arity;
  BuiltinFn fn;
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
void RegisterMiscBuiltins(Registry& r);
void RegisterJwtBuiltins(Registry& r);
void RegisterNetBuiltins(Registry& r);
void RegisterJsonBuiltins(Registry& r);
void RegisterAwsBuiltins(Registry& r);
void RegisterTimeBuiltins(Registry& r);
void RegisterHttpBuiltins(Registry& r);
void RegisterRandomBuiltins(Registry& r);
void RegisterX509Builtins(Registry& r);
void RegisterYamlBuiltins(Registry& r);
void RegisterGraphqlBuiltins(Registry& r);
void RegisterTemplateBuiltins(Registry& r);

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
