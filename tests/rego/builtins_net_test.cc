// net.cidr_merge and net.cidr_expand through `oep rego eval` (OPA's output shape).
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
