#include "rego/engine.h"

#include <chrono>
#include <cstdio>
#include <deque>
#include <functional>
#include <set>

#include "rego/annotations.h"
#include "rego/compiled_policy.h"
#include "rego/recursion_check.h"
#include "rego/rule_index.h"
#include "rego/ast_json.h"
#include "rego/parser.h"
#include "rego/builtins.h"
#include "rego/rule_locals.h"
#include "rego/stack_guard.h"
#include "rego/safety.h"
#include "rego/typecheck.h"
#include "rego/types.h"
#include "util/function_ref.h"

namespace oep::rego {

using namespace std::string_view_literals;

namespace {

using VK = FunctionRef<bool(const Value&)>;
using K = FunctionRef<bool()>;

struct EvalAbort {};

// Built-ins the evaluator answers itself, with their arity (-1: any number): print, and the
// non-deterministic ones that replay answers only from nd_builtin_cache (time.now_ns: the
// pinned decision time).
const std::map<std::string, int> kEvaluatorBuiltinArity = {
    {"time.now_ns", 0}, {"http.send", 1}, {"rand.intn", 2}, {"uuid.rfc4122", 1}, {"net.lookup_ip_addr", 1},
    {"opa.runtime", 0}, {"print", -1}, {"rego.metadata.rule", 0}, {"rego.metadata.chain", 0},
    {"rego.parse_module", 2}};

bool QueryIterates(const Body& body);

class Evaluator {
 public:
  Evaluator(const Engine::Impl& impl, const std::optional<Value>& input, const EvalOptions& opts)
      : impl_(impl), input_(input), opts_(opts) {
    memo_.emplace_back();
    rule_memo_.emplace_back();
  }

  std::optional<RegoError> error;
  void SetContext(const ModuleCtx* ctx) { ctx_ = ctx; }
  bool NamesUserFunction(const TermPtr& fn) const { return ResolveFunctionPath(fn).has_value(); }
  bool OffersBuiltin(const Builtin& b) const { return !b.v0_only || impl_.v0_compatible; }
  std::optional<std::vector<std::string>> FunctionPath(const TermPtr& fn) const { return ResolveFunctionPath(fn); }

  // Evaluates a query as OPA's query compiler does: every expression that is a term (or a
  // call with a result) and not a unification or negation is captured, and its value is
  // the expression's value, `false` included; the others report true. When the query has
  // more than one expression or iterates (see QueryIterates), a captured `false` also fails
  // the query, as OPA then appends a check of each captured value.
  bool RunQuery(const Body& body, const std::function<bool(const std::vector<Value>&)>& k) {
    ctx_ = nullptr;
    const bool check_capture = body.size() > 1 || QueryIterates(body);
    std::vector<Value> values(body.size(), Value::Bool(true));
    std::function<bool(size_t)> step = [&](size_t i) -> bool {
      if (i == body.size()) return k(values);
      const Expr& e = body[i];
      bool captured = e.kind == ExprKind::kTerm &&
                      !(e.term->kind == TermKind::kCall && !e.term->items[0] && (e.term->name == "eq"sv || e.term->name == "assign"sv));
      if (!captured || !e.withs.empty()) {
        Capture saved = capture_;
        capture_ = captured ? Capture{&e, &values[i], !check_capture} : Capture{};
        bool r = EvalExpr(e, [&] {
          Capture inner = capture_;
          capture_ = saved;
          bool more = step(i + 1);
          capture_ = inner;
          return more;
        });
        capture_ = saved;
        return r;
      }
      return EvalTerm(e.term, [&](const Value& v) {
        if (check_capture && v.is_bool() && !v.as_bool()) return true;
        values[i] = v;
        return step(i + 1);
      });
    };
    return step(0);
  }

  const std::optional<Value>* LookupVar(const std::string& name) const {
    for (size_t i = binds_.size(); i > frame_; --i) {
      if (binds_[i - 1].first == name) return &binds_[i - 1].second;
    }
    return nullptr;
  }

  std::optional<Value> EvalOne(const TermPtr& t) {
    std::optional<Value> out;
    EvalTerm(t, [&](const Value& v) {
      out = v;
      return false;
    });
    return out;
  }

 private:
  // ---- errors and limits
  bool Fail(const std::string& code, const std::string& msg, Location loc = {}) {
    if (!error) error = RegoError{code, msg, ctx_ ? ctx_->file : "", loc};
    return false;
  }
  // One more rule or function evaluation nested in the ones under way: past the depth limit
  // or near the end of the stack, the query ends with a resource error (not a recursion
  // error: recursion is refused at compile time or by RuleDocument's cycle check).
  bool Deeper(const std::vector<std::string>& path) {
    // The stack is read every 16 levels: far less than kStackReserve apart.
    if (++depth_ <= opts_.max_depth && ((depth_ & 15) != 0 || StackHasRoom())) return true;
    --depth_;
    return Fail("eval_cancel_error", "evaluation exceeded its depth limit (" + std::to_string(depth_) +
                                         " nested rule and function evaluations) at data." + JoinPath(path));
  }
  // One evaluation step: past the step limit, or past the deadline (read every
  // kStepsPerClockRead steps), the query ends.
  bool Step() { return ++steps_ <= next_check_ || CheckLimits(); }
  [[gnu::noinline]] bool CheckLimits() {
    if (steps_ > opts_.max_steps) return Fail("eval_cancel_error", "evaluation exceeded the step limit");
    if (opts_.deadline && std::chrono::steady_clock::now() > *opts_.deadline) {
      return Fail("eval_cancel_error", "caller cancelled query execution: the time limit passed");
    }
    next_check_ = opts_.deadline ? std::min(opts_.max_steps, steps_ + kStepsPerClockRead) : opts_.max_steps;
    return true;
  }
  static constexpr int64_t kStepsPerClockRead = 1024;
  // Charges `bytes` of a collection the evaluator builds (`what`: "set comprehension", or
  // "rule" and the rule's `path`); past the budget the query ends.
  bool ChargeMemory(uint64_t bytes, Location loc, const char* what, const std::vector<std::string>* path = nullptr) {
    if (budget_.Charge(bytes)) return true;
    std::string subject = path ? std::string(what) + " data." + JoinPath(*path) : what;
    return Fail("eval_cancel_error", subject + ": " + budget_.ExceededMessage(bytes), loc);
  }
  // What adding `v`, the value of `term`, to a collection under construction costs: its
  // element, and when `term` is a collection literal its own payload (built-in results and
  // comprehensions are charged where they are made; other values already exist).
  static uint64_t ElementBytes(const TermPtr& term, const Value& v, uint64_t element) {
    bool literal = term->kind == TermKind::kArray || term->kind == TermKind::kObject || term->kind == TermKind::kSet;
    return element + (literal ? ShallowBytes(v) : 0);
  }

  // ---- bindings
  void Bind(const std::string& name, std::optional<Value> v) { binds_.emplace_back(name, std::move(v)); }
  const Value* Bound(const std::string& name) const {
    auto* slot = LookupVar(name);
    return slot && *slot ? &**slot : nullptr;
  }

  bool IsGlobalName(const std::string& name) const {
    // A declared local may be named input or data (`input := {...}`), rarely.
    if (name == "input"sv || name == "data"sv) return !root_shadowed_ || !LookupVar(name);
    if (LookupVar(name)) return false;
    if (ctx_) {
      if (ctx_->aliases.count(name)) return true;
      std::vector<std::string> p = ctx_->package;
      p.push_back(name);
      if (impl_.Find(p, p.size())) return true;
    }
    return false;
  }

  // A term whose value(s) can be computed now (it binds its own iteration vars).
  bool Evaluable(const TermPtr& t) const {
    switch (t->kind) {
      case TermKind::kScalar: return true;
      case TermKind::kVar: return t->name != "_"sv && (Bound(t->name) || IsGlobalName(t->name));
      case TermKind::kRef: return t->items[0]->kind != TermKind::kVar || Evaluable(t->items[0]);
      case TermKind::kCall:
      case TermKind::kArrayCompr:
      case TermKind::kSetCompr:
      case TermKind::kObjectCompr: return true;
      case TermKind::kArray:
      case TermKind::kSet:
        for (const auto& e : t->items) if (!Evaluable(e)) return false;
        return true;
      case TermKind::kObject:
        for (const auto& e : t->items) if (!Evaluable(e)) return false;
        return true;
    }
    return true;
  }

  // ---- bodies and expressions
  bool EvalBody(const Body& body, size_t i, const K& k) {
    if (i == body.size()) return k();
    return EvalExpr(body[i], [&] { return EvalBody(body, i + 1, k); });
  }

  struct WithState {
    std::optional<Value> input;
    std::vector<std::pair<std::vector<std::string>, Value>> data_overrides;
    std::map<std::string, TermPtr> fn_overrides;
    std::map<std::string, Value> fn_value_overrides;
  };

  bool EvalExpr(const Expr& e, const K& k) {
    if (!Step()) return false;
    if (e.withs.empty()) return EvalExprInner(e, k);
    WithState outer{input_, data_overrides_, fn_overrides_, fn_value_overrides_};
    WithState inner = outer;
    for (const auto& w : e.withs) {
      // A function replaced by another function: the replacement is a name, not a value.
      std::string target = StaticName(w.target);
      bool target_is_function = !target.empty() && target != "input"sv && target.rfind("input.", 0) != 0 &&
                                (Builtins().count(target) || ResolveFunctionPath(w.target) ||
                                 (target.rfind("data.", 0) != 0 && !IsGlobalName(target.substr(0, target.find('.')))));
      bool value_is_function = (w.value->kind == TermKind::kVar || w.value->kind == TermKind::kRef) &&
                               (Builtins().count(StaticName(w.value)) || ResolveFunctionPath(w.value));
      if (target_is_function && value_is_function) {
        std::string key = ResolveFunctionPath(w.target) ? "data." + JoinPath(*ResolveFunctionPath(w.target)) : target;
        inner.fn_overrides[key] = w.value;
        continue;
      }
      auto v = EvalOne(w.value);
      if (error) return false;
      if (!v) return true;  // undefined with value: the expression is undefined
      if (!ApplyWith(w, *v, inner)) return false;
    }
    auto swap_in = [&](const WithState& s) {
      input_ = s.input;
      data_overrides_ = s.data_overrides;
      fn_overrides_ = s.fn_overrides;
      fn_value_overrides_ = s.fn_value_overrides;
    };
    swap_in(inner);
    memo_.emplace_back();
    rule_memo_.emplace_back();
    bool r = EvalExprInner(e, [&] {
      swap_in(outer);
      auto saved = std::move(memo_.back());
      auto saved_rules = std::move(rule_memo_.back());
      memo_.pop_back();
      rule_memo_.pop_back();
      bool rr = k();
      memo_.push_back(std::move(saved));
      rule_memo_.push_back(std::move(saved_rules));
      swap_in(inner);
      return rr;
    });
    memo_.pop_back();
    rule_memo_.pop_back();
    swap_in(outer);
    return r;
  }

