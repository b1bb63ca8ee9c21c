#include "rego/safety.h"

#include <algorithm>
#include <vector>

namespace oep::rego {
namespace {

using VarSet = std::set<std::string>;

struct Read {
  std::string name;
  Location loc;
};

// What one expression reads and binds.
struct ExprVars {
  std::vector<Read> reads;  // must be bound before the expression runs
  VarSet iter;              // bound by the expression itself (ref iteration, output arguments, some-in)
  bool unify = false;       // = or :=: `left`/`right` pattern vars are bound once either side is
  VarSet left, right;
  // For = and :=, the pattern vars of each pair of terms that unify with each other
  // (arrays of equal length and objects pair up element by element).
  std::vector<std::pair<VarSet, VarSet>> pairs;
};

class Analyzer {
 public:
  explicit Analyzer(const SafetyScope& scope) : scope_(scope) {}

  bool Local(const std::string& name) const { return name != "_" && !scope_.is_global(name); }

  // Vars of `t`: with `pattern` set, bare vars (also inside arrays and object values) are
  // pattern outputs; otherwise they are reads. Ref keys that are vars iterate (bind).
  void Collect(const TermPtr& t, VarSet* pattern, ExprVars& out) {
    if (!t) return;
    switch (t->kind) {
      case TermKind::kScalar: return;
      case TermKind::kVar:
        if (!Local(t->name)) return;
        if (pattern) pattern->insert(t->name);
        else out.reads.push_back({t->name, t->loc});
        return;
      case TermKind::kRef:
        Collect(t->items[0], nullptr, out);
        for (size_t i = 1; i < t->items.size(); ++i) {
          const TermPtr& key = t->items[i];
          if (key->kind == TermKind::kVar) {
            if (Local(key->name)) out.iter.insert(key->name);
          } else if (key->kind == TermKind::kArray || key->kind == TermKind::kObject) {
            VarSet bound;  // a composite key is unified with each key of the collection
            Collect(key, &bound, out);
            out.iter.insert(bound.begin(), bound.end());
          } else {
            Collect(key, nullptr, out);
          }
        }
        return;
      case TermKind::kArray:
      case TermKind::kSet:
        for (const auto& item : t->items) Collect(item, pattern, out);
        return;
      case TermKind::kObject:
        for (size_t i = 0; i + 1 < t->items.size(); i += 2) {
          Collect(t->items[i], nullptr, out);
          Collect(t->items[i + 1], pattern, out);
        }
        return;
      case TermKind::kCall: {
        size_t nargs = t->items.size() - 1;
        std::optional<int> arity = scope_.arity(*t);
        bool has_output = arity && *arity >= 0 && nargs == static_cast<size_t>(*arity) + 1;
        for (size_t i = 1; i < t->items.size(); ++i) {
          if (has_output && i == nargs) {
            VarSet bound;
            Collect(t->items[i], &bound, out);
            out.iter.insert(bound.begin(), bound.end());
          } else {
            Collect(t->items[i], nullptr, out);
          }
        }
        return;
      }
      case TermKind::kArrayCompr:
      case TermKind::kSetCompr:
      case TermKind::kObjectCompr: {
        // A comprehension reads the variables it uses but does not bind itself.
        ExprVars inner;
        Collect(t->head, nullptr, inner);
        Collect(t->key, nullptr, inner);
        VarSet bound;
        for (const Expr& e : *t->body) {
          ExprVars ev = Of(e);
          inner.reads.insert(inner.reads.end(), ev.reads.begin(), ev.reads.end());
          bound.insert(ev.iter.begin(), ev.iter.end());
          bound.insert(ev.left.begin(), ev.left.end());
          bound.insert(ev.right.begin(), ev.right.end());
          if (e.kind == ExprKind::kSome) bound.insert(e.vars.begin(), e.vars.end());
        }
        for (auto& r : inner.reads) {
          if (!bound.count(r.name)) out.reads.push_back(std::move(r));
        }
        return;
      }
    }
  }

