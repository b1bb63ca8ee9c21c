// What the SDKs need beyond runs and steps:
//
// POST /v1/runs/{id}:drop  {"count": N >= 1, "first_seq": A >= 1, "last_seq": B >= A,
//   "reason": "1-256 bytes"}, with N <= B - A + 1. Appends a ledger "drop" entry to the
//   run's chain: evidence the client knows it lost (its own event sequence numbers A..B,
//   never sent), so a verifier sees the loss instead of a silent hole. 409 on a finished run.
//   A retried drop may be recorded twice: loss is over-reported, never hidden.
// POST /v1/decide  {"policy": <as /v1/policies' re-decisions>, "input": {...},
//   "query"?: "data.oep.permissions.decision"} → {"policy", "query", "decision": allow |
//   deny | value | undefined | error, "allow"?, "matched_rule"?, "reason"?, "decision_code"?,
//   "result"?, "error"?}: a live decision for an SDK's gate before a tool runs (at the
//   server's clock; nothing is stored). Role ingest or admin: the agent's own key.
// POST /v1/releases/unspecified  stores (once) the release manifest "rmf_unspecified" that
//   events of agents naming no release refer to; 201 when made, 200 when already stored.
#include <algorithm>
#include <chrono>

#include "ingest/ingest.h"
#include "json/json.h"
#include "ledger/ledger.h"
#include "policy/policy_engine.h"
#include "runs/runs.h"
#include "server/api.h"
#include "server/policy_bundle.h"

