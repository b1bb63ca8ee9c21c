// oep's own Rego cases: tests/rego/cases/<namespace>/*.json in OPA's test-case format
// ({"cases": [{"note", "query", "modules", "data", "input", "want_result", "want_error_code",
// "want_error", "strict_error", "sort_bindings"}]}, plus oep's "v0_compatible"), run in
// process by the conformance runner, every case required to pass.
#include <filesystem>
#include <fstream>
#include <set>

#include <catch2/catch.hpp>

#include "rego/capabilities.h"
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

namespace {

// Whether `text` calls `name`: "name(" not preceded by a character of a longer name.
bool Calls(const std::string& text, const std::string& name) {
  for (size_t at = text.find(name + "("); at != std::string::npos; at = text.find(name + "(", at + 1)) {
    if (at == 0) return true;
    char before = text[at - 1];
    if (!std::isalnum(static_cast<unsigned char>(before)) && before != '_' && before != '.') return true;
  }
  return false;
}

}  // namespace

TEST_CASE("every offered built-in has a result case and an error case unless listed", "[rego][cases]") {
  std::vector<std::pair<std::string, bool>> texts;  // query and modules, whether an error is expected
  for (const auto& f : CaseFiles()) {
    auto doc = rego::Value::FromJsonText(ReadText(f.string()));
    REQUIRE(doc.ok());
    for (const auto& c : doc->Get(rego::Value::String("cases"))->array()) {
      std::string text;
      if (auto q = c.Get(rego::Value::String("query")); q && q->is_string()) text += q->str() + "\n";
      if (auto m = c.Get(rego::Value::String("modules")); m && m->is_array()) {
        for (const auto& s : m->array()) text += (s.is_string() ? s.str() : "") + "\n";
      }
      bool error = c.Get(rego::Value::String("want_error_code")).has_value() || c.Get(rego::Value::String("want_error")).has_value();
      texts.emplace_back(text, error);
    }
  }
  std::set<std::string> listed;
  std::ifstream list(RepoRoot() + "/tests/rego/cases/builtins_without_cases.txt");
  for (std::string line; std::getline(list, line);) {
    if (!line.empty() && line[0] != '#') listed.insert(line);
  }
  for (const auto& e : rego::OfferedBuiltins()) {
    bool result = false, error = false;
    for (const auto& [text, wants_error] : texts) {
      if (!Calls(text, e.name)) continue;
      (wants_error ? error : result) = true;
    }
    INFO(e.name << (result ? "" : ": no result case") << (error ? "" : ": no error case"));
    if (listed.count(e.name)) CHECK_FALSE((result && error));  // covered now: remove it from the list
    else CHECK((result && error));
  }
}
