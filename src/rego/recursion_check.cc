#include "rego/recursion_check.h"

#include <algorithm>
#include <functional>

#include "rego/stack_guard.h"

namespace oep::rego {
namespace {

// Every document (node with rules) at or below the node `path` leads to; functions below
// it only when `path` names them.
void DocumentsAt(const Node& root, const std::vector<std::string>& path, std::set<const Node*>& out) {
  const Node* node = &root;
  for (const auto& seg : path) {
    if (!node->rules.empty() || node->default_rule) break;  // a rule's value: the rule itself
    auto it = node->children.find(seg);
    if (it == node->children.end()) return;
    node = it->second.get();
  }
  std::vector<const Node*> stack = {node};
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    // A function is no part of the documents above it: only a ref to it names it.
    const Rule* first = !n->rules.empty() ? n->rules[0] : n->default_rule;
    if (first && (n == node || first->kind != RuleKind::kFunction)) out.insert(n);
    for (const auto& [name, child] : n->children) stack.push_back(child.get());
  }
}

}  // namespace

// rego_recursion_error when a document depends on itself, naming the cycle as OPA does.
std::optional<RegoError> CheckRecursion(const Engine::Impl& impl) {
  std::map<const Node*, std::set<const Node*>> deps;
  std::map<const Node*, std::pair<std::string, const Rule*>> name_of;  // for messages
  std::vector<const Node*> order;
  auto visit_rule = [&](const Rule& rule, const Node* node) {
    const ModuleCtx& ctx = *impl.rule_ctx.at(&rule);
    std::set<const Term*> ref_heads;  // visited after their ref (pre-order): already counted
    auto add = [&](const TermPtr& t) {
      if (ref_heads.count(t.get())) return;
      if (t->kind != TermKind::kRef && t->kind != TermKind::kVar && t->kind != TermKind::kCall) return;
      const TermPtr& named = t->kind == TermKind::kCall ? t->items[0] : t;
      if (!named) return;
      if (named->kind == TermKind::kRef) ref_heads.insert(named->items[0].get());
      if (t->kind == TermKind::kCall) ref_heads.insert(named.get());
      bool complete = true;
      auto path = StaticDataPath(named, ctx, rule, &complete);
      if (!path) return;
      if (complete) {
        DocumentsAt(impl.root, *path, deps[node]);
      } else if (const Node* at = impl.Find(*path, path->size()); at && (!at->rules.empty() || at->default_rule)) {
        deps[node].insert(at);  // a document indexed by a variable; wider dynamic refs are left to evaluation
      }
    };
    for (const Rule* r = &rule; r; r = r->else_rule.get()) {
      ForEachTerm(r->body, add);
      ForEachTerm(r->value, add);
      for (const auto& key : r->keys) ForEachTerm(key, add);
    }
  };
  std::function<void(const Node&, std::vector<std::string>&)> collect = [&](const Node& n, std::vector<std::string>& path) {
    if (!n.rules.empty() || n.default_rule) {
      order.push_back(&n);
      name_of[&n] = {"data." + JoinPath(path), !n.rules.empty() ? n.rules[0] : n.default_rule};
      for (const Rule* r : n.rules) visit_rule(*r, &n);
      if (n.default_rule) visit_rule(*n.default_rule, &n);
    }
    for (const auto& [name, child] : n.children) {
      path.push_back(name);
      collect(*child, path);
      path.pop_back();
    }
  };
  std::vector<std::string> path;
  collect(impl.root, path);
  std::map<const Node*, int> state;  // 0 new, 1 on the stack, 2 done
  std::vector<const Node*> stack;
  std::optional<RegoError> error;
  std::function<void(const Node*)> dfs = [&](const Node* n) {
    if (!StackHasRoom()) {
      const auto& [name, rule] = name_of[n];
      error = RegoError{"rego_compile_error", "rule " + name + " depends on a chain of rules too long to check",
                        impl.rule_ctx.at(rule)->file, rule->loc};
      return;
    }
    state[n] = 1;
    stack.push_back(n);
    for (const Node* d : deps[n]) {
      if (error) return;
      if (state[d] == 1) {
        std::string cycle;
        for (auto it = std::find(stack.begin(), stack.end(), d); it != stack.end(); ++it) cycle += name_of[*it].first + " -> ";
        const auto& [name, rule] = name_of[d];
        error = RegoError{"rego_recursion_error", "rule " + name + " is recursive: " + cycle + name,
                          impl.rule_ctx.at(rule)->file, rule->loc};
        return;
      }
      if (state[d] == 0) dfs(d);
    }
    stack.pop_back();
    state[n] = 2;
  };
  for (const Node* n : order) {
    if (state[n] == 0) dfs(n);
    if (error) return error;
  }
  return std::nullopt;
}

}  // namespace oep::rego
