#include "replay/counterfactual.h"

#include <algorithm>
#include <ctime>
#include <filesystem>

#include "json/json.h"
#include "util/files.h"
#include "surfaces/surfaces.h"
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

constexpr const char* kDeterministicBoundary =
    "oep re-derived this decision from its recorded fields by fixed rules (every substituted surface is deterministic); "
    "it shows what the substituted rules decide over the recorded evidence, not what an agent would have done next.";
constexpr const char* kEvaluativeBoundary =
    "oep re-derived the deterministic surfaces of this decision from its recorded fields by fixed rules; the evaluative "
    "surfaces (replay_metadata.evaluative_reasons) are counterfactual estimates, not claims of what would have happened.";

// diff.approval_delta: null unless the counterfactual outcome's value names an approval
// requirement (approval_required / requires_approval, or a matched rule that "requires" an
// "approval"); then whether the recorded packet captured one.
rapidjson::Value ApprovalDelta(const rapidjson::Value& packet, const Outcome& counterfactual,
                               rapidjson::Document::AllocatorType& a) {
  std::optional<bool> required;
  if (counterfactual.value && counterfactual.value->is_object()) {
    for (const char* key : {"approval_required", "requires_approval"}) {
      auto v = counterfactual.value->Get(rego::Value::String(key));
      if (v && v->is_bool()) required = v->as_bool();
    }
  }
  if (!required) {
    const std::string& rule = counterfactual.matched_rule;
    if (rule.find("approval") != std::string::npos && rule.find("requires") != std::string::npos) required = true;
  }
  if (!required) return rapidjson::Value(rapidjson::kNullType);
  const rapidjson::Value* capture = json::GetMember(packet, "approval_capture");
  bool captured = capture != nullptr && !capture->IsNull();
  rapidjson::Value v(rapidjson::kObjectType);
  v.AddMember("original_approval_captured", captured, a);
  v.AddMember("counterfactual_approval_required", *required, a);
  v.AddMember("approval_missing", *required && !captured, a);
  return v;
}

// The stored decision `id` with the OPA input recorded beside it, if any.
Result<StoredDecision> LoadStoredDecision(Store& store, std::string_view id, std::string* bundle_digest,
                                          rapidjson::Document* packet) {
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
  auto read = ReadStoredDecision(id, (*row)->body, detached ? &*detached : nullptr);
  *packet = std::move(*body);
  return read;
}

}  // namespace

