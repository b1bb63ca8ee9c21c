// approvals request | list | approve | deny | break-glass (src/approvals/approvals.h).
#include <iostream>
#include <memory>

#include "approvals/approvals.h"
#include "cli/cli.h"
#include "crypto/sha256.h"
#include "json/json.h"
#include "util/display_text.h"
#include "util/files.h"
#include "util/time_syntax.h"

namespace oep::cli {
namespace {

struct ApprovalArgs {
  std::string state_path, tenant = std::string(kDefaultTenant);
  ApprovalRequestSpec call;
  std::string payload_file;
  std::string request_id, approver, reason, key, status, format = "human";
  std::string ttl = "15m";
};

// A duration (90s, 15m, 2h, 1d; util/time_syntax.h) or plain seconds.
Result<int64_t> TtlSeconds(const std::string& text) {
  std::optional<int64_t> seconds = ParseDurationSeconds(text);
  if (!seconds && !text.empty() && text.size() < 10 && text.find_first_not_of("0123456789") == std::string::npos) {
    seconds = std::stoll(text);
  }
  if (!seconds || *seconds < 1) return Status::InvalidArgument("--ttl " + text + ": expected a duration such as 90s, 15m, 2h or 1d");
  return *seconds;
}

// The payload hash: --payload-sha256, or the hash of the canonical form of --payload-file.
Status ResolvePayload(ApprovalArgs& a) {
  if (a.payload_file.empty()) return Status::Ok();
  if (!a.call.payload_sha256.empty()) return Status::InvalidArgument("give --payload-file or --payload-sha256, not both");
  auto text = ReadFile(a.payload_file);
  if (!text.ok()) return text.status().WithContext("--payload-file");
  auto doc = json::Parse(*text);
  if (!doc.ok()) return doc.status().WithContext(a.payload_file);
  a.call.payload_sha256 = crypto::Sha256Digest(json::CanonicalText(*doc));
  return Status::Ok();
}

template <typename Fn>
int WithStore(const ApprovalArgs& a, Fn fn) {
  auto store = Store::Open(Resolve(a.state_path), Store::Mode::kReadWrite);
  if (!store.ok()) return Fail(store.status());
  (*store)->ScopeToTenant(a.tenant);
  return fn(**store);
}

int PrintArtifact(const Result<std::string>& body, const ApprovalArgs& a) {
  if (!body.ok()) return Fail(body.status());
  auto doc = json::Parse(*body);
  if (!doc.ok()) return Fail(doc.status());
  if (a.format == "human") {
    std::string id = json::GetString(*doc, "request_id"), decision = json::GetString(*doc, "decision");
    std::cout << (decision.empty() ? "requested " + id : decision + " " + id);
    if (std::string token = json::GetString(*doc, "token_id"); !token.empty()) std::cout << "; decision token " << token;
    std::cout << "\n";
    return 0;
  }
  return PrintRecord(*doc, "", a.format, {});
}

int List(const ApprovalArgs& a) {
  if (!a.status.empty() && !IsApprovalStatus(a.status)) {
    return Fail(Status::InvalidArgument("--status " + a.status + ": expected pending, approved, denied or break_glass"));
  }
  return WithStore(a, [&](Store& store) {
    auto list = ListApprovals(store, a.status);
    if (!list.ok()) return Fail(list.status());
    if (a.format != "human") {
      rapidjson::Document doc(rapidjson::kArrayType);
      for (const auto& l : *list) {
        rapidjson::Value o;
        ApprovalListingToJson(l, &o, doc.GetAllocator());
        doc.PushBack(o, doc.GetAllocator());
      }
      return PrintRecord(doc, "", a.format, {});
    }
    if (list->empty()) std::cout << "no approval requests" << (a.status.empty() ? "" : " with status " + a.status) << "\n";
    for (const auto& l : *list) {
      std::cout << l.request_id << "  " << l.created_at << "  " << l.status << "  " << EscapeForTerminal(l.tool) << " ("
                << l.risk << ")  run " << l.trace_id << " step " << l.step << "  \"" << EscapeForTerminal(l.action_summary) << "\""
                << (l.decided_by.empty() ? "" : "  by " + EscapeForTerminal(l.decided_by)) << "\n";
    }
    return 0;
  });
}

}  // namespace

void AddApprovalsVerbs(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<ApprovalArgs>();
  CLI::App* root = app.add_subcommand("approvals", "approval gates: request, list, approve, deny, break-glass");
  root->require_subcommand(1);
  auto common = [&](CLI::App* cmd) {
    AddStatePath(cmd, &a->state_path);
    cmd->add_option("--tenant", a->tenant, "the tenant (default: default)");
    cmd->add_option("--output-format", a->format, "human, json or jsonl")->check(CLI::IsMember({"human", "json", "jsonl"}));
  };
  auto call_options = [&](CLI::App* cmd) {
    cmd->add_option("--run", a->call.trace_id, "the run (its trace id)")->required();
    cmd->add_option("--step", a->call.step, "the step that will execute the call")->required();
    cmd->add_option("--tool", a->call.tool, "the tool")->required();
    cmd->add_option("--summary", a->call.action_summary, "what the call does, for the approver")->required();
    cmd->add_option("--risk", a->call.risk, "low, medium, high or critical")->required();
    cmd->add_option("--payload-sha256", a->call.payload_sha256, "sha256:<hex> of the call's canonical payload");
    cmd->add_option("--payload-file", a->payload_file, "the call's payload (JSON); its canonical form is hashed");
    cmd->add_option("--project", a->call.project, "the project");
  };

  CLI::App* request = root->add_subcommand("request", "ask for a human decision on one exact tool call");
  call_options(request);
  request->add_option("--requested-by", a->call.requested_by, "who asks (agent or user id)")->required();
  common(request);
  request->callback([a, &exit_code] {
    Status s = ResolvePayload(*a);
    if (!s.ok()) {
      exit_code = Fail(s);
      return;
    }
    exit_code = WithStore(*a, [&](Store& store) { return PrintArtifact(RequestApproval(store, a->call, "cli:approvals request"), *a); });
  });

  CLI::App* list = root->add_subcommand("list", "approval requests and their decisions, oldest first");
  list->add_option("--status", a->status, "pending, approved, denied or break_glass");
  common(list);
  list->callback([a, &exit_code] { exit_code = List(*a); });

  for (const char* verb : {"approve", "deny"}) {
    CLI::App* cmd = root->add_subcommand(verb, std::string(verb) + " a pending request (with a reason)");
    cmd->add_option("request_id", a->request_id, "the request")->required();
    cmd->add_option("--approver", a->approver, "who decides")->required();
    cmd->add_option("--reason", a->reason, "why")->required();
    if (std::string(verb) == "approve") {
      cmd->add_option("--key", a->key, "the server's Ed25519 key (PEM) that signs the decision token")->required();
      cmd->add_option("--ttl", a->ttl, "how long the token is valid (90s, 15m, 2h, 1d)")->capture_default_str();
    }
    common(cmd);
    std::string decision = std::string(verb) == "approve" ? "approved" : "denied";
    cmd->callback([a, decision, &exit_code] {
      auto ttl = TtlSeconds(a->ttl);
      if (!ttl.ok()) {
        exit_code = Fail(ttl.status());
        return;
      }
      ApprovalDecisionSpec spec{a->request_id, decision, a->approver, a->reason, a->key, *ttl};
      exit_code = WithStore(*a, [&](Store& store) { return PrintArtifact(DecideApproval(store, spec, "cli:approvals " + decision), *a); });
    });
  }

  CLI::App* glass = root->add_subcommand("break-glass", "record an admin's execution without approval (always reported)");
  call_options(glass);
  glass->add_option("--admin", a->approver, "the admin who takes responsibility")->required();
  glass->add_option("--reason", a->reason, "why the approval is bypassed")->required();
  glass->add_option("--key", a->key, "the server's Ed25519 key (PEM) that signs the token")->required();
  glass->add_option("--ttl", a->ttl, "how long the token is valid")->capture_default_str();
  common(glass);
  glass->callback([a, &exit_code] {
    Status s = ResolvePayload(*a);
    auto ttl = TtlSeconds(a->ttl);
    if (!s.ok() || !ttl.ok()) {
      exit_code = Fail(s.ok() ? ttl.status() : s);
      return;
    }
    exit_code = WithStore(*a, [&](Store& store) {
      return PrintArtifact(BreakGlass(store, a->call, a->approver, a->reason, a->key, *ttl, "cli:approvals break-glass"), *a);
    });
  });
}

}  // namespace oep::cli
