#include "surfaces/surfaces.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>

#include "json/json.h"
#include "json/pick.h"
#include "util/rfc3339.h"

namespace oep {
namespace {

using rapidjson::Value;

Status BadSubstitution(const std::string& arg, const std::string& expected) {
  return Status::InvalidArgument("--substitute " + arg + ": " + expected);
}

std::optional<double> ParseNonNegative(const std::string& text) {
  if (text.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  double d = std::strtod(text.c_str(), &end);
  if (errno != 0 || *end != '\0' || !std::isfinite(d) || d < 0) return std::nullopt;
  return d;
}

// "PT15M", "PT1H30M", "PT90S", "P1D" in seconds; nullopt otherwise.
std::optional<int64_t> IsoDurationSeconds(const std::string& text) {
  if (text.size() < 3 || text[0] != 'P') return std::nullopt;
  int64_t total = 0;
  bool in_time = false, any = false;
  int64_t n = -1;
  for (size_t i = 1; i < text.size(); ++i) {
    char c = text[i];
    if (c == 'T') {
      if (in_time || n >= 0) return std::nullopt;
      in_time = true;
    } else if (c >= '0' && c <= '9') {
      n = (n < 0 ? 0 : n) * 10 + (c - '0');
      if (n > int64_t{1} << 40) return std::nullopt;
    } else {
      if (n < 0) return std::nullopt;
      int64_t unit = 0;
      if (!in_time && c == 'D') unit = 86400;
      else if (!in_time && c == 'W') unit = 7 * 86400;
      else if (in_time && c == 'H') unit = 3600;
      else if (in_time && c == 'M') unit = 60;
      else if (in_time && c == 'S') unit = 1;
      else return std::nullopt;
      total += n * unit;
      n = -1;
      any = true;
    }
  }
  if (n >= 0 || !any) return std::nullopt;
  return total;
}

std::optional<double> NumberAt(const Value& root, const char* path) {
  const Value* v = json::FindDotted(root, path);
  if (v == nullptr || !v->IsNumber()) return std::nullopt;
  return v->GetDouble();
}

std::string StringAt(const Value& root, const char* path) {
  const Value* v = json::FindDotted(root, path);
  return v != nullptr && v->IsString() ? std::string(v->GetString(), v->GetStringLength()) : "";
}

// A number as a rego value with its shortest text (5000, not 5000.0), so a policy's
// sprintf("%v") prints what a person wrote.
rego::Value RegoNumber(double d) { return rego::Value::NumberText(json::FormatNumber(d)); }

Value Str(const std::string& s, rapidjson::Document::AllocatorType& a) {
  return Value(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), a);
}
Value Num(double d) {
  double whole = 0;
  if (std::modf(d, &whole) == 0 && std::fabs(d) < 9e15) return Value(static_cast<int64_t>(d));
  return Value(d);
}
Value OptStr(const std::string& s, rapidjson::Document::AllocatorType& a) {
  return s.empty() ? Value(rapidjson::kNullType) : Str(s, a);
}

// Cumulative costs are sums of recorded decimals: compare them at a cent's millionth so
// 0.1 + 0.2 does not exceed a 0.3 cap.
bool Exceeds(double cumulative, double cap) { return cumulative - cap > 1e-9; }

// The cumulative cost of the last step within `cap` (0 when the first step exceeds it).
double WithinCapTotal(const std::vector<CostStep>& trace, double cap) {
  double total = 0;
  for (const auto& s : trace) {
    if (Exceeds(s.cumulative_usd, cap)) break;
    total = s.cumulative_usd;
  }
  return total;
}

void Accumulate(std::vector<CostStep>& trace) {
  std::sort(trace.begin(), trace.end(), [](const CostStep& x, const CostStep& y) {
    return x.decision_time != y.decision_time ? x.decision_time < y.decision_time : x.decision_id < y.decision_id;
  });
  double sum = 0;
  for (auto& s : trace) {
    sum += s.cost_usd;
    s.cumulative_usd = sum;
  }
}

}  // namespace

Result<Substitutions> ParseSubstitutions(const std::vector<std::string>& args) {
  Substitutions subs;
  std::map<std::string, std::string> seen;
  for (const auto& arg : args) {
    size_t eq = arg.find('=');
    if (eq == std::string::npos || eq == 0) {
      return BadSubstitution(arg, "expected SURFACE=VALUE (budget.per_run_cap_usd, reserve.usd, model, cache, "
                                  "identity.credential_ttl_s, prompt, tool_schema, workflow)");
    }
    std::string surface = arg.substr(0, eq), value = arg.substr(eq + 1);
    if (seen.count(surface)) return BadSubstitution(arg, "surface " + surface + " is already substituted (" + seen[surface] + ")");
    seen[surface] = arg;
    if (value.empty()) return BadSubstitution(arg, "expected a value after '='");
    if (value.size() > 512) return BadSubstitution(arg.substr(0, 64) + "...", "value longer than 512 bytes");
    if (surface == "budget.per_run_cap_usd" || surface == "reserve.usd") {
      auto d = ParseNonNegative(value);
      if (!d) return BadSubstitution(arg, "expected a non-negative number of US dollars");
      (surface == "reserve.usd" ? subs.reserve_usd : subs.per_run_cap_usd) = *d;
      std::string key = surface.substr(0, surface.find('.'));
      subs.listed.emplace_back(key, surface.substr(key.size() + 1) + "=" + value);
    } else if (surface == "identity.credential_ttl_s") {
      auto d = ParseNonNegative(value);
      if (!d || std::floor(*d) != *d || *d > 1e12) return BadSubstitution(arg, "expected a whole number of seconds");
      subs.credential_ttl_s = static_cast<int64_t>(*d);
      subs.listed.emplace_back("identity", "credential_ttl_s=" + value);
    } else if (surface == "cache") {
      if (value != "fresh" && value != "recorded") return BadSubstitution(arg, "expected cache=fresh or cache=recorded");
      subs.cache = value;
      subs.listed.emplace_back("cache", value);
    } else if (surface == "model" || surface == "prompt" || surface == "tool_schema" || surface == "workflow") {
      std::string& slot = surface == "model" ? subs.model : surface == "prompt" ? subs.prompt
                          : surface == "tool_schema"                          ? subs.tool_schema
                                                                               : subs.workflow;
      slot = value;
      subs.listed.emplace_back(surface, value);
    } else {
      return BadSubstitution(arg, "unknown surface \"" + surface + "\"; expected budget.per_run_cap_usd, reserve.usd, model, "
                                  "cache, identity.credential_ttl_s, prompt, tool_schema or workflow");
    }
  }
  std::sort(subs.listed.begin(), subs.listed.end());
  return subs;
}

Result<RecordedSurfaces> ReadRecordedSurfaces(Store& store, std::string_view decision_id, const Value& packet) {
  RecordedSurfaces rec;
  std::string trace_id = json::GetString(packet, "trace_id");
  std::string time = json::GetString(packet, "decision_time");
  if (!trace_id.empty()) {
    auto runs = LoadCostTraces(store, trace_id);
    if (!runs.ok() && runs.status().code() != StatusCode::kNotFound) return runs.status();
    if (runs.ok() && !runs->empty()) {
      for (auto& s : runs->front().second) {
        rec.trace.push_back(std::move(s));
        if (rec.trace.back().decision_id == decision_id) break;
      }
    }
  }
  if (rec.trace.empty() || rec.trace.back().decision_id != decision_id) {
    // Not in a run of the store (no trace_id): the decision is a run of one step.
    rec.trace.clear();
    CostStep s;
    s.decision_id = std::string(decision_id);
    s.decision_time = time;
    s.cost_usd = NumberAt(packet, "decision_id.cost.per_step_cost_usd").value_or(0);
    s.cumulative_usd = s.cost_usd;
    rec.trace.push_back(s);
  }
  rec.has_cost = NumberAt(packet, "decision_id.cost.per_step_cost_usd").has_value();
  rec.reserved_usd = NumberAt(packet, "decision_id.cost.reservation_estimated_cost_usd");
  rec.committed_usd = NumberAt(packet, "decision_id.cost.reservation_committed_cost_usd");
  if (!rec.committed_usd && rec.has_cost) rec.committed_usd = rec.trace.back().cost_usd;
  rec.projected_max_usd = NumberAt(packet, "decision_id.cost.pre_session_projection_event.projected_cost_window.estimated_max_usd");
  rec.model_alias = json::GetString(packet, "model_alias");
  rec.model_provider = json::GetString(packet, "model_provider");
  rec.model_version = json::GetString(packet, "resolved_model_version");
  rec.prompt_version = StringAt(packet, "decision_id.drift.prompt_template.after_version");
  rec.tool_schema_version = StringAt(packet, "decision_id.drift.tool_registry.after_version");
  if (rec.tool_schema_version.empty()) {
    std::string tool = StringAt(packet, "tool.name"), version = StringAt(packet, "tool.version");
    if (!tool.empty() && !version.empty()) rec.tool_schema_version = tool + "@" + version;
  }
  rec.policy_version = json::GetString(packet, "policy_bundle_version");
  rec.cache_hit_id = StringAt(packet, "decision_id.cache.cache_hit_id");
  rec.cache_status = StringAt(packet, "decision_id.cache.cache_correctness_status");
  std::string lifetime = json::GetString(packet, "scoped_credential_lifetime");
  if (!lifetime.empty()) rec.credential_lifetime_s = IsoDurationSeconds(lifetime);
  auto first = ParseRfc3339Ns(rec.trace.front().decision_time), now = ParseRfc3339Ns(time);
  if (first && now) rec.elapsed_s = (*now - *first) / 1000000000;
  std::string manifest_id = json::GetString(packet, "release_manifest_id");
  if (!manifest_id.empty()) {
    auto manifest = store.Get(ArtifactKind::kReleaseManifest, manifest_id);
    if (!manifest.ok()) return manifest.status();
    if (*manifest) {
      auto doc = json::Parse((*manifest)->body);
      if (doc.ok()) {
        std::string name = StringAt(*doc, "layer_bindings.workflow.name"), version = StringAt(*doc, "layer_bindings.workflow.version");
        if (!name.empty()) rec.workflow_version = version.empty() ? name : name + "@" + version;
        if (rec.prompt_version.empty()) {
          name = StringAt(*doc, "layer_bindings.prompt.name");
          version = StringAt(*doc, "layer_bindings.prompt.version");
          if (!name.empty()) rec.prompt_version = version.empty() ? name : name + "@" + version;
        }
      }
    }
  }
  return rec;
}

rego::Value WithSurfaceInput(const rego::Value& input, const Substitutions& subs, const RecordedSurfaces& rec) {
  if (!subs.per_run_cap_usd || !input.is_object()) return input;
  rego::Object budget;
  budget[rego::Value::String("original_cumulative_usd")] = RegoNumber(rec.trace.back().cumulative_usd);
  budget[rego::Value::String("counterfactual_budget_cap_usd")] = RegoNumber(*subs.per_run_cap_usd);
  budget[rego::Value::String("per_step_cost_usd")] = RegoNumber(rec.trace.back().cost_usd);
  budget[rego::Value::String("step")] = rego::Value::Int(rec.step());
  rego::Object with = input.object();
  with[rego::Value::String("budget")] = rego::Value::MakeObject(std::move(budget));
  return rego::Value::MakeObject(std::move(with));
}

std::optional<Outcome> SurfaceBlock(const Substitutions& subs, const RecordedSurfaces& rec) {
  auto block = [](const char* rule, const char* reason, const char* code) {
    Outcome::DecisionBlock b;
    b.allow = false;
    b.matched_rule = rule;
    b.reason = reason;
    b.decision_code = code;
    return Outcome::FromDecisionBlock(b);
  };
  if (subs.per_run_cap_usd && Exceeds(rec.trace.back().cumulative_usd, *subs.per_run_cap_usd)) {
    return block("deny_budget_substitution", "counterfactual budget policy would block the recorded step", "BUDGET_EXCEEDED");
  }
  if (subs.reserve_usd && rec.committed_usd && Exceeds(*rec.committed_usd, *subs.reserve_usd)) {
    return block("deny_reserve_substitution", "counterfactual reservation would not cover the recorded committed cost",
                 "RESERVATION_EXCEEDED");
  }
  if (subs.credential_ttl_s && rec.elapsed_s && *rec.elapsed_s > *subs.credential_ttl_s) {
    return block("deny_credential_ttl_substitution",
                 "counterfactual credential lifetime would have expired before the recorded step", "CREDENTIAL_EXPIRED");
  }
  return std::nullopt;
}

std::vector<std::string> EvaluativeSurfaceReasons(const Substitutions& subs, const RecordedSurfaces& rec) {
  std::vector<std::string> why;
  if (!subs.model.empty()) {
    why.push_back("model substituted (" + subs.model + "): the substituted model's behaviour was never recorded, so the "
                  "result is a counterfactual estimate");
  }
  if (subs.cache == "fresh") {
    why.push_back("cache=fresh implies a fresh model call in place of the recorded cache answer; its output was never recorded");
  }
  if (!subs.prompt.empty()) why.push_back("prompt substituted: the model's answer to another prompt was never recorded");
  if (!subs.tool_schema.empty()) {
    why.push_back("tool_schema substituted: the calls the model would make against another tool schema were never recorded");
  }
  if (!subs.workflow.empty()) why.push_back("workflow substituted: the steps another workflow would take were never recorded");
  if (subs.credential_ttl_s && !rec.elapsed_s) {
    why.push_back("identity.credential_ttl_s: the run's decision times are not RFC 3339, so credential expiry is not derived");
  }
  return why;
}

void AddSurfaceDiff(const Substitutions& subs, const RecordedSurfaces& rec, const std::string& policy_before,
                    const std::string& policy_after, Value& diff, rapidjson::Document::AllocatorType& a) {
  const CostStep& here = rec.trace.back();
  if (subs.per_run_cap_usd) {
    double cap = *subs.per_run_cap_usd;
    bool active = Exceeds(here.cumulative_usd, cap);
    Value b(rapidjson::kObjectType);
    b.AddMember("budget_cap_active", active, a);
    b.AddMember("cost_trace_changed", active, a);
    b.AddMember("counterfactual_budget_cap_usd", Num(cap), a);
    b.AddMember("counterfactual_total_usd", Num(WithinCapTotal(rec.trace, cap)), a);
    b.AddMember("original_total_usd", Num(here.cumulative_usd), a);
    b.AddMember("step", rec.step(), a);
    b.AddMember("termination_code", active ? Value("BUDGET_EXCEEDED") : Value(rapidjson::kNullType), a);
    b.AddMember("termination_step", active ? Value(rec.step()) : Value(rapidjson::kNullType), a);
    if (rec.projected_max_usd) {
      Value p(rapidjson::kObjectType);
      p.AddMember("projected_max_usd", Num(*rec.projected_max_usd), a);
      p.AddMember("projection_within_cap", !Exceeds(*rec.projected_max_usd, cap), a);
      // The outcome follows the recorded cost trace; only this comparison is an estimate.
      p.AddMember("replay_class", "evaluative", a);
      p.AddMember("reason", "the pre-session projection is an estimate made before the run, not a recorded cost", a);
      b.AddMember("pre_session_projection", p, a);
    }
    diff.AddMember("budget_delta", b, a);
  }
  if (subs.reserve_usd) {
    Value r(rapidjson::kObjectType);
    bool covers = !rec.committed_usd || !Exceeds(*rec.committed_usd, *subs.reserve_usd);
    r.AddMember("original_reserved_usd", rec.reserved_usd ? Num(*rec.reserved_usd) : Value(rapidjson::kNullType), a);
    r.AddMember("counterfactual_reserved_usd", Num(*subs.reserve_usd), a);
    r.AddMember("committed_cost_usd", rec.committed_usd ? Num(*rec.committed_usd) : Value(rapidjson::kNullType), a);
    r.AddMember("reservation_covers_committed_cost", covers, a);
    r.AddMember("counterfactual_excess_released_usd",
                rec.committed_usd && covers ? Num(*subs.reserve_usd - *rec.committed_usd) : Value(rapidjson::kNullType), a);
    r.AddMember("termination_code", covers ? Value(rapidjson::kNullType) : Value("RESERVATION_EXCEEDED"), a);
    diff.AddMember("reserve_delta", r, a);
  }
  if (subs.credential_ttl_s) {
    Value i(rapidjson::kObjectType);
    bool expired = rec.elapsed_s && *rec.elapsed_s > *subs.credential_ttl_s;
    i.AddMember("original_credential_ttl_s",
                rec.credential_lifetime_s ? Value(*rec.credential_lifetime_s) : Value(rapidjson::kNullType), a);
    i.AddMember("counterfactual_credential_ttl_s", Value(*subs.credential_ttl_s), a);
    i.AddMember("elapsed_since_run_start_s", rec.elapsed_s ? Value(*rec.elapsed_s) : Value(rapidjson::kNullType), a);
    i.AddMember("credential_valid_at_step", !expired, a);
    i.AddMember("termination_code", expired ? Value("CREDENTIAL_EXPIRED") : Value(rapidjson::kNullType), a);
    diff.AddMember("identity_delta", i, a);
  }
  if (!subs.cache.empty()) {
    Value c(rapidjson::kObjectType);
    c.AddMember("original_cache_hit_id", OptStr(rec.cache_hit_id, a), a);
    c.AddMember("original_cache_correctness_status", OptStr(rec.cache_status, a), a);
    c.AddMember("counterfactual_cache", Str(subs.cache, a), a);
    c.AddMember("fresh_model_call", subs.cache == "fresh", a);
    diff.AddMember("cache_delta", c, a);
  }
  if (!subs.model.empty()) {
    size_t colon = subs.model.find(':');
    Value m(rapidjson::kObjectType);
    m.AddMember("counterfactual_label", "counterfactual estimate", a);
    m.AddMember("original_model_version", OptStr(rec.model_version, a), a);
    m.AddMember("original_provider", OptStr(rec.model_provider, a), a);
    m.AddMember("substituted_model_version", Str(colon == std::string::npos ? subs.model : subs.model.substr(colon + 1), a), a);
    m.AddMember("substituted_provider", Str(colon == std::string::npos ? rec.model_provider : subs.model.substr(0, colon), a), a);
    diff.AddMember("model_delta", m, a);
  }
  // The five surfaces a release binds; a substitution attributes its change with certainty.
  std::string model_before = rec.model_alias.empty() ? rec.model_version
                             : rec.model_version.empty() ? rec.model_alias
                                                         : rec.model_alias + "@" + rec.model_version;
  struct Surface {
    const char* name;
    const std::string& after;
    const std::string& before;
    const char* change_class;
  };
  const Surface surfaces[] = {{"model", subs.model, model_before, "alias_resolution"},
                              {"policy", policy_after, policy_before, "policy_update"},
                              {"prompt", subs.prompt, rec.prompt_version, "prompt_edit"},
                              {"tool_schema", subs.tool_schema, rec.tool_schema_version, "tool_added_removed"},
                              {"workflow", subs.workflow, rec.workflow_version, "workflow_update"}};
  Value per(rapidjson::kObjectType), changed(rapidjson::kArrayType), absent(rapidjson::kArrayType);
  for (const Surface& s : surfaces) {
    if (s.after.empty()) continue;
    Value v(rapidjson::kObjectType);
    v.AddMember("after_version", Str(s.after, a), a);
    v.AddMember("attribution_confidence", 1.0, a);
    v.AddMember("before_version", OptStr(s.before, a), a);
    v.AddMember("change_class", Str(s.change_class, a), a);
    const char* status = s.before.empty() ? "absent" : s.before == s.after ? "unchanged" : "changed";
    v.AddMember("status", Str(status, a), a);
    if (s.before.empty()) absent.PushBack(Str(s.name, a), a);
    else if (s.before != s.after) changed.PushBack(Str(s.name, a), a);
    per.AddMember(Str(s.name, a), v, a);
  }
  if (per.MemberCount() > 0) {
    Value sd(rapidjson::kObjectType);
    sd.AddMember("absent_surfaces", absent, a);
    sd.AddMember("changed_surfaces", changed, a);
    sd.AddMember("surfaces", per, a);
    diff.AddMember("surface_delta", sd, a);
  }
  if (!subs.workflow.empty()) {
    Value w(rapidjson::kObjectType);
    w.AddMember("original_workflow_version", OptStr(rec.workflow_version, a), a);
    w.AddMember("counterfactual_workflow_version", Str(subs.workflow, a), a);
    w.AddMember("counterfactual_label", "counterfactual estimate", a);
    diff.AddMember("workflow_delta", w, a);
  } else {
    diff.AddMember("workflow_delta", Value(rapidjson::kNullType), a);
  }
}

BudgetRunReplay ReplayBudgetOverRun(std::string run_id, std::vector<CostStep> trace, const Substitutions& subs) {
  BudgetRunReplay r;
  r.run_id = std::move(run_id);
  r.cap_usd = subs.per_run_cap_usd;
  r.trace = std::move(trace);
  r.original_total_usd = r.trace.empty() ? 0 : r.trace.back().cumulative_usd;
  r.counterfactual_total_usd = r.original_total_usd;
  std::optional<int64_t> first_ns = r.trace.empty() ? std::nullopt : ParseRfc3339Ns(r.trace.front().decision_time);
  for (size_t i = 0; i < r.trace.size() && r.termination_step == 0; ++i) {
    const CostStep& s = r.trace[i];
    auto now_ns = ParseRfc3339Ns(s.decision_time);
    if (subs.per_run_cap_usd && Exceeds(s.cumulative_usd, *subs.per_run_cap_usd)) r.termination_code = "BUDGET_EXCEEDED";
    else if (subs.reserve_usd && s.committed_usd && Exceeds(*s.committed_usd, *subs.reserve_usd)) r.termination_code = "RESERVATION_EXCEEDED";
    else if (subs.credential_ttl_s && first_ns && now_ns && (*now_ns - *first_ns) / 1000000000 > *subs.credential_ttl_s) {
      r.termination_code = "CREDENTIAL_EXPIRED";
    }
    if (r.termination_code.empty()) continue;
    r.termination_step = static_cast<int64_t>(i) + 1;
    r.counterfactual_total_usd = i == 0 ? 0 : r.trace[i - 1].cumulative_usd;
  }
  return r;
}

void BudgetRunReplay::ToJson(Value* out, rapidjson::Document::AllocatorType& a) const {
  out->SetObject();
  bool terminates = termination_step > 0;
  Value b(rapidjson::kObjectType);
  b.AddMember("budget_cap_active_at_termination", terminates, a);
  if (cap_usd) b.AddMember("counterfactual_budget_cap_usd", Num(*cap_usd), a);
  b.AddMember("counterfactual_total_usd", Num(counterfactual_total_usd), a);
  b.AddMember("original_total_usd", Num(original_total_usd), a);
  b.AddMember("steps", static_cast<int64_t>(trace.size()), a);
  b.AddMember("termination_code", terminates ? Str(termination_code, a) : Value(rapidjson::kNullType), a);
  b.AddMember("termination_decision_id",
              terminates ? Str(trace[static_cast<size_t>(termination_step - 1)].decision_id, a) : Value(rapidjson::kNullType), a);
  b.AddMember("termination_step", terminates ? Value(termination_step) : Value(rapidjson::kNullType), a);
  out->AddMember("budget", b, a);
  Value steps(rapidjson::kArrayType);
  for (size_t i = 0; i < trace.size(); ++i) {
    int64_t step = static_cast<int64_t>(i) + 1;
    bool after = terminates && step > termination_step;
    Value s(rapidjson::kObjectType);
    s.AddMember("budget_cap_active", terminates && step >= termination_step, a);
    s.AddMember("counterfactual_cumulative_usd",
                Num(terminates && step >= termination_step ? counterfactual_total_usd : trace[i].cumulative_usd), a);
    s.AddMember("decision_id", Str(trace[i].decision_id, a), a);
    s.AddMember("original_cumulative_usd", Num(trace[i].cumulative_usd), a);
    s.AddMember("skipped_after_termination", after, a);
    s.AddMember("step", step, a);
    s.AddMember("termination_code", step == termination_step ? Str(termination_code, a) : Value(rapidjson::kNullType), a);
    steps.PushBack(s, a);
  }
  out->AddMember("cost_trace", steps, a);
  out->AddMember("run_id", Str(run_id, a), a);
}

Result<std::vector<std::pair<std::string, std::vector<CostStep>>>> LoadCostTraces(Store& store, const std::string& run_id) {
  std::map<std::string, std::vector<CostStep>> runs;
  const std::vector<std::string> fields = {"trace_id", "decision_time", "decision_id.cost.per_step_cost_usd",
                                           "decision_id.cost.reservation_committed_cost_usd"};
  std::vector<json::Picked> got;
  Store::DecisionFilter filter;
  filter.trace_id = run_id;
  std::string after;
  for (;;) {
    auto batch = store.DecisionBatch(filter, after, 1000);
    if (!batch.ok()) return batch.status();
    for (const auto& row : *batch) {
      if (!json::PickFields(row.body, fields, &got) || got[0].text.empty()) continue;
      CostStep s;
      s.decision_id = row.id;
      s.decision_time = std::move(got[1].text);
      if (got[2].is_number) s.cost_usd = got[2].number;
      if (got[3].is_number) s.committed_usd = got[3].number;
      else if (got[2].is_number) s.committed_usd = got[2].number;
      runs[got[0].text].push_back(std::move(s));
    }
    if (batch->size() < 1000) break;
    after = batch->back().id;
  }
  if (!run_id.empty() && runs.empty()) {
    return Status::NotFound("run \"" + run_id + "\" has no stored decision (`oep runs` lists the runs)");
  }
  std::vector<std::pair<std::string, std::vector<CostStep>>> out;
  for (auto& [id, trace] : runs) {
    Accumulate(trace);
    out.emplace_back(id, std::move(trace));
  }
  return out;
}

}  // namespace oep
