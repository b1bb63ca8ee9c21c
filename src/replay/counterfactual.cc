#include "replay/counterfactual.h"

#include <algorithm>
#include <ctime>
#include <filesystem>

#include "json/json.h"
#include "util/files.h"
#include "replay/stored_decision.h"
#include "util/content_digest.h"

namespace oep {
namespace {

using rapidjson::Value;

}  // namespace

namespace {

std::string NowUtc() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

}  // namespace

namespace {

// The stored decision `id` with the OPA input recorded beside it, if any.
Result<StoredDecision> LoadStoredDecision(Store& store, std::string_view id, std::string* bundle_digest) {
  auto row = store.Get(ArtifactKind::kPermissionPacket, id);
  if (!row.ok()) return row.status();
  if (!*row) return UnknownIdError(store, ArtifactKind::kPermissionPacket, id, "decision");
  auto body = json::Parse((*row)->body);
  if (!body.ok()) return body.status().WithContext("stored decision " + std::string(id));
  std::optional<std::string> detached;
  if (!json::GetMember(*body, "opa_input")) {
    auto input = store.GetDecisionInput(id);
    if (!input.ok()) return input.status();
    if (*input) detached = (*input)->body;
  }
  *bundle_digest = json::GetString(*body, "policy_bundle_version");
  return ReadStoredDecision(id, (*row)->body, detached ? &*detached : nullptr);
}

}  // namespace

Result<rapidjson::Document> CounterfactualReplay(Store& store, std::string_view decision_id,
                                                 const CounterfactualOptions& options) {
  std::string original_bundle;
  auto stored = LoadStoredDecision(store, decision_id, &original_bundle);
  if (!stored.ok()) return stored.status();
  const StoredDecision& d = *stored;
  if (!d.input) {
    return Status::NotFound("decision \"" + std::string(decision_id) +
                            "\" has no recorded OPA input, so it cannot be re-decided");
  }
  auto engine = MakePolicyEngine(options.engine);
  if (!engine.ok()) return engine.status().WithContext("--policy-bundle");
  auto bundle_digest = ContentDigest(options.engine.bundle);
  if (!bundle_digest.ok()) return bundle_digest.status();
  std::string query = options.query.empty() ? d.query : options.query;
  DecisionRequest request{query, &*d.input, d.pinned_time_ns, d.nd_builtin_cache ? &*d.nd_builtin_cache : nullptr};
  std::vector<Decided> decided;
  OEP_RETURN_IF_ERROR((*engine)->Decide({request}, decided));
  Decided& result = decided[0];
  if (result.outcome.kind == Outcome::Kind::kError) {
    return Status::InvalidArgument("evaluating " + query + " under " + options.engine.bundle + ": " + result.outcome.error);
  }
  std::vector<std::string> reasons = result.evaluative_reasons;
  for (const auto& why : d.redactions) reasons.push_back(why);
  const Outcome& original = d.recorded;
  const Outcome& counterfactual = result.outcome;

  rapidjson::Document out(rapidjson::kObjectType);
  auto& a = out.GetAllocator();
  auto str = [&](const std::string& s) { return Value(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), a); };
  auto outcome = [&](const Outcome& o, const std::string& bundle) {
    Value v(rapidjson::kObjectType);
    v.AddMember("decision", str(o.decision), a);
    if (o.allow) v.AddMember("allow", Value(*o.allow), a);
    else v.AddMember("allow", Value(rapidjson::kNullType), a);
    Value rules(rapidjson::kArrayType);
    if (o.has_matched_rule) rules.PushBack(str(o.matched_rule), a);
    v.AddMember("matched_rules", rules, a);
    v.AddMember("rationale", o.has_reason ? str(o.reason) : Value(rapidjson::kNullType), a);
    v.AddMember("decision_code", o.has_code ? str(o.decision_code) : Value(rapidjson::kNullType), a);
    v.AddMember("policy_bundle_version", str(bundle), a);
    if (o.value) {
      Value full;
      o.value->ToRapid(&full, a);
      v.AddMember("value", full, a);
    }
    return v;
  };
  out.AddMember("schema_version", "oep.counterfactual_replay.v0", a);
  out.AddMember("replay_mode", "counterfactual", a);
  out.AddMember("decision_id", str(std::string(decision_id)), a);
  out.AddMember("query", str(query), a);
  out.AddMember("query_source", str(options.query.empty() ? QuerySourceName(d.query_source) : "--query"), a);
  Value engine_v(rapidjson::kObjectType);
  engine_v.AddMember("name", str((*engine)->Name()), a);
  engine_v.AddMember("version", str((*engine)->Description()), a);
  out.AddMember("engine", engine_v, a);
  if (result.compared) {
    // --engine both: the native result is reported; any disagreement is shown here.
    auto shown = [](const Outcome& o) { return o.kind == Outcome::Kind::kDefined ? o.ValueJson() : o.decision; };
    Value cmp(rapidjson::kObjectType);
    cmp.AddMember("agree", !result.Disagrees(), a);
    cmp.AddMember("native", str(shown(result.outcome)), a);
    cmp.AddMember("opa", str(shown(*result.compared)), a);
    cmp.AddMember("opa_binary", str(options.engine.opa ? options.engine.opa->binary : ""), a);
    out.AddMember("engine_comparison", cmp, a);
  }
  out.AddMember("original", outcome(original, original_bundle), a);
  out.AddMember("counterfactual", outcome(counterfactual, *bundle_digest), a);