  bool ApplyWith(const With& w, const Value& v, WithState& s) {
    // Target: input[.path], data.path, or a function / built-in name.
    std::vector<std::string> path;
    const TermPtr& t = w.target;
    std::string head;
    if (t->kind == TermKind::kVar) head = t->name;
    else if (t->kind == TermKind::kRef && t->items[0]->kind == TermKind::kVar) head = t->items[0]->name;
    else return Fail("rego_compile_error", "with keyword target must reference input, data or a function", t->loc);
    if (t->kind == TermKind::kRef) {
      for (size_t i = 1; i < t->items.size(); ++i) {
        if (t->items[i]->kind != TermKind::kScalar || !t->items[i]->value.is_string()) {
          return Fail("rego_compile_error", "with keyword target must be a static reference", t->loc);
        }
        path.push_back(t->items[i]->value.str());
      }
    }
    if (head == "input"sv) {
      s.input = path.empty() ? v : SetPath(s.input.value_or(Value::MakeObject({})), path, 0, v);
      return true;
    }
    std::string name = head;
    for (const auto& p : path) name += "." + p;
    if (head == "data"sv) {
      // A function at that path is replaced, anything else overridden as a document.
      Node* n = impl_.Find(path, path.size());
      if (n && !n->rules.empty() && n->rules[0]->kind == RuleKind::kFunction) {
        return ReplaceFunction(name, w.value, v, s);
      }
      s.data_overrides.emplace_back(path, v);
      return true;
    }
    if (ctx_ && ctx_->aliases.count(head)) {
      auto full = ctx_->aliases.at(head);
      full.insert(full.end(), path.begin(), path.end());
      if (full[0] == "data"sv) {
        full.erase(full.begin());
        Node* n = impl_.Find(full, full.size());
        if (n && !n->rules.empty() && n->rules[0]->kind == RuleKind::kFunction) return ReplaceFunction("data." + JoinPath(full), w.value, v, s);
        s.data_overrides.emplace_back(full, v);
        return true;
      }
    }
    if (impl_.Find(QualifiedRulePath(name), QualifiedRulePath(name).size()) == nullptr && !LookupVar(head)) {
      // A built-in (implemented here or not): calls to it are answered by the mock.
      return ReplaceFunction(name, w.value, v, s);
    }
    if (Builtins().count(name) || impl_.Find(QualifiedRulePath(name), QualifiedRulePath(name).size())) {
      std::string key = Builtins().count(name) ? name : "data." + JoinPath(QualifiedRulePath(name));
      return ReplaceFunction(key, w.value, v, s);
    }
    return Fail("rego_compile_error", "with keyword target " + name + " is not input, data or a function", t->loc);
  }

