#include "approvals/approvals.h"

#include <algorithm>
#include <set>

#include "audit/audit.h"
#include "crypto/ed25519.h"
#include "crypto/random.h"
#include "crypto/sha256.h"
#include "ingest/ingest.h"
#include "json/json.h"
#include "util/files.h"
#include "util/rfc3339.h"

namespace oep {
namespace {

using Alloc = rapidjson::Document::AllocatorType;

rapidjson::Value Str(const std::string& s, Alloc& a) {
  return rapidjson::Value(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), a);
}

Result<std::string> NewId(const char* prefix) {
  auto hex = crypto::RandomHex(16);
  if (!hex.ok()) return hex.status();
  return std::string(prefix) + *hex;
}

std::string FormatUtc(int64_t ns) { return FormatUtcMicros(ns / 1000); }

Status Bad(const std::string& field, const std::string& expected) {
  return Status::InvalidArgument(field + ": expected " + expected);
}

Status CheckRequestSpec(const ApprovalRequestSpec& s) {
  if (s.trace_id.size() != 32 || s.trace_id.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return Bad("run", "a run id (32 lowercase hex digits), found \"" + s.trace_id + "\"");
  }
  if (s.step < 1) return Bad("step", "an integer >= 1");
  if (s.tool.empty()) return Bad("tool", "a tool name");
  if (s.action_summary.empty()) return Bad("summary", "a summary of the action");
  if (s.risk != "low" && s.risk != "medium" && s.risk != "high" && s.risk != "critical") {
    return Bad("risk", "low, medium, high or critical, found \"" + s.risk + "\"");
  }
  if (s.payload_sha256.size() != 71 || s.payload_sha256.rfind("sha256:", 0) != 0 ||
      s.payload_sha256.find_first_not_of("0123456789abcdef", 7) != std::string::npos) {
    return Bad("payload_sha256", "sha256:<64 lowercase hex digits>, found \"" + s.payload_sha256 + "\"");
  }
  if (s.requested_by.empty()) return Bad("requested_by", "who asks");
  return Status::Ok();
}

rapidjson::Document RequestDoc(const ApprovalRequestSpec& s, const std::string& id, const std::string& now) {
  rapidjson::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  d.AddMember("schema_version", "oep.approval_request.v0", a);
  d.AddMember("request_id", Str(id, a), a);
  d.AddMember("created_at", Str(now, a), a);
  if (!s.project.empty()) d.AddMember("project", Str(s.project, a), a);
  d.AddMember("trace_id", Str(s.trace_id, a), a);
  d.AddMember("step", s.step, a);
  d.AddMember("tool", Str(s.tool, a), a);
  d.AddMember("action_summary", Str(s.action_summary, a), a);
  d.AddMember("risk", Str(s.risk, a), a);
  d.AddMember("payload_sha256", Str(s.payload_sha256, a), a);
  d.AddMember("requested_by", Str(s.requested_by, a), a);
  return d;
}

// The decision artifact, with a signed token for approved and break_glass.
Result<rapidjson::Document> DecisionDoc(const std::string& tenant, const rapidjson::Value& request,
                                        const std::string& decision, const std::string& by, const std::string& reason,
                                        const std::string& key_path, int64_t ttl_seconds, int64_t now_ns) {
  auto id = NewId("apd_");
  if (!id.ok()) return id.status();
  rapidjson::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  std::string now = FormatUtc(now_ns);
  d.AddMember("schema_version", "oep.approval_decision.v0", a);
  d.AddMember("decision_id", Str(*id, a), a);
  d.AddMember("request_id", Str(json::GetString(request, "request_id"), a), a);
  d.AddMember("trace_id", Str(json::GetString(request, "trace_id"), a), a);
  d.AddMember("decision", Str(decision, a), a);
  d.AddMember("decided_by", Str(by, a), a);
  d.AddMember("reason", Str(reason, a), a);
  d.AddMember("decided_at", Str(now, a), a);
  if (decision == "denied") {
    d.AddMember("token_id", rapidjson::Value(), a);
    d.AddMember("token", rapidjson::Value(), a);
    return d;
  }
  if (key_path.empty()) return Status::InvalidArgument("--key: approving signs a decision token; give the server key");
  if (ttl_seconds < 1 || ttl_seconds > 7 * 86400) return Bad("--ttl", "1 second to 7 days");
  auto token_id = NewId("dtk_");
  auto nonce = crypto::RandomHex(16);
  if (!token_id.ok()) return token_id.status();
  if (!nonce.ok()) return nonce.status();
  auto public_key = crypto::ReadEd25519PublicKey(key_path, true);
  if (!public_key.ok()) return public_key.status().WithContext("--key");
  rapidjson::Value payload(rapidjson::kObjectType);
  payload.AddMember("token_id", Str(*token_id, a), a);
  payload.AddMember("request_id", Str(json::GetString(request, "request_id"), a), a);
  payload.AddMember("tenant", Str(tenant, a), a);
  payload.AddMember("payload_sha256", Str(json::GetString(request, "payload_sha256"), a), a);
  payload.AddMember("decision", Str(decision, a), a);
  payload.AddMember("approver", Str(by, a), a);
  payload.AddMember("issued_at", Str(now, a), a);
  payload.AddMember("expires_at", Str(FormatUtc(now_ns + ttl_seconds * 1000000000), a), a);
  payload.AddMember("nonce", Str(*nonce, a), a);
  payload.AddMember("public_key", Str(*public_key, a), a);
  auto signature = crypto::SignEd25519(key_path, TokenSigningText(payload));
  if (!signature.ok()) return signature.status().WithContext("--key");
  rapidjson::Value token(rapidjson::kObjectType);
  token.AddMember("payload", payload, a);
  token.AddMember("signature", Str(signature->signature_hex, a), a);
  d.AddMember("token_id", Str(*token_id, a), a);
  d.AddMember("token", token, a);
  return d;
}

// Adds `doc` to the open batch (validated like any ingested artifact); returns its
// canonical body.
Result<std::string> AddArtifact(Ingester& ingester, const rapidjson::Value& doc, const std::string& source) {
  ingester.SetRedaction(nullptr);  // oep's own records: the decision token must stay whole
  OEP_RETURN_IF_ERROR(ingester.AddRecord(doc, {source, 0, ""}));
  return json::CanonicalText(doc);
}

Result<rapidjson::Document> Parsed(const StoredArtifact& row) {
  auto d = json::Parse(row.body);
  if (!d.ok()) return d.status().WithContext("approval artifact " + row.id + " as stored");
  return std::move(*d);
}

Status Audit(Store& store, const std::string& actor, const std::string& action, const std::string& target,
             const std::string& detail) {
  return RecordAuditInBatch(store, {actor, action, target, "ok", detail});
}

}  // namespace

