#include "json/json_cursor.h"

#include <cstring>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "json/json.h"

namespace oep::json {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// The first index from `at` whose byte ends a string's plain run ('"', '\\' or a control
// character), or `size`. Sixteen bytes at a time where the text has them: strings are
// most of what a stored packet holds.
size_t PlainRunEnd(const char* text, size_t at, size_t size) {
#ifdef __SSE2__
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), space = _mm_set1_epi8(0x1F);
  while (at + 16 <= size) {
    __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text + at));
    __m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(block, quote), _mm_cmpeq_epi8(block, backslash)),
                                _mm_cmpeq_epi8(_mm_max_epu8(block, space), space));  // byte <= 0x1F
    int mask = _mm_movemask_epi8(stop);
    if (mask != 0) return at + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
    at += 16;
  }
#endif
  for (; at < size; ++at) {
    unsigned char c = static_cast<unsigned char>(text[at]);
    if (c == '"' || c == '\\' || c < 0x20) return at;
  }
  return size;
}

// The first index from `at` holding '"', '{', '}', '[' or ']', or `size`.
size_t NextStructural(const char* text, size_t at, size_t size) {
#ifdef __SSE2__
  const __m128i quote = _mm_set1_epi8('"'), open_brace = _mm_set1_epi8('{'), close_brace = _mm_set1_epi8('}'),
                open_bracket = _mm_set1_epi8('['), close_bracket = _mm_set1_epi8(']');
  while (at + 16 <= size) {
    __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text + at));
    __m128i hit = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(block, quote), _mm_or_si128(_mm_cmpeq_epi8(block, open_brace), _mm_cmpeq_epi8(block, close_brace))),
        _mm_or_si128(_mm_cmpeq_epi8(block, open_bracket), _mm_cmpeq_epi8(block, close_bracket)));
    int mask = _mm_movemask_epi8(hit);
    if (mask != 0) return at + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
    at += 16;
  }
#endif
  for (; at < size; ++at) {
    char c = text[at];
    if (c == '"' || c == '{' || c == '}' || c == '[' || c == ']') return at;
  }
  return size;
}

}  // namespace

bool JsonCursor::Fail(const char* expected) {
  if (error_.empty()) error_ = "at byte " + std::to_string(pos_) + ": expected " + expected;
  pos_ = text_.size();
  return false;
}

bool JsonCursor::Enter() {
  if (depth_ >= kMaxJsonDepth) return Fail("at most 1000 nested arrays and objects");
  ++depth_;
  ++pos_;
  started_.push_back('\0');
  return true;
}

bool JsonCursor::BeginObject() {
  if (Peek() != '{') return Fail("an object");
  return Enter();
}

bool JsonCursor::BeginArray() {
  if (Peek() != '[') return Fail("an array");
  return Enter();
}

// Before the next member or element of the innermost container: consumes its ',' (or
// its closing bracket, setting *more to false).
bool JsonCursor::ConsumeSeparator(char close, bool* more) {
  if (!ok() || started_.empty()) return Fail("a value inside an array or object");
  char c = Peek();
  if (c == close) {
    ++pos_;
    --depth_;
    started_.pop_back();
    *more = false;
    return true;
  }
  if (started_.back()) {
    if (c != ',') return Fail(close == '}' ? "',' or '}'" : "',' or ']'");
    ++pos_;
  }
  started_.back() = '\1';
  *more = true;
  return true;
}

bool JsonCursor::NextMember(std::string_view* key) {
  bool more = false;
  if (!ConsumeSeparator('}', &more) || !more) return false;
  if (Peek() != '"') return Fail("a member name (a string)");
  if (!ParseStringView(key)) return false;
  if (Peek() != ':') return Fail("':' after the member name");
  ++pos_;
  return true;
}

bool JsonCursor::ParseStringView(std::string_view* out) {
  size_t start = pos_ + 1;
  size_t end = PlainRunEnd(text_.data(), start, text_.size());
  if (end < text_.size() && text_[end] == '"') {
    *out = text_.substr(start, end - start);
    pos_ = end + 1;
    return true;
  }
  if (!ParseString(&key_buffer_)) return false;
  *out = key_buffer_;
  return true;
}

bool JsonCursor::NextElement() {
  bool more = false;
  return ConsumeSeparator(']', &more) && more;
}