  // Splits a unification into the pairs of terms that unify with each other.
  void Pair(const TermPtr& a, const TermPtr& b, std::vector<std::pair<VarSet, VarSet>>& out) {
    if (a->kind == TermKind::kArray && b->kind == TermKind::kArray && a->items.size() == b->items.size()) {
      for (size_t i = 0; i < a->items.size(); ++i) Pair(a->items[i], b->items[i], out);
      return;
    }
    if (a->kind == TermKind::kObject && b->kind == TermKind::kObject && a->items.size() == b->items.size()) {
      bool matched = true;  // constant keys on both sides: values pair up by key
      std::vector<std::pair<TermPtr, TermPtr>> values;
      for (size_t i = 0; i + 1 < a->items.size() && matched; i += 2) {
        matched = false;
        for (size_t j = 0; j + 1 < b->items.size(); j += 2) {
          if (a->items[i]->kind == TermKind::kScalar && b->items[j]->kind == TermKind::kScalar &&
              a->items[i]->value == b->items[j]->value) {
            values.emplace_back(a->items[i + 1], b->items[j + 1]);
            matched = true;
            break;
          }
        }
      }
      if (matched) {
        for (const auto& [x, y] : values) Pair(x, y, out);
        return;
      }
    }
    ExprVars ignored;
    std::pair<VarSet, VarSet> p;
    Collect(a, &p.first, ignored);
    Collect(b, &p.second, ignored);
    out.push_back(std::move(p));
  }

  ExprVars Of(const Expr& e) {
    ExprVars v;
    switch (e.kind) {
      case ExprKind::kTerm: {
        const Term& t = *e.term;
        if (t.kind == TermKind::kCall && !t.items[0] && (t.name == "eq" || t.name == "assign")) {
          v.unify = true;
          Collect(t.items[1], &v.left, v);
          Collect(t.items[2], &v.right, v);
          Pair(t.items[1], t.items[2], v.pairs);
        } else {
          Collect(e.term, nullptr, v);
        }
        break;
      }
      case ExprKind::kNot: {
        // Everything a negation mentions must already be bound (iteration included).
        ExprVars inner = Of(*e.negated);
        v.reads = std::move(inner.reads);
        for (const VarSet* s : {&inner.iter, &inner.left, &inner.right}) {
          for (const auto& name : *s) v.reads.push_back({name, e.loc});
        }
        break;
      }
      case ExprKind::kSome: break;  // a declaration: binds nothing, reads nothing
      case ExprKind::kSomeIn: {
        Collect(e.collection, nullptr, v);
        VarSet bound;
        Collect(e.key, &bound, v);
        Collect(e.value, &bound, v);
        v.iter.insert(bound.begin(), bound.end());
        break;
      }
      case ExprKind::kEvery: {
        Collect(e.collection, nullptr, v);
        VarSet local;
        Collect(e.key, &local, v);
        Collect(e.value, &local, v);
        std::vector<Read> body_reads;
        for (const Expr& inner : *e.body) {
          ExprVars ev = Of(inner);
          for (const VarSet* s : {&ev.iter, &ev.left, &ev.right}) local.insert(s->begin(), s->end());
          if (inner.kind == ExprKind::kSome) local.insert(inner.vars.begin(), inner.vars.end());
          body_reads.insert(body_reads.end(), ev.reads.begin(), ev.reads.end());
        }
        for (auto& r : body_reads) {
          if (!local.count(r.name)) v.reads.push_back(std::move(r));
        }
        break;
      }
    }
    for (const auto& w : e.withs) {
      if (!scope_.names_function(w.value)) Collect(w.value, nullptr, v);
    }
    return v;
  }

  static bool Within(const VarSet& names, const VarSet& safe) {
    return std::all_of(names.begin(), names.end(), [&](const std::string& n) { return safe.count(n) > 0; });
  }

