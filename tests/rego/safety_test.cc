// Rego's safety rule at compile time: bodies are reordered so that bindings come first, and a
// variable nothing can bind is a compile error, even in a rule no query evaluates.
#include <catch2/catch.hpp>

#include "support/support.h"

using namespace oep::test;


TEST_CASE("expressions run once their variables are bound, whatever their order", "[rego][safety]") {
  const char* policy = R"(package t
import rego.v1
p if {
	x > 1
	x := 2
}
q contains y if {
	y != "b"
	input.names[_] = y
}
r := n if {
	n == 3
	count(input.names, n)
}
s := [z | z > 1; z = [1, 2, 3][_]]
f(a) := b if {
	b > 0
	b := a * 2
}
g := f(2)
t if {
	every v in input.names {
		v != w
		w := "zz"
	}
}
u if {
	[2, v, 3] = [v, 2, 3]
}
)";
  auto value = [&](const char* rule) {
    RunResult r = EvalPolicy(policy, std::string("data.t.") + rule, R"({"names": ["a", "b", "c"]})");
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    auto at = r.out.find("\"value\":");
    REQUIRE(at != std::string::npos);
    return r.out.substr(at + 8, r.out.find("}]}]}") - at - 8);
  };
  CHECK(value("p") == "true");
  CHECK(value("q") == "[\"a\",\"c\"]");
  CHECK(value("r") == "3");
  CHECK(value("s") == "[2,3]");
  CHECK(value("g") == "4");
  CHECK(value("t") == "true");
  CHECK(value("u") == "true");
}

TEST_CASE("a variable nothing binds is a compile error, as in OPA", "[rego][safety][bad-input]") {
  struct Case {
    const char* body;
    const char* var;
  };
  for (const Case& c : {Case{"y > 1", "y"}, Case{"not input.m[k]", "k"}, Case{"x := [v | v > 1]", "v"},
                        Case{"a = b", "a"}, Case{"count(input.names) == m", "m"}}) {
    INFO(c.body);
    // The unsafe rule is never queried: the error is still reported, at its location.
    RunResult r = EvalPolicy(std::string("package t\nimport rego.v1\nok := 1\nbad if {\n\t") + c.body + "\n}\n", "data.t.ok");
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.out, Catch::Contains("rego_unsafe_var_error") && Catch::Contains(std::string("var ") + c.var + " is unsafe") &&
                          Catch::Contains("\"row\":5"));
  }
  RunResult head = EvalPolicy("package t\nimport rego.v1\np contains x if input.ok\n", "data.t.p");
  CHECK_THAT(head.out, Catch::Contains("var x is unsafe"));
}

TEST_CASE("recursion between rules is a compile error naming the cycle, as in OPA", "[rego][safety][bad-input]") {
  RunResult cycle = EvalPolicy("package t\nimport rego.v1\nok := 1\np if q\nq if r\nr if p\n", "data.t.ok");
  CHECK(cycle.exit_code == 2);
  CHECK_THAT(cycle.out, Catch::Contains("rego_recursion_error") &&
                            Catch::Contains("rule data.t.p is recursive: data.t.p -> data.t.q -> data.t.r -> data.t.p"));
  RunResult function = EvalPolicy("package t\nimport rego.v1\nok := 1\nf(x) := f(x - 1) if x > 0\n", "data.t.ok");
  CHECK_THAT(function.out, Catch::Contains("rule data.t.f is recursive: data.t.f -> data.t.f"));
  RunResult whole = EvalPolicy("package t\nimport rego.v1\np := count(data.t)\n", "data.t.p");
  CHECK_THAT(whole.out, Catch::Contains("rule data.t.p is recursive"));
  // Not recursion: a function replaced by another through `with`, and a rule reading its siblings.
  RunResult with = EvalPolicy("package t\nimport rego.v1\nf(x) := 2\ng(x) := f(x)\np := y if y := f(1) with f as g\n", "data.t.p");
  CHECK_THAT(with.out, Catch::Contains("\"value\":2"));
  RunResult siblings = EvalPolicy("package t\nimport rego.v1\na := 1\nb := data.t.a + 1\n", "data.t.b");
  CHECK_THAT(siblings.out, Catch::Contains("\"value\":2"));
  // A ref with a variable key at the data root is left to evaluation, as OPA leaves it.
  RunResult dynamic = EvalPolicy("package t\nimport rego.v1\na := 1\nb := data[k].a if k := \"t\"\n", "data.t.b");
  CHECK_THAT(dynamic.out, Catch::Contains("\"value\":1"));
}

TEST_CASE("unknown functions and built-in arity mismatches are compile errors", "[rego][safety][bad-input]") {
  RunResult unknown = EvalPolicy("package t\nimport rego.v1\nok := 1\nbad if no_such_fn(1)\n", "data.t.ok");
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.out, Catch::Contains("rego_type_error") && Catch::Contains("undefined function no_such_fn") &&
                              Catch::Contains("\"row\":4"));
  RunResult arity = EvalPolicy("package t\nimport rego.v1\nok := 1\nbad if count(1, 2, 3)\n", "data.t.ok");
  CHECK_THAT(arity.out, Catch::Contains("rego_type_error") && Catch::Contains("count: arity mismatch"));
  // One argument more than the arity is the output form.
  RunResult output = EvalPolicy("package t\nimport rego.v1\nn := x if count([1, 2], x)\n", "data.t.n");
  CHECK_THAT(output.out, Catch::Contains("\"value\":2"));
}

TEST_CASE("expressions nested more than 200 levels deep are parse errors, not crashes", "[rego][safety][bad-input]") {
  for (const std::string& expr : {std::string(600, '[') + std::string(600, ']'), [] {
         std::string chain = "1";
         for (int i = 0; i < 600; ++i) chain += " + 1";
         return chain;
       }()}) {
    RunResult r = EvalPolicy("package t\nimport rego.v1\nx := " + expr + "\n", "data.t.x");
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.out, Catch::Contains("rego_parse_error") && Catch::Contains("nested more than 200 levels deep"));
  }
}

TEST_CASE("expressions nested up to the limit still evaluate", "[rego][safety]") {
  RunResult r = EvalPolicy("package t\nimport rego.v1\nx := " + std::string(190, '[') + "1" + std::string(190, ']') + "\n", "count(data.t.x)");
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("\"value\":1"));
}
