// Built-ins through `oep rego eval` (OPA's output shape), strict errors.
#include <filesystem>

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

// `json` as a term whose type only evaluation knows (json.unmarshal returns any), so a
// test reaches the built-in's own operand check instead of the compile-time type check.
std::string Dynamic(const std::string& json) {
  std::string quoted = "\"";
  for (char c : json) quoted += c == '"' ? std::string("\\\"") : std::string(1, c);
  return "json.unmarshal(" + quoted + "\")";
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

TEST_CASE("built-in type errors use OPA's texts", "[rego][builtins]") {
  CHECK_THAT(EvalValue("strings.any_prefix_match(" + Dynamic(R"(["a", 1])") + R"(, "a"))"),
             Catch::Contains("operand 1 must be array of strings but got array containing number"));
  CHECK_THAT(EvalValue(R"(object.remove({"a": 1}, )" + Dynamic(R"("a")") + ")"), Catch::Contains("operand 2 must be one of {object, set, array}"));
  CHECK_THAT(EvalValue(R"(json.remove({"a": 1}, )" + Dynamic("[1]") + ")"),
             Catch::Contains("containing string paths or array of path segments but got number"));
  CHECK_THAT(EvalValue("strings.replace_n(" + Dynamic(R"({"a": 1})") + R"(, "abc"))"), Catch::Contains("non-string value found in pattern object"));
  CHECK(EvalValue("numbers.range_step(0, 10, 99999999999999999999)") == "[0]");
  CHECK(EvalValue(R"(sprintf("%v", [["a", 1]]))") == R"("[\"a\", 1]")");
}

TEST_CASE("json.patch applies RFC 6902 operations to objects, arrays and sets", "[rego][builtins][json]") {
  CHECK(EvalValue(R"(json.patch({"a": {"b": 1}}, [{"op": "add", "path": "/a/c", "value": 2}]))") == R"({"a":{"b":1,"c":2}})");
  CHECK(EvalValue(R"(json.patch({"l": [1, 3]}, [{"op": "add", "path": "/l/1", "value": 2}, {"op": "add", "path": "/l/-", "value": 4}]))") ==
        R"({"l":[1,2,3,4]})");
  CHECK(EvalValue(R"(json.patch({"a": 1, "b": 2}, [{"op": "remove", "path": "/a"}, {"op": "replace", "path": "/b", "value": 3}]))") ==
        R"({"b":3})");
  CHECK(EvalValue(R"(json.patch({"x": {"y": 1}}, [{"op": "move", "from": "/x/y", "path": "/z"}, {"op": "copy", "from": "/z", "path": "/w"}]))") ==
        R"({"w":1,"x":{},"z":1})");
  CHECK(EvalValue(R"(json.patch({"a/b": {"~": 1}}, [{"op": "test", "path": "/a~1b/~0", "value": 1}]))") == R"({"a/b":{"~":1}})");
  CHECK(EvalValue(R"(json.patch({"s": {"a", "b"}}, [{"op": "remove", "path": "s/a"}, {"op": "add", "path": "s/c", "value": "c"}]))") ==
        R"({"s":["b","c"]})");
  CHECK(EvalValue(R"(json.patch({[1]}, [{"op": "add", "path": [[1], 1], "value": 2}]))") == "[[1,2]]");
  // Any operation that cannot apply makes the call undefined.
  for (const char* bad : {R"(json.patch({"a": 1}, [{"op": "remove", "path": "/b"}]))",
                          R"(json.patch({"a": 1}, [{"op": "test", "path": "/a", "value": 2}]))",
                          R"(json.patch([1, 2], [{"op": "add", "path": "/01", "value": 0}]))",
                          R"(json.patch({"s": {"a"}}, [{"op": "add", "path": "s/d", "value": "e"}]))",
                          R"(json.patch({"a": {"b": 1}}, [{"op": "move", "from": "/a", "path": "/a/b/c"}]))",
                          R"(json.patch({}, [{"op": "frobnicate", "path": "/a"}]))"}) {
    INFO(bad);
    CHECK(RunOep({"rego", "eval", std::string("x := ") + bad}).out == "{}\n");
  }
}

TEST_CASE("providers.aws.sign_req signs with AWS Signature Version 4", "[rego][builtins][aws]") {
  // Expected signature computed independently (Python hmac/hashlib) for these values.
  std::string signed_req = EvalValue(
      R"(providers.aws.sign_req({"method": "post", "url": "https://api.example.org/v1/tools?a=1&b=2", "headers": {"X-Trace": "t1"}, "body": {"tool": "read_diff"}}, )"
      R"({"aws_access_key": "AKIDEXAMPLEOEP", "aws_secret_access_key": "oep-secret", "aws_service": "execute-api", "aws_region": "eu-west-1"}, 1767225600000000000))");
  CHECK_THAT(signed_req, Catch::Contains("\"x-amz-date\":\"20260101T000000Z\"") &&
                             Catch::Contains("\"x-amz-content-sha256\":\"5e93f3ff4507adda8a7b4224142d48bda71f4b2a23402498569e6cbfdf8b39b4\"") &&
                             Catch::Contains("\"host\":\"api.example.org\"") && Catch::Contains("\"X-Trace\":\"t1\""));
  CHECK_THAT(signed_req, Catch::Contains("Credential=AKIDEXAMPLEOEP/20260101/eu-west-1/execute-api/aws4_request,"
                                         "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-trace,"
                                         "Signature=84b1bfd22a68fbf61fbd0f55cdf7c9643629aee6553565c4ac591345595bf9cc"));
  CHECK_THAT(EvalValue(R"(providers.aws.sign_req({"url": "https://x"}, {}, 0))"),
             Catch::Contains("operand 1 missing required request parameters(s): {\\\"method\\\"}"));
  CHECK_THAT(EvalValue(R"(providers.aws.sign_req({"method": "get", "url": "https://x"}, {"aws_access_key": 1}, 0))"),
             Catch::Contains("operand 2 missing required AWS config parameters(s)"));
}

TEST_CASE("time built-ins: Go layouts, IANA zones, calendar arithmetic", "[rego][builtins][time]") {
  // Expectations computed independently with Python's datetime and zoneinfo.
  CHECK(EvalValue(R"(time.parse_ns("RFC1123Z", "Mon, 03 Nov 2025 14:05:09 -0500"))") == "1762196709000000000");
  CHECK(EvalValue(R"(time.parse_rfc3339_ns("2026-03-29T00:30:15.25Z"))") == "1774744215250000000");
  CHECK(EvalValue(R"(time.parse_ns("2006-01-02", "2026-02-30"))").find("day out of range") != std::string::npos);
  CHECK(EvalValue(R"(time.parse_duration_ns("1h2m3.5s"))") == "3723500000000");
  CHECK_THAT(EvalValue(R"(time.parse_duration_ns("5 parsecs"))"), Catch::Contains(R"(unknown unit \" parsecs\" in duration)"));
  // Europe/Paris changes to summer time on 2026-03-29 at 01:00 UTC.
  CHECK(EvalValue(R"(time.format([1774744215250000000, "Europe/Paris"]))") == R"("2026-03-29T01:30:15.25+01:00")");
  CHECK(EvalValue(R"(time.format([1774751400000000000, "Europe/Paris", "Monday 15:04 MST"]))") == R"("Sunday 04:30 CEST")");
  CHECK(EvalValue(R"(time.clock([1774751400000000000, "Europe/Paris"]))") == "[4,30,0]");
  CHECK(EvalValue("time.date(1774744215250000000)") == "[2026,3,29]");
  CHECK(EvalValue("time.weekday(1774744215250000000)") == R"("Sunday")");
  CHECK(EvalValue("time.add_date(1706702400000000000, 0, 1, 0)") == "1709380800000000000");  // Jan 31 + 1 month: Mar 2
  CHECK(EvalValue(R"(time.diff(time.parse_rfc3339_ns("2024-01-31T00:00:00Z"), time.parse_rfc3339_ns("2025-03-01T01:02:03Z")))") ==
        "[1,1,1,1,2,3]");
  CHECK_THAT(EvalValue(R"(time.date([0, "Mars/Olympus_Mons"]))"), Catch::Contains("unknown time zone Mars/Olympus_Mons"));
  CHECK_THAT(EvalValue(R"(time.date([0, "../../etc/passwd"]))"), Catch::Contains("unknown time zone"));
  CHECK_THAT(EvalValue("time.weekday(1582977600000000000000)"), Catch::Contains("timestamp too big"));
}

TEST_CASE("io.jwt.encode_sign and encode_sign_raw produce compact JWS tokens", "[rego][builtins][jwt]") {
  // Expected token computed independently with Python's hmac/hashlib/base64.
  const std::string token =
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJvZXAiLCJzY29wZSI6WyJyZWFkX2RpZmYiXX0."
      "e6xSO0nk_DlvfNdML7Av7T7pFJB1sV6OG7D8_ylCC5E";
  const char* jwk = R"({"kty": "oct", "k": "b2VwLXNpZ25pbmcta2V5LTAxMjM0NTY3ODlhYmNkZWY"})";
  CHECK(EvalValue(std::string(R"(io.jwt.encode_sign({"typ": "JWT", "alg": "HS256"}, {"scope": {"read_diff"}, "iss": "oep"}, )") +
                  jwk + ")") == "\"" + token + "\"");
  CHECK(EvalValue(R"(io.jwt.encode_sign_raw(`{"alg":"HS256","typ":"JWT"}`, `{"iss":"oep","scope":["read_diff"]}`, `)" +
                  std::string(jwk) + "`)") == "\"" + token + "\"");
  CHECK(EvalValue(R"(io.jwt.verify_hs256(")" + token + R"(", "oep-signing-key-0123456789abcdef"))") == "true");
  CHECK_THAT(EvalValue(std::string(R"(io.jwt.encode_sign({"alg": "none"}, {}, )") + jwk + ")"),
             Catch::Contains("unknown JWS algorithm: none"));
  CHECK_THAT(EvalValue(std::string(R"(io.jwt.encode_sign_raw(`{"typ":"JWT","alg":"HS256"}`, `not json`, `)") + jwk + "`)"),
             Catch::Contains("type is JWT but payload is not JSON"));
  CHECK_THAT(EvalValue(std::string(R"(io.jwt.encode_sign({"typ": "JWT"}, {}, )") + jwk + ")"),
             Catch::Contains("missing or invalid 'alg' header"));
}

TEST_CASE("json.verify_schema and json.match_schema report as OPA does", "[rego][builtins][json]") {
  const char* schema = R"({"type": "object", "required": ["tool"], "properties": {"tool": {"type": "string"}, "risk": {"type": "integer"}}})";
  CHECK(EvalValue(std::string("json.verify_schema(") + schema + ")") == "[true,null]");
  CHECK(EvalValue(R"(json.verify_schema(`{"type": "tuple"}`))") ==
        R"([false,"jsonschema: has a primitive type that is NOT VALID -- given: /tuple/ Expected valid values are:[array boolean integer number null object string]"])");
  CHECK(EvalValue(std::string(R"(json.match_schema({"tool": "read_diff", "risk": 3}, )") + schema + ")") == "[true,[]]");
  CHECK(EvalValue(std::string(R"(json.match_schema(`{"tool": "read_diff", "risk": "high"}`, )") + schema + ")") ==
        R"([false,[{"desc":"Invalid type. Expected: integer, given: string","error":"risk: Invalid type. Expected: integer, given: string","field":"risk","type":"invalid_type"}]])");
  CHECK(EvalValue(std::string(R"(json.match_schema({"risk": 1}, )") + schema + ")") ==
        R"x([false,[{"desc":"tool is required","error":"(root): tool is required","field":"(root)","type":"required"}]])x");
  CHECK_THAT(EvalValue(R"(json.match_schema({}, {"type": "tuple"}))"), Catch::Contains("NOT VALID -- given: /tuple/"));
}

TEST_CASE("network built-ins are refused outside replay, randomness is consistent within a process", "[rego][builtins][nd]") {
  CHECK_THAT(EvalValue(R"(http.send({"method": "get", "url": "https://example.org"}))"),
             Catch::Contains("network access is disabled"));
  CHECK_THAT(EvalValue(R"(http.send({"method": "get", "bad_key": 1}))"), Catch::Contains("invalid request parameters(s): {\\\"bad_key\\\"}"));
  CHECK_THAT(EvalValue(R"(http.send({"method": "get"}))"), Catch::Contains("missing required request parameters(s): {\\\"url\\\"}"));
  CHECK_THAT(EvalValue(R"(net.lookup_ip_addr("example.org"))"), Catch::Contains("network access is disabled"));
  CHECK(EvalValue(R"(count({rand.intn("k", 1000) | numbers.range(1, 50)[_]}))") == "1");
  CHECK(EvalValue(R"(rand.intn("k", 0))") == "0");
  std::string uuid = EvalValue(R"(uuid.rfc4122("k"))");
  REQUIRE(uuid.size() == 38);
  CHECK(uuid[15] == '4');  // version nibble
  CHECK(std::string("89ab").find(uuid[20]) != std::string::npos);  // RFC 4122 variant
  CHECK(EvalValue(R"(count({uuid.rfc4122("k") | numbers.range(1, 20)[_]}))") == "1");
}

TEST_CASE("operator and encoding error texts, subset of an array, function defaults", "[rego][builtins]") {
  CHECK_THAT(EvalValue("1 - {1}"), Catch::Contains("operand 2 must be number but got set"));
  CHECK_THAT(EvalValue(R"(hex.decode("a0g1"))"), Catch::Contains("invalid byte: U+0067 'g'"));
  CHECK_THAT(EvalValue("numbers.range(1, 2.5)"), Catch::Contains("eval_type_error"));
  CHECK(EvalValue("object.subset([1, 2, 3, 4], {4, 2})") == "true");
  CHECK(EvalValue("object.subset([1, 2], {3})") == "false");
  ScratchDir dir;
  WriteText(dir / "p.rego", "package t\n\nimport rego.v1\n\ndefault f(_) := 1\n\nx := 2\n");
  CHECK_THAT(RunOep({"rego", "eval", "-d", dir / "p.rego", "data.t"}).out, Catch::Contains("\"value\":{\"x\":2}"));
}

TEST_CASE("io.jwt.decode_verify refuses exp and nbf claims that are not numbers", "[rego][builtins][jwt]") {
  for (const char* claim : {"exp", "nbf"}) {
    std::string token = EvalValue(std::string(R"(io.jwt.encode_sign({"alg": "HS256"}, {")") + claim +
                                  R"(": "soon"}, {"kty": "oct", "k": "NDI"}))");
    REQUIRE(token.size() > 2);
    CHECK_THAT(EvalValue("io.jwt.decode_verify(" + token + R"(, {"secret": "42"}))"),
               Catch::Contains(std::string(claim) + " value must be a number"));
  }
}

TEST_CASE("JWT verification names keys it cannot read, as OPA does", "[rego][builtins][jwt]") {
  const std::string token = R"("eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJvZXAifQ.c2ln")";
  auto verify = [&](const std::string& key) { return EvalValue("io.jwt.verify_rs256(" + token + ", `" + key + "`)"); };
  CHECK_THAT(verify("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n"),
             Catch::Contains("failed to parse a PEM certificate"));
  CHECK_THAT(verify("-----BEGIN CERT-----\nbm90IGEgY2VydA==\n-----END CERT-----\n"),
             Catch::Contains("failed to extract a Key from the PEM certificate"));
  CHECK_THAT(verify(R"({"kty": "bogus key type"})"), Catch::Contains("failed to parse a JWK key (set)"));
  CHECK_THAT(verify("neither PEM nor JSON"), Catch::Contains("failed to parse a JWK key (set)"));
}

TEST_CASE("JWS segments must be base64url, the offending byte is named", "[rego][builtins][jwt]") {
  CHECK_THAT(EvalValue(R"(io.jwt.decode("eyJhbGciOiJIU^zI1NiJ9.e30.c2ln"))"),
             Catch::Contains("JWT header had invalid encoding: illegal base64 data at input byte 13"));
  CHECK_THAT(EvalValue(R"(io.jwt.decode("eyJhbGciOiJIUzI1NiJ9.e3/0.c2ln"))"),
             Catch::Contains("JWT payload had invalid encoding: illegal base64 data at input byte 2"));
}

TEST_CASE("uuid.parse reads the time, clock sequence, node and domain of versions 1 and 2", "[rego][builtins]") {
  // Expected values computed by hand from the fields (RFC 4122 section 4.1; DCE 1.1 for v2).
  CHECK(EvalValue(R"(uuid.parse("000003e8-48b9-21ee-b200-325096b39f47"))") ==
        R"({"clocksequence":12800,"domain":"Person","id":1000,"macvariables":"local:unicast","nodeid":"32-50-96-b3-9f-47","time":1693566990121469600,"variant":"RFC4122","version":2})");
  CHECK(EvalValue(R"(uuid.parse("c232ab00-9414-11ec-b3c8-9f6bdeced846"))") ==
        R"({"clocksequence":13256,"macvariables":"local:multicast","nodeid":"9f-6b-de-ce-d8-46","time":1645557742000000000,"variant":"RFC4122","version":1})");
}

TEST_CASE("yaml.unmarshal resolves plain scalars by YAML 1.1's rules, as go-yaml does", "[rego][builtins][yaml]") {
  CHECK(EvalValue(R"(yaml.unmarshal("a: yes\nb: 0x1F\nc: \"1\"\nd: [1, 2.50, ~, -1.5e3]\ne: 017\nf: 1_000\ng: Off\n"))") ==
        R"({"a":true,"b":31,"c":"1","d":[1,2.5,null,-1500],"e":15,"f":1000,"g":false})");
  // Anchors and aliases, block scalars, non-string keys (as their text), the first document.
  CHECK(EvalValue(R"(yaml.unmarshal("base: &b {x: 1}\ncopy: *b\ntext: |\n  two\n  lines\n5: five\n---\nsecond: doc\n"))") ==
        R"({"5":"five","base":{"x":1},"copy":{"x":1},"text":"two\nlines\n"})");
  CHECK(EvalValue(R"(yaml.unmarshal(""))") == "null");
  CHECK_THAT(EvalValue(R"(yaml.unmarshal("[1,2,3"))"), Catch::Contains("yaml: line 1: did not find expected ',' or ']'"));
  CHECK_THAT(EvalValue(R"(yaml.unmarshal("a: .inf"))"), Catch::Contains("cannot be represented in JSON"));
  CHECK(EvalValue(R"([yaml.is_valid("a: [1, 2]"), yaml.is_valid("a: [1"), yaml.is_valid(json.unmarshal("1"))])") == "[true,false,false]");
}

TEST_CASE("yaml.marshal writes block style that reads back to the same value", "[rego][builtins][yaml]") {
  CHECK(EvalValue(R"(yaml.marshal({"a": [1, "true", "x\ny", null, {"b": 2.5}], "k": {2, 1}}))") ==
        R"("a:\n- 1\n- \"true\"\n- |-\n  x\n  y\n- null\n- b: 2.5\nk:\n- 1\n- 2\n")");
  // Strings that would read back as another type are quoted.
  CHECK(EvalValue(R"(yaml.marshal(["yes", "1", "", "~", "plain"]))") == R"("- \"yes\"\n- \"1\"\n- \"\"\n- \"~\"\n- plain\n")");
  CHECK(EvalValue(R"(yaml.unmarshal(yaml.marshal({"s": {1, 2}, "n": [-0.5, 12345678901234567890], "o": {"yes": "no"}})))") ==
        R"({"n":[-0.5,12345678901234567890],"o":{"yes":"no"},"s":[1,2]})");
}

TEST_CASE("strings.render_template runs Go's text/template subset over the variables", "[rego][builtins][template]") {
  CHECK(EvalValue(R"(strings.render_template("{{.a.b}} {{.n}} {{.f}} {{.l}} {{.o}} {{.missing}}", {"a": {"b": "x"}, "n": 2023, "f": 1.5, "l": [1, "y"], "o": {"k": true}}))") ==
        R"("x 2023 1.5 [1 y] map[k:true] <undefined>")");
  CHECK(EvalValue(R"(strings.render_template("{{range $i, $n := .names}}{{if $i}}, {{end}}{{$n}}{{end}}", {"names": ["a", "b", "c"]}))") ==
        R"("a, b, c")");
  CHECK(EvalValue(R"(strings.render_template("{{range .xs}}[{{.}}]{{else}}none{{end}}", {"xs": []}))") == R"("none")");
  CHECK(EvalValue(R"(strings.render_template("{{if eq .role \"admin\"}}all{{else if .ro}}read{{else}}none{{end}}", {"role": "dev", "ro": true}))") ==
        R"("read")");
  CHECK(EvalValue(R"(strings.render_template("{{with .user}}{{.name}}{{end}} {{len .xs}} {{index .m \"k\"}} {{printf \"%s=%v\" .a .n}}", {"user": {"name": "u"}, "xs": [1, 2], "m": {"k": "v"}, "a": "n", "n": 3}))") ==
        R"("u 2 v n=3")");
  CHECK(EvalValue(R"(strings.render_template("a  {{- .x -}}  b {{/* note */}}", {"x": 1}))") == R"("a1b ")");
  CHECK_THAT(EvalValue(R"(strings.render_template("{{if .x}}open", {"x": 1}))"), Catch::Contains("template: unexpected EOF"));
  std::string deep;
  for (int i = 0; i < 2000; ++i) deep += "{{if 1}}";
  CHECK_THAT(EvalValue("strings.render_template(\"" + deep + "\", {})"), Catch::Contains("nested deeper than 400 levels"));
  CHECK_THAT(EvalValue(R"(strings.render_template("{{nope .x}}", {"x": 1}))"), Catch::Contains("function \\\"nope\\\" not defined") ||
                                                                                  Catch::Contains("can't give argument to non-function nope"));
}

TEST_CASE("io.jwt.verify_eddsa checks Ed25519 signatures", "[rego][builtins][jwt]") {
  // The Ed25519 key of RFC 8037, appendix A.1.
  const std::string priv = R"({"kty": "OKP", "crv": "Ed25519", "d": "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})";
  const std::string pub = R"(`{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`)";
  std::string token = R"(io.jwt.encode_sign({"alg": "EdDSA"}, {"sub": "agent"}, )" + priv + ")";
  CHECK(EvalValue("io.jwt.verify_eddsa(" + token + ", " + pub + ")") == "true");
  CHECK(EvalValue("io.jwt.verify_eddsa(concat(\"\", [" + token + ", \"A\"]), " + pub + ")") == "false");  // signature altered
  const std::string other = R"(`{"kty": "OKP", "crv": "Ed25519", "x": "3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08"}`)";
  CHECK(EvalValue("io.jwt.verify_eddsa(" + token + ", " + other + ")") == "false");
}

TEST_CASE("print writes its arguments to stderr, trace is true, opa.runtime reports the environment", "[rego][builtins]") {
  ScratchDir dir;
  WriteText(dir / "p.rego", "package t\np if {\n\ttrace(\"checked\")\n\tprint(\"user\", input.user, input.missing, {\"k\": [1]})\n}\n");
  WriteText(dir / "in.json", R"({"user": "alice"})");
  RunResult r = RunOep({"rego", "eval", "-d", dir / "p.rego", "-i", dir / "in.json", "data.t.p"});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains(R"("value":true)"));
  CHECK(r.err == "user alice <undefined> {\"k\": [1]}\n");
  RunResult env = RunOep({"rego", "eval", "x := opa.runtime().env.OEP_TEST_MARKER"}, {"OEP_TEST_MARKER=42"});
  CHECK_THAT(env.out, Catch::Contains(R"("x":"42")"));
}

TEST_CASE("bits.lsh is exact beyond 64 bits, as OPA's big integers are", "[rego][builtins]") {
  // Expected values: Python's arbitrary-precision integers (2**100, -(2**64), (2**63-1)*2).
  CHECK(EvalValue("[bits.lsh(9223372036854775807, 1), bits.lsh(-3, 2), bits.lsh(1, 100), bits.lsh(-1, 64), bits.lsh(5, 0)]") ==
        "[18446744073709551614,-12,1267650600228229401496703205376,-18446744073709551616,5]");
  CHECK_THAT(EvalValue("bits.lsh(1, 70000)"), Catch::Contains("too large"));
}

TEST_CASE("io.jwt.decode_verify verifies nested tokens layer by layer", "[rego][builtins][jwt]") {
  // An HS256 token whose payload is another HS256 token (header cty JWT, RFC 7519 5.2).
  const std::string key = R"({"kty": "oct", "k": "c2VjcmV0"})";
  std::string inner = R"(io.jwt.encode_sign({"alg": "HS256", "typ": "JWT"}, {"iss": "xxx"}, )" + key + ")";
  std::string outer = R"(io.jwt.encode_sign_raw(`{"alg":"HS256","cty":"JWT"}`, )" + inner + ", `" + key + "`)";
  CHECK(EvalValue("io.jwt.decode_verify(" + outer + R"(, {"secret": "secret"}))") ==
        R"([true,{"alg":"HS256","typ":"JWT"},{"iss":"xxx"}])");
  CHECK(EvalValue("io.jwt.decode_verify(" + outer + R"(, {"secret": "other"}))") == "[false,{},{}]");
  CHECK(EvalValue("io.jwt.decode(" + outer + ")[1] == " + inner) == "true");
}

TEST_CASE("a v0 bundle offers the deprecated built-ins without --v0-compatible and a v1 policy does not", "[rego][builtins]") {
  ScratchDir dir;
  std::filesystem::create_directories(dir / "b");
  WriteText(dir / "b/.manifest", R"({"rego_version": 0})");
  WriteText(dir / "b/p.rego", "package p\nx = cast_array({2, 1})\n");
  RunResult r = RunOep({"rego", "eval", "-b", dir / "b", "data.p.x"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains(R"("value":[1,2])"));
  WriteText(dir / "v1.rego", "package q\nx := cast_array({2, 1})\n");
  r = RunOep({"rego", "eval", "-d", dir / "v1.rego", "data.q.x"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.out, Catch::Contains("undefined function cast_array"));
}
