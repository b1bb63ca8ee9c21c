// Webhook deliveries to a real HTTP receiver on loopback: signatures the receiver verifies,
// order, retries on 500 with backoff, giving up, a full queue recorded without blocking.
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <httplib.h>

#include "server/webhook_dispatcher.h"

using namespace oep;
using namespace oep::server;
using namespace std::chrono_literals;

namespace {

int64_t NowUnix() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A receiver on 127.0.0.1: answers statuses[i] to the i-th request (then the last one),
// verifying each signature with `secret`.
struct Receiver {
  httplib::Server http;
  std::thread thread;
  int port = 0;
  std::mutex mutex;
  std::vector<int> statuses{200};
  std::vector<std::string> bodies, deliveries, verdicts;
  std::atomic<bool> hold{false};
  std::atomic<int> entered{0};  // requests that reached the handler
  std::string secret;

  explicit Receiver(std::string s) : secret(std::move(s)) {
    http.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      ++entered;
      while (hold) std::this_thread::sleep_for(1ms);
      std::lock_guard<std::mutex> lock(mutex);
      Status verdict = VerifyWebhookSignature(secret, req.get_header_value("X-Oep-Timestamp"), req.body,
                                              req.get_header_value("X-Oep-Signature"), NowUnix());
      verdicts.push_back(verdict.ok() ? "ok" : verdict.message());
      bodies.push_back(req.body);
      deliveries.push_back(req.get_header_value("X-Oep-Delivery") + " " + req.get_header_value("X-Oep-Event"));
      size_t i = bodies.size() - 1;
      res.status = statuses[std::min(i, statuses.size() - 1)];
      res.set_content("{}", "application/json");
    });
    port = http.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { http.listen_after_bind(); });
    while (!http.is_running()) std::this_thread::sleep_for(1ms);
  }
  ~Receiver() {
    hold = false;
    http.stop();
    thread.join();
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port) + "/hook"; }
};

struct Log {
  std::mutex mutex;
  std::vector<WebhookAttempt> lines;
  std::function<void(const WebhookAttempt&)> Sink() {
    return [this](const WebhookAttempt& a) {
      std::lock_guard<std::mutex> lock(mutex);
      lines.push_back(a);
    };
  }
};

WebhookDispatcherOptions Fast(Log& log) {
  WebhookDispatcherOptions o;
  o.initial_backoff = 10ms;
  o.max_backoff = 40ms;
  o.max_attempts = 4;
  o.timeout_seconds = 2;
  o.on_attempt = log.Sink();
  return o;
}

}  // namespace

TEST_CASE("webhook signatures: HMAC-SHA256 over timestamp.body, checked in the replay window", "[webhooks]") {
  std::string sig = WebhookSignature("s3cret", "1700000000", "{\"a\":1}");
  CHECK(sig.rfind("v1=", 0) == 0);
  CHECK(sig.size() == 3 + 64);
  CHECK(WebhookSignature("s3cret", "1700000000", "{\"a\":1}") == sig);
  CHECK(WebhookSignature("other", "1700000000", "{\"a\":1}") != sig);
  CHECK(VerifyWebhookSignature("s3cret", "1700000000", "{\"a\":1}", sig, 1700000100).ok());
  CHECK(VerifyWebhookSignature("s3cret", "1700000000", "{\"a\":2}", sig, 1700000100).message() ==
        "X-Oep-Signature: does not match the body and timestamp");
  CHECK(VerifyWebhookSignature("s3cret", "1700000000", "{\"a\":1}", sig, 1700000301).message() ==
        "X-Oep-Timestamp: 1700000000 is outside the replay window of 300 s");
  CHECK(VerifyWebhookSignature("s3cret", "1700000000", "{\"a\":1}", sig, 1699999600).message().find("replay window") !=
        std::string::npos);
  CHECK(VerifyWebhookSignature("s3cret", "17e8", "{\"a\":1}", sig, 1700000000).message() ==
        "X-Oep-Timestamp: expected unix seconds");
  CHECK(!VerifyWebhookSignature("s3cret", "1700000000", "{\"a\":1}", "v1=00", 1700000000).ok());
}

TEST_CASE("webhook deliveries arrive signed and in order", "[webhooks]") {
  Receiver receiver("k1");
  Log log;
  {
    WebhookDispatcher dispatcher(Fast(log));
    for (int i = 0; i < 5; ++i) {
      CHECK(dispatcher.Enqueue({"whs_1", receiver.Url(), "k1"},
                               {"dlv_" + std::to_string(i), "violation", "{\"n\":" + std::to_string(i) + "}"}));
    }
    dispatcher.Drain();
  }
  REQUIRE(receiver.bodies.size() == 5);
  for (int i = 0; i < 5; ++i) {
    CHECK(receiver.bodies[i] == "{\"n\":" + std::to_string(i) + "}");
    CHECK(receiver.deliveries[i] == "dlv_" + std::to_string(i) + " violation");
    CHECK(receiver.verdicts[i] == "ok");
  }
  REQUIRE(log.lines.size() == 5);
  for (const auto& l : log.lines) {
    CHECK(l.outcome == "delivered");
    CHECK(l.http_status == 200);
    CHECK(l.attempt == 1);
  }
}