  // Whether `v` can run with `safe` bound; adds what it binds to `safe` when it can.
  static bool Schedule(const ExprVars& v, VarSet& safe) {
    for (const auto& r : v.reads) {
      if (!safe.count(r.name)) return false;
    }
    if (v.unify) {
      // A pair binds one side's vars once the other side's are bound; iterate to a fixpoint.
      VarSet after = safe;
      after.insert(v.iter.begin(), v.iter.end());
      for (bool changed = true; changed;) {
        changed = false;
        for (const auto& [a, b] : v.pairs) {
          const VarSet* gain = Within(a, after) ? &b : Within(b, after) ? &a : nullptr;
          if (gain == nullptr || Within(*gain, after)) continue;
          after.insert(gain->begin(), gain->end());
          changed = true;
        }
      }
      if (!Within(v.left, after) || !Within(v.right, after)) return false;
      safe.insert(v.left.begin(), v.left.end());
      safe.insert(v.right.begin(), v.right.end());
    }
    safe.insert(v.iter.begin(), v.iter.end());
    return true;
  }

  // The first variable `v` needs that `safe` lacks (for the error message).
  static Read Missing(const ExprVars& v, const VarSet& safe, const Location& at) {
    for (const auto& r : v.reads) {
      if (!safe.count(r.name)) return r;
    }
    for (const VarSet* s : {&v.left, &v.right}) {
      for (const auto& n : *s) {
        if (!safe.count(n)) return {n, at};
      }
    }
    return {"?", at};
  }

  RegoError Unsafe(const Read& r) const {
    return RegoError{"rego_unsafe_var_error", "var " + r.name + " is unsafe", scope_.file, r.loc};
  }

  // Reorders `body` given the variables bound before it; `safe` ends holding everything
  // the body binds. Nested comprehension and `every` bodies are ordered in turn.
  std::optional<RegoError> Order(Body& body, VarSet& safe) {
    const VarSet before = safe;
    std::vector<ExprVars> vars;
    for (const Expr& e : body) vars.push_back(Of(e));
    std::vector<bool> done(body.size(), false);
    std::vector<size_t> order;
    while (order.size() < body.size()) {
      bool progressed = false;
      for (size_t i = 0; i < body.size(); ++i) {
        if (done[i] || !Schedule(vars[i], safe)) continue;
        done[i] = true;
        order.push_back(i);
        progressed = true;
        break;  // stable: always restart from the first expression not yet placed
      }
      if (!progressed) {
        for (size_t i = 0; i < body.size(); ++i) {
          if (!done[i] && HoistIteratingRefs(body, i, vars[i])) {
            safe = before;
            return Order(body, safe);
          }
        }
        for (size_t i = 0; i < body.size(); ++i) {
          if (!done[i]) return Unsafe(Missing(vars[i], safe, body[i].loc));
        }
      }
    }
    Body ordered;
    ordered.reserve(body.size());
    for (size_t i : order) ordered.push_back(std::move(body[i]));
    body = std::move(ordered);
    for (const Expr& e : body) {
      if (auto err = OrderNested(e, safe)) return err;
    }
    return std::nullopt;
  }

  // `x == input.xs[x]`: a call that reads a var only a ref among its arguments binds. OPA
  // evaluates such a ref first; here it moves into an expression of its own before the call
  // (`__iterN__ = input.xs[x]`), a new var taking its place. False when `body[i]` is not such
  // a call.
  bool HoistIteratingRefs(Body& body, size_t i, const ExprVars& v) {
    const Expr& e = body[i];
    if (e.kind != ExprKind::kTerm || e.term->kind != TermKind::kCall || v.unify) return false;
    bool reads_own = std::any_of(v.reads.begin(), v.reads.end(), [&](const Read& r) { return v.iter.count(r.name) > 0; });
    if (!reads_own) return false;
    std::vector<Expr> hoisted;
    Expr rewritten = e;
    rewritten.term = HoistRefs(e.term, e.loc, hoisted);
    if (hoisted.empty()) return false;
    hoisted.push_back(std::move(rewritten));
    body.erase(body.begin() + static_cast<std::ptrdiff_t>(i));
    body.insert(body.begin() + static_cast<std::ptrdiff_t>(i), hoisted.begin(), hoisted.end());
    return true;
  }

