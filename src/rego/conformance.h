// Runs OPA's conformance case files (../shared/corpus/opa-compliance/v1/<category>/*.json)
// and judges each case as OPA's own harness does.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "util/status.h"

namespace oep::rego {

struct CaseOutcome {
  std::string category;
  std::string note;
  bool passed = false;
  std::string detail;  // expected vs actual, for failures
};

struct ConformanceReport {
  std::vector<CaseOutcome> cases;
  int passed() const;
  int failed() const { return static_cast<int>(cases.size()) - passed(); }
  // Per-category counts, then failing cases (at most `max_failures`), then "N passed, N failed".
  std::string Render(size_t max_failures) const;
};

Result<ConformanceReport> RunConformance(const std::string& dir);

}  // namespace oep::rego
