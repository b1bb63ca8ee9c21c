#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>
#include <string>

#include "support/support.h"

using oep::test::ReadText;

// Every "[OEP-Xnnn docs/playbooks/FILE.md]" a message names points at a playbook that exists and
// carries that code in its title, and the index lists it.
TEST_CASE("playbook codes in verify messages name existing playbooks", "[playbooks]") {
  const std::filesystem::path root = oep::test::RepoRoot();
  const std::regex ref(R"(\[(OEP-[AV][0-9]{3}) (docs/playbooks/[a-z-]+\.md)\])");
  const std::string index = ReadText((root / "docs/playbooks/README.md").string());
  int refs = 0;
  for (const char* source : {"src/verify/chain_verify.cc", "src/checkpoint/checkpoint.cc", "src/exposure/exposure.cc"}) {
    const std::string text = ReadText((root / source).string());
    for (std::sregex_iterator it(text.begin(), text.end(), ref), end; it != end; ++it) {
      ++refs;
      const std::string code = (*it)[1], file = (*it)[2];
      INFO(source << " names " << code << " " << file);
      REQUIRE(std::filesystem::exists(root / file));
      CHECK(ReadText((root / file).string()).rfind("# " + code + ":", 0) == 0);
      CHECK(index.find("`" + code + "`") != std::string::npos);
    }
  }
  CHECK(refs == 6);
}
