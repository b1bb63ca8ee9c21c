#include "rego/typecheck.h"

#include <cctype>
#include <map>
#include <optional>
#include <vector>

#include "rego/builtin_signatures.h"
#include "rego/types.h"

namespace oep::rego {
namespace {

using types::TypePtr;

bool IsPlainAny(const TypePtr& t) { return t && t->kind == types::Type::Kind::kAny && t->of.empty(); }

// Variable types of one body; a nested body (comprehension, negation, every) sees its
// enclosing bodies' variables and binds its own locally.
class Env {
 public:
  explicit Env(const Env* parent = nullptr) : parent_(parent) {}

  // The binding of `name`: absent when unbound (a declared but unbound variable included).
  std::optional<TypePtr> Lookup(const std::string& name) const {
    for (const Env* e = this; e; e = e->parent_) {
      auto it = e->vars_.find(name);
      if (it != e->vars_.end()) return it->second ? std::optional<TypePtr>(it->second) : std::nullopt;
    }
    return std::nullopt;
  }
  void Bind(const std::string& name, TypePtr type) { vars_[name] = std::move(type); }
  void Declare(const std::string& name) { vars_[name] = nullptr; }

 private:
  const Env* parent_;
  std::map<std::string, TypePtr> vars_;
};

bool IsIdentifier(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

std::string TermText(const Term& t) {
  switch (t.kind) {
    case TermKind::kVar: return t.name;
    case TermKind::kScalar: return t.value.ToRegoDisplay();
    case TermKind::kRef: {
      std::string out = TermText(*t.items[0]);
      for (size_t i = 1; i < t.items.size(); ++i) {
        const Term& k = *t.items[i];
        if (k.kind == TermKind::kScalar && k.value.is_string() && IsIdentifier(k.value.str())) out += "." + k.value.str();
        else out += "[" + TermText(k) + "]";
      }
      return out;
    }
    default: return t.ground ? t.value.ToRegoDisplay() : "...";
  }
}

class Checker {
 public:
  explicit Checker(const TypeCheckScope& scope) : scope_(scope) {}

  std::optional<RegoError> error;

  void CheckBody(const Body& body, Env& env) {
    for (const auto& e : body) {
      CheckExpr(e, env);
      if (error) return;
    }
  }

  // The type of the document value `rule` defines (valid when no error was found).
  TypePtr CheckRule(const Rule& rule) {
    Env env;
    for (const auto& arg : rule.args) Unify1(arg, types::Any(), env, true);
    CheckBody(rule.body, env);
    std::vector<TypePtr> keys;
    for (const auto& key : rule.keys) keys.push_back(TypeOf(key, env));
    TypePtr value = rule.value ? TypeOf(rule.value, env) : types::Boolean();
    if (rule.kind == RuleKind::kFunction || keys.size() > 1) return types::Any();
    switch (rule.kind) {
      case RuleKind::kPartialSet: return keys.empty() ? types::Any() : types::SetOf(keys[0]);
      case RuleKind::kPartialObject: return keys.empty() ? types::Any() : types::ObjectOf(keys[0], value);
      default: return keys.empty() ? value : types::ObjectOf(keys[0], value);
    }
  }

 private:
  bool Local(const std::string& name) const { return name != "_" && !scope_.is_global(name); }

  void Fail(Location loc, std::string message, std::vector<std::string> details) {
    if (error) return;
    error = RegoError{"rego_type_error", std::move(message), scope_.file, loc};
    error->details = std::move(details);
  }

  void CheckExpr(const Expr& e, Env& env) {
    switch (e.kind) {
      case ExprKind::kTerm:
        // OPA compiles a body expression `a == b` as the unification `a = b`.
        if (e.term->kind == TermKind::kCall && e.term->name == "equal" && e.term->items.size() == 3) {
          Unify2(e.term->items[1], e.term->items[2], env, e.term->loc);
          return;
        }
        TypeOf(e.term, env);
        return;
      case ExprKind::kNot: {
        Env inner(&env);
        CheckExpr(*e.negated, inner);
        return;
      }
      case ExprKind::kSome:
        for (const auto& v : e.vars) env.Declare(v);
        return;
      case ExprKind::kSomeIn:
        TypeOf(e.collection, env);
        for (const TermPtr* t : {&e.key, &e.value}) {
          if (!*t) continue;
          DeclarePatternVars(*t, env);
          Unify1(*t, types::Any(), env, true);
        }
        return;
      case ExprKind::kEvery: {
        TypeOf(e.collection, env);
        Env inner(&env);
        for (const TermPtr* t : {&e.key, &e.value}) {
          if (*t) Unify1(*t, types::Any(), inner, true);
        }
        CheckBody(*e.body, inner);
        return;
      }
    }
  }

  void DeclarePatternVars(const TermPtr& t, Env& env) {
    if (t->kind == TermKind::kVar && Local(t->name)) env.Declare(t->name);
    if (t->kind == TermKind::kArray || t->kind == TermKind::kSet) {
      for (const auto& item : t->items) DeclarePatternVars(item, env);
    }
    if (t->kind == TermKind::kObject) {
      for (size_t i = 1; i < t->items.size(); i += 2) DeclarePatternVars(t->items[i], env);
    }
  }

  // The term's type, or nullptr when it is (or holds, as an array element, object value or
  // set element) a local variable not bound yet: a pattern that unification will bind.
  TypePtr TypeOrUnbound(const TermPtr& t, Env& env) {
    switch (t->kind) {
      case TermKind::kVar:
        if (!Local(t->name)) return t->name == "_" ? nullptr : TypeOf(t, env);
        return env.Lookup(t->name).value_or(nullptr);
      case TermKind::kArray:
      case TermKind::kSet:
        for (const auto& item : t->items) {
          if (!TypeOrUnbound(item, env)) return nullptr;
        }
        break;
      case TermKind::kObject:
        for (size_t i = 1; i < t->items.size(); i += 2) {
          if (!TypeOrUnbound(t->items[i], env)) return nullptr;
        }
        break;
      default: break;
    }
    return TypeOf(t, env);
  }

  // The type of `t` (any when unknown); checks the calls, refs and bodies inside it.
  TypePtr TypeOf(const TermPtr& t, Env& env) {
    if (!t || error) return types::Any();
    switch (t->kind) {
      case TermKind::kScalar: return types::Of(t->value);
      case TermKind::kVar: {
        if (Local(t->name)) return env.Lookup(t->name).value_or(types::Any());
        size_t consumed = 0;
        TypePtr doc = scope_.document_type ? scope_.document_type(t, &consumed) : nullptr;
        return doc && consumed == 1 ? doc : types::Any();
      }
      case TermKind::kRef: return RefType(t, env);
      case TermKind::kCall: return CallType(*t, env);
      case TermKind::kArray: {
        if (t->ground) return types::Of(t->value);
        std::vector<TypePtr> elems;
        for (const auto& item : t->items) elems.push_back(TypeOf(item, env));
        return elems.empty() ? types::ArrayOf(types::Any()) : types::StaticArray(std::move(elems));
      }
      case TermKind::kSet: {
        if (t->ground) return types::Of(t->value);
        TypePtr elem;
        for (const auto& item : t->items) elem = types::Or(elem, TypeOf(item, env));
        return types::SetOf(elem ? elem : types::Any());
      }
      case TermKind::kObject: {
        if (t->ground) return types::Of(t->value);
        std::vector<std::pair<Value, TypePtr>> props;
        TypePtr keys, values;
        bool constant_keys = true;
        for (size_t i = 0; i + 1 < t->items.size(); i += 2) {
          TypePtr k = TypeOf(t->items[i], env), v = TypeOf(t->items[i + 1], env);
          keys = types::Or(keys, k);
          values = types::Or(values, v);
          if (t->items[i]->kind == TermKind::kScalar) props.emplace_back(t->items[i]->value, v);
          else constant_keys = false;
        }
        if (props.empty() && constant_keys) return types::ObjectOf(types::Any(), types::Any());
        return constant_keys ? types::StaticObject(std::move(props)) : types::ObjectOf(keys, values);
      }
      case TermKind::kArrayCompr:
      case TermKind::kSetCompr:
      case TermKind::kObjectCompr: {
        Env inner(&env);
        CheckBody(*t->body, inner);
        TypePtr head = TypeOf(t->head, inner);
        if (t->kind == TermKind::kArrayCompr) return types::ArrayOf(head);
        if (t->kind == TermKind::kSetCompr) return types::SetOf(head);
        return types::ObjectOf(TypeOf(t->key, inner), head);
      }
    }
    return types::Any();
  }

  TypePtr RefType(const TermPtr& ref_ptr, Env& env) {
    const Term& ref = *ref_ptr;
    const TermPtr& head = ref.items[0];
    TypePtr cur;
    size_t first_key = 1;
    if (head->kind == TermKind::kVar && !Local(head->name) && scope_.document_type) {
      size_t consumed = 0;
      if (TypePtr doc = scope_.document_type(ref_ptr, &consumed)) {
        cur = doc;
        first_key = consumed;
      }
    }
    if (!cur) cur = head->kind == TermKind::kVar && !Local(head->name) ? types::Any() : TypeOf(head, env);
    for (size_t i = first_key; i < ref.items.size(); ++i) {
      const TermPtr& key = ref.items[i];
      if (error) return types::Any();
      if (IsPlainAny(cur)) {  // nothing known below: bind the remaining keys' variables
        for (size_t j = i; j < ref.items.size(); ++j) BindKey(ref.items[j], types::Any(), env);
        return types::Any();
      }
      TypePtr keys = types::Keys(cur);
      if (!keys) {
        std::string text = TermText(ref);
        Fail(ref.loc, "undefined ref: " + text, {text, "have: " + types::ToString(cur)});
        return types::Any();
      }
      if (key->kind == TermKind::kScalar) {
        TypePtr child = types::Select(cur, key->value);
        if (!child) {
          std::string text = TermText(ref);
          std::vector<std::string> details = {text, "have: " + key->value.ToRegoDisplay()};
          if (types::Closed(cur)) {
            std::string names;
            for (const auto& [k, v] : cur->props) names += (names.empty() ? "" : ", ") + k.ToRegoDisplay();
            details.push_back("want (one of): [" + names + "]");
          } else {
            details.push_back("want (type): " + types::ToString(keys));
          }
          Fail(ref.loc, "undefined ref: " + text, std::move(details));
          return types::Any();
        }
        cur = child;
        continue;
      }
      if (!BindKey(key, keys, env)) {
        std::string text = TermText(ref);
        Fail(ref.loc, "undefined ref: " + text,
             {text, "have (type): " + types::ToString(TypeOf(key, env)), "want (type): " + types::ToString(keys)});
        return types::Any();
      }
      cur = types::Values(cur);
    }
    return cur ? cur : types::Any();
  }

  // A non-constant ref key iterates over the collection's keys of type `keys`.
  bool BindKey(const TermPtr& key, const TypePtr& keys, Env& env) {
    switch (key->kind) {
      case TermKind::kScalar: return true;
      case TermKind::kVar:
      case TermKind::kArray:
      case TermKind::kObject:
      case TermKind::kSet: return Unify1(key, keys, env, true);
      default: return types::Unifies(TypeOf(key, env), keys);
    }
  }

  TypePtr CallType(const Term& call, Env& env) {
    std::string name = CallName(call);
    if (name == "eq" || name == "assign") {
      Unify2(call.items[1], call.items[2], env, call.loc);
      return types::Boolean();
    }
    std::string builtin = scope_.builtin_name(call);
    const BuiltinSignature* sig = builtin.empty() ? nullptr : SignatureOf(builtin);
    size_t nargs = call.items.size() - 1;
    if (!sig || nargs < sig->args.size() || nargs > sig->args.size() + 1) {
      for (size_t i = 1; i < call.items.size(); ++i) {
        if (TypeOrUnbound(call.items[i], env)) continue;
        Unify1(call.items[i], types::Any(), env, true);  // an output argument
      }
      return types::Any();
    }
    for (size_t i = 0; i < nargs; ++i) {
      const TypePtr& want = i < sig->args.size() ? sig->args[i] : sig->result;
      if (Unify1(call.items[i + 1], want, env, true)) continue;
      if (error) return types::Any();
      std::string have, wanted;
      for (size_t j = 0; j < nargs; ++j) have += (j ? ", " : "") + types::ToString(TypeOrUnbound(call.items[j + 1], env));
      for (const auto& a : sig->args) wanted += (wanted.empty() ? "" : ", ") + types::ToString(a);
      wanted += (wanted.empty() ? "" : ", ") + types::ToString(sig->result);
      Fail(call.loc, builtin + ": invalid argument(s)", {"have: (" + have + ")", "want: (" + wanted + ")"});
      return types::Any();
    }
    return sig->result;
  }

  void Unify2(const TermPtr& a, const TermPtr& b, Env& env, Location loc) {
    TypePtr ta = TypeOrUnbound(a, env), tb = TypeOrUnbound(b, env);
    if (error) return;
    bool ok = true;
    if (!ta && tb) ok = Unify1(a, tb, env, true);
    else if (ta && !tb) ok = Unify1(b, ta, env, true);
    else if (ta && tb) ok = types::Unifies(ta, tb);
    else if (a->kind == TermKind::kArray && b->kind == TermKind::kArray && a->items.size() == b->items.size()) {
      for (size_t i = 0; i < a->items.size() && !error; ++i) Unify2(a->items[i], b->items[i], env, loc);
      return;
    } else {
      ok = Unify1(a, types::Any(), env, true) && Unify1(b, types::Any(), env, true);
    }
    if (!ok) Fail(loc, "match error", {"left  : " + types::ToString(ta), "right : " + types::ToString(tb)});
  }

  // Whether `t` can be of type `want`; binds t's unbound pattern variables (when `bind`).
  bool Unify1(const TermPtr& t, const TypePtr& want_in, Env& env, bool bind) {
    TypePtr want = want_in ? want_in : types::Any();
    using TK = types::Type::Kind;
    auto try_union = [&]() {
      if (want->kind != TK::kAny) return false;
      bool any = want->of.empty();
      for (const auto& m : want->of) any = any || Unify1(t, m, env, false);
      if (any && bind) BindUnbound(t, env);
      return any;
    };
    switch (t->kind) {
      case TermKind::kVar: {
        if (t->name == "_") return true;
        if (!Local(t->name)) return types::Unifies(TypeOf(t, env), want);
        if (auto bound = env.Lookup(t->name)) return types::Unifies(*bound, want);
        if (bind) env.Bind(t->name, want);
        return true;
      }
      case TermKind::kArray: {
        if (want->kind == TK::kAny) return try_union();
        if (want->kind != TK::kArray) return false;
        if (t->items.size() != want->of.size() && !want->dynamic) return false;
        for (size_t i = 0; i < t->items.size(); ++i) {
          TypePtr elem = i < want->of.size() ? want->of[i] : want->dynamic;
          if (!Unify1(t->items[i], elem, env, bind)) return false;
        }
        return true;
      }
      case TermKind::kSet: {
        if (want->kind == TK::kAny) return try_union();
        if (want->kind != TK::kSet) return false;
        for (const auto& item : t->items) {
          if (!Unify1(item, types::Values(want), env, bind)) return false;
        }
        return true;
      }
      case TermKind::kObject: {
        if (want->kind == TK::kAny) return try_union();
        if (want->kind != TK::kObject) return false;
        if (t->items.size() / 2 != want->props.size() && !want->dynamic) return false;
        for (size_t i = 0; i + 1 < t->items.size(); i += 2) {
          const TermPtr& key = t->items[i];
          if (key->kind != TermKind::kScalar) {
            Unify1(t->items[i + 1], types::Any(), env, bind);
            continue;
          }
          TypePtr child = types::Select(want, key->value);
          if (!child || !Unify1(t->items[i + 1], child, env, bind)) return false;
        }
        return true;
      }
      default: return types::Unifies(TypeOf(t, env), want);
    }
  }

  void BindUnbound(const TermPtr& t, Env& env) {
    switch (t->kind) {
      case TermKind::kVar:
        if (Local(t->name) && !env.Lookup(t->name)) env.Bind(t->name, types::Any());
        return;
      case TermKind::kArray:
      case TermKind::kSet:
        for (const auto& item : t->items) BindUnbound(item, env);
        return;
      case TermKind::kObject:
        for (size_t i = 1; i < t->items.size(); i += 2) BindUnbound(t->items[i], env);
        return;
      default: return;
    }
  }

  const TypeCheckScope& scope_;
};

}  // namespace

std::optional<RegoError> CheckRuleTypes(const Rule& rule, const TypeCheckScope& scope, types::TypePtr* head_type) {
  *head_type = nullptr;
  for (const Rule* r = &rule; r; r = r->else_rule.get()) {
    Checker checker(scope);
    TypePtr head = checker.CheckRule(*r);
    if (checker.error) return checker.error;
    *head_type = types::Or(*head_type, head);
  }
  return std::nullopt;
}

std::optional<RegoError> CheckBodyTypes(const Body& body, const TypeCheckScope& scope) {
  Checker checker(scope);
  Env env;
  checker.CheckBody(body, env);
  return checker.error;
}

}  // namespace oep::rego
