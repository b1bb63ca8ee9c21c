// The server's webhook events: subscriptions read from the store, deliveries queued on the
// dispatcher, every attempt recorded in the store's delivery log (see api.h).
#include <cstdio>

#include "audit/audit.h"
#include "server/api.h"
#include "webhooks/webhooks.h"

namespace oep::server {
namespace {

void Report(const WebhookAttempt& a) {
  std::string status = a.http_status ? "HTTP " + std::to_string(a.http_status) : a.error;
  std::fprintf(stderr, "oep serve: webhook %s %s %s (tenant %s) attempt %d: %s, %s\n", a.subscription_id.c_str(),
               a.delivery_id.c_str(), a.event_type.c_str(), a.tenant.c_str(), a.attempt, status.c_str(), a.outcome.c_str());
}

void Record(Store& store, const WebhookAttempt& a) {
  Status s = RecordWebhookAttempts(store, {a});
  if (!s.ok()) std::fprintf(stderr, "oep serve: webhook delivery log (tenant %s): %s\n", a.tenant.c_str(), s.message().c_str());
}

}  // namespace

Status StartWebhooks(Context& ctx) {
  std::string sqlite_file = SqliteFilePath(ctx.options.state_path);
  if (!ctx.options.webhook_key.empty() || !sqlite_file.empty()) {  // PostgreSQL without a key: deliveries log no_secret
    auto key = ResolveStoreKey(ctx.options.webhook_key, sqlite_file, kWebhookKeyFile, "oep serve");
    if (!key.ok()) return key.status();
    auto secrets = WebhookSecrets::FromKeyFile(*key);
    if (!secrets.ok()) return secrets.status().WithContext("--webhook-key " + *key);
    ctx.webhook_secrets = std::move(*secrets);
  }
  WebhookDispatcherOptions o;
  o.queue_capacity = std::max<size_t>(1, ctx.options.webhook_queue_capacity);
  o.max_attempts = std::max(1, ctx.options.webhook_max_attempts);
  o.initial_backoff = std::chrono::milliseconds(std::max(1, ctx.options.webhook_initial_backoff_ms));
  o.on_attempt = [&ctx](const WebhookAttempt& a) {
    Report(a);
    if (a.outcome == "queue_full") return;  // EmitWebhookEvent records it (its caller holds the lock)
    std::lock_guard<std::mutex> lock(ctx.mutex);
    if (!ctx.store) return;
    ctx.store->ReleaseReadSnapshot();
    ctx.store->ScopeToTenant(a.tenant);  // each request scopes the store again
    Record(*ctx.store, a);
  };
  ctx.webhooks = std::make_unique<WebhookDispatcher>(std::move(o));
  return Status::Ok();
}

void StopWebhooks(Context& ctx) { ctx.webhooks.reset(); }

void EmitWebhookEvents(Context& ctx, Store& store, const std::string& event, std::span<const rapidjson::Document> data) {
  if (!ctx.webhooks || data.empty()) return;
  auto subscriptions = WebhookSubscriptionsFor(store, event, ctx.webhook_secrets ? &*ctx.webhook_secrets : nullptr);
  if (!subscriptions.ok()) {
    std::fprintf(stderr, "oep serve: webhooks for %s (tenant %s): %s\n", event.c_str(), store.tenant().c_str(),
                 subscriptions.status().message().c_str());
    return;
  }
  for (const rapidjson::Document& item : data) {
    for (const auto& sub : *subscriptions) {
      auto id = NewWebhookDeliveryId();
      if (!id.ok()) continue;
      if (sub.secret.empty()) {
        Record(store, {store.tenant(), sub.subscription_id, *id, event, 0, 0, sub.secret_error, "no_secret", std::chrono::milliseconds(0)});
        continue;
      }
      std::string body = WebhookDeliveryBody(*id, event, store.tenant(), NowUtcMicros(), item);
      if (!ctx.webhooks->Enqueue({sub.subscription_id, sub.url, sub.secret, store.tenant()}, {*id, event, std::move(body)})) {
        Record(store, {store.tenant(), sub.subscription_id, *id, event, 0, 0, "the delivery queue is full", "queue_full",
                       std::chrono::milliseconds(0)});
      }
    }
  }
}

}  // namespace oep::server