std::string TokenSigningText(const rapidjson::Value& payload) {
  return "oep decision token v0\n" + json::CanonicalText(payload);
}

Result<std::string> RequestApproval(Store& store, const ApprovalRequestSpec& spec, const std::string& source) {
  OEP_RETURN_IF_ERROR(CheckRequestSpec(spec));
  auto id = NewId("apr_");
  if (!id.ok()) return id.status();
  rapidjson::Document doc = RequestDoc(spec, *id, NowUtcMicros());
  auto ingester = Ingester::Begin(store);
  if (!ingester.ok()) return ingester.status();
  auto body = AddArtifact(**ingester, doc, source);
  if (!body.ok()) return body.status();
  OEP_RETURN_IF_ERROR(Audit(store, spec.requested_by, "approval.request", *id, spec.tool + " " + spec.payload_sha256));
  OEP_RETURN_IF_ERROR((*ingester)->Commit());
  return *body;
}

Result<std::string> DecideApproval(Store& store, const ApprovalDecisionSpec& spec, const std::string& source) {
  if (spec.decision != "approved" && spec.decision != "denied") return Bad("decision", "approved or denied");
  if (spec.decided_by.empty()) return Bad("--approver", "who decides");
  if (spec.reason.empty()) return Bad("--reason", "why (every decision carries a reason)");
  auto ingester = Ingester::Begin(store);  // the checks below read under the write lock
  if (!ingester.ok()) return ingester.status();
  auto row = store.Get(ArtifactKind::kApprovalRequest, spec.request_id);
  if (!row.ok()) return row.status();
  if (!*row) return Status::NotFound("no approval request \"" + spec.request_id + "\"");
  auto earlier = store.FindBy(ArtifactKind::kApprovalDecision, "request_id", spec.request_id, 1);
  if (!earlier.ok()) return earlier.status();
  if (!earlier->empty()) {
    auto prior = Parsed(earlier->front());
    return Status::Conflict("approval request " + spec.request_id + " is already decided (" +
                            (prior.ok() ? json::GetString(*prior, "decision") + " by " + json::GetString(*prior, "decided_by")
                                        : std::string("?")) +
                            ")");
  }
  auto request = Parsed(**row);
  if (!request.ok()) return request.status();
  auto now = ParseRfc3339Ns(NowUtcMicros());
  auto doc = DecisionDoc(store.tenant(), *request, spec.decision, spec.decided_by, spec.reason, spec.key_path,
                         spec.ttl_seconds, now.value_or(0));
  if (!doc.ok()) return doc.status();
  auto body = AddArtifact(**ingester, *doc, source);
  if (!body.ok()) return body.status();
  OEP_RETURN_IF_ERROR(Audit(store, spec.decided_by, spec.decision == "approved" ? "approval.approve" : "approval.deny",
                            spec.request_id, spec.reason));
  OEP_RETURN_IF_ERROR((*ingester)->Commit());
  return *body;
}