Result<rapidjson::Document> CounterfactualReplay(Store& store, std::string_view decision_id,
                                                 const CounterfactualOptions& options) {
  auto subs = ParseSubstitutions(options.substitute);
  if (!subs.ok()) return subs.status();
  std::string original_bundle;
  rapidjson::Document packet;
  auto stored = LoadStoredDecision(store, decision_id, &original_bundle, &packet);
  if (!stored.ok()) return stored.status();
  const StoredDecision& d = *stored;
  RecordedSurfaces surfaces;
  if (!subs->empty()) {
    auto rec = ReadRecordedSurfaces(store, decision_id, packet);
    if (!rec.ok()) return rec.status();
    surfaces = std::move(*rec);
  }
  bool substitutes_policy = !options.engine.bundle.empty();
  std::string query = options.query.empty() ? d.query : options.query;
  Decided result;
  std::string bundle_version = original_bundle;
  std::string engine_name = "none", engine_version = "no policy substituted: the recorded outcome";
  if (substitutes_policy) {
    if (!d.input) {
      return Status::NotFound("decision \"" + std::string(decision_id) +
                              "\" has no recorded OPA input, so it cannot be re-decided");
    }
    auto engine = MakePolicyEngine(options.engine);
    if (!engine.ok()) return engine.status().WithContext("--policy-bundle");
    auto bundle_digest = ContentDigest(options.engine.bundle);
    if (!bundle_digest.ok()) return bundle_digest.status();
    bundle_version = *bundle_digest;
    rego::Value input = subs->empty() ? *d.input : WithSurfaceInput(*d.input, *subs, surfaces);
    DecisionRequest request{query, &input, d.pinned_time_ns, d.nd_builtin_cache ? &*d.nd_builtin_cache : nullptr};
    std::vector<Decided> decided;
    OEP_RETURN_IF_ERROR((*engine)->Decide({request}, decided));
    result = std::move(decided[0]);
    if (result.outcome.kind == Outcome::Kind::kError) {
      return Status::InvalidArgument("evaluating " + query + " under " + options.engine.bundle + ": " + result.outcome.error);
    }
    engine_name = (*engine)->Name();
    engine_version = (*engine)->Description();
  } else if (subs->empty()) {
    return Status::InvalidArgument("--counterfactual needs --policy-bundle FILE.rego|DIR or --substitute SURFACE=VALUE");
  } else {
    // No substituted policy: the recorded outcome stands unless a substituted surface blocks the step.
    auto blocked = SurfaceBlock(*subs, surfaces);
    result.outcome = blocked ? *blocked : d.recorded;
  }
  std::vector<std::string> reasons = result.evaluative_reasons;
  for (const auto& why : d.redactions) reasons.push_back(why);
  for (auto& why : EvaluativeSurfaceReasons(*subs, surfaces)) reasons.push_back(std::move(why));
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
  engine_v.AddMember("name", str(engine_name), a);
  engine_v.AddMember("version", str(engine_version), a);
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
  out.AddMember("counterfactual", outcome(counterfactual, bundle_version), a);

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
  diff.AddMember("approval_delta", ApprovalDelta(packet, counterfactual, a), a);
  if (subs->empty()) diff.AddMember("workflow_delta", Value(rapidjson::kNullType), a);
  else AddSurfaceDiff(*subs, surfaces, substitutes_policy ? original_bundle : "", substitutes_policy ? bundle_version : "", diff, a);
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
  Value listed(rapidjson::kObjectType);
  for (const auto& [surface, value] : subs->listed) listed.AddMember(str(surface), str(value), a);
  if (substitutes_policy) listed.AddMember("policy", str(bundle_version), a);
  meta.AddMember("substituted_surfaces", listed, a);
  if (d.pinned_time_ns) meta.AddMember("pinned_time_ns", Value(static_cast<int64_t>(*d.pinned_time_ns)), a);
  else meta.AddMember("pinned_time_ns", Value(rapidjson::kNullType), a);
  out.AddMember("replay_metadata", meta, a);
  out.AddMember("claim_boundary", str(std::string(reasons.empty() ? kDeterministicBoundary : kEvaluativeBoundary)), a);
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
  if (const Value* subs = json::FindDotted(r, "replay_metadata.substituted_surfaces"); subs && subs->IsObject() && subs->MemberCount()) {
    out += "Substituted surfaces:";
    for (const auto& m : subs->GetObject()) out += std::string(" ") + m.name.GetString() + " " + m.value.GetString() + ";";
    out.back() = '\n';
  }
  if (json::FindDotted(r, "diff.budget_delta")) {
    out += "Budget: step " + at("diff.budget_delta.step") + " cumulative " + at("diff.budget_delta.original_total_usd") +
           " USD, cap " + at("diff.budget_delta.counterfactual_budget_cap_usd") + ", within-cap total " +
           at("diff.budget_delta.counterfactual_total_usd") + ", termination " + at("diff.budget_delta.termination_code") + "\n";
  }
  for (const char* delta : {"diff.reserve_delta.termination_code", "diff.identity_delta.termination_code"}) {
    if (const Value* v = json::FindDotted(r, delta); v && v->IsString()) out += std::string("Termination ") + v->GetString() + "\n";
  }
  if (json::FindDotted(r, "diff.model_delta")) {
    out += "Model: " + at("diff.model_delta.original_provider") + " " + at("diff.model_delta.original_model_version") + " -> " +
           at("diff.model_delta.substituted_provider") + " " + at("diff.model_delta.substituted_model_version") + " (" +
           at("diff.model_delta.counterfactual_label") + ")\n";
  }
  out += "Replay class " + at("replay_metadata.replay_class");
  if (const Value* why = json::FindDotted(r, "replay_metadata.evaluative_reasons"); why && why->IsArray()) {
    for (const auto& w : why->GetArray()) out += "\n  evaluative: " + std::string(w.GetString());
  }
  return out + "\n";
}

}  // namespace oep
