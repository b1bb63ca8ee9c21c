// Private to src/server. Refusals of callers without a valid key (no API key, an unknown or
// revoked one) are audited in the default tenant's log, which anyone who can reach the port
// can write to: this bounds what they add. In each window (60 s by default) the first
// `budget` refusals are recorded one by one; the rest are counted per reason and recorded as
// one summary per reason when the window has ended (at the next refusal) or the server stops.
// So the log grows by at most budget + reasons records per window, whatever the request rate.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace oep::server {

struct RefusalSummary {
  std::string reason;
  int64_t count = 0;       // refusals not recorded one by one
  int64_t addresses = 0;   // distinct remote addresses among them (counted up to kMaxAddresses)
  bool more_addresses = false;
  int64_t first_us = 0, last_us = 0;  // when the first and last of them came
};

class AnonymousRefusals {
 public:
  static constexpr size_t kMaxAddresses = 1000;

  explicit AnonymousRefusals(int64_t window_us = 60'000'000, int budget = 20) : window_us_(window_us), budget_(budget) {}

  // A refusal at `now_us`: true when it is to be recorded on its own. Summaries of a window
  // that has ended are appended to `due` first (the caller records them).
  bool Admit(const std::string& reason, const std::string& remote, int64_t now_us, std::vector<RefusalSummary>* due);

  // The summaries still pending (at shutdown); the counts start again.
  std::vector<RefusalSummary> Drain();

 private:
  struct Pending {
    RefusalSummary summary;
    std::set<std::string> addresses;
  };
  int64_t window_us_;
  int budget_;
  int64_t window_start_us_ = -1;
  int recorded_ = 0;  // individually, in the current window
  std::map<std::string, Pending> pending_;  // by reason
};

}  // namespace oep::server
