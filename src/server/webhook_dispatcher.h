// Signed webhook deliveries: the signature a receiver checks, and a dispatcher that posts
// queued deliveries in order with retries, never blocking the caller.
//
// A delivery is an HTTP POST of a JSON body with the headers
//   X-Oep-Event: <event type>          (violation, approval.requested, run.finished)
//   X-Oep-Delivery: <delivery id>      (the same on every retry: receivers deduplicate by it)
//   X-Oep-Timestamp: <unix seconds>    (when this attempt was signed)
//   X-Oep-Signature: v1=<hex>          (HMAC-SHA256 with the subscription's secret over
//                                       "<timestamp>.<body>")
// A receiver recomputes the signature over the raw body, compares in constant time, and
// refuses timestamps more than its replay window (default 300 s) from its clock
// (VerifyWebhookSignature).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "util/status.h"
#include "webhooks/webhooks.h"

namespace oep::server {

// "v1=" + lowercase hex HMAC-SHA256(secret, timestamp + "." + body).
std::string WebhookSignature(std::string_view secret, std::string_view timestamp, std::string_view body);

// The documented receiver check. InvalidArgument "X-Oep-Timestamp: ..." for a timestamp
// that is not decimal seconds or lies outside now_unix +- window_seconds, "X-Oep-Signature:
// ..." for a signature that does not match.
Status VerifyWebhookSignature(std::string_view secret, std::string_view timestamp, std::string_view body,
                              std::string_view signature, int64_t now_unix, int64_t window_seconds = 300);

struct WebhookTarget {
  std::string subscription_id;
  std::string url;  // http://host[:port]/path or https://...
  std::string secret;
  std::string tenant;  // the subscription's, carried into its log lines
};

struct WebhookMessage {
  std::string delivery_id, event_type, body;
};

struct WebhookDispatcherOptions {
  size_t queue_capacity = 1024;  // deliveries waiting; past it Enqueue refuses (queue_full)
  int max_attempts = 6;          // then gave_up
  std::chrono::milliseconds initial_backoff{500};  // doubled after each failed attempt...
  std::chrono::milliseconds max_backoff{60000};    // ...up to this
  int timeout_seconds = 10;      // connect, read and write, per attempt
  // Called for every log line (src/webhooks WebhookAttempt): on the dispatcher's thread,
  // on Enqueue's for queue_full, on the destructor's for not_sent.
  std::function<void(const WebhookAttempt&)> on_attempt;
};

// One worker thread posts deliveries first in, first out: a subscription's deliveries
// arrive in the order they were queued, and a delivery being retried holds back those
// queued after it. A 2xx answer is delivered; anything else (or no answer) is retried after
// initial_backoff * 2^(attempt-1), capped, until max_attempts.
class WebhookDispatcher {
 public:
  explicit WebhookDispatcher(WebhookDispatcherOptions options);
  // Stops after the attempt in flight; what is still queued is not sent (a not_sent line each).
  ~WebhookDispatcher();
  WebhookDispatcher(const WebhookDispatcher&) = delete;
  WebhookDispatcher& operator=(const WebhookDispatcher&) = delete;

  // Queues without waiting; false (and a queue_full log line) when the queue is full.
  bool Enqueue(const WebhookTarget& target, WebhookMessage message);
  // Waits until the queue is empty and nothing is in flight (for tests and shutdown).
  void Drain();

 private:
  struct Item {
    WebhookTarget target;
    WebhookMessage message;
  };
  void Run();
  bool Deliver(const Item& item);  // false: stopping

  WebhookDispatcherOptions options_;
  std::mutex mutex_;
  std::condition_variable wake_, idle_;
  std::deque<Item> queue_;
  bool busy_ = false, stopping_ = false;
  std::thread worker_;
};

}  // namespace oep::server
