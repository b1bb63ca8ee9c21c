#include "rego/rule_locals.h"

namespace oep::rego {
namespace {

using Names = std::set<std::string, std::less<>>;

// Vars of a pattern: bare vars, array and set elements, object values.
void PatternVars(const TermPtr& t, Names& out) {
  if (!t) return;
  switch (t->kind) {
    case TermKind::kVar:
      if (t->name != "_") out.insert(t->name);
      break;
    case TermKind::kArray:
      for (const auto& e : t->items) PatternVars(e, out);
      break;
    case TermKind::kObject:
      for (size_t i = 1; i < t->items.size(); i += 2) PatternVars(t->items[i], out);
      break;
    default: break;
  }
}

void DeclaredVars(const Body& body, Names& out) {
  for (const Expr& e : body) {
    switch (e.kind) {
      case ExprKind::kTerm:
        if (e.term->kind == TermKind::kCall && !e.term->items[0] && e.term->name == "assign" && e.term->items.size() == 3) {
          PatternVars(e.term->items[1], out);
        }
        break;
      case ExprKind::kSome: out.insert(e.vars.begin(), e.vars.end()); break;
      case ExprKind::kSomeIn:
        PatternVars(e.key, out);
        PatternVars(e.value, out);
        break;
      case ExprKind::kEvery:
        PatternVars(e.key, out);
        PatternVars(e.value, out);
        if (e.body) DeclaredVars(*e.body, out);
        break;
      case ExprKind::kNot: break;
    }
  }
}

}  // namespace

std::set<std::string, std::less<>> RuleLocalNames(const Rule& rule) {
  Names out;
  for (const Rule* r = &rule; r; r = r->else_rule.get()) {
    for (const auto& arg : r->args) PatternVars(arg, out);
    DeclaredVars(r->body, out);
  }
  return out;
}

}  // namespace oep::rego