TEST_CASE("a receiver answering 500 gets retries with doubling backoff, then the delivery", "[webhooks]") {
  Receiver receiver("k2");
  receiver.statuses = {500, 503, 200};
  Log log;
  {
    WebhookDispatcher dispatcher(Fast(log));
    REQUIRE(dispatcher.Enqueue({"whs_2", receiver.Url(), "k2"}, {"dlv_a", "run.finished", "{\"run\":1}"}));
    dispatcher.Drain();
  }
  REQUIRE(log.lines.size() == 3);
  CHECK(log.lines[0].outcome == "retrying");
  CHECK(log.lines[0].http_status == 500);
  CHECK(log.lines[0].next_delay == 10ms);
  CHECK(log.lines[1].outcome == "retrying");
  CHECK(log.lines[1].http_status == 503);
  CHECK(log.lines[1].next_delay == 20ms);
  CHECK(log.lines[2].outcome == "delivered");
  CHECK(log.lines[2].attempt == 3);
  REQUIRE(receiver.deliveries.size() == 3);
  for (const auto& d : receiver.deliveries) CHECK(d == "dlv_a run.finished");  // one delivery id for every retry
  for (const auto& v : receiver.verdicts) CHECK(v == "ok");  // each attempt signed anew
}

TEST_CASE("a delivery is given up after max_attempts and the next one still goes, in order", "[webhooks]") {
  Receiver receiver("k3");
  receiver.statuses = {500, 500, 500, 500, 200};
  Log log;
  {
    WebhookDispatcher dispatcher(Fast(log));
    REQUIRE(dispatcher.Enqueue({"whs_3", receiver.Url(), "k3"}, {"dlv_1", "violation", "{\"n\":1}"}));
    REQUIRE(dispatcher.Enqueue({"whs_3", receiver.Url(), "k3"}, {"dlv_2", "violation", "{\"n\":2}"}));
    dispatcher.Drain();
  }
  REQUIRE(log.lines.size() == 5);
  for (int i = 0; i < 3; ++i) CHECK(log.lines[i].outcome == "retrying");
  CHECK(log.lines[3].outcome == "gave_up");
  CHECK(log.lines[3].attempt == 4);
  CHECK(log.lines[3].delivery_id == "dlv_1");
  CHECK(log.lines[2].next_delay == 40ms);  // 10, 20, 40 (the cap)
  CHECK(log.lines[4].delivery_id == "dlv_2");
  CHECK(log.lines[4].outcome == "delivered");
}

TEST_CASE("no receiver: each attempt records the transport error", "[webhooks]") {
  int port;
  {
    Receiver gone("x");
    port = gone.port;
  }
  Log log;
  auto options = Fast(log);
  options.max_attempts = 2;
  {
    WebhookDispatcher dispatcher(options);
    REQUIRE(dispatcher.Enqueue({"whs_4", "http://127.0.0.1:" + std::to_string(port) + "/hook", "k"}, {"dlv", "violation", "{}"}));
    REQUIRE(dispatcher.Enqueue({"whs_5", "ftp://example/hook", "k"}, {"dlv2", "violation", "{}"}));
    dispatcher.Drain();
  }
  REQUIRE(log.lines.size() == 4);
  CHECK(log.lines[0].http_status == 0);
  CHECK(!log.lines[0].error.empty());
  CHECK(log.lines[1].outcome == "gave_up");
  CHECK(log.lines[3].error == "url ftp://example/hook: expected http:// or https://");
}

TEST_CASE("a full queue refuses at once and records it, the caller never waits", "[webhooks]") {
  Receiver receiver("k6");
  receiver.hold = true;  // the first delivery stays in flight
  Log log;
  auto options = Fast(log);
  options.queue_capacity = 2;
  {
    WebhookDispatcher dispatcher(options);
    REQUIRE(dispatcher.Enqueue({"whs_6", receiver.Url(), "k6"}, {"d0", "violation", "{}"}));
    while (receiver.entered == 0) std::this_thread::sleep_for(1ms);  // d0 is in flight, off the queue
    CHECK(dispatcher.Enqueue({"whs_6", receiver.Url(), "k6"}, {"d1", "violation", "{}"}));
    CHECK(dispatcher.Enqueue({"whs_6", receiver.Url(), "k6"}, {"d2", "violation", "{}"}));
    // Returns while d0 is still held by the receiver: a refusal, not a wait for room.
    CHECK(!dispatcher.Enqueue({"whs_6", receiver.Url(), "k6"}, {"d3", "violation", "{}"}));
    {
      std::lock_guard<std::mutex> lock(log.mutex);
      REQUIRE(log.lines.size() == 1);
      CHECK(log.lines[0].outcome == "queue_full");
      CHECK(log.lines[0].delivery_id == "d3");
    }
    receiver.hold = false;
    dispatcher.Drain();
  }
  REQUIRE(receiver.deliveries.size() == 3);
  CHECK(receiver.deliveries[2] == "d2 violation");
}
