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

TEST_CASE("a chain of rules too long for the compile-time checks is a compile error, not a crash", "[rego][bad-input]") {
  auto out = EvalChain(30000);
  INFO(out.out);
  CHECK(out.exit_code == 2);
  CHECK(out.out.find("rego_compile_error") != std::string::npos);
  CHECK(out.out.find("too long to check") != std::string::npos);
}
