// OPA's compile-time type check: what a policy states itself (literals, built-in results,
// iteration, the documents its rules define) is checked against the built-ins' declared
// types; input and base data are of any type, so no valid policy is refused.
#include <catch2/catch.hpp>

#include "support/support.h"

using namespace oep::test;

namespace {

// The JSON error of evaluating data.t.p under a module `package t` + `rules`.
std::string TypeErrorOf(const std::string& rules) {
  RunResult r = EvalPolicy("package t\n" + rules, "data.t.p");
  INFO(r.out << r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.out.find("\"rego_type_error\"") != std::string::npos);
  return r.out;
}

// The JSON result of data.t.p, which must not be an error.
std::string ResultOf(const std::string& rules, const std::string& input = "") {
  RunResult r = EvalPolicy("package t\n" + rules, "data.t.p", input);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("\"errors\"") == std::string::npos);
  return r.out;
}

}  // namespace

TEST_CASE("built-in arguments of the wrong type are compile errors", "[rego][typecheck]") {
  CHECK_THAT(TypeErrorOf("p if {\n\tx := 1 + \"a\"\n\tx > 0\n}\n"),
             Catch::Contains(R"("location":{"col":7,"file":)") && Catch::Contains(R"j("row":3},"message":"plus: invalid argument(s)")j"));
  CHECK_THAT(TypeErrorOf("p := count(1)\n"), Catch::Contains("count: invalid argument(s)"));
  CHECK_THAT(TypeErrorOf("p := sum([\"a\"])\n"), Catch::Contains("sum: invalid argument(s)"));
  CHECK_THAT(TypeErrorOf("p := upper(lower(1))\n"), Catch::Contains("lower: invalid argument(s)"));
  // Types flow into variables: from literals, results and output arguments.
  CHECK_THAT(TypeErrorOf("p if {\n\ts := split(\"a.b\", \".\")\n\tupper(s)\n}\n"), Catch::Contains("upper: invalid argument(s)"));
  CHECK_THAT(TypeErrorOf("p if {\n\tcount([1], n)\n\tstartswith(n, \"1\")\n}\n"),
             Catch::Contains("startswith: invalid argument(s)"));
  CHECK_THAT(TypeErrorOf("p := [x | x := concat(\",\", [1, 2])]\n"), Catch::Contains("concat: invalid argument(s)"));
}

TEST_CASE("rego test prints a type error's have and want lines", "[rego][typecheck]") {
  ScratchDir dir;
  WriteText(dir / "t_test.rego", "package t\ntest_sum if {\n\tsum([1, \"a\"]) == 1\n}\n");
  RunResult r = RunOep({"rego", "test", dir.path()});
  CHECK(r.exit_code == 1);  // opa test: a policy that does not compile exits 1
  CHECK_THAT(r.err, Catch::Contains("t_test.rego:3: rego_type_error: sum: invalid argument(s)\n"
                                    "\thave: (array<number, string>)\n"
                                    "\twant: (any<array[number], set[number]>, number)"));
}

TEST_CASE("equality of terms of disjoint types is a match error", "[rego][typecheck]") {
  CHECK_THAT(TypeErrorOf("p if 1 == \"1\"\n"), Catch::Contains("\"message\":\"match error\""));
  CHECK_THAT(TypeErrorOf("p if {\n\tx := 1\n\tx = \"a\"\n}\n"), Catch::Contains("match error"));
  CHECK_THAT(TypeErrorOf("p if {\n\t[a, b] := [1, \"x\"]\n\tb == a\n}\n"), Catch::Contains("match error"));
}

TEST_CASE("refs a literal cannot have are undefined-ref errors", "[rego][typecheck]") {
  CHECK_THAT(TypeErrorOf("p if {\n\tx := {\"a\": 1}\n\tx.c == 1\n}\n"), Catch::Contains("undefined ref: x.c"));
  CHECK_THAT(TypeErrorOf("p if {\n\tn := 1\n\tn.a\n}\n"), Catch::Contains("undefined ref: n.a"));
  CHECK_THAT(TypeErrorOf("p if {\n\tarr := [1, 2]\n\tarr[5]\n}\n"), Catch::Contains("undefined ref: arr[5]"));
  CHECK_THAT(TypeErrorOf("p if {\n\tx := {\"a\": 1}\n\tx[\"a\"].b\n}\n"), Catch::Contains("undefined ref: x.a.b"));
}

