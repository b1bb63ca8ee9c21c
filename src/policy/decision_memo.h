// Answers of a policy engine remembered by (query, input), for callers that decide many
// recorded inputs under one policy (oep impact). Sound only where the answer is a function
// of the query and the input alone: the engine says so (PolicyEngine::AnswersFromInputOnly:
// no non-deterministic built-in, so no pinned time or recorded built-in cache consulted)
// and the query is a plain data reference (data.a.b, calling nothing). Inputs
// projected to what the policy reads (rego/input_paths.h) repeat across decisions, so most
// of a large store's decisions are answered without evaluating.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "policy/policy_engine.h"

namespace oep {

class DecisionMemo {
 public:
  // At most `capacity` answers are kept (all are forgotten when it is reached), and inputs
  // whose JSON exceeds kMaxKeyBytes are always decided: memory stays bounded.
  explicit DecisionMemo(size_t capacity = 1 << 15) : capacity_(capacity) {}
  static constexpr size_t kMaxKeyBytes = 2048;

  // As engine.Decide(requests, out); for an engine that does not answer from the input
  // only, exactly that call. Not thread-safe: one memo per thread.
  Status Decide(const PolicyEngine& engine, const std::vector<DecisionRequest>& requests, std::vector<Decided>& out);

  int64_t hits() const { return hits_; }
  int64_t misses() const { return misses_; }

 private:
  size_t capacity_;
  std::unordered_map<std::string, Decided> answers_;
  int64_t hits_ = 0, misses_ = 0;
  // Reused across calls.
  std::vector<std::string> keys_;
  std::vector<DecisionRequest> pending_;
  std::vector<size_t> pending_at_, from_;
  std::vector<Decided> pending_out_;
  std::unordered_map<std::string, size_t> first_pending_;
};

}  // namespace oep
