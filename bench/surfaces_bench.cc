// Counterfactual surfaces, run frames and drift as whole `oep` processes against the shared
// large store (`oep demo --decisions N`: runs of 10 steps): median wall times.
//   OEP_BENCH_DECISIONS (default 100000), OEP_BENCH_RUNS (default 11).
// The synthetic packets record no per_step_cost_usd, so the budget cap binds no run there:
// the impact figure is the cost of reading and grouping every run's cost trace.
#include <iostream>

#include "bench_util.h"
#include "json/json.h"
#include "util/files.h"

int main() {
  using namespace oep;
  int64_t decisions = bench::EnvInt("OEP_BENCH_DECISIONS", 100000);
  int runs = static_cast<int>(bench::EnvInt("OEP_BENCH_RUNS", 11));
  std::string store = bench::LargeStore(decisions);
  if (store.empty()) return 2;
  std::cout << "surfaces_bench: " << decisions << " decisions, " << runs << " runs per measurement\n";
  // The run of a synthetic decision, read from its replay.
  auto replay = RunProcess({OEP_BINARY, "replay", "pder_syn_00000007", "--state-path", store, "--field",
                            "permission_packet.body.trace_id", "--output-format", "jsonl"});
  if (!replay.ok() || replay->exit_code != 0) {
    std::cerr << "replay of pder_syn_00000007 failed\n";
    return 2;
  }
  std::string trace = replay->out.substr(1, 32);
  std::string manifest = std::string(OEP_BENCH_DATA_DIR) + "/surfaces-bench-release-b.json";
  {
    auto text = ReadFile("manifest/examples/code_review_demo_release.v0.json");
    auto doc = text.ok() ? json::Parse(*text) : Result<rapidjson::Document>(text.status());
    if (!doc.ok()) {
      std::cerr << "run from the repository root (manifest/examples/code_review_demo_release.v0.json)\n";
      return 2;
    }
    auto& a = doc->GetAllocator();
    (*doc)["manifest_id"].SetString("rmf_bench_b", a);
    (*doc)["layer_bindings"]["policy"]["digest"].SetString(("sha256:" + std::string(64, 'a')).c_str(), a);
    if (!WriteFileAtomic(manifest, json::CanonicalText(*doc)).ok()) return 2;
  }
  struct Case {
    const char* label;
    std::vector<std::string> args;
    int times;
  };
  const std::vector<Case> cases = {
      {"replay --counterfactual --substitute budget+model", {"replay", "pder_syn_00000007", "--state-path", store, "--counterfactual",
        "--substitute", "budget.per_run_cap_usd=0.005", "--substitute", "model=bedrock:anthropic.claude-opus-4-6"}, runs},
      {"replay run (frames of one run)", {"replay", "run", trace, "--state-path", store, "--output-format", "jsonl"}, runs},
      {"impact --substitute budget over every run", {"impact", "--substitute", "budget.per_run_cap_usd=0.005", "--state-path", store,
        "--output-format", "json"}, std::max(3, runs / 4)},
      {"drift (policy changed)", {"drift", "rmf_oep_code_review_demo_v0", manifest, "--state-path", store, "--output-format", "json"}, runs},
  };
  bench::TimeOep(cases[0].args);  // warm the page cache
  for (const Case& c : cases) {
    std::vector<double> t;
    for (int i = 0; i < c.times; ++i) {
      t.push_back(bench::TimeOep(c.args));
      if (t.back() < 0) {
        std::cerr << c.label << " failed\n";
        return 2;
      }
    }
    std::cout << c.label << ": median " << bench::Median(t) * 1000 << " ms over " << c.times << " runs\n";
  }
  return 0;
}
