// Rule indexing (many rules testing one input field) must not change any result: the
// rules it skips are exactly those whose equality test fails.
#include <catch2/catch.hpp>

#include "rego/parser.h"
#include "rego/policy_loader.h"
#include "support/support.h"

using namespace oep::test;
namespace rego = oep::rego;

namespace {

const char* kPolicy = R"(package idx

import rego.v1

decision := "a" if input.kind == "a"
decision := "b" if {
	input.kind == "b"
	input.ok
}
decision := "c" if "c" == input.kind
decision := "d" if input.kind = "d"
decision := "e" if input.kind == "e"
decision := "f" if input.kind == "f"
decision := "g" if input.kind == "g"
decision := "h" if input.kind == "h"
decision := "h2" if input.kind == "h"
decision := "one" if input.kind == 1
decision := "any" if input.force

tags contains "t1" if input.kind == "a"
tags contains "t2" if input.kind == "a"
tags contains "t3" if input.kind == "b"
tags contains "t4" if input.kind == "c"
tags contains "t5" if input.kind == "d"
tags contains "t6" if input.kind == "e"
tags contains "t7" if input.kind == "f"
tags contains "always" if true
)";

struct Outcome {
  std::string value;  // JSON of the first expression, "undefined", or the error code
};

Outcome Eval(const std::string& policy, const std::string& query, const std::string& input_json) {
  auto loaded = rego::LoadPolicy({policy});
  REQUIRE(std::holds_alternative<rego::LoadedPolicy>(loaded));
  auto parsed = rego::ParseQuery(query);
  REQUIRE(std::holds_alternative<rego::Body>(parsed));
  auto input = rego::Value::FromJsonText(input_json);
  REQUIRE(input.ok());
  auto result = std::get<rego::LoadedPolicy>(loaded).engine->Query(std::get<rego::Body>(parsed), *input);
  if (auto* err = std::get_if<rego::RegoError>(&result)) return {err->code};
  const auto& rows = std::get<std::vector<rego::QueryResult>>(result);
  return {rows.empty() ? "undefined" : rows[0].expressions[0].ToJson()};
}

}  // namespace

TEST_CASE("indexed rules decide exactly as unindexed evaluation would", "[rego][index]") {
  ScratchDir dir;
  std::string policy = dir / "idx.rego";
  WriteText(policy, kPolicy);
  auto decision = [&](const std::string& input) { return Eval(policy, "data.idx.decision", input).value; };
  CHECK(decision(R"({"kind": "a"})") == "\"a\"");
  CHECK(decision(R"({"kind": "c"})") == "\"c\"");  // constant on the left
  CHECK(decision(R"({"kind": "d"})") == "\"d\"");  // unification
  CHECK(decision(R"({"kind": "b"})") == "undefined");  // the indexed rule's other test fails
  CHECK(decision(R"({"kind": "b", "ok": true})") == "\"b\"");
  CHECK(decision(R"({"kind": "z"})") == "undefined");
  CHECK(decision(R"({})") == "undefined");
  CHECK(decision(R"({"kind": 1.0})") == "\"one\"");  // 1 == 1.0, as in OPA
  CHECK(decision(R"({"force": true})") == "\"any\"");  // a rule that does not test the path
  // Conflicts are still found: two indexed rules, or an indexed and an unindexed one.
  CHECK(decision(R"({"kind": "h"})") == "eval_conflict_error");
  CHECK(decision(R"({"kind": "a", "force": true})") == "eval_conflict_error");
  auto tags = [&](const std::string& input) { return Eval(policy, "data.idx.tags", input).value; };
  CHECK(tags(R"({"kind": "a"})") == "[\"always\",\"t1\",\"t2\"]");
  CHECK(tags(R"({"kind": "f"})") == "[\"always\",\"t7\"]");
  CHECK(tags(R"({"kind": "q"})") == "[\"always\"]");
  // `with input as` re-indexes on the replaced input.
  CHECK(Eval(policy, "data.idx.decision with input as {\"kind\": \"e\"}", R"({"kind": "a"})").value == "\"e\"");
}