  std::vector<std::string> QualifiedRulePath(const std::string& dotted) const {
    std::vector<std::string> parts;
    size_t start = 0;
    for (;;) {
      size_t dot = dotted.find('.', start);
      parts.push_back(dotted.substr(start, dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    if (!ctx_) return parts;
    std::vector<std::string> p = ctx_->package;
    p.insert(p.end(), parts.begin(), parts.end());
    return p;
  }

  bool ReplaceFunction(const std::string& name, const TermPtr& replacement, const Value& v, WithState& s) {
    // A reference to a function (user or built-in) replaces it; any other value is the
    // constant result of every call.
    if (replacement->kind == TermKind::kVar || replacement->kind == TermKind::kRef) {
      std::string target = StaticName(replacement);
      if (!target.empty() && (Builtins().count(target) || ResolveFunctionPath(replacement))) {
        s.fn_overrides[name] = replacement;
        return true;
      }
    }
    s.fn_value_overrides[name] = v;
    return true;
  }

  static Value SetPath(const Value& base, const std::vector<std::string>& path, size_t i, const Value& v) {
    if (i == path.size()) return v;
    Object obj = base.is_object() ? base.object() : Object{};
    auto key = Value::String(path[i]);
    auto it = obj.find(key);
    obj[key] = SetPath(it == obj.end() ? Value::MakeObject({}) : it->second, path, i + 1, v);
    return Value::MakeObject(std::move(obj));
  }

  bool EvalExprInner(const Expr& e, const K& k) {
    switch (e.kind) {
      case ExprKind::kTerm: {
        const TermPtr& t = e.term;
        if (t->kind == TermKind::kCall && !t->items[0] && (t->name == "eq"sv || t->name == "assign"sv)) {
          if (t->name == "assign"sv) {
            // := declares its left-hand variables fresh in this scope.
            size_t mark = binds_.size();
            ShadowVars(t->items[1]);
            bool r = Unify(t->items[1], t->items[2], k);
            binds_.resize(mark);
            return r;
          }
          return Unify(t->items[1], t->items[2], k);
        }
        return EvalTerm(t, [&](const Value& v) {
          bool captured = capture_.expr == &e;
          if (v.is_bool() && !v.as_bool() && !(captured && capture_.keep_false)) return true;
          if (captured) *capture_.slot = v;
          return k();
        });
      }
      case ExprKind::kNot: {
        bool found = false;
        size_t mark = binds_.size();
        EvalExpr(*e.negated, [&] {
          found = true;
          return false;
        });
        binds_.resize(mark);
        if (error) return false;
        return found ? true : k();
      }
      case ExprKind::kSome: {
        size_t mark = binds_.size();
        for (const auto& v : e.vars) {
          NoteRootShadow(v);
          Bind(v, std::nullopt);
        }
        bool r = k();
        binds_.resize(mark);
        return r;
      }
      case ExprKind::kSomeIn: {
        size_t mark = binds_.size();
        if (e.key) ShadowVars(e.key);
        ShadowVars(e.value);
        bool r = EvalTerm(e.collection, [&](const Value& coll) {
          return ForEachElement(coll, [&](const Value& key, const Value& elem) {
            return UnifyValue(e.value, elem, [&] { return e.key ? UnifyValue(e.key, key, k) : k(); });
          });
        });
        binds_.resize(mark);
        return r;
      }
      case ExprKind::kEvery: {
        bool all = true;
        bool r = EvalTerm(e.collection, [&](const Value& coll) {
          if (!coll.is_array() && !coll.is_object() && !coll.is_set()) return true;  // not iterable: fails
          bool ok_all = true;
          ForEachElement(coll, [&](const Value& key, const Value& elem) {
            size_t mark = binds_.size();
            if (e.key) ShadowVars(e.key);
            ShadowVars(e.value);
            bool ok = false;
            UnifyValue(e.value, elem, [&] {
              auto body_k = [&] {
                return EvalBody(*e.body, 0, [&] {
                  ok = true;
                  return false;
                });
              };
              return e.key ? UnifyValue(e.key, key, body_k) : body_k();
            });
            binds_.resize(mark);
            if (error) return false;
            if (!ok) ok_all = false;
            return ok;
          });
          if (error) return false;
          if (!ok_all) {
            all = false;
            return true;
          }
          all = true;
          return k();
        });
        (void)all;
        return r;
      }
    }
    return true;
  }

  void NoteRootShadow(const std::string& name) {
    if (name == "input"sv || name == "data"sv) root_shadowed_ = true;
  }
  void ShadowVars(const TermPtr& t) {
    switch (t->kind) {
      case TermKind::kVar:
        if (t->name == "_"sv) break;
        NoteRootShadow(t->name);
        Bind(t->name, std::nullopt);
        break;
      case TermKind::kArray:
      case TermKind::kSet:
      case TermKind::kObject:
        for (const auto& e : t->items) ShadowVars(e);
        break;
      default: break;
    }
  }

  // Calls fn(key, element) for each element: arrays by index, objects by key, sets by value.
  bool ForEachElement(const Value& coll, FunctionRef<bool(const Value&, const Value&)> fn) {
    if (coll.is_array()) {
      for (size_t i = 0; i < coll.array().size(); ++i) {
        if (!fn(Value::Int(static_cast<int64_t>(i)), coll.array()[i])) return false;
      }
    } else if (coll.is_object()) {
      for (const auto& [key, v] : coll.object()) if (!fn(key, v)) return false;
    } else if (coll.is_set()) {
      for (const auto& v : coll.set()) if (!fn(v, v)) return false;
    }
    return true;
  }

  // ---- unification
  bool Unify(const TermPtr& a, const TermPtr& b, const K& k) {
    if (Evaluable(a)) return EvalTerm(a, [&](const Value& av) { return UnifyValue(b, av, k); });
    if (Evaluable(b)) return EvalTerm(b, [&](const Value& bv) { return UnifyValue(a, bv, k); });
    if (a->kind == TermKind::kArray && b->kind == TermKind::kArray) {
      if (a->items.size() != b->items.size()) return true;
      return UnifyItems(a->items, b->items, 0, k);
    }
    if (a->kind == TermKind::kObject && b->kind == TermKind::kObject) {
      // Pair the values of equal (scalar) keys, then unify the pairs.
      if (a->items.size() != b->items.size()) return true;
      std::vector<TermPtr> left, right;
      for (size_t i = 0; i < a->items.size(); i += 2) {
        if (a->items[i]->kind != TermKind::kScalar) return Fail("rego_unsafe_var_error", "object key is not ground", a->loc);
        bool found = false;
        for (size_t j = 0; j < b->items.size(); j += 2) {
          if (b->items[j]->kind == TermKind::kScalar && b->items[j]->value == a->items[i]->value) {
            left.push_back(a->items[i + 1]);
            right.push_back(b->items[j + 1]);
            found = true;
          }
        }
        if (!found) return true;
      }
      return UnifyItems(left, right, 0, k);
    }
    return Fail("rego_unsafe_var_error", "var is unsafe in unification", a->loc);
  }

  bool UnifyItems(const std::vector<TermPtr>& a, const std::vector<TermPtr>& b, size_t i, const K& k) {
    if (i == a.size()) return k();
    return Unify(a[i], b[i], [&] { return UnifyItems(a, b, i + 1, k); });
  }

  bool UnifyValue(const TermPtr& p, const Value& v, const K& k) {
    switch (p->kind) {
      case TermKind::kVar: {
        if (p->name == "_"sv) return k();
        if (const Value* bound = Bound(p->name)) return *bound == v ? k() : true;
        if (IsGlobalName(p->name)) {
          return EvalTerm(p, [&](const Value& pv) { return pv == v ? k() : true; });
        }
        size_t mark = binds_.size();
        Bind(p->name, v);
        bool r = k();
        binds_.resize(mark);
        return r;
      }
      case TermKind::kScalar: return p->value == v ? k() : true;
      case TermKind::kArray: {
        if (!v.is_array() || v.array().size() != p->items.size()) return true;
        return UnifyArray(p->items, v.array(), 0, k);
      }
      case TermKind::kObject: {
        if (!v.is_object() || v.object().size() * 2 != p->items.size()) return true;
        return UnifyObject(p, v, 0, k);
      }
      default:
        return EvalTerm(p, [&](const Value& pv) { return pv == v ? k() : true; });
    }
  }

  bool UnifyArray(const std::vector<TermPtr>& items, const Array& vals, size_t i, const K& k) {
    if (i == items.size()) return k();
    return UnifyValue(items[i], vals[i], [&] { return UnifyArray(items, vals, i + 1, k); });
  }

  bool UnifyObject(const TermPtr& p, const Value& v, size_t i, const K& k) {
    if (i == p->items.size()) return k();
    return EvalTerm(p->items[i], [&](const Value& key) {
      auto elem = v.Get(key);
      if (!elem) return true;
      return UnifyValue(p->items[i + 1], *elem, [&] { return UnifyObject(p, v, i + 2, k); });
    });
  }

  // ---- terms
  bool EvalTerm(const TermPtr& t, const VK& k) {
    if (!Step()) return false;
    if (t->ground) return k(t->value);
    switch (t->kind) {
      case TermKind::kScalar: return k(t->value);
      case TermKind::kVar: return EvalVar(t, k);
      case TermKind::kRef: return EvalRef(t, k);
      case TermKind::kArray: {
        Array acc;
        return EvalItems(t->items, 0, acc, [&](const Array& vals) { return k(Value::MakeArray(vals)); });
      }
      case TermKind::kSet: {
        Array acc;
        return EvalItems(t->items, 0, acc, [&](const Array& vals) { return k(Value::MakeSet(Set(vals.begin(), vals.end()))); });
      }
      case TermKind::kObject: {
        Array acc;
        return EvalItems(t->items, 0, acc, [&](const Array& vals) {
          Object obj;
          for (size_t i = 0; i + 1 < vals.size(); i += 2) obj[vals[i]] = vals[i + 1];
          return k(Value::MakeObject(std::move(obj)));
        });
      }
      case TermKind::kArrayCompr:
      case TermKind::kSetCompr:
      case TermKind::kObjectCompr: return EvalComprehension(t, k);
      case TermKind::kCall: return EvalCall(t, k);
    }
    return true;
  }

  bool EvalItems(const std::vector<TermPtr>& items, size_t i, Array& acc, FunctionRef<bool(const Array&)> k) {
    if (i == items.size()) return k(acc);
    return EvalTerm(items[i], [&](const Value& v) {
      acc.push_back(v);
      bool r = EvalItems(items, i + 1, acc, k);
      acc.pop_back();
      return r;
    });
  }

  bool EvalComprehension(const TermPtr& t, const VK& k) {
    size_t mark = binds_.size();
    Array arr;
    Set set;
    Object obj;
    bool conflict = false;
    uint64_t charged = 0;  // for the elements: released with the collection
    auto charge = [&](const Value& v, uint64_t element) {
      uint64_t bytes = ElementBytes(t->head, v, element);
      if (!ChargeMemory(bytes, t->loc, t->kind == TermKind::kArrayCompr ? "array comprehension"
                                       : t->kind == TermKind::kSetCompr ? "set comprehension"
                                                                        : "object comprehension")) {
        return false;
      }
      charged += bytes;
      return true;
    };
    EvalBody(*t->body, 0, [&] {
      if (t->kind == TermKind::kObjectCompr) {
        return EvalTerm(t->key, [&](const Value& key) {
          return EvalTerm(t->head, [&](const Value& v) {
            auto it = obj.find(key);
            if (it != obj.end() && it->second != v) {
              conflict = true;
              return Fail("eval_conflict_error", "object keys must be unique", t->loc);
            }
            if (it == obj.end() && !charge(v, kObjectEntryBytes)) return false;
            obj[key] = v;
            return true;
          });
        });
      }
      return EvalTerm(t->head, [&](const Value& v) {
        if (!charge(v, t->kind == TermKind::kArrayCompr ? kArrayElementBytes : kSetElementBytes)) return false;
        if (t->kind == TermKind::kArrayCompr) arr.push_back(v);
        else set.insert(v);
        return true;
      });
    });
    binds_.resize(mark);
    if (error || conflict) return false;
    Value result = t->kind == TermKind::kArrayCompr ? Value::MakeArray(std::move(arr))
                   : t->kind == TermKind::kSetCompr ? Value::MakeSet(std::move(set))
                                                    : Value::MakeObject(std::move(obj));
    bool more = k(result);
    if (!result.payload_shared()) budget_.Release(static_cast<int64_t>(charged));
    return more;
  }

  bool EvalVar(const TermPtr& t, const VK& k) {
    const std::string& name = t->name;
    if (auto* slot = LookupVar(name)) {
      if (*slot) return k(**slot);
      return Fail("rego_unsafe_var_error", "var " + name + " is unsafe", t->loc);
    }
    if (name == "input"sv) return input_ ? k(*input_) : true;
    if (name == "data"sv) return EvalDataPath({}, nullptr, 0, k);
    if (ctx_) {
      auto a = ctx_->aliases.find(name);
      if (a != ctx_->aliases.end()) return EvalAliasRef(a->second, nullptr, 0, k);
      std::vector<std::string> p = ctx_->package;
      p.push_back(name);
      if (impl_.Find(p, p.size())) return EvalDataPath(std::move(p), nullptr, 0, k);
    }
    return Fail("rego_unsafe_var_error", "var " + name + " is unsafe", t->loc);
  }

  bool EvalAliasRef(const std::vector<std::string>& path, const TermPtr& ref, size_t i, const VK& k) {
    if (path[0] == "input"sv) {
      if (!input_) return true;
      Value v = *input_;
      for (size_t j = 1; j < path.size(); ++j) {
        auto e = v.Get(Value::String(path[j]));
        if (!e) return true;
        v = *e;
      }
      return ref ? IndexValue(v, ref->items, i, k) : k(v);
    }
    return EvalDataPath(std::vector<std::string>(path.begin() + 1, path.end()), ref, i, k);
  }

  bool EvalRef(const TermPtr& ref, const VK& k) {
    const TermPtr& head = ref->items[0];
    if (head->kind == TermKind::kVar) {
      const std::string& name = head->name;
      if (auto* slot = LookupVar(name)) {
        if (!*slot) return Fail("rego_unsafe_var_error", "var " + name + " is unsafe", head->loc);
        return IndexValue(**slot, ref->items, 1, k);
      }
      if (name == "input"sv) return input_ ? IndexValue(*input_, ref->items, 1, k) : true;
      if (name == "data"sv) return EvalDataPath({}, ref, 1, k);
      if (ctx_) {
        auto a = ctx_->aliases.find(name);
        if (a != ctx_->aliases.end()) return EvalAliasRef(a->second, ref, 1, k);
        std::vector<std::string> p = ctx_->package;
        p.push_back(name);
        if (impl_.Find(p, p.size())) return EvalDataPath(std::move(p), ref, 1, k);
      }
      return Fail("rego_unsafe_var_error", "var " + name + " is unsafe", head->loc);
    }
    return EvalTerm(head, [&](const Value& v) { return IndexValue(v, ref->items, 1, k); });
  }

  bool IndexValue(const Value& v, const std::vector<TermPtr>& items, size_t i, const VK& k) {
    if (i == items.size()) return k(v);
    if (!Step()) return false;
    const TermPtr& key = items[i];
    if (Evaluable(key)) {
      return EvalTerm(key, [&](const Value& kv) {
        auto e = v.Get(kv);
        if (!e) return true;
        return IndexValue(*e, items, i + 1, k);
      });
    }
    return ForEachElement(v, [&](const Value& kv, const Value& elem) {
      return UnifyValue(key, kv, [&] { return IndexValue(elem, items, i + 1, k); });
    });
  }

  // IndexValue for base data: JSON objects have string keys, so an integer key names the
  // member with its decimal text (data.x[2] reads data.x["2"]), as in OPA.
  bool IndexBase(const Value& v, const std::vector<TermPtr>& items, size_t i, const VK& k) {
    if (i == items.size()) return k(v);
    if (!v.is_object() || !Evaluable(items[i])) return IndexValue(v, items, i, k);
    return EvalTerm(items[i], [&](const Value& kv) {
      std::optional<Value> e = v.Get(kv);
      if (!e && kv.is_int()) e = v.Get(Value::String(std::to_string(kv.as_int())));
      return e ? IndexBase(*e, items, i + 1, k) : true;
    });
  }

  // data.<path>[items[i:]]: virtual documents (rules) over the base document.
  bool EvalDataPath(std::vector<std::string> path, const TermPtr& ref, size_t i, const VK& k) {
    static const std::vector<TermPtr> kNone;
    const std::vector<TermPtr>& items = ref ? ref->items : kNone;
    path.reserve(path.size() + items.size() - std::min(i, items.size()));
    Node* known = nullptr;  // the rule-tree node at `path`, when the last descent found it
    bool node_known = false;
    for (;;) {
      if (auto ov = OverrideAt(path)) return IndexValue(*ov, items, i, k);
      Node* node = node_known ? known : impl_.Find(path, path.size());
      node_known = false;
      if (node && (!node->rules.empty() || node->default_rule)) {
        const Rule* first = !node->rules.empty() ? node->rules[0] : node->default_rule;
        if (first->kind == RuleKind::kFunction) {
          // A function of no arguments named without parentheses is called, as in OPA.
          if (!first->args.empty()) return true;
          auto out = CallUser(node, path, {}, ref ? ref->loc : Location{});
          if (error) return false;
          return out ? IndexValue(*out, items, i, k) : true;
        }
        // Partial documents with a ground key: evaluate for that key only when cheap.
        auto doc = RuleDocument(path, node);
        if (error) return false;
        if (!doc) return true;
        return IndexValue(*doc, items, i, k);
      }
      if (i == items.size()) {
        auto doc = FullDocument(path);
        if (error) return false;
        return doc ? k(*doc) : true;
      }
      const TermPtr& key = items[i];
      if (!node) {
        // Below the rule tree: plain base data.
        auto base = BaseAt(path);
        if (!base) return true;
        return IndexBase(*base, items, i, k);
      }
      if (key->kind == TermKind::kScalar && key->value.is_string()) {
        // A constant member name (every static ref): descend in place, without the copy of
        // the path that a key from EvalTerm takes, and from this node rather than the root.
        const std::string& name = key->value.str();
        auto child = node->children.find(name);
        known = child == node->children.end() ? nullptr : child->second.get();
        node_known = true;
        path.push_back(name);
        ++i;
        continue;
      }
      if (Evaluable(key)) {
        bool handled = false;
        bool r = EvalTerm(key, [&](const Value& kv) {
          handled = true;
          if (kv.is_int() && !kv.is_string()) {
            // data is JSON: an integer key in a data ref names the member with its decimal text.
            std::vector<std::string> next = path;
            next.push_back(std::to_string(kv.as_int()));
            return EvalDataPath(std::move(next), ref, i + 1, k);
          }
          if (!kv.is_string()) {
            auto doc = FullDocument(path);
            if (!doc) return !error;
            return IndexValue(*doc, items, i, k);
          }
          std::vector<std::string> next = path;
          next.push_back(kv.str());
          return EvalDataPath(std::move(next), ref, i + 1, k);
        });
        (void)handled;
        return r;
      }
      auto doc = FullDocument(path);
      if (error) return false;
      if (!doc) return true;
      return IndexValue(*doc, items, i, k);
    }
  }

  std::optional<Value> OverrideAt(const std::vector<std::string>& path) const {
    // The longest override that is a prefix of `path`, indexed by the rest.
    for (auto it = data_overrides_.rbegin(); it != data_overrides_.rend(); ++it) {
      const auto& op = it->first;
      if (op.size() > path.size() || !std::equal(op.begin(), op.end(), path.begin())) continue;
      Value v = it->second;
      for (size_t j = op.size(); j < path.size(); ++j) {
        auto e = v.Get(Value::String(path[j]));
        if (!e) return std::nullopt;
        v = *e;
      }
      return v;
    }
    return std::nullopt;
  }

  // The base document at `path`, with every `with data...` override below it applied.
  std::optional<Value> BaseAt(const std::vector<std::string>& path) const {
    std::optional<Value> v = impl_.data;
    for (const auto& p : path) {
      v = v->Get(Value::String(p));
      if (!v) break;
    }
    for (const auto& [op, ov] : data_overrides_) {
      if (op.size() <= path.size() || !std::equal(path.begin(), path.end(), op.begin())) continue;
      v = SetIn(v && v->is_object() ? *v : Value::MakeObject({}), op, path.size(), ov);
    }
    return v;
  }

  // `doc` with the value at keys[i:] replaced by `value` (objects created as needed).
  static Value SetIn(const Value& doc, const std::vector<std::string>& keys, size_t i, const Value& value) {
    if (i == keys.size()) return value;
    Object o = doc.is_object() ? doc.object() : Object{};
    Value key = Value::String(keys[i]);
    auto child = o.find(key);
    Value next = SetIn(child != o.end() ? child->second : Value::MakeObject({}), keys, i + 1, value);
    o.insert_or_assign(std::move(key), std::move(next));
    return Value::MakeObject(std::move(o));
  }

  // The whole document at `path`: base data merged with every defined rule below it.
  std::optional<Value> FullDocument(const std::vector<std::string>& path) {
    if (auto ov = OverrideAt(path)) return ov;
    Node* node = impl_.Find(path, path.size());
    auto base = BaseAt(path);
    if (!node) return base;
    if (!node->rules.empty() || node->default_rule) {
      const Rule* first = !node->rules.empty() ? node->rules[0] : node->default_rule;
      if (first->kind == RuleKind::kFunction) return std::nullopt;  // functions are not documents
      return RuleDocument(path, node);
    }
    Object obj = base && base->is_object() ? base->object() : Object{};
    for (const auto& [name, child] : node->children) {
      std::vector<std::string> p = path;
      p.push_back(name);
      auto v = FullDocument(p);
      if (error) return std::nullopt;
      if (v) obj[Value::String(name)] = *v;
    }
    // Overrides strictly below this path that name keys not in the tree.
    for (const auto& [op, ov] : data_overrides_) {
      if (op.size() == path.size() + 1 && std::equal(path.begin(), path.end(), op.begin())) obj[Value::String(op.back())] = ov;
    }
    return Value::MakeObject(std::move(obj));
  }

  // ---- rules
  struct Frame {
    size_t frame;
    const ModuleCtx* ctx;
    const Rule* rule;
  };
  Frame EnterRule(const Rule* r) {
    Frame saved{frame_, ctx_, rule_};
    frame_ = binds_.size();
    ctx_ = impl_.contexts[r->module_index].get();
    rule_ = r;
    return saved;
  }
  void LeaveRule(const Frame& f, size_t mark) {
    binds_.resize(mark);
    frame_ = f.frame;
    ctx_ = f.ctx;
    rule_ = f.rule;
  }

  // Value of the rule(s) at `path` (complete, partial set or partial object), memoized
  // for this evaluation (per `with` scope).
  // The rules of `node` that can succeed on this input (all of them without an index);
  // `storage` holds the selection.
  const std::vector<const Rule*>& IndexedRules(const Node* node, std::vector<const Rule*>& storage) const {
    if (!node->index || !input_) return node->rules;
    const RuleIndex& index = *node->index;
    std::optional<Value> v = *input_;
    for (const auto& key : index.input_path) {
      if (v) v = v->Get(Value::String(key));
    }
    const std::vector<size_t>* hits = nullptr;
    if (v) {
      auto it = index.by_value.find(*v);
      if (it != index.by_value.end()) hits = &it->second;
    }
    std::vector<size_t> positions = index.unindexed;
    if (hits) {
      positions.insert(positions.end(), hits->begin(), hits->end());
      std::sort(positions.begin(), positions.end());
    }
    storage.clear();
    for (size_t i : positions) storage.push_back(node->rules[i]);
    return storage;
  }

  std::optional<Value> RuleDocument(const std::vector<std::string>& path, Node* node) {
    if (node->constant) return node->constant;
    auto& memo = rule_memo_.back();
    auto hit = memo.find(node);
    if (hit != memo.end()) return hit->second;
    if (!Deeper(path)) return std::nullopt;
    if (std::find(in_progress_.begin(), in_progress_.end(), node) != in_progress_.end()) {
      Fail("rego_recursion_error", "rego_recursion_error: rule data." + JoinPath(path) + " is recursive");
      --depth_;
      return std::nullopt;
    }
    in_progress_.push_back(node);
    std::optional<Value> result = ComputeRuleDocument(path, node);
    in_progress_.pop_back();
    --depth_;
    if (error) return std::nullopt;
    rule_memo_.back()[node] = result;
    return result;
  }

  // The one value of the complete rules (args == nullptr) or functions at `node`: the
  // first alternative of each else-chain whose body succeeds decides; different values are
  // a conflict; with no value the default rule's value applies.
  std::optional<Value> EvalSingleValued(Node* node, const Array* args, const char* conflict) {
    std::optional<Value> value;
    std::vector<const Rule*> candidates;
    for (const Rule* r : IndexedRules(node, candidates)) {
      for (const Rule* alt = r; alt; alt = alt->else_rule.get()) {
        bool any = false;
        size_t mark = binds_.size();
        Frame f = EnterRule(alt);
        auto body = [&] {
          return EvalBody(alt->body, 0, [&] {
            return CheckDeferredArgs(alt->args, args, 0, [&] {
              return EvalTerm(alt->value, [&](const Value& v) {
                any = true;
                if (value && *value != v) return Fail("eval_conflict_error", conflict, alt->loc);
                value = v;
                return true;
              });
            });
          });
        };
        if (args) {
          for (const auto& param : alt->args) ShadowVars(param);  // arguments shadow rules
          UnifyArgs(alt->args, *args, 0, body);
        } else {
          body();
        }
        LeaveRule(f, mark);
        if (error) return std::nullopt;
        if (any) break;
      }
    }
    if (!value && node->default_rule) {
      size_t mark = binds_.size();
      Frame f = EnterRule(node->default_rule);
      value = EvalOne(node->default_rule->value);
      LeaveRule(f, mark);
    }
    return value;
  }

  std::optional<Value> ComputeRuleDocument(const std::vector<std::string>& path, Node* node) {
    RuleKind kind = !node->rules.empty() ? node->rules[0]->kind : node->default_rule->kind;
    if (kind == RuleKind::kComplete) {
      return EvalSingleValued(node, nullptr, "complete rules must not produce multiple outputs");
    }
    // Partial set / object, possibly with several levels of keys.
    Value doc = kind == RuleKind::kPartialSet && node->rules[0]->keys.size() == 1 ? Value::MakeSet({}) : Value::MakeObject({});
    bool any = false;
    std::vector<const Rule*> candidates;
    for (const Rule* r : IndexedRules(node, candidates)) {
      size_t mark = binds_.size();
      Frame f = EnterRule(r);
      EvalBody(r->body, 0, [&] {
        Array keys;
        return EvalItems(r->keys, 0, keys, [&](const Array& ks) {
          if (r->kind == RuleKind::kPartialSet) {
            any = true;
            if (!ChargeMemory(ElementBytes(r->keys.back(), ks.back(), kSetElementBytes), r->loc, "rule", &path)) return false;
            doc = InsertNested(doc, ks, 0, std::nullopt, r);
            return !error;
          }
          return EvalTerm(r->value, [&](const Value& v) {
            any = true;
            if (!ChargeMemory(ElementBytes(r->value, v, kObjectEntryBytes), r->loc, "rule", &path)) return false;
            doc = InsertNested(doc, ks, 0, v, r);
            return !error;
          });
        });
      });
      LeaveRule(f, mark);
      if (error) return std::nullopt;
    }
    (void)any;
    // Rules with longer ref heads below this one (p["foo"] := ... beside p[k] := ...) add
    // their documents under their keys; a key both define differently is a conflict.
    if (doc.is_object() && !node->children.empty()) {
      // The rules' documents are built as trees of `levels` object levels (their keys) with
      // their values (or, for sets, member sets) as leaves; only the tree joins.
      const Rule* first = node->rules.empty() ? nullptr : node->rules[0];
      bool leaf_sets = first && first->kind == RuleKind::kPartialSet;
      size_t levels = first ? first->keys.size() - (leaf_sets ? 1 : 0) : 1;
      Object merged = doc.object();
      for (const auto& [name, child] : node->children) {
        std::vector<std::string> child_path = path;
        child_path.push_back(name);
        auto v = FullDocument(child_path);
        if (error) return std::nullopt;
        if (!v) continue;
        auto [it, inserted] = merged.emplace(Value::String(name), *v);
        if (inserted) continue;
        auto joined = JoinDocuments(it->second, *v, levels > 0 ? levels - 1 : 0, leaf_sets);
        if (!joined) {
          Fail("eval_conflict_error", "object keys must be unique", node->rules.empty() ? Location{} : node->rules[0]->loc);
          return std::nullopt;
        }
        it->second = *joined;
      }
      doc = Value::MakeObject(std::move(merged));
    }
    return doc;
  }

  // Two definitions of one document: `levels` more object levels join key by key; at the
  // leaves member sets join (`leaf_sets`) and other values must be equal; nullopt: a conflict.
  static std::optional<Value> JoinDocuments(const Value& a, const Value& b, size_t levels, bool leaf_sets) {
    if (levels > 0 && a.is_object() && b.is_object()) {
      Object joined = a.object();
      for (const auto& [k, v] : b.object()) {
        auto [it, inserted] = joined.emplace(k, v);
        if (inserted) continue;
        auto inner = JoinDocuments(it->second, v, levels - 1, leaf_sets);
        if (!inner) return std::nullopt;
        it->second = *inner;
      }
      return Value::MakeObject(std::move(joined));
    }
    if (levels == 0 && leaf_sets && a.is_set() && b.is_set()) {
      Set joined = a.set();
      joined.insert(b.set().begin(), b.set().end());
      return Value::MakeSet(std::move(joined));
    }
    if (a == b) return a;
    return std::nullopt;
  }

  // Inserts keys[i:] -> value (set member when value is nullopt) into doc.
  Value InsertNested(const Value& doc, const Array& keys, size_t i, const std::optional<Value>& value, const Rule* r) {
    if (!value && i + 1 == keys.size()) {
      if (doc.is_set()) {
        Set s = doc.set();
        s.insert(keys[i]);
        return Value::MakeSet(std::move(s));
      }
      Object o = doc.is_object() ? doc.object() : Object{};
      auto it = o.find(keys[i]);
      Set s = it != o.end() && it->second.is_set() ? it->second.set() : Set{};
      (void)s;
      return doc;
    }
    Object o = doc.is_object() ? doc.object() : Object{};
    auto it = o.find(keys[i]);
    if (i + 1 == keys.size()) {
      if (it != o.end() && it->second != *value) {
        Fail("eval_conflict_error", "object keys must be unique", r->loc);
        return doc;
      }
      o[keys[i]] = *value;
    } else if (!value && i + 2 == keys.size()) {
      Set s = it != o.end() && it->second.is_set() ? it->second.set() : Set{};
      s.insert(keys[i + 1]);
      o[keys[i]] = Value::MakeSet(std::move(s));
    } else {
      Value child = it != o.end() ? it->second : Value::MakeObject({});
      o[keys[i]] = InsertNested(child, keys, i + 1, value, r);
    }
    return Value::MakeObject(std::move(o));
  }

  // ---- calls
  static std::string StaticName(const TermPtr& t) { return StaticRefName(t); }

  // The data path of the user function a call names, if any.
  std::optional<std::vector<std::string>> ResolveFunctionPath(const TermPtr& fn) const {
    // Cheap rejection first: most calls are built-ins, named by neither data., an import
    // alias nor a rule of the current package.
    const std::string& head = fn->kind == TermKind::kVar ? fn->name
                              : (fn->kind == TermKind::kRef && fn->items[0]->kind == TermKind::kVar) ? fn->items[0]->name
                                                                                                        : fn->name;
    if (head != "data"sv && (!ctx_ || (!ctx_->aliases.count(head) && !ctx_->local_names.count(head)))) return std::nullopt;
    std::string name = StaticName(fn);
    if (name.empty()) return std::nullopt;
    std::vector<std::string> parts;
    size_t start = 0;
    for (;;) {
      size_t dot = name.find('.', start);
      parts.push_back(name.substr(start, dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    std::vector<std::string> path;
    if (parts[0] == "data"sv) {
      path.assign(parts.begin() + 1, parts.end());
    } else if (ctx_ && ctx_->aliases.count(parts[0])) {
      const auto& alias = ctx_->aliases.at(parts[0]);
      if (alias[0] != "data"sv) return std::nullopt;
      path.assign(alias.begin() + 1, alias.end());
      path.insert(path.end(), parts.begin() + 1, parts.end());
    } else if (ctx_) {
      path = ctx_->package;
      path.insert(path.end(), parts.begin(), parts.end());
    } else {
      return std::nullopt;
    }
    Node* n = impl_.Find(path, path.size());
    if (!n || n->rules.empty() || n->rules[0]->kind != RuleKind::kFunction) {
      if (!(n && n->default_rule && n->default_rule->kind == RuleKind::kFunction)) return std::nullopt;
    }
    return path;
  }

  // The first value of `t` as template strings and print show it: strings verbatim, other
  // values in Rego syntax, undefined as <undefined>. False on an evaluation error.
  bool AppendDisplay(const TermPtr& t, std::string& out) {
    size_t mark = binds_.size();
    auto v = EvalOne(t);
    binds_.resize(mark);
    if (error) return false;
    if (!v) out += "<undefined>";
    else if (v->is_string()) out += v->str();
    else out += v->ToRegoDisplay();
    return true;
  }

  // $"...{expr}...". A part is text (false), a term (true), or an expression with
  // modifiers ("with"): an array comprehension of its values, of which the first is shown.
  bool EvalTemplate(const TermPtr& t, const VK& k) {
    std::string out;
    for (size_t i = 1; i < t->items.size(); ++i) {
      const Value& part = t->value.array()[i - 1];
      if (part.is_bool() && !part.as_bool()) {
        out += t->items[i]->value.str();
      } else if (part.is_bool()) {
        if (!AppendDisplay(t->items[i], out)) return false;
      } else {
        size_t mark = binds_.size();
        auto values = EvalOne(t->items[i]);
        binds_.resize(mark);
        if (error) return false;
        if (!values || !values->is_array() || values->array().empty()) out += "<undefined>";
        else if (const Value& v = values->array().front(); v.is_string()) out += v.str();
        else out += v.ToRegoDisplay();
      }
    }
    return k(Value::String(out));
  }

  // print(...): its arguments on one line of standard error (undefined ones as <undefined>,
  // as OPA prints them); always true. trace(note) is true (oep has no explanation output).
  bool EvalPrint(const TermPtr& t, const VK& k) {
    std::string line;
    for (size_t i = 1; i < t->items.size(); ++i) {
      if (i > 1) line += ' ';
      if (!AppendDisplay(t->items[i], line)) return false;
    }
    std::fprintf(stderr, "%s\n", line.c_str());
    return k(Value::Bool(true));
  }

  // Static name of a call whose parser did not record one (calls built by `with`).
  const std::string& StaticNameCached(const TermPtr& t) {
    scratch_name_ = StaticName(t->items[0]);
    return scratch_name_;
  }

  bool EvalCall(const TermPtr& t, const VK& k) {
    if (t->builtin && fn_overrides_.empty() && fn_value_overrides_.empty()) {
      return CallBuiltin(t, *t->builtin, k);  // resolved at compile time
    }
    const bool mock_body = std::exchange(calling_mock_, false);  // this call replaces a mocked one
    if (!t->items[0] && t->name == "internal.template_string"sv) return EvalTemplate(t, k);
    if (t->name == "print"sv && !(t->items[0] && ResolveFunctionPath(t->items[0]))) return EvalPrint(t, k);
    // The parser records a call's static name in t->name.
    const std::string& name = t->name.empty() && t->items[0] ? StaticNameCached(t) : t->name;
    if (!t->items[0] && (name == "eq"sv || name == "assign"sv)) {
      return Fail("rego_compile_error", "unexpected assignment", t->loc);
    }
    size_t nargs = t->items.size() - 1;
    // with-replaced functions first.
    std::optional<std::vector<std::string>> user = t->items[0] ? ResolveFunctionPath(t->items[0]) : std::nullopt;
    std::string key = user ? "data." + JoinPath(*user) : name;
    if (auto it = fn_value_overrides_.find(key); it != fn_value_overrides_.end()) {
      Value v = it->second;
      return EvalArgs(t, 0, {}, [&](const Array&) { return k(v); });
    }
    if (auto it = fn_overrides_.find(key); it != fn_overrides_.end()) {
      auto replacement = std::make_shared<Term>(*t);
      replacement->builtin = nullptr;  // the replacement is resolved by name
      replacement->items[0] = it->second;
      replacement->name = StaticName(it->second);
      auto saved = fn_overrides_;
      fn_overrides_.erase(key);
      calling_mock_ = true;  // the replacement's body runs unmocked (see CallUnmocked)
      bool r = EvalCall(replacement, k);
      fn_overrides_ = saved;
      return r;
    }
    if (user) {
      Node* node = impl_.Find(*user, user->size());
      size_t arity = !node->rules.empty() ? node->rules[0]->args.size() : node->default_rule->args.size();
      if (nargs != arity && nargs != arity + 1) {
        return Fail("rego_type_error", name + ": arity mismatch", t->loc);
      }
      return EvalArgs(t, 0, {}, [&](const Array& args) {
        Array in(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(arity));
        auto out = mock_body ? CallUnmocked(node, *user, in, t->loc) : CallUser(node, *user, in, t->loc);
        if (error) return false;
        if (!out) return true;
        if (nargs == arity + 1) return UnifyValue(t->items.back(), *out, [&] { return k(Value::Bool(true)); });
        return k(*out);
      }, nargs == arity + 1 ? nargs - 1 : nargs);
    }
    if (auto nd = kEvaluatorBuiltinArity.find(name);
        opts_.replay && name != "time.now_ns"sv && nd != kEvaluatorBuiltinArity.end()) {
      size_t arity = static_cast<size_t>(nd->second);
      return EvalArgs(t, 0, {}, [&](const Array& args) {
        std::optional<Value> cached;
        if (opts_.nd_builtin_cache) {
          if (auto per_fn = opts_.nd_builtin_cache->Get(Value::String(name))) {
            cached = per_fn->Get(Value::String(Value::MakeArray(args).ToJson()));
          }
        }
        if (!cached) {
          if (opts_.evaluative_reasons) {
            opts_.evaluative_reasons->push_back(name + Value::MakeArray(args).ToJson() +
                                                " has no recorded answer in nd_builtin_cache");
          }
          return true;  // never consult the live world during replay
        }
        if (opts_.nd_cache_hits) ++*opts_.nd_cache_hits;
        bool has_output = nargs == arity + 1;
        return has_output ? UnifyValue(t->items.back(), *cached, [&] { return k(Value::Bool(true)); }) : k(*cached);
      }, arity);
    }
    if ((name == "rego.metadata.rule"sv || name == "rego.metadata.chain"sv) && nargs <= 1) {
      Value meta = !rule_ || !ctx_                   ? (name == "rego.metadata.rule"sv ? Value::MakeObject({}) : Value::MakeArray({}))
                   : name == "rego.metadata.rule"sv ? impl_.annotations.RuleMetadata(rule_)
                                                  : impl_.annotations.Chain(rule_, ctx_->package);
      return nargs == 1 ? UnifyValue(t->items[1], meta, [&] { return k(Value::Bool(true)); }) : k(meta);
    }
    if (name == "rego.parse_module"sv && (nargs == 2 || nargs == 3)) {
      return EvalArgs(t, 0, {}, [&](const Array& args) {
        if (!args[0].is_string() || !args[1].is_string()) {
          return opts_.strict_builtin_errors ? Fail("eval_type_error", "rego.parse_module: operands must be strings", t->loc) : true;
        }
        auto parsed = ParseModule(args[1].str(), args[0].str(), RegoVersion::kV1);
        if (auto* err = std::get_if<RegoError>(&parsed)) {
          return opts_.strict_builtin_errors ? Fail("eval_builtin_error", "rego.parse_module: " + err->Text(), t->loc) : true;
        }
        Value ast = ModuleAst(std::get<Module>(parsed));
        return nargs == 3 ? UnifyValue(t->items[3], ast, [&] { return k(Value::Bool(true)); }) : k(ast);
      }, 2);
    }
    if (name == "time.now_ns"sv && nargs <= 1) {
      if (!opts_.now_ns) {
        opts_.now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count();
      }
      Value now = Value::Int(*opts_.now_ns);
      return nargs == 1 ? UnifyValue(t->items[1], now, [&] { return k(Value::Bool(true)); }) : k(now);
    }
    auto bi = Builtins().find(name);
    if (bi == Builtins().end() || (bi->second.v0_only && !impl_.v0_compatible)) {
      return Fail("rego_type_error", "undefined function " + name, t->loc);
    }
    return CallBuiltin(t, bi->second, k);
  }

  // The built-in call `t` (arity checked, arguments evaluated; output unified when given).
  bool CallBuiltin(const TermPtr& t, const Builtin& builtin, const VK& k) {
    size_t nargs = t->items.size() - 1;
    auto name = [&] { return CallName(*t); };
    int arity = builtin.arity;
    bool has_output = arity >= 0 && nargs == static_cast<size_t>(arity) + 1;
    if (arity >= 0 && !has_output && nargs != static_cast<size_t>(arity)) {
      return Fail("rego_type_error", name() + ": arity mismatch: expected " + std::to_string(arity) + " arguments", t->loc);
    }
    return EvalArgs(t, 0, {}, [&](const Array& args) {
      int64_t charged_from = budget_.used();
      BuiltinOut out = [&] {
        BuiltinBudgetScope scope(&budget_);
        return builtin.fn(args);
      }();
      if (out.kind == BuiltinOut::Kind::kError) {
        // Non-strict (OPA's default): a failing built-in makes the call undefined.
        if (opts_.strict_builtin_errors || out.fatal) {
          return Fail(out.code, name() + ": " + out.message, t->loc);
        }
        return true;  // non-strict: the call is undefined
      }
      if (out.kind == BuiltinOut::Kind::kUndefined) return true;
      // A fresh result the built-in reserved nothing for counts by its own size; what was
      // charged goes back when nothing kept the result.
      int64_t charged = budget_.used() - charged_from;
      if (charged == 0 && out.value.kind() >= Kind::kString && !out.value.payload_shared()) {
        uint64_t bytes = ShallowBytes(out.value);
        if (!budget_.Charge(bytes)) return Fail("eval_builtin_error", name() + ": " + budget_.ExceededMessage(bytes), t->loc);
        charged = static_cast<int64_t>(bytes);
      }
      auto emit = [&](const Value& v) {
        if (has_output) return UnifyValue(t->items.back(), v, [&] { return k(Value::Bool(true)); });
        return k(v);
      };
      if (out.kind == BuiltinOut::Kind::kMany) {
        for (const auto& v : out.value.array()) if (!emit(v)) return false;
        return true;
      }
      bool more = emit(out.value);
      if (charged != 0 && !out.value.payload_shared()) budget_.Release(charged);
      return more;
    }, has_output ? nargs - 1 : nargs);
  }

  bool EvalArgs(const TermPtr& t, size_t i, Array acc, FunctionRef<bool(const Array&)> k, size_t n = SIZE_MAX) {
    if (n == SIZE_MAX) n = t->items.size() - 1;
    acc.reserve(n);
    return EvalArgsInto(t, i, acc, k, n);
  }

  bool EvalArgsInto(const TermPtr& t, size_t i, Array& acc, FunctionRef<bool(const Array&)> k, size_t n) {
    if (i == n) return k(acc);
    return EvalTerm(t->items[i + 1], [&](const Value& v) {
      acc.push_back(v);
      bool r = EvalArgsInto(t, i + 1, acc, k, n);
      acc.pop_back();
      return r;
    });
  }

  std::optional<Value> CallUser(Node* node, const std::vector<std::string>& path, const Array& args, Location loc) {
    std::string memo_key = "\x01" + JoinPath(path);
    // The key spells out the arguments: a collection's text is reserved first (a value
    // sharing its parts can be small in memory and enormous as text); a new key stays in
    // the memo, a found one gives its reservation back.
    uint64_t key_bytes = 0;
    for (const auto& a : args) {
      if (a.kind() >= Kind::kArray) {
        uint64_t bytes = EncodedBytes(a, static_cast<uint64_t>(budget_.limit() - budget_.used()));
        if (!ChargeMemory(bytes, loc, "function", &path)) return std::nullopt;
        key_bytes += bytes;
      }
      memo_key += "\x1f" + a.ToJson();
    }
    auto& memo = memo_.back();
    if (auto hit = memo.find(memo_key); hit != memo.end()) {
      budget_.Release(static_cast<int64_t>(key_bytes));
      return hit->second;
    }
    if (!Deeper(path)) return std::nullopt;
    std::optional<Value> result =
        EvalSingleValued(node, &args, "functions must not produce multiple outputs for same inputs");
    if (error) {
      --depth_;
      return std::nullopt;
    }
    --depth_;
    memo_.back()[memo_key] = result;
    return result;
  }

  // A function standing in for a mocked one runs without any function mocks, as in OPA (a
  // mock does not call other mocks); its arguments and what follows the call see them.
  std::optional<Value> CallUnmocked(Node* node, const std::vector<std::string>& path, const Array& args, Location loc) {
    auto saved = std::move(fn_overrides_);
    auto saved_values = std::move(fn_value_overrides_);
    fn_overrides_.clear();
    fn_value_overrides_.clear();
    memo_.emplace_back();  // calls memoized under the mocks do not answer here
    auto out = CallUser(node, path, args, loc);
    memo_.pop_back();
    fn_overrides_ = std::move(saved);
    fn_value_overrides_ = std::move(saved_values);
    return out;
  }

  bool UnifyArgs(const std::vector<TermPtr>& params, const Array& args, size_t i, const K& k) {
    if (i == params.size()) return k();
    if (IsDeferredParam(params[i])) return UnifyArgs(params, args, i + 1, k);
    return UnifyValue(params[i], args[i], [&] { return UnifyArgs(params, args, i + 1, k); });
  }

  // A template string among a function's parameters reads variables its body binds: as
  // OPA's compiler moves it into the body, it is compared with its argument after the body.
  static bool IsDeferredParam(const TermPtr& p) { return p->kind == TermKind::kCall && p->name == "internal.template_string"sv; }

  bool CheckDeferredArgs(const std::vector<TermPtr>& params, const Array* args, size_t i, const K& k) {
    if (!args || i == params.size()) return k();
    if (!IsDeferredParam(params[i])) return CheckDeferredArgs(params, args, i + 1, k);
    return EvalTerm(params[i], [&](const Value& v) { return v == (*args)[i] ? CheckDeferredArgs(params, args, i + 1, k) : true; });
  }

  const Engine::Impl& impl_;
  std::optional<Value> input_;
  EvalOptions opts_;
  MemoryBudget budget_{opts_.max_memory_bytes};
  // A deque: references to bound values stay valid while deeper bindings are pushed.
  std::deque<std::pair<std::string, std::optional<Value>>> binds_;
  size_t frame_ = 0;
  const ModuleCtx* ctx_ = nullptr;
  const Rule* rule_ = nullptr;  // the rule being evaluated (rego.metadata.*)
  std::vector<std::map<std::string, std::optional<Value>>> memo_;        // function calls
  std::vector<std::map<const Node*, std::optional<Value>>> rule_memo_;  // rule documents
  std::vector<const Node*> in_progress_;  // the rule documents being computed, innermost last
  std::vector<std::pair<std::vector<std::string>, Value>> data_overrides_;
  std::map<std::string, TermPtr> fn_overrides_;
  std::map<std::string, Value> fn_value_overrides_;
  std::string scratch_name_;
  // RunQuery: the query expression (with `with`) whose value goes to `slot`; `keep_false`
  // when a false value is the expression's value rather than a failure.
  struct Capture {
    const Expr* expr = nullptr;
    Value* slot = nullptr;
    bool keep_false = false;
  };
  Capture capture_;
  int64_t steps_ = 0;
  int64_t next_check_ = 0;  // Step() calls CheckLimits() past this count
  bool root_shadowed_ = false;  // some local was declared with the name input or data
  bool calling_mock_ = false;   // the next EvalCall stands in for a mocked function
  int depth_ = 0;
};


// OPA's test for a query that iterates: a reference with a variable after its head, or a
// call of a relation (walk), outside comprehensions.
bool TermIterates(const TermPtr& t) {
  if (!t) return false;
  switch (t->kind) {
    case TermKind::kRef:
      for (size_t i = 1; i < t->items.size(); ++i) {
        if (t->items[i]->kind == TermKind::kVar) return true;
      }
      break;
    case TermKind::kCall:
      if (CallName(*t) == "walk"sv) return true;
      break;
    case TermKind::kArrayCompr:
    case TermKind::kSetCompr:
    case TermKind::kObjectCompr:
      return false;
    default: break;
  }
  for (const auto& i : t->items) {
    if (TermIterates(i)) return true;
  }
  return false;
}

bool ExprIterates(const Expr& e) {
  if (e.negated && ExprIterates(*e.negated)) return true;
  for (const auto* t : {&e.term, &e.key, &e.value, &e.collection}) {
    if (TermIterates(*t)) return true;
  }
  for (const auto& w : e.withs) {
    if (TermIterates(w.value)) return true;
  }
  return false;
}

bool QueryIterates(const Body& body) {
  for (const auto& e : body) {
    if (ExprIterates(e)) return true;
  }
  return false;
}

void CollectVars(const TermPtr& t, std::vector<std::string>& out);

void CollectExprVars(const Expr& e, std::vector<std::string>& out) {
  if (e.term) CollectVars(e.term, out);
  if (e.negated) CollectExprVars(*e.negated, out);
  for (const auto& v : e.vars) out.push_back(v);
  if (e.key) CollectVars(e.key, out);
  if (e.value && e.kind == ExprKind::kSomeIn) CollectVars(e.value, out);
}

void CollectVars(const TermPtr& t, std::vector<std::string>& out) {
  if (!t) return;
  switch (t->kind) {
    case TermKind::kVar:
      if (t->name != "_"sv && std::find(out.begin(), out.end(), t->name) == out.end()) out.push_back(t->name);
      break;
    case TermKind::kRef:
    case TermKind::kArray:
    case TermKind::kSet:
    case TermKind::kObject:
    case TermKind::kCall:
      for (const auto& i : t->items) CollectVars(i, out);
      break;
    default: break;
  }
}

// Compile-time work on the terms of `rule`, so evaluations do not repeat it: each call term
// records the deterministic built-in it names when no rule in the module's scope shadows
// the name (`ev` carries the module context), and each composite of constants holds its value.
// Calls to names that are neither built-ins nor functions, and built-in calls with the wrong
// number of arguments, are compile errors (rego_type_error), as in OPA.
std::optional<RegoError> PrepareRuleTerms(Evaluator& ev, const Rule& rule, const std::string& file) {
  static const std::set<std::string> kEvaluatorHandled = {"eq", "assign", "internal.template_string"};
  std::optional<RegoError> error;
  auto resolve = [&](const TermPtr& t) {
    if (t->kind != TermKind::kCall || error) return;
    std::string name = CallName(*t);
    if (name.empty() || kEvaluatorHandled.count(name) || kEvaluatorBuiltinArity.count(name)) return;
    if (t->items[0] && ev.NamesUserFunction(t->items[0])) return;
    auto bi = Builtins().find(name);
    if (bi == Builtins().end() || !ev.OffersBuiltin(bi->second)) {
      error = RegoError{"rego_type_error", "undefined function " + name, file, t->loc};
      return;
    }
    size_t nargs = t->items.size() - 1;
    int arity = bi->second.arity;
    if (arity >= 0 && nargs != static_cast<size_t>(arity) && nargs != static_cast<size_t>(arity) + 1) {
      error = RegoError{"rego_type_error", name + ": arity mismatch: expected " + std::to_string(arity) + " arguments",
                        file, t->loc};
      return;
    }
    const_cast<Term&>(*t).builtin = &bi->second;  // compile time, single-threaded
  };
  auto resolve_and_fold = [&](const TermPtr& t) {
    resolve(t);
    if (t->kind != TermKind::kScalar && !t->ground && IsGround(t)) {
      auto v = ev.EvalOne(t);
      if (v) {
        Term& mutable_term = const_cast<Term&>(*t);  // compile time, single-threaded
        mutable_term.value = *v;
        mutable_term.ground = true;
      }
    }
  };
  for (const Rule* r = &rule; r; r = r->else_rule.get()) {
    ForEachTerm(r->body, resolve_and_fold);
    ForEachTerm(r->value, resolve_and_fold);
    for (const auto& key : r->keys) ForEachTerm(key, resolve_and_fold);
  }
  return error;
}

void FoldConstantRules(const Engine::Impl& impl, Node& node) {
  if (node.rules.size() == 1 && !node.default_rule) {
    const Rule* r = node.rules[0];
    if (r->kind == RuleKind::kComplete && r->body.empty() && !r->else_rule && r->value && IsGround(r->value)) {
      Evaluator ev(impl, std::nullopt, EvalOptions{});
      node.constant = ev.EvalOne(r->value);
    }
  }
  for (auto& [name, child] : node.children) FoldConstantRules(impl, *child);
}

}  // namespace

// ---- compile-time type check (rego/typecheck.h): each rule's scope, and the types of the
// documents rules define, inferred on demand (recursion is already refused).

class TypeChecking {
 public:
  explicit TypeChecking(const Engine::Impl& impl) : impl_(impl) {}

  std::optional<RegoError> Check(const Rule& rule) { return Checked(rule).error; }

 private:
  TypeCheckScope ScopeFor(const Rule& rule) {
    const ModuleCtx* ctx = impl_.rule_ctx.at(&rule);
    auto& resolver = resolvers_[ctx];
    if (!resolver) {
      resolver = std::make_unique<Evaluator>(impl_, no_input_, options_);
      resolver->SetContext(ctx);
    }
    TypeCheckScope scope;
    scope.file = ctx->file;
    scope.is_global = [ctx, &rule](const std::string& name) { return IsGlobalName(*ctx, name) && !rule.locals.count(name); };
    scope.builtin_name = [r = resolver.get()](const Term& call) -> std::string {
      std::string name = CallName(call);
      if (call.builtin) return name;
      bool user_function = call.items[0] && r->FunctionPath(call.items[0]).has_value();
      return kEvaluatorBuiltinArity.count(name) && !user_function ? name : "";
    };
    scope.document_type = [this, ctx, &rule](const TermPtr& ref, size_t* consumed) {
      return RefDocument(*ctx, rule, ref, consumed);
    };
    return scope;
  }

  // The type of the rule document the leading items of `ref` name, and how many items
  // (head included) name it; nullptr when they name none (input, base data, a package).
  types::TypePtr RefDocument(const ModuleCtx& ctx, const Rule& rule, const TermPtr& ref, size_t* consumed) {
    bool complete = true;
    auto path = StaticDataPath(ref, ctx, rule, &complete);
    if (!path) return nullptr;
    size_t ref_keys = 0;  // the static keys StaticDataPath took from the ref
    if (ref->kind == TermKind::kRef) {
      while (ref_keys + 1 < ref->items.size() && ref->items[ref_keys + 1]->kind == TermKind::kScalar &&
             (ref->items[ref_keys + 1]->value.is_string() || ref->items[ref_keys + 1]->value.is_int())) {
        ++ref_keys;
      }
    }
    const Node* node = &impl_.root;
    for (size_t depth = 0; depth < path->size(); ++depth) {
      auto it = node->children.find((*path)[depth]);
      if (it == node->children.end()) return nullptr;
      node = it->second.get();
      if (node->rules.empty() && !node->default_rule) continue;
      size_t head_segments = path->size() - ref_keys;  // what the ref's head itself names
      if (depth + 1 < head_segments) return nullptr;
      *consumed = 1 + (depth + 1 - head_segments);
      return DocumentType(*node);
    }
    return nullptr;
  }

  types::TypePtr DocumentType(const Node& node) {
    if (auto it = types_.find(&node); it != types_.end()) return it->second;
    if (!StackHasRoom()) return types::Any();  // a dependency chain too deep to type: any
    types_[&node] = types::Any();  // a guard; recursion between rules is refused before this runs
    types::TypePtr doc;
    std::vector<const Rule*> rules = node.rules;
    if (node.default_rule) rules.push_back(node.default_rule);
    for (const Rule* r : rules) {
      if (r->kind == RuleKind::kFunction || Checked(*r).error || !Checked(*r).head) {
        doc = types::Any();  // a rule with a type error counts as any, as in OPA
        break;
      }
      doc = types::Or(doc, Checked(*r).head);
    }
    return types_[&node] = doc ? doc : types::Any();
  }

  // Each rule is checked once, whether for its own errors or for a document's type.
  struct RuleCheck {
    std::optional<RegoError> error;
    types::TypePtr head;
  };
  const RuleCheck& Checked(const Rule& rule) {
    if (auto it = checked_.find(&rule); it != checked_.end()) return it->second;
    RuleCheck c;
    c.error = CheckRuleTypes(rule, ScopeFor(rule), &c.head);
    return checked_.emplace(&rule, std::move(c)).first->second;
  }

  const Engine::Impl& impl_;
  const std::optional<Value> no_input_;
  const EvalOptions options_;
  std::map<const ModuleCtx*, std::unique_ptr<Evaluator>> resolvers_;
  std::map<const Node*, types::TypePtr> types_;
  std::map<const Rule*, RuleCheck> checked_;
};

namespace {

RegoError OutOfMemory(const char* code, const char* what) {
  return RegoError{code, std::string(what) + " ran out of memory (an allocation failed within the memory budget)", "", {}};
}

}  // namespace

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

// Compile and Query are function-try-blocks: an allocation that fails despite the memory
// budget (std::bad_alloc, or std::length_error past a container's maximum size) becomes an
// error instead of ending the process.
std::variant<std::unique_ptr<Engine>, RegoError> Engine::Compile(std::vector<Module> modules, Value data, bool v0_compatible) try {
  auto impl = std::make_unique<Impl>();
  impl->v0_compatible = v0_compatible;
  impl->modules = std::move(modules);
  impl->data = std::move(data);
  for (const auto& m : impl->modules) {
    auto ctx = std::make_unique<ModuleCtx>();
    ctx->package = m.package;
    ctx->file = m.file;
    for (const auto& imp : m.imports) {
      if (imp.path[0] == "future"sv || imp.path[0] == "rego"sv) continue;
      std::string alias = imp.alias.empty() ? imp.path.back() : imp.alias;
      ctx->aliases[alias] = imp.path;
    }
    // A package is a document even when its modules define nothing (an empty object).
    Node* package_node = &impl->root;
    for (const auto& p : m.package) {
      auto& child = package_node->children[p];
      if (!child) child = std::make_unique<Node>();
      package_node = child.get();
    }
    for (const auto& r : m.rules) {
      Node* node = &impl->root;
      for (const auto& p : r->path) {
        auto& child = node->children[p];
        if (!child) child = std::make_unique<Node>();
        node = child.get();
      }
      if (r->is_default) {
        if (node->default_rule) {
          return RegoError{"rego_type_error", "multiple default rules data." + JoinPath(r->path) + " found", m.file, r->loc};
        }
        node->default_rule = r.get();
      } else {
        node->rules.push_back(r.get());
      }
      auto locals = RuleLocalNames(*r);
      for (Rule* alt = r.get(); alt; alt = alt->else_rule.get()) {
        impl->rule_ctx[alt] = ctx.get();
        alt->locals = locals;
        alt->module_index = impl->contexts.size();  // ctx is pushed there below
      }
    }
    impl->contexts.push_back(std::move(ctx));
  }
  for (const auto& m : impl->modules) impl->annotations.Add(m);
  // A package may span modules: every module sees all of its package's rule names.
  for (auto& ctx : impl->contexts) {
    if (Node* pkg = impl->Find(ctx->package, ctx->package.size())) {
      for (const auto& [name, child] : pkg->children) ctx->local_names.insert(name);
    }
  }
  for (const auto& m : impl->modules) {
    for (const auto& r : m.rules) {
      Evaluator ev(*impl, std::nullopt, EvalOptions{});
      ev.SetContext(impl->rule_ctx.at(r.get()));
      if (auto err = PrepareRuleTerms(ev, *r, m.file)) return *err;
    }
  }
  for (const auto& m : impl->modules) {
    for (const auto& r : m.rules) {
      const ModuleCtx* ctx = impl->rule_ctx.at(r.get());
      Evaluator resolver(*impl, std::nullopt, EvalOptions{});
      resolver.SetContext(ctx);
      SafetyScope scope;
      scope.file = m.file;
      scope.is_global = [ctx, rule = r.get()](const std::string& name) {
        return IsGlobalName(*ctx, name) && !rule->locals.count(name);
      };
      scope.arity = [&](const Term& call) -> std::optional<int> {
        if (call.items[0]) {
          if (auto path = resolver.FunctionPath(call.items[0])) {
            const Node* node = impl->Find(*path, path->size());
            if (node && !node->rules.empty()) return static_cast<int>(node->rules[0]->args.size());
            if (node && node->default_rule) return static_cast<int>(node->default_rule->args.size());
            return std::nullopt;
          }
        }
        std::string name = CallName(call);
        if (auto nd = kEvaluatorBuiltinArity.find(name); nd != kEvaluatorBuiltinArity.end()) return nd->second;
        auto bi = Builtins().find(name);
        if (bi == Builtins().end()) return std::nullopt;
        return bi->second.arity;
      };
      scope.names_function = [&](const TermPtr& t) {
        if (t->kind != TermKind::kVar && t->kind != TermKind::kRef) return false;
        std::string name = StaticRefName(t);
        return Builtins().count(name) > 0 || kEvaluatorBuiltinArity.count(name) > 0 || resolver.FunctionPath(t).has_value();
      };
      if (auto err = CheckRuleSafety(*r, scope)) return *err;
    }
  }
  if (auto err = CheckRecursion(*impl)) return *err;
  TypeChecking type_checking(*impl);
  for (const auto& m : impl->modules) {
    for (const auto& r : m.rules) {
      if (auto err = type_checking.Check(*r)) return *err;
    }
  }
  FoldConstantRules(*impl, impl->root);
  IndexRules(impl->root);
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
} catch (const std::bad_alloc&) {
  return OutOfMemory("rego_compile_error", "compilation");
} catch (const std::length_error&) {
  return OutOfMemory("rego_compile_error", "compilation");
}

std::optional<RegoError> Engine::CheckQueryTypes(const Body& query) const {
  TypeCheckScope types;
  types.file = "";  // queries have no file, as in their parse errors
  types.is_global = [](const std::string& name) { return name == "input"sv || name == "data"sv; };
  types.builtin_name = [this](const Term& call) -> std::string {
    std::string name = CallName(call);
    auto bi = Builtins().find(name);
    if (bi != Builtins().end() && bi->second.v0_only && !impl_->v0_compatible) return "";
    return bi != Builtins().end() || kEvaluatorBuiltinArity.count(name) ? name : "";
  };
  return CheckBodyTypes(query, types);
}

std::variant<std::vector<QueryResult>, RegoError> Engine::Query(const Body& query, const std::optional<Value>& input,
                                                                const EvalOptions& options) const try {
  Evaluator ev(*impl_, input, options);
  std::vector<std::string> vars;
  for (const auto& e : query) CollectExprVars(e, vars);
  std::vector<QueryResult> results;
  ev.RunQuery(query, [&](const std::vector<Value>& values) {
    QueryResult r;
    for (const auto& v : vars) {
      auto* slot = ev.LookupVar(v);
      if (slot && *slot) r.bindings[v] = **slot;
    }
    r.expressions = values;
    results.push_back(std::move(r));
    return true;
  });
  if (ev.error) return *ev.error;
  return results;
} catch (const std::bad_alloc&) {
  return OutOfMemory("eval_cancel_error", "evaluation");
} catch (const std::length_error&) {
  return OutOfMemory("eval_cancel_error", "evaluation");
}

namespace {

void CollectCalls(const TermPtr& t, std::set<std::string>& out);

void CollectCalls(const Body& body, std::set<std::string>& out) {
  for (const auto& e : body) {
    for (const auto* t : {&e.term, &e.key, &e.value, &e.collection}) CollectCalls(*t, out);
    if (e.negated) CollectCalls(Body{*e.negated}, out);
    if (e.body) CollectCalls(*e.body, out);
    for (const auto& w : e.withs) {
      CollectCalls(w.value, out);
      if (w.value && (w.value->kind == TermKind::kVar || w.value->kind == TermKind::kRef)) out.insert(StaticRefName(w.value));
    }
  }
}

void CollectCalls(const TermPtr& t, std::set<std::string>& out) {
  if (!t) return;
  if (t->kind == TermKind::kCall) out.insert(CallName(*t));
  for (const auto& i : t->items) CollectCalls(i, out);
  CollectCalls(t->head, out);
  CollectCalls(t->key, out);
  if (t->body) CollectCalls(*t->body, out);
}

}  // namespace

const std::vector<Module>& Engine::Modules() const { return impl_->modules; }

std::vector<std::string> Engine::CalledFunctions() const {
  std::set<std::string> names;
  for (const auto& m : impl_->modules) {
    for (const auto& r : m.rules) {
      for (const Rule* rule = r.get(); rule != nullptr; rule = rule->else_rule.get()) {
        CollectCalls(rule->body, names);
        CollectCalls(rule->value, names);
        for (const auto& k : rule->keys) CollectCalls(k, names);
      }
    }
  }
  return {names.begin(), names.end()};
}

Value Engine::InspectAnnotations() const { return impl_->annotations.Inspect(); }

std::map<std::string, std::vector<std::string>> Engine::Namespaces() const {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& m : impl_->modules) {
    auto& files = out["data." + JoinPath(m.package)];
    if (std::find(files.begin(), files.end(), m.file) == files.end()) files.push_back(m.file);
  }
  return out;
}

}  // namespace oep::rego
