// /v1/policies (versioned policy bundles per project), and the re-decisions that use them:
// POST /v1/decisions/{id}:counterfactual and POST /v1/impact.
//
// A policy is given as {"policy": {"project": P, "version": N}} (a stored version; the
// latest when "version" is absent), {"policy": {"rego": "<module text>"}} or
// {"policy": {"bundle_base64": "<.tar.gz bundle>"}}. Stored versions are a module or a .tar.gz.
#include <stdlib.h>

#include <filesystem>

#include "audit/audit.h"
#include "crypto/sha256.h"
#include "json/json.h"
#include "ledger/ledger.h"
#include "policy/policy_engine.h"
#include "replay/counterfactual.h"
#include "replay/impact.h"
#include "replay/impact_runs.h"
#include "crypto/encoding.h"
#include "server/api.h"
#include "server/policy_bundle.h"
#include "util/files.h"

namespace oep::server {
namespace {

constexpr size_t kMaxPolicyBytes = 4u << 20;

Status ValidateProject(const std::string& project) {
  bool ok = !project.empty() && project.size() <= 128;
  for (char c : project) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.');
  if (ok) return Status::Ok();
  return Status::InvalidArgument("?project: expected 1-128 letters, digits, '-', '_' or '.', found \"" + project + "\"");
}

}  // namespace

// Writes `bytes` (a Rego module or a .tar.gz bundle) for the engine and compiles it; a
// policy that does not compile is 400 with the engine's message (without temporary paths).
Result<std::unique_ptr<PolicyBundle>> CompiledBundle(std::string_view bytes, const std::string& pointer) {
  auto bundle = PolicyBundle::Write(bytes, pointer);
  if (!bundle.ok()) return bundle.status();
  PolicyEngineConfig config;
  config.bundle = (*bundle)->path();
  auto engine = MakePolicyEngine(config);
  if (!engine.ok()) {
    std::string msg = engine.status().message();
    for (size_t at; (at = msg.find((*bundle)->dir())) != std::string::npos;) msg.replace(at, (*bundle)->dir().size(), "policy");
    return Status::InvalidArgument(pointer + ": expected a policy that compiles: " + msg);
  }
  return bundle;
}

namespace {

Reply PostPolicy(Call& call) {
  std::string project = call.req.get_param_value("project");
  Status valid = ValidateProject(project);
  if (!valid.ok()) return ErrorReply(valid);
  if (call.body.empty() || call.body.size() > kMaxPolicyBytes) {
    return ErrorReply(Status::InvalidArgument("request body: expected a Rego module or a .tar.gz bundle of 1 byte to 4 MiB"));
  }
  auto compiles = CompiledBundle(call.body, "request body");
  if (!compiles.ok()) return ErrorReply(compiles.status());
  auto latest = call.store.LatestPolicyVersion(project);
  if (!latest.ok()) return ErrorReply(latest.status());
  std::string digest = crypto::Sha256Digest(call.body);
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  if (*latest > 0) {
    auto current = call.store.GetPolicyVersion(project, *latest);
    if (!current.ok()) return ErrorReply(current.status());
    if (*current && (*current)->digest == digest) {  // the same bundle again: no new version
      doc.AddMember("project", Str(project, a), a);
      doc.AddMember("version", *latest, a);
      doc.AddMember("digest", Str(digest, a), a);
      doc.AddMember("created", false, a);
      return JsonReply(200, doc);
    }
  }
  PolicyVersion p{project, *latest + 1, digest, static_cast<int64_t>(call.body.size()), call.body,
                  "key:" + call.key.key_id, NowUtcMicros()};
  std::string id = project + "/" + std::to_string(p.version), source = "POST /v1/policies";
  Status s = call.store.BeginBatch();
  if (s.ok()) {
    LedgerAppender ledger(call.store);
    auto entry = ledger.NextEntryId();
    s = entry.status();
    if (s.ok()) s = call.store.PutPolicyVersion(p, source, *entry);
    if (s.ok()) s = ledger.AppendArtifact(std::string(kStoreChain), "policies", id, crypto::Sha256Hex(call.body), source);
    if (s.ok()) s = RecordAuditInBatch(call.store, {"key:" + call.key.key_id, "policy.upload", id, "ok", digest});
    if (s.ok()) s = call.store.CommitBatch();
  }
  if (!s.ok()) return ErrorReply(s);
  doc.AddMember("project", Str(project, a), a);
  doc.AddMember("version", p.version, a);
  doc.AddMember("digest", Str(digest, a), a);
  doc.AddMember("created", true, a);
  return JsonReply(201, doc);
}

Reply ListPolicies(Call& call) {
  auto versions = call.store.PolicyVersions(call.req.get_param_value("project"));
  if (!versions.ok()) return ErrorReply(versions.status());
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  rapidjson::Value items(rapidjson::kArrayType);
  for (const auto& p : *versions) {
    rapidjson::Value v(rapidjson::kObjectType);
    v.AddMember("project", Str(p.project, a), a);
    v.AddMember("version", p.version, a);
    v.AddMember("digest", Str(p.digest, a), a);
    v.AddMember("size", p.size, a);
    v.AddMember("uploaded_by", Str(p.uploaded_by, a), a);
    v.AddMember("created_at", Str(p.created_at, a), a);
    items.PushBack(v, a);
  }
  doc.AddMember("policies", items, a);
  return JsonReply(200, doc);
}

}  // namespace

Result<NamedPolicy> PolicyOf(Store& store, const rapidjson::Value& body) {
  const rapidjson::Value* policy = body.IsObject() ? json::GetMember(body, "policy") : nullptr;
  if (policy == nullptr || !policy->IsObject()) {
    return Status::InvalidArgument(
        "/policy: expected {\"project\": P, \"version\"?: N}, {\"rego\": TEXT} or {\"bundle_base64\": TAR_GZ}");
  }
  const rapidjson::Value* rego = json::GetMember(*policy, "rego");
  if (rego != nullptr) {
    if (!rego->IsString() || rego->GetStringLength() == 0 || rego->GetStringLength() > kMaxPolicyBytes) {
      return Status::InvalidArgument("/policy/rego: expected a Rego module of 1 byte to 4 MiB");
    }
    return NamedPolicy{std::string(rego->GetString(), rego->GetStringLength()), "inline"};
  }
  const rapidjson::Value* archive = json::GetMember(*policy, "bundle_base64");
  if (archive != nullptr) {
    auto bytes = archive->IsString() ? crypto::Base64Decode(archive->GetString()) : std::nullopt;
    if (!bytes || bytes->empty() || bytes->size() > kMaxPolicyBytes) {
      return Status::InvalidArgument("/policy/bundle_base64: expected a base64 .tar.gz bundle of at most 4 MiB");
    }
    return NamedPolicy{*bytes, "inline bundle"};
  }
  const rapidjson::Value* project = json::GetMember(*policy, "project");
  if (project == nullptr || !project->IsString()) return Status::InvalidArgument("/policy/project: expected a string");
  const rapidjson::Value* version = json::GetMember(*policy, "version");
  if (version != nullptr && (!version->IsInt64() || version->GetInt64() < 1)) {
    return Status::InvalidArgument("/policy/version: expected an integer >= 1");
  }
  std::string name = project->GetString();
  int64_t v = version != nullptr ? version->GetInt64() : 0;
  if (v == 0) {
    auto latest = store.LatestPolicyVersion(name);
    if (!latest.ok()) return latest.status();
    v = *latest;
  }
  auto stored = v > 0 ? store.GetPolicyVersion(name, v) : Result<std::optional<PolicyVersion>>(std::optional<PolicyVersion>());
  if (!stored.ok()) return stored.status();
  if (!*stored) return Status::NotFound("no policy \"" + name + "\" version " + std::to_string(v));
  return NamedPolicy{(*stored)->body, name + "/v" + std::to_string(v)};
}

namespace {

// Replaces every string equal to `from` in `v` by `to` (the temporary bundle path by the policy's label).
void ReplaceStrings(rapidjson::Value& v, const std::string& from, const std::string& to,
                    rapidjson::Document::AllocatorType& a) {
  if (v.IsString() && from == v.GetString()) {
    v.SetString(to.c_str(), static_cast<rapidjson::SizeType>(to.size()), a);
  } else if (v.IsObject()) {
    for (auto& m : v.GetObject()) ReplaceStrings(m.value, from, to, a);
  } else if (v.IsArray()) {
    for (auto& e : v.GetArray()) ReplaceStrings(e, from, to, a);
  }
}

Reply Counterfactual(Call& call) {
  auto body = ParseBody(call);
  if (!body.ok()) return ErrorReply(body.status());
  auto policy = PolicyOf(call.store, *body);
  if (!policy.ok()) return ErrorReply(policy.status());
  auto file = CompiledBundle(policy->bytes, "/policy");
  if (!file.ok()) return ErrorReply(file.status());
  CounterfactualOptions options;
  options.engine.bundle = (*file)->path();
  options.query = json::GetString(*body, "query");
  options.replay_timestamp_utc = json::GetString(*body, "replay_timestamp_utc");
  auto record = CounterfactualReplay(call.store, std::string(call.req.matches[1]), options);
  if (!record.ok()) return ErrorReply(record.status());
  ReplaceStrings(*record, (*file)->path(), "policy:" + policy->label, record->GetAllocator());
  return JsonReply(200, *record);
}

Reply Impact(Call& call) {
  auto body = ParseBody(call);
  if (!body.ok()) return ErrorReply(body.status());
  auto policy = PolicyOf(call.store, *body);
  if (!policy.ok()) return ErrorReply(policy.status());
  const rapidjson::Value* save = json::GetMember(*body, "save");
  bool saving = save != nullptr && save->IsTrue();
  if (saving && !RoleAllows(call.key.role, Permission::kAdmin)) {
    return ErrorReply(Status::InvalidArgument("/save: saving an impact run needs the admin role"));
  }
  auto file = CompiledBundle(policy->bytes, "/policy");
  if (!file.ok()) return ErrorReply(file.status());
  ImpactOptions options;
  options.engine.bundle = (*file)->path();
  options.filter = {json::GetString(*body, "since"), json::GetString(*body, "until"), json::GetString(*body, "tool"),
                    json::GetString(*body, "actor")};
  auto report = RunImpact(call.store, options);
  if (!report.ok()) return ErrorReply(report.status());
  report->policy_bundle = "policy:" + policy->label;
  std::string text = report->ToJson();
  if (saving) {
    auto saved = SaveImpactRun(call.store, *report, NowUtcMicros().substr(0, 19) + "Z", json::GetString(*body, "label"));
    if (!saved.ok()) return ErrorReply(saved.status());
    text = saved->ToJson();
  }
  auto doc = json::Parse(text);
  if (!doc.ok()) return ErrorReply(doc.status());
  return JsonReply(200, *doc);
}

Reply ListImpactRunsRoute(Call& call) {
  auto runs = ListImpactRuns(call.store);
  if (!runs.ok()) return ErrorReply(runs.status());
  std::string text = "{\"runs\":[";
  for (size_t i = 0; i < runs->size(); ++i) text += (i ? "," : "") + (*runs)[i].ToJson();
  return {200, text + "]}"};
}

}  // namespace

void AddPolicyRoutes(httplib::Server& http, Context& ctx) {
  Route(http, ctx, "POST", "/v1/policies", Permission::kAdmin, PostPolicy);
  Route(http, ctx, "GET", "/v1/policies", Permission::kRead, ListPolicies);
  Route(http, ctx, "POST", R"(/v1/decisions/([^/:]+):counterfactual)", Permission::kRead, Counterfactual);
  Route(http, ctx, "POST", "/v1/impact", Permission::kRead, Impact);
  Route(http, ctx, "GET", "/v1/impact/runs", Permission::kRead, ListImpactRunsRoute);
}

}  // namespace oep::server
