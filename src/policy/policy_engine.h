// The policy engines that re-decide recorded inputs: the native Rego engine, the OPA CLI
// (see opa_cli_engine.h), and both compared. Replay, impact and verify use this interface;
// configuration is a value (only the CLI reads the environment).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "policy/opa_cli_engine.h"
#include "policy/outcome.h"
#include "rego/input_paths.h"
#include "rego/value.h"
#include "util/status.h"

namespace oep {

// One decision to make: `query` (e.g. "data.oep.permissions.decision") on `input`, with
// time.now_ns answering `now_ns` and non-deterministic built-ins answering only from
// `nd_builtin_cache` (nothing live is consulted; what cannot be answered is evaluative).
struct DecisionRequest {
  std::string query;
  const rego::Value* input = nullptr;  // nullptr: no input document
  std::optional<int64_t> now_ns;
  const rego::Value* nd_builtin_cache = nullptr;
};

struct Decided {
  Outcome outcome;
  std::vector<std::string> evaluative_reasons;  // empty: deterministic
  int nd_cache_hits = 0;
  // --engine both: the OPA CLI's outcome beside the native one reported in `outcome`.
  std::optional<Outcome> compared;
  bool Disagrees() const {
    return compared && (compared->kind != outcome.kind || compared->ValueJson() != outcome.ValueJson());
  }
};

enum class EngineKind { kNative, kOpa, kBoth };

struct PolicyEngineConfig {
  EngineKind kind = EngineKind::kNative;
  std::string bundle;     // .rego file or bundle directory
  bool v0_bundle = false;  // the bundle is Rego v0
  std::optional<OpaCliConfig> opa;  // required for kOpa and kBoth
};

class PolicyEngine {
 public:
  virtual ~PolicyEngine() = default;
  virtual std::string Name() const = 0;         // native | opa | both
  virtual std::string Description() const = 0;  // e.g. "native (oep 0.1.0)", "opa CLI at /usr/bin/opa"
  // One result per request, in order, into `out` (resized; its memory is reused across
  // calls, so a caller deciding batch after batch allocates nothing per batch). A query
  // that does not parse, or an engine that cannot run, is an error Status; one request's
  // evaluation error is its Outcome::Error. Safe to call from several threads at once.
  virtual Status Decide(const std::vector<DecisionRequest>& requests, std::vector<Decided>& out) const = 0;
  // How many requests one Decide call should carry: few for the native engine (their
  // inputs stay in cache), as many as possible for the OPA CLI (one process per call).
  virtual size_t PreferredBatch() const = 0;
  // The parts of an input document this engine's policy can read (rego/input_paths.h), so
  // callers may build only those; nullptr: all of it (the OPA CLI engines are handed what
  // was recorded, whole).
  virtual const rego::InputPaths* InputRead() const { return nullptr; }
  // True when an answer depends on the request's query and input alone (the policy calls
  // no non-deterministic built-in, so neither now_ns nor nd_builtin_cache is consulted, and
  // no other program is asked): answers may then be remembered (policy/decision_memo.h).
  virtual bool AnswersFromInputOnly() const { return false; }
};

// Compiles the bundle natively (every kind: the native compile also tells which
// non-deterministic built-ins the policy calls) and builds the engine.
Result<std::unique_ptr<PolicyEngine>> MakePolicyEngine(const PolicyEngineConfig& config);

// "native" | "opa" | "both"; "auto" is opa when `opa` is set, else native.
Result<EngineKind> ParseEngineKind(const std::string& name, bool opa_available);

}  // namespace oep
