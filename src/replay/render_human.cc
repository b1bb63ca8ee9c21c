#include <string>

#include "json/json.h"
#include "replay/replay.h"

namespace oep {
namespace {

using rapidjson::Value;

std::string At(const Value& root, std::string_view path) {
  const Value* v = json::FindDotted(root, path);
  if (v == nullptr || v->IsNull()) return "-";
  if (v->IsString()) return std::string(v->GetString(), v->GetStringLength());
  return json::CanonicalText(*v);
}

void Line(std::string& out, std::string_view label, const std::string& value) {
  out += "  ";
  out += label;
  out.append(label.size() < 12 ? 12 - label.size() : 1, ' ');
  out += value + "\n";
}

}  // namespace

std::string RenderReplayHuman(const Value& r) {
  std::string out;
  const Value* allow = json::FindDotted(r, "decision.allow");
  bool allowed = allow && allow->IsBool() && allow->GetBool();
  const Value* log = json::FindDotted(r, "permission_packet.body.opa_decision_log");
  bool undefined = log && log->IsObject() && !log->HasMember("result");
  out += "Decision " + At(r, "decision_id") + ": " + (undefined ? "UNDEFINED" : allowed ? "ALLOWED" : "DENIED") + "\n";
  Line(out, "time", At(r, "decision_time"));
  if (log && log->IsObject()) {
    Line(out, "logged", "OPA decision log: decision_id " + At(*log, "decision_id") + ", path " + At(*log, "path") +
                            ", requested by " + At(*log, "requested_by"));
  }
  Line(out, "actor", At(r, "actor.type") + " " + At(r, "actor.id"));
  Line(out, "tool", At(r, "tool.name") + " (" + At(r, "tool.operation") + ") " + At(r, "tool.version"));
  Line(out, "action", At(r, "requested_action.action_type") + ": " + At(r, "requested_action.name"));
  std::string mutability = At(r, "resource.mutable") == "true" ? "mutable" : "immutable";
  Line(out, "resource", At(r, "resource.type") + " " + At(r, "resource.id") + " (" + mutability + ")");
  Line(out, "rule", At(r, "decision.matched_rule"));
  Line(out, "reason", At(r, "decision.reason"));
  Line(out, "policy", At(r, "policy.policy_id") + " " + At(r, "policy.policy_version") + " (" +
                          At(r, "policy.package") + ", engine " + At(r, "policy.engine") + ")");
  Line(out, "bundle", At(r, "policy.bundle_digest"));

  out += "Release " + At(r, "manifest.manifest_id") + "\n";
  if (json::FindDotted(r, "manifest.release")) {
    Line(out, "release", At(r, "manifest.release.name") + " " + At(r, "manifest.release.version") + " (" +
                             At(r, "manifest.release.status") + ")");
    if (const Value* layers = json::FindDotted(r, "manifest.layer_bindings"); layers && layers->IsObject()) {
      for (const char* layer : {"model", "prompt", "tool_schema", "policy", "workflow", "rollout", "eval", "data_state"}) {
        std::string p = std::string("manifest.layer_bindings.") + layer;
        if (!json::FindDotted(r, p)) continue;
        Line(out, layer, At(r, p + ".name") + "@" + At(r, p + ".version") + " " + At(r, p + ".digest").substr(0, 19) +
                             "… [" + At(r, p + ".binding_status") + "]");
      }
    }
  } else {
    Line(out, "release", "MISSING from the store");
  }

  if (json::FindDotted(r, "event.body")) {
    out += "Event " + At(r, "event.body.event_id") + "\n";
    Line(out, "type", At(r, "event.body.event_type") + " at " + At(r, "event.body.event_time"));
    Line(out, "checkpoint", At(r, "event.body.checkpoint.name") + " #" + At(r, "event.body.checkpoint.sequence") +
                                " (" + At(r, "event.body.checkpoint.state") + ")");
    Line(out, "outcome", At(r, "event.body.outcome.status") + ": " + At(r, "event.body.outcome.summary"));
  } else {
    out += "Event MISSING from the store\n";
  }
  if (json::FindDotted(r, "trace.trace_id")) {
    out += "Trace " + At(r, "trace.trace_id") + " (" + At(r, "trace.status") + ", " + At(r, "trace.span_count") +
           " spans)\n";
    Line(out, "span", At(r, "trace.span.span_id") + " " + At(r, "trace.span.name") + " [" + At(r, "trace.span.status") + "]");
  } else {
    out += "Trace MISSING from the store\n";
  }
  if (json::FindDotted(r, "eval.eval_id")) {
    out += "Eval " + At(r, "eval.eval_id") + ": " + At(r, "eval.status") + "\n";
  }
  if (const Value* reviews = json::GetMember(r, "human_reviews"); reviews && reviews->IsArray()) {
    for (const auto& rev : reviews->GetArray()) {
      out += "Review " + At(rev, "event_id") + ": " + At(rev, "action.outcome") + " by " + At(rev, "reviewer.id") +
             " (" + At(rev, "reviewer.authority.role") + ") at " + At(rev, "event_time") + "\n";
    }
  }

  out += "Evidence";
  if (const Value* ev = json::GetMember(r, "evidence"); ev && ev->IsObject()) {
    for (const char* key : {"manifest", "event", "trace", "span", "eval", "opa_input", "replay_handle"}) {
      out += std::string("  ") + key + ": " + At(*ev, key);
    }
  }
  out += "\n";
  if (const Value* loss = json::FindDotted(r, "event.body.evidence_loss"); loss && loss->IsArray()) {
    for (const auto& item : loss->GetArray()) {
      out += "Evidence loss (" + At(item, "severity") + ") " + At(item, "field") + ": " + At(item, "impact") + "\n";
    }
  }
  if (const Value* issues = json::GetMember(r, "join_issues"); issues && issues->IsArray()) {
    for (const auto& issue : issues->GetArray()) out += "Join issue: " + std::string(issue.GetString()) + "\n";
  }
  return out;
}

}  // namespace oep
