// Native Rego engine: evaluations per second (one core, policy compiled once, input varying
// per evaluation) for three policy shapes:
//   tool-permission  permissions/policy/tool_permissions.rego (target >= 500,000/s)
//   200 rules        200 complete rules each testing input.action == "<action i>" (indexed)
//   1000-array       a rule iterating over a 1,000-element input array
//   OEP_BENCH_EVALS (default 200000, scaled down for the heavier shapes), OEP_BENCH_RUNS (default 5)
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <unistd.h>

#include "bench_util.h"
#include "rego/parser.h"
#include "rego/policy_loader.h"
#include "util/paths.h"

namespace {

using namespace oep;

// Median evaluations/s of `query` under `policy_file` over `inputs` (cycled).
double Shape(const std::string& label, const std::string& policy_file, const std::string& query_text,
             const std::vector<rego::Value>& inputs, int64_t evals, int runs) {
  auto loaded = rego::LoadPolicy({policy_file});
  if (!std::holds_alternative<rego::LoadedPolicy>(loaded)) {
    std::cerr << label << ": " << std::get<rego::RegoError>(loaded).message << "\n";
    std::exit(2);
  }
  const auto& engine = *std::get<rego::LoadedPolicy>(loaded).engine;
  auto query = std::get<rego::Body>(rego::ParseQuery(query_text));
  std::vector<double> rates;
  int64_t defined = 0;
  for (int r = 0; r < runs; ++r) {
    auto start = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < evals; ++i) {
      auto result = engine.Query(query, inputs[static_cast<size_t>(i) % inputs.size()]);
      defined += !std::get<std::vector<rego::QueryResult>>(result).empty();
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rates.push_back(static_cast<double>(evals) / secs);
  }
  double median = bench::Median(rates);
  std::cout << "  " << label << ": median " << static_cast<int64_t>(median) << " evaluations/s (" << runs << " runs of "
            << evals << "; " << defined << " defined results)\n";
  return median;
}

rego::Value Json(const std::string& text) { return rego::Value::FromJsonText(text).value(); }

}  // namespace

int main() {
  int64_t evals = bench::EnvInt("OEP_BENCH_EVALS", 200000);
  int runs = static_cast<int>(bench::EnvInt("OEP_BENCH_RUNS", 5));
  std::string scratch = std::filesystem::temp_directory_path() / ("oep-rego-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(scratch);
  std::cout << "rego_eval_bench: one core, compiled once, input varying\n";

  // 1. The demo tool-permission policy.
  const char* tools[][2] = {{"read_diff", "read"}, {"write_file", "write"}, {"exec_shell", "execute"}, {"list_files", "read"}};
  std::vector<rego::Value> permission_inputs;
  for (int i = 0; i < 64; ++i) {
    permission_inputs.push_back(Json(
        std::string("{\"actor\":{\"type\":\"agent\",\"id\":\"agent_") + std::to_string(i % 7) + "\"},\"tool\":{\"name\":\"" +
        tools[i % 4][0] + "\",\"operation\":\"" + tools[i % 4][1] + "\"},\"resource\":{\"type\":\"repository_file\",\"id\":\"f" +
        std::to_string(i) + "\",\"mutable\":" + (i % 3 ? "false" : "true") + "},\"approval\":" +
        (i % 5 ? "null" : "{\"outcome\":\"approved\"}") + "}"));
  }
  double permission = Shape("tool-permission policy", RepoRoot() + "/permissions/policy/tool_permissions.rego",
                            "data.oep.permissions.decision", permission_inputs, evals, runs);

  // 2. 200 rules indexed on one input field.
  std::string many = scratch + "/many_rules.rego";
  {
    std::ofstream out(many);
    out << "package bench.many\n\nimport rego.v1\n\ndefault decision := \"deny\"\n\n";
    for (int i = 0; i < 200; ++i) {
      out << "decision := \"rule_" << i << "\" if {\n\tinput.action == \"action_" << i << "\"\n\tinput.level >= "
          << i % 5 << "\n}\n\n";
    }
  }
  std::vector<rego::Value> action_inputs;
  for (int i = 0; i < 64; ++i) {
    action_inputs.push_back(Json("{\"action\":\"action_" + std::to_string((i * 37) % 210) + "\",\"level\":" +
                                 std::to_string(i % 6) + "}"));
  }
  Shape("200 rules on input.action", many, "data.bench.many.decision", action_inputs, evals, runs);

  // 3. Iteration over a 1,000-element input array.
  std::string iterate = scratch + "/iterate.rego";
  {
    std::ofstream out(iterate);
    out << "package bench.iterate\n\nimport rego.v1\n\n"
           "flagged contains item.id if {\n\tsome item in input.items\n\titem.risk > 90\n\titem.kind == \"write\"\n}\n\n"
           "decision := {\"allow\": count(flagged) == 0, \"flagged\": count(flagged)}\n";
  }
  std::vector<rego::Value> array_inputs;
  for (int v = 0; v < 4; ++v) {
    std::string items = "{\"items\":[";
    for (int i = 0; i < 1000; ++i) {
      items += (i ? "," : "") + std::string("{\"id\":\"i") + std::to_string(i) + "\",\"risk\":" +
               std::to_string((i * 7 + v * 13) % 100) + ",\"kind\":\"" + (i % 3 ? "read" : "write") + "\"}";
    }
    array_inputs.push_back(Json(items + "]}"));
  }
  Shape("1,000-element input array", iterate, "data.bench.iterate.decision", array_inputs, std::max<int64_t>(evals / 200, 50),
        runs);

  std::filesystem::remove_all(scratch);
  std::cout << "rego eval median: " << static_cast<int64_t>(permission)
            << " evaluations/s on one core for the tool-permission policy (target >= 500000)\n";
  return 0;
}
