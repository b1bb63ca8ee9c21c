#include "policy/outcome.h"

#include <optional>
#include <string>
#include <vector>

#include "json/json.h"

namespace oep {

namespace {

// One member of a decision object: a boolean or a string, when it is one.
struct Member {
  std::optional<bool> boolean;
  std::optional<std::string> text;
};

// Fills the decision view of a defined value: a bare boolean (`bare`), or an object whose
// members `member(name)` reads.
template <typename MemberOf>
void ReadDecision(Outcome& o, std::optional<bool> bare, bool is_object, MemberOf member) {
  o.kind = Outcome::Kind::kDefined;
  if (bare) o.allow = bare;
  if (is_object) {
    o.allow = member("allow").boolean;
    if (auto m = member("matched_rule").text) o.matched_rule = *m, o.has_matched_rule = true;
    if (auto r = member("reason").text) o.reason = *r, o.has_reason = true;
    if (auto c = member("decision_code").text) o.decision_code = *c, o.has_code = true;
  }
  o.decision = !o.allow ? "value" : (*o.allow ? "allow" : "deny");
}

Member BlockMember(const Outcome::DecisionBlock& block, std::string_view key) {
  Member m;
  if (key == "allow") m.boolean = block.allow;
  else if (key == "matched_rule") m.text = block.matched_rule;
  else if (key == "reason") m.text = block.reason;
  else if (key == "decision_code") m.text = block.decision_code;
  return m;
}

}  // namespace

Outcome Outcome::Undefined() { return Outcome{}; }

Outcome Outcome::Error(std::string message) {
  Outcome o;
  o.kind = Kind::kError;
  o.error = std::move(message);
  o.decision = "error";
  return o;
}

namespace {

// The decision view of a defined JSON value, without the value itself.
Outcome JsonDecision(const rapidjson::Value& v) {
  Outcome o;
  std::optional<bool> bare = v.IsBool() ? std::optional<bool>(v.GetBool()) : std::nullopt;
  ReadDecision(o, bare, v.IsObject(), [&](const char* key) {
    Member m;
    if (const auto* x = json::GetMember(v, key)) {
      if (x->IsBool()) m.boolean = x->GetBool();
      if (x->IsString()) m.text = std::string(x->GetString(), x->GetStringLength());
    }
    return m;
  });
  return o;
}

}  // namespace

Outcome Outcome::FromJson(const rapidjson::Value* v) {
  if (v == nullptr) return Outcome{};
  Outcome o = JsonDecision(*v);
  o.value = rego::Value::FromRapid(*v);
  return o;
}

Outcome Outcome::FromRego(const rego::Value* v) {
  Outcome o;
  if (v == nullptr) return o;
  o.value = *v;
  std::optional<bool> bare = v->is_bool() ? std::optional<bool>(v->as_bool()) : std::nullopt;
  DecisionBlock block;  // the decision members, in one pass over the object
  if (v->is_object()) {
    for (const auto& [k, x] : v->object()) {
      if (!k.is_string()) continue;
      const std::string& name = k.str();
      if (name == "allow" && x.is_bool()) block.allow = x.as_bool();
      if (!x.is_string()) continue;
      if (name == "matched_rule") block.matched_rule = x.str();
      else if (name == "reason") block.reason = x.str();
      else if (name == "decision_code") block.decision_code = x.str();
    }
  }
  ReadDecision(o, bare, v->is_object(), [&](const char* key) { return BlockMember(block, key); });
  return o;
}

Outcome Outcome::FromDecisionBlock(const DecisionBlock& block) {
  Outcome o;
  ReadDecision(o, std::nullopt, true, [&](const char* key) { return BlockMember(block, key); });
  o.summary_only = true;
  return o;
}

std::vector<std::string> Outcome::ChangedFields(const Outcome& other) const {
  std::vector<std::string> out;
  if (kind != other.kind) out.push_back("outcome");
  if (kind == Kind::kError && other.kind == Kind::kError && error != other.error) out.push_back("error");
  if (kind != Kind::kDefined || other.kind != Kind::kDefined) return out;
  if (allow != other.allow) out.push_back("allow");
  if (matched_rule != other.matched_rule) out.push_back("matched_rule");
  if (reason != other.reason) out.push_back("reason");
  if (decision_code != other.decision_code) out.push_back("decision_code");
  // Compared as JSON: a logged result holds sets as arrays.
  if (out.empty() && !summary_only && !other.summary_only && ValueJson() != other.ValueJson()) out.push_back("value");
  return out;
}

}  // namespace oep
