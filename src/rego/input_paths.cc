#include "rego/input_paths.h"

namespace oep::rego {
namespace {

class Collector {
 public:
  void Body(const rego::Body& body) {
    for (const auto& e : body) Expr(e);
  }

  void Expr(const rego::Expr& e) {
    for (const auto* t : {&e.term, &e.key, &e.value, &e.collection}) Term(*t);
    if (e.negated) Expr(*e.negated);
    if (e.body) Body(*e.body);
    for (const auto& w : e.withs) {
      const TermPtr& target = w.target;
      const TermPtr& head = target && target->kind == TermKind::kRef ? target->items[0] : target;
      if (head && head->kind == TermKind::kVar && head->name == "input") all_ = true;  // input replaced
      if (target && target->kind == TermKind::kRef) {
        for (size_t i = 1; i < target->items.size(); ++i) Term(target->items[i]);
      }
      Term(w.value);
    }
  }

  void Term(const TermPtr& t) {
    if (!t || all_) return;
    if (t->kind == TermKind::kVar) {
      if (t->name == "input") all_ = true;  // input itself, as a value
      return;
    }
    size_t first = 0;
    if (t->kind == TermKind::kRef && t->items[0] && t->items[0]->kind == TermKind::kVar && t->items[0]->name == "input") {
      InputPaths* node = &root_;
      size_t i = 1;
      for (; i < t->items.size() && !node->whole; ++i) {
        const TermPtr& key = t->items[i];
        if (key->kind != TermKind::kScalar || !key->value.is_string()) break;
        node = &node->members[key->value.str()];
      }
      node->whole = true;
      node->members.clear();
      first = 1;  // the keys may read input too: input.a[input.b]
    }
    for (size_t i = first; i < t->items.size(); ++i) Term(t->items[i]);
    Term(t->head);
    Term(t->key);
    if (t->body) Body(*t->body);
  }

  std::optional<InputPaths> Result() const {
    if (all_ || root_.whole) return std::nullopt;
    return root_;
  }

  bool all_ = false;

 private:
  InputPaths root_;
};

}  // namespace

void InputPaths::Merge(const InputPaths& other) {
  if (whole) return;
  if (other.whole) {
    whole = true;
    members.clear();
    return;
  }
  for (const auto& [key, sub] : other.members) members[key].Merge(sub);
}

const InputPaths* InputPaths::Member(std::string_view key) const {
  auto it = members.find(key);
  return it == members.end() ? nullptr : &it->second;
}

std::optional<InputPaths> InputPathsRead(const std::vector<Module>& modules) {
  Collector c;
  for (const auto& m : modules) {
    for (const auto& imp : m.imports) {
      if (!imp.path.empty() && imp.path[0] == "input") return std::nullopt;  // an alias of input
    }
    for (const auto& r : m.rules) {
      for (const Rule* rule = r.get(); rule != nullptr; rule = rule->else_rule.get()) {
        c.Body(rule->body);
        c.Term(rule->value);
        for (const auto& k : rule->keys) c.Term(k);
        for (const auto& a : rule->args) c.Term(a);
      }
    }
  }
  return c.Result();
}

bool QueryMayReadInput(std::string_view query) { return query.find("input") != std::string_view::npos; }

}  // namespace oep::rego
