// The native Rego engine: compile modules once, evaluate queries many times.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "rego/ast.h"
#include "rego/error.h"
#include "rego/value.h"

namespace oep::rego {

// The memory an evaluation may use for the values it builds, unless EvalOptions says less or
// more: 2 GiB, a twelfth of the 24 GiB machines oep is sized for.
inline constexpr int64_t kDefaultMaxMemoryBytes = int64_t{2} << 30;

struct EvalOptions {
  bool strict_builtin_errors = false;
  int64_t max_steps = 50'000'000;  // runaway policies end with an error, not a hang
  int max_depth = 100000;  // nested rule and function evaluations (the stack is watched too)
  // Past this time the query ends with eval_cancel_error (`opa test --timeout`).
  std::optional<std::chrono::steady_clock::time_point> deadline;
  // The memory budget: built-ins that allocate in proportion to their arguments
  // (numbers.range, concat, sprintf widths, yaml.unmarshal, json.marshal, ...) reserve their
  // estimated result before allocating, and comprehensions, partial rules and built-in results
  // count while they are referenced. Passing it ends the query with an error (eval_builtin_error
  // naming the built-in, or eval_cancel_error for the evaluator's own collections) whatever
  // strict_builtin_errors says: an undefined call in its place could flip a decision. An
  // allocation that fails anyway (std::bad_alloc) ends Query with eval_cancel_error too.
  int64_t max_memory_bytes = kDefaultMaxMemoryBytes;
  // time.now_ns answers this (a replay pins the recorded decision time); when absent, the
  // wall clock read once per query, as OPA does.
  std::optional<int64_t> now_ns;
  // Replay: non-deterministic built-ins (http.send, rand.intn, uuid.rfc4122,
  // net.lookup_ip_addr, opa.runtime) answer only from this recorded cache (OPA's
  // nd_builtin_cache: name -> JSON-encoded argument array -> value); a call it cannot
  // answer is undefined and its reason is appended to *evaluative_reasons.
  bool replay = false;
  std::optional<Value> nd_builtin_cache;
  std::vector<std::string>* evaluative_reasons = nullptr;
  int* nd_cache_hits = nullptr;
};

struct QueryResult {
  std::vector<Value> expressions;              // value of each query expression
  std::map<std::string, Value> bindings;       // the query's variables
};

class Engine {
 public:
  // Compiles `modules` (one per source text) over the base document `data`.
  // `v0_compatible` (--v0-compatible) also offers the deprecated built-ins OPA keeps for v0
  // policies (cast_array, set_diff, re_match, ...); elsewhere their calls are undefined functions.
  static std::variant<std::unique_ptr<Engine>, RegoError> Compile(std::vector<Module> modules, Value data,
                                                                  bool v0_compatible = false);
  ~Engine();

  // Every solution of `query`; an empty vector when the query is undefined. As in OPA, an
  // expression that is a term or a call with a result (not `=`, `:=`, `not`) has its value
  // as the expression's value, `false` included; when the query has several expressions
  // or iterates, a `false` value fails the query instead.
  std::variant<std::vector<QueryResult>, RegoError> Query(const Body& query, const std::optional<Value>& input,
                                                          const EvalOptions& options = {}) const;

  // OPA's compile-time type check of a query (see rego/typecheck.h), once per query text.
  std::optional<RegoError> CheckQueryTypes(const Body& query) const;

  // The names of every function the compiled modules call (built-ins such as http.send
  // included), sorted: what a policy can do is read from its syntax trees, not its text.
  std::vector<std::string> CalledFunctions() const;
  // The compiled modules, for analyses of what a policy reads (rego/input_paths.h).
  const std::vector<Module>& Modules() const;

  // `opa inspect`: the METADATA annotations of the modules (see AnnotationIndex::Inspect)
  // and, per package ("data.a.b"), the files that declare it.
  Value InspectAnnotations() const;
  std::map<std::string, std::vector<std::string>> Namespaces() const;

  struct Impl;

 private:
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace oep::rego
