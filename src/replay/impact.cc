#include "replay/impact.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <memory>
#include <sstream>

#include "json/json.h"
#include "policy/decision_memo.h"
#include "replay/stored_decision.h"
#include "util/content_digest.h"
#include "util/display_text.h"
#include "util/text_table.h"

namespace oep {
namespace {

using rapidjson::Value;

// One decision's verdict, computed on a worker thread.
struct Verdict {
  std::string id, query, tool, actor;
  Outcome original, counterfactual;  // without their values once compared (see JudgeRange)
  std::vector<std::string> changed;  // original.ChangedFields(counterfactual)
  bool evaluative = false;
  std::string error;  // the decision could not be re-decided (no input, unreadable packet)
  std::string disagreement;  // --engine both: what the two engines said, when they differ
};

struct Batch {
  std::vector<StoredArtifact> rows;
  std::map<std::string, std::string> detached;  // OPA inputs recorded beside packets
};

// A batch being judged: its rows, the verdicts the workers write into, and how many of
// its chunks are not judged yet.
struct InFlight {
  Batch batch;
  std::vector<Verdict> verdicts;
  size_t chunks_left = 0;
};

// Threads that live for the whole run and take chunks (a batch and a row range) from one
// queue, so that they keep judging while the reading thread reads ahead or tallies: the
// two stages are not held in lock-step by a barrier per batch.
class JudgePool {
 public:
  using Job = std::function<Status(size_t worker, InFlight& batch, size_t begin, size_t end)>;
  JudgePool(size_t n, Job job) : job_(std::move(job)) {
    for (size_t w = 0; w < n; ++w) threads_.emplace_back([this, w] { Loop(w); });
  }
  ~JudgePool() {  // queued chunks are dropped; running ones finish first
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    work_.notify_all();
    for (auto& t : threads_) t.join();
  }
  size_t size() const { return threads_.size(); }
  // Queues `f`'s rows as `chunks` ranges of (nearly) equal size.
  void Submit(InFlight* f, size_t chunks) {
    size_t n = f->batch.rows.size(), per = (n + chunks - 1) / chunks;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (size_t begin = 0; begin < n; begin += per) {
        queue_.push_back({f, begin, std::min(n, begin + per)});
        ++f->chunks_left;
      }
    }
    work_.notify_all();
  }
  // Waits until every chunk of `f` is judged, or a chunk failed: the first failure.
  Status WaitFor(const InFlight* f) {
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [&] { return f->chunks_left == 0 || !failure_.ok(); });
    return failure_;
  }

 private:
  struct Chunk {
    InFlight* batch;
    size_t begin, end;
  };
  void Loop(size_t w) {
    for (;;) {
      Chunk c{};
      {
        std::unique_lock<std::mutex> lock(mu_);
        work_.wait(lock, [&] { return stop_ || !queue_.empty(); });
        if (stop_) return;
        c = queue_.front();
        queue_.pop_front();
      }
      Status s = job_(w, *c.batch, c.begin, c.end);
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (!s.ok() && failure_.ok()) failure_ = std::move(s);
        --c.batch->chunks_left;
      }
      done_.notify_all();
    }
  }

  Job job_;
  std::mutex mu_;
  std::condition_variable work_, done_;
  std::deque<Chunk> queue_;
  Status failure_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

// One worker's memory, reused batch after batch; what a worker allocates per decision it
// frees before returning.
struct WorkerScratch {
  std::vector<StoredDecision> decisions;
  std::vector<size_t> at;  // verdict index of each decision
  std::vector<DecisionRequest> requests;
  std::vector<Decided> decided, base;
  // Answers by projected input (used only when inputs are projected: whole inputs repeat
  // too rarely to be worth remembering).
  DecisionMemo memo, base_memo;
};