  // `t` with each ref that iterates (a local var among its keys) replaced by a new var, and
  // `new var = ref` appended to `hoisted`; comprehensions are left alone.
  TermPtr HoistRefs(const TermPtr& t, Location loc, std::vector<Expr>& hoisted) {
    if (t->kind == TermKind::kRef) {
      bool iterates = std::any_of(t->items.begin() + 1, t->items.end(), [&](const TermPtr& key) {
        return key->kind == TermKind::kVar && Local(key->name);
      });
      if (!iterates) return t;
      auto var = std::make_shared<Term>();
      var->kind = TermKind::kVar;
      var->name = "__iter" + std::to_string(hoisted_++) + "__";
      var->loc = t->loc;
      auto eq = std::make_shared<Term>();
      eq->kind = TermKind::kCall;
      eq->name = "eq";
      eq->loc = t->loc;
      eq->items = {nullptr, var, t};
      Expr unify;
      unify.loc = loc;
      unify.term = eq;
      hoisted.push_back(std::move(unify));
      return var;
    }
    if (t->kind != TermKind::kCall && t->kind != TermKind::kArray && t->kind != TermKind::kSet && t->kind != TermKind::kObject) {
      return t;
    }
    auto copy = std::make_shared<Term>(*t);
    for (size_t k = t->kind == TermKind::kCall ? 1 : 0; k < copy->items.size(); ++k) {
      copy->items[k] = HoistRefs(copy->items[k], loc, hoisted);
    }
    return copy;
  }

  std::optional<RegoError> OrderNested(const Expr& e, const VarSet& safe) {
    std::optional<RegoError> err;
    auto visit = [&](const TermPtr& t, auto& self) -> void {
      if (!t || err) return;
      if (t->body && (t->kind == TermKind::kArrayCompr || t->kind == TermKind::kSetCompr ||
                      t->kind == TermKind::kObjectCompr)) {
        VarSet inner = safe;
        err = Order(*t->body, inner);
        if (err) return;
        ExprVars head;
        Collect(t->head, nullptr, head);
        Collect(t->key, nullptr, head);
        for (const auto& r : head.reads) {
          if (!inner.count(r.name)) {
            err = Unsafe(r);
            return;
          }
        }
        return;
      }
      for (const auto& item : t->items) self(item, self);
    };
    for (const TermPtr* t : {&e.term, &e.key, &e.value, &e.collection}) visit(*t, visit);
    for (const auto& w : e.withs) visit(w.value, visit);
    if (err) return err;
    if (e.negated) return OrderNested(*e.negated, safe);
    if (e.kind == ExprKind::kEvery && e.body) {
      VarSet inner = safe;
      ExprVars kv;
      Collect(e.key, &inner, kv);
      Collect(e.value, &inner, kv);
      return Order(*e.body, inner);
    }
    return std::nullopt;
  }

 private:
  const SafetyScope& scope_;
  int hoisted_ = 0;  // vars made by HoistRefs in this rule
};

}  // namespace

std::optional<RegoError> CheckRuleSafety(Rule& rule, const SafetyScope& scope) {
  Analyzer a(scope);
  for (Rule* r = &rule; r; r = r->else_rule.get()) {
    VarSet safe;
    ExprVars args;
    for (const auto& arg : (r->args.empty() ? rule.args : r->args)) a.Collect(arg, &safe, args);
    safe.insert(args.iter.begin(), args.iter.end());
    if (auto err = a.Order(r->body, safe)) return err;
    for (const TermPtr& t : r->keys) {  // comprehensions in the head
      Expr as_expr;
      as_expr.term = t;
      if (auto err = a.OrderNested(as_expr, safe)) return err;
    }
    if (r->value) {
      Expr as_expr;
      as_expr.term = r->value;
      if (auto err = a.OrderNested(as_expr, safe)) return err;
    }
    ExprVars head;
    a.Collect(r->value, nullptr, head);
    for (const auto& key : r->keys) a.Collect(key, nullptr, head);
    for (const auto& read : head.reads) {
      if (!safe.count(read.name)) return a.Unsafe(read);
    }
    for (const auto& name : head.iter) {
      if (!safe.count(name)) return a.Unsafe({name, r->loc});
    }
  }
  return std::nullopt;
}

}  // namespace oep::rego
