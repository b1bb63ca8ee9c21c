// Every policy in the repository has tests that pass, and every recorded decision is what
// its policy decides on the recorded input.
#include <filesystem>

#include <catch2/catch.hpp>

#include "json/json.h"
#include "rego/parser.h"
#include "rego/policy_loader.h"
#include "support/support.h"

using namespace oep::test;
namespace rego = oep::rego;

namespace {

// data.oep.permissions.decision under `policy` for `input`.
rego::Value Decide(const std::string& policy, const rego::Value& input) {
  auto loaded = rego::LoadPolicy({policy});
  REQUIRE(std::holds_alternative<rego::LoadedPolicy>(loaded));
  auto query = rego::ParseQuery("data.oep.permissions.decision");
  auto result = std::get<rego::LoadedPolicy>(loaded).engine->Query(std::get<rego::Body>(query), input);
  REQUIRE(std::holds_alternative<std::vector<rego::QueryResult>>(result));
  const auto& rows = std::get<std::vector<rego::QueryResult>>(result);
  REQUIRE(rows.size() == 1);
  return rows[0].expressions[0];
}

rego::Value Field(const rego::Value& obj, const char* key) {
  auto v = obj.Get(rego::Value::String(key));
  REQUIRE(v.has_value());
  return *v;
}

}  // namespace

TEST_CASE("every repository policy has a passing _test.rego", "[rego][policy]") {
  std::string dir = RepoRoot() + "/permissions/policy";
  int policies = 0;
  for (auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    std::string p = e.path().string();
    if (e.path().extension() != ".rego" || p.find("_test.rego") != std::string::npos) continue;
    ++policies;
    std::string test = p.substr(0, p.size() - 5) + "_test.rego";
    INFO(p);
    REQUIRE(std::filesystem::exists(test));
    RunResult r = RunOep({"rego", "test", p, test});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("PASS: "));
  }
  CHECK(policies == 9);  // 4 + the 5 built-in monitors
}

TEST_CASE("demo decisions are what the demo policy decides on their recorded input", "[rego][policy]") {
  std::string root = RepoRoot();
  for (const char* packet : {"permissions/examples/code_review_demo_read_allowed.v0.json",
                             "permissions/examples/code_review_demo_write_denied.v0.json"}) {
    INFO(packet);
    auto doc = rego::Value::FromJsonText(ReadText(root + "/" + packet));
    REQUIRE(doc.ok());
    rego::Value decided = Decide(root + "/permissions/policy/tool_permissions.rego", Field(*doc, "opa_input"));
    rego::Value recorded = Field(*doc, "decision");
    for (const char* key : {"allow", "matched_rule", "reason", "decision_code"}) {
      INFO(key);
      CHECK(Field(decided, key) == Field(recorded, key));
    }
  }
}

TEST_CASE("reference decisions are what the reference policy decides on their recorded input", "[rego][policy][corpus]") {
  std::string ref = CorpusDir("oep-reference");
  if (ref.empty()) {
    WARN("skipped: ../shared/corpus/oep-reference is absent");
    return;
  }
  const std::pair<const char*, const char*> pairs[] = {
      {"permissions/policy/input/code_review_read_diff.json", "permissions/examples/code_review_tool_permission.v0.json"},
      {"permissions/policy/input/code_review_write_diff.json", "permissions/examples/code_review_tool_permission_denied.v0.json"}};
  for (const auto& [input, packet] : pairs) {
    INFO(input);
    auto in = rego::Value::FromJsonText(ReadText(ref + "/" + input));
    auto pk = rego::Value::FromJsonText(ReadText(ref + "/" + packet));
    REQUIRE(in.ok());
    REQUIRE(pk.ok());
    rego::Value decided = Decide(ref + "/permissions/policy/tool_permissions.rego", *in);
    rego::Value recorded = Field(*pk, "decision");
    for (const char* key : {"allow", "matched_rule", "reason"}) {
      INFO(key);
      CHECK(Field(decided, key) == Field(recorded, key));
    }
  }
}

TEST_CASE("reference policies pass their own tests", "[rego][policy][corpus]") {
  std::string ref = CorpusDir("oep-reference");
  if (ref.empty()) {
    WARN("skipped: ../shared/corpus/oep-reference is absent");
    return;
  }
  std::string dir = ref + "/permissions/policy";
  for (auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    std::string p = e.path().string();
    if (p.size() < 10 || p.substr(p.size() - 10) != "_test.rego") continue;
    std::string policy = p.substr(0, p.size() - 10) + ".rego";
    INFO(policy);
    RunResult r = RunOep({"rego", "test", policy, p});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
  }
}
