// The Rego syntax tree produced by the parser and walked by the evaluator.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "rego/value.h"

namespace oep::rego {

struct Location {
  int row = 0;
  int col = 0;
};

struct Expr;
using Body = std::vector<Expr>;

enum class TermKind { kScalar, kVar, kRef, kArray, kObject, kSet, kArrayCompr, kSetCompr, kObjectCompr, kCall };

struct Term;
using TermPtr = std::shared_ptr<const Term>;
struct Builtin;

struct Term {
  TermKind kind = TermKind::kScalar;
  Location loc;
  Value value;                 // kScalar; a ground composite's value (see `ground`)
  std::string name;            // kVar; kCall: operator or built-in name when not a ref
  std::vector<TermPtr> items;  // kRef: head then path; kArray/kSet: elements; kObject: k0 v0 k1 v1 ...; kCall: fn, args
  TermPtr head, key;           // comprehensions (key for object comprehensions)
  std::shared_ptr<Body> body;  // comprehensions
  // kCall in a compiled module: the deterministic built-in the call names when no rule of
  // the module's scope does (set once by Engine::Compile, read by every evaluation).
  const Builtin* builtin = nullptr;
  // kArray/kSet/kObject of constants only: `value` holds it, built once by Engine::Compile.
  bool ground = false;
};

struct With {
  TermPtr target;
  TermPtr value;
};

enum class ExprKind { kTerm, kNot, kSome, kSomeIn, kEvery };

struct Expr {
  ExprKind kind = ExprKind::kTerm;
  Location loc;
  TermPtr term;                          // kTerm (calls include = and :=), kNot's negated term
  std::shared_ptr<Expr> negated;         // kNot
  std::vector<std::string> vars;         // kSome
  TermPtr key, value, collection;        // kSomeIn, kEvery (key may be null)
  std::shared_ptr<Body> body;            // kEvery
  std::vector<With> withs;
};

enum class RuleKind { kComplete, kPartialSet, kPartialObject, kFunction };

struct Rule {
  RuleKind kind = RuleKind::kComplete;
  Location loc;
  std::vector<std::string> path;  // package path + the head's static ref parts
  std::vector<TermPtr> keys;      // dynamic ref parts after `path` (object keys / set element last)
  TermPtr value;                  // complete, object and function value (true when absent)
  std::vector<TermPtr> args;      // function parameters
  Body body;
  bool is_default = false;
  std::shared_ptr<Rule> else_rule;
  std::string package_key;        // the package path joined with '.'
  // Set by Engine::Compile (rule_locals.h): the names the arguments and the body's
  // declarations make local, shadowing the package's rules and imports of those names.
  std::set<std::string, std::less<>> locals;
  // Set by Engine::Compile: the position of the rule's module among the compiled ones.
  size_t module_index = 0;
};

struct Import {
  std::vector<std::string> path;  // e.g. data.foo.bar, input.x
  std::string alias;
};

// "a.b.c" for a var or a ref whose keys are all static strings; "" otherwise.
std::string StaticRefName(const TermPtr& t);

// The name a call term calls: its operator or built-in name, else its function ref's name.
std::string CallName(const Term& call);

// A `# METADATA` comment block: its YAML as OPA normalizes it, and what it annotates.
struct Annotation {
  std::string scope;              // rule | document | package | subpackages
  Value value;                    // the annotations object, "scope" included
  std::vector<std::string> path;  // the package's path, or the rule's (without "data")
  Location loc;                   // the annotated statement
  const Rule* rule = nullptr;     // rule and document scopes: the annotated rule
};

struct Module {
  std::vector<std::string> package;  // without the leading "data"
  Location package_loc;
  std::vector<Import> imports;
  std::vector<std::shared_ptr<Rule>> rules;
  std::vector<Annotation> annotations;  // in source order
  std::string file;
};

}  // namespace oep::rego
