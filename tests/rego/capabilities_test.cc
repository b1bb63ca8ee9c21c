// `oep rego capabilities` against the built-ins implemented: the declared signatures and the
// registry agree, every listed built-in compiles when called with its declared arity, and
// OPA's own list (capabilities/v1.20.2.json) is covered but for the named gaps.
#include <fstream>
#include <set>

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "json/json.h"
#include "rego/builtin_signatures.h"
#include "rego/builtins.h"
#include "rego/capabilities.h"
#include "rego/engine.h"
#include "rego/parser.h"
#include "support/support.h"

using namespace oep;
using namespace oep::test;

namespace {

std::set<std::string> OfferedNames() {
  std::set<std::string> out;
  for (const auto& e : rego::OfferedBuiltins()) out.insert(e.name);
  return out;
}

std::set<std::string> Lines(const std::string& path) {
  std::set<std::string> out;
  std::ifstream f(path);
  for (std::string line; std::getline(f, line);) {
    if (!line.empty() && line[0] != '#') out.insert(line.substr(0, line.find('\t')));
  }
  return out;
}

}  // namespace

TEST_CASE("oep rego capabilities prints every offered built-in with its declaration", "[rego][capabilities]") {
  RunResult r = RunOep({"rego", "capabilities"});
  REQUIRE(r.exit_code == 0);
  auto doc = json::Parse(r.out);
  REQUIRE(doc.ok());
  REQUIRE((*doc)["builtins"].IsArray());
  std::set<std::string> printed;
  for (const auto& b : (*doc)["builtins"].GetArray()) {
    std::string name = b["name"].GetString();
    INFO(name);
    printed.insert(name);
    const auto& decl = b["decl"];
    CHECK(std::string(decl["type"].GetString()) == "function");
    CHECK((decl.HasMember("result") || decl.HasMember("variadic")));
  }
  CHECK(printed == OfferedNames());
  // Spot checks of OPA's notation.
  CHECK_THAT(r.out, Catch::Contains(R"("name": "cast_array")"));
  CHECK_THAT(r.out, Catch::Contains(R"("deprecated": true)"));
  CHECK_THAT(r.out, Catch::Contains(R"("infix": "==")"));
  CHECK_THAT(r.out, Catch::Contains(R"("nondeterministic": true)"));
}

TEST_CASE("the declared signatures and the built-in registry agree", "[rego][capabilities]") {
  for (const auto& [name, b] : rego::Builtins()) {
    INFO(name);
    const rego::BuiltinSignature* sig = rego::SignatureOf(name);
    REQUIRE(sig != nullptr);
    if (b.arity >= 0) CHECK(sig->args.size() == static_cast<size_t>(b.arity));
  }
  for (const auto& e : rego::OfferedBuiltins()) {
    INFO(e.name);
    if (e.arity >= 0) {
      REQUIRE(rego::SignatureOf(e.name) != nullptr);
      CHECK(rego::SignatureOf(e.name)->args.size() == static_cast<size_t>(e.arity));
    }
  }
}

TEST_CASE("every offered built-in compiles when called with its declared arity", "[rego][capabilities]") {
  for (const auto& e : rego::OfferedBuiltins()) {
    if (e.name == "eq" || e.name == "assign" || e.name == "internal.template_string") continue;  // operators
    std::string call = e.name + "(";
    int n = e.arity < 0 ? 2 : e.arity;
    for (int i = 0; i < n; ++i) call += (i ? ", input.a" : "input.a") + std::to_string(i);
    call += ")";
    std::string text = "package t\np := " + call + "\n";
    if (e.name == "print") text = "package t\np { " + call + " }\n";
    INFO(text);
    auto parsed = rego::ParseModule(text, "t.rego", rego::RegoVersion::kV0);
    REQUIRE(std::holds_alternative<rego::Module>(parsed));
    std::vector<rego::Module> modules;
    modules.push_back(std::move(std::get<rego::Module>(parsed)));
    auto compiled = rego::Engine::Compile(std::move(modules), rego::Value::MakeObject({}), /*v0_compatible=*/true);
    if (auto* err = std::get_if<rego::RegoError>(&compiled)) FAIL_CHECK(err->Text());
  }
}

TEST_CASE("OPA's built-ins (capabilities v1.20.2) are offered but for the listed gaps", "[rego][capabilities]") {
  std::set<std::string> opa = Lines(RepoRoot() + "/tests/rego/opa_v1.20.2_builtin_names.txt");
  std::set<std::string> gaps = Lines(RepoRoot() + "/tests/rego/opa_builtins_not_offered.txt");
  REQUIRE(opa.size() > 200);
  std::set<std::string> offered = OfferedNames();
  for (const auto& name : opa) {
    INFO(name);
    if (gaps.count(name)) CHECK_FALSE(offered.count(name));  // offered now: remove it from the list
    else CHECK(offered.count(name));
  }
  for (const auto& name : offered) {
    INFO("offered but not in OPA's list: " << name);
    CHECK(opa.count(name));
  }
}
