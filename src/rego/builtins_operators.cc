// Comparison, arithmetic, set operators, membership, types and casts.
#include <cmath>

#include <openssl/bn.h>

#include "rego/builtins.h"

namespace oep::rego {
namespace {

using Args = std::vector<Value>;

BuiltinOut Arith(const std::string& name, const Args& a) {
  if (!a[0].is_number()) return BuiltinOut::TypeError(OperandError(name, 1, "number", a[0]));
  if (!a[1].is_number()) return BuiltinOut::TypeError(OperandError(name, 2, "number", a[1]));
  const Value &x = a[0], &y = a[1];
  if (x.is_int() && y.is_int()) {
    int64_t i = x.as_int(), j = y.as_int(), out;
    if (name == "plus" && !__builtin_add_overflow(i, j, &out)) return BuiltinOut::Of(Value::Int(out));
    if (name == "minus" && !__builtin_sub_overflow(i, j, &out)) return BuiltinOut::Of(Value::Int(out));
    if (name == "mul" && !__builtin_mul_overflow(i, j, &out)) return BuiltinOut::Of(Value::Int(out));
    if (name == "rem") {
      if (j == 0) return BuiltinOut::Error("modulo by zero");
      return BuiltinOut::Of(Value::Int(i % j));
    }
    if (name == "div") {
      if (j == 0) return BuiltinOut::Error("divide by zero");
      if (i % j == 0) return BuiltinOut::Of(Value::Int(i / j));
    }
  }
  double i = x.as_double(), j = y.as_double();
  if (name == "plus") return BuiltinOut::Of(Value::Double(i + j));
  if (name == "minus") return BuiltinOut::Of(Value::Double(i - j));
  if (name == "mul") return BuiltinOut::Of(Value::Double(i * j));
  if (name == "div") {
    if (j == 0) return BuiltinOut::Error("divide by zero");
    return BuiltinOut::Of(Value::Double(i / j));
  }
  if (name == "rem") {
    if (!x.is_int() || !y.is_int()) return BuiltinOut::Error("modulo on floating-point number");
  }
  return BuiltinOut::Error("unsupported arithmetic");
}

BuiltinOut SetOp(const std::string& name, const Args& a) {
  if (name == "minus" && a[0].is_set() && a[1].is_set()) {
    Set s;
    for (const auto& v : a[0].set()) if (!a[1].set().count(v)) s.insert(v);
    return BuiltinOut::Of(Value::MakeSet(std::move(s)));
  }
  return BuiltinOut::Undefined();
}

void Add(Registry& r, const std::string& name, int arity, BuiltinFn fn) { r[name] = Builtin{arity, std::move(fn)}; }

// x << y exactly, as OPA's big integers compute it: an int64 when it fits, else the
// decimal text of the wider result (shifts past 65,536 bits are refused).
BuiltinOut ShiftLeft(int64_t x, int64_t y) {
  int64_t narrow = 0;
  if (y < 63 && !__builtin_mul_overflow(x, int64_t{1} << y, &narrow)) return BuiltinOut::Of(Value::Int(narrow));
  if (y > 65536) return BuiltinOut::Error("bits.lsh: shift of " + std::to_string(y) + " bits is too large");
  BIGNUM* bn = BN_new();
  uint64_t magnitude = x < 0 ? 0 - static_cast<uint64_t>(x) : static_cast<uint64_t>(x);
  BN_set_word(bn, magnitude);
  BN_lshift(bn, bn, static_cast<int>(y));
  BN_set_negative(bn, x < 0 ? 1 : 0);
  char* dec = BN_bn2dec(bn);
  Value v = Value::NumberText(dec);
  OPENSSL_free(dec);
  BN_free(bn);
  return BuiltinOut::Of(v);
}

}  // namespace

void RegisterOperatorBuiltins(Registry& r) {
  auto cmp = [](auto pred) {
    return [pred](const Args& a) { return BuiltinOut::Of(Value::Bool(pred(a[0].Compare(a[1])))); };
  };
  Add(r, "equal", 2, cmp([](int c) { return c == 0; }));
  Add(r, "neq", 2, cmp([](int c) { return c != 0; }));
  Add(r, "lt", 2, cmp([](int c) { return c < 0; }));
  Add(r, "lte", 2, cmp([](int c) { return c <= 0; }));
  Add(r, "gt", 2, cmp([](int c) { return c > 0; }));
  Add(r, "gte", 2, cmp([](int c) { return c >= 0; }));
  for (const char* op : {"plus", "mul", "div", "rem"}) {
    std::string name = op;
    Add(r, name, 2, [name](const Args& a) { return Arith(name, a); });
  }
  Add(r, "minus", 2, [](const Args& a) {
    if (a[0].is_set() || a[1].is_set()) {
      if (a[0].is_number()) return BuiltinOut::TypeError(OperandError("minus", 2, "number", a[1]));
      if (!a[0].is_set()) return BuiltinOut::TypeError(OperandError("minus", 1, "number or set", a[0]));
      if (!a[1].is_set()) return BuiltinOut::TypeError(OperandError("minus", 2, "set", a[1]));
      return SetOp("minus", a);
    }
    return Arith("minus", a);
  });
  Add(r, "and", 2, [](const Args& a) {
    if (!a[0].is_set()) return BuiltinOut::TypeError(OperandError("and", 1, "set", a[0]));
    if (!a[1].is_set()) return BuiltinOut::TypeError(OperandError("and", 2, "set", a[1]));
    Set s;
    for (const auto& v : a[0].set()) if (a[1].set().count(v)) s.insert(v);
    return BuiltinOut::Of(Value::MakeSet(std::move(s)));
  });
  Add(r, "or", 2, [](const Args& a) {
    if (!a[0].is_set()) return BuiltinOut::TypeError(OperandError("or", 1, "set", a[0]));
    if (!a[1].is_set()) return BuiltinOut::TypeError(OperandError("or", 2, "set", a[1]));
    Set s = a[0].set();
    s.insert(a[1].set().begin(), a[1].set().end());
    return BuiltinOut::Of(Value::MakeSet(std::move(s)));
  });
  Add(r, "internal.member_2", 2, [](const Args& a) {
    const Value& c = a[1];
    bool found = false;
    if (c.is_array()) for (const auto& v : c.array()) found = found || v == a[0];
    else if (c.is_object()) for (const auto& [k, v] : c.object()) found = found || v == a[0];
    else if (c.is_set()) found = c.set().count(a[0]) > 0;
    return BuiltinOut::Of(Value::Bool(found));
  });
  Add(r, "internal.member_3", 3, [](const Args& a) {
    auto v = a[2].Get(a[0]);
    if (a[2].is_set()) return BuiltinOut::Of(Value::Bool(false));
    return BuiltinOut::Of(Value::Bool(v && *v == a[1]));
  });
  Add(r, "abs", 1, [](const Args& a) {
    if (!a[0].is_number()) return BuiltinOut::TypeError(OperandError("abs", 1, "number", a[0]));
    return BuiltinOut::Of(a[0].is_int() ? Value::Int(std::llabs(a[0].as_int())) : Value::Double(std::fabs(a[0].as_double())));
  });
  for (const char* fn : {"round", "ceil", "floor"}) {
    std::string name = fn;
    Add(r, name, 1, [name](const Args& a) {
      if (!a[0].is_number()) return BuiltinOut::TypeError(OperandError(name, 1, "number", a[0]));
      if (a[0].is_int()) return BuiltinOut::Of(a[0]);
      double d = a[0].as_double();
      double out = name == "round" ? std::round(d) : (name == "ceil" ? std::ceil(d) : std::floor(d));
      return BuiltinOut::Of(Value::Double(out));
    });
  }
  // bits.*: integers only.
  struct BitOp {
    const char* name;
    int arity;
    int64_t (*fn)(int64_t, int64_t);
  };
  for (BitOp op : {BitOp{"bits.or", 2, [](int64_t x, int64_t y) { return x | y; }},
                   BitOp{"bits.and", 2, [](int64_t x, int64_t y) { return x & y; }},
                   BitOp{"bits.xor", 2, [](int64_t x, int64_t y) { return x ^ y; }},
                   BitOp{"bits.negate", 1, [](int64_t x, int64_t) { return ~x; }},
                   BitOp{"bits.lsh", 2, [](int64_t x, int64_t y) { return static_cast<int64_t>(static_cast<uint64_t>(x) << (y & 63)); }},
                   BitOp{"bits.rsh", 2, [](int64_t x, int64_t y) { return x >> (y & 63); }}}) {
    std::string name = op.name;
    auto fn = op.fn;
    int arity = op.arity;
    Add(r, name, arity, [name, fn, arity](const Args& a) {
      for (int i = 0; i < arity; ++i) {
        const Value& v = a[static_cast<size_t>(i)];
        if (!v.is_number()) return BuiltinOut::TypeError(OperandError(name, i + 1, "number", v));
        if (!v.is_int()) return BuiltinOut::TypeError("operand " + std::to_string(i + 1) + " must be integer number but got floating-point number");
      }
      if ((name == "bits.lsh" || name == "bits.rsh") && a[1].as_int() < 0) return BuiltinOut::TypeError("operand 2 must be an unsigned integer number but got a negative integer");
      if (name == "bits.lsh") return ShiftLeft(a[0].as_int(), a[1].as_int());
      return BuiltinOut::Of(Value::Int(fn(a[0].as_int(), arity > 1 ? a[1].as_int() : 0)));
    });
  }
  // Types.
  Add(r, "type_name", 1, [](const Args& a) { return BuiltinOut::Of(Value::String(a[0].TypeName())); });
  const std::pair<const char*, Kind> kinds[] = {{"is_null", Kind::kNull},     {"is_boolean", Kind::kBool},
                                                {"is_number", Kind::kNumber}, {"is_string", Kind::kString},
                                                {"is_array", Kind::kArray},   {"is_object", Kind::kObject},
                                                {"is_set", Kind::kSet}};
  for (const auto& [name, kind] : kinds) {
    Kind want = kind;
    Add(r, name, 1, [want](const Args& a) {
      return a[0].kind() == want ? BuiltinOut::Of(Value::Bool(true)) : BuiltinOut::Of(Value::Bool(false));
    });
  }
  Add(r, "to_number", 1, [](const Args& a) {
    const Value& v = a[0];
    if (v.is_number()) return BuiltinOut::Of(v);
    if (v.is_null()) return BuiltinOut::Of(Value::Int(0));
    if (v.is_bool()) return BuiltinOut::Of(Value::Int(v.as_bool() ? 1 : 0));
    if (v.is_string()) {
      const std::string& s = v.str();
      // Go's ParseFloat would accept these; OPA refuses them as operands of the wrong kind.
      std::string word = s.substr(std::min(s.find_first_not_of("+-"), s.size()));
      for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (word == "inf" || word == "infinity" || word == "nan") {
        return BuiltinOut::TypeError(OperandError("to_number", 1, "valid number string", v));
      }
      char* end = nullptr;
      if (s.empty()) return BuiltinOut::Error("strconv.ParseFloat: parsing \"\": invalid syntax");
      std::strtod(s.c_str(), &end);
      if (end != s.c_str() + s.size() || s.find_first_of("xXnN") != std::string::npos) {
        return BuiltinOut::Error("strconv.ParseFloat: parsing \"" + s + "\": invalid syntax");
      }
      return BuiltinOut::Of(Value::NumberText(s[0] == '+' ? s.substr(1) : s));
    }
    return BuiltinOut::TypeError(OperandError("to_number", 1, "null, boolean, number or string", v));
  });
}

}  // namespace oep::rego
