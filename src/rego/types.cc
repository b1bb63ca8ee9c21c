#include "rego/types.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace oep::rego::types {
namespace {

using K = Type::Kind;

std::shared_ptr<Type> Make(K kind) {
  auto t = std::make_shared<Type>();
  t->kind = kind;
  return t;
}

bool IsPlainAny(const TypePtr& t) { return t && t->kind == K::kAny && t->of.empty(); }

bool SameType(const TypePtr& a, const TypePtr& b) { return ToString(a) == ToString(b); }

bool UnifiesAny(const Type& any, const TypePtr& other) {
  if (any.of.empty()) return true;
  return std::any_of(any.of.begin(), any.of.end(), [&](const TypePtr& m) { return Unifies(m, other); });
}

// The element type at index i of an array type (static, else dynamic; nullptr when none).
TypePtr ArrayAt(const Type& a, size_t i) { return i < a.of.size() ? a.of[i] : a.dynamic; }

TypePtr PropAt(const Type& o, const Value& key) {
  for (const auto& [k, v] : o.props) {
    if (k == key) return v;
  }
  return o.dynamic;
}

// f applied to each member of a union, joined (any for the plain any type).
template <typename F>
TypePtr OverUnion(const Type& any, F f);

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}
  TypePtr ParseAll() {
    TypePtr t = ParseType();
    Skip();
    if (pos_ != s_.size()) Fail();
    return t;
  }

 private:
  [[noreturn]] void Fail() { std::abort(); }  // programmer error: a malformed built-in signature
  void Skip() {
    while (pos_ < s_.size() && s_[pos_] == ' ') ++pos_;
  }
  bool Eat(char c) {
    Skip();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  std::string Word() {
    Skip();
    size_t start = pos_;
    while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_')) ++pos_;
    return std::string(s_.substr(start, pos_ - start));
  }
  std::vector<TypePtr> List(char close) {
    std::vector<TypePtr> out;
    do out.push_back(ParseType());
    while (Eat(','));
    if (!Eat(close)) Fail();
    return out;
  }
  TypePtr ParseType() {
    std::string w = Word();
    if (w == "any") {
      if (!Eat('<')) return Any();
      auto t = Make(K::kAny);
      t->of = List('>');
      return t;
    }
    if (w == "null") return Null();
    if (w == "boolean") return Boolean();
    if (w == "number") return Number();
    if (w == "string") return String();
    if (w == "array") {
      if (Eat('<')) return StaticArray(List('>'));
      if (!Eat('[')) Fail();
      TypePtr elem = ParseType();
      if (!Eat(']')) Fail();
      return ArrayOf(elem);
    }
    if (w == "set") {
      if (!Eat('[')) Fail();
      TypePtr elem = ParseType();
      if (!Eat(']')) Fail();
      return SetOf(elem);
    }
    if (w == "object") {
      if (Eat('<')) {  // object<name: T, ...>
        std::vector<std::pair<Value, TypePtr>> props;
        do {
          std::string key = Word();
          if (!Eat(':')) Fail();
          props.emplace_back(Value::String(key), ParseType());
        } while (Eat(','));
        if (!Eat('>')) Fail();
        return StaticObject(std::move(props));
      }
      if (!Eat('[')) Fail();
      TypePtr key = ParseType();
      if (!Eat(':')) Fail();
      TypePtr value = ParseType();
      if (!Eat(']')) Fail();
      return ObjectOf(key, value);
    }
    Fail();
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

namespace {
// The one shared instance of each scalar type (and of plain any).
const TypePtr& Basic(K kind) {
  static const std::vector<TypePtr> basics = {Make(K::kAny), Make(K::kNull), Make(K::kBoolean), Make(K::kNumber),
                                              Make(K::kString)};
  return basics[static_cast<size_t>(kind)];
}
}  // namespace

TypePtr Any() { return Basic(K::kAny); }
TypePtr Null() { return Basic(K::kNull); }
TypePtr Boolean() { return Basic(K::kBoolean); }
TypePtr Number() { return Basic(K::kNumber); }
TypePtr String() { return Basic(K::kString); }

TypePtr ArrayOf(TypePtr elem) {
  auto t = Make(K::kArray);
  t->dynamic = std::move(elem);
  return t;
}

TypePtr StaticArray(std::vector<TypePtr> elems) {
  auto t = Make(K::kArray);
  t->of = std::move(elems);
  return t;
}

TypePtr SetOf(TypePtr elem) {
  auto t = Make(K::kSet);
  t->dynamic = std::move(elem);
  return t;
}

TypePtr ObjectOf(TypePtr key, TypePtr value) {
  auto t = Make(K::kObject);
  t->dynamic_key = std::move(key);
  t->dynamic = std::move(value);
  return t;
}

TypePtr StaticObject(std::vector<std::pair<Value, TypePtr>> props) {
  auto t = Make(K::kObject);
  std::sort(props.begin(), props.end(), [](const auto& a, const auto& b) { return a.first.Compare(b.first) < 0; });
  t->props = std::move(props);
  return t;
}

TypePtr Or(const TypePtr& a, const TypePtr& b) {
  if (!a) return b;
  if (!b) return a;
  if (IsPlainAny(a) || IsPlainAny(b)) return Any();
  std::vector<TypePtr> members;
  auto add = [&](const TypePtr& t) {
    if (t->kind == K::kAny) {
      for (const auto& m : t->of) members.push_back(m);
    } else {
      members.push_back(t);
    }
  };
  add(a);
  add(b);
  std::vector<TypePtr> unique;
  for (const auto& m : members) {
    if (std::none_of(unique.begin(), unique.end(), [&](const TypePtr& u) { return SameType(u, m); })) unique.push_back(m);
  }
  if (unique.size() == 1) return unique[0];
  std::stable_sort(unique.begin(), unique.end(), [](const TypePtr& x, const TypePtr& y) { return x->kind < y->kind; });
  auto t = Make(K::kAny);
  t->of = std::move(unique);
  return t;
}

TypePtr Of(const Value& v) {
  switch (v.kind()) {
    case Kind::kNull: return Null();
    case Kind::kBool: return Boolean();
    case Kind::kNumber: return Number();
    case Kind::kString: return String();
    case Kind::kArray: {
      std::vector<TypePtr> elems;
      for (const auto& e : v.array()) elems.push_back(Of(e));
      if (elems.empty()) return ArrayOf(Any());
      return StaticArray(std::move(elems));
    }
    case Kind::kObject: {
      std::vector<std::pair<Value, TypePtr>> props;
      for (const auto& [k, e] : v.object()) props.emplace_back(k, Of(e));
      if (props.empty()) return ObjectOf(Any(), Any());
      return StaticObject(std::move(props));
    }
    case Kind::kSet: {
      TypePtr elem;
      for (const auto& e : v.set()) elem = Or(elem, Of(e));
      return SetOf(elem ? elem : Any());
    }
  }
  return Any();
}

bool Unifies(const TypePtr& a, const TypePtr& b) {
  if (!a || !b) return false;
  if (a->kind == K::kAny && UnifiesAny(*a, b)) return true;
  if (b->kind == K::kAny && UnifiesAny(*b, a)) return true;
  if (a->kind == K::kAny || b->kind == K::kAny || a->kind != b->kind) return false;
  switch (a->kind) {
    case K::kArray: {
      for (const Type* x : {a.get(), b.get()}) {
        const Type* y = x == a.get() ? b.get() : a.get();
        for (size_t i = 0; i < x->of.size(); ++i) {
          if (!Unifies(x->of[i], ArrayAt(*y, i))) return false;
        }
      }
      return !a->dynamic || !b->dynamic || Unifies(a->dynamic, b->dynamic);
    }
    case K::kObject: {
      for (const Type* x : {a.get(), b.get()}) {
        const Type* y = x == a.get() ? b.get() : a.get();
        for (const auto& [k, v] : x->props) {
          if (!Unifies(v, PropAt(*y, k))) return false;
        }
      }
      return !a->dynamic || !b->dynamic || Unifies(a->dynamic, b->dynamic);
    }
    case K::kSet: return Unifies(Values(a), Values(b));
    default: return true;
  }
}

TypePtr Keys(const TypePtr& t) {
  if (!t) return nullptr;
  switch (t->kind) {
    case K::kAny: return OverUnion(*t, [&](const TypePtr& m) { return Keys(m); });
    case K::kArray: return Number();
    case K::kSet: return Values(t);
    case K::kObject: {
      TypePtr out = t->dynamic_key;
      for (const auto& [k, v] : t->props) out = Or(out, Of(k));
      return out ? out : Any();
    }
    default: return nullptr;
  }
}

TypePtr Values(const TypePtr& t) {
  if (!t) return nullptr;
  switch (t->kind) {
    case K::kAny: return OverUnion(*t, [&](const TypePtr& m) { return Values(m); });
    case K::kArray: {
      TypePtr out = t->dynamic;
      for (const auto& e : t->of) out = Or(out, e);
      return out ? out : Any();
    }
    case K::kSet: return t->dynamic ? t->dynamic : Any();
    case K::kObject: {
      TypePtr out = t->dynamic;
      for (const auto& [k, v] : t->props) out = Or(out, v);
      return out ? out : Any();
    }
    default: return nullptr;
  }
}

TypePtr Select(const TypePtr& t, const Value& key) {
  if (!t) return nullptr;
  switch (t->kind) {
    case K::kAny: return OverUnion(*t, [&](const TypePtr& m) { return Select(m, key); });
    case K::kArray:
      if (!key.is_number()) return nullptr;
      if (key.is_int() && key.as_int() >= 0) return ArrayAt(*t, static_cast<size_t>(key.as_int()));
      return t->dynamic;
    case K::kSet: return Unifies(Of(key), Values(t)) ? Values(t) : nullptr;
    case K::kObject: return PropAt(*t, key);
    default: return nullptr;
  }
}

bool Closed(const TypePtr& t) { return t && t->kind == K::kObject && !t->dynamic; }

std::string ToString(const TypePtr& t) {
  if (!t) return "???";
  auto join = [](const std::vector<TypePtr>& ts) {
    std::string out;
    for (const auto& x : ts) out += (out.empty() ? "" : ", ") + ToString(x);
    return out;
  };
  switch (t->kind) {
    case K::kAny: return t->of.empty() ? "any" : "any<" + join(t->of) + ">";
    case K::kNull: return "null";
    case K::kBoolean: return "boolean";
    case K::kNumber: return "number";
    case K::kString: return "string";
    case K::kArray: {
      std::string out = "array";
      if (!t->of.empty()) out += "<" + join(t->of) + ">";
      if (t->dynamic) out += "[" + ToString(t->dynamic) + "]";
      return out;
    }
    case K::kSet: return "set[" + ToString(t->dynamic) + "]";
    case K::kObject: {
      std::string out = "object";
      if (!t->props.empty()) {
        std::string props;
        for (const auto& [k, v] : t->props) {
          props += (props.empty() ? "" : ", ") + (k.is_string() ? k.str() : k.ToRegoDisplay()) + ": " + ToString(v);
        }
        out += "<" + props + ">";
      }
      if (t->dynamic) out += "[" + ToString(t->dynamic_key) + ": " + ToString(t->dynamic) + "]";
      return out;
    }
  }
  return "any";
}

namespace {
template <typename F>
TypePtr OverUnion(const Type& any, F f) {
  if (any.of.empty()) return Any();
  TypePtr out;
  for (const auto& m : any.of) out = Or(out, f(m));
  return out;
}
}  // namespace

TypePtr Parse(std::string_view text) { return Parser(text).ParseAll(); }

}  // namespace oep::rego::types
