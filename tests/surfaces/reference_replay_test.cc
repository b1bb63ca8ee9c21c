// The reference implementation's recorded v0.3 counterfactual outputs
// (../shared/corpus/oep-reference/examples/incident_reconstruction/) reproduce: the reference
// artifacts imported with `oep import oep-v0` and replayed with the same substitutions give
// every recorded field with its recorded value (up to the record's determinism_exclusions).
// oep's records are a superset: fields the reference does not record (engine, query,
// evaluative_reasons, allow, ...) are oep's additions. claim_boundary is oep's own wording,
// so it is checked to be present and non-empty, not equal.
#include <catch2/catch.hpp>

#include <cmath>
#include <set>
#include <sstream>

#include "json/json.h"
#include "support/support.h"

using namespace oep::test;

namespace {

constexpr const char* kRunTrace = "47474747474747474747474747474747";

// Every member of `recorded` is in `ours` with an equal value (numbers by value, arrays
// element by element); each difference is appended to `problems` with its dotted path.
void Covers(const rapidjson::Value& recorded, const rapidjson::Value& ours, const std::string& path,
            const std::set<std::string>& excluded, std::vector<std::string>& problems) {
  if (excluded.count(path)) return;
  if (path == "claim_boundary" || path.size() > 15 && path.substr(path.size() - 15) == ".claim_boundary") {
    if (!ours.IsString() || ours.GetStringLength() == 0) problems.push_back(path + ": expected a non-empty string");
    return;
  }
  if (recorded.IsObject()) {
    if (!ours.IsObject()) {
      problems.push_back(path + ": expected an object, got " + oep::json::CanonicalText(ours));
      return;
    }
    for (const auto& m : recorded.GetObject()) {
      std::string sub = (path.empty() ? "" : path + ".") + m.name.GetString();
      auto it = ours.FindMember(m.name);
      if (it == ours.MemberEnd()) {
        problems.push_back(sub + ": absent (recorded " + oep::json::CanonicalText(m.value) + ")");
        continue;
      }
      Covers(m.value, it->value, sub, excluded, problems);
    }
    return;
  }
  if (recorded.IsArray()) {
    if (!ours.IsArray() || ours.Size() != recorded.Size()) {
      problems.push_back(path + ": recorded " + oep::json::CanonicalText(recorded) + ", got " + oep::json::CanonicalText(ours));
      return;
    }
    for (rapidjson::SizeType i = 0; i < recorded.Size(); ++i) {
      Covers(recorded[i], ours[i], path + "." + std::to_string(i), excluded, problems);
    }
    return;
  }
  if (recorded.IsNumber() && ours.IsNumber()) {
    if (std::fabs(recorded.GetDouble() - ours.GetDouble()) > 1e-9) {
      problems.push_back(path + ": recorded " + oep::json::CanonicalText(recorded) + ", got " + oep::json::CanonicalText(ours));
    }
    return;
  }
  if (recorded != ours) {
    problems.push_back(path + ": recorded " + oep::json::CanonicalText(recorded) + ", got " + oep::json::CanonicalText(ours));
  }
}

std::set<std::string> Exclusions(const rapidjson::Value& record, const std::string& prefix) {
  std::set<std::string> out;
  const rapidjson::Value* list = oep::json::FindDotted(record, "replay_metadata.determinism_exclusions");
  if (list && list->IsArray()) {
    for (const auto& e : list->GetArray()) out.insert(prefix + e.GetString());
  }
  return out;
}

std::string Joined(const std::vector<std::string>& problems) {
  std::string out;
  for (const auto& p : problems) out += p + "\n";
  return out;
}

rapidjson::Document ParseOrFail(const std::string& text, const std::string& what) {
  auto doc = oep::json::Parse(text);
  INFO(what);
  REQUIRE(doc.ok());
  return std::move(*doc);
}

struct Reference {
  std::string dir = CorpusDir("oep-reference");
  std::string examples = dir + "/examples/incident_reconstruction";
  ScratchDir scratch;
  std::string store = scratch / "ref.sqlite";
  void Import() {
    RunResult r = RunOep({"import", "oep-v0", dir, "--state-path", store});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }
  // The reference's synthetic runaway run: 47 read_diff steps of one run, each the
  // reference's recorded read_diff packet with its recorded input, costing 1000 (the
  // reference's per-step cost: original_total_usd 47000 over 47 steps), one second apart.
  void StoreRunawayRun() {
    auto packet = ParseOrFail(ReadText(dir + "/permissions/examples/code_review_tool_permission.v0.json"), "packet");
    auto input = ParseOrFail(ReadText(dir + "/permissions/policy/input/code_review_read_diff.json"), "input");
    std::vector<std::string> args = {"ingest", "--state-path", store};
    for (int k = 1; k <= 47; ++k) {
      rapidjson::Document p;
      p.CopyFrom(packet, p.GetAllocator());
      auto& a = p.GetAllocator();
      char id[64], time[32], call[64];
      std::snprintf(id, sizeof id, "pder_code_review_budget_per_run_step_%04d", k);
      std::snprintf(time, sizeof time, "2026-05-04T00:01:%02dZ", k);
      std::snprintf(call, sizeof call, "tool_read_diff_budget_%04d", k);
      p["packet_id"].SetString(id, a);
      p["decision_time"].SetString(time, a);
      p["tool_call_id"].SetString(call, a);
      p["trace_id"].SetString(kRunTrace, a);
      p["decision_id"]["cost"]["per_step_cost_usd"].SetInt(1000);
      p["decision_id"]["permission"]["permission_packet_ref"].SetString(id, a);
      rapidjson::Value in(input, a);
      p.AddMember("opa_input", in, a);
      std::string path = scratch / (std::string(id) + ".json");
      WriteText(path, oep::json::CanonicalText(p));
      args.push_back(path);
    }
    RunResult r = RunOep(args);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }
};

}  // namespace

