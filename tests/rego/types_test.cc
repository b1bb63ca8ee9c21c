// The static type model behind the compile-time type check.
#include <catch2/catch.hpp>

#include "rego/types.h"

using namespace oep::rego;

TEST_CASE("types print in OPA's notation and parse back", "[rego][typecheck]") {
  for (const char* text : {"number", "any", "any<null, string>", "array[string]", "array<number, string>", "set[any]",
                           "object[string: any]", "object<a: number, b: string>", "array<array[any], any>"}) {
    CHECK(types::ToString(types::Parse(text)) == text);
  }
  CHECK(types::ToString(nullptr) == "???");
  auto v = Value::FromJsonText(R"({"k": [1, "a"], "s": null})");
  REQUIRE(v.ok());
  CHECK(types::ToString(types::Of(*v)) == "object<k: array<number, string>, s: null>");
}

TEST_CASE("unification of types follows OPA's rules", "[rego][typecheck]") {
  auto t = [](const char* s) { return types::Parse(s); };
  CHECK(types::Unifies(t("number"), t("any<number, set[any]>")));
  CHECK_FALSE(types::Unifies(t("string"), t("any<number, set[any]>")));
  CHECK(types::Unifies(t("array<number, number>"), t("array[number]")));
  CHECK_FALSE(types::Unifies(t("array<number, string>"), t("array[number]")));
  CHECK_FALSE(types::Unifies(t("array<number>"), t("array<number, number>")));
  CHECK(types::Unifies(t("object<a: number>"), t("object[any: any]")));
  // Dynamic object keys are not compared, only values (as OPA does).
  CHECK(types::Unifies(t("object[number: string]"), t("object[string: string]")));
  CHECK_FALSE(types::Unifies(t("object<a: number>"), t("object<a: string>")));
  CHECK(types::Unifies(t("any"), t("set[string]")));
  CHECK_FALSE(types::Unifies(nullptr, t("any")));
  CHECK(types::ToString(types::Or(t("string"), t("number"))) == "any<number, string>");
  CHECK(types::ToString(types::Or(t("string"), t("any"))) == "any");
  CHECK(types::ToString(types::Select(t("object<a: number>"), Value::String("a"))) == "number");
  CHECK(types::Select(t("object<a: number>"), Value::String("b")) == nullptr);
  CHECK(types::Keys(t("string")) == nullptr);
}
