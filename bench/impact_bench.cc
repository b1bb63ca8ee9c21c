// `oep impact` with the native engine over the large store (1,000,000 decisions by
// default, shared with replay_bench): decisions per second end to end (read, rebuild the
// input, evaluate, compare), whole process, both cores.
//   OEP_BENCH_DECISIONS (default 1000000), OEP_BENCH_RUNS (default 3)
#include <filesystem>
#include <iostream>

#include "bench_util.h"
#include "util/paths.h"

int main() {
  using namespace oep;
  int64_t decisions = bench::EnvInt("OEP_BENCH_DECISIONS", 1000000);
  int runs = static_cast<int>(bench::EnvInt("OEP_BENCH_RUNS", 3));
  std::string store = bench::LargeStore(decisions);
  if (store.empty()) return 2;
  std::string policy = RepoRoot() + "/permissions/policy/counterfactual/approval_per_step_escalation.rego";
  std::cout << "impact_bench: " << decisions + 2 << " decisions under " << policy << ", " << runs << " runs\n";
  std::vector<double> rates;
  for (int i = 0; i < runs; ++i) {
    double secs = bench::TimeOep({"impact", "--state-path", store, "--policy-bundle", policy, "--json"});
    if (secs < 0) return 2;
    rates.push_back(static_cast<double>(decisions + 2) / secs);
    std::cout << "  run " << i + 1 << ": " << secs << " s, " << static_cast<int64_t>(rates.back()) << " decisions/s\n";
  }
  double native = bench::Median(rates);
  std::cout << "impact median: " << static_cast<int64_t>(native) << " decisions/s (native engine, 2 threads; target >= 300000)\n";
  // The recorded policy reads five input fields where the escalation reads one: the input
  // projection (rego/input_paths.h) builds more of each input.
  std::string recorded = RepoRoot() + "/permissions/policy/tool_permissions.rego";
  std::vector<double> recorded_rates;
  for (int i = 0; i < runs; ++i) {
    double secs = bench::TimeOep({"impact", "--state-path", store, "--policy-bundle", recorded, "--json"});
    if (secs < 0) return 2;
    recorded_rates.push_back(static_cast<double>(decisions + 2) / secs);
  }
  std::cout << "impact median under the recorded policy (" << recorded << "): "
            << static_cast<int64_t>(bench::Median(recorded_rates)) << " decisions/s\n";
  // The same workload through the OPA-CLI contract: `oep rego eval` as the opa binary, one
  // process per batch of inputs (at most 8 MiB of stdin each).
  std::string shim = RepoRoot() + "/tests/data/opa_shim.sh";
  setenv("OEP_OPA_BIN_PATH", shim.c_str(), 1);
  setenv("OEP_SHIM_TARGET", OEP_BINARY, 1);
  std::vector<double> opa_rates;
  for (int i = 0; i < runs; ++i) {
    double secs = bench::TimeOep({"impact", "--engine", "opa", "--state-path", store, "--policy-bundle", policy, "--json"});
    if (secs < 0) return 2;
    opa_rates.push_back(static_cast<double>(decisions + 2) / secs);
    std::cout << "  opa-cli run " << i + 1 << ": " << secs << " s, " << static_cast<int64_t>(opa_rates.back()) << " decisions/s\n";
  }
  double opa = bench::Median(opa_rates);
  std::cout << "impact via the OPA-CLI path: " << static_cast<int64_t>(opa) << " decisions/s; native / OPA-CLI = "
            << native / opa << "x\n";
  return 0;
}