Result<std::string> BreakGlass(Store& store, const ApprovalRequestSpec& call, const std::string& admin,
                               const std::string& reason, const std::string& key_path, int64_t ttl_seconds,
                               const std::string& source) {
  if (reason.empty()) return Bad("--reason", "why the approval is bypassed");
  ApprovalRequestSpec spec = call;
  spec.requested_by = admin;
  OEP_RETURN_IF_ERROR(CheckRequestSpec(spec));
  auto id = NewId("apr_");
  if (!id.ok()) return id.status();
  std::string now_text = NowUtcMicros();
  rapidjson::Document request = RequestDoc(spec, *id, now_text);
  auto decision = DecisionDoc(store.tenant(), request, "break_glass", admin, reason, key_path, ttl_seconds,
                              ParseRfc3339Ns(now_text).value_or(0));
  if (!decision.ok()) return decision.status();
  auto ingester = Ingester::Begin(store);
  if (!ingester.ok()) return ingester.status();
  auto stored_request = AddArtifact(**ingester, request, source);
  if (!stored_request.ok()) return stored_request.status();
  auto body = AddArtifact(**ingester, *decision, source);
  if (!body.ok()) return body.status();
  OEP_RETURN_IF_ERROR(Audit(store, admin, "approval.break_glass", *id, reason));
  OEP_RETURN_IF_ERROR((*ingester)->Commit());
  return *body;
}

bool IsApprovalStatus(std::string_view status) {
  return status == "pending" || status == "approved" || status == "denied" || status == "break_glass";
}

void ApprovalListingToJson(const ApprovalListing& l, rapidjson::Value* out, Alloc& a) {
  out->SetObject();
  for (auto [name, value] : {std::pair<const char*, const std::string*>{"request_id", &l.request_id},
                             {"created_at", &l.created_at}, {"run_id", &l.trace_id}, {"tool", &l.tool},
                             {"risk", &l.risk}, {"action_summary", &l.action_summary},
                             {"payload_sha256", &l.payload_sha256}, {"status", &l.status},
                             {"decided_by", &l.decided_by}, {"reason", &l.reason}, {"token_id", &l.token_id}}) {
    out->AddMember(rapidjson::StringRef(name), Str(*value, a), a);
  }
  out->AddMember("step", l.step, a);
}

