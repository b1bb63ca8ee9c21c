// /v1/approvals: request (ingest), list (viewer), approve and deny (approver, signed with the
// server key), break-glass (admin). Every decision names the deciding key as its approver.
#include "approvals/approvals.h"
#include "json/json.h"
#include "server/api.h"

namespace oep::server {
namespace {

Result<std::string> StringMember(const rapidjson::Value& body, const char* name, bool required) {
  const auto* v = json::GetMember(body, name);
  if (v == nullptr && !required) return std::string();
  if (v == nullptr || !v->IsString()) return Status::InvalidArgument(std::string("/") + name + ": expected a string");
  return std::string(v->GetString(), v->GetStringLength());
}

// The call an approval is about: {run_id, step, tool, action_summary, risk, payload_sha256, project?}.
Result<ApprovalRequestSpec> CallSpec(const rapidjson::Value& body, const std::string& who) {
  ApprovalRequestSpec s;
  const auto* step = json::GetMember(body, "step");
  if (step == nullptr || !step->IsInt64()) return Status::InvalidArgument("/step: expected an integer >= 1");
  s.step = step->GetInt64();
  for (auto [field, name] : {std::pair<std::string*, const char*>{&s.trace_id, "run_id"}, {&s.tool, "tool"},
                             {&s.action_summary, "action_summary"}, {&s.risk, "risk"},
                             {&s.payload_sha256, "payload_sha256"}}) {
    auto v = StringMember(body, name, true);
    if (!v.ok()) return v.status();
    *field = *v;
  }
  auto project = StringMember(body, "project", false);
  if (!project.ok()) return project.status();
  s.project = *project;
  s.requested_by = who;
  return s;
}

// Library errors name fields ("risk: expected ..."); the API names JSON pointers.
Status AsPointer(const Status& s) {
  if (s.ok() || s.code() != StatusCode::kInvalidArgument || s.message().rfind('/', 0) == 0) return s;
  std::string m = s.message();
  if (m.rfind("run:", 0) == 0) m = "run_id" + m.substr(3);
  return Status::InvalidArgument("/" + m);
}

Reply Artifact(int status, const Result<std::string>& body) {
  if (!body.ok()) return ErrorReply(AsPointer(body.status()));
  Reply r;
  r.status = status;
  r.body = *body;
  return r;
}

std::string Who(const Call& call) { return "key:" + call.key.key_id; }

Reply RequestRoute(Context& ctx, Call& call) {
  auto body = ParseBody(call);
  if (!body.ok()) return ErrorReply(body.status());
  Status only = OnlyMembers(*body, {"run_id", "step", "tool", "action_summary", "risk", "payload_sha256", "project"});
  if (!only.ok()) return ErrorReply(only);
  auto spec = CallSpec(*body, Who(call));
  if (!spec.ok()) return ErrorReply(spec.status());
  auto request = RequestApproval(call.store, *spec, "POST /v1/approvals " + Who(call));
  if (request.ok()) {
    auto doc = json::Parse(*request);
    if (doc.ok()) EmitWebhookEvents(ctx, call.store, "approval.requested", std::span(&*doc, 1));
  }
  return Artifact(201, request);
}

Reply DecideRoute(Call& call, const std::string& decision, const std::string& key_path) {
  auto body = ParseBody(call);
  if (!body.ok()) return ErrorReply(body.status());
  Status only = OnlyMembers(*body, {"reason", "ttl_seconds"});
  if (!only.ok()) return ErrorReply(only);
  auto reason = StringMember(*body, "reason", true);
  if (!reason.ok()) return ErrorReply(reason.status());
  ApprovalDecisionSpec spec{call.req.matches[1], decision, Who(call), *reason, key_path, 900};
  if (const auto* ttl = json::GetMember(*body, "ttl_seconds")) {
    if (!ttl->IsInt64()) return ErrorReply(Status::InvalidArgument("/ttl_seconds: expected an integer"));
    spec.ttl_seconds = ttl->GetInt64();
  }
  if (spec.ttl_seconds < 1 || spec.ttl_seconds > 7 * 86400) {
    return ErrorReply(Status::InvalidArgument("/ttl_seconds: expected 1 second to 7 days"));
  }
  if (decision == "approved" && key_path.empty()) {
    return ErrorReply(Status::Conflict("this server has no --server-key: it cannot sign decision tokens"));
  }
  return Artifact(200, DecideApproval(call.store, spec, "POST /v1/approvals/" + spec.request_id + " " + Who(call)));
}

Reply BreakGlassRoute(Call& call, const std::string& key_path) {
  auto body = ParseBody(call);
  if (!body.ok()) return ErrorReply(body.status());
  Status only = OnlyMembers(*body, {"run_id", "step", "tool", "action_summary", "risk", "payload_sha256", "project", "reason"});
  if (!only.ok()) return ErrorReply(only);
  auto spec = CallSpec(*body, Who(call));
  if (!spec.ok()) return ErrorReply(spec.status());
  auto reason = StringMember(*body, "reason", true);
  if (!reason.ok()) return ErrorReply(reason.status());
  if (key_path.empty()) return ErrorReply(Status::Conflict("this server has no --server-key: it cannot sign decision tokens"));
  return Artifact(201, BreakGlass(call.store, *spec, Who(call), *reason, key_path, 900, "POST /v1/approvals:break-glass " + Who(call)));
}

Reply ListRoute(Call& call) {
  for (const auto& [name, value] : call.req.params) {
    if (name != "status") return ErrorReply(Status::InvalidArgument("?" + name + ": unknown parameter; expected status"));
  }
  std::string status = call.req.get_param_value("status");
  if (!status.empty() && !IsApprovalStatus(status)) {
    return ErrorReply(Status::InvalidArgument("?status: expected pending, approved, denied or break_glass, found \"" + status + "\""));
  }
  auto list = ListApprovals(call.store, status);
  if (!list.ok()) return ErrorReply(list.status());
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  rapidjson::Value items(rapidjson::kArrayType);
  for (const auto& l : *list) {
    rapidjson::Value o;
    ApprovalListingToJson(l, &o, a);
    items.PushBack(o, a);
  }
  doc.AddMember("approvals", items, a);
  return JsonReply(200, doc);
}

}  // namespace

void AddApprovalRoutes(httplib::Server& http, Context& ctx) {
  std::string key = ctx.server_key_path;
  Route(http, ctx, "POST", "/v1/approvals", Permission::kWrite, [&ctx](Call& call) { return RequestRoute(ctx, call); });
  Route(http, ctx, "GET", "/v1/approvals", Permission::kRead, ListRoute);
  Route(http, ctx, "POST", R"(/v1/approvals/([^/:]+):approve)", Permission::kApprove,
        [key](Call& call) { return DecideRoute(call, "approved", key); });
  Route(http, ctx, "POST", R"(/v1/approvals/([^/:]+):deny)", Permission::kApprove,
        [key](Call& call) { return DecideRoute(call, "denied", key); });
  Route(http, ctx, "POST", "/v1/approvals:break-glass", Permission::kAdmin,
        [key](Call& call) { return BreakGlassRoute(call, key); });
}

}  // namespace oep::server