  Value diff(rapidjson::kObjectType);
  std::vector<std::string> changed_fields = original.ChangedFields(counterfactual);
  diff.AddMember("decision_changed", original.decision != counterfactual.decision, a);
  diff.AddMember("rationale_changed", original.reason != counterfactual.reason, a);
  diff.AddMember("transition", str(original.decision + "->" + counterfactual.decision), a);
  Value changed(rapidjson::kArrayType);
  for (const auto& f : changed_fields) changed.PushBack(str(f), a);
  diff.AddMember("changed_fields", changed, a);
  Value delta(rapidjson::kObjectType), added(rapidjson::kArrayType), removed(rapidjson::kArrayType), same(rapidjson::kArrayType);
  if (original.matched_rule == counterfactual.matched_rule) {
    if (original.has_matched_rule) same.PushBack(str(original.matched_rule), a);
  } else {
    if (counterfactual.has_matched_rule) added.PushBack(str(counterfactual.matched_rule), a);
    if (original.has_matched_rule) removed.PushBack(str(original.matched_rule), a);
  }
  delta.AddMember("added", added, a);
  delta.AddMember("removed", removed, a);
  delta.AddMember("unchanged", same, a);
  diff.AddMember("rule_set_delta", delta, a);
  out.AddMember("diff", diff, a);

  Value meta(rapidjson::kObjectType);
  meta.AddMember("oep_replay_mode", "counterfactual", a);
  meta.AddMember("replay_class", str(reasons.empty() ? "deterministic" : "evaluative"), a);
  Value exclusions(rapidjson::kArrayType);
  if (!options.strip_exclusions) {
    exclusions.PushBack("replay_metadata.replay_timestamp_utc", a);
    meta.AddMember("replay_timestamp_utc",
                   str(options.replay_timestamp_utc.empty() ? NowUtc() : options.replay_timestamp_utc), a);
  }
  meta.AddMember("determinism_exclusions", exclusions, a);
  meta.AddMember("nd_builtin_cache_entries_used", result.nd_cache_hits, a);
  Value why(rapidjson::kArrayType);
  for (const auto& r : reasons) why.PushBack(str(r), a);
  meta.AddMember("evaluative_reasons", why, a);
  if (d.pinned_time_ns) meta.AddMember("pinned_time_ns", Value(static_cast<int64_t>(*d.pinned_time_ns)), a);
  else meta.AddMember("pinned_time_ns", Value(rapidjson::kNullType), a);
  out.AddMember("replay_metadata", meta, a);
  return out;
}

std::string RenderCounterfactualHuman(const Value& r) {
  auto at = [&](const char* path) {
    const Value* v = json::FindDotted(r, path);
    if (v == nullptr || v->IsNull()) return std::string("-");
    return v->IsString() ? std::string(v->GetString()) : json::CanonicalText(*v);
  };
  auto row = [&](const char* label, const std::string& a, const std::string& b) {
    std::string line = std::string("  ") + label;
    line.append(14 - std::string(label).size(), ' ');
    line += a;
    line.append(a.size() < 36 ? 36 - a.size() : 1, ' ');
    bool header = std::string(label).empty();
    return line + b + (!header && a != b ? "   <- changed" : "") + "\n";
  };
  std::string upper_o = at("original.decision"), upper_c = at("counterfactual.decision");
  for (auto& c : upper_o) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (auto& c : upper_c) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string out = "Counterfactual replay of " + at("decision_id") + " (" + at("query") + ")\n";
  out += "  engine        " + at("engine.name") + " (" + at("engine.version") + ")\n";
  out += row("", "original", "counterfactual");
  out += row("decision", upper_o, upper_c);
  out += row("rule", at("original.matched_rules.0"), at("counterfactual.matched_rules.0"));
  out += row("reason", at("original.rationale"), at("counterfactual.rationale"));
  out += row("code", at("original.decision_code"), at("counterfactual.decision_code"));
  out += row("bundle", at("original.policy_bundle_version").substr(0, 19) + "…",
             at("counterfactual.policy_bundle_version").substr(0, 19) + "…");
  out += "Transition " + at("diff.transition") + "; changed fields: " + at("diff.changed_fields") + "\n";
  out += "Replay class " + at("replay_metadata.replay_class");
  if (const Value* why = json::FindDotted(r, "replay_metadata.evaluative_reasons"); why && why->IsArray()) {
    for (const auto& w : why->GetArray()) out += "\n  evaluative: " + std::string(w.GetString());
  }
  return out + "\n";
}

}  // namespace oep
