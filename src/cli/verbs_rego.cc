// rego eval | test | conformance: the native engine behind OPA's command line.
#include <charconv>
#include <chrono>
#include <map>
#include <iostream>
#include <memory>

#include "cli/cli.h"
#include "rego/conformance.h"
#include "rego/opa_cli.h"
#include "rego/opa_inspect.h"
#include "rego/opa_test.h"

namespace oep::cli {
namespace {

int RunConformance(const std::string& dir, int floor, size_t max_failures) {
  auto report = rego::RunConformance(dir);
  if (!report.ok()) return Fail(report.status());
  std::cout << report->Render(max_failures);
  if (report->passed() < floor) {
    std::cout << "below the conformance floor of " << floor << " passing cases\n";
    return 1;
  }
  return 0;
}

int Print(const rego::CliOutput& out) {
  std::cout << out.out;
  std::cerr << out.err;
  return out.exit_code;
}

}  // namespace

void AddRegoVerbs(CLI::App& app, int& exit_code) {
  struct Args {
    std::string conformance_dir;
    int floor = 0;
    size_t max_failures = 50;
    rego::OpaEvalOptions eval;
    std::string input_file;
    bool v0_compatible = false;
    rego::OpaTestOptions test;
    int64_t test_timeout_ms = 5000;
    rego::OpaInspectOptions inspect;
    std::string inspect_format = "json";
  };
  auto a = std::make_shared<Args>();

  auto* rego_cmd = app.add_subcommand("rego", "the native Rego engine");
  rego_cmd->require_subcommand(1);
  auto* conformance = rego_cmd->add_subcommand("conformance", "run OPA's conformance cases and report pass counts");
  conformance->add_option("dir", a->conformance_dir, "directory of case files (opa-compliance/v1)")->required();
  conformance->add_option("--floor", a->floor, "fail (exit 1) when fewer cases pass");
  conformance->add_option("--max-failures", a->max_failures, "failing cases to list");
  conformance->callback([a, &exit_code] { exit_code = RunConformance(a->conformance_dir, a->floor, a->max_failures); });

  auto* eval = rego_cmd->add_subcommand("eval", "evaluate a query (the subset of `opa eval` oep uses)");
  eval->add_option("-d,--data", a->eval.data, "policy / data file or directory (one per flag)")->allow_extra_args(false);
  eval->add_option("-b,--bundle", a->eval.bundles, "bundle directory (one per flag)")->allow_extra_args(false);
  eval->add_option("-i,--input", a->input_file, "input document (JSON)");
  eval->add_flag("--stdin-input,-I", a->eval.stdin_input, "read the input document from stdin");
  eval->add_option("-f,--format", a->eval.format, "json | raw | pretty")->check(CLI::IsMember({"json", "raw", "pretty"}));
  eval->add_flag("--fail", a->eval.fail, "exit 1 when the result is undefined");
  eval->add_flag("--fail-defined", a->eval.fail_defined, "exit 1 when the result is defined");
  eval->add_flag("--strict-builtin-errors", a->eval.strict_builtin_errors, "built-in errors are fatal");
  eval->add_flag("--v0-compatible", a->v0_compatible, "parse Rego v0 (p[x] { ... } defines a partial set)");
  eval->add_option("--max-memory", a->eval.max_memory_bytes, "memory budget of the evaluation in bytes (default 2 GiB)")
      ->check(CLI::Validator(
          [](const std::string& text) -> std::string {
            int64_t bytes = 0;
            auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), bytes);
            bool ok = !text.empty() && text[0] != '-' && ec == std::errc() && end == text.data() + text.size() && bytes > 0;
            return ok ? "" : "a positive number of bytes (decimal digits, at most 2^63 - 1) is required";
          },
          "BYTES"));
  eval->add_option("query", a->eval.query, "query")->required();
  eval->callback([a, &exit_code] {
    if (!a->input_file.empty()) a->eval.input_file = a->input_file;
    a->eval.v0_compatible = a->v0_compatible;
    exit_code = Print(rego::OpaEval(a->eval));
  });

  auto* inspect = rego_cmd->add_subcommand("inspect", "packages and METADATA annotations of a policy (like `opa inspect`)");
  inspect->add_option("paths", a->inspect.paths, "policy files or directories")->required();
  inspect->add_flag("-a,--annotations", a->inspect.annotations, "list the METADATA annotations");
  inspect->add_flag("--v0-compatible", a->inspect.v0_compatible, "parse Rego v0");
  inspect->add_option("-f,--format", a->inspect_format, "json")->check(CLI::IsMember({"json"}));
  inspect->callback([a, &exit_code] { exit_code = Print(rego::OpaInspect(a->inspect)); });

  auto* test = rego_cmd->add_subcommand("test", "run test_* rules (like `opa test`)");
  test->add_option("paths", a->test.paths, "policy and data files or directories")->required();
  test->add_flag("--v0-compatible", a->test.v0_compatible, "parse Rego v0 (p[x] { ... } defines a partial set)");
  test->add_flag("-b,--bundle", a->test.bundle, "the paths are bundle directories");
  test->add_flag("-v,--verbose", a->test.verbose, "report every test, not only the failing ones");
  test->add_option("-f,--format", a->test.format, "pretty | json")->check(CLI::IsMember({"pretty", "json"}));
  test->add_option("-r,--run", a->test.run, "run only the tests whose rule name (test_...) this regular expression matches");
  test->add_option("-t,--timeout", a->test_timeout_ms, "time limit of each test (e.g. 500ms, 5s; default 5s)")
      ->transform(CLI::AsNumberWithUnit(std::map<std::string, double>{{"ms", 1}, {"s", 1000}, {"m", 60000}}));
  test->add_flag("-z,--exit-zero-on-skipped", a->test.exit_zero_on_skipped, "skipped tests do not fail the run");
  test->callback([a, &exit_code] {
    a->test.timeout = std::chrono::milliseconds(a->test_timeout_ms);
    exit_code = Print(rego::OpaTest(a->test));
  });
}

}  // namespace oep::cli