namespace oep::server {
namespace {

constexpr const char* kDefaultQuery = "data.oep.permissions.decision";

Status Bad(const std::string& pointer, const std::string& expected, const rapidjson::Value* found) {
  std::string msg = pointer + ": expected " + expected;
  if (found != nullptr) msg += ", found " + json::TypeName(*found);
  return Status::InvalidArgument(msg);
}

// A member that must be an integer >= `min`.
Result<int64_t> IntAtLeast(const rapidjson::Value& body, const char* name, int64_t min) {
  const rapidjson::Value* v = json::GetMember(body, name);
  if (v == nullptr || !v->IsInt64() || v->GetInt64() < min) {
    return Bad(std::string("/") + name, "an integer >= " + std::to_string(min), v);
  }
  return v->GetInt64();
}

// The canonical ledger payload of a drop request.
Result<std::string> DropPayload(const rapidjson::Value& body) {
  if (!body.IsObject()) return Bad("/", "a drop object {\"count\", \"first_seq\", \"last_seq\", \"reason\"}", &body);
  OEP_RETURN_IF_ERROR(
      OnlyMembers(body, {"count", "first_seq", "last_seq", "reason"}));
  auto count = IntAtLeast(body, "count", 1);
  if (!count.ok()) return count.status();
  auto first = IntAtLeast(body, "first_seq", 1);
  if (!first.ok()) return first.status();
  auto last = IntAtLeast(body, "last_seq", *first);
  if (!last.ok()) return last.status();
  if (*count > *last - *first + 1) {
    return Status::InvalidArgument("/count: expected at most last_seq - first_seq + 1 = " +
                                   std::to_string(*last - *first + 1) + ", found " + std::to_string(*count));
  }
  const rapidjson::Value* reason = json::GetMember(body, "reason");
  if (reason == nullptr || !reason->IsString() || reason->GetStringLength() == 0 || reason->GetStringLength() > 256) {
    return Bad("/reason", "a string of 1 to 256 bytes", reason);
  }
  return json::CanonicalText(body);
}

Reply UnspecifiedReleaseRoute(Call& call) {
  auto made = EnsureUnspecifiedRelease(call.store);
  if (!made.ok()) return ErrorReply(made.status());
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("release_manifest_id", rapidjson::StringRef(kUnspecifiedRelease), a);
  doc.AddMember("created", *made, a);
  return JsonReply(*made ? 201 : 200, doc);
}

Reply DropRoute(Context& ctx, Call& call) {
  std::string id = call.req.matches[1];
  if (!IsRunId(id)) return ErrorReply(Status::NotFound("no run \"" + id + "\""));
  auto body = ParseBody(call);
  if (!body.ok()) return ErrorReply(body.status());
  auto payload = DropPayload(*body);
  if (!payload.ok()) return ErrorReply(payload.status());
  // The drop and what the monitors flag about it commit together; the run is read under
  // the batch's write lock, so no other request can finish it in between.
  auto ingester = Ingester::Begin(call.store);
  if (!ingester.ok()) return ErrorReply(ingester.status());
  auto run = call.store.GetRun(id);
  if (!run.ok()) return ErrorReply(run.status());
  if (!*run) return ErrorReply(Status::NotFound("no run \"" + id + "\""));
  if ((*run)->finished) {
    return ErrorReply(Status::Conflict("run " + id + " is finished (its chain is sealed); no drop can be recorded"));
  }
  auto head = call.store.GetChainHead(TenantChain(call.store.tenant(), ChainForTrace(id)));
  if (!head.ok()) return ErrorReply(head.status());
  if (!*head) return ErrorReply(Status::NotFound("run " + id + " has no ledger chain to record a drop on"));
  Status s = (*ingester)->AddChainEvent(ChainForTrace(id), "drop", *payload);
  std::vector<rapidjson::Document> violations;
  if (s.ok() && ctx.monitors.For(call.store.tenant())) {
    rapidjson::Document drop;
    drop.CopyFrom(*body, drop.GetAllocator());
    drop.AddMember("run_id", Str(id, drop.GetAllocator()), drop.GetAllocator());
    violations = MonitorIngest(ctx, call.store, **ingester, "POST /v1/runs/" + id + ":drop", {&drop});
  }
  if (s.ok()) s = (*ingester)->Commit();
  if (!s.ok()) return ErrorReply(s);
  EmitWebhookEvents(ctx, call.store, "violation", violations);
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("run_id", Str(id, a), a);
  rapidjson::Value recorded;
  recorded.CopyFrom(*body, a);
  doc.AddMember("drop", recorded, a);
  return JsonReply(201, doc);
}

Result<std::string> QueryOf(const rapidjson::Value& body) {
  const rapidjson::Value* q = json::GetMember(body, "query");
  if (q == nullptr) return std::string(kDefaultQuery);
  if (!q->IsString() || q->GetStringLength() == 0 || q->GetStringLength() > 1024) {
    return Bad("/query", "a Rego query string of 1 to 1024 bytes", q);
  }
  return std::string(q->GetString(), q->GetStringLength());
}

void AddDecisionFields(const Outcome& o, rapidjson::Document& doc) {
  auto& a = doc.GetAllocator();
  doc.AddMember("decision", Str(o.decision, a), a);
  if (o.allow) doc.AddMember("allow", *o.allow, a);
  if (o.has_matched_rule) doc.AddMember("matched_rule", Str(o.matched_rule, a), a);
  if (o.has_reason) doc.AddMember("reason", Str(o.reason, a), a);
  if (o.has_code) doc.AddMember("decision_code", Str(o.decision_code, a), a);
  if (o.value) {
    rapidjson::Value v;
    o.value->ToRapid(&v, a);
    doc.AddMember("result", v, a);
  }
  if (o.kind == Outcome::Kind::kError) doc.AddMember("error", Str(o.error, a), a);
}

Reply DecideRoute(Call& call) {
  auto body = ParseBody(call);
  if (!body.ok()) return ErrorReply(body.status());
  if (!body->IsObject()) return ErrorReply(Bad("/", "an object {\"policy\", \"input\", \"query\"?}", &*body));
  Status members = OnlyMembers(*body, {"policy", "input", "query"});
  if (!members.ok()) return ErrorReply(members);
  const rapidjson::Value* input = json::GetMember(*body, "input");
  if (input == nullptr || !input->IsObject()) return ErrorReply(Bad("/input", "an object (the OPA input)", input));
  auto query = QueryOf(*body);
  if (!query.ok()) return ErrorReply(query.status());
  auto policy = PolicyOf(call.store, *body);
  if (!policy.ok()) return ErrorReply(policy.status());
  auto file = CompiledBundle(policy->bytes, "/policy");
  if (!file.ok()) return ErrorReply(file.status());
  PolicyEngineConfig config;
  config.bundle = (*file)->path();
  auto engine = MakePolicyEngine(config);
  if (!engine.ok()) return ErrorReply(engine.status());
  rego::Value in = rego::Value::FromRapid(*input);
  DecisionRequest request{*query, &in, std::chrono::duration_cast<std::chrono::nanoseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count(),
                          nullptr};
  std::vector<Decided> decided;
  Status s = (*engine)->Decide({request}, decided);
  if (!s.ok()) return ErrorReply(Status::InvalidArgument("/query: " + s.message()));
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("policy", Str(policy->label, a), a);
  doc.AddMember("query", Str(*query, a), a);
  AddDecisionFields(decided.at(0).outcome, doc);
  return JsonReply(200, doc);
}

}  // namespace

void AddSdkRoutes(httplib::Server& http, Context& ctx) {
  Route(http, ctx, "POST", "/v1/releases/unspecified", Permission::kWrite, UnspecifiedReleaseRoute);
  Route(http, ctx, "POST", R"(/v1/runs/([^/:]+):drop)", Permission::kWrite,
        [&ctx](Call& call) { return DropRoute(ctx, call); });
  Route(http, ctx, "POST", "/v1/decide", Permission::kWrite, DecideRoute);
}

}  // namespace oep::server
