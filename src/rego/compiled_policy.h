// The compiled form of a policy that the engine's passes and its evaluator share (internal to
// src/rego): the rule tree under data, each module's name context, and helpers over terms.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "rego/annotations.h"
#include "rego/ast.h"
#include "rego/engine.h"
#include "rego/value.h"

namespace oep::rego {

// The rule tree: one node per path segment under data; rules hang on their path.
// Rule indexing: rules of one document that each test `input.<path> == <constant>` are
// grouped by the constant, so an evaluation tries only the rules whose constant equals the
// input's value there (plus the rules that do not test that path), in definition order.
struct RuleIndex {
  std::vector<std::string> input_path;
  std::map<Value, std::vector<size_t>, ValueLess> by_value;  // constant -> rule positions
  std::vector<size_t> unindexed;
};

struct Node {
  std::map<std::string, std::unique_ptr<Node>> children;
  std::optional<RuleIndex> index;  // built when a document has many rules
  std::vector<const Rule*> rules;  // non-default rules at exactly this path
  const Rule* default_rule = nullptr;
  // The value of a constant rule (`x := <ground term>`, one definition, no body), computed
  // once at compile time instead of in every evaluation.
  std::optional<Value> constant;
};

struct ModuleCtx {
  std::string file;
  std::vector<std::string> package;
  std::map<std::string, std::vector<std::string>> aliases;  // import alias -> path (data... / input...)
  std::set<std::string, std::less<>> local_names;           // the package's rule names, across modules
};

struct Engine::Impl {
  std::vector<Module> modules;
  std::vector<std::unique_ptr<ModuleCtx>> contexts;
  std::map<const Rule*, const ModuleCtx*> rule_ctx;
  AnnotationIndex annotations;
  Node root;
  Value data;
  bool v0_compatible = false;  // the deprecated built-ins (Builtin::v0_only) are offered

  Node* Find(const std::vector<std::string>& path, size_t n) const {
    const Node* node = &root;
    for (size_t i = 0; i < n; ++i) {
      auto it = node->children.find(path[i]);
      if (it == node->children.end()) return nullptr;
      node = it->second.get();
    }
    return const_cast<Node*>(node);
  }
};

// "a.b.c".
std::string JoinPath(const std::vector<std::string>& p);

// A scalar, or a collection of scalars only.
bool IsGround(const TermPtr& t);

// Calls `fn` on every term of `body` / under `t` (pre-order; comprehension heads and bodies,
// `with` targets and values included).
void ForEachTerm(const Body& body, const std::function<void(const TermPtr&)>& fn);
void ForEachTerm(const TermPtr& t, const std::function<void(const TermPtr&)>& fn);

// The data path a ref or var names statically (data.a.b, an import alias, a rule of the
// module's package that `rule` does not shadow), up to its first non-constant key
// (`complete` is false then); nullopt for input and locals.
std::optional<std::vector<std::string>> StaticDataPath(const TermPtr& t, const ModuleCtx& ctx, const Rule& rule,
                                                      bool* complete);

// Names that are never local variables in a module: input, data, imports, its package's rules.
bool IsGlobalName(const ModuleCtx& ctx, const std::string& name);

}  // namespace oep::rego
