// A forward reader over JSON text for callers that want a few members of a large document:
// it walks objects and arrays member by member and skips the rest without building a
// tree. Strict JSON (RFC 8259): anything else stops the cursor with an error naming the
// byte offset and what was expected; after an error every call returns false.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace oep::json {

class JsonCursor {
 public:
  explicit JsonCursor(std::string_view text) : text_(text) {}

  // The next value's first character after whitespace ('{', '[', '"', 't', 'f', 'n', a
  // digit or '-'), or '\0' at the end of the text or after an error.
  char Peek() {
    // Canonical JSON (every stored body) has no whitespace: a byte above ' ' is the answer.
    if (pos_ < text_.size() && static_cast<unsigned char>(text_[pos_]) > ' ') return text_[pos_];
    SkipWhitespace();
    return pos_ < text_.size() ? text_[pos_] : '\0';  // an error moved pos_ to the end
  }

  // Objects: BeginObject consumes '{'; NextMember reads the next key and its ':' and
  // returns true, or consumes the closing '}' and returns false. The caller reads or skips
  // the member's value before the next NextMember.
  // `key` views the text, or (for a name with escapes) a buffer of the cursor's; either
  // stays valid until the next call.
  bool BeginObject();
  bool NextMember(std::string_view* key);
  // Arrays: BeginArray consumes '['; NextElement returns true before each element and
  // false after consuming the closing ']'.
  bool BeginArray();
  bool NextElement();

  bool ReadString(std::string* out);         // a string value, escapes decoded
  bool ReadNumber(std::string_view* text);   // a number value, as written
  bool ReadLiteral(int* which);              // true, false or null: 1, 0, -1
  // Any value. Scalars, and strings inside arrays and objects, are validated; of an array
  // or object otherwise only the nesting of its brackets is (the text between strings is
  // passed over at the speed of a memchr): skipping is for text already known to be JSON,
  // such as stored canonical bodies.
  bool SkipValue();
  bool SkipValue(std::string_view* span);    // and the text it spanned

  // The text after the top-level value must be whitespace only.
  bool ExpectEnd();

  bool ok() const { return error_.empty(); }
  // "at byte N: expected ..." (empty while ok).
  const std::string& error() const { return error_; }
  size_t offset() const { return pos_; }

 private:
  void SkipWhitespace() {
    while (pos_ < text_.size() && IsWhitespace(text_[pos_])) ++pos_;
  }
  static bool IsWhitespace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
  bool Fail(const char* expected);
  bool ConsumeSeparator(char close, bool* more);
  bool Enter();
  bool ParseString(std::string* out);  // out may be nullptr: validate and skip
  bool SkipString();  // at '"': past the closing quote (a plain string without a copy)
  // A string without escapes as a view of the text; else decoded into key_buffer_.
  bool ParseStringView(std::string_view* out);

  std::string_view text_;
  size_t pos_ = 0;
  int depth_ = 0;
  // Per open container: whether a member/element has been read (so a ',' is due).
  std::string started_;
  std::string error_;
  std::string key_buffer_;
  std::string closers_;  // SkipValue's bracket stack
};

}  // namespace oep::json
