#include "replay/counterfactual.h"

#include <algorithm>
#include <ctime>
#include <filesystem>

#include "json/json.h"
#include "policy/opa_cli_engine.h"
#include "util/files.h"
#include "rego/parser.h"
#include "rego/policy_loader.h"
#include "replay/outcome.h"
#include "replay/replay.h"
#include "util/content_digest.h"

namespace oep {
namespace {

using rapidjson::Value;

}  // namespace

std::vector<std::string> NonDeterministicBuiltinsIn(const std::string& bundle) {
  std::vector<std::string> files;
  std::error_code ec;
  if (std::filesystem::is_directory(bundle, ec)) {
    for (auto& e : std::filesystem::recursive_directory_iterator(bundle, ec)) {
      if (e.path().extension() == ".rego") files.push_back(e.path().string());
    }
  } else {
    files.push_back(bundle);
  }
  std::vector<std::string> found;
  for (const auto& f : files) {
    auto text = ReadFile(f);
    if (!text.ok()) continue;
    for (const char* b : {"time.now_ns", "http.send", "rand.intn", "uuid.rfc4122", "net.lookup_ip_addr", "opa.runtime"}) {
      if (text->find(b) != std::string::npos && std::find(found.begin(), found.end(), b) == found.end()) found.push_back(b);
    }
  }
  return found;
}

namespace {

std::string NowUtc() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

}  // namespace

std::optional<int64_t> ParseRfc3339Ns(std::string_view ts) {
  // Fixed-width decimal fields: ts[at, at + n) -> value, or -1 when not all digits.
  auto digits = [&](size_t at, size_t n) -> int {
    int v = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (i >= ts.size() || !std::isdigit(static_cast<unsigned char>(ts[i]))) return -1;
      v = v * 10 + (ts[i] - '0');
    }
    return v;
  };
  if (ts.size() < 20 || ts[4] != '-' || ts[7] != '-' || (ts[10] != 'T' && ts[10] != 't') || ts[13] != ':' ||
      ts[16] != ':') {
    return std::nullopt;
  }
  int y = digits(0, 4), mo = digits(5, 2), d = digits(8, 2), h = digits(11, 2), mi = digits(14, 2), s = digits(17, 2);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60) {
    return std::nullopt;
  }
  // Days from civil date (proleptic Gregorian).
  y -= mo <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  int64_t days = era * 146097 + doe - 719468;
  int64_t secs = days * 86400 + h * 3600 + mi * 60 + s;
  int64_t frac_ns = 0;
  size_t pos = 19;
  if (pos < ts.size() && ts[pos] == '.') {
    int64_t scale = 100000000;
    for (++pos; pos < ts.size() && std::isdigit(static_cast<unsigned char>(ts[pos])); ++pos, scale /= 10) {
      frac_ns += (ts[pos] - '0') * scale;
    }
  }
  if (pos < ts.size() && (ts[pos] == '+' || ts[pos] == '-')) {
    int oh = digits(pos + 1, 2), om = digits(pos + 4, 2);
    if (oh < 0 || om < 0 || pos + 3 >= ts.size() || ts[pos + 3] != ':') return std::nullopt;
    int64_t offset = (oh * 3600 + om * 60) * (ts[pos] == '+' ? 1 : -1);
    secs -= offset;
  } else if (pos >= ts.size() || (ts[pos] != 'Z' && ts[pos] != 'z')) {
    return std::nullopt;
  }
  return secs * 1000000000 + frac_ns;
}

