// Webhooks of `oep serve`: a tenant's subscriptions to events, and the delivery log. Both
// are append-only artifacts of store format 6 on the store's ledger chain, in the scoped
// tenant: a subscription (oep.webhook_subscription.v0) is ended by a removal with its id
// (oep.webhook_removal.v0); every delivery attempt, and every delivery a full queue
// refused, is one oep.webhook_attempt.v0 record. Posting and signing are the server's
// (src/server/webhook_dispatcher.h); this module decides what is sent to whom and records it.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "store/store.h"
#include "util/status.h"

namespace oep {

// The events a subscription may name: violation, approval.requested, run.finished.
const std::vector<std::string>& WebhookEventNames();

struct WebhookSubscription {
  std::string subscription_id;  // whk_<16 hex>
  std::string url, secret, created_at, created_by;
  std::vector<std::string> events;
  std::string removed_at;  // "" while active
};

struct WebhookSubscriptionSpec {
  std::string url;
  std::string events;  // comma-separated event names
  std::string created_by;
};

// Stores a new subscription with a random id and secret (returned: the only time the
// secret is shown) in one batch. InvalidArgument, with nothing stored, for "--url: ..." (not
// http:// or https://host[:port][/path], credentials in it, spaces, past 2048 bytes) or
// "--events: ..." (empty, an unknown name, a repeated one).
Result<WebhookSubscription> AddWebhookSubscription(Store& store, const WebhookSubscriptionSpec& spec);

// Ends a subscription: true when removed now, false when it was removed before. NotFound
// (nothing stored) when the scoped tenant has no subscription of that id.
Result<bool> RemoveWebhookSubscription(Store& store, const std::string& subscription_id, const std::string& removed_by);

// The scoped tenant's subscriptions, removed ones included, by creation time then id.
Result<std::vector<WebhookSubscription>> ListWebhookSubscriptions(Store& store);
// The active subscriptions of the scoped tenant that name `event`.
Result<std::vector<WebhookSubscription>> WebhookSubscriptionsFor(Store& store, std::string_view event);

// A new delivery id: dlv_<32 hex>, the same on every attempt of a delivery.
Result<std::string> NewWebhookDeliveryId();
// A delivery's body, canonical JSON:
//   {"delivery_id", "event", "tenant", "created_at", "data": <the event's object>}
// data: violation: the violation record; approval.requested: the approval request;
// run.finished: the run as GET /v1/runs/{id} returns it.
std::string WebhookDeliveryBody(const std::string& delivery_id, const std::string& event, const std::string& tenant,
                                const std::string& created_at, const rapidjson::Value& data);

// One line of the delivery log.
struct WebhookAttempt {
  std::string tenant, subscription_id, delivery_id, event_type;
  int attempt = 0;      // 1-based; 0 for queue_full and not_sent
  int http_status = 0;  // 0 when no response (connection refused, timeout)
  std::string error;    // the transport error, or "" when a response came
  std::string outcome;  // delivered | retrying | gave_up | queue_full | not_sent (the server stopped first)
  std::chrono::milliseconds next_delay{0};  // retrying: the wait before the next attempt
};

// Stores the lines (each in the scoped tenant, whatever its `tenant` says) in one batch;
// attempt ids are "<delivery id>.<attempt>", so a line recorded twice is stored once.
Status RecordWebhookAttempts(Store& store, const std::vector<WebhookAttempt>& attempts);
// The scoped tenant's delivery log (of one subscription when `subscription_id` is not
// empty), oldest first (by time, then id).
Result<std::vector<StoredArtifact>> ListWebhookAttempts(Store& store, const std::string& subscription_id);

}  // namespace oep