Result<std::vector<ApprovalListing>> ListApprovals(Store& store, const std::string& status) {
  if (!status.empty() && !IsApprovalStatus(status)) {
    return Bad("status", "pending, approved, denied or break_glass, found \"" + status + "\"");
  }
  std::vector<ApprovalListing> out;
  Status s = store.ForEach(ArtifactKind::kApprovalRequest, [&](const StoredArtifact& row) -> Status {
    auto r = Parsed(row);
    if (!r.ok()) return r.status();
    ApprovalListing l{row.id,
                      json::GetString(*r, "created_at"),
                      json::GetString(*r, "trace_id"),
                      json::GetString(*r, "tool"),
                      json::GetString(*r, "risk"),
                      json::GetString(*r, "action_summary"),
                      json::GetString(*r, "payload_sha256"),
                      (*r)["step"].GetInt64(),
                      "pending",
                      "",
                      "",
                      ""};
    auto decisions = store.FindBy(ArtifactKind::kApprovalDecision, "request_id", row.id, 1);
    if (!decisions.ok()) return decisions.status();
    if (!decisions->empty()) {
      auto d = Parsed(decisions->front());
      if (!d.ok()) return d.status();
      l.status = json::GetString(*d, "decision");
      l.decided_by = json::GetString(*d, "decided_by");
      l.reason = json::GetString(*d, "reason");
      l.token_id = json::GetString(*d, "token_id");
    }
    if (status.empty() || status == l.status) out.push_back(std::move(l));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  std::stable_sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return x.created_at < y.created_at; });
  return out;
}

Result<ToolModes> LoadToolModes(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.status().WithContext("--tool-modes");
  auto doc = json::Parse(*text);
  if (!doc.ok()) return doc.status().WithContext(path);
  const auto* tools = doc->IsObject() ? json::GetMember(*doc, "tools") : nullptr;
  if (tools == nullptr || !tools->IsObject()) {
    return Status::InvalidArgument(path + ": /tools: expected an object {\"<tool>\": \"allow|require_approval|block\"}");
  }
  ToolModes modes;
  for (const auto& m : tools->GetObject()) {
    std::string mode = m.value.IsString() ? m.value.GetString() : "";
    if (mode != "allow" && mode != "require_approval" && mode != "block") {
      return Status::InvalidArgument(path + ": /tools/" + json::EscapePointerSegment(m.name.GetString()) +
                                     ": expected allow, require_approval or block, found " + json::CanonicalText(m.value));
    }
    modes[m.name.GetString()] = mode;
  }
  return modes;
}

int64_t ApprovalReport::violations() const {
  return std::count_if(findings.begin(), findings.end(), [](const ApprovalFinding& f) { return f.kind == "violation"; });
}

