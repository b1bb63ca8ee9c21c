// JSON parsing with located errors, and RFC 8785 (JCS) canonical serialization.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "util/status.h"

namespace oep::json {

// JSON Schema's name for the type of `v`: null, boolean, integer, number, string, array, object.
std::string TypeName(const rapidjson::Value& v);

// JSON nested deeper than this is refused before parsing: every walk over a document
// (canonical form, validation, conversion) recurses over its depth.
inline constexpr int kMaxJsonDepth = 1000;
// Numbers with a longer run of digits are refused before parsing: RapidJSON 1.1.0's
// full-precision conversion indexes out of its power table (SIGSEGV) from ~350 fractional
// digits on (found by json_ingest_fuzzer). A double needs at most 17 significant digits.
inline constexpr int kMaxNumberDigits = 300;
// InvalidArgument naming the line and column of the bracket that exceeds kMaxJsonDepth, or
// of the digit that makes a number longer than kMaxNumberDigits.
Status CheckNestingDepth(std::string_view text);

// Parses one JSON text. Invalid UTF-8, a \u escape of a lone UTF-16 surrogate, a raw NUL
// byte, NaN/Infinity literals and trailing content are errors; the message names
// "line L, column C" and what was wrong.
Result<rapidjson::Document> Parse(std::string_view text);

// Parses texts one after another with the rules of Parse, in place and into memory it
// reuses (the hot loop of ingest: no allocation per record). Each call invalidates the
// document the previous call returned. Not thread-safe: one per thread.
class ReusableParser {
 public:
  ReusableParser();
  ReusableParser(const ReusableParser&) = delete;
  ReusableParser& operator=(const ReusableParser&) = delete;
  // `text` must be followed by a NUL byte (text[size] == '\0'); its bytes are overwritten
  // (strings are unescaped in place) and the document's strings point into it.
  Result<const rapidjson::Document*> ParseInPlace(char* text, size_t size);

 private:
  std::unique_ptr<char[]> first_chunk_;
  rapidjson::MemoryPoolAllocator<> pool_;
  rapidjson::Document doc_;
};

// Serializes `value` per RFC 8785: object members sorted by UTF-16 code units,
// ECMAScript number formatting, minimal string escaping. With indent > 0 the same
// member order and scalars are laid out on lines (for people; not canonical bytes).
// Fails, naming the JSON pointer, on duplicate keys or non-finite numbers.
Status Canonicalize(const rapidjson::Value& value, std::string* out, int indent = 0);
// The canonical form; a value that has none (duplicate keys or a non-finite number, which
// only unvalidated input holds) is written as it is, for messages. Never fails.
std::string CanonicalText(const rapidjson::Value& value);

// Appends `s` (valid UTF-8) as an RFC 8785 JSON string, quotes included.
void AppendCanonicalString(std::string_view s, std::string* out);

// Formats a finite double as ECMAScript Number::toString does (RFC 8785 section 3.2.2.3).
std::string FormatNumber(double d);

// "/a/b~1c" style pointer segment escaping (RFC 6901).
std::string EscapePointerSegment(std::string_view segment);

// Looks up a dotted path ("decision.allow", "spans.0.name") in `root`; nullptr when absent.
const rapidjson::Value* FindDotted(const rapidjson::Value& root, std::string_view path);

// Convenience accessors: return `fallback` when the member is absent or of another type.
std::string GetString(const rapidjson::Value& obj, const char* key, std::string fallback = "");
const rapidjson::Value* GetMember(const rapidjson::Value& obj, const char* key);

}  // namespace oep::json
