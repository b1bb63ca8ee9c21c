#include "webhooks/webhooks.h"

#include <algorithm>
#include <map>
#include <set>

#include <openssl/hmac.h>

#include "audit/audit.h"
#include "crypto/ed25519.h"
#include "crypto/encoding.h"
#include "crypto/random.h"
#include "keys/keys.h"
#include "ingest/ingest.h"
#include "json/json.h"

namespace oep {
namespace {

using Alloc = rapidjson::Document::AllocatorType;

rapidjson::Value Str(const std::string& s, Alloc& a) {
  return rapidjson::Value(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), a);
}

Status CheckUrl(const std::string& url) {
  auto bad = [&url](const std::string& what) { return Status::InvalidArgument("--url " + url + ": " + what); };
  if (url.size() > 2048) return Status::InvalidArgument("--url: expected at most 2048 bytes, found " + std::to_string(url.size()));
  for (unsigned char c : url) {
    if (c <= 0x20 || c >= 0x7f) return bad("expected no spaces, control or non-ASCII characters");
  }
  size_t scheme = url.find("://");
  if (scheme == std::string::npos || (url.compare(0, scheme, "http") != 0 && url.compare(0, scheme, "https") != 0)) {
    return bad("expected http://HOST[:PORT][/PATH] or https://...");
  }
  size_t end = url.find_first_of("/?#", scheme + 3);
  std::string authority = url.substr(scheme + 3, end == std::string::npos ? std::string::npos : end - scheme - 3);
  if (end != std::string::npos && url[end] != '/') return bad("expected a path beginning with / after the host");
  if (authority.find('@') != std::string::npos) return bad("expected no user name or password in the URL");
  size_t colon = authority.rfind(':');
  std::string host = authority.substr(0, colon), port = colon == std::string::npos ? "" : authority.substr(colon + 1);
  if (host.empty() || (host.front() == '[') != (host.back() == ']')) return bad("expected a host");
  if (colon != std::string::npos && authority.back() != ']') {
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(port) < 1 || std::stoi(port) > 65535) {
      return bad("expected a port of 1 to 65535, found \"" + port + "\"");
    }
  }
  return Status::Ok();
}

Result<std::vector<std::string>> ParseEvents(const std::string& csv) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= csv.size()) {
    size_t comma = csv.find(',', start);
    std::string name = csv.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const auto& known = WebhookEventNames();
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      return Status::InvalidArgument("--events: unknown event \"" + name + "\"; expected violation, approval.requested, run.finished");
    }
    if (std::find(out.begin(), out.end(), name) != out.end()) {
      return Status::InvalidArgument("--events: \"" + name + "\" is named twice");
    }
    out.push_back(name);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// Stores `records` (oep's own, unredacted) in one batch.
Status StoreRecords(Store& store, const std::vector<rapidjson::Document>& records, const std::string& source) {
  auto ingester = Ingester::Begin(store);
  if (!ingester.ok()) return ingester.status();
  (*ingester)->SetRedaction(nullptr);
  for (const auto& r : records) OEP_RETURN_IF_ERROR((*ingester)->AddRecord(r, {source, 0, ""}));
  return (*ingester)->Commit();
}

// A stored subscription as its record holds it (a secret only when the record stores one).
Result<WebhookSubscription> SubscriptionOf(const StoredArtifact& row) {
  auto doc = json::Parse(row.body);
  if (!doc.ok()) return doc.status().WithContext(row.id + " as stored");
  WebhookSubscription s;
  s.subscription_id = row.id;
  s.url = json::GetString(*doc, "url");
  s.created_at = json::GetString(*doc, "created_at");
  s.created_by = json::GetString(*doc, "created_by");
  for (const auto& e : (*doc)["events"].GetArray()) s.events.emplace_back(e.GetString(), e.GetStringLength());
  s.secret_key_id = json::GetString(*doc, "secret_key_id");
  if (doc->HasMember("secret")) {
    s.secret = json::GetString(*doc, "secret");
    s.secret_in_store = true;
  }
  return s;
}

// Derives the secret of `s` (one not stored in its record) with `secrets`, or says why not.
void DeriveSecret(WebhookSubscription& s, const WebhookSecrets* secrets, const std::string& tenant) {
  if (s.secret_in_store) return;
  if (secrets && secrets->key_id() == s.secret_key_id) {
    s.secret = secrets->SecretFor(tenant, s.subscription_id);
  } else if (secrets) {
    s.secret_error = "the signing secret is derived from webhook key " + s.secret_key_id + "; this server holds key " +
                     secrets->key_id() + " (give it that key with --webhook-key, or remove the webhook and add it again)";
  } else {
    s.secret_error = "the signing secret is derived from webhook key " + s.secret_key_id +
                     "; this server has no --webhook-key (required with a PostgreSQL store)";
  }
}


