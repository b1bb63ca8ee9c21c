// json::Parse and ReusableParser refuse what RapidJSON would accept silently.
#include <string>

#include <catch2/catch.hpp>

#include "json/json.h"

using oep::json::Parse;
using namespace std::string_literals;

namespace {

std::string ParseError(const std::string& text) {
  auto doc = Parse(text);
  if (doc.ok()) return "<parsed>";
  return doc.status().message();
}

std::string InPlaceError(std::string text) {
  oep::json::ReusableParser parser;
  auto doc = parser.ParseInPlace(text.data(), text.size());
  return doc.ok() ? "<parsed>" : doc.status().message();
}

}  // namespace

TEST_CASE("a lone low surrogate escape is refused at its position", "[json][bad-input]") {
  CHECK(ParseError(R"({"a": "x\udc00"})") ==
        "line 1, column 9: lone surrogate \\udc00 (a low surrogate without a high one before it); expected a "
        "UTF-16 surrogate pair or a character that is not a surrogate");
  CHECK_THAT(InPlaceError("{\n \"a\": \"\\uDFFF\"}"), Catch::StartsWith("line 2, column 8: lone surrogate \\uDFFF"));
}

TEST_CASE("a high surrogate escape not followed by a low one is refused", "[json][bad-input]") {
  CHECK_THAT(ParseError(R"(["\ud800"])"), Catch::Contains("lone surrogate \\ud800 (a high surrogate not followed"));
  CHECK_THAT(ParseError(R"(["\ud800\u0041"])"), Catch::Contains("lone surrogate \\ud800"));
  CHECK_THAT(ParseError(R"(["\ud800\ud800"])"), Catch::Contains("column 3: lone surrogate \\ud800"));
  CHECK_THAT(ParseError(R"(["\udbff x"])"), Catch::Contains("lone surrogate"));
}

TEST_CASE("surrogate pairs and escaped backslashes before a u still parse", "[json]") {
  auto doc = Parse(R"(["\ud83d\ude00", "\\udc00", "\\\ud83d\ude00"])");
  REQUIRE(doc.ok());
  CHECK(std::string((*doc)[0].GetString()) == "\xF0\x9F\x98\x80");
  CHECK(std::string((*doc)[1].GetString()) == "\\udc00");
  CHECK(std::string((*doc)[2].GetString()) == "\\\xF0\x9F\x98\x80");
}

TEST_CASE("a raw NUL byte is refused with its position, not ignored with what follows", "[json][bad-input]") {
  CHECK(ParseError("{\"a\": 1}\0{\"b\": 2}"s) ==
        "line 1, column 9: NUL byte at offset 8; expected JSON text (write U+0000 inside a string as \\u0000)");
  CHECK_THAT(ParseError("{\"a\":\n \"x\0y\"}"s), Catch::StartsWith("line 2, column 4: NUL byte at offset 9"));
  CHECK_THAT(InPlaceError("[1]\0garbage"s), Catch::Contains("NUL byte at offset 3"));
  auto escaped = Parse(R"(["a\u0000b"])");
  REQUIRE(escaped.ok());
  CHECK((*escaped)[0].GetStringLength() == 3);
}

TEST_CASE("a UTF-8 sequence cut off by the end of the text is refused before the reader runs past it",
          "[json][bad-input]") {
  // Parsed in place, the text ends at its NUL; RapidJSON's encoding check read beyond it.
  CHECK_THAT(InPlaceError("[\"\xf1\x86"), Catch::Contains("line 1, column 3: invalid UTF-8 encoding: a multi-byte"));
  CHECK_THAT(ParseError("\"\xe2\x82"), Catch::Contains("cut off by the end of the text"));
  CHECK_THAT(ParseError("\"\xc3"), Catch::Contains("cut off"));
  CHECK_THAT(InPlaceError("\"x\xf1\r"), Catch::Contains("line 1, column 3: invalid UTF-8 encoding"));  // lead, then any byte
  CHECK_THAT(InPlaceError("\"x\xe2\r"), Catch::Contains("column 3: invalid UTF-8 encoding"));
  CHECK(ParseError("\"\xe2\x82\xac\"") == "<parsed>");
}

