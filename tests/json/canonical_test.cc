#include <cstring>
#include <fstream>
#include <sstream>

#include <limits>

#include <catch2/catch.hpp>

#include "json/json.h"
#include "rego/value.h"
#include "support/support.h"

using oep::json::Canonicalize;
using oep::json::Parse;

namespace {

std::string Canon(const std::string& text) {
  auto doc = Parse(text);
  REQUIRE(doc.ok());
  std::string out;
  REQUIRE(Canonicalize(*doc, &out).ok());
  return out;
}

}  // namespace

TEST_CASE("canonical form sorts keys and drops whitespace", "[json]") {
  CHECK(Canon(R"({ "b": 1, "a": [true, null, "x"] })") == R"({"a":[true,null,"x"],"b":1})");
}

TEST_CASE("canonical form escapes only what RFC 8785 requires", "[json]") {
  CHECK(Canon(R"(["\u0001\n\"\\/\u007f\u2028"])") == "[\"\\u0001\\n\\\"\\\\/\x7f\xe2\x80\xa8\"]");
}

TEST_CASE("canonical key order is by UTF-16 code units", "[json]") {
  // U+1F602 (surrogates D83D DE02) sorts before U+FB33 in UTF-16, after it in code points.
  CHECK(Canon(R"({"\ufb33":1,"\ud83d\ude02":2})") == "{\"\xf0\x9f\x98\x82\":2,\"\xef\xac\xb3\":1}");
}

TEST_CASE("numbers use ECMAScript formatting", "[json]") {
  CHECK(oep::json::FormatNumber(1.0) == "1");
  CHECK(oep::json::FormatNumber(-0.0) == "0");
  CHECK(oep::json::FormatNumber(1e21) == "1e+21");
  CHECK(oep::json::FormatNumber(1e20) == "100000000000000000000");
  CHECK(oep::json::FormatNumber(0.000001) == "0.000001");
  CHECK(oep::json::FormatNumber(1e-7) == "1e-7");
  CHECK(oep::json::FormatNumber(0.1 + 0.2) == "0.30000000000000004");
  CHECK(Canon("[1.50, 1E2, -0, 1e21]") == "[1.5,100,0,1e+21]");
}

TEST_CASE("integers keep their exact value up to 64 bits (beyond RFC 8785's doubles)", "[json]") {
  // An OPA input's numbers must reach the policy unchanged: 2^53 + 1 is not a double.
  CHECK(Canon("[9007199254740993, -9223372036854775808, 18446744073709551615]") ==
        "[9007199254740993,-9223372036854775808,18446744073709551615]");
  // Integral numbers written as decimals or exponents are doubles, as RFC 8785 prints them.
  CHECK(Canon("[9007199254740993.0, 1E2]") == "[9007199254740992,100]");
}

TEST_CASE("duplicate keys are refused with their JSON pointer", "[json]") {
  auto doc = Parse(R"({"a":{"k":1,"k":2}})");
  REQUIRE(doc.ok());
  std::string out;
  auto s = Canonicalize(*doc, &out);
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::Contains("/a/k") && Catch::Contains("duplicate"));
  // Array indexes and escaped names (RFC 6901) in the pointer.
  auto nested = Parse(R"({"x":[{},{"k/~":1,"k/~":2}],"y":0})");
  REQUIRE(nested.ok());
  out.clear();
  CHECK(Canonicalize(*nested, &out).message() == "/x/1/k~1~0: duplicate object key (RFC 8785 requires unique keys)");
}

TEST_CASE("a non-finite number built in code is refused with its JSON pointer", "[json]") {
  auto doc = Parse(R"({"a":[1,2],"b":true})");
  REQUIRE(doc.ok());
  (*doc)["a"][1].SetDouble(std::numeric_limits<double>::infinity());
  std::string out;
  CHECK(Canonicalize(*doc, &out).message() == "/a/1: number is not finite (RFC 8785 cannot represent it)");
}

TEST_CASE("parse errors name line and column", "[json]") {
  auto doc = Parse("{\n  \"a\": 1,\n  \"b\": }\n");
  REQUIRE_FALSE(doc.ok());
  CHECK_THAT(doc.status().message(), Catch::StartsWith("line 3, column 8"));
}

TEST_CASE("invalid UTF-8, lone surrogates, NaN and trailing content are parse errors", "[json]") {
  CHECK_FALSE(Parse("[\"\xff\xfe\"]").ok());
  CHECK_FALSE(Parse(R"(["\ud800"])").ok());
  CHECK_FALSE(Parse("[NaN]").ok());
  CHECK_FALSE(Parse("[1e400]").ok());
  CHECK_FALSE(Parse("{} {}").ok());
}

