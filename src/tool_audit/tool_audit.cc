#include "tool_audit/tool_audit.h"

#include <algorithm>
#include <cstdio>

#include "json/json.h"
#include "util/rfc3339.h"

namespace oep {

using rapidjson::Value;

bool IsBreakGlass(const Value& packet) {
  const Value* decision = json::GetMember(packet, "decision");
  if (decision == nullptr || !decision->IsObject()) return false;
  return json::GetString(*decision, "decision_code") == "break_glass" ||
         json::GetString(*decision, "matched_rule").find("break_glass") != std::string::npos;
}

void CountToolUse(const Value& packet, std::vector<ToolUse>* uses) {
  const Value* actor = json::GetMember(packet, "actor");
  const Value* tool = json::GetMember(packet, "tool");
  std::string actor_id = actor && actor->IsObject() ? json::GetString(*actor, "id", "?") : "?";
  std::string tool_name = tool && tool->IsObject() ? json::GetString(*tool, "name", "?") : "?";
  auto it = std::lower_bound(uses->begin(), uses->end(), std::make_pair(actor_id, tool_name),
                             [](const ToolUse& u, const std::pair<std::string, std::string>& k) {
                               return std::tie(u.actor, u.tool) < std::tie(k.first, k.second);
                             });
  if (it == uses->end() || it->actor != actor_id || it->tool != tool_name) {
    ToolUse fresh;
    fresh.actor = actor_id;
    fresh.tool = tool_name;
    it = uses->insert(it, std::move(fresh));
  }
  ++it->calls;
  const Value* decision = json::GetMember(packet, "decision");
  const Value* allow = decision && decision->IsObject() ? json::GetMember(*decision, "allow") : nullptr;
  if (allow && allow->IsBool()) ++(allow->GetBool() ? it->allowed : it->denied);
  const Value* approval = json::GetMember(packet, "approval_capture");
  if (approval && approval->IsObject() && json::GetString(*approval, "outcome") == "approved") ++it->approved;
  if (IsBreakGlass(packet)) ++it->break_glass;
  std::string at = json::GetString(packet, "decision_time");
  auto earlier = [](const std::string& a, const std::string& b) {
    auto na = ParseRfc3339Ns(a), nb = ParseRfc3339Ns(b);
    return na && nb ? *na < *nb : a < b;
  };
  if (it->first_use.empty() || earlier(at, it->first_use)) it->first_use = at;
  if (it->last_use.empty() || earlier(it->last_use, at)) it->last_use = at;
}

Result<std::vector<ToolUse>> AuditToolUse(Store& store, const std::string& since) {
  std::optional<int64_t> since_ns;
  if (!since.empty() && !(since_ns = ParseRfc3339Ns(since))) {
    return Status::InvalidArgument("--since \"" + since + "\": expected an RFC 3339 timestamp");
  }
  std::vector<ToolUse> uses;
  OEP_RETURN_IF_ERROR(store.ForEach(ArtifactKind::kPermissionPacket, [&](const StoredArtifact& row) -> Status {
    auto doc = json::Parse(row.body);
    if (!doc.ok()) return Status::Corruption("decisions/" + row.id + ": stored body is not JSON");
    if (since_ns) {
      auto at = ParseRfc3339Ns(json::GetString(*doc, "decision_time"));
      if (at && *at < *since_ns) return Status::Ok();
    }
    CountToolUse(*doc, &uses);
    return Status::Ok();
  }));
  return uses;
}

std::string RenderToolUse(const std::vector<ToolUse>& uses) {
  if (uses.empty()) return "no tool decisions\n";
  std::string out;
  char line[256];
  auto cut = [](const std::string& s, size_t n) { return s.size() > n ? s.substr(0, n - 1) + "~" : s; };
  // 15 + 1 + 12 + 5 x 6 + 1 + 10 + 1 + 10 = 80 columns; times as dates.
  std::snprintf(line, sizeof line, "%-15s %-12s %5s %5s %5s %5s %5s %-10s %s\n", "ACTOR", "TOOL", "CALLS", "ALLOW",
                "DENY", "APPR", "BRKGL", "FIRST", "LAST");
  out += line;
  for (const auto& u : uses) {
    std::snprintf(line, sizeof line, "%-15s %-12s %5lld %5lld %5lld %5lld %5lld %-10s %s\n", cut(u.actor, 15).c_str(),
                  cut(u.tool, 12).c_str(), static_cast<long long>(u.calls), static_cast<long long>(u.allowed),
                  static_cast<long long>(u.denied), static_cast<long long>(u.approved),
                  static_cast<long long>(u.break_glass), u.first_use.substr(0, 10).c_str(), u.last_use.substr(0, 10).c_str());
    out += line;
  }
  return out;
}

void ToolUseToJson(const std::vector<ToolUse>& uses, Value* out, rapidjson::Document::AllocatorType& a) {
  out->SetArray();
  for (const auto& u : uses) {
    Value o(rapidjson::kObjectType);
    o.AddMember("actor", Value(u.actor.c_str(), a), a);
    o.AddMember("tool", Value(u.tool.c_str(), a), a);
    o.AddMember("calls", u.calls, a);
    o.AddMember("allowed", u.allowed, a);
    o.AddMember("denied", u.denied, a);
    o.AddMember("approved", u.approved, a);
    o.AddMember("break_glass", u.break_glass, a);
    o.AddMember("first_use", Value(u.first_use.c_str(), a), a);
    o.AddMember("last_use", Value(u.last_use.c_str(), a), a);
    out->PushBack(o, a);
  }
}

}  // namespace oep
