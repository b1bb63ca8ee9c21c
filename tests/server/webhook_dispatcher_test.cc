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
#include "server/webhook_receiver.h"

using namespace oep;
using namespace oep::server;
using oep::test::WebhookReceiver;
using namespace std::chrono_literals;

namespace {

int64_t NowUnix() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// What a receiver got: bodies, "<delivery id> <event>" lines, and each signature checked
// with `secret` ("ok" or the check's message).
std::vector<std::string> Bodies(WebhookReceiver& r) {
  std::vector<std::string> out;
  for (const auto& h : r.Received()) out.push_back(h.body);
  return out;
}
std::vector<std::string> Deliveries(WebhookReceiver& r) {
  std::vector<std::string> out;
  for (const auto& h : r.Received()) out.push_back(h.delivery + " " + h.event);
  return out;
}
std::vector<std::string> Verdicts(WebhookReceiver& r, const std::string& secret) {
  std::vector<std::string> out;
  for (const auto& h : r.Received()) {
    Status v = VerifyWebhookSignature(secret, h.timestamp, h.body, h.signature, NowUnix());
    out.push_back(v.ok() ? "ok" : v.message());
  }
  return out;
}

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
  WebhookReceiver receiver;
  Log log;
  {
    WebhookDispatcher dispatcher(Fast(log));
    for (int i = 0; i < 5; ++i) {
      CHECK(dispatcher.Enqueue({"whs_1", receiver.Url(), "k1", "default"},
                               {"dlv_" + std::to_string(i), "violation", "{\"n\":" + std::to_string(i) + "}"}));
    }
    dispatcher.Drain();
  }
  auto bodies = Bodies(receiver), deliveries = Deliveries(receiver), verdicts = Verdicts(receiver, "k1");
  REQUIRE(bodies.size() == 5);
  for (int i = 0; i < 5; ++i) {
    CHECK(bodies[i] == "{\"n\":" + std::to_string(i) + "}");
    CHECK(deliveries[i] == "dlv_" + std::to_string(i) + " violation");
    CHECK(verdicts[i] == "ok");
  }
  REQUIRE(log.lines.size() == 5);
  for (const auto& l : log.lines) {
    CHECK(l.outcome == "delivered");
    CHECK(l.http_status == 200);
    CHECK(l.attempt == 1);
  }
}

TEST_CASE("a receiver answering 500 gets retries with doubling backoff, then the delivery", "[webhooks]") {
  WebhookReceiver receiver({500, 503, 200});
  Log log;
  {
    WebhookDispatcher dispatcher(Fast(log));
    REQUIRE(dispatcher.Enqueue({"whs_2", receiver.Url(), "k2", "default"}, {"dlv_a", "run.finished", "{\"run\":1}"}));
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
  REQUIRE(Deliveries(receiver).size() == 3);
  for (const auto& d : Deliveries(receiver)) CHECK(d == "dlv_a run.finished");  // one delivery id for every retry
  for (const auto& v : Verdicts(receiver, "k2")) CHECK(v == "ok");  // each attempt signed anew
}

TEST_CASE("a delivery is given up after max_attempts and the next one still goes, in order", "[webhooks]") {
  WebhookReceiver receiver({500, 500, 500, 500, 200});
  Log log;
  {
    WebhookDispatcher dispatcher(Fast(log));
    REQUIRE(dispatcher.Enqueue({"whs_3", receiver.Url(), "k3", "default"}, {"dlv_1", "violation", "{\"n\":1}"}));
    REQUIRE(dispatcher.Enqueue({"whs_3", receiver.Url(), "k3", "default"}, {"dlv_2", "violation", "{\"n\":2}"}));
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
    WebhookReceiver gone;
    port = gone.port();
  }
  Log log;
  auto options = Fast(log);
  options.max_attempts = 2;
  {
    WebhookDispatcher dispatcher(options);
    REQUIRE(dispatcher.Enqueue({"whs_4", "http://127.0.0.1:" + std::to_string(port) + "/hook", "k", "default"}, {"dlv", "violation", "{}"}));
    REQUIRE(dispatcher.Enqueue({"whs_5", "ftp://example/hook", "k", "default"}, {"dlv2", "violation", "{}"}));
    dispatcher.Drain();
  }
  REQUIRE(log.lines.size() == 4);
  CHECK(log.lines[0].http_status == 0);
  CHECK(!log.lines[0].error.empty());
  CHECK(log.lines[1].outcome == "gave_up");
  CHECK(log.lines[3].error == "url ftp://example/hook: expected http:// or https://");
}

TEST_CASE("a full queue refuses at once and records it, the caller never waits", "[webhooks]") {
  WebhookReceiver receiver;
  receiver.hold = true;  // the first delivery stays in flight
  Log log;
  auto options = Fast(log);
  options.queue_capacity = 2;
  {
    WebhookDispatcher dispatcher(options);
    REQUIRE(dispatcher.Enqueue({"whs_6", receiver.Url(), "k6", "default"}, {"d0", "violation", "{}"}));
    while (receiver.entered == 0) std::this_thread::sleep_for(1ms);  // d0 is in flight, off the queue
    CHECK(dispatcher.Enqueue({"whs_6", receiver.Url(), "k6", "default"}, {"d1", "violation", "{}"}));
    CHECK(dispatcher.Enqueue({"whs_6", receiver.Url(), "k6", "default"}, {"d2", "violation", "{}"}));
    // Returns while d0 is still held by the receiver: a refusal, not a wait for room.
    CHECK(!dispatcher.Enqueue({"whs_6", receiver.Url(), "k6", "default"}, {"d3", "violation", "{}"}));
    {
      std::lock_guard<std::mutex> lock(log.mutex);
      REQUIRE(log.lines.size() == 1);
      CHECK(log.lines[0].outcome == "queue_full");
      CHECK(log.lines[0].delivery_id == "d3");
    }
    receiver.hold = false;
    dispatcher.Drain();
  }
  REQUIRE(Deliveries(receiver).size() == 3);
  CHECK(Deliveries(receiver)[2] == "d2 violation");
}

TEST_CASE("what is still queued when the dispatcher stops is logged not_sent", "[webhooks]") {
  WebhookReceiver receiver;
  receiver.hold = true;
  Log log;
  std::thread release;
  {
    WebhookDispatcher dispatcher(Fast(log));
    REQUIRE(dispatcher.Enqueue({"whs_7", receiver.Url(), "k7", "acme"}, {"d0", "violation", "{}"}));
    while (receiver.entered == 0) std::this_thread::sleep_for(1ms);
    REQUIRE(dispatcher.Enqueue({"whs_7", receiver.Url(), "k7", "acme"}, {"d1", "violation", "{}"}));
    release = std::thread([&] {
      std::this_thread::sleep_for(50ms);
      receiver.hold = false;
    });
  }  // the destructor waits for d0's attempt
  release.join();
  REQUIRE(log.lines.size() == 2);
  CHECK(log.lines[0].delivery_id == "d0");
  CHECK(log.lines[0].outcome == "delivered");
  CHECK(log.lines[1].delivery_id == "d1");
  CHECK(log.lines[1].outcome == "not_sent");
  CHECK(log.lines[1].tenant == "acme");
  CHECK(Deliveries(receiver).size() == 1);
}