TEST_CASE("documents rules define have the types their heads give them", "[rego][typecheck]") {
  CHECK_THAT(TypeErrorOf("q := \"x\"\np if q + 1 > 0\n"), Catch::Contains("plus: invalid argument(s)"));
  CHECK_THAT(TypeErrorOf("q := \"x\"\np if data.t.q + 1 > 0\n"), Catch::Contains("plus: invalid argument(s)"));
  // default and conditional definitions join: allow is boolean.
  CHECK_THAT(TypeErrorOf("default allow := false\nallow if input.ok\np if allow == \"yes\"\n"),
             Catch::Contains("match error"));
  // A partial set's members, a typo in a key of a constant object.
  CHECK_THAT(TypeErrorOf("s contains x if x := \"a\"\np if { some i; s[i] + 1 > 0 }\n"), Catch::Contains("plus: invalid argument(s)"));
  CHECK_THAT(TypeErrorOf("conf := {\"limit\": 3}\np if conf.limt > 1\n"), Catch::Contains("undefined ref: conf.limt"));
  // Through an import alias; and definitions of different shapes make a union.
  CHECK_THAT(ResultOf("import data.t.conf\nconf := {\"limit\": 3}\np if conf.limit > 1\n"), Catch::Contains(R"("value":true)"));
  CHECK_THAT(ResultOf("o := {\"a\": 1} if input.x\no := {\"b\": 2} if not input.x\np := o.b\n", "{}"),
             Catch::Contains(R"("value":2)"));
}

TEST_CASE("queries are type-checked too", "[rego][typecheck]") {
  RunResult r = RunOep({"rego", "eval", "1 + \"a\""});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.out, Catch::Contains(R"j({"code":"rego_type_error","location":{"col":1,"file":"","row":1},"message":"plus: invalid argument(s)"})j"));
}

TEST_CASE("the type check refuses no valid policy", "[rego][typecheck]") {
  // input, data and rules are of any type; so are function arguments.
  CHECK_THAT(ResultOf("p := count(input.x) + 1\n", R"({"x": [1, 2]})"), Catch::Contains(R"("value":3)"));
  CHECK_THAT(ResultOf("q := \"abc\"\np := upper(q)\n"), Catch::Contains(R"("value":"ABC")"));
  CHECK_THAT(ResultOf("f(x) := x + 1\np := f(1)\n"), Catch::Contains(R"("value":2)"));
  // Iteration binds keys and values by the collection's type.
  CHECK_THAT(ResultOf("p := [i + 1 | x := [\"a\", \"b\"][i]]\n"), Catch::Contains(R"("value":[1,2])"));
  CHECK_THAT(ResultOf("p := {k: upper(v) | some k, v in {\"a\": \"x\"}}\n"), Catch::Contains(R"("value":{"a":"X"})"));
  CHECK_THAT(ResultOf("p := [v | walk({\"a\": 1}, [path, v])]\n"), Catch::Contains(R"("value":[{"a":1},1])"));
  // Operands whose type only evaluation decides pass the check (OPA reports them at evaluation).
  CHECK_THAT(ResultOf("p := {1} - {1}\n"), Catch::Contains(R"("value":[])"));
  CHECK_THAT(ResultOf("p := time.clock([0, \"UTC\"])\n"), Catch::Contains(R"("value":[0,0,0])"));
  CHECK_THAT(ResultOf("p if {\n\tx := {\"a\": {\"b\": 1}}\n\tx.a.b == 1\n}\n"), Catch::Contains(R"("value":true)"));
  CHECK_THAT(ResultOf("p := strings.replace_n({\"a\": \"b\"}, \"aa\")\n"), Catch::Contains(R"("value":"bb")"));
  CHECK_THAT(ResultOf("p := object.get({\"a\": 1}, [\"a\"], 0)\n"), Catch::Contains(R"("value":1)"));
}