// Judges rows [begin, end): reads each stored decision, then decides them all under the
// substituted engine (and the baseline engine, when given) in one call each.
Status JudgeChunk(const ImpactOptions& options, const PolicyEngine& engine, const PolicyEngine* baseline,
                  const rego::InputPaths* input_read, Batch& batch, size_t begin, size_t end, std::vector<Verdict>& verdicts,
                  WorkerScratch& scratch) {
  std::vector<StoredDecision>& decisions = scratch.decisions;
  std::vector<size_t>& at = scratch.at;
  decisions.clear();
  at.clear();
  for (size_t i = begin; i < end; ++i) {
    StoredArtifact& row = batch.rows[i];
    Verdict& v = verdicts[i];
    v.error.clear();  // the buffer holds an earlier batch's verdict
    v.disagreement.clear();
    v.changed.clear();
    v.id = row.id;
    auto detached = batch.detached.find(row.id);
    auto read = ReadStoredDecision(row.id, row.body, detached == batch.detached.end() ? nullptr : &detached->second, input_read);
    if (!read.ok()) {
      v.error = read.status().message();
      continue;
    }
    StoredDecision& d = *read;
    // Moved out: the decision keeps only what the engines read (input, time, nd cache).
    v.query = options.query.empty() ? std::move(d.query) : options.query;
    v.tool = std::move(d.tool);
    v.actor = std::move(d.actor);
    v.original = std::move(d.recorded);
    v.evaluative = !d.redactions.empty();
    if (!d.input) {
      v.error = row.id + ": no recorded OPA input";
      continue;
    }
    decisions.push_back(std::move(d));
    at.push_back(i);
  }
  std::vector<DecisionRequest>& requests = scratch.requests;
  requests.resize(decisions.size());
  for (size_t k = 0; k < decisions.size(); ++k) {
    const StoredDecision& d = decisions[k];
    requests[k] = {verdicts[at[k]].query, &*d.input, d.pinned_time_ns, d.nd_builtin_cache ? &*d.nd_builtin_cache : nullptr};
  }
  if (input_read) {
    OEP_RETURN_IF_ERROR(scratch.memo.Decide(engine, requests, scratch.decided));
    if (baseline) OEP_RETURN_IF_ERROR(scratch.base_memo.Decide(*baseline, requests, scratch.base));
  } else {
    OEP_RETURN_IF_ERROR(engine.Decide(requests, scratch.decided));
    if (baseline) OEP_RETURN_IF_ERROR(baseline->Decide(requests, scratch.base));
  }
  for (size_t k = 0; k < decisions.size(); ++k) {
    Verdict& v = verdicts[at[k]];
    Decided& d = scratch.decided[k];
    v.counterfactual = std::move(d.outcome);
    v.evaluative = v.evaluative || !d.evaluative_reasons.empty();
    if (d.compared && d.Disagrees()) {
      v.disagreement = v.id + ": native " + (v.counterfactual.kind == Outcome::Kind::kDefined ? v.counterfactual.ValueJson() : v.counterfactual.decision) +
                       ", opa " + (d.compared->kind == Outcome::Kind::kDefined ? d.compared->ValueJson() : d.compared->decision);
    }
    if (baseline) {
      v.original = std::move(scratch.base[k].outcome);
      v.evaluative = v.evaluative || !scratch.base[k].evaluative_reasons.empty();
    }
    // Compared here, and the values released on the thread that built them: the tally
    // needs only the decision fields.
    v.changed = v.original.ChangedFields(v.counterfactual);
    v.original.value.reset();
    v.counterfactual.value.reset();
  }
  decisions.clear();  // freed by the thread that built them, while they are in its caches
  return Status::Ok();
}

// Judges rows [begin, end) in chunks of the engines' preferred size: few decisions alive
// at once keep a native worker's memory hot; the OPA CLI engine takes the range at once.
Status JudgeRange(const ImpactOptions& options, const PolicyEngine& engine, const PolicyEngine* baseline,
                  const rego::InputPaths* input_read, Batch& batch, size_t begin, size_t end, std::vector<Verdict>& verdicts,
                  WorkerScratch& scratch) {
  size_t step = std::max<size_t>(1, std::min(engine.PreferredBatch(), baseline ? baseline->PreferredBatch() : SIZE_MAX));
  for (size_t b = begin; b < end; b += std::min(step, end - b)) {
    OEP_RETURN_IF_ERROR(JudgeChunk(options, engine, baseline, input_read, batch, b, std::min(end, b + std::min(step, end - b)), verdicts, scratch));
  }
  return Status::Ok();
}

