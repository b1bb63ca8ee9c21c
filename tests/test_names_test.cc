// Every Catch2 test must be one ctest can run: catch_discover_tests splits a name at ';'
// into entries that match no test and still "pass", and a name starting with "--" is read
// as an option. This reads every test source and names each offending TEST_CASE.
#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>

#include "support/support.h"

TEST_CASE("every test name is one ctest can run (no semicolon, no leading --)", "[meta]") {
  const std::regex name(R"re(TEST_CASE\(\s*"((?:[^"\\]|\\.)*)")re");
  int seen = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(oep::test::RepoRoot() + "/tests")) {
    if (entry.path().extension() != ".cc") continue;
    std::string text = oep::test::ReadText(entry.path().string());
    for (std::sregex_iterator it(text.begin(), text.end(), name), end; it != end; ++it) {
      std::string n = (*it)[1];
      ++seen;
      INFO(entry.path().string() << ": \"" << n << "\"");
      CHECK(n.find(';') == std::string::npos);
      CHECK(n.rfind("--", 0) != 0);
    }
  }
  CHECK(seen > 300);
}
