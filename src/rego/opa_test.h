// `opa test` answered by the native engine: the same tests found and run, the same
// reports (pretty, quiet unless verbose; or OPA's JSON results) and exit codes.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "rego/opa_cli.h"

namespace oep::rego {

struct OpaTestOptions {
  std::vector<std::string> paths;    // files and directories (modules and data files)
  bool bundle = false;               // `-b`: the paths are bundle directories
  bool v0_compatible = false;
  bool verbose = false;              // `-v`: every test, not only the failing ones
  std::string format = "pretty";     // pretty | json
  std::optional<std::string> run;    // `--run REGEX`: only tests whose name (test_x) it matches
  std::chrono::milliseconds timeout{5000};  // per test
  bool exit_zero_on_skipped = false;        // `-z`
};

// Runs every test_* rule (todo_test_* ones are reported skipped). Exit 0 when all pass, 2 when
// any fails, errs or is skipped, 1 when the policy does not load or compile or the regex is bad.
CliOutput OpaTest(const OpaTestOptions& options);

}  // namespace oep::rego
