// A webhook receiver for the tests: a real HTTP server on 127.0.0.1 (port chosen by the
// kernel) that answers statuses[i] to the i-th POST /hook (then the last one), can hold
// requests in flight, and keeps every request's headers and body.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

namespace oep::test {

struct ReceivedHook {
  std::string event, delivery, timestamp, signature, body;
};

class WebhookReceiver {
 public:
  explicit WebhookReceiver(std::vector<int> statuses = {200}) : statuses_(std::move(statuses)) {
    http_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      ++entered;
      while (hold) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      std::lock_guard<std::mutex> lock(mutex_);
      received_.push_back({req.get_header_value("X-Oep-Event"), req.get_header_value("X-Oep-Delivery"),
                           req.get_header_value("X-Oep-Timestamp"), req.get_header_value("X-Oep-Signature"), req.body});
      res.status = statuses_[std::min(received_.size() - 1, statuses_.size() - 1)];
      res.set_content("{}", "application/json");
    });
    port_ = http_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { http_.listen_after_bind(); });
    while (!http_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~WebhookReceiver() {
    hold = false;
    http_.stop();
    thread_.join();
  }
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  int port() const { return port_; }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  std::vector<ReceivedHook> Received() {
    std::lock_guard<std::mutex> lock(mutex_);
    return received_;
  }
  // Waits up to `seconds` for `n` requests to have been answered; true when they were.
  bool WaitFor(size_t n, int seconds = 20) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < until) {
      if (Received().size() >= n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }

  std::atomic<bool> hold{false};  // requests wait in the handler while set
  std::atomic<int> entered{0};    // requests that reached the handler

 private:
  httplib::Server http_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mutex_;
  std::vector<int> statuses_;
  std::vector<ReceivedHook> received_;
};

}  // namespace oep::test