void Count(ImpactCounts& c, const Verdict& v, const std::vector<std::string>& changed) {
  ++c.total;
  if (!v.disagreement.empty()) ++c.disagreements;
  if (!v.error.empty()) {
    ++c.errors;
    return;
  }
  if (v.evaluative) ++c.evaluative;
  if (v.counterfactual.kind == Outcome::Kind::kError || v.original.kind == Outcome::Kind::kError) ++c.errors;
  if (changed.empty()) {
    ++c.unchanged;
  } else if (v.original.decision == "allow" && v.counterfactual.decision == "deny") {
    ++c.allow_to_deny;
  } else if (v.original.decision == "deny" && v.counterfactual.decision == "allow") {
    ++c.deny_to_allow;
  } else if (v.counterfactual.kind == Outcome::Kind::kUndefined) {
    ++c.to_undefined;
  } else {
    ++c.other_changes;
  }
}

// The entry of `map` for the key `parts` joined, built in `key` (reused: once a key is
// in the map, counting it again allocates nothing).
template <typename Map>
typename Map::mapped_type& Entry(Map& map, std::string& key, std::initializer_list<std::string_view> parts) {
  key.clear();
  for (std::string_view p : parts) key.append(p);
  auto it = map.find(key);
  return it != map.end() ? it->second : map.emplace(key, typename Map::mapped_type{}).first->second;
}

void Tally(ImpactReport& report, const Verdict& v, int examples) {
  static const std::vector<std::string> kNone;
  thread_local std::string key;
  const std::vector<std::string>& changed = v.error.empty() ? v.changed : kNone;
  Count(report.counts, v, changed);
  if (!v.query.empty()) Count(Entry(report.by_query, key, {v.query}), v, changed);
  if (!v.disagreement.empty() && report.first_disagreements.size() < 10) report.first_disagreements.push_back(v.disagreement);
  if (!v.error.empty() || v.counterfactual.kind == Outcome::Kind::kError) {
    if (report.first_errors.size() < 10) report.first_errors.push_back(v.error.empty() ? v.id + ": " + v.counterfactual.error : v.error);
  }
  if (changed.empty()) return;
  auto or_dash = [](const std::string& s, bool present) { return present ? std::string_view(s) : std::string_view("-"); };
  std::string_view rule_from = or_dash(v.original.matched_rule, v.original.has_matched_rule);
  std::string_view rule_to = or_dash(v.counterfactual.matched_rule, v.counterfactual.has_matched_rule);
  ++Entry(report.rule_transitions, key, {rule_from, " -> ", rule_to});
  ++Entry(report.changed_by_tool, key, {or_dash(v.tool, !v.tool.empty())});
  ++Entry(report.changed_by_actor, key, {or_dash(v.actor, !v.actor.empty())});
  ++Entry(report.changed_by_rule, key, {rule_from});
  auto& ex = Entry(report.examples, key, {v.original.decision, "->", v.counterfactual.decision});
  if (static_cast<int>(ex.size()) < examples) ex.push_back(v.id);
}

// The filter's members by their JSON names.
template <typename Filter>
auto FilterMembers(Filter& f) {
  return std::array{std::pair{"since", &f.since}, std::pair{"until", &f.until}, std::pair{"tool", &f.tool},
                    std::pair{"actor", &f.actor}};
}

constexpr std::array<std::pair<const char*, int64_t ImpactCounts::*>, 9> kCountFields = {{
    {"total", &ImpactCounts::total},
    {"unchanged", &ImpactCounts::unchanged},
    {"allow_to_deny", &ImpactCounts::allow_to_deny},
    {"deny_to_allow", &ImpactCounts::deny_to_allow},
    {"to_undefined", &ImpactCounts::to_undefined},
    {"other_changes", &ImpactCounts::other_changes},
    {"evaluative", &ImpactCounts::evaluative},
    {"errors", &ImpactCounts::errors},
    {"disagreements", &ImpactCounts::disagreements},
}};

// The rows a report's total is split into (they add up to it), then the dimensions that
// cut across them (evaluative, errors).
std::vector<std::pair<std::string, int64_t>> PartRows(const ImpactCounts& c) {
  return {{"unchanged", c.unchanged},
          {"allow -> deny", c.allow_to_deny},
          {"deny -> allow", c.deny_to_allow},
          {"-> undefined", c.to_undefined},
          {"other changes (rule, reason, code or value)", c.other_changes},
          {"not re-decided (input unreadable)", c.total - c.unchanged - c.changed()}};
}
std::vector<std::pair<std::string, int64_t>> DimensionRows(const ImpactCounts& c) {
  return {{"evaluative (not pinned, any row)", c.evaluative}, {"errors (any row)", c.errors}};
}

