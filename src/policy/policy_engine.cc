#include "policy/policy_engine.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <mutex>

#include "rego/parser.h"
#include "rego/policy_loader.h"

namespace oep {
namespace {

// Built-ins whose answers depend on the world, not the input: replay answers time.now_ns
// from the recorded decision time and the others only from the recorded nd_builtin_cache.
constexpr const char* kNonDeterministic[] = {"time.now_ns", "http.send", "rand.intn", "uuid.rfc4122",
                                              "net.lookup_ip_addr", "opa.runtime"};

std::vector<std::string> NonDeterministicCalls(const rego::Engine& engine) {
  std::vector<std::string> out;
  for (const auto& name : engine.CalledFunctions()) {
    if (std::find(std::begin(kNonDeterministic), std::end(kNonDeterministic), name) != std::end(kNonDeterministic)) {
      out.push_back(name);
    }
  }
  return out;
}

class NativeEngine final : public PolicyEngine {
 public:
  explicit NativeEngine(rego::LoadedPolicy policy)
      : policy_(std::move(policy)), calls_time_(false) {
    auto nd_calls = NonDeterministicCalls(*policy_.engine);
    for (const auto& n : nd_calls) calls_time_ = calls_time_ || n == "time.now_ns";
    deterministic_ = nd_calls.empty();
    input_read_ = rego::InputPathsRead(policy_.engine->Modules());
  }
  const rego::InputPaths* InputRead() const override { return input_read_ ? &*input_read_ : nullptr; }
  bool AnswersFromInputOnly() const override { return deterministic_; }
  std::string Name() const override { return "native"; }
  std::string Description() const override { return std::string("native (oep ") + OEP_VERSION + ")"; }
  size_t PreferredBatch() const override { return 32; }

  Status Decide(const std::vector<DecisionRequest>& requests, std::vector<Decided>& out) const override {
    out.resize(requests.size());
    const std::string* last_text = nullptr;
    const rego::Body* query = nullptr;
    for (size_t i = 0; i < requests.size(); ++i) {
      const DecisionRequest& r = requests[i];
      if (last_text == nullptr || *last_text != r.query) {
        auto parsed = ParsedQuery(r.query);
        if (!parsed.ok()) return parsed.status();
        query = *parsed;
        last_text = &r.query;
      }
      DecideOne(*query, r, out[i]);
    }
    return Status::Ok();
  }

  // The parsed and type-checked query, once per query text.
  Result<const rego::Body*> ParsedQuery(const std::string& text) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = queries_.find(text);
    if (it != queries_.end()) return &it->second;
    auto parsed = rego::ParseQuery(text);
    if (auto* err = std::get_if<rego::RegoError>(&parsed)) {
      return Status::InvalidArgument("query " + text + ": " + err->code + ": " + err->message);
    }
    if (auto err = policy_.engine->CheckQueryTypes(std::get<rego::Body>(parsed))) {
      return Status::InvalidArgument("query " + text + ": " + err->code + ": " + err->message);
    }
    return &queries_.emplace(text, std::move(std::get<rego::Body>(parsed))).first->second;
  }

  const rego::Engine& engine() const { return *policy_.engine; }

 private:
  void DecideOne(const rego::Body& query, const DecisionRequest& r, Decided& d) const {
    d.evaluative_reasons.clear();
    d.nd_cache_hits = 0;
    d.compared.reset();
    rego::EvalOptions eval;
    eval.replay = true;
    eval.evaluative_reasons = &d.evaluative_reasons;
    eval.nd_cache_hits = &d.nd_cache_hits;
    eval.now_ns = r.now_ns;
    if (!r.now_ns && calls_time_) {
      d.evaluative_reasons.push_back("the decision time is not recorded, so time.now_ns is unknown");
      eval.now_ns = 0;  // never the wall clock in a replay
    }
    if (r.nd_builtin_cache) eval.nd_builtin_cache = *r.nd_builtin_cache;
    std::optional<rego::Value> input;
    if (r.input) input = *r.input;
    auto result = policy_.engine->Query(query, input, eval);
    if (auto* err = std::get_if<rego::RegoError>(&result)) {
      d.outcome = Outcome::Error(err->code + ": " + err->message);
      return;
    }
    const auto& rows = std::get<std::vector<rego::QueryResult>>(result);
    d.outcome = rows.empty() ? Outcome::Undefined() : Outcome::FromRego(&rows[0].expressions.back());
  }

  rego::LoadedPolicy policy_;
  bool calls_time_;
  bool deterministic_ = false;
  std::optional<rego::InputPaths> input_read_;
  mutable std::mutex mu_;
  mutable std::map<std::string, rego::Body> queries_;
};

class OpaEngine final : public PolicyEngine {
 public:
  OpaEngine(OpaCliConfig opa, std::string bundle, std::vector<std::string> unpinned)
      : opa_(std::move(opa)), bundle_(std::move(bundle)) {
    for (const auto& b : unpinned) reasons_.push_back("the OPA CLI engine cannot pin " + b + ", which the policy calls");
  }
  std::string Name() const override { return "opa"; }
  std::string Description() const override { return "opa CLI at " + opa_.binary; }
  size_t PreferredBatch() const override { return SIZE_MAX; }

