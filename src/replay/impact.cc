#include "replay/impact.h"

#include <array>
#include <cstdlib>
#include <future>

#include "json/json.h"
#include "policy/opa_cli_engine.h"
#include "rego/parser.h"
#include "rego/policy_loader.h"
#include "replay/counterfactual.h"
#include "replay/outcome.h"
#include "util/content_digest.h"

namespace oep {
namespace {

// One decision's verdict, computed on a worker thread.
struct Verdict {
  std::string id;
  Outcome original, counterfactual;
  bool evaluative = false;
  std::string error;
  std::string input_json;  // kept for the OPA engine, which decides after the batch is read
  std::vector<std::string> redactions;  // see RecordedInputRedactions
};

// With `engine` null only the original outcome and the input are read (OPA engine).
// Parses `row.body` in place (the row is consumed).
Verdict Judge(const rego::Engine* engine, const rego::Body& query, StoredArtifact& row,
              const std::map<std::string, std::string>& detached_inputs) {
  Verdict v;
  v.id = row.id;
  rapidjson::Document body;
  body.ParseInsitu(row.body.data());
  if (body.HasParseError() || !body.IsObject()) {
    v.error = row.id + ": stored packet is not JSON";
    return v;
  }
  v.original = RecordedOutcome(body);
  v.redactions = RecordedInputRedactions(body);
  rego::Value input;
  if (const auto* inline_input = json::GetMember(body, "opa_input")) {
    if (engine == nullptr) {
      v.input_json = json::CanonicalOrDie(*inline_input);
      return v;
    }
    input = rego::Value::FromRapid(*inline_input);
  } else if (auto it = detached_inputs.find(row.id); it != detached_inputs.end()) {
    if (engine == nullptr) {
      v.input_json = it->second;
      return v;
    }
    auto parsed = rego::Value::FromJsonText(it->second);
    if (!parsed.ok()) {
      v.error = row.id + ": stored OPA input is not JSON";
      return v;
    }
    input = *parsed;
  } else {
    v.error = row.id + ": no recorded OPA input";
    return v;
  }
  std::vector<std::string> reasons;
  rego::EvalOptions eval;
  eval.replay = true;
  eval.evaluative_reasons = &reasons;
  eval.now_ns = ParseRfc3339Ns(json::GetString(body, "decision_time"));
  if (const auto* cache = json::GetMember(body, "nd_builtin_cache")) eval.nd_builtin_cache = rego::Value::FromRapid(*cache);
  auto result = engine->Query(query, input, eval);
  if (auto* err = std::get_if<rego::RegoError>(&result)) {
    v.error = row.id + ": " + err->code + ": " + err->message;
    return v;
  }
  const auto& rows = std::get<std::vector<rego::QueryResult>>(result);
  v.counterfactual = Outcome::FromRego(rows.empty() ? nullptr : &rows[0].expressions.back());
  v.evaluative = !reasons.empty() || !eval.now_ns || !v.redactions.empty();
  return v;
}

// The filter's members by their JSON names.
template <typename Filter>
auto FilterMembers(Filter& f) {
  return std::array{std::pair{"since", &f.since}, std::pair{"until", &f.until}, std::pair{"tool", &f.tool},
                    std::pair{"actor", &f.actor}};
}

std::string Quote(const std::string& s) {
  std::string out;
  json::AppendCanonicalString(s, &out);
  return out;
}

// Decides the batch's verdicts through `opa eval`, as many inputs per process as fit in
// 8 MiB of stdin.
Status DecideWithOpa(const OpaCliConfig& opa, const ImpactOptions& options, bool evaluative,
                     std::vector<Verdict>& verdicts) {
  std::vector<size_t> pending;
  size_t bytes = 0;
  auto flush = [&]() -> Status {
    if (pending.empty()) return Status::Ok();
    std::vector<std::string> inputs;
    for (size_t i : pending) inputs.push_back(verdicts[i].input_json);
    auto decided = OpaEvalBatch(opa, options.policy_bundle, options.query, inputs);
    if (!decided.ok()) return decided.status();
    for (size_t k = 0; k < pending.size(); ++k) {
      Verdict& v = verdicts[pending[k]];
      rapidjson::Document cf;
      if ((*decided)[k].defined) cf.Parse((*decided)[k].value_json.c_str());
      v.counterfactual = Outcome::FromJson((*decided)[k].defined ? &cf : nullptr);
      v.evaluative = evaluative || !v.redactions.empty();
    }
    pending.clear();
    bytes = 0;
    return Status::Ok();
  };
  for (size_t i = 0; i < verdicts.size(); ++i) {
    if (!verdicts[i].error.empty()) continue;
    size_t size = verdicts[i].input_json.size() + 1;
    if (size + 64 > kOpaStdinLimit) {
      verdicts[i].error = verdicts[i].id + ": OPA input exceeds 8 MiB";
      continue;
    }
    if (bytes + size + 64 > kOpaStdinLimit) OEP_RETURN_IF_ERROR(flush());
    pending.push_back(i);
    bytes += size;
  }
  return flush();
}

}  // namespace

Result<int> BatchSizeFromEnv() {
  const char* v = std::getenv("OEP_SQLITE_BATCH_VARIABLE_LIMIT");
  if (v == nullptr || *v == '\0') return 900;
  char* end = nullptr;
  long n = std::strtol(v, &end, 10);
  if (*end != '\0' || n < 1 || n > 32766) {
    return Status::InvalidArgument(std::string("OEP_SQLITE_BATCH_VARIABLE_LIMIT=") + v +
                                   ": expected a whole number from 1 to 32766 (SQLite's host-parameter limit)");
  }
  return static_cast<int>(n);
}

Result<ImpactReport> RunImpact(Store& store, const ImpactOptions& options, const std::function<void(int64_t)>& progress) {
  auto loaded = rego::LoadPolicy({options.policy_bundle});
  if (auto* err = std::get_if<rego::RegoError>(&loaded)) {
    return Status::InvalidArgument("--policy-bundle " + options.policy_bundle + ": " + err->Text());
  }
  const rego::Engine& engine = *std::get<rego::LoadedPolicy>(loaded).engine;
  auto parsed_query = rego::ParseQuery(options.query);
  if (auto* err = std::get_if<rego::RegoError>(&parsed_query)) return Status::InvalidArgument("--query: " + err->message);
  const rego::Body& query = std::get<rego::Body>(parsed_query);
  auto digest = ContentDigest(options.policy_bundle);
  if (!digest.ok()) return digest.status();

  std::optional<OpaCliConfig> opa;
  bool opa_evaluative = false;
  if (options.engine == "opa" || options.engine == "auto") {
    auto found = OpaCliFromEnv();
    if (found.ok()) opa = *found;
    else if (options.engine == "opa") return found.status();
    opa_evaluative = opa && !NonDeterministicBuiltinsIn(options.policy_bundle).empty();
  }
  ImpactReport report;
  report.policy_bundle = options.policy_bundle;
  report.bundle_digest = *digest;
  report.query = options.query;
  report.engine = opa ? "opa CLI at " + opa->binary : std::string("native (oep ") + OEP_VERSION + ")";
  report.filter = options.filter;
  auto next_entry = store.NextLedgerEntryId();
  if (!next_entry.ok()) return next_entry.status();
  report.as_of_ledger_entry = *next_entry - 1;
  // Pipeline: while the workers judge batch i, this thread reads batch i+1 (SQLite is
  // used from this thread only); verdicts are aggregated in id order.
  struct Batch {
    std::vector<StoredArtifact> rows;
    std::map<std::string, std::string> detached;  // OPA inputs recorded beside packets
  };
  std::string after;
  auto read_batch = [&]() -> Result<Batch> {
    Batch b;
    auto rows = store.DecisionBatch(options.filter, after, options.batch_size);
    if (!rows.ok()) return rows.status();
    b.rows = std::move(*rows);
    if (b.rows.empty()) return b;
    after = b.rows.back().id;
    std::vector<std::string> need_inputs;
    for (const auto& row : b.rows) {
      if (row.body.find("\"opa_input\":") == std::string::npos) need_inputs.push_back(row.id);
    }
    auto detached = store.DecisionInputs(need_inputs);
    if (!detached.ok()) return detached.status();
    b.detached = std::move(*detached);
    return b;
  };
  auto next = read_batch();
  for (;;) {
    if (!next.ok()) return next.status();
    Batch current = std::move(*next);
    if (current.rows.empty()) break;
    std::vector<Verdict> verdicts(current.rows.size());
    std::vector<std::future<void>> workers;
    size_t n = current.rows.size();
    size_t per = (n + static_cast<size_t>(options.threads) - 1) / static_cast<size_t>(options.threads);
    for (size_t begin = 0; begin < n; begin += per) {
      size_t end = std::min(n, begin + per);
      workers.push_back(std::async(std::launch::async, [&, begin, end] {
        for (size_t i = begin; i < end; ++i) {
          verdicts[i] = Judge(opa ? nullptr : &engine, query, current.rows[i], current.detached);
        }
      }));
    }
    next = read_batch();
    for (auto& w : workers) w.get();
    if (opa) OEP_RETURN_IF_ERROR(DecideWithOpa(*opa, options, opa_evaluative, verdicts));
    for (const auto& v : verdicts) {
      ++report.total;
      if (!v.error.empty()) {
        ++report.errors;
        if (report.first_errors.size() < 10) report.first_errors.push_back(v.error);
        continue;
      }
      if (v.evaluative) ++report.evaluative;
      auto changed = v.original.ChangedFields(v.counterfactual);
      if (changed.empty()) {
        ++report.unchanged;
        continue;
      }
      std::string transition = v.original.decision + "->" + v.counterfactual.decision;
      if (v.original.decision == "allow" && v.counterfactual.decision == "deny") ++report.allow_to_deny;
      else if (v.original.decision == "deny" && v.counterfactual.decision == "allow") ++report.deny_to_allow;
      else if (v.counterfactual.decision == "undefined" && v.original.decision != "undefined") ++report.to_undefined;
      else ++report.other_changes;
      ++report.rule_transitions[(v.original.has_matched_rule ? v.original.matched_rule : "-") + " -> " +
                                (v.counterfactual.has_matched_rule ? v.counterfactual.matched_rule : "-")];
      auto& ex = report.examples[transition];
      if (static_cast<int>(ex.size()) < options.examples) ex.push_back(v.id);
    }
    if (progress) progress(report.total);
  }
  return report;
}

std::string ImpactReport::RenderHuman() const {
  auto row = [](const std::string& label, int64_t n) {
    std::string line = "  " + label;
    line.append(label.size() < 26 ? 26 - label.size() : 1, ' ');
    return line + std::to_string(n) + "\n";
  };
  std::string out = "Impact of " + policy_bundle + " (" + bundle_digest.substr(0, 19) + "…) on " + query + "\n";
  out += "  engine                  " + engine + "\n";
  std::string scope;
  for (const auto& [name, value] : FilterMembers(filter)) {
    if (!value->empty()) scope += std::string(scope.empty() ? "" : ", ") + name + " " + *value;
  }
  out += "  scope                   " + (scope.empty() ? std::string("all decisions") : scope) +
         " (store as of ledger entry " + std::to_string(as_of_ledger_entry) + ")\n";
  out += row("decisions", total) + row("unchanged", unchanged) + row("allow -> deny", allow_to_deny) +
         row("deny -> allow", deny_to_allow) + row("-> undefined", to_undefined) +
         row("other field changes", other_changes) + row("evaluative", evaluative) + row("errors", errors);
  if (!rule_transitions.empty()) {
    out += "Rule transitions (original -> counterfactual)\n";
    for (const auto& [t, n] : rule_transitions) out += "  " + std::to_string(n) + "  " + t + "\n";
  }
  for (const auto& [t, ids] : examples) {
    out += "First " + t + ":";
    for (const auto& id : ids) out += " " + id;
    out += "\n";
  }
  for (const auto& e : first_errors) out += "Error: " + e + "\n";
  return out;
}

std::string ImpactReport::ToJson() const {
  std::string out = "{\"as_of_ledger_entry\":" + std::to_string(as_of_ledger_entry) +
                    ",\"bundle_digest\":" + Quote(bundle_digest) + ",\"counts\":{\"allow_to_deny\":" +
                    std::to_string(allow_to_deny) + ",\"deny_to_allow\":" + std::to_string(deny_to_allow) +
                    ",\"errors\":" + std::to_string(errors) + ",\"evaluative\":" + std::to_string(evaluative) +
                    ",\"other_changes\":" + std::to_string(other_changes) + ",\"to_undefined\":" +
                    std::to_string(to_undefined) + ",\"total\":" + std::to_string(total) + ",\"unchanged\":" +
                    std::to_string(unchanged) + "},\"engine\":" + Quote(engine) + ",\"errors\":[";
  for (size_t i = 0; i < first_errors.size(); ++i) out += (i ? "," : "") + Quote(first_errors[i]);
  out += "],\"examples\":{";
  bool first = true;
  for (const auto& [t, ids] : examples) {
    out += (first ? "" : ",") + Quote(t) + ":[";
    for (size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + Quote(ids[i]);
    out += "]";
    first = false;
  }
  out += "},\"filter\":{";
  first = true;
  for (const auto& [name, value] : FilterMembers(filter)) {
    if (value->empty()) continue;
    out += (first ? "" : ",") + Quote(name) + ":" + Quote(*value);
    first = false;
  }
  out += "},\"policy_bundle\":" + Quote(policy_bundle) + ",\"query\":" + Quote(query) + ",\"rule_transitions\":{";
  first = true;
  for (const auto& [t, n] : rule_transitions) {
    out += (first ? "" : ",") + Quote(t) + ":" + std::to_string(n);
    first = false;
  }
  return out + "},\"schema_version\":\"oep.impact_report.v0\"}";
}

Result<ImpactReport> ImpactReport::FromJson(const rapidjson::Value& v) {
  auto bad = [](const std::string& pointer) {
    return Status::InvalidArgument("impact report: " + pointer + " missing or of the wrong type");
  };
  if (!v.IsObject()) return bad("/");
  ImpactReport r;
  for (auto [name, field] : {std::pair{"policy_bundle", &r.policy_bundle}, {"bundle_digest", &r.bundle_digest},
                             {"query", &r.query}, {"engine", &r.engine}}) {
    const auto* m = json::GetMember(v, name);
    if (m == nullptr || !m->IsString()) return bad(std::string("/") + name);
    *field = m->GetString();
  }
  if (const auto* m = json::GetMember(v, "as_of_ledger_entry"); m && m->IsInt64()) r.as_of_ledger_entry = m->GetInt64();
  if (const auto* f = json::GetMember(v, "filter"); f && f->IsObject()) {
    for (const auto& [name, value] : FilterMembers(r.filter)) *value = json::GetString(*f, name);
  }
  const auto* counts = json::GetMember(v, "counts");
  if (counts == nullptr || !counts->IsObject()) return bad("/counts");
  for (auto [name, field] : {std::pair{"total", &r.total}, {"unchanged", &r.unchanged},
                             {"allow_to_deny", &r.allow_to_deny}, {"deny_to_allow", &r.deny_to_allow},
                             {"to_undefined", &r.to_undefined}, {"other_changes", &r.other_changes},
                             {"evaluative", &r.evaluative}, {"errors", &r.errors}}) {
    const auto* m = json::GetMember(*counts, name);
    if (m == nullptr || !m->IsInt64()) return bad(std::string("/counts/") + name);
    *field = m->GetInt64();
  }
  if (const auto* t = json::GetMember(v, "rule_transitions"); t && t->IsObject()) {
    for (const auto& m : t->GetObject()) {
      if (m.value.IsInt64()) r.rule_transitions[m.name.GetString()] = m.value.GetInt64();
    }
  }
  if (const auto* e = json::GetMember(v, "examples"); e && e->IsObject()) {
    for (const auto& m : e->GetObject()) {
      if (!m.value.IsArray()) continue;
      auto& ids = r.examples[m.name.GetString()];
      for (const auto& id : m.value.GetArray()) {
        if (id.IsString()) ids.emplace_back(id.GetString());
      }
    }
  }
  if (const auto* e = json::GetMember(v, "errors"); e && e->IsArray()) {
    for (const auto& m : e->GetArray()) {
      if (m.IsString()) r.first_errors.emplace_back(m.GetString());
    }
  }
  return r;
}

}  // namespace oep