// "deny->deny" (an examples key) as people read it.
std::string TransitionLabel(const std::string& key) {
  size_t arrow = key.find("->");
  if (arrow == std::string::npos) return key;
  std::string from = key.substr(0, arrow), to = key.substr(arrow + 2);
  std::string label = from + " -> " + to;
  return from == to ? label + " (another rule, reason or value)" : label;
}

std::string Short(const std::string& digest) { return digest.substr(0, 19) + "…"; }

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
  auto engine = MakePolicyEngine(options.engine);
  if (!engine.ok()) return engine.status().WithContext("--policy-bundle");
  std::unique_ptr<PolicyEngine> baseline;
  ImpactReport report;
  if (!options.baseline_bundle.empty()) {
    PolicyEngineConfig base_config = options.engine;
    base_config.bundle = options.baseline_bundle;
    auto b = MakePolicyEngine(base_config);
    if (!b.ok()) return b.status().WithContext("--baseline-bundle");
    baseline = std::move(*b);
    auto digest = ContentDigest(options.baseline_bundle);
    if (!digest.ok()) return digest.status();
    report.baseline_bundle = options.baseline_bundle;
    report.baseline_digest = *digest;
  }
  auto digest = ContentDigest(options.engine.bundle);
  if (!digest.ok()) return digest.status();
  report.policy_bundle = options.engine.bundle;
  report.bundle_digest = *digest;
  report.query = options.query.empty() ? "recorded" : options.query;
  report.engine = (*engine)->Description();
  report.filter = options.filter;
  auto next_entry = store.NextLedgerEntryId();
  if (!next_entry.ok()) return next_entry.status();
  report.as_of_ledger_entry = *next_entry - 1;

  // Batches are read by this thread only (SQLite is used from one thread).
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
      static constexpr std::string_view kInputKey = "\"opa_input\":";  // glibc's memmem: a fraction of find's cost
      if (memmem(row.body.data(), row.body.size(), kInputKey.data(), kInputKey.size()) == nullptr) need_inputs.push_back(row.id);
    }
    auto detached = store.DecisionInputs(need_inputs);
    if (!detached.ok()) return detached.status();
    b.detached = std::move(*detached);
    return b;
  };
  // Only what both policies can read of each input is built (all of it for a query that
  // reads input itself).
  std::optional<rego::InputPaths> input_read;
  if (const rego::InputPaths* read = (*engine)->InputRead(); read && !rego::QueryMayReadInput(options.query)) {
    input_read = *read;
    const rego::InputPaths* base = baseline ? baseline->InputRead() : nullptr;
    if (baseline && !base) input_read.reset();
    if (base && input_read) input_read->Merge(*base);
  }
  const rego::InputPaths* read_ptr = input_read ? &*input_read : nullptr;
  // This thread reads up to kReadAhead batches ahead of the oldest one being judged and
  // tallies batches as they complete, in id order; the workers take their chunks from one
  // queue. `flight` outlives `pool`, whose threads point into it.
  constexpr size_t kReadAhead = 3;
  std::deque<std::unique_ptr<InFlight>> flight;
  std::vector<WorkerScratch> scratch(static_cast<size_t>(std::max(1, options.threads)));
  JudgePool pool(scratch.size(), [&](size_t w, InFlight& f, size_t begin, size_t end) {
    return JudgeRange(options, **engine, baseline.get(), read_ptr, f.batch, begin, end, f.verdicts, scratch[w]);
  });
  bool exhausted = false;
  for (;;) {
    while (!exhausted && flight.size() < kReadAhead) {
      auto next = read_batch();
      if (!next.ok()) return next.status();
      if (next->rows.empty()) {
        exhausted = true;
        break;
      }
      auto f = std::make_unique<InFlight>();
      f->batch = std::move(*next);
      f->verdicts.resize(f->batch.rows.size());
      pool.Submit(f.get(), pool.size());
      flight.push_back(std::move(f));
    }
    if (flight.empty()) break;
    OEP_RETURN_IF_ERROR(pool.WaitFor(flight.front().get()));
    for (const auto& v : flight.front()->verdicts) Tally(report, v, options.examples);
    if (progress) progress(report.counts.total);
    flight.pop_front();
  }
  return report;
}

