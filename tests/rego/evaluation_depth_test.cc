// How deep rule dependencies may go: a long chain of rules that are not recursive
// evaluates, as in OPA; a chain deeper than the evaluator's stack allows ends with a
// resource error (eval_cancel_error), not a recursion error and not a crash.
#include <catch2/catch.hpp>

#include "rego/opa_cli.h"
#include "support/support.h"

using namespace oep;
using namespace oep::test;

namespace {

// package c; r0 := r1; ...; r<n> := 1
std::string Chain(int n) {
  std::string text = "package c\n\n";
  for (int i = 0; i < n; ++i) text += "r" + std::to_string(i) + " := r" + std::to_string(i + 1) + "\n";
  return text + "r" + std::to_string(n) + " := 1\n";
}

rego::CliOutput EvalChain(int n) {
  ScratchDir dir;
  WriteText(dir / "chain.rego", Chain(n));
  rego::OpaEvalOptions o;
  o.data = {dir.path()};
  o.query = "data.c.r0";
  o.v0_compatible = false;
  return rego::OpaEval(o);
}

}  // namespace

TEST_CASE("a chain of 2,000 rules that are not recursive evaluates", "[rego]") {
  auto out = EvalChain(2000);
  INFO(out.out);
  CHECK(out.exit_code == 0);
  CHECK(out.out.find("\"value\":1") != std::string::npos);
}

TEST_CASE("a chain of rules deeper than the stack allows is a resource error, not recursion", "[rego][bad-input]") {
  auto out = EvalChain(8000);
  INFO(out.out);
  CHECK(out.exit_code == 2);
  CHECK(out.out.find("eval_cancel_error") != std::string::npos);
  CHECK(out.out.find("depth limit") != std::string::npos);
  CHECK(out.out.find("recursion") == std::string::npos);
}

TEST_CASE("a chain of 30000 rules compiles and ends with a resource error at evaluation, not a crash", "[rego][bad-input]") {
  auto out = EvalChain(30000);
  INFO(out.out);
  CHECK(out.exit_code == 2);
  CHECK(out.out.find("eval_cancel_error") != std::string::npos);
  CHECK(out.out.find("depth limit") != std::string::npos);
  CHECK(out.out.find("rego_compile_error") == std::string::npos);
}

TEST_CASE("a cycle at the end of a 30000-rule chain is found at compile time", "[rego][bad-input]") {
  ScratchDir dir;
  std::string text = Chain(30000);
  text.replace(text.rfind("r30000 := 1"), std::string("r30000 := 1").size(), "r30000 := r29999");
  WriteText(dir / "chain.rego", text);
  rego::OpaEvalOptions o;
  o.data = {dir.path()};
  o.query = "data.c.r0";
  o.v0_compatible = false;
  auto out = rego::OpaEval(o);
  INFO(out.out.substr(0, 400));
  CHECK(out.exit_code == 2);
  CHECK(out.out.find("rego_recursion_error") != std::string::npos);
  CHECK(out.out.find("data.c.r29999 -> data.c.r30000 -> data.c.r29999") != std::string::npos);
}
