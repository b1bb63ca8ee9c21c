// JsonCursor walks and skips strict JSON; rego::ReadJsonValue builds values from it the
// way Value::FromRapid does from a RapidJSON tree.
#include <string>

#include <catch2/catch.hpp>

#include "json/json.h"
#include "json/json_cursor.h"
#include "rego/value.h"
#include "rego/value_reader.h"

using oep::json::JsonCursor;
using oep::rego::ReadJsonValueText;
using oep::rego::Value;

namespace {

std::string ReadError(const std::string& text) {
  auto v = ReadJsonValueText(text, "t");
  return v.ok() ? "<read>" : v.status().message();
}

}  // namespace

TEST_CASE("the cursor reads chosen members and skips the rest", "[json]") {
  JsonCursor c(R"( {"a": {"x": [1, {"y": "}"}], "z": null}, "b" : "two\n\u00e9\ud83d\ude00", "c": -1.5e3} )");
  REQUIRE(c.BeginObject());
  std::string b;
  std::string_view key, span, number;
  REQUIRE(c.NextMember(&key));
  CHECK(key == "a");
  REQUIRE(c.SkipValue(&span));
  CHECK(span == R"({"x": [1, {"y": "}"}], "z": null})");
  REQUIRE(c.NextMember(&key));
  CHECK(key == "b");
  REQUIRE(c.ReadString(&b));
  CHECK(b == "two\n\xc3\xa9\xf0\x9f\x98\x80");
  REQUIRE(c.NextMember(&key));
  REQUIRE(c.ReadNumber(&number));
  CHECK(number == "-1.5e3");
  CHECK_FALSE(c.NextMember(&key));
  CHECK(c.ok());
  CHECK(c.ExpectEnd());
}

TEST_CASE("the cursor stops at malformed JSON naming the byte and the expectation", "[json][bad-input]") {
  CHECK(ReadError(R"({"a" 1})") == "t: at byte 5: expected ':' after the member name");
  CHECK(ReadError(R"({"a":1,})") == "t: at byte 7: expected a member name (a string)");
  CHECK(ReadError(R"([1 2])") == "t: at byte 3: expected ',' or ']'");
  CHECK(ReadError(R"(["a)") == "t: at byte 3: expected '\"' closing the string");
  CHECK(ReadError("[\"a\x01\"]") == "t: at byte 3: expected no unescaped control character in a string");
  CHECK(ReadError(R"(["\x"])") == "t: at byte 2: expected a valid escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
  CHECK(ReadError(R"(["\udc00"])") == "t: at byte 8: expected a high surrogate before a low surrogate");
  CHECK(ReadError(R"(["\ud800x"])") == "t: at byte 8: expected a low surrogate (\\uDC00-\\uDFFF) after a high one");
  CHECK(ReadError("01") == "t: at byte 1: expected the end of the text after the value");
  CHECK(ReadError("1.") == "t: at byte 2: expected a digit after '.'");
  CHECK(ReadError("-") == "t: at byte 1: expected a digit");
  CHECK(ReadError("tru") == "t: at byte 0: expected true, false or null");
  CHECK(ReadError("") == "t: at byte 0: expected a number");
  CHECK(ReadError("[1] x") == "t: at byte 4: expected the end of the text after the value");
  CHECK(ReadError(std::string(1001, '[') + std::string(1001, ']')) ==
        "t: at byte 1000: expected at most 1000 nested arrays and objects");
  CHECK(ReadError(std::string(1000, '[') + std::string(1000, ']')) == "<read>");
}

TEST_CASE("values read from text equal those converted from a RapidJSON tree", "[json][rego]") {
  for (const char* text : {R"({"b": [1, -2, 0.04, 1e2, 123456789012345678, 9223372036854775807], "a": {"t": true, "f": false, "n": null}})",
                           R"([" \"\\\/\b\f\n\r\t\u0001", "\u00e9"])", R"({"k": 1, "k": 2})", "18446744073709551615",
                           "-9223372036854775808"}) {
    INFO(text);
    auto doc = oep::json::Parse(text);
    auto read = ReadJsonValueText(text, "t");
    if (std::string(text).find("\"k\"") != std::string::npos) {
      REQUIRE(read.ok());  // json::Parse refuses duplicate keys; the reader keeps the last
      CHECK(read->ToJson() == R"({"k":2})");
      continue;
    }
    REQUIRE(doc.ok());
    REQUIRE(read.ok());
    CHECK(*read == Value::FromRapid(*doc));
    CHECK(read->ToJson() == Value::FromRapid(*doc).ToJson());
  }
  auto big = ReadJsonValueText("18446744073709551616", "t");
  REQUIRE(big.ok());
  CHECK(big->ToJson() == "18446744073709551616");  // beyond uint64, still exact
}

TEST_CASE("skipping a container checks its brackets and strings", "[json][bad-input]") {
  auto skip = [](const std::string& text) {
    JsonCursor c(text);
    return c.SkipValue() && c.ExpectEnd() ? std::string("<skipped>") : c.error();
  };
  CHECK(skip(R"({"a": [1, {"b": "]}"}], "c": null})") == "<skipped>");
  CHECK(skip(R"({"a": [1, 2}})") == "at byte 11: expected ']' closing the array");
  CHECK(skip(R"({"a": [1, 2])") == "at byte 12: expected '}' closing the object");
  CHECK(skip(R"({"a": "\q"})") == "at byte 7: expected a valid escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
  CHECK(skip(std::string(1001, '[') + std::string(1001, ']')) == "at byte 1000: expected at most 1000 nested arrays and objects");
}
