// The built-ins OPA deprecated and offers to v0 policies only (Builtin::v0_only): the casts,
// set_diff, any, all, and the old names re_match (regex.match) and net.cidr_overlap
// (net.cidr_contains).

#include "rego/builtins.h"

namespace oep::rego {
namespace {

using Args = std::vector<Value>;

void AddV0(Registry& r, const std::string& name, int arity, BuiltinFn fn) {
  r[name] = Builtin{arity, std::move(fn), /*v0_only=*/true};
}

// cast_boolean, cast_null, cast_object, cast_string: the operand itself when it has the type.
void AddIdentityCast(Registry& r, const std::string& name, Kind kind, const std::string& type) {
  AddV0(r, name, 1, [kind, type](const Args& a) {
    if (a[0].kind() != kind) return BuiltinOut::TypeError(OperandError("", 1, type, a[0]));
    return BuiltinOut::Of(a[0]);
  });
}

// The elements of an array or a set, in order; false for anything else.
bool Elements(const Value& v, Array* out) {
  if (v.is_array()) *out = v.array();
  else if (v.is_set()) out->assign(v.set().begin(), v.set().end());
  else return false;
  return true;
}

}  // namespace

void RegisterDeprecatedBuiltins(Registry& r) {
  AddIdentityCast(r, "cast_boolean", Kind::kBool, "boolean");
  AddIdentityCast(r, "cast_null", Kind::kNull, "null");
  AddIdentityCast(r, "cast_object", Kind::kObject, "object");
  AddIdentityCast(r, "cast_string", Kind::kString, "string");
  AddV0(r, "cast_array", 1, [](const Args& a) {
    Array xs;
    if (!Elements(a[0], &xs)) return BuiltinOut::TypeError(OperandError("", 1, "one of {array, set}", a[0]));
    return BuiltinOut::Of(Value::MakeArray(std::move(xs)));
  });
  AddV0(r, "cast_set", 1, [](const Args& a) {
    if (a[0].is_set()) return BuiltinOut::Of(a[0]);
    if (!a[0].is_array()) return BuiltinOut::TypeError(OperandError("", 1, "one of {array, set}", a[0]));
    return BuiltinOut::Of(Value::MakeSet(Set(a[0].array().begin(), a[0].array().end())));
  });
  AddV0(r, "set_diff", 2, [](const Args& a) {
    if (!a[0].is_set()) return BuiltinOut::TypeError(OperandError("", 1, "set", a[0]));
    if (!a[1].is_set()) return BuiltinOut::TypeError(OperandError("", 2, "set", a[1]));
    Set out;
    for (const auto& x : a[0].set()) if (!a[1].set().count(x)) out.insert(x);
    return BuiltinOut::Of(Value::MakeSet(std::move(out)));
  });
  AddV0(r, "all", 1, [](const Args& a) {
    Array xs;
    if (!Elements(a[0], &xs)) return BuiltinOut::TypeError(OperandError("", 1, "any<array[any], set[any]>", a[0]));
    for (const auto& x : xs) if (!(x.is_bool() && x.as_bool())) return BuiltinOut::Of(Value::Bool(false));
    return BuiltinOut::Of(Value::Bool(true));
  });
  AddV0(r, "any", 1, [](const Args& a) {
    Array xs;
    if (!Elements(a[0], &xs)) return BuiltinOut::TypeError(OperandError("", 1, "any<array[any], set[any]>", a[0]));
    for (const auto& x : xs) if (x.is_bool() && x.as_bool()) return BuiltinOut::Of(Value::Bool(true));
    return BuiltinOut::Of(Value::Bool(false));
  });
  // Old names answering as the current built-in does (registered before this).
  for (const auto& [old_name, current] : {std::pair<const char*, const char*>{"re_match", "regex.match"},
                                          {"net.cidr_overlap", "net.cidr_contains"}}) {
    Builtin b = r.at(current);
    b.v0_only = true;
    r[old_name] = std::move(b);
  }
}

}  // namespace oep::rego
