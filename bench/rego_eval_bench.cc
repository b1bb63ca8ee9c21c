// Native Rego engine: evaluations per second of the demo tool-permission policy, compiled
// once, with the input varying per evaluation (one core).
//   OEP_BENCH_EVALS (default 200000), OEP_BENCH_RUNS (default 5)
#include <chrono>
#include <iostream>

#include "bench_util.h"
#include "rego/parser.h"
#include "rego/policy_loader.h"
#include "util/paths.h"

int main() {
  using namespace oep;
  int64_t evals = bench::EnvInt("OEP_BENCH_EVALS", 200000);
  int runs = static_cast<int>(bench::EnvInt("OEP_BENCH_RUNS", 5));
  auto loaded = rego::LoadPolicy({RepoRoot() + "/permissions/policy/tool_permissions.rego"});
  if (!std::holds_alternative<rego::LoadedPolicy>(loaded)) return 2;
  const auto& engine = *std::get<rego::LoadedPolicy>(loaded).engine;
  auto query = std::get<rego::Body>(rego::ParseQuery("data.oep.permissions.decision"));
  const char* tools[][2] = {{"read_diff", "read"}, {"write_file", "write"}, {"exec_shell", "execute"}, {"list_files", "read"}};
  std::vector<rego::Value> inputs;
  for (int i = 0; i < 64; ++i) {
    auto text = std::string("{\"actor\":{\"type\":\"agent\",\"id\":\"agent_") + std::to_string(i % 7) +
                "\"},\"tool\":{\"name\":\"" + tools[i % 4][0] + "\",\"operation\":\"" + tools[i % 4][1] +
                "\"},\"resource\":{\"type\":\"repository_file\",\"id\":\"f" + std::to_string(i) + "\",\"mutable\":" +
                (i % 3 ? "false" : "true") + "},\"approval\":" + (i % 5 ? "null" : "{\"outcome\":\"approved\"}") + "}";
    inputs.push_back(rego::Value::FromJsonText(text).value());
  }
  std::cout << "rego_eval_bench: data.oep.permissions.decision of permissions/policy/tool_permissions.rego, "
            << evals << " evaluations per run, " << runs << " runs\n";
  std::vector<double> rates;
  int64_t allowed = 0;
  for (int r = 0; r < runs; ++r) {
    auto start = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < evals; ++i) {
      auto result = engine.Query(query, inputs[static_cast<size_t>(i) % inputs.size()]);
      const auto& rows = std::get<std::vector<rego::QueryResult>>(result);
      allowed += rows[0].expressions[0].Get(rego::Value::String("allow"))->as_bool();
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rates.push_back(static_cast<double>(evals) / secs);
    std::cout << "  run " << r + 1 << ": " << static_cast<int64_t>(rates.back()) << " evaluations/s\n";
  }
  std::cout << "rego eval median: " << static_cast<int64_t>(bench::Median(rates))
            << " evaluations/s on one core (target >= 500000); " << allowed << " allowed\n";
  return 0;
}
