// Approval gates bound to execution. A risky tool call is first requested (an approval
// request: run, step, tool, summary, risk, and the SHA-256 of the call's exact payload); a
// human approves or denies it with a reason; approving issues a decision token signed with
// Ed25519, which the agent records in the tool-execution event (`approval.token_id`). An
// admin may instead record a break-glass entry (also a signed token, always reported).
// Requests and decisions are artifacts (permissions/schema/approval_*.v0) on their run's
// ledger chain, in the scoped tenant; every decision is also written to the audit log.
//
// The executed payload: a tool-execution event (event_type tool_call.executed,
// tool_call.completed or tool_call.failed) records the call it ran as `tool_payload` (any
// JSON; its hash is SHA-256 of its RFC 8785 canonical form) and the tool as
// `tool_payload.tool`, else `action.action_type`.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "keys/keys.h"
#include "store/store.h"
#include "util/status.h"

namespace oep {

struct ApprovalRequestSpec {
  std::string trace_id;  // the run
  int64_t step = 0;
  std::string tool, action_summary, risk, payload_sha256, requested_by, project;
};

// Stores a new request (its id generated) and returns its canonical JSON.
// InvalidArgument naming the field and what was expected.
Result<std::string> RequestApproval(Store& store, const ApprovalRequestSpec& spec, const std::string& source);

struct ApprovalDecisionSpec {
  std::string request_id;
  std::string decision;  // approved | denied
  std::string decided_by, reason;
  std::string key_path;       // the signing key (approved only)
  int64_t ttl_seconds = 900;  // how long the token is valid
};

// Decides a pending request: NotFound for an unknown request, Conflict for one already
// decided. Approving signs a token with `key_path`. Returns the decision's canonical JSON.
Result<std::string> DecideApproval(Store& store, const ApprovalDecisionSpec& spec, const std::string& source);

// An admin's break-glass entry: a request and a decision "break_glass" with its token, in
// one batch. Returns the decision's canonical JSON.
Result<std::string> BreakGlass(Store& store, const ApprovalRequestSpec& call, const std::string& admin,
                               const std::string& reason, const std::string& key_path, int64_t ttl_seconds,
                               const std::string& source);

struct ApprovalListing {
  std::string request_id, created_at, trace_id, tool, risk, action_summary, payload_sha256;
  int64_t step = 0;
  std::string status;  // pending | approved | denied | break_glass
  std::string decided_by, reason, token_id;
};

// pending | approved | denied | break_glass
bool IsApprovalStatus(std::string_view status);
// A listing as the CLI's JSON and the API show it.
void ApprovalListingToJson(const ApprovalListing& listing, rapidjson::Value* out,
                           rapidjson::Document::AllocatorType& a);

// Requests of the scoped tenant in creation order; `status` ("" = all) filters
// (InvalidArgument "status: expected ..." for another value).
Result<std::vector<ApprovalListing>> ListApprovals(Store& store, const std::string& status);

// How each tool is governed: allow (default), require_approval, block. The file form is
// {"tools": {"<tool>": "allow|require_approval|block"}}.
using ToolModes = std::map<std::string, std::string>;
Result<ToolModes> LoadToolModes(const std::string& path);

struct ApprovalFinding {
  std::string kind;  // violation | break_glass
  std::string event_id, trace_id, tool, token_id;
  std::string message;
};

struct ApprovalReport {
  int64_t executions = 0;  // tool-execution events seen
  int64_t gated = 0;       // of tools marked require_approval
  int64_t approved = 0;    // with a valid token
  std::vector<ApprovalFinding> findings;
  int64_t violations() const;
};

// Checks every tool-execution event of the scoped tenant: a require_approval tool needs a
// token issued to this tenant, signed by a key trusted as `server`, whose payload hash is
// the executed payload's, valid at the event's time, used by no other execution; a
// blocked tool executed at all is a violation; break-glass executions are reported.
Result<ApprovalReport> VerifyApprovals(Store& store, const ToolModes& modes, const TrustedKeys& trusted);

// The token payload's canonical JSON that the signature covers.
std::string TokenSigningText(const rapidjson::Value& payload);

}  // namespace oep
