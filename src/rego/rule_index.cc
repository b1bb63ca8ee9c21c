#include "rego/rule_index.h"

#include <algorithm>

namespace oep::rego {
namespace {

// `input.a.b == c` / `c == input.a.b` (or `=`) with c a constant: the path and c.
std::optional<std::pair<std::vector<std::string>, Value>> InputEquality(const Expr& e) {
  if (e.kind != ExprKind::kTerm || !e.withs.empty() || !e.term || e.term->kind != TermKind::kCall) return std::nullopt;
  const Term& call = *e.term;
  if (call.items.size() != 3 || call.items[0] || (call.name != "equal" && call.name != "eq")) return std::nullopt;
  for (int side = 1; side <= 2; ++side) {
    const TermPtr& ref = call.items[static_cast<size_t>(side)];
    const TermPtr& other = call.items[static_cast<size_t>(3 - side)];
    bool constant = other->kind == TermKind::kScalar || other->ground;
    if (!constant || ref->kind != TermKind::kRef || ref->items[0]->kind != TermKind::kVar || ref->items[0]->name != "input") {
      continue;
    }
    std::vector<std::string> path;
    for (size_t i = 1; i < ref->items.size(); ++i) {
      if (ref->items[i]->kind != TermKind::kScalar || !ref->items[i]->value.is_string()) return std::nullopt;
      path.push_back(ref->items[i]->value.str());
    }
    return std::make_pair(std::move(path), other->value);
  }
  return std::nullopt;
}

}  // namespace

// Builds RuleIndex for documents of at least kMinIndexedRules complete or partial rules
// (no else chains, no functions), on the input path the most rules test.
void IndexRules(Node& node) {
  constexpr size_t kMinIndexedRules = 8;
  for (auto& [name, child] : node.children) IndexRules(*child);
  if (node.rules.size() < kMinIndexedRules || node.rules[0]->kind == RuleKind::kFunction) return;
  std::vector<std::vector<std::pair<std::vector<std::string>, Value>>> tests(node.rules.size());
  std::map<std::vector<std::string>, size_t> paths;
  for (size_t i = 0; i < node.rules.size(); ++i) {
    if (node.rules[i]->else_rule) return;
    for (const Expr& e : node.rules[i]->body) {
      if (auto eq = InputEquality(e)) {
        ++paths[eq->first];
        tests[i].push_back(std::move(*eq));
      }
    }
  }
  if (paths.empty()) return;
  auto best = std::max_element(paths.begin(), paths.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
  if (best->second < 2) return;
  RuleIndex index;
  index.input_path = best->first;
  for (size_t i = 0; i < node.rules.size(); ++i) {
    auto hit = std::find_if(tests[i].begin(), tests[i].end(), [&](const auto& t) { return t.first == index.input_path; });
    if (hit == tests[i].end()) index.unindexed.push_back(i);
    else index.by_value[hit->second].push_back(i);
  }
  node.index = std::move(index);
}

}  // namespace oep::rego
