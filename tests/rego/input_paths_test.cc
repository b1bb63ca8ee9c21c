// What a policy can read of input, from its syntax trees (rego/input_paths.h).
#include <string>

#include <catch2/catch.hpp>

#include "rego/input_paths.h"
#include "rego/parser.h"

using oep::rego::InputPaths;

namespace {

// The paths read, as "a.b|c" (sorted), or "ALL" when the whole input may be read.
std::string Read(const std::string& policy, oep::rego::RegoVersion version = oep::rego::RegoVersion::kV1) {
  auto parsed = oep::rego::ParseModule(policy, "p.rego", version);
  auto* module = std::get_if<oep::rego::Module>(&parsed);
  REQUIRE(module != nullptr);
  auto paths = oep::rego::InputPathsRead({*module});
  if (!paths) return "ALL";
  std::string out;
  auto walk = [&](auto& self, const InputPaths& node, const std::string& prefix) -> void {
    if (node.whole) {
      out += (out.empty() ? "" : "|") + prefix;
      return;
    }
    for (const auto& [key, sub] : node.members) self(self, sub, prefix.empty() ? key : prefix + "." + key);
  };
  walk(walk, *paths, "");
  return out;
}

}  // namespace

TEST_CASE("static input refs are read down to their last static key", "[rego][input-paths]") {
  CHECK(Read("package p\nallow if input.tool.name == \"x\"\nallow if input.run.step > 3") == "run.step|tool.name");
  CHECK(Read("package p\nallow if input[\"tool\"].name == \"x\"") == "tool.name");
  // A variable key reads the whole subtree before it; the key's own refs count too.
  CHECK(Read("package p\nallow if input.tools[_] == input.wanted") == "tools|wanted");
  CHECK(Read("package p\nallow if input.a[input.b.c]") == "a|b.c");
  // A shorter ref swallows longer ones under it.
  CHECK(Read("package p\nallow if input.a.b\nallow if count(input.a) > 1") == "a");
  // In comprehensions, every, functions, else chains and rule heads.
  CHECK(Read("package p\nxs := [x | some x in input.items]\nf(k) := input.m[k]\n"
             "d := input.dflt if { false } else := input.other\nallow if { every y in input.ys { y > input.min } }") ==
        "dflt|items|m|min|other|ys");
  CHECK(Read("package p\nallow if true") == "");
}

TEST_CASE("any other use of input reads all of it", "[rego][input-paths]") {
  CHECK(Read("package p\nallow if object.get(input, \"a\", 1) == 1") == "ALL");
  CHECK(Read("package p\nallow if input[k] == 1") == "ALL");
  CHECK(Read("package p\nx := input") == "ALL");
  CHECK(Read("package p\nallow if data.q.allow with input as {\"a\": 1}") == "ALL");
  CHECK(Read("package p\nallow if data.q.allow with input.a as 1") == "ALL");
  CHECK(Read("package p\nimport input.tool\nallow if tool.name == \"x\"") == "ALL");
  CHECK(Read("package p\nimport input.tool as t\nallow if t.name == \"x\"") == "ALL");
  CHECK(Read("package p\nallow if walk(input, [p, v])") == "ALL");
}

TEST_CASE("a query that names input reads it whole", "[rego][input-paths]") {
  CHECK(oep::rego::QueryMayReadInput("input.a == 1"));
  CHECK(oep::rego::QueryMayReadInput("data.p.allow with input as {}"));
  CHECK_FALSE(oep::rego::QueryMayReadInput("data.oep.permissions.decision"));
}

TEST_CASE("merging keeps what either side reads", "[rego][input-paths]") {
  InputPaths a, b;
  a.members["x"].members["y"].whole = true;
  b.members["x"].whole = true;
  b.members["z"].whole = true;
  InputPaths m = a;
  m.Merge(b);
  REQUIRE(m.Member("x") != nullptr);
  CHECK(m.Member("x")->whole);
  CHECK(m.Member("z") != nullptr);
  CHECK(m.Member("w") == nullptr);
}