bool JsonCursor::ParseString(std::string* out) {
  ++pos_;  // the opening quote
  if (out) out->clear();
  for (;;) {
    size_t start = pos_;
    pos_ = PlainRunEnd(text_.data(), pos_, text_.size());
    if (out) out->append(text_.data() + start, pos_ - start);
    if (pos_ >= text_.size()) return Fail("'\"' closing the string");
    char c = text_[pos_];
    if (c == '"') {
      ++pos_;
      return true;
    }
    if (c != '\\') return Fail("no unescaped control character in a string");
    if (pos_ + 1 >= text_.size()) return Fail("an escape sequence");
    char e = text_[pos_ + 1];
    pos_ += 2;
    char plain = 0;
    switch (e) {
      case '"': plain = '"'; break;
      case '\\': plain = '\\'; break;
      case '/': plain = '/'; break;
      case 'b': plain = '\b'; break;
      case 'f': plain = '\f'; break;
      case 'n': plain = '\n'; break;
      case 'r': plain = '\r'; break;
      case 't': plain = '\t'; break;
      case 'u': break;
      default: pos_ -= 2; return Fail("a valid escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
    }
    if (plain) {
      if (out) out->push_back(plain);
      continue;
    }
    auto hex4 = [&](uint32_t* v) {
      if (pos_ + 4 > text_.size()) return false;
      *v = 0;
      for (int i = 0; i < 4; ++i) {
        int d = HexDigit(text_[pos_ + i]);
        if (d < 0) return false;
        *v = *v * 16 + static_cast<uint32_t>(d);
      }
      pos_ += 4;
      return true;
    };
    uint32_t cp = 0;
    if (!hex4(&cp)) return Fail("four hex digits after \\u");
    if (cp >= 0xDC00 && cp <= 0xDFFF) return Fail("a high surrogate before a low surrogate");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      uint32_t low = 0;
      if (pos_ + 2 > text_.size() || text_[pos_] != '\\' || text_[pos_ + 1] != 'u') return Fail("a low surrogate (\\uDC00-\\uDFFF) after a high one");
      pos_ += 2;
      if (!hex4(&low) || low < 0xDC00 || low > 0xDFFF) return Fail("a low surrogate (\\uDC00-\\uDFFF) after a high one");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    if (out) AppendUtf8(cp, out);
  }
}

bool JsonCursor::ReadString(std::string* out) {
  if (Peek() != '"') return Fail("a string");
  return ParseString(out);
}

bool JsonCursor::ReadNumber(std::string_view* text) {
  char c = Peek();
  if (c != '-' && !IsDigit(c)) return Fail("a number");
  size_t start = pos_;
  if (text_[pos_] == '-') ++pos_;
  if (pos_ < text_.size() && text_[pos_] == '0') {
    ++pos_;
  } else if (pos_ < text_.size() && IsDigit(text_[pos_])) {
    while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
  } else {
    return Fail("a digit");
  }
  if (pos_ < text_.size() && text_[pos_] == '.') {
    ++pos_;
    if (pos_ >= text_.size() || !IsDigit(text_[pos_])) return Fail("a digit after '.'");
    while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
  }
  if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
    ++pos_;
    if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
    if (pos_ >= text_.size() || !IsDigit(text_[pos_])) return Fail("a digit in the exponent");
    while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
  }
  *text = text_.substr(start, pos_ - start);
  return true;
}

bool JsonCursor::ReadLiteral(int* which) {
  char c = Peek();
  auto word = [&](const char* w, int v) {
    size_t n = std::strlen(w);
    if (text_.substr(pos_, n) != w) return Fail("true, false or null");
    pos_ += n;
    *which = v;
    return true;
  };
  if (c == 't') return word("true", 1);
  if (c == 'f') return word("false", 0);
  if (c == 'n') return word("null", -1);
  return Fail("true, false or null");
}

bool JsonCursor::SkipString() {
  size_t end = PlainRunEnd(text_.data(), pos_ + 1, text_.size());
  if (end < text_.size() && text_[end] == '"') {
    pos_ = end + 1;
    return true;
  }
  return ParseString(nullptr);  // escapes or an error: validated from the opening quote
}

bool JsonCursor::SkipValue() {
  char c = Peek();
  switch (c) {
    case '{':
    case '[': break;
    case '"': return SkipString();
    case 't': case 'f': case 'n': {
      int which = 0;
      return ReadLiteral(&which);
    }
    default: {
      if (c != '-' && !IsDigit(c)) return Fail("a value");
      std::string_view number;
      return ReadNumber(&number);
    }
  }
  closers_.clear();
  const char* text = text_.data();
  size_t size = text_.size();
  do {
    pos_ = NextStructural(text, pos_, size);
    if (pos_ >= size) return Fail(closers_.back() == '}' ? "'}' closing the object" : "']' closing the array");
    char s = text[pos_];
    if (s == '"') {
      if (!SkipString()) return false;
    } else if (s == '{' || s == '[') {
      if (depth_ + static_cast<int>(closers_.size()) >= kMaxJsonDepth) return Fail("at most 1000 nested arrays and objects");
      closers_.push_back(s == '{' ? '}' : ']');
      ++pos_;
    } else if (s != closers_.back()) {
      return Fail(closers_.back() == '}' ? "'}' closing the object" : "']' closing the array");
    } else {
      closers_.pop_back();
      ++pos_;
    }
  } while (!closers_.empty());
  return true;
}

bool JsonCursor::SkipValue(std::string_view* span) {
  Peek();
  size_t start = pos_;
  if (!SkipValue()) return false;
  *span = text_.substr(start, pos_ - start);
  return true;
}

bool JsonCursor::ExpectEnd() {
  if (!ok()) return false;
  SkipWhitespace();
  if (pos_ != text_.size()) return Fail("the end of the text after the value");
  return true;
}

}  // namespace oep::json