  // Requests of one query are decided together, as many inputs per `opa eval` process as
  // fit in kOpaStdinLimit.
  Status Decide(const std::vector<DecisionRequest>& requests, std::vector<Decided>& out) const override {
    out.assign(requests.size(), Decided{});
    std::map<std::string, std::vector<size_t>> by_query;
    for (size_t i = 0; i < requests.size(); ++i) by_query[requests[i].query].push_back(i);
    for (const auto& group : by_query) {
      const std::string& query = group.first;  // named, not a structured binding: the lambda captures it
      const std::vector<size_t>& members = group.second;
      std::vector<size_t> pending;
      std::vector<std::string> inputs;
      size_t bytes = 0;
      auto flush = [&]() -> Status {
        if (pending.empty()) return Status::Ok();
        auto decided = OpaEvalBatch(opa_, bundle_, query, inputs);
        if (!decided.ok()) return decided.status();
        for (size_t k = 0; k < pending.size(); ++k) {
          Decided& d = out[pending[k]];
          const OpaDecision& od = (*decided)[k];
          if (od.defined) {
            rapidjson::Document v;
            v.Parse(od.value_json.c_str(), od.value_json.size());
            d.outcome = v.HasParseError() ? Outcome::Error("OPA printed a value that is not JSON") : Outcome::FromJson(&v);
          }
          d.evaluative_reasons = reasons_;
        }
        pending.clear();
        inputs.clear();
        bytes = 0;
        return Status::Ok();
      };
      for (size_t i : members) {
        std::string input = requests[i].input ? requests[i].input->ToJson() : "null";
        if (input.size() + 64 > kOpaStdinLimit) {
          out[i].outcome = Outcome::Error("the OPA input exceeds 8 MiB, the limit of one opa process's stdin");
          continue;
        }
        if (bytes + input.size() + 64 > kOpaStdinLimit) OEP_RETURN_IF_ERROR(flush());
        bytes += input.size() + 1;
        inputs.push_back(std::move(input));
        pending.push_back(i);
      }
      OEP_RETURN_IF_ERROR(flush());
    }
    return Status::Ok();
  }

 private:
  OpaCliConfig opa_;
  std::string bundle_;
  std::vector<std::string> reasons_;
};

class BothEngines final : public PolicyEngine {
 public:
  BothEngines(std::unique_ptr<PolicyEngine> native, std::unique_ptr<PolicyEngine> opa)
      : native_(std::move(native)), opa_(std::move(opa)) {}
  std::string Name() const override { return "both"; }
  std::string Description() const override { return native_->Description() + " compared with " + opa_->Description(); }
  size_t PreferredBatch() const override { return opa_->PreferredBatch(); }
  Status Decide(const std::vector<DecisionRequest>& requests, std::vector<Decided>& out) const override {
    OEP_RETURN_IF_ERROR(native_->Decide(requests, out));
    std::vector<Decided> opa;
    OEP_RETURN_IF_ERROR(opa_->Decide(requests, opa));
    for (size_t i = 0; i < out.size(); ++i) out[i].compared = std::move(opa[i].outcome);
    return Status::Ok();
  }

 private:
  std::unique_ptr<PolicyEngine> native_, opa_;
};

}  // namespace

Result<EngineKind> ParseEngineKind(const std::string& name, bool opa_available) {
  if (name == "native") return EngineKind::kNative;
  if (name == "opa") return EngineKind::kOpa;
  if (name == "both") return EngineKind::kBoth;
  if (name == "auto") return opa_available ? EngineKind::kOpa : EngineKind::kNative;
  return Status::InvalidArgument("--engine " + name + ": expected native, opa, both or auto");
}

Result<std::unique_ptr<PolicyEngine>> MakePolicyEngine(const PolicyEngineConfig& config) {
  auto loaded = rego::LoadPolicy({config.bundle}, config.v0_bundle ? rego::RegoVersion::kV0 : rego::RegoVersion::kV1);
  if (auto* err = std::get_if<rego::RegoError>(&loaded)) {
    return Status::InvalidArgument("policy bundle " + config.bundle + ": " + err->Text());
  }
  std::vector<std::string> unpinned;
  for (auto& n : NonDeterministicCalls(*std::get<rego::LoadedPolicy>(loaded).engine)) unpinned.push_back(std::move(n));
  auto native = std::make_unique<NativeEngine>(std::move(std::get<rego::LoadedPolicy>(loaded)));
  if (config.kind == EngineKind::kNative) return std::unique_ptr<PolicyEngine>(std::move(native));
  if (!config.opa) return Status::InvalidArgument("the OPA CLI engine needs an opa binary (OEP_OPA_BIN_PATH, OPA_PATH or PATH)");
  auto opa = std::make_unique<OpaEngine>(*config.opa, config.bundle, unpinned);
  if (config.kind == EngineKind::kOpa) return std::unique_ptr<PolicyEngine>(std::move(opa));
  return std::unique_ptr<PolicyEngine>(std::make_unique<BothEngines>(std::move(native), std::move(opa)));
}

}  // namespace oep
