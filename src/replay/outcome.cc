#include "replay/outcome.h"

#include <string_view>
#include <vector>

#include "json/json.h"

namespace oep {

Outcome Outcome::FromJson(const rapidjson::Value* v) {
  Outcome o;
  if (v == nullptr) {
    o.decision = "undefined";
    return o;
  }
  if (v->IsBool()) {
    o.allow = v->GetBool();
  } else if (v->IsObject()) {
    if (const auto* a = json::GetMember(*v, "allow"); a && a->IsBool()) o.allow = a->GetBool();
    if (const auto* m = json::GetMember(*v, "matched_rule"); m && m->IsString()) o.matched_rule = m->GetString(), o.has_matched_rule = true;
    if (const auto* r = json::GetMember(*v, "reason"); r && r->IsString()) o.reason = r->GetString(), o.has_reason = true;
    if (const auto* c = json::GetMember(*v, "decision_code"); c && c->IsString()) o.decision_code = c->GetString(), o.has_code = true;
  }
  o.decision = !o.allow ? "undefined" : (*o.allow ? "allow" : "deny");
  return o;
}

Outcome Outcome::FromRego(const rego::Value* v) {
  Outcome o;
  if (v == nullptr) {
    o.decision = "undefined";
    return o;
  }
  if (v->is_bool()) {
    o.allow = v->as_bool();
  } else if (v->is_object()) {
    auto member = [&](const char* key) { return v->Get(rego::Value::String(key)); };
    if (auto a = member("allow"); a && a->is_bool()) o.allow = a->as_bool();
    if (auto m = member("matched_rule"); m && m->is_string()) o.matched_rule = m->str(), o.has_matched_rule = true;
    if (auto r = member("reason"); r && r->is_string()) o.reason = r->str(), o.has_reason = true;
    if (auto c = member("decision_code"); c && c->is_string()) o.decision_code = c->str(), o.has_code = true;
  }
  o.decision = !o.allow ? "undefined" : (*o.allow ? "allow" : "deny");
  return o;
}

std::vector<std::string> Outcome::ChangedFields(const Outcome& other) const {
  std::vector<std::string> out;
  if (allow != other.allow) out.push_back("allow");
  if (matched_rule != other.matched_rule) out.push_back("matched_rule");
  if (reason != other.reason) out.push_back("reason");
  if (decision_code != other.decision_code) out.push_back("decision_code");
  return out;
}

Outcome RecordedOutcome(const rapidjson::Value& packet) {
  if (const auto* log = json::GetMember(packet, "opa_decision_log"); log && log->IsObject()) {
    return Outcome::FromJson(json::GetMember(*log, "result"));  // absent: undefined
  }
  return Outcome::FromJson(json::GetMember(packet, "decision"));
}

std::vector<std::string> RecordedInputRedactions(const rapidjson::Value& packet) {
  std::vector<std::string> out;
  const auto* log = json::GetMember(packet, "opa_decision_log");
  if (log == nullptr || !log->IsObject()) return out;
  for (const char* how : {"erased", "masked"}) {
    const auto* pointers = json::GetMember(*log, how);
    if (pointers == nullptr || !pointers->IsArray()) continue;
    for (const auto& p : pointers->GetArray()) {
      if (!p.IsString()) continue;
      std::string_view ptr(p.GetString(), p.GetStringLength());
      if (ptr == "/input" || ptr.rfind("/input/", 0) == 0) {
        out.push_back("the OPA decision logger " + std::string(how) + " " + std::string(ptr) +
                      ", so the recorded input is not the input the policy saw");
      }
    }
  }
  return out;
}

}  // namespace oep
