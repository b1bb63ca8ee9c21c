#include "server/anonymous_refusals.h"

namespace oep::server {

bool AnonymousRefusals::Admit(const std::string& reason, const std::string& remote, int64_t now_us,
                              std::vector<RefusalSummary>* due) {
  if (window_start_us_ < 0 || now_us - window_start_us_ >= window_us_ || now_us < window_start_us_) {
    for (auto& s : Drain()) due->push_back(std::move(s));
    window_start_us_ = now_us;
    recorded_ = 0;
  }
  if (recorded_ < budget_) {
    ++recorded_;
    return true;
  }
  Pending& p = pending_[reason];
  if (p.summary.count == 0) {
    p.summary.reason = reason;
    p.summary.first_us = now_us;
  }
  ++p.summary.count;
  p.summary.last_us = now_us;
  if (p.addresses.size() < kMaxAddresses) p.addresses.insert(remote);
  else if (!p.addresses.count(remote)) p.summary.more_addresses = true;
  return false;
}

std::vector<RefusalSummary> AnonymousRefusals::Drain() {
  std::vector<RefusalSummary> out;
  for (auto& [reason, p] : pending_) {
    p.summary.addresses = static_cast<int64_t>(p.addresses.size());
    out.push_back(std::move(p.summary));
  }
  pending_.clear();
  return out;
}

}  // namespace oep::server