constexpr std::string_view kSecretsInfo = "oep webhook secrets v1";

}  // namespace

Result<WebhookSecrets> WebhookSecrets::FromKeyFile(const std::string& key_path) {
  auto derived = crypto::DeriveKeyFromEd25519PrivateKey(key_path, kSecretsInfo);
  if (!derived.ok()) return derived.status();
  WebhookSecrets out;
  out.key_id_ = KeyIdOf(derived->public_key_hex);
  out.prf_key_ = std::move(derived->bytes);
  return out;
}

std::string WebhookSecrets::SecretFor(std::string_view tenant, std::string_view subscription_id) const {
  std::string message = std::string(tenant) + "\n" + std::string(subscription_id);
  unsigned char mac[32];
  unsigned int n = sizeof mac;
  HMAC(EVP_sha256(), prf_key_.data(), static_cast<int>(prf_key_.size()), reinterpret_cast<const unsigned char*>(message.data()),
       message.size(), mac, &n);
  return "whsec_" + crypto::HexEncode(std::string_view(reinterpret_cast<const char*>(mac), n));
}

const std::vector<std::string>& WebhookEventNames() {
  static const std::vector<std::string> names = {"violation", "approval.requested", "run.finished"};
  return names;
}

Result<WebhookSubscription> AddWebhookSubscription(Store& store, const WebhookSubscriptionSpec& spec, const WebhookSecrets& secrets) {
  OEP_RETURN_IF_ERROR(CheckUrl(spec.url));
  auto events = ParseEvents(spec.events);
  if (!events.ok()) return events.status();
  auto id = crypto::RandomHex(8);
  if (!id.ok()) return id.status();
  WebhookSubscription s;
  s.subscription_id = "whk_" + *id;
  s.url = spec.url;
  s.created_at = NowUtcMicros();
  s.created_by = spec.created_by;
  s.events = *events;
  s.secret_key_id = secrets.key_id();
  s.secret = secrets.SecretFor(store.tenant(), s.subscription_id);
  std::vector<rapidjson::Document> records(1);
  rapidjson::Document& d = records[0];
  d.SetObject();
  auto& a = d.GetAllocator();
  d.AddMember("schema_version", "oep.webhook_subscription.v0", a);
  d.AddMember("subscription_id", Str(s.subscription_id, a), a);
  d.AddMember("created_at", Str(s.created_at, a), a);
  d.AddMember("url", Str(s.url, a), a);
  rapidjson::Value names(rapidjson::kArrayType);
  for (const auto& e : s.events) names.PushBack(Str(e, a), a);
  d.AddMember("events", names, a);
  d.AddMember("secret_key_id", Str(s.secret_key_id, a), a);
  if (!s.created_by.empty()) d.AddMember("created_by", Str(s.created_by, a), a);
  OEP_RETURN_IF_ERROR(StoreRecords(store, records, "webhook add"));
  return s;
}

Result<bool> RemoveWebhookSubscription(Store& store, const std::string& subscription_id, const std::string& removed_by) {
  auto exists = store.Exists(ArtifactKind::kWebhookSubscription, subscription_id);
  if (!exists.ok()) return exists.status();
  if (!*exists) return UnknownIdError(store, ArtifactKind::kWebhookSubscription, subscription_id, "webhook subscription");
  auto removed = store.Exists(ArtifactKind::kWebhookRemoval, subscription_id);
  if (!removed.ok()) return removed.status();
  if (*removed) return false;
  std::vector<rapidjson::Document> records(1);
  rapidjson::Document& d = records[0];
  d.SetObject();
  auto& a = d.GetAllocator();
  d.AddMember("schema_version", "oep.webhook_removal.v0", a);
  d.AddMember("subscription_id", Str(subscription_id, a), a);
  d.AddMember("removed_at", Str(NowUtcMicros(), a), a);
  if (!removed_by.empty()) d.AddMember("removed_by", Str(removed_by, a), a);
  OEP_RETURN_IF_ERROR(StoreRecords(store, records, "webhook remove"));
  return true;
}