Result<ApprovalReport> VerifyApprovals(Store& store, const ToolModes& modes, const TrustedKeys& trusted) {
  ApprovalReport report;
  std::map<std::string, std::string> token_used_by;  // token id -> first executing event
  Status s = store.ForEach(ArtifactKind::kAgentStepEvent, [&](const StoredArtifact& row) -> Status {
    auto e = json::Parse(row.body);
    if (!e.ok()) return e.status().WithContext("event " + row.id + " as stored");
    std::string type = json::GetString(*e, "event_type");
    if (type != "tool_call.executed" && type != "tool_call.completed" && type != "tool_call.failed") return Status::Ok();
    ++report.executions;
    const rapidjson::Value* payload = json::GetMember(*e, "tool_payload");
    std::string tool = payload && payload->IsObject() ? json::GetString(*payload, "tool") : "";
    if (tool.empty()) {
      const auto* action = json::GetMember(*e, "action");
      if (action && action->IsObject()) tool = json::GetString(*action, "action_type");
    }
    auto mode_it = modes.find(tool);
    std::string mode = mode_it == modes.end() ? "allow" : mode_it->second;
    ApprovalFinding f{"violation", row.id, json::GetString(*e, "trace_id"), tool, "", ""};
    auto violation = [&](std::string message) {
      f.message = std::move(message);
      report.findings.push_back(f);
      return Status::Ok();
    };
    if (mode == "block") return violation("tool " + tool + " is marked block and was executed");
    if (mode != "require_approval") return Status::Ok();
    ++report.gated;
    const auto* approval = json::GetMember(*e, "approval");
    f.token_id = approval && approval->IsObject() ? json::GetString(*approval, "token_id") : "";
    if (f.token_id.empty()) return violation("tool " + tool + " needs approval; the execution records no decision token");
    if (payload == nullptr) return violation("the execution records no tool_payload to compare with the approved payload hash");
    auto found = store.FindBy(ArtifactKind::kApprovalDecision, "token_id", f.token_id, 2);
    if (!found.ok()) return found.status();
    if (found->empty()) return violation("token " + f.token_id + " was not issued to this tenant (no decision holds it)");
    auto d = Parsed(found->front());
    if (!d.ok()) return d.status();
    const rapidjson::Value* token = json::GetMember(*d, "token");
    const rapidjson::Value* tp = token && token->IsObject() ? json::GetMember(*token, "payload") : nullptr;
    if (tp == nullptr || !tp->IsObject()) return violation("token " + f.token_id + " has no signed payload");
    std::string signature = json::GetString(*token, "signature"), public_key = json::GetString(*tp, "public_key");
    if (!crypto::VerifyEd25519(public_key, TokenSigningText(*tp), signature)) {
      return violation("token " + f.token_id + ": the signature does not verify (the token was altered or forged)");
    }
    const TrustedKey* key = trusted.Find(public_key);
    if (key == nullptr) return violation("token " + f.token_id + " is signed by a key that is not trusted (" + KeyIdOf(public_key) + ")");
    if (key->role != "server") return violation("token " + f.token_id + " is signed by a key trusted as " + key->role + ", not server");
    if (json::GetString(*tp, "tenant") != store.tenant()) {
      return violation("token " + f.token_id + " was issued to tenant " + json::GetString(*tp, "tenant") + ", not " + store.tenant());
    }
    std::string executed = crypto::Sha256Digest(json::CanonicalText(*payload));
    if (json::GetString(*tp, "payload_sha256") != executed) {
      return violation("token " + f.token_id + " approved payload " + json::GetString(*tp, "payload_sha256") +
                       "; the executed payload is " + executed + " (changed after approval)");
    }
    auto at = ParseRfc3339Ns(json::GetString(*e, "event_time"));
    auto issued = ParseRfc3339Ns(json::GetString(*tp, "issued_at"));
    auto expires = ParseRfc3339Ns(json::GetString(*tp, "expires_at"));
    if (!at || !issued || !expires || *at < *issued - 1000000000 || *at > *expires) {
      return violation("token " + f.token_id + " is valid from " + json::GetString(*tp, "issued_at") + " to " +
                       json::GetString(*tp, "expires_at") + "; executed at " + json::GetString(*e, "event_time"));
    }
    auto [first, inserted] = token_used_by.emplace(f.token_id, row.id);
    if (!inserted) return violation("token " + f.token_id + " was already used by " + first->second + " (a token is used once)");
    if (json::GetString(*tp, "decision") == "break_glass") {
      f.kind = "break_glass";
      f.message = "executed under break-glass by " + json::GetString(*tp, "approver") + ": " + json::GetString(*d, "reason");
      report.findings.push_back(f);
    }
    ++report.approved;
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return report;
}

}  // namespace oep
