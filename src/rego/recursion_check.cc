#include "rego/recursion_check.h"

#include <algorithm>
#include <functional>


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
  // Depth-first search with an explicit stack, so that a chain of any length is checked
  // without using the thread's stack (evaluation has its own depth limit).
  std::map<const Node*, int> state;  // 0 new, 1 on the path, 2 done
  struct Frame {
    const Node* node;
    std::set<const Node*>::const_iterator next, end;
  };
  std::vector<Frame> path_stack;
  auto push = [&](const Node* n) {
    state[n] = 1;
    const auto& ds = deps[n];
    path_stack.push_back({n, ds.begin(), ds.end()});
  };
  for (const Node* root : order) {
    if (state[root] != 0) continue;
    push(root);
    while (!path_stack.empty()) {
      Frame& top = path_stack.back();
      if (top.next == top.end) {
        state[top.node] = 2;
        path_stack.pop_back();
        continue;
      }
      const Node* d = *top.next++;
      if (state[d] == 1) {
        std::string cycle;
        auto it = std::find_if(path_stack.begin(), path_stack.end(), [&](const Frame& f) { return f.node == d; });
        for (; it != path_stack.end(); ++it) cycle += name_of[it->node].first + " -> ";
        const auto& [name, rule] = name_of[d];
        return RegoError{"rego_recursion_error", "rule " + name + " is recursive: " + cycle + name,
                         impl.rule_ctx.at(rule)->file, rule->loc};
      }
      if (state[d] == 0) push(d);
    }
  }
  return std::nullopt;
}

}  // namespace oep::rego
