// Private to src/server: the request context, the JSON replies and the route tables.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>

#include <httplib.h>
#include <rapidjson/document.h>

#include "keys/keys.h"
#include "monitors/monitors.h"
#include "redaction/redaction.h"
#include "server/anonymous_refusals.h"
#include "server/server.h"
#include "server/webhook_dispatcher.h"
#include "store/store.h"
#include "tenants/tenants.h"
#include "webhooks/webhooks.h"
#include "util/status.h"

namespace oep::server {

class RetentionSchedule;

struct Context {
  Context();
  ~Context();
  ServerOptions options;
  std::string server_key_path;
  TrustedKeys trusted;  // options.trusted_keys and the server's own key (as server)
  AnonymousRefusals anonymous_refusals;  // under `mutex`
  RedactionProfile redaction;  // what ingest routes redact (options.redaction_profile, else the default)
  std::unique_ptr<Store> store;  // one connection, used under `mutex`
  TenantMonitors monitors;  // options.monitors
  std::mutex mutex;
  // Posts webhook deliveries; its log lines take `mutex` to be stored, so it is destroyed
  // (StopWebhooks) before `store` and never by a thread holding `mutex`.
  std::unique_ptr<WebhookDispatcher> webhooks;
  std::optional<WebhookSecrets> webhook_secrets;  // from options.webhook_key (StartWebhooks); none: PostgreSQL without a key
  std::unique_ptr<RetentionSchedule> retention_schedule;  // StartRetentionSchedule; last: destroyed first
};

// What a route handler is given: the caller's key, the store scoped to its tenant (held
// under the context's lock for the handler's duration), the request and its body.
struct Call {
  const httplib::Request& req;
  const ApiKeyRecord& key;
  Store& store;
  const std::string& body;  // decompressed, at most options.max_body_bytes
};

// A handler's answer: an HTTP status and a JSON document.
struct Reply {
  int status = 200;
  std::string body;  // JSON text (or, for an export, markdown or PDF bytes)
  std::string content_type = "application/json";
};

Reply JsonReply(int status, const rapidjson::Value& doc);
// The error reply of `s`: 400 invalid input, 404 not found, 409 conflict, 500 otherwise;
// {"error": {"code", "message", "pointer"?}} (pointer: the JSON pointer the message names).
Reply ErrorReply(const Status& s);
// The request body as JSON (400 naming the position of a syntax error).
Result<rapidjson::Document> ParseBody(const Call& call);

// InvalidArgument naming the first member of the object `body` not in `names` ("/x: unknown
// member; expected only a, b"); a body that is not an object is "/: expected an object".
Status OnlyMembers(const rapidjson::Value& body, std::initializer_list<std::string_view> names);

// A JSON string value of `v`.
rapidjson::Value Str(const std::string& v, rapidjson::Document::AllocatorType& a);
// ?limit: 1..500 (default 50); 400 otherwise.
// {<member>: [the rows' bodies], "next_after": the last id when the page is full, else null}.
Reply ArtifactPage(const std::vector<StoredArtifact>& rows, const char* member, int limit);
Result<int> PageLimit(const httplib::Request& req);

// Audits a refusal of a caller without a valid key in the default tenant's log, bounded by
// ctx.anonymous_refusals: `reason` is its class ("no API key", "unknown or revoked API key"),
// `message` the refusal itself. The caller holds ctx.mutex.
void AuditAnonymousRefusal(Context& ctx, const httplib::Request& req, const std::string& actor, const std::string& reason,
                           const std::string& message);
// Records the refusal summaries still pending (the server is stopping). Takes ctx.mutex.
void FlushAnonymousRefusals(Context& ctx);

using Handler = std::function<Reply(Call&)>;

// Registers `handler` for `method` (GET or POST) `pattern` (regex), behind authentication,
// the role check for `permission`, and the body limit.
void Route(httplib::Server& http, Context& ctx, const std::string& method, const std::string& pattern,
           Permission permission, Handler handler);

void AddRunRoutes(httplib::Server& http, Context& ctx);       // /v1/runs...
void AddEvidenceRoutes(httplib::Server& http, Context& ctx);  // /v1/artifacts, /v1/decisions, /logs, /v1/audit
void AddPolicyRoutes(httplib::Server& http, Context& ctx);    // /v1/policies, :counterfactual, /v1/impact
void AddDiffRoutes(httplib::Server& http, Context& ctx);      // /v1/diff
void AddApprovalRoutes(httplib::Server& http, Context& ctx);  // /v1/approvals...
void AddSdkRoutes(httplib::Server& http, Context& ctx);       // :drop, /v1/decide, /v1/releases/unspecified
void AddOtlpRoutes(httplib::Server& http, Context& ctx);      // /v1/traces (OTLP/HTTP JSON)

class PolicyBundle;
// The policy a request's "policy" member names (routes_policies.cc): its bytes and a label
// ("project/vN", "inline", "inline bundle").
struct NamedPolicy {
  std::string bytes, label;
};
Result<NamedPolicy> PolicyOf(Store& store, const rapidjson::Value& body);
// `bytes` written for an engine and compiled once; 400 naming `pointer` when it does not compile.
Result<std::unique_ptr<PolicyBundle>> CompiledBundle(std::string_view bytes, const std::string& pointer);
void AddExportRoutes(httplib::Server& http, Context& ctx);    // /v1/runs/{id}/export
void AddViolationRoutes(httplib::Server& http, Context& ctx); // /v1/violations

// The monitors of the store's tenant (none: nothing is done) over what `ingester` (told
// KeepInserted) inserted and the drops it records
// (payloads, each with its run_id), their violations added to its batch
// (MonitorBatch); returns those violations, for the webhooks once committed. A monitor that
// fails is reported on stderr and adds nothing. The caller holds ctx.mutex.
std::vector<rapidjson::Document> MonitorIngest(Context& ctx, Store& store, Ingester& ingester, const std::string& source,
                                               const std::vector<const rapidjson::Value*>& drops = {});

// Webhooks (webhook_events.cc). StartWebhooks makes ctx.webhooks from ctx.options and the
// signing secrets from the webhook key (an error when that key cannot be read or made), its
// attempts recorded in the delivery log of their subscription's tenant; StopWebhooks ends
// it (what is still queued is logged not_sent). EmitWebhookEvents queues one delivery of
// `event` (a WebhookEventNames() name) per element of `data` to every active subscription of
// the store's scoped tenant that names it (the subscriptions read once per call), without
// waiting on the network; a delivery the full queue refuses is logged queue_full at once,
// and one to a subscription whose secret this server cannot derive is logged no_secret.
// Failures are reported on stderr; the caller's reply is not changed by them. The caller
// holds ctx.mutex.
Status StartWebhooks(Context& ctx);
// The config's retention (options.retention), applied by a thread of its own to each
// tenant at start and then every options.retention_interval, each under ctx.mutex, its
// result reported on stderr (and, as every retention run, in the tenant's audit log).
// Nothing runs when no tenant has retention or the interval is off. StopRetentionSchedule
// waits for a run in progress; call it before the store closes.
void StartRetentionSchedule(Context& ctx);
void StopRetentionSchedule(Context& ctx);
void StopWebhooks(Context& ctx);
void EmitWebhookEvents(Context& ctx, Store& store, const std::string& event, std::span<const rapidjson::Document> data);

}  // namespace oep::server