TEST_CASE("a number with more than 300 digits is refused before the reader converts it", "[json][bad-input]") {
  // 0.000...0 with 350 zeros crashed RapidJSON's full-precision conversion (SIGSEGV).
  CHECK_THAT(ParseError("[0." + std::string(350, '0') + "]"),
             Catch::Contains("line 1, column 304: a number with more than 300 digits in a row"));
  CHECK_THAT(InPlaceError("0." + std::string(4000, '0')), Catch::Contains("more than 300 digits"));
  CHECK(ParseError("[\"" + std::string(400, '7') + "\", 0." + std::string(299, '0') + "1]") == "<parsed>");
}

TEST_CASE("a number below the smallest double is refused before the reader converts it", "[json][bad-input]") {
  // 4.111111111111111e-335 crashed RapidJSON's full-precision conversion (SIGSEGV); it would
  // be stored as 0 anyway.
  CHECK_THAT(ParseError("{\"x\": [1, 4.111111111111111e-335]}"),
             Catch::Contains("line 1, column 11: the number 4.111111111111111e-335 is smaller than the smallest double"));
  CHECK_THAT(InPlaceError("0.0000001e-320"), Catch::Contains("smaller than the smallest double"));
  // The smallest doubles, zeros with any exponent, and "e-" inside strings still parse.
  for (const char* ok : {"4.9e-324", "1.2345678901234567e-324", "12345678901234567890123e-345", "0e-400", "-0.0E-999",
                         "{\"a\": \"e-mail 1e-999\"}", "[2.5e-3, 1E-7]"}) {
    INFO(ok);
    CHECK(ParseError(ok) == "<parsed>");
  }
}

TEST_CASE("CanonicalText never fails: a value without a canonical form is written as it is", "[json]") {
  // oep ingest aborted (SIGABRT) naming a schema_version object with duplicate keys in its
  // error message (found by json_ingest_fuzzer).
  auto doc = Parse(R"({"a": {"k": 1, "k": 2}})");
  REQUIRE(doc.ok());
  CHECK(oep::json::CanonicalText((*doc)["a"]) == R"({"k":1,"k":2})");
  CHECK(oep::json::CanonicalText((*doc)) == R"({"a":{"k":1,"k":2}})");
}

TEST_CASE("numbers RapidJSON cannot convert safely are converted exactly", "[json]") {
  // Each made RapidJSON 1.1's own conversion undefined behaviour under UBSan (clz of 0,
  // signed overflow and a table index out of range in its DiyFp code); oep converts numbers
  // itself, and these are ordinary valid JSON.
  auto canonical = [](const std::string& text) {
    auto doc = Parse(text);
    return doc.ok() ? oep::json::CanonicalText(*doc) : doc.status().message();
  };
  CHECK(canonical("[0." + std::string(30, '0') + "]") == "[0]");
  CHECK(canonical("[-0e-34, 0.0e-99999]") == "[0,0]");  // RFC 8785 writes -0 as 0
  CHECK(canonical("[5.0006060006800040620000047e-300]") == "[5.0006060006800043e-300]");  // as Python's float()
  CHECK(canonical("-0.0700000000001000000200001080009002500000070009006000059000100000700005003007004006000400270970050") ==
        "-0.0700000000001");
  CHECK(canonical("[1" + std::string(299, '0') + "]") == "[1e+299]");
  // Integers keep RapidJSON's classes: int64, uint64, else double.
  CHECK(canonical("[-9223372036854775808, 18446744073709551615, 18446744073709551616, -9223372036854775809]") ==
        "[-9223372036854775808,18446744073709551615,18446744073709552000,-9223372036854776000]");
  CHECK(canonical("[1.0, 1e2, -0]") == "[1,100,0]");
}

TEST_CASE("a number too large for a double is refused where it starts", "[json][bad-input]") {
  CHECK(ParseError("[1, 1e309]") == "line 1, column 5: malformed JSON: Number too big to be stored in double.");
  CHECK(ParseError("{\n \"a\": -2e400}") == "line 2, column 7: malformed JSON: Number too big to be stored in double.");
  CHECK(InPlaceError("[1e999]") == "line 1, column 2: malformed JSON: Number too big to be stored in double.");
}
