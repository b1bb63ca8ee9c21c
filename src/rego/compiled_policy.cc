#include "rego/compiled_policy.h"

#include <algorithm>

namespace oep::rego {

std::string JoinPath(const std::vector<std::string>& p) {
  std::string out;
  for (const auto& s : p) out += (out.empty() ? "" : ".") + s;
  return out;
}

bool IsGround(const TermPtr& t) {
  switch (t->kind) {
    case TermKind::kScalar: return true;
    case TermKind::kArray:
    case TermKind::kSet:
    case TermKind::kObject:
      return std::all_of(t->items.begin(), t->items.end(), IsGround);
    default: return false;
  }
}

void ForEachTerm(const Body& body, const std::function<void(const TermPtr&)>& fn);

void ForEachTerm(const TermPtr& t, const std::function<void(const TermPtr&)>& fn) {
  if (!t) return;
  fn(t);
  for (const auto& i : t->items) ForEachTerm(i, fn);
  ForEachTerm(t->head, fn);
  ForEachTerm(t->key, fn);
  if (t->body) ForEachTerm(*t->body, fn);
}

void ForEachTerm(const Body& body, const std::function<void(const TermPtr&)>& fn) {
  for (const Expr& e : body) {
    ForEachTerm(e.term, fn);
    if (e.negated) ForEachTerm(Body{*e.negated}, fn);
    for (const TermPtr* t : {&e.key, &e.value, &e.collection}) ForEachTerm(*t, fn);
    if (e.body) ForEachTerm(*e.body, fn);
    for (const auto& w : e.withs) {
      ForEachTerm(w.target, fn);
      ForEachTerm(w.value, fn);
    }
  }
}

std::optional<std::vector<std::string>> StaticDataPath(const TermPtr& t, const ModuleCtx& ctx, const Rule& rule,
                                                      bool* complete) {
  *complete = true;
  const TermPtr& head = t->kind == TermKind::kRef ? t->items[0] : t;
  if (head->kind != TermKind::kVar || rule.locals.count(head->name)) return std::nullopt;
  std::vector<std::string> path;
  if (head->name == "data") {
  } else if (auto alias = ctx.aliases.find(head->name); alias != ctx.aliases.end()) {
    if (alias->second.empty() || alias->second[0] != "data") return std::nullopt;
    path.assign(alias->second.begin() + 1, alias->second.end());
  } else if (ctx.local_names.count(head->name)) {
    path = ctx.package;
    path.push_back(head->name);
  } else {
    return std::nullopt;
  }
  if (t->kind == TermKind::kRef) {
    for (size_t i = 1; i < t->items.size(); ++i) {
      const TermPtr& key = t->items[i];
      if (key->kind == TermKind::kScalar && key->value.is_string()) {
        path.push_back(key->value.str());
      } else if (key->kind == TermKind::kScalar && key->value.is_int()) {
        path.push_back(std::to_string(key->value.as_int()));  // as data refs read it
      } else {
        *complete = false;
        break;
      }
    }
  }
  return path;
}

bool IsGlobalName(const ModuleCtx& ctx, const std::string& name) {
  return name == "input" || name == "data" || ctx.aliases.count(name) || ctx.local_names.count(name);
}

}  // namespace oep::rego