TEST_CASE("indented output keeps canonical order and scalars", "[json]") {
  auto doc = Parse(R"({"b":[1,2],"a":{}})");
  REQUIRE(doc.ok());
  std::string out;
  REQUIRE(Canonicalize(*doc, &out, 2).ok());
  CHECK(out == "{\n  \"a\": {},\n  \"b\": [\n    1,\n    2\n  ]\n}");
}

TEST_CASE("dotted lookup walks objects and arrays", "[json]") {
  auto doc = Parse(R"({"a":{"b":[{"c":"x"}]}})");
  REQUIRE(doc.ok());
  const auto* v = oep::json::FindDotted(*doc, "a.b.0.c");
  REQUIRE(v != nullptr);
  CHECK(std::string(v->GetString()) == "x");
  CHECK(oep::json::FindDotted(*doc, "a.b.1") == nullptr);
  CHECK(oep::json::FindDotted(*doc, "a.z") == nullptr);
}

TEST_CASE("RFC 8785 vectors canonicalize byte for byte", "[json][corpus]") {
  std::string dir = oep::test::CorpusDir("jcs");
  if (dir.empty()) {
    WARN("skipped: ../shared/corpus/jcs is absent");
    return;
  }
  for (const char* name : {"arrays", "french", "structures", "unicode", "values", "weird"}) {
    INFO(name);
    std::string input = oep::test::ReadText(dir + "/input/" + name + ".json");
    std::string expected = oep::test::ReadText(dir + "/output/" + name + ".json");
    CHECK(Canon(input) == expected);
  }
}

TEST_CASE("ES6 number serialization matches 10,000 vectors", "[json][corpus]") {
  std::string dir = oep::test::CorpusDir("jcs");
  if (dir.empty()) {
    WARN("skipped: ../shared/corpus/jcs is absent");
    return;
  }
  std::ifstream in(dir + "/es6-numbers-10k.txt");
  std::string line;
  int lines = 0, failures = 0;
  while (std::getline(in, line)) {
    ++lines;
    size_t comma = line.find(',');
    uint64_t bits = std::stoull(line.substr(0, comma), nullptr, 16);
    double d;
    std::memcpy(&d, &bits, sizeof d);
    std::string got = oep::json::FormatNumber(d);
    if (got != line.substr(comma + 1)) {
      if (++failures <= 5) FAIL_CHECK(line << " -> " << got);
    }
  }
  CHECK(lines == 10000);
  CHECK(failures == 0);
}

TEST_CASE("string escaping is exact wherever the escaped byte falls in a word", "[json]") {
  // Reference: byte by byte, RFC 8785's rule.
  auto reference = [](std::string_view s) {
    std::string out = "\"";
    for (unsigned char c : s) {
      if (c == '"') out += "\\\"";
      else if (c == '\\') out += "\\\\";
      else if (c == '\n') out += "\\n";
      else if (c == '\t') out += "\\t";
      else if (c == '\r') out += "\\r";
      else if (c == '\b') out += "\\b";
      else if (c == '\f') out += "\\f";
      else if (c < 0x20) out += std::string("\\u00") + "0123456789abcdef"[c >> 4] + "0123456789abcdef"[c & 15];
      else out += static_cast<char>(c);
    }
    return out + "\"";
  };
  for (size_t len = 0; len <= 24; ++len) {
    for (size_t at = 0; at < std::max<size_t>(len, 1); ++at) {
      for (char special : {'"', '\\', '\n', '\x01', '\x1f', '\x7f', '\xc3', ' ', '!', '#', '[', ']'}) {
        std::string s(len, 'a');
        if (len > 0) s[at] = special;
        std::string got;
        oep::json::AppendCanonicalString(s, &got);
        INFO("len " << len << " at " << at << " byte " << static_cast<int>(static_cast<unsigned char>(special)));
        CHECK(got == reference(s));
      }
    }
  }
}

TEST_CASE("nesting depth is bounded, with the offending bracket located", "[json]") {
  auto nested = [](int depth) { return std::string(static_cast<size_t>(depth), '[') + std::string(static_cast<size_t>(depth), ']'); };
  CHECK(oep::json::Parse(nested(1000)).ok());
  auto deep = oep::json::Parse("\n" + nested(1001));
  REQUIRE_FALSE(deep.ok());
  CHECK_THAT(deep.status().message(), Catch::Contains("line 2, column 1001") && Catch::Contains("1000 levels"));
  // Brackets inside strings do not count.
  CHECK(oep::json::Parse("[\"" + std::string(5000, '[') + "\\\"[\"]").ok());
  CHECK_FALSE(oep::rego::Value::FromJsonText(nested(1001)).ok());
}
