// oep's own Rego cases: tests/rego/cases/<namespace>/*.json in OPA's test-case format
// ({"cases": [{"note", "query", "modules", "data", "input", "want_result", "want_error_code",
// "want_error", "strict_error", "sort_bindings"}]}, plus oep's "v0_compatible"), run in
// process by the conformance runner, every case required to pass.
#include <filesystem>

#include <catch2/catch.hpp>

#include "rego/conformance.h"
#include "rego/value.h"
#include "support/support.h"

using namespace oep;
using namespace oep::test;

namespace {

namespace fs = std::filesystem;

std::string CasesDir() { return RepoRoot() + "/tests/rego/cases"; }

std::vector<fs::path> CaseFiles() {
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(CasesDir())) {
    if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

TEST_CASE("every case file under tests/rego/cases is a non-empty OPA case list", "[rego][cases]") {
  auto files = CaseFiles();
  REQUIRE(files.size() > 0);
  for (const auto& f : files) {
    INFO(f.string());
    auto doc = rego::Value::FromJsonText(ReadText(f.string()));
    REQUIRE(doc.ok());
    auto cases = doc->Get(rego::Value::String("cases"));
    REQUIRE(cases.has_value());
    REQUIRE(cases->is_array());
    CHECK(cases->array().size() > 0);
    for (const auto& c : cases->array()) {
      auto note = c.Get(rego::Value::String("note"));
      CHECK((note && note->is_string() && !note->str().empty()));
    }
  }
}

TEST_CASE("every case under tests/rego/cases answers as it says", "[rego][cases]") {
  auto report = rego::RunConformance(CasesDir());
  REQUIRE(report.ok());
  REQUIRE(report->cases.size() > 0);
  for (const auto& c : report->cases) {
    INFO(c.category << " / " << c.note << ": " << c.detail);
    CHECK(c.passed);
  }
}