Result<std::vector<std::string>> FailOnConditions(const ImpactReport& report, const std::string& list) {
  std::vector<std::string> met;
  std::stringstream ss(list);
  for (std::string item; std::getline(ss, item, ',');) {
    const ImpactCounts& c = report.counts;
    int64_t n = 0;
    if (item == "allow->deny") n = c.allow_to_deny;
    else if (item == "deny->allow") n = c.deny_to_allow;
    else if (item == "changed") n = c.changed();
    else if (item == "error") n = c.errors;
    else if (item == "disagreement") n = c.disagreements;
    else return Status::InvalidArgument("--fail-on " + item + ": expected allow->deny, deny->allow, changed, error or disagreement");
    if (n > 0) met.push_back(item + " (" + std::to_string(n) + ")");
  }
  return met;
}

std::string ImpactReport::RenderHuman() const {
  auto row = [](const std::string& label, const std::string& value) {
    std::string line = "  " + label;
    line.append(label.size() < 22 ? 22 - label.size() : 1, ' ');
    return line + value + "\n";
  };
  std::string heading = "Impact of " + policy_bundle + " (" + Short(bundle_digest) + ")";
  heading += baseline_bundle.empty() ? " against the recorded decisions"
                                   : " against " + baseline_bundle + " (" + Short(baseline_digest) + ") on the recorded inputs";
  // At most 80 columns (paths and digests stay whole): the rest indented under the first line.
  std::vector<std::string> lines = WrapText(heading, 80);
  std::string out = lines[0] + "\n", rest;
  for (size_t i = 1; i < lines.size(); ++i) rest += (i > 1 ? " " : "") + lines[i];
  if (!rest.empty()) {
    for (const auto& line : WrapText(rest, 76)) out += "    " + line + "\n";
  }
  out += row("engine", engine);
  out += row("query", query == "recorded" ? "each decision's recorded query" : query);
  std::string scope;
  for (const auto& [name, value] : FilterMembers(filter)) {
    if (!value->empty()) scope += std::string(scope.empty() ? "" : ", ") + name + " " + *value;
  }
  out += row("scope", (scope.empty() ? std::string("all decisions") : scope) + " (ledger entry " +
                          std::to_string(as_of_ledger_entry) + ")");
  using Align = TextTable::Align;
  TextTable counts_table({{"", Align::kLeft}, {"", Align::kRight}}, "  ");
  counts_table.AddRow({"decisions", std::to_string(counts.total)});
  for (const auto& [label, n] : PartRows(counts)) counts_table.AddRow({"  " + label, std::to_string(n)});
  for (const auto& [label, n] : DimensionRows(counts)) counts_table.AddRow({label, std::to_string(n)});
  if (counts.disagreements) counts_table.AddRow({"engine disagreements", std::to_string(counts.disagreements)});
  out += counts_table.Render();
  if (by_query.size() > 1) {
    out += "By query\n";
    TextTable q({{"QUERY", Align::kLeft, true}, {"DECISIONS", Align::kRight}, {"UNCHANGED", Align::kRight},
                 {"ALLOW->DENY", Align::kRight}, {"DENY->ALLOW", Align::kRight}, {"OTHER", Align::kRight}},
                "  ");
    for (const auto& [name, c] : by_query) {
      q.AddRow({EscapeForTerminal(name), std::to_string(c.total), std::to_string(c.unchanged),
                std::to_string(c.allow_to_deny), std::to_string(c.deny_to_allow),
                std::to_string(c.changed() - c.allow_to_deny - c.deny_to_allow)});
    }
    out += q.Render();
  }
  auto section = [&](const char* title, const std::map<std::string, int64_t>& m) {
    if (m.empty()) return;
    out += std::string(title) + "\n";
    TextTable t({{"", Align::kRight}, {"", Align::kLeft, true}}, "  ");
    for (const auto& [k, n] : m) t.AddRow({std::to_string(n), EscapeForTerminal(k)});
    out += t.Render();
  };
  section("Rule transitions (original -> counterfactual)", rule_transitions);
  section("Changed decisions by tool", changed_by_tool);
  section("Changed decisions by actor", changed_by_actor);
  section("Changed decisions by original rule", changed_by_rule);
  TextTable ex({{""}, {"", Align::kLeft, true}}, "  ");
  for (const auto& [t, ids] : examples) {
    if (ids.empty()) continue;  // --limit 0: no examples, and no heading without them
    std::string list;
    for (const auto& id : ids) list += (list.empty() ? "" : " ") + EscapeForTerminal(id);
    ex.AddRow({TransitionLabel(t), list});
  }
  if (ex.rows() > 0) out += "First decisions per transition\n" + ex.Render();
  for (const auto& e : first_errors) out += "Error: " + EscapeForTerminal(e) + "\n";
  for (const auto& e : first_disagreements) out += "Disagreement: " + EscapeForTerminal(e) + "\n";
  return out;
}