Result<rapidjson::Document> CounterfactualReplay(Store& store, std::string_view decision_id,
                                                 const CounterfactualOptions& options) {
  auto record = ReplayDecision(store, decision_id);
  if (!record.ok()) return record.status();
  const Value* input = json::FindDotted(*record, "opa_input.body");
  if (input == nullptr) {
    return Status::NotFound("decision \"" + std::string(decision_id) +
                            "\" has no recorded OPA input, so it cannot be re-decided");
  }
  auto loaded = rego::LoadPolicy({options.policy_bundle});
  if (auto* err = std::get_if<rego::RegoError>(&loaded)) {
    return Status::InvalidArgument("--policy-bundle " + options.policy_bundle + ": " + err->Text());
  }
  auto bundle_digest = ContentDigest(options.policy_bundle);
  if (!bundle_digest.ok()) return bundle_digest.status();
  auto query = rego::ParseQuery(options.query);
  if (auto* err = std::get_if<rego::RegoError>(&query)) {
    return Status::InvalidArgument("--query: " + err->code + ": " + err->message);
  }

  // Determinism: pinned time, recorded non-deterministic answers only.
  rego::EvalOptions eval;
  std::vector<std::string> reasons;
  int cache_hits = 0;
  eval.replay = true;
  eval.evaluative_reasons = &reasons;
  eval.nd_cache_hits = &cache_hits;
  std::string decision_time = json::GetString(*record, "decision_time");
  eval.now_ns = ParseRfc3339Ns(decision_time);
  if (!eval.now_ns) reasons.push_back("decision_time \"" + decision_time + "\" is not RFC 3339, so time.now_ns is unknown");
  if (const Value* cache = json::FindDotted(*record, "permission_packet.body.nd_builtin_cache")) {
    auto v = rego::Value::FromJsonText(json::CanonicalOrDie(*cache));
    if (v.ok()) eval.nd_builtin_cache = *v;
  }
  std::string engine_name = options.engine;
  std::optional<OpaCliConfig> opa;
  if (engine_name == "auto" || engine_name == "opa" || engine_name == "both") {
    auto found = OpaCliFromEnv();
    if (found.ok()) opa = *found;
    else if (engine_name != "auto") return found.status();
    if (engine_name == "auto") engine_name = opa ? "opa" : "native";
  }
  // Native engine: pinned clock and recorded non-deterministic answers.
  std::optional<std::string> native_json;
  if (engine_name == "native" || engine_name == "both") {
    auto input_value = rego::Value::FromJsonText(json::CanonicalOrDie(*input));
    if (!input_value.ok()) return input_value.status();
    auto result = std::get<rego::LoadedPolicy>(loaded).engine->Query(std::get<rego::Body>(query), *input_value, eval);
    if (auto* err = std::get_if<rego::RegoError>(&result)) {
      return Status::InvalidArgument("evaluating " + options.query + " under " + options.policy_bundle + ": " +
                                     err->code + ": " + err->message);
    }
    const auto& rows = std::get<std::vector<rego::QueryResult>>(result);
    native_json = rows.empty() ? "" : rows[0].expressions.back().ToJson();
  }
  // OPA CLI engine: the same query as a subprocess; it cannot be pinned, so a bundle that
  // names non-deterministic built-ins makes the replay evaluative.
  std::optional<std::string> opa_json;
  if (engine_name == "opa" || engine_name == "both") {
    auto decided = OpaEval(*opa, options.policy_bundle, options.query, json::CanonicalOrDie(*input));
    if (!decided.ok()) return decided.status();
    opa_json = decided->defined ? decided->value_json : "";
    if (engine_name == "opa") {
      reasons.clear();
      for (const auto& b : NonDeterministicBuiltinsIn(options.policy_bundle)) {
        reasons.push_back("the OPA CLI engine cannot pin " + b + ", which the bundle uses");
      }
    }
  }
  const std::string& chosen = native_json ? *native_json : *opa_json;
  std::optional<rapidjson::Document> cf_value;
  if (!chosen.empty()) {
    cf_value.emplace();
    cf_value->Parse(chosen.c_str());
  }

  const Value* packet = json::FindDotted(*record, "permission_packet.body");
  Outcome original = packet ? RecordedOutcome(*packet) : Outcome::FromJson(json::GetMember(*record, "decision"));
  if (packet) {
    for (auto& why : RecordedInputRedactions(*packet)) reasons.push_back(std::move(why));
  }
  Outcome counterfactual = Outcome::FromJson(cf_value ? &*cf_value : nullptr);

  rapidjson::Document out(rapidjson::kObjectType);
  auto& a = out.GetAllocator();
  auto str = [&](const std::string& s) { return Value(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), a); };
  auto outcome = [&](const Outcome& o, const std::string& bundle, const Value* full) {
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
    if (full) v.AddMember("value", Value(*full, a), a);
    return v;
  };
  out.AddMember("schema_version", "oep.counterfactual_replay.v0", a);
  out.AddMember("replay_mode", "counterfactual", a);
  out.AddMember("decision_id", str(std::string(decision_id)), a);
  out.AddMember("query", str(options.query), a);
  Value engine(rapidjson::kObjectType);
  engine.AddMember("name", str(engine_name), a);
  engine.AddMember("version", str(engine_name == "opa" ? "opa CLI at " + opa->binary : std::string("oep ") + OEP_VERSION), a);
  out.AddMember("engine", engine, a);
  if (native_json && opa_json) {
    // --engine both: the native result is reported; any disagreement is shown here.
    Value cmp(rapidjson::kObjectType);
    cmp.AddMember("agree", *native_json == *opa_json, a);
    cmp.AddMember("native", str(native_json->empty() ? "undefined" : *native_json), a);
    cmp.AddMember("opa", str(opa_json->empty() ? "undefined" : *opa_json), a);
    cmp.AddMember("opa_binary", str(opa->binary), a);
    out.AddMember("engine_comparison", cmp, a);
  }
  out.AddMember("original", outcome(original, json::GetString(*json::GetMember(*record, "policy"), "bundle_digest"),
                                    json::GetMember(*record, "decision")), a);
  out.AddMember("counterfactual", outcome(counterfactual, *bundle_digest, cf_value ? &*cf_value : nullptr), a);

  Value diff(rapidjson::kObjectType);
  bool decision_changed = original.decision != counterfactual.decision;
  diff.AddMember("decision_changed", decision_changed, a);
  diff.AddMember("rationale_changed", original.reason != counterfactual.reason, a);
  diff.AddMember("transition", str(original.decision + "->" + counterfactual.decision), a);
  Value changed(rapidjson::kArrayType);
  for (const auto& f : original.ChangedFields(counterfactual)) changed.PushBack(str(f), a);
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
  meta.AddMember("nd_builtin_cache_entries_used", cache_hits, a);
  Value why(rapidjson::kArrayType);
  for (const auto& r : reasons) why.PushBack(str(r), a);
  meta.AddMember("evaluative_reasons", why, a);
  if (eval.now_ns) meta.AddMember("pinned_time_ns", Value(static_cast<int64_t>(*eval.now_ns)), a);
  else meta.AddMember("pinned_time_ns", Value(rapidjson::kNullType), a);
  out.AddMember("replay_metadata", meta, a);
  return out;
}

std::string RenderCounterfactualHuman(const Value& r) {
  auto at = [&](const char* path) {
    const Value* v = json::FindDotted(r, path);
    if (v == nullptr || v->IsNull()) return std::string("-");
    return v->IsString() ? std::string(v->GetString()) : json::CanonicalOrDie(*v);
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
