// /v1/artifacts (ingest as the CLI does), /v1/decisions (replay records), /logs (OPA's
// decision-log uploads) and /v1/audit.
#include "importers/opa_decision_log.h"
#include "ingest/ingest.h"
#include "json/json.h"
#include "replay/decision_chain.h"
#include "replay/replay.h"
#include "retention/retention.h"
#include "server/chain_evidence_json.h"
#include "server/api.h"
#include "util/time_syntax.h"

namespace oep::server {
namespace {

void AddReport(rapidjson::Document& doc, const IngestReport& r) {
  auto& a = doc.GetAllocator();
  doc.AddMember("records", r.records, a);
  doc.AddMember("inserted", r.inserted, a);
  doc.AddMember("unchanged", r.unchanged, a);
}

// Records oep makes itself are not taken from callers: an ingest key could otherwise
// subscribe a webhook to its tenant's events, or forge a violation or a delivery.
Status RefuseOwnKinds(const IngestReport& report) {
  for (ArtifactKind kind : {ArtifactKind::kMonitorViolation, ArtifactKind::kWebhookSubscription,
                            ArtifactKind::kWebhookRemoval, ArtifactKind::kWebhookAttempt}) {
    if (report.inserted_by_kind[static_cast<size_t>(kind)] > 0) {
      return Status::InvalidArgument(std::string(Spec(kind).schema_version) + " records are made by oep itself (" +
                                     (kind == ArtifactKind::kMonitorViolation ? "its monitors" : "oep webhook") +
                                     "), not posted; nothing was stored");
    }
  }
  return Status::Ok();
}

Reply PostArtifacts(Context& ctx, Call& call) {
  auto ingester = Ingester::Begin(call.store);
  if (!ingester.ok()) return ErrorReply(ingester.status());
  (*ingester)->SetRedaction(&ctx.redaction);
  bool monitored = ctx.monitors.For(call.store.tenant()) != nullptr;
  if (monitored) (*ingester)->KeepInserted();
  Status s = (*ingester)->AddRecordText(call.body, "body");
  if (s.ok()) s = RefuseOwnKinds((*ingester)->report());
  // The monitors see the batch as it will be stored; what they flag commits with it.
  std::vector<rapidjson::Document> violations;
  if (s.ok() && monitored) violations = MonitorIngest(ctx, call.store, **ingester, "POST /v1/artifacts");
  if (s.ok()) s = (*ingester)->Commit();
  if (!s.ok()) return ErrorReply(s);
  EmitWebhookEvents(ctx, call.store, "violation", violations);
  rapidjson::Document doc(rapidjson::kObjectType);
  AddReport(doc, (*ingester)->report());
  return JsonReply(200, doc);
}

// The replay record, with "chain_evidence": the chain of the decision's run classified with
// the keys the server trusts (as the decision Markdown and the run page show it).
Reply GetDecision(const TrustedKeys& trusted, Call& call) {
  auto record = ReplayDecision(call.store, std::string(call.req.matches[1]));
  if (!record.ok()) return ErrorReply(record.status());
  ChainEvidence chain = ClassifyDecisionChain(call.store, *record, trusted);
  record->AddMember("chain_evidence", ChainEvidenceJson(chain, record->GetAllocator(), true), record->GetAllocator());
  return JsonReply(200, *record);
}

Reply ListDecisions(Call& call) {
  for (const auto& [name, value] : call.req.params) {
    if (name != "since" && name != "until" && name != "tool" && name != "actor" && name != "after" && name != "limit") {
      return ErrorReply(Status::InvalidArgument("?" + name +
                                                ": unknown filter; expected since, until, tool, actor, after, limit"));
    }
  }
  auto limit = PageLimit(call.req);
  if (!limit.ok()) return ErrorReply(limit.status());
  Store::DecisionFilter f{call.req.get_param_value("since"), call.req.get_param_value("until"),
                          call.req.get_param_value("tool"), call.req.get_param_value("actor")};
  auto batch = call.store.DecisionBatch(f, call.req.get_param_value("after"), *limit);
  if (!batch.ok()) return ErrorReply(batch.status());
  return ArtifactPage(*batch, "decisions", *limit);
}

}  // namespace

Reply ArtifactPage(const std::vector<StoredArtifact>& rows, const char* member, int limit) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  rapidjson::Value items(rapidjson::kArrayType);
  for (const auto& row : rows) {
    auto body = json::Parse(row.body);
    if (!body.ok()) return ErrorReply(body.status());
    rapidjson::Value v;
    v.CopyFrom(*body, a);
    items.PushBack(v, a);
  }
  bool more = static_cast<int>(rows.size()) == limit;
  doc.AddMember(rapidjson::StringRef(member), items, a);
  doc.AddMember("next_after", more ? Str(rows.back().id, a) : rapidjson::Value(), a);
  return JsonReply(200, doc);
}