std::string ImpactReport::RenderMarkdown() const {
  auto cell = [](std::string s) {
    for (size_t p = 0; (p = s.find('|', p)) != std::string::npos; p += 2) s.replace(p, 1, "\\|");
    return s;
  };
  std::string out = "### Policy impact: `" + cell(policy_bundle) + "`\n\n";
  out += baseline_bundle.empty() ? "Re-decided every recorded decision and compared with what was recorded.\n\n"
                                 : "Decided every recorded input under `" + cell(baseline_bundle) + "` (before) and `" +
                                       cell(policy_bundle) + "` (after).\n\n";
  out += "| | |\n|---|---:|\n| decisions | " + std::to_string(counts.total) + " |\n";
  for (const auto& [label, n] : PartRows(counts)) out += "| " + label + " | " + std::to_string(n) + " |\n";
  for (const auto& [label, n] : DimensionRows(counts)) out += "| " + label + " | " + std::to_string(n) + " |\n";
  if (counts.disagreements) out += "| engine disagreements | " + std::to_string(counts.disagreements) + " |\n";
  out += "\nEngine: " + engine + "; bundle `" + bundle_digest + "`";
  if (!baseline_bundle.empty()) out += "; baseline `" + baseline_digest + "`";
  out += "; store as of ledger entry " + std::to_string(as_of_ledger_entry) + ".\n";
  if (!by_query.empty()) {
    out += "\n| query | decisions | unchanged | allow → deny | deny → allow | other changes |\n|---|---:|---:|---:|---:|---:|\n";
    for (const auto& [q, c] : by_query) {
      out += "| `" + cell(q) + "` | " + std::to_string(c.total) + " | " + std::to_string(c.unchanged) + " | " +
             std::to_string(c.allow_to_deny) + " | " + std::to_string(c.deny_to_allow) + " | " +
             std::to_string(c.changed() - c.allow_to_deny - c.deny_to_allow) + " |\n";
    }
  }
  auto table = [&](const char* title, const char* column, const std::map<std::string, int64_t>& m) {
    if (m.empty()) return;
    out += std::string("\n**") + title + "**\n\n| " + column + " | changed |\n|---|---:|\n";
    for (const auto& [k, n] : m) out += "| " + cell(k) + " | " + std::to_string(n) + " |\n";
  };
  table("Rule transitions", "original → counterfactual", rule_transitions);
  table("By tool", "tool", changed_by_tool);
  table("By actor", "actor", changed_by_actor);
  table("By original rule", "rule", changed_by_rule);
  if (std::any_of(examples.begin(), examples.end(), [](const auto& e) { return !e.second.empty(); })) {
    out += "\n**Examples** (`oep replay ID --counterfactual --policy-bundle " + cell(policy_bundle) + "`)\n\n";
    for (const auto& [t, ids] : examples) {
      if (ids.empty()) continue;
      out += "- " + TransitionLabel(t) + ":";
      for (const auto& id : ids) out += " `" + id + "`";
      out += "\n";
    }
  }
  for (const auto& e : first_errors) out += "\n> error: " + cell(e) + "\n";
  return out;
}

