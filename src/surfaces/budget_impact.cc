#include "surfaces/budget_impact.h"

#include <map>

#include "json/json.h"
#include "surfaces/surfaces.h"

namespace oep {
namespace {

using rapidjson::Value;

Value Str(const std::string& s, rapidjson::Document::AllocatorType& a) {
  return Value(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), a);
}

std::string Text(const Value& root, const char* path) {
  const Value* v = json::FindDotted(root, path);
  if (v == nullptr || v->IsNull()) return "-";
  return v->IsString() ? v->GetString() : json::CanonicalText(*v);
}

}  // namespace

Result<rapidjson::Document> RunBudgetImpact(Store& store, const BudgetImpactOptions& options) {
  auto subs = ParseSubstitutions(options.substitute);
  if (!subs.ok()) return subs.status();
  for (const auto& [surface, value] : subs->listed) {
    if (surface != "budget" && surface != "reserve" && surface != "identity") {
      return Status::InvalidArgument(
          "impact --substitute " + surface + "=" + value +
          ": impact re-derives the deterministic surfaces over whole runs (budget.per_run_cap_usd, reserve.usd, "
          "identity.credential_ttl_s); " + surface + " is replayed one decision at a time: oep replay ID --counterfactual "
          "--substitute SURFACE=VALUE");
    }
  }
  bool steps = !options.step_replay.engine.bundle.empty();
  if (steps && options.run_id.empty()) {
    return Status::InvalidArgument("impact --substitute with --policy-bundle replays each step of one run: add --run RUN_ID");
  }
  auto traces = LoadCostTraces(store, options.run_id);
  if (!traces.ok()) return traces.status();
  rapidjson::Document out(rapidjson::kObjectType);
  auto& a = out.GetAllocator();
  Value listed(rapidjson::kObjectType);
  for (const auto& [surface, value] : subs->listed) listed.AddMember(Str(surface, a), Str(value, a), a);
  if (!options.run_id.empty()) {
    BudgetRunReplay replay = ReplayBudgetOverRun(traces->front().first, std::move(traces->front().second), *subs);
    Value body;
    replay.ToJson(&body, a);
    for (auto& m : body.GetObject()) out.AddMember(m.name, m.value, a);
    out.AddMember("schema_version", "oep.budget_per_run_replay.v0", a);
    out.AddMember("substituted_surfaces", listed, a);
    if (steps) {
      Value outputs(rapidjson::kArrayType);
      CounterfactualOptions step = options.step_replay;
      step.substitute = options.substitute;
      for (const auto& s : replay.trace) {
        auto record = CounterfactualReplay(store, s.decision_id, step);
        if (!record.ok()) return record.status().WithContext("step " + s.decision_id);
        Value copy(*record, a);
        outputs.PushBack(copy, a);
      }
      out.AddMember("step_outputs", outputs, a);
    }
    return out;
  }
  int64_t decisions = 0, skipped = 0, terminated = 0;
  std::map<std::string, int64_t> by_code;
  double original = 0, counterfactual = 0;
  Value runs(rapidjson::kArrayType);
  for (auto& [run_id, trace] : *traces) {
    BudgetRunReplay r = ReplayBudgetOverRun(run_id, std::move(trace), *subs);
    decisions += static_cast<int64_t>(r.trace.size());
    original += r.original_total_usd;
    counterfactual += r.counterfactual_total_usd;
    if (r.termination_step == 0) continue;
    ++terminated;
    ++by_code[r.termination_code];
    skipped += static_cast<int64_t>(r.trace.size()) - r.termination_step;
    Value v(rapidjson::kObjectType);
    v.AddMember("counterfactual_total_usd", r.counterfactual_total_usd, a);
    v.AddMember("original_total_usd", r.original_total_usd, a);
    v.AddMember("run_id", Str(r.run_id, a), a);
    v.AddMember("steps", static_cast<int64_t>(r.trace.size()), a);
    v.AddMember("termination_code", Str(r.termination_code, a), a);
    v.AddMember("termination_decision_id", Str(r.trace[static_cast<size_t>(r.termination_step - 1)].decision_id, a), a);
    v.AddMember("termination_step", r.termination_step, a);
    runs.PushBack(v, a);
  }
  out.AddMember("schema_version", "oep.budget_impact.v0", a);
  out.AddMember("substituted_surfaces", listed, a);
  if (subs->per_run_cap_usd) out.AddMember("counterfactual_budget_cap_usd", *subs->per_run_cap_usd, a);
  out.AddMember("runs_total", static_cast<int64_t>(traces->size()), a);
  out.AddMember("runs_terminated", terminated, a);
  Value codes(rapidjson::kObjectType);
  for (const auto& [code, count] : by_code) codes.AddMember(Str(code, a), Value(count), a);
  out.AddMember("runs_terminated_by_code", codes, a);
  out.AddMember("decisions_total", decisions, a);
  out.AddMember("decisions_skipped_after_termination", skipped, a);
  out.AddMember("original_total_usd", original, a);
  out.AddMember("counterfactual_total_usd", counterfactual, a);
  out.AddMember("terminated_runs", runs, a);
  return out;
}

std::string RenderBudgetImpactHuman(const Value& r) {
  std::string out;
  if (json::FindDotted(r, "cost_trace")) {
    out = "Substituted " + Text(r, "substituted_surfaces") + " over run " + Text(r, "run_id") + " (" + Text(r, "budget.steps") +
          " steps)\n";
    out += "  original total        " + Text(r, "budget.original_total_usd") + " USD\n";
    out += "  counterfactual total  " + Text(r, "budget.counterfactual_total_usd") + " USD\n";
    out += "  terminates at step    " + Text(r, "budget.termination_step") + " (" + Text(r, "budget.termination_code") +
           ", decision " + Text(r, "budget.termination_decision_id") + ")\n";
    return out;
  }
  out = "Substituted " + Text(r, "substituted_surfaces") + " over " + Text(r, "runs_total") + " runs (" +
        Text(r, "decisions_total") + " decisions)\n";
  out += "  runs terminated                    " + Text(r, "runs_terminated") + " " + Text(r, "runs_terminated_by_code") + "\n";
  out += "  decisions skipped after the cap    " + Text(r, "decisions_skipped_after_termination") + "\n";
  out += "  original total                     " + Text(r, "original_total_usd") + " USD\n";
  out += "  counterfactual total               " + Text(r, "counterfactual_total_usd") + " USD\n";
  const Value* runs = json::FindDotted(r, "terminated_runs");
  if (runs && runs->IsArray()) {
    rapidjson::SizeType shown = 0;
    for (const auto& run : runs->GetArray()) {
      if (shown++ == 10) {
        out += "  ... " + std::to_string(runs->Size() - 10) + " more (--output-format json lists them all)\n";
        break;
      }
      out += "  " + Text(run, "run_id") + " terminates at step " + Text(run, "termination_step") + " of " +
             Text(run, "steps") + " (" + Text(run, "termination_code") + ", " + Text(run, "termination_decision_id") + ")\n";
    }
  }
  return out;
}

}  // namespace oep
