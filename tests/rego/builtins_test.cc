// Built-ins through `oep rego eval` (OPA's output shape), strict errors.
#include <catch2/catch.hpp>

#include "support/support.h"

using namespace oep::test;

namespace {

std::string EvalValue(const std::string& expr) {
  RunResult r = RunOep({"rego", "eval", "--strict-builtin-errors", "x := " + expr});
  INFO(r.out << r.err);
  if (r.out.find("\"errors\"") != std::string::npos) return r.out;
  auto at = r.out.find("\"x\":");
  REQUIRE(at != std::string::npos);
  return r.out.substr(at + 4, r.out.find("},\"expressions\"") == std::string::npos ? r.out.find('}', at) - at - 4
                                                                                   : r.out.find("},\"expressions\"") - at - 4);
}

}  // namespace

TEST_CASE("net.cidr_merge combines siblings, drops covered networks, keeps families apart", "[rego][builtins][net]") {
  CHECK(EvalValue(R"(net.cidr_merge(["192.0.2.112/30", "192.0.2.116/31", "192.0.2.118/31"]))") == R"(["192.0.2.112/29"])");
  CHECK(EvalValue(R"(net.cidr_merge(["192.0.2.112/31", "192.0.2.116/31", "192.0.2.118/31"]))") ==
        R"(["192.0.2.112/31","192.0.2.116/30"])");
  CHECK(EvalValue(R"(net.cidr_merge({"::/0", "fe80::1/128", "10.0.0.0/8", "10.1.0.0/16"}))") == R"(["10.0.0.0/8","::/0"])");
  CHECK(EvalValue(R"(net.cidr_merge(["192.0.128.0", "192.0.129.0"]))") == R"(["192.0.128.0/23"])");  // classful default masks
  CHECK(EvalValue("net.cidr_merge([])") == "[]");
  CHECK_THAT(EvalValue(R"(net.cidr_merge(["fe80::1"]))"), Catch::Contains("IPv6 invalid: needs prefix length"));
  CHECK_THAT(EvalValue(R"(net.cidr_merge(["foo"]))"), Catch::Contains("invalid CIDR address: foo"));
}

TEST_CASE("net.cidr_expand lists every address of a network, bounded", "[rego][builtins][net]") {
  CHECK(EvalValue(R"(net.cidr_expand("192.168.1.1/30"))") == R"(["192.168.1.0","192.168.1.1","192.168.1.2","192.168.1.3"])");
  CHECK(EvalValue(R"(net.cidr_expand("2001:db8::/127"))") == R"(["2001:db8::","2001:db8::1"])");
  CHECK_THAT(EvalValue(R"(net.cidr_expand("192.168.1.1/33"))"), Catch::Contains("invalid CIDR address"));
  CHECK_THAT(EvalValue(R"(net.cidr_expand("10.0.0.0/8"))"), Catch::Contains("more than 2^20 addresses"));
}

TEST_CASE("graph.reachable_paths ends paths at leaves, outside the graph and at cycles", "[rego][builtins][graph]") {
  CHECK(EvalValue(R"(graph.reachable_paths({"a": ["b", "c"], "b": ["c"], "c": []}, {"a"}))") == R"([["a","b","c"],["a","c"]])");
  CHECK(EvalValue(R"(graph.reachable_paths({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a"]))") == R"([["a","b","c"]])");
  CHECK(EvalValue(R"(graph.reachable_paths({"a": ["b"], "b": ["gone"]}, {"a", "b"}))") == R"([["a","b"],["b"]])");
  CHECK(EvalValue(R"(graph.reachable_paths({}, {"a"}))") == "[]");
  CHECK_THAT(EvalValue(R"(graph.reachable_paths({"a": []}, "a"))"), Catch::Contains("operand 2 must be one of {array, set}"));
}

TEST_CASE("built-in type errors use OPA's texts", "[rego][builtins]") {
  CHECK_THAT(EvalValue(R"(strings.any_prefix_match(["a", 1], "a"))"),
             Catch::Contains("operand 1 must be array of strings but got array containing number"));
  CHECK_THAT(EvalValue(R"(object.remove({"a": 1}, "a"))"), Catch::Contains("operand 2 must be one of {object, set, array}"));
  CHECK_THAT(EvalValue(R"(json.remove({"a": 1}, [1]))"),
             Catch::Contains("containing string paths or array of path segments but got number"));
  CHECK_THAT(EvalValue(R"(strings.replace_n({"a": 1}, "abc"))"), Catch::Contains("non-string value found in pattern object"));
  CHECK(EvalValue("numbers.range_step(0, 10, 99999999999999999999)") == "[0]");
  CHECK(EvalValue(R"(sprintf("%v", [["a", 1]]))") == R"("[\"a\", 1]")");
}
