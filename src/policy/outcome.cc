#include "policy/outcome.h"

#include <optional>
#include <string>
#include <vector>

#include "json/json.h"

namespace oep {

namespace {

// The decision members of a defined value, viewed in place (no copies until the outcome
// keeps them): a boolean `allow`, strings matched_rule / reason / decision_code.
struct DecisionView {
  std::optional<bool> allow;
  std::optional<std::string_view> matched_rule, reason, decision_code;
};

// Fills the decision view of a defined value: a bare boolean (`bare`), or an object whose
// decision members `view` holds.
void ReadDecision(Outcome& o, std::optional<bool> bare, bool is_object, const DecisionView& view) {
  o.kind = Outcome::Kind::kDefined;
  if (bare) o.allow = bare;
  if (is_object) {
    o.allow = view.allow;
    if (view.matched_rule) o.matched_rule = *view.matched_rule, o.has_matched_rule = true;
    if (view.reason) o.reason = *view.reason, o.has_reason = true;
    if (view.decision_code) o.decision_code = *view.decision_code, o.has_code = true;
  }
  o.decision = !o.allow ? "value" : (*o.allow ? "allow" : "deny");
}

// Which decision member `name` is, or nullptr (allow is handled by the callers).
std::optional<std::string_view>* TextMember(DecisionView& view, std::string_view name) {
  if (name == "matched_rule") return &view.matched_rule;
  if (name == "reason") return &view.reason;
  if (name == "decision_code") return &view.decision_code;
  return nullptr;
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
  DecisionView view;
  if (v.IsObject()) {
    for (const auto& m : v.GetObject()) {
      std::string_view name(m.name.GetString(), m.name.GetStringLength());
      if (name == "allow" && m.value.IsBool()) view.allow = m.value.GetBool();
      if (!m.value.IsString()) continue;
      if (auto* text = TextMember(view, name)) *text = std::string_view(m.value.GetString(), m.value.GetStringLength());
    }
  }
  ReadDecision(o, bare, v.IsObject(), view);
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
  DecisionView view;  // the decision members, in one pass over the object
  if (v->is_object()) {
    for (const auto& [k, x] : v->object()) {
      if (!k.is_string()) continue;
      const std::string& name = k.str();
      if (name == "allow" && x.is_bool()) view.allow = x.as_bool();
      if (!x.is_string()) continue;
      if (auto* text = TextMember(view, name)) *text = x.str();
    }
  }
  ReadDecision(o, bare, v->is_object(), view);
  return o;
}

Outcome Outcome::FromDecisionBlock(DecisionBlock block) {
  Outcome o;
  DecisionView view;
  view.allow = block.allow;
  ReadDecision(o, std::nullopt, true, view);
  auto take = [](std::optional<std::string>& from, std::string& to, bool& has) {
    if (from) to = std::move(*from), has = true;
  };
  take(block.matched_rule, o.matched_rule, o.has_matched_rule);
  take(block.reason, o.reason, o.has_reason);
  take(block.decision_code, o.decision_code, o.has_code);
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