TEST_CASE("the reference's model and budget counterfactual reproduces", "[surfaces][reference]") {
  Reference ref;
  if (ref.dir.empty()) {
    WARN("skipped: ../shared/corpus/oep-reference is absent");
    return;
  }
  ref.Import();
  auto recorded = ParseOrFail(ReadText(ref.examples + "/model_budget_counterfactual.v0.json"), "recorded");
  RunResult r = RunOep({"replay", "pder_code_review_read_diff_0001", "--state-path", ref.store, "--counterfactual",
                        "--substitute", "budget.per_run_cap_usd=0.005", "--substitute",
                        "model=bedrock:anthropic.claude-opus-4-6", "--output-format", "jsonl"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto ours = ParseOrFail(r.out, r.out);
  std::vector<std::string> problems;
  Covers(recorded, ours, "", Exclusions(recorded, ""), problems);
  INFO(Joined(problems));
  CHECK(problems.empty());
  // The comparison can fail: a different cap changes the recorded fields.
  RunResult other = RunOep({"replay", "pder_code_review_read_diff_0001", "--state-path", ref.store, "--counterfactual",
                            "--substitute", "budget.per_run_cap_usd=0.02", "--substitute",
                            "model=bedrock:anthropic.claude-opus-4-6", "--output-format", "jsonl"});
  REQUIRE(other.exit_code == 0);
  std::vector<std::string> differ;
  Covers(recorded, ParseOrFail(other.out, other.out), "", Exclusions(recorded, ""), differ);
  CHECK_THAT(Joined(differ), Catch::Contains("counterfactual.decision: recorded \"deny\", got \"allow\""));
}

TEST_CASE("the reference's budget-per-run runaway replay reproduces step by step", "[surfaces][reference]") {
  Reference ref;
  if (ref.dir.empty()) {
    WARN("skipped: ../shared/corpus/oep-reference is absent");
    return;
  }
  ref.Import();
  ref.StoreRunawayRun();
  std::string policy = ref.dir + "/permissions/policy/counterfactual/budget_per_run_cap.rego";
  auto recorded = ParseOrFail(ReadText(ref.examples + "/counterfactual/budget_per_run_counterfactual.v0.json"), "recorded");
  RunResult r = RunOep({"impact", "--state-path", ref.store, "--substitute", "budget.per_run_cap_usd=5000", "--run",
                        kRunTrace, "--policy-bundle", policy, "--output-format", "jsonl"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto ours = ParseOrFail(r.out, r.out.substr(0, 400));
  std::vector<std::string> problems;
  for (const char* part : {"budget", "cost_trace"}) {
    Covers(recorded[part], ours[part], part, {}, problems);
  }
  const auto& steps = recorded["step_outputs"];
  REQUIRE(ours["step_outputs"].IsArray());
  REQUIRE(ours["step_outputs"].Size() == steps.Size());
  for (rapidjson::SizeType i = 0; i < steps.Size(); ++i) {
    std::string at = "step_outputs." + std::to_string(i);
    Covers(steps[i], ours["step_outputs"][i], at, Exclusions(steps[i], at + "."), problems);
  }
  INFO(Joined(problems));
  CHECK(problems.empty());

  // The JSONL form holds the same step records; each one reproduces from its own replay.
  std::istringstream lines(ReadText(ref.examples + "/counterfactual/budget_per_run_counterfactual.v0.jsonl"));
  std::string line;
  int n = 0;
  std::vector<std::string> line_problems;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    ++n;
    auto step = ParseOrFail(line, line.substr(0, 200));
    std::string id = step["decision_id"].GetString();
    RunResult one = RunOep({"replay", id, "--state-path", ref.store, "--counterfactual", "--policy-bundle", policy,
                            "--substitute", "budget.per_run_cap_usd=5000", "--output-format", "jsonl"});
    REQUIRE(one.exit_code == 0);
    Covers(step, ParseOrFail(one.out, id), id, Exclusions(step, id + "."), line_problems);
  }
  CHECK(n == 47);
  INFO(Joined(line_problems));
  CHECK(line_problems.empty());
}
