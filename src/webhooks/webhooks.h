// Webhooks of `oep serve`: a tenant's subscriptions to events, and the delivery log. Both
// are append-only artifacts of store format 6 on the store's ledger chain, in the scoped
// tenant: a subscription (oep.webhook_subscription.v0) is ended by a removal with its id
// (oep.webhook_removal.v0); every delivery attempt, and every delivery a full queue
// refused, is one oep.webhook_attempt.v0 record. Posting and signing are the server's
// (src/server/webhook_dispatcher.h); this module decides what is sent to whom and records it.
//
// Signing secrets are never stored: a subscription records only the id of the webhook key
// (an Ed25519 private key file outside the store, the same on every server of the store)
// its secret is derived from (secret_key_id), and whoever holds that key derives the secret
// again (WebhookSecrets). Subscriptions stored before this (their record holds
// `secret`) keep working with that secret and are marked secret_in_store.
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

// The signing secrets of one webhook key: secret = "whsec_" + hex HMAC-SHA256(K, tenant "\n"
// subscription_id), K = HKDF-SHA256 of the Ed25519 private key, info "oep webhook secrets v1".
class WebhookSecrets {
 public:
  // From an Ed25519 private key file (oep keys generate; `oep serve --webhook-key`).
  static Result<WebhookSecrets> FromKeyFile(const std::string& key_path);
  const std::string& key_id() const { return key_id_; }  // KeyIdOf the key's public key
  std::string SecretFor(std::string_view tenant, std::string_view subscription_id) const;

 private:
  std::string key_id_, prf_key_;
};

struct WebhookSubscription {
  std::string subscription_id;  // whk_<16 hex>
  std::string url, created_at, created_by;
  std::vector<std::string> events;
  std::string removed_at;  // "" while active
  std::string secret_key_id;  // the webhook key the secret is derived from ("" when stored)
  bool secret_in_store = false;  // an older record holding its secret in plain text
  // The signing secret: filled when the record holds it or the reader was given the
  // secrets of secret_key_id; else "" and secret_error says why it cannot be derived.
  std::string secret, secret_error;
};

struct WebhookSubscriptionSpec {
  std::string url;
  std::string events;  // comma-separated event names
  std::string created_by;
};

// Stores a new subscription with a random id in one batch; its secret, derived by `secrets`,
// is returned (the only time it is shown) and not stored. InvalidArgument, with nothing stored, for "--url: ..." (not
// http:// or https://host[:port][/path], credentials in it, spaces, past 2048 bytes) or
// "--events: ..." (empty, an unknown name, a repeated one).
Result<WebhookSubscription> AddWebhookSubscription(Store& store, const WebhookSubscriptionSpec& spec, const WebhookSecrets& secrets);

// Ends a subscription: true when removed now, false when it was removed before. NotFound
// (nothing stored) when the scoped tenant has no subscription of that id.
Result<bool> RemoveWebhookSubscription(Store& store, const std::string& subscription_id, const std::string& removed_by);

// The scoped tenant's subscriptions, removed ones included, by creation time then id;
// secrets are not derived (only those stored in older records are filled).
Result<std::vector<WebhookSubscription>> ListWebhookSubscriptions(Store& store);
// The active subscriptions of the scoped tenant that name `event`, with their secrets
// derived by `secrets` (see WebhookSubscription::secret_error for those it cannot derive;
// nullptr: no webhook key, none can be derived).
Result<std::vector<WebhookSubscription>> WebhookSubscriptionsFor(Store& store, std::string_view event, const WebhookSecrets* secrets);

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
  // delivered | retrying | gave_up | queue_full | not_sent (the server stopped first) |
  // no_secret (the secret is derived from a webhook key this server does not hold: never sent)
  std::string outcome;
  std::chrono::milliseconds next_delay{0};  // retrying: the wait before the next attempt
};

// Stores the lines (each in the scoped tenant, whatever its `tenant` says) in one batch;
// attempt ids are "<delivery id>.<attempt>", so a line recorded twice is stored once.
Status RecordWebhookAttempts(Store& store, const std::vector<WebhookAttempt>& attempts);
// The scoped tenant's delivery log (of one subscription when `subscription_id` is not
// empty), oldest first (by time, then id).
Result<std::vector<StoredArtifact>> ListWebhookAttempts(Store& store, const std::string& subscription_id);

}  // namespace oep
