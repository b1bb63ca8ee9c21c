// The serve config's per-tenant retention applied by the server itself, at start and then
// every options.retention_interval (see api.h).
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include "retention/retention.h"
#include "server/api.h"
#include "util/time_syntax.h"

namespace oep::server {

class RetentionSchedule {
 public:
  RetentionSchedule(Context& ctx, int64_t interval_seconds) : ctx_(ctx), interval_(interval_seconds) {
    thread_ = std::thread([this] { Loop(); });
  }
  ~RetentionSchedule() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      lock.unlock();
      ApplyAll();
      lock.lock();
      wake_.wait_for(lock, std::chrono::seconds(interval_), [this] { return stop_; });
    }
  }

  // Each configured tenant in its own batch; a failure is reported and the others go on.
  void ApplyAll() {
    for (const auto& [tenant, setting] : ctx_.options.retention) {
      std::string where = "retention." + tenant;
      auto policy = ParseRetentionPolicy(setting.older_than, setting.audit_older_than, where + ".older_than",
                                         where + ".audit_older_than");
      Result<RetentionResult> result = policy.status();
      if (policy.ok()) {
        std::lock_guard<std::mutex> store_lock(ctx_.mutex);
        if (!ctx_.store) return;
        ctx_.store->ReleaseReadSnapshot();
        ctx_.store->ScopeToTenant(tenant);
        RetentionOptions options;
        options.policy = *policy;
        options.now_unix_seconds = UnixNow();
        options.actor = "serve:retention_interval";
        result = ApplyRetention(*ctx_.store, options);
      }
      if (result.ok()) {
        std::fprintf(stderr, "oep serve: scheduled %s\n", result->Render().c_str());
      } else {
        std::fprintf(stderr, "oep serve: scheduled retention of tenant %s: %s\n", tenant.c_str(),
                     result.status().message().c_str());
      }
    }
  }

  Context& ctx_;
  int64_t interval_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

Context::Context() = default;
Context::~Context() = default;  // stops the schedule first: it is the last member

void StartRetentionSchedule(Context& ctx) {
  auto interval = ParseRetentionInterval("--retention-interval", ctx.options.retention_interval);
  if (!interval.ok() || *interval == 0 || ctx.options.retention.empty()) return;
  ctx.retention_schedule = std::make_unique<RetentionSchedule>(ctx, *interval);
}

void StopRetentionSchedule(Context& ctx) { ctx.retention_schedule.reset(); }

}  // namespace oep::server
