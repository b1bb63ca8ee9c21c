#include "server/webhook_dispatcher.h"

#include <algorithm>
#include <memory>

#include <httplib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace oep::server {

std::string WebhookSignature(std::string_view secret, std::string_view timestamp, std::string_view body) {
  std::string text;
  text.reserve(timestamp.size() + 1 + body.size());
  text.append(timestamp).append(".").append(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(text.data()),
       text.size(), mac, &n);
  static const char* kHex = "0123456789abcdef";
  std::string out = "v1=";
  for (unsigned int i = 0; i < n; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 15];
  }
  return out;
}

Status VerifyWebhookSignature(std::string_view secret, std::string_view timestamp, std::string_view body,
                              std::string_view signature, int64_t now_unix, int64_t window_seconds) {
  if (timestamp.empty() || timestamp.size() > 18 || timestamp.find_first_not_of("0123456789") != std::string_view::npos) {
    return Status::InvalidArgument("X-Oep-Timestamp: expected unix seconds");
  }
  int64_t at = std::stoll(std::string(timestamp));
  if (at < now_unix - window_seconds || at > now_unix + window_seconds) {
    return Status::InvalidArgument("X-Oep-Timestamp: " + std::string(timestamp) + " is outside the replay window of " +
                                   std::to_string(window_seconds) + " s");
  }
  std::string expected = WebhookSignature(secret, timestamp, body);
  if (signature.size() != expected.size() || CRYPTO_memcmp(signature.data(), expected.data(), expected.size()) != 0) {
    return Status::InvalidArgument("X-Oep-Signature: does not match the body and timestamp");
  }
  return Status::Ok();
}

WebhookDispatcher::WebhookDispatcher(WebhookDispatcherOptions options) : options_(std::move(options)) {
  worker_ = std::thread([this] { Run(); });
}

WebhookDispatcher::~WebhookDispatcher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  worker_.join();
  if (!options_.on_attempt) return;
  for (const Item& item : queue_) {
    options_.on_attempt({item.target.tenant, item.target.subscription_id, item.message.delivery_id,
                         item.message.event_type, 0, 0, "the server stopped before it was sent", "not_sent",
                         std::chrono::milliseconds(0)});
  }
}

bool WebhookDispatcher::Enqueue(const WebhookTarget& target, WebhookMessage message) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (queue_.size() < options_.queue_capacity) {
      queue_.push_back({target, std::move(message)});
      wake_.notify_one();
      return true;
    }
  }
  if (options_.on_attempt) {
    options_.on_attempt({target.tenant, target.subscription_id, message.delivery_id, message.event_type, 0, 0,
                         "the delivery queue is full (" + std::to_string(options_.queue_capacity) + ")", "queue_full",
                         std::chrono::milliseconds(0)});
  }
  return false;
}

void WebhookDispatcher::Drain() {
  std::unique_lock<std::mutex> lock(mutex_);
  idle_.wait(lock, [this] { return (queue_.empty() && !busy_) || stopping_; });
}

void WebhookDispatcher::Run() {
  for (;;) {
    Item item;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      busy_ = false;
      idle_.notify_all();
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      item = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    if (!Deliver(item)) return;
  }
}

namespace {

struct Url {
  std::string origin, path;  // "http://host:port", "/path?query"
};

Result<Url> SplitUrl(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos || (url.compare(0, scheme, "http") != 0 && url.compare(0, scheme, "https") != 0)) {
    return Status::InvalidArgument("url " + url + ": expected http:// or https://");
  }
  size_t path = url.find('/', scheme + 3);
  if (path == std::string::npos) return Url{url, "/"};
  return Url{url.substr(0, path), url.substr(path)};
}

}  // namespace

bool WebhookDispatcher::Deliver(const Item& item) {
  auto url = SplitUrl(item.target.url);
  std::chrono::milliseconds delay = options_.initial_backoff;
  for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
    WebhookAttempt log{item.target.tenant, item.target.subscription_id, item.message.delivery_id, item.message.event_type, attempt, 0, "", "",
                       std::chrono::milliseconds(0)};
    if (!url.ok()) {
      log.error = url.status().message();
    } else {
      httplib::Client client(url->origin);
      client.set_connection_timeout(options_.timeout_seconds, 0);
      client.set_read_timeout(options_.timeout_seconds, 0);
      client.set_write_timeout(options_.timeout_seconds, 0);
      std::string timestamp = std::to_string(
          std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
      httplib::Headers headers = {{"X-Oep-Event", item.message.event_type},
                                  {"X-Oep-Delivery", item.message.delivery_id},
                                  {"X-Oep-Timestamp", timestamp},
                                  {"X-Oep-Signature", WebhookSignature(item.target.secret, timestamp, item.message.body)}};
      auto res = client.Post(url->path, headers, item.message.body, "application/json");
      if (res) {
        log.http_status = res->status;
      } else {
        log.error = httplib::to_string(res.error());
      }
    }
    bool ok = log.http_status >= 200 && log.http_status < 300;
    bool last = attempt == options_.max_attempts;
    log.outcome = ok ? "delivered" : (last ? "gave_up" : "retrying");
    if (!ok && !last) log.next_delay = delay;
    if (options_.on_attempt) options_.on_attempt(log);
    if (ok || last) return true;
    std::unique_lock<std::mutex> lock(mutex_);
    if (wake_.wait_for(lock, delay, [this] { return stopping_; })) return false;
    delay = std::min(delay * 2, options_.max_backoff);
  }
  return true;
}

}  // namespace oep::server