std::string ImpactReport::ToJson() const {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  auto str = [&](const std::string& s) { return Value(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), a); };
  auto counts_json = [&](const ImpactCounts& c) {
    Value v(rapidjson::kObjectType);
    for (const auto& [name, field] : kCountFields) v.AddMember(Value(name, a), Value(static_cast<int64_t>(c.*field)), a);
    return v;
  };
  auto count_map = [&](const std::map<std::string, int64_t>& m) {
    Value v(rapidjson::kObjectType);
    for (const auto& [k, n] : m) v.AddMember(str(k), Value(static_cast<int64_t>(n)), a);
    return v;
  };
  auto strings = [&](const std::vector<std::string>& xs) {
    Value v(rapidjson::kArrayType);
    for (const auto& x : xs) v.PushBack(str(x), a);
    return v;
  };
  doc.AddMember("schema_version", "oep.impact_report.v0", a);
  doc.AddMember("policy_bundle", str(policy_bundle), a);
  doc.AddMember("bundle_digest", str(bundle_digest), a);
  if (!baseline_bundle.empty()) {
    doc.AddMember("baseline_bundle", str(baseline_bundle), a);
    doc.AddMember("baseline_digest", str(baseline_digest), a);
  }
  doc.AddMember("query", str(query), a);
  doc.AddMember("engine", str(engine), a);
  Value f(rapidjson::kObjectType);
  for (const auto& [name, value] : FilterMembers(filter)) {
    if (!value->empty()) f.AddMember(Value(name, a), str(*value), a);
  }
  doc.AddMember("filter", f, a);
  doc.AddMember("as_of_ledger_entry", Value(static_cast<int64_t>(as_of_ledger_entry)), a);
  doc.AddMember("counts", counts_json(counts), a);
  Value q(rapidjson::kObjectType);
  for (const auto& [k, c] : by_query) q.AddMember(str(k), counts_json(c), a);
  doc.AddMember("by_query", q, a);
  doc.AddMember("rule_transitions", count_map(rule_transitions), a);
  Value changed(rapidjson::kObjectType);
  changed.AddMember("tool", count_map(changed_by_tool), a);
  changed.AddMember("actor", count_map(changed_by_actor), a);
  changed.AddMember("rule", count_map(changed_by_rule), a);
  doc.AddMember("changed_by", changed, a);
  Value ex(rapidjson::kObjectType);
  for (const auto& [t, ids] : examples) ex.AddMember(str(t), strings(ids), a);
  doc.AddMember("examples", ex, a);
  doc.AddMember("errors", strings(first_errors), a);
  doc.AddMember("disagreements", strings(first_disagreements), a);
  return json::CanonicalText(doc);
}

Result<ImpactReport> ImpactReport::FromJson(const Value& v) {
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
  r.baseline_bundle = json::GetString(v, "baseline_bundle");
  r.baseline_digest = json::GetString(v, "baseline_digest");
  if (const auto* m = json::GetMember(v, "as_of_ledger_entry"); m && m->IsInt64()) r.as_of_ledger_entry = m->GetInt64();
  if (const auto* f = json::GetMember(v, "filter"); f && f->IsObject()) {
    for (const auto& [name, value] : FilterMembers(r.filter)) *value = json::GetString(*f, name);
  }
  auto read_counts = [&](const Value& c, ImpactCounts& out, const std::string& where) -> Status {
    for (const auto& [name, field] : kCountFields) {
      const auto* m = json::GetMember(c, name);
      if (m == nullptr && std::string_view(name) == "disagreements") continue;  // older reports
      if (m == nullptr || !m->IsInt64()) return bad(where + "/" + name);
      out.*field = m->GetInt64();
    }
    return Status::Ok();
  };
  const auto* counts = json::GetMember(v, "counts");
  if (counts == nullptr || !counts->IsObject()) return bad("/counts");
  OEP_RETURN_IF_ERROR(read_counts(*counts, r.counts, "/counts"));
  if (const auto* q = json::GetMember(v, "by_query"); q && q->IsObject()) {
    for (const auto& m : q->GetObject()) {
      OEP_RETURN_IF_ERROR(read_counts(m.value, r.by_query[m.name.GetString()], "/by_query/" + json::EscapePointerSegment(m.name.GetString())));
    }
  }
  auto read_map = [](const Value* m, std::map<std::string, int64_t>& out) {
    if (m == nullptr || !m->IsObject()) return;
    for (const auto& e : m->GetObject()) {
      if (e.value.IsInt64()) out[e.name.GetString()] = e.value.GetInt64();
    }
  };
  read_map(json::GetMember(v, "rule_transitions"), r.rule_transitions);
  if (const auto* c = json::GetMember(v, "changed_by"); c && c->IsObject()) {
    read_map(json::GetMember(*c, "tool"), r.changed_by_tool);
    read_map(json::GetMember(*c, "actor"), r.changed_by_actor);
    read_map(json::GetMember(*c, "rule"), r.changed_by_rule);
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
  for (auto [name, out] : {std::pair{"errors", &r.first_errors}, {"disagreements", &r.first_disagreements}}) {
    if (const auto* e = json::GetMember(v, name); e && e->IsArray()) {
      for (const auto& m : e->GetArray()) {
        if (m.IsString()) out->emplace_back(m.GetString());
      }
    }
  }
  return r;
}

}  // namespace oep
