#include "replay/outcome.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "json/json.h"

namespace oep {

namespace {

// One member of a decision object: a boolean or a string, when it is one.
struct Member {
  std::optional<bool> boolean;
  std::optional<std::string> text;
};

// The outcome of a decision value that is `defined`, a bare boolean (`bare`), or an object
// whose members `member(name)` reads.
template <typename MemberOf>
Outcome Read(bool defined, std::optional<bool> bare, bool is_object, MemberOf member) {
  Outcome o;
  if (bare) o.allow = bare;
  if (defined && is_object) {
    o.allow = member("allow").boolean;
    if (auto m = member("matched_rule").text) o.matched_rule = *m, o.has_matched_rule = true;
    if (auto r = member("reason").text) o.reason = *r, o.has_reason = true;
    if (auto c = member("decision_code").text) o.decision_code = *c, o.has_code = true;
  }
  o.decision = !o.allow ? "undefined" : (*o.allow ? "allow" : "deny");
  return o;
}

}  // namespace

Outcome Outcome::FromJson(const rapidjson::Value* v) {
  std::optional<bool> bare = v && v->IsBool() ? std::optional<bool>(v->GetBool()) : std::nullopt;
  return Read(v != nullptr, bare, v && v->IsObject(), [&](const char* key) {
    Member m;
    if (const auto* x = json::GetMember(*v, key)) {
      if (x->IsBool()) m.boolean = x->GetBool();
      if (x->IsString()) m.text = std::string(x->GetString(), x->GetStringLength());
    }
    return m;
  });
}

Outcome Outcome::FromRego(const rego::Value* v) {
  std::optional<bool> bare = v && v->is_bool() ? std::optional<bool>(v->as_bool()) : std::nullopt;
  return Read(v != nullptr, bare, v && v->is_object(), [&](const char* key) {
    Member m;
    if (auto x = v->Get(rego::Value::String(key))) {
      if (x->is_bool()) m.boolean = x->as_bool();
      if (x->is_string()) m.text = x->str();
    }
    return m;
  });
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