namespace {

// OPA's decision-log plugin posts a JSON array of events (gzip Content-Encoding, which
// httplib decodes before the body limit is applied to what it decodes).
Reply PostDecisionLogs(const RedactionProfile& redaction, Call& call) {
  OpaDecisionLogOptions options;
  options.redaction = &redaction;
  options.manifest_id = call.req.get_param_value("manifest");
  options.path = call.req.get_param_value("path");
  auto report = ImportOpaDecisionLogText(call.store, call.body, "body", options);
  if (!report.ok()) return ErrorReply(report.status());
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("events", report->events, a);
  doc.AddMember("imported", report->imported, a);
  doc.AddMember("other_paths", report->other_paths, a);
  doc.AddMember("redacted", report->redacted, a);
  AddReport(doc, report->ingest);
  return JsonReply(200, doc);
}

Reply GetAudit(Call& call) {
  auto limit = PageLimit(call.req);
  if (!limit.ok()) return ErrorReply(limit.status());
  auto records = call.store.AuditRecords(call.req.get_param_value("after"), *limit);
  if (!records.ok()) return ErrorReply(records.status());
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  rapidjson::Value items(rapidjson::kArrayType);
  for (const auto& r : *records) {
    auto body = json::Parse(r.body);
    if (!body.ok()) return ErrorReply(body.status());
    rapidjson::Value v;
    v.CopyFrom(*body, a);
    items.PushBack(v, a);
  }
  bool more = static_cast<int>(records->size()) == *limit;
  doc.AddMember("records", items, a);
  doc.AddMember("next_after", more ? Str(records->back().audit_id, a) : rapidjson::Value(), a);
  return JsonReply(200, doc);
}

// Body {"older_than"?, "audit_older_than"?, "dry_run"?}: durations as `oep retention apply`
// takes them; without older_than, the tenant's retention from the serve config.
Reply ApplyRetentionRoute(const Context& ctx, Call& call) {
  auto body = ParseBody(call);
  if (!body.ok()) return ErrorReply(body.status());
  if (Status s = OnlyMembers(*body, {"older_than", "audit_older_than", "dry_run"}); !s.ok()) return ErrorReply(s);
  std::string older_than, audit_older_than;
  bool dry_run = false;
  for (const auto& m : body->GetObject()) {
    std::string name = m.name.GetString();
    if (name == "dry_run") {
      if (!m.value.IsBool()) return ErrorReply(Status::InvalidArgument("/dry_run: expected true or false"));
      dry_run = m.value.GetBool();
    } else if (!m.value.IsString()) {
      return ErrorReply(Status::InvalidArgument("/" + name + ": expected a duration string (e.g. \"30d\")"));
    } else {
      (name == "older_than" ? older_than : audit_older_than) = m.value.GetString();
    }
  }
  std::string older_name = "/older_than", audit_name = "/audit_older_than";
  if (older_than.empty() && !body->HasMember("older_than")) {
    auto it = ctx.options.retention.find(call.store.tenant());
    if (it == ctx.options.retention.end()) {
      return ErrorReply(Status::InvalidArgument("/older_than: required (the serve config sets no retention for tenant " +
                                                call.store.tenant() + ")"));
    }
    older_than = it->second.older_than;
    if (audit_older_than.empty()) audit_older_than = it->second.audit_older_than;
    older_name = "retention." + it->first + ".older_than";
    audit_name = "retention." + it->first + ".audit_older_than";
  }
  auto policy = ParseRetentionPolicy(older_than, audit_older_than, older_name, audit_name);
  if (!policy.ok()) return ErrorReply(policy.status());
  RetentionOptions options;
  options.policy = *policy;
  options.now_unix_seconds = UnixNow();
  options.dry_run = dry_run;
  options.actor = "key:" + call.key.key_id;
  auto result = ApplyRetention(call.store, options);
  if (!result.ok()) return ErrorReply(result.status());
  rapidjson::Document doc;
  result->ToJson(&doc, doc.GetAllocator());
  return JsonReply(200, doc);
}

}  // namespace

void AddEvidenceRoutes(httplib::Server& http, Context& ctx) {
  Route(http, ctx, "POST", "/v1/retention:apply", Permission::kAdmin,
        [&ctx](Call& call) { return ApplyRetentionRoute(ctx, call); });
  Route(http, ctx, "POST", "/v1/artifacts", Permission::kWrite, [&ctx](Call& call) { return PostArtifacts(ctx, call); });
  Route(http, ctx, "GET", "/v1/decisions", Permission::kRead, ListDecisions);
  Route(http, ctx, "GET", R"(/v1/decisions/([^/:]+))", Permission::kRead,
        [&ctx](Call& call) { return GetDecision(ctx.trusted, call); });
  Route(http, ctx, "POST", "/logs", Permission::kWrite, [&ctx](Call& call) { return PostDecisionLogs(ctx.redaction, call); });
  Route(http, ctx, "GET", "/v1/audit", Permission::kAdmin, GetAudit);
}

}  // namespace oep::server
