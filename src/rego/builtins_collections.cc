// Aggregates, arrays, objects, sets, numbers.range, walk.
#include <algorithm>
#include <cmath>

#include "rego/builtins.h"

namespace oep::rego {
namespace {

using Args = std::vector<Value>;

void Add(Registry& r, const std::string& name, int arity, BuiltinFn fn) { r[name] = Builtin{arity, std::move(fn)}; }

// Elements of an array or set (objects give their values when `objects` is set).
bool Elements(const Value& v, Array* out, bool objects = false) {
  if (v.is_array()) *out = v.array();
  else if (v.is_set()) out->assign(v.set().begin(), v.set().end());
  else if (objects && v.is_object()) for (const auto& [k, e] : v.object()) out->push_back(e);
  else return false;
  return true;
}

// Appends [path, v] for `v` and everything below it; the budget's error when the paths
// (each as long as its depth) do not fit.
std::optional<BuiltinOut> Walk(const Value& v, Array& path, Array& out) {
  if (auto refused = ReserveMemory(path.size() + 4, kArrayElementBytes)) return refused;
  out.push_back(Value::MakeArray({Value::MakeArray(path), v}));
  std::optional<BuiltinOut> refused;
  auto visit = [&](const Value& key, const Value& child) {
    path.push_back(key);
    refused = Walk(child, path, out);
    path.pop_back();
    return !refused;
  };
  if (v.is_array()) {
    for (size_t i = 0; i < v.array().size(); ++i) if (!visit(Value::Int(static_cast<int64_t>(i)), v.array()[i])) break;
  } else if (v.is_object()) {
    for (const auto& [k, c] : v.object()) if (!visit(k, c)) break;
  } else if (v.is_set()) {
    for (const auto& c : v.set()) if (!visit(c, c)) break;
  }
  return refused;
}

// Elements from `x` to `y` by `step` (> 0): how many numbers.range(_step) makes.
uint64_t RangeLength(int64_t x, int64_t y, uint64_t step) {
  uint64_t span = x <= y ? static_cast<uint64_t>(y) - static_cast<uint64_t>(x) : static_cast<uint64_t>(x) - static_cast<uint64_t>(y);
  return span / step + 1;
}

Value UnionObjects(const Value& a, const Value& b) {
  if (!a.is_object() || !b.is_object()) return b;
  Object o = a.object();
  for (const auto& [k, v] : b.object()) {
    auto it = o.find(k);
    o[k] = it == o.end() ? v : UnionObjects(it->second, v);
  }
  return Value::MakeObject(std::move(o));
}

bool IsSubset(const Value& super, const Value& sub) {
  if (super.is_object() && sub.is_object()) {
    for (const auto& [k, v] : sub.object()) {
      auto s = super.Get(k);
      if (!s || !IsSubset(*s, v)) return false;
    }
    return true;
  }
  if (super.is_set() && sub.is_set()) {
    for (const auto& v : sub.set()) if (!super.set().count(v)) return false;
    return true;
  }
  if (super.is_array() && sub.is_array()) {
    const Array &a = super.array(), &b = sub.array();
    if (b.empty()) return true;
    for (size_t i = 0; i + b.size() <= a.size(); ++i) {
      bool all = true;
      for (size_t j = 0; j < b.size() && all; ++j) all = a[i + j] == b[j];
      if (all) return true;
    }
    return false;
  }
  if (super.is_array() && sub.is_set()) {
    for (const auto& v : sub.set()) {
      if (std::find(super.array().begin(), super.array().end(), v) == super.array().end()) return false;
    }
    return true;
  }
  if (super.is_set() && sub.is_array()) {
    for (const auto& v : sub.array()) if (!super.set().count(v)) return false;
    return true;
  }
  return super == sub;
}


}  // namespace

void RegisterCollectionBuiltins(Registry& r) {
  Add(r, "count", 1, [](const Args& a) {
    const Value& v = a[0];
    if (v.is_string()) {
      // Runes as Go counts them: each byte of an invalid sequence counts as one.
      const std::string& s = v.str();
      int64_t n = 0;
      for (size_t i = 0; i < s.size(); ++n) {
        auto c = static_cast<unsigned char>(s[i]);
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        bool valid = len > 0 && i + len <= s.size();
        for (size_t k = 1; valid && k < len; ++k) valid = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
        i += valid ? len : 1;
      }
      return BuiltinOut::Of(Value::Int(n));
    }
    if (v.is_array()) return BuiltinOut::Of(Value::Int(static_cast<int64_t>(v.array().size())));
    if (v.is_object()) return BuiltinOut::Of(Value::Int(static_cast<int64_t>(v.object().size())));
    if (v.is_set()) return BuiltinOut::Of(Value::Int(static_cast<int64_t>(v.set().size())));
    return BuiltinOut::TypeError("operand 1 must be one of {array, object, set, string} but got " + v.TypeName());
  });
  for (const char* fn : {"sum", "product"}) {
    std::string name = fn;
    Add(r, name, 1, [name](const Args& a) {
      Array xs;
      if (!Elements(a[0], &xs)) return BuiltinOut::TypeError(OperandError(name, 1, "any<array[number], set[number]>", a[0]));
      bool all_int = true;
      int64_t acc_i = name == "sum" ? 0 : 1;
      double acc_d = name == "sum" ? 0 : 1;
      for (const auto& x : xs) {
        if (!x.is_number()) return BuiltinOut::TypeError(OperandError(name, 1, "any<array[number], set[number]>", a[0]));
        if (x.is_int() && all_int) {
          int64_t next;
          bool overflow = name == "sum" ? __builtin_add_overflow(acc_i, x.as_int(), &next) : __builtin_mul_overflow(acc_i, x.as_int(), &next);
          if (!overflow) acc_i = next;
          else all_int = false;
        } else {
          all_int = false;
        }
        acc_d = name == "sum" ? acc_d + x.as_double() : acc_d * x.as_double();
      }
      return BuiltinOut::Of(all_int ? Value::Int(acc_i) : Value::Double(acc_d));
    });
  }
  for (const char* fn : {"max", "min"}) {
    std::string name = fn;
    Add(r, name, 1, [name](const Args& a) {
      Array xs;
      if (!Elements(a[0], &xs)) return BuiltinOut::TypeError(OperandError(name, 1, "any<array[any], set[any]>", a[0]));
      if (xs.empty()) return BuiltinOut::Undefined();
      Value best = xs[0];
      for (const auto& x : xs) if (name == "max" ? x.Compare(best) > 0 : x.Compare(best) < 0) best = x;
      return BuiltinOut::Of(best);
    });
  }
  Add(r, "sort", 1, [](const Args& a) {
    Array xs;
    if (!Elements(a[0], &xs)) return BuiltinOut::TypeError(OperandError("sort", 1, "any<array[any], set[any]>", a[0]));
    std::sort(xs.begin(), xs.end(), ValueLess());
    return BuiltinOut::Of(Value::MakeArray(xs));
  });
  Add(r, "array.concat", 2, [](const Args& a) {
    if (!a[0].is_array()) return BuiltinOut::TypeError(OperandError("array.concat", 1, "array", a[0]));
    if (!a[1].is_array()) return BuiltinOut::TypeError(OperandError("array.concat", 2, "array", a[1]));
    if (auto refused = ReserveMemory(a[0].array().size() + a[1].array().size(), kArrayElementBytes)) return *refused;
    Array out;
    out.reserve(a[0].array().size() + a[1].array().size());
    out.insert(out.end(), a[0].array().begin(), a[0].array().end());
    out.insert(out.end(), a[1].array().begin(), a[1].array().end());
    return BuiltinOut::Of(Value::MakeArray(std::move(out)));
  });
  Add(r, "array.slice", 3, [](const Args& a) {
    if (!a[0].is_array()) return BuiltinOut::TypeError(OperandError("array.slice", 1, "array", a[0]));
    if (!a[1].is_number()) return BuiltinOut::TypeError(OperandError("array.slice", 2, "number", a[1]));
    if (!a[2].is_number()) return BuiltinOut::TypeError(OperandError("array.slice", 3, "number", a[2]));
    int64_t n = static_cast<int64_t>(a[0].array().size());
    int64_t s = std::clamp<int64_t>(static_cast<int64_t>(a[1].as_double()), 0, n);
    int64_t e = std::clamp<int64_t>(static_cast<int64_t>(a[2].as_double()), 0, n);
    if (s > e) s = e;
    return BuiltinOut::Of(Value::MakeArray(Array(a[0].array().begin() + s, a[0].array().begin() + e)));
  });
  Add(r, "array.reverse", 1, [](const Args& a) {
    if (!a[0].is_array()) return BuiltinOut::TypeError(OperandError("array.reverse", 1, "array", a[0]));
    Array out(a[0].array().rbegin(), a[0].array().rend());
    return BuiltinOut::Of(Value::MakeArray(out));
  });
  Add(r, "object.get", 3, [](const Args& a) {
    if (!a[0].is_object()) return BuiltinOut::TypeError(OperandError("object.get", 1, "object", a[0]));
    if (a[1].is_array()) {
      Value cur = a[0];
      for (const auto& k : a[1].array()) {
        auto next = cur.is_set() ? std::optional<Value>() : cur.Get(k);
        if (!next) return BuiltinOut::Of(a[2]);
        cur = *next;
      }
      return BuiltinOut::Of(cur);
    }
    auto v = a[0].Get(a[1]);
    return BuiltinOut::Of(v ? *v : a[2]);
  });
  Add(r, "object.keys", 1, [](const Args& a) {
    if (!a[0].is_object()) return BuiltinOut::TypeError(OperandError("object.keys", 1, "object", a[0]));
    Set s;
    for (const auto& [k, v] : a[0].object()) s.insert(k);
    return BuiltinOut::Of(Value::MakeSet(s));
  });
  Add(r, "object.union", 2, [](const Args& a) {
    if (!a[0].is_object()) return BuiltinOut::TypeError(OperandError("object.union", 1, "object", a[0]));
    if (!a[1].is_object()) return BuiltinOut::TypeError(OperandError("object.union", 2, "object", a[1]));
    return BuiltinOut::Of(UnionObjects(a[0], a[1]));
  });
  Add(r, "object.union_n", 1, [](const Args& a) {
    if (!a[0].is_array()) return BuiltinOut::TypeError(OperandError("object.union_n", 1, "array", a[0]));
    Value acc = Value::MakeObject({});
    for (const auto& o : a[0].array()) {
      if (!o.is_object()) return BuiltinOut::TypeError(OperandError("object.union_n", 1, "array[object]", a[0]));
      acc = UnionObjects(acc, o);
    }
    return BuiltinOut::Of(acc);
  });
  auto keyset = [](const Value& v, Set* out) {
    if (v.is_array()) out->insert(v.array().begin(), v.array().end());
    else if (v.is_set()) *out = v.set();
    else if (v.is_object()) for (const auto& [k, e] : v.object()) out->insert(k);
    else return false;
    return true;
  };
  Add(r, "object.remove", 2, [keyset](const Args& a) {
    if (!a[0].is_object()) return BuiltinOut::TypeError(OperandError("object.remove", 1, "object", a[0]));
    Set keys;
    if (!keyset(a[1], &keys)) return BuiltinOut::TypeError(OperandError("object.remove", 2, "one of {object, set, array}", a[1]));
    Object o;
    for (const auto& [k, v] : a[0].object()) if (!keys.count(k)) o[k] = v;
    return BuiltinOut::Of(Value::MakeObject(o));
  });
  Add(r, "object.filter", 2, [keyset](const Args& a) {
    if (!a[0].is_object()) return BuiltinOut::TypeError(OperandError("object.filter", 1, "object", a[0]));
    Set keys;
    if (!keyset(a[1], &keys)) return BuiltinOut::TypeError(OperandError("object.filter", 2, "one of {object, set, array}", a[1]));
    Object o;
    for (const auto& [k, v] : a[0].object()) if (keys.count(k)) o[k] = v;
    return BuiltinOut::Of(Value::MakeObject(o));
  });
  Add(r, "union", 1, [](const Args& a) {
    if (!a[0].is_set()) return BuiltinOut::TypeError(OperandError("union", 1, "set[set[any]]", a[0]));
    Set out;
    for (const auto& s : a[0].set()) {
      if (!s.is_set()) return BuiltinOut::TypeError(OperandError("union", 1, "set[set[any]]", a[0]));
      out.insert(s.set().begin(), s.set().end());
    }
    return BuiltinOut::Of(Value::MakeSet(out));
  });
  Add(r, "intersection", 1, [](const Args& a) {
    if (!a[0].is_set()) return BuiltinOut::TypeError(OperandError("intersection", 1, "set[set[any]]", a[0]));
    std::optional<Set> out;
    for (const auto& s : a[0].set()) {
      if (!s.is_set()) return BuiltinOut::TypeError(OperandError("intersection", 1, "set[set[any]]", a[0]));
      if (!out) {
        out = s.set();
        continue;
      }
      Set next;
      for (const auto& v : *out) if (s.set().count(v)) next.insert(v);
      out = next;
    }
    return BuiltinOut::Of(Value::MakeSet(out.value_or(Set{})));
  });
  Add(r, "numbers.range", 2, [](const Args& a) {
    if (!a[0].is_number()) return BuiltinOut::TypeError(OperandError("numbers.range", 1, "number", a[0]));
    if (!a[1].is_number()) return BuiltinOut::TypeError(OperandError("numbers.range", 2, "number", a[1]));
    if (!a[0].is_int()) return BuiltinOut::TypeError("operand 1 must be integer number but got floating-point number");
    if (!a[1].is_int()) return BuiltinOut::TypeError("operand 2 must be integer number but got floating-point number");
    int64_t x = a[0].as_int(), y = a[1].as_int();
    uint64_t n = RangeLength(x, y, 1);
    if (auto refused = ReserveMemory(n, kArrayElementBytes)) return *refused;
    Array out;
    out.reserve(n);
    for (int64_t i = x; x <= y ? i <= y : i >= y; i += x <= y ? 1 : -1) out.push_back(Value::Int(i));
    return BuiltinOut::Of(Value::MakeArray(std::move(out)));
  });
  Add(r, "numbers.range_step", 3, [](const Args& a) {
    for (int i = 0; i < 3; ++i) {
      if (!a[static_cast<size_t>(i)].is_number()) return BuiltinOut::TypeError(OperandError("numbers.range_step", i + 1, "number", a[static_cast<size_t>(i)]));
    }
    // A step beyond 64 bits passes every bound at once: only the start is in range.
    const Value& s = a[2];
    bool huge_step = s.is_number() && !s.is_int() && s.as_double() > 9.2e18 && std::trunc(s.as_double()) == s.as_double();
    if (!a[0].is_int() || !a[1].is_int() || (!s.is_int() && !huge_step)) return BuiltinOut::Error("operands must be integer numbers");
    int64_t x = a[0].as_int(), y = a[1].as_int(), step = huge_step ? INT64_MAX : s.as_int();
    if (step <= 0) return BuiltinOut::Error("step must be a positive integer");
    uint64_t n = RangeLength(x, y, static_cast<uint64_t>(step));
    if (auto refused = ReserveMemory(n, kArrayElementBytes)) return *refused;
    Array out;
    out.reserve(n);
    for (int64_t i = x; x <= y ? i <= y : i >= y;) {
      out.push_back(Value::Int(i));
      if (x <= y ? __builtin_add_overflow(i, step, &i) : __builtin_sub_overflow(i, step, &i)) break;
    }
    return BuiltinOut::Of(Value::MakeArray(std::move(out)));
  });
  Add(r, "walk", 1, [](const Args& a) {
    Array path, out;
    if (auto refused = Walk(a[0], path, out)) return *refused;
    return BuiltinOut::Many(std::move(out));
  });
  Add(r, "object.subset", 2, [](const Args& a) {
    if (!a[0].is_object() && !a[0].is_set() && !a[0].is_array()) {
      return BuiltinOut::TypeError(OperandError("object.subset", 1, "any<array, object, set>", a[0]));
    }
    return BuiltinOut::Of(Value::Bool(IsSubset(a[0], a[1])));
  });
  Add(r, "array.flatten", 1, [](const Args& a) {
    if (!a[0].is_array()) return BuiltinOut::TypeError(OperandError("array.flatten", 1, "array", a[0]));
    uint64_t n = 0;
    for (const auto& x : a[0].array()) n += x.is_array() ? x.array().size() : 1;
    if (auto refused = ReserveMemory(n, kArrayElementBytes)) return *refused;
    Array out;  // one level deep
    out.reserve(n);
    for (const auto& x : a[0].array()) {
      if (x.is_array()) out.insert(out.end(), x.array().begin(), x.array().end());
      else out.push_back(x);
    }
    return BuiltinOut::Of(Value::MakeArray(std::move(out)));
  });
}

}  // namespace oep::rego
