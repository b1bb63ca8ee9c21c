// `oep rego eval` and `oep rego test` speak OPA's output shapes and exit codes.
#include <catch2/catch.hpp>

#include "support/support.h"

using namespace oep::test;

namespace {

struct Policy {
  ScratchDir dir;
  std::string rego = dir / "p.rego";
  Policy() {
    WriteText(rego, "package t\n\nallow if input.n > 1\n\nboom := x if x := 1 / 0\n\nlist contains v if some v in input.xs\n");
  }
};

}  // namespace

TEST_CASE("rego eval prints expressions, text and location", "[rego][cli]") {
  Policy p;
  WriteText(p.dir / "in.json", R"({"n": 2, "xs": [3, 1]})");
  RunResult r = RunOep({"rego", "eval", "--data", p.rego, "--input", p.dir / "in.json", "data.t.allow"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "{\"result\":[{\"expressions\":[{\"location\":{\"col\":1,\"row\":1},\"text\":\"data.t.allow\",\"value\":true}]}]}\n");
  RunResult b = RunOep({"rego", "eval", "-d", p.rego, "-i", p.dir / "in.json", "x := data.t.list"});
  CHECK_THAT(b.out, Catch::Contains("\"bindings\":{\"x\":[1,3]}"));
}

TEST_CASE("rego eval of an undefined query prints {} and --fail exits 1", "[rego][cli]") {
  Policy p;
  WriteText(p.dir / "in.json", R"({"n": 0})");
  RunResult r = RunOep({"rego", "eval", "-d", p.rego, "-i", p.dir / "in.json", "data.t.allow"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "{}\n");
  CHECK(RunOep({"rego", "eval", "-d", p.rego, "-i", p.dir / "in.json", "--fail", "data.t.allow"}).exit_code == 1);
  CHECK(RunOep({"rego", "eval", "-d", p.rego, "-i", p.dir / "in.json", "--fail-defined", "data.t.list"}).exit_code == 1);
}

TEST_CASE("rego eval reports errors as OPA does, exit 2", "[rego][cli][bad-input]") {
  Policy p;
  WriteText(p.dir / "bad.rego", "package t\n\nallow if {\n");
  RunResult parse = RunOep({"rego", "eval", "-d", p.dir / "bad.rego", "data.t.allow"});
  CHECK(parse.exit_code == 2);
  CHECK_THAT(parse.out, Catch::StartsWith("{\"errors\":[{\"code\":\"rego_parse_error\""));
  RunResult strict = RunOep({"rego", "eval", "-d", p.rego, "--strict-builtin-errors", "data.t.boom"});
  CHECK(strict.exit_code == 2);
  CHECK_THAT(strict.out, Catch::Contains("eval_builtin_error") && Catch::Contains("divide by zero"));
  RunResult lenient = RunOep({"rego", "eval", "-d", p.rego, "data.t.boom"});
  CHECK(lenient.exit_code == 0);
  CHECK(lenient.out == "{}\n");
}

TEST_CASE("rego test reports the failing tests and exits 2, as opa test does", "[rego][cli]") {
  ScratchDir dir;
  WriteText(dir / "t_test.rego", "package t\n\ntest_ok if 1 == 1\n\ntest_bad if 1 == 2\n");
  RunResult r = RunOep({"rego", "test", dir / "t_test.rego"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.out, !Catch::Contains("data.t.test_ok: PASS") && Catch::Contains("data.t.test_bad: FAIL") &&
                        Catch::Contains("PASS: 1/2") && Catch::Contains("FAIL: 1/2"));
  RunResult verbose = RunOep({"rego", "test", "-v", dir / "t_test.rego"});
  CHECK(verbose.exit_code == 2);
  CHECK_THAT(verbose.out, Catch::Contains("data.t.test_ok: PASS") && Catch::Contains("FAILURES") && Catch::Contains("SUMMARY"));
}

TEST_CASE("a package spread over modules sees all its rules and functions", "[rego][cli]") {
  ScratchDir dir;
  WriteText(dir / "lib.rego", "package t\n\ndouble(x) := 2 * x\n\nlimit := 10\n");
  WriteText(dir / "lib_test.rego", "package t\n\ntest_double if double(limit) == 20\n");
  RunResult r = RunOep({"rego", "test", "-v", dir / "lib.rego", dir / "lib_test.rego"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("data.t.test_double: PASS"));
}

TEST_CASE("rego eval with --v0-compatible reads v0: p[x] { ... } is a partial set", "[rego][cli]") {
  ScratchDir dir;
  WriteText(dir / "v0.rego", "package t\n\nnames[n] { n := input.users[_].name }\n\nallow { input.n > 1 }\n");
  WriteText(dir / "in.json", R"({"n": 2, "users": [{"name": "a"}, {"name": "b"}]})");
  RunResult v0 = RunOep({"rego", "eval", "--v0-compatible", "-d", dir / "v0.rego", "-i", dir / "in.json", "x := data.t"});
  INFO(v0.out << v0.err);
  REQUIRE(v0.exit_code == 0);
  CHECK_THAT(v0.out, Catch::Contains("\"x\":{\"allow\":true,\"names\":[\"a\",\"b\"]}"));
  // Rego v1 (the default) requires `if` before a rule body, as OPA 1.x does.
  RunResult v1 = RunOep({"rego", "eval", "-d", dir / "v0.rego", "-i", dir / "in.json", "x := data.t.names"});
  CHECK(v1.exit_code == 2);
  CHECK_THAT(v1.out, Catch::Contains("rego_parse_error") && Catch::Contains("`if` keyword is required before rule body") &&
                         Catch::Contains("\"row\":3"));
}

TEST_CASE("in v0, contains/every/if/in are keywords only once imported", "[rego][cli]") {
  ScratchDir dir;
  auto eval_v0 = [&](const std::string& text, const std::string& query) {
    WriteText(dir / "p.rego", text);
    return RunOep({"rego", "eval", "--v0-compatible", "-d", dir / "p.rego", query});
  };
  RunResult bare = eval_v0("package t\np contains x if x := 1\n", "data.t.p");
  CHECK(bare.exit_code == 2);
  CHECK_THAT(bare.out, Catch::Contains("rego_parse_error") && Catch::Contains("unexpected 'contains'"));
  RunResult partial = eval_v0("package t\nimport future.keywords.contains\nimport future.keywords.if\n"
                              "p contains x if x := 1\nq { 1 in [1] }\n", "data.t.q");
  CHECK(partial.exit_code == 2);
  CHECK_THAT(partial.out, Catch::Contains("unexpected 'in'") && Catch::Contains("\"row\":5"));
  for (const char* import : {"import future.keywords", "import rego.v1"}) {
    RunResult all = eval_v0(std::string("package t\n") + import + "\np contains x if { some x in [1] }\nq if { every y in [1] { y == 1 } }\n",
                            "x := [data.t.p, data.t.q]");
    INFO(all.out << all.err);
    CHECK(all.exit_code == 0);
    CHECK_THAT(all.out, Catch::Contains("\"x\":[[1],true]"));
  }
}

TEST_CASE("rego eval reports the value of a query expression with `with`", "[rego][cli]") {
  Policy p;
  RunResult r = RunOep({"rego", "eval", "-d", p.rego, "data.t.list with input as {\"xs\": [2, 5]}"});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("\"value\":[2,5]"));
}

TEST_CASE("an integer key in a data ref names the JSON member with its decimal text", "[rego][cli]") {
  ScratchDir dir;
  WriteText(dir / "data.json", R"({"nested": {"2": "bar"}, "3": "top"})");
  WriteText(dir / "p.rego", "package t\n\nimport rego.v1\n\np := data.nested[2]\n\nq := data[3]\n\nr := obj[2] if obj := data.nested\n");
  auto eval = [&](const char* query) { return RunOep({"rego", "eval", "-d", dir / "data.json", "-d", dir / "p.rego", query}).out; };
  CHECK_THAT(eval("data.t.p"), Catch::Contains("\"value\":\"bar\""));
  CHECK_THAT(eval("data.t.q"), Catch::Contains("\"value\":\"top\""));
  CHECK(eval("data.t.r") == "{}\n");  // a plain object value keeps its keys' types
}

TEST_CASE("with data overrides are seen from the documents above them", "[rego][cli]") {
  ScratchDir dir;
  WriteText(dir / "data.json", R"({"b": {"v1": "hello", "v2": "goodbye"}})");
  WriteText(dir / "p.rego",
            "package t\n\nimport rego.v1\n\nmerged if data.b == {\"v1\": \"hello\", \"v2\": \"world\"}\n\n"
            "p := true if merged with data.b.v2 as \"world\"\n\n"
            "keys contains k if { data.a.b[k] == 1 with data.a.b as {\"c\": 1, \"d\": 2, \"e\": 1} }\n");
  auto eval = [&](const char* query) { return RunOep({"rego", "eval", "-d", dir / "data.json", "-d", dir / "p.rego", query}).out; };
  CHECK_THAT(eval("data.t.p"), Catch::Contains("\"value\":true"));
  CHECK_THAT(eval("data.t.keys"), Catch::Contains("\"value\":[\"c\",\"e\"]"));
}

TEST_CASE("rules with longer ref heads join the object of p[k] rules, an empty package is {}", "[rego][cli]") {
  // p["foo"] := "bar" beside p[k] := v: one object, read whole, by key and by iteration.
  const char* policy = "package t\np[k] := v if {\n\tv := [\"a\", \"b\"][k]\n}\np[\"foo\"] := \"bar\"\n"
                       "q contains x if {\n\tx := p[_]\n\tx == \"bar\"\n}\n";
  CHECK_THAT(EvalPolicy(policy, "data.t.p").out, Catch::Contains(R"("value":{"0":"a","1":"b","foo":"bar"})"));
  CHECK_THAT(EvalPolicy(policy, "data.t.p.foo").out, Catch::Contains(R"("value":"bar")"));
  CHECK_THAT(EvalPolicy(policy, "data.t.q").out, Catch::Contains(R"("value":["bar"])"));
  // The same key defined differently by both is a conflict.
  RunResult conflict = EvalPolicy("package t\np[k] := 1 if k := \"foo\"\np[\"foo\"] := 2\n", "data.t.p");
  CHECK(conflict.exit_code == 2);
  CHECK_THAT(conflict.out, Catch::Contains("eval_conflict_error") && Catch::Contains("object keys must be unique"));
  // Member sets join at their leaves; a complete rule's value is not extended from below.
  CHECK_THAT(EvalPolicy("package t\np[q].r contains s if {\n\tx := [\"a\", \"b\"]\n\tq := x[_]\n\ts := x[_]\n\tq != s\n}\n"
                        "p.b.r contains \"foo\"\n", "data.t.p").out,
             Catch::Contains(R"("value":{"a":{"r":["b"]},"b":{"r":["a","foo"]}})"));
  RunResult deep = EvalPolicy("package t\np[q].r := v if {\n\tq := \"q\"\n\tv := {\"s\": {\"t\": 1}}\n}\np.q.r.s.u := 42\n", "data.t.p");
  CHECK_THAT(deep.out, Catch::Contains("eval_conflict_error"));
  // A package whose modules define no rules is still a document: an empty object.
  ScratchDir dir;
  WriteText(dir / "a.rego", "package a.b\n");
  WriteText(dir / "x.rego", "package x\np := data.a.b\n");
  RunResult empty = RunOep({"rego", "eval", "-d", dir / "a.rego", "-d", dir / "x.rego", "data.x.p"});
  CHECK_THAT(empty.out, Catch::Contains(R"("value":{})"));
}
