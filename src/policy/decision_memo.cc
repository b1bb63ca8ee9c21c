#include "policy/decision_memo.h"

namespace oep {
namespace {

// "data" followed by dotted names: a reference that calls nothing itself (a query that
// does, such as time.now_ns(), would make the answer depend on more than the input).
bool IsPlainDataRef(std::string_view query) {
  if (query.substr(0, 4) != "data") return false;
  for (char c : query.substr(4)) {
    if (!(c == '.' || c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

}  // namespace

Status DecisionMemo::Decide(const PolicyEngine& engine, const std::vector<DecisionRequest>& requests, std::vector<Decided>& out) {
  if (!engine.AnswersFromInputOnly()) return engine.Decide(requests, out);
  out.resize(requests.size());
  keys_.resize(requests.size());
  pending_.clear();
  pending_at_.clear();
  first_pending_.clear();
  // Per request: kAnswered (from memory), or the index in pending_ of the request whose
  // answer it takes (its own, or the first one of this call with the same key).
  constexpr size_t kAnswered = SIZE_MAX;
  std::vector<size_t>& from = from_;
  from.assign(requests.size(), kAnswered);
  for (size_t i = 0; i < requests.size(); ++i) {
    const DecisionRequest& r = requests[i];
    std::string& key = keys_[i];
    key.clear();
    if (IsPlainDataRef(r.query)) {
      key.assign(r.query);
      key.push_back('\n');
      if (r.input) {
        key += r.input->ToJson();
      } else {
        key += "-";  // no input document: not the JSON of any input
      }
      if (key.size() > r.query.size() + 1 + kMaxKeyBytes) key.clear();
    }
    if (!key.empty()) {
      if (auto it = answers_.find(key); it != answers_.end()) {
        out[i] = it->second;
        ++hits_;
        continue;
      }
      if (auto p = first_pending_.find(key); p != first_pending_.end()) {
        from[i] = p->second;  // the same (query, input) earlier in this call
        ++hits_;
        continue;
      }
      first_pending_.emplace(key, pending_.size());
    }  // an empty key: decided, never remembered
    from[i] = pending_.size();
    pending_.push_back(r);
    pending_at_.push_back(i);
    ++misses_;
  }
  if (!pending_.empty()) {
    OEP_RETURN_IF_ERROR(engine.Decide(pending_, pending_out_));
    if (answers_.size() + pending_.size() > capacity_) answers_.clear();
    for (size_t k = 0; k < pending_.size(); ++k) {
      size_t i = pending_at_[k];
      if (!keys_[i].empty()) answers_.emplace(keys_[i], pending_out_[k]);
    }
  }
  // In index order: a pending request takes its own answer; a later one with the same key
  // copies it from the earlier request's slot, filled before it.
  for (size_t i = 0; i < requests.size(); ++i) {
    if (from[i] == kAnswered) continue;
    size_t owner = pending_at_[from[i]];
    if (owner == i) {
      out[i] = std::move(pending_out_[from[i]]);
    } else {
      out[i] = out[owner];
    }
  }
  return Status::Ok();
}

}  // namespace oep
