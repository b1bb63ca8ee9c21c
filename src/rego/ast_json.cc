#include "rego/ast_json.h"

namespace oep::rego {
namespace {

Value Str(const std::string& s) { return Value::String(s); }

Value Typed(const char* type, Value value) {
  return Value::MakeObject({{Str("type"), Str(type)}, {Str("value"), std::move(value)}});
}

Value VarTerm(const std::string& name) { return Typed("var", Str(name)); }

// "a.b.c" as the ref a["b"]["c"] (operator and built-in names).
Value NameRef(const std::string& dotted) {
  Array parts;
  size_t start = 0;
  for (;;) {
    size_t dot = dotted.find('.', start);
    std::string part = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    parts.push_back(parts.empty() ? VarTerm(part) : Typed("string", Str(part)));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return Typed("ref", Value::MakeArray(std::move(parts)));
}

Value TermAst(const TermPtr& t);
Value BodyAst(const Body& body);

Value Terms(const std::vector<TermPtr>& items, size_t from = 0) {
  Array out;
  for (size_t i = from; i < items.size(); ++i) out.push_back(TermAst(items[i]));
  return Value::MakeArray(std::move(out));
}

// A constant's value as OPA's term of it.
Value ValueAst(const Value& v) {
  if (v.is_null()) return Typed("null", Value::Null());
  if (v.is_bool()) return Typed("boolean", v);
  if (v.is_string()) return Typed("string", v);
  if (v.is_array()) {
    Array out;
    for (const auto& e : v.array()) out.push_back(ValueAst(e));
    return Typed("array", Value::MakeArray(std::move(out)));
  }
  if (v.is_set()) {
    Array out;
    for (const auto& e : v.set()) out.push_back(ValueAst(e));
    return Typed("set", Value::MakeArray(std::move(out)));
  }
  if (v.is_object()) {
    Array out;
    for (const auto& [k, e] : v.object()) out.push_back(Value::MakeArray({ValueAst(k), ValueAst(e)}));
    return Typed("object", Value::MakeArray(std::move(out)));
  }
  return Typed("number", v);
}

// The operator of a call: its function ref, or the operator's name as a ref.
Value Operator(const Term& call) {
  if (call.items[0]) {
    Value ref = TermAst(call.items[0]);
    return call.items[0]->kind == TermKind::kVar ? Typed("ref", Value::MakeArray({ref})) : ref;
  }
  return NameRef(call.name);
}

Value TermAst(const TermPtr& t) {
  switch (t->kind) {
    case TermKind::kScalar: return ValueAst(t->value);
    case TermKind::kVar: return VarTerm(t->name);
    case TermKind::kRef: {
      Array parts;
      for (size_t i = 0; i < t->items.size(); ++i) {
        const TermPtr& p = t->items[i];
        parts.push_back(i == 0 && p->kind == TermKind::kVar ? VarTerm(p->name) : TermAst(p));
      }
      return Typed("ref", Value::MakeArray(std::move(parts)));
    }
    case TermKind::kArray: return Typed("array", Terms(t->items));
    case TermKind::kSet: return Typed("set", Terms(t->items));
    case TermKind::kObject: {
      Array pairs;
      for (size_t i = 0; i + 1 < t->items.size(); i += 2) pairs.push_back(Value::MakeArray({TermAst(t->items[i]), TermAst(t->items[i + 1])}));
      return Typed("object", Value::MakeArray(std::move(pairs)));
    }
    case TermKind::kArrayCompr:
    case TermKind::kSetCompr:
      return Typed(t->kind == TermKind::kArrayCompr ? "arraycomprehension" : "setcomprehension",
                   Value::MakeObject({{Str("term"), TermAst(t->head)}, {Str("body"), BodyAst(*t->body)}}));
    case TermKind::kObjectCompr:
      return Typed("objectcomprehension", Value::MakeObject({{Str("key"), TermAst(t->key)},
                                                             {Str("value"), TermAst(t->head)},
                                                             {Str("body"), BodyAst(*t->body)}}));
    case TermKind::kCall: {
      Array call = {Operator(*t)};
      for (size_t i = 1; i < t->items.size(); ++i) call.push_back(TermAst(t->items[i]));
      return Typed("call", Value::MakeArray(std::move(call)));
    }
  }
  return Typed("null", Value::Null());
}

Value ExprTerms(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kTerm:
    case ExprKind::kNot: {
      const TermPtr& t = e.kind == ExprKind::kNot ? e.negated->term : e.term;
      if (!t) return Value::Null();
      if (t->kind != TermKind::kCall) return TermAst(t);
      Array call = {Operator(*t)};  // a call expression lists its operator and operands
      for (size_t i = 1; i < t->items.size(); ++i) call.push_back(TermAst(t->items[i]));
      return Value::MakeArray(std::move(call));
    }
    case ExprKind::kSome: {
      Array symbols;
      for (const auto& v : e.vars) symbols.push_back(VarTerm(v));
      return Value::MakeObject({{Str("symbols"), Value::MakeArray(std::move(symbols))}});
    }
    case ExprKind::kSomeIn: {
      Array member = {NameRef(e.key ? "internal.member_3" : "internal.member_2")};
      if (e.key) member.push_back(TermAst(e.key));
      member.push_back(TermAst(e.value));
      member.push_back(TermAst(e.collection));
      return Value::MakeObject({{Str("symbols"), Value::MakeArray({Typed("call", Value::MakeArray(std::move(member)))})}});
    }
    case ExprKind::kEvery: {
      Object o;
      if (e.key) o[Str("key")] = TermAst(e.key);
      o[Str("value")] = TermAst(e.value);
      o[Str("domain")] = TermAst(e.collection);
      o[Str("body")] = BodyAst(*e.body);
      return Value::MakeObject(std::move(o));
    }
  }
  return Value::Null();
}

Value BodyAst(const Body& body) {
  Array out;
  for (size_t i = 0; i < body.size(); ++i) {
    const Expr& e = body[i];
    Object o;
    o[Str("index")] = Value::Int(static_cast<int64_t>(i));
    o[Str("terms")] = ExprTerms(e);
    if (e.kind == ExprKind::kNot) o[Str("negated")] = Value::Bool(true);
    if (!e.withs.empty()) {
      Array withs;
      for (const auto& w : e.withs) withs.push_back(Value::MakeObject({{Str("target"), TermAst(w.target)}, {Str("value"), TermAst(w.value)}}));
      o[Str("with")] = Value::MakeArray(std::move(withs));
    }
    out.push_back(Value::MakeObject(std::move(o)));
  }
  return Value::MakeArray(std::move(out));
}

Value RuleAst(const Rule& r, size_t package_size) {
  Object head;
  Array ref;
  for (size_t i = package_size; i < r.path.size(); ++i) ref.push_back(i == package_size ? VarTerm(r.path[i]) : Typed("string", Str(r.path[i])));
  if (r.kind == RuleKind::kPartialSet) {
    for (size_t i = 0; i + 1 < r.keys.size(); ++i) ref.push_back(TermAst(r.keys[i]));
    head[Str("key")] = TermAst(r.keys.back());
  } else {
    for (const auto& k : r.keys) ref.push_back(TermAst(k));
    if (r.kind == RuleKind::kPartialObject && r.keys.size() == 1) head[Str("key")] = TermAst(r.keys[0]);
  }
  if (package_size < r.path.size()) head[Str("name")] = Str(r.path[package_size]);
  head[Str("ref")] = Value::MakeArray(std::move(ref));
  if (r.value) head[Str("value")] = TermAst(r.value);
  if (!r.args.empty()) head[Str("args")] = Terms(r.args);
  if (r.assign) head[Str("assign")] = Value::Bool(true);
  Object rule;
  rule[Str("head")] = Value::MakeObject(std::move(head));
  rule[Str("body")] = BodyAst(r.body);
  if (r.is_default) rule[Str("default")] = Value::Bool(true);
  if (r.else_rule) rule[Str("else")] = RuleAst(*r.else_rule, package_size);
  return Value::MakeObject(std::move(rule));
}

}  // namespace

Value ModuleAst(const Module& module) {
  Array path = {VarTerm("data")};
  for (const auto& p : module.package) path.push_back(Typed("string", Str(p)));
  Object out;
  out[Str("package")] = Value::MakeObject({{Str("path"), Value::MakeArray(std::move(path))}});
  if (!module.imports.empty()) {
    Array imports;
    for (const auto& imp : module.imports) {
      Array parts;
      for (size_t i = 0; i < imp.path.size(); ++i) parts.push_back(i == 0 ? VarTerm(imp.path[i]) : Typed("string", Str(imp.path[i])));
      Object o;
      o[Str("path")] = Typed("ref", Value::MakeArray(std::move(parts)));
      if (!imp.alias.empty()) o[Str("alias")] = Str(imp.alias);
      imports.push_back(Value::MakeObject(std::move(o)));
    }
    out[Str("imports")] = Value::MakeArray(std::move(imports));
  }
  Array rules;
  for (const auto& r : module.rules) rules.push_back(RuleAst(*r, module.package.size()));
  if (!rules.empty()) out[Str("rules")] = Value::MakeArray(std::move(rules));
  return Value::MakeObject(std::move(out));
}

}  // namespace oep::rego