Result<std::vector<WebhookSubscription>> ListWebhookSubscriptions(Store& store) {
  std::map<std::string, std::string> removed;  // id -> removed_at
  OEP_RETURN_IF_ERROR(store.ForEach(ArtifactKind::kWebhookRemoval, [&](const StoredArtifact& row) -> Status {
    auto doc = json::Parse(row.body);
    if (!doc.ok()) return doc.status().WithContext(row.id + " as stored");
    removed[row.id] = json::GetString(*doc, "removed_at");
    return Status::Ok();
  }));
  std::vector<WebhookSubscription> out;
  OEP_RETURN_IF_ERROR(store.ForEach(ArtifactKind::kWebhookSubscription, [&](const StoredArtifact& row) -> Status {
    auto s = SubscriptionOf(row);
    if (!s.ok()) return s.status();
    auto r = removed.find(row.id);
    if (r != removed.end()) s->removed_at = r->second;
    out.push_back(std::move(*s));
    return Status::Ok();
  }));
  std::sort(out.begin(), out.end(), [](const WebhookSubscription& x, const WebhookSubscription& y) {
    return std::tie(x.created_at, x.subscription_id) < std::tie(y.created_at, y.subscription_id);
  });
  return out;
}

Result<std::vector<WebhookSubscription>> WebhookSubscriptionsFor(Store& store, std::string_view event, const WebhookSecrets* secrets) {
  auto all = ListWebhookSubscriptions(store);
  if (!all.ok()) return all.status();
  std::vector<WebhookSubscription> out;
  for (auto& s : *all) {
    if (s.removed_at.empty() && std::find(s.events.begin(), s.events.end(), event) != s.events.end()) {
      DeriveSecret(s, secrets, store.tenant());
      out.push_back(std::move(s));
    }
  }
  return out;
}

Result<std::string> NewWebhookDeliveryId() {
  auto hex = crypto::RandomHex(16);
  if (!hex.ok()) return hex.status();
  return "dlv_" + *hex;
}

std::string WebhookDeliveryBody(const std::string& delivery_id, const std::string& event, const std::string& tenant,
                                const std::string& created_at, const rapidjson::Value& data) {
  rapidjson::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  d.AddMember("delivery_id", Str(delivery_id, a), a);
  d.AddMember("event", Str(event, a), a);
  d.AddMember("tenant", Str(tenant, a), a);
  d.AddMember("created_at", Str(created_at, a), a);
  rapidjson::Value copy;
  copy.CopyFrom(data, a);
  d.AddMember("data", copy, a);
  return json::CanonicalText(d);
}

Status RecordWebhookAttempts(Store& store, const std::vector<WebhookAttempt>& attempts) {
  if (attempts.empty()) return Status::Ok();
  std::string now = NowUtcMicros();
  std::vector<rapidjson::Document> records;
  for (const WebhookAttempt& w : attempts) {
    std::string id = w.delivery_id + "." + std::to_string(w.attempt);
    auto stored = store.Exists(ArtifactKind::kWebhookAttempt, id);
    if (!stored.ok()) return stored.status();
    if (*stored) continue;  // recorded before, at its own time
    rapidjson::Document& d = records.emplace_back(rapidjson::kObjectType);
    auto& a = d.GetAllocator();
    d.AddMember("schema_version", "oep.webhook_attempt.v0", a);
    d.AddMember("attempt_id", Str(id, a), a);
    d.AddMember("subscription_id", Str(w.subscription_id, a), a);
    d.AddMember("delivery_id", Str(w.delivery_id, a), a);
    d.AddMember("event_type", Str(w.event_type, a), a);
    d.AddMember("attempt", w.attempt, a);
    d.AddMember("http_status", w.http_status, a);
    if (!w.error.empty()) d.AddMember("error", Str(w.error, a), a);
    d.AddMember("outcome", Str(w.outcome, a), a);
    if (w.next_delay.count() > 0) d.AddMember("next_delay_ms", static_cast<int64_t>(w.next_delay.count()), a);
    d.AddMember("at", Str(now, a), a);
  }
  return records.empty() ? Status::Ok() : StoreRecords(store, records, "webhook delivery");
}

Result<std::vector<StoredArtifact>> ListWebhookAttempts(Store& store, const std::string& subscription_id) {
  std::vector<std::pair<std::string, StoredArtifact>> rows;  // at, row
  OEP_RETURN_IF_ERROR(store.ForEach(ArtifactKind::kWebhookAttempt, [&](const StoredArtifact& row) -> Status {
    auto doc = json::Parse(row.body);
    if (!doc.ok()) return doc.status().WithContext(row.id + " as stored");
    if (!subscription_id.empty() && json::GetString(*doc, "subscription_id") != subscription_id) return Status::Ok();
    rows.emplace_back(json::GetString(*doc, "at"), row);
    return Status::Ok();
  }));
  std::sort(rows.begin(), rows.end(), [](const auto& x, const auto& y) { return std::tie(x.first, x.second.id) < std::tie(y.first, y.second.id); });
  std::vector<StoredArtifact> out;
  for (auto& [at, row] : rows) out.push_back(std::move(row));
  return out;
}

}  // namespace oep
