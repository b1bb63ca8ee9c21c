#include "json/json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <deque>
#include <optional>
#include <type_traits>
#include <vector>

#include <rapidjson/encodedstream.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <rapidjson/error/en.h>

namespace oep::json {
namespace {


// Decodes UTF-8 (already validated) into UTF-16 code units for RFC 8785 key ordering.
void AppendUtf16(std::string_view s, std::u16string* out) {
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    uint32_t cp;
    int len;
    if (c < 0x80) { cp = c; len = 1; }
    else if ((c >> 5) == 0x6) { cp = c & 0x1F; len = 2; }
    else if ((c >> 4) == 0xE) { cp = c & 0x0F; len = 3; }
    else { cp = c & 0x07; len = 4; }
    for (int k = 1; k < len && i + k < s.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    i += len;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out->push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
      out->push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      out->push_back(static_cast<char16_t>(cp));
    }
  }
}

bool IsAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// True when a sorts before b in UTF-16 code-unit order.
bool Utf16Less(std::string_view a, std::string_view b) {
  if (IsAscii(a) && IsAscii(b)) return a < b;
  std::u16string ua, ub;
  AppendUtf16(a, &ua);
  AppendUtf16(b, &ub);
  return ua < ub;
}

// Bytes that RFC 8785 escapes: '"', '\\' and controls below 0x20.
bool NeedsEscape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

// Whether any of the 8 bytes of `w` may need escaping (exact when false): SWAR tests for a
// byte below 0x20, equal to '"' or equal to '\\'.
bool WordMayNeedEscape(uint64_t w) {
  constexpr uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
  auto has_zero = [&](uint64_t v) { return (v - kOnes) & ~v & kHigh; };
  return ((w - kOnes * 0x20) & ~w & kHigh) | has_zero(w ^ (kOnes * '"')) | has_zero(w ^ (kOnes * '\\'));
}

void AppendEscapedString(std::string_view s, std::string* out) {
  static const char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t run = 0;  // start of the pending run of bytes copied verbatim
  for (size_t i = 0; i < s.size(); ++i) {
    // Skip whole words of plain bytes (hashes, ids, most text).
    while (i + 8 <= s.size()) {
      uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      if (WordMayNeedEscape(w)) break;
      i += 8;
    }
    if (i >= s.size()) break;
    auto c = static_cast<unsigned char>(s[i]);
    if (!NeedsEscape(c)) continue;
    out->append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        out->append("\\u00");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 0xF]);
    }
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
}

// Writes RFC 8785 canonical JSON. The JSON pointer of the value being written is kept as a
// stack of cheap steps and spelled out only for an error message.
class CanonicalWriter {
 public:
  CanonicalWriter(std::string* out, int indent) : out_(out), indent_(indent) {}

  Status Write(const rapidjson::Value& v, int depth) {
    switch (v.GetType()) {
      case rapidjson::kNullType: out_->append("null"); return Status::Ok();
      case rapidjson::kFalseType: out_->append("false"); return Status::Ok();
      case rapidjson::kTrueType: out_->append("true"); return Status::Ok();
      case rapidjson::kStringType:
        AppendEscapedString(std::string_view(v.GetString(), v.GetStringLength()), out_);
        return Status::Ok();
      case rapidjson::kNumberType: return WriteNumber(v);
      case rapidjson::kArrayType: return WriteArray(v, depth);
      case rapidjson::kObjectType: return WriteObject(v, depth);
    }
    return Status::Ok();
  }

 private:
  struct Step {
    std::string_view key;  // an object member's name, or
    size_t index;          // an array element's index (when key.data() is null)
  };

  std::string Pointer() const {
    std::string out;
    for (const Step& s : path_) out += "/" + (s.key.data() ? EscapePointerSegment(s.key) : std::to_string(s.index));
    return out;
  }

  Status WriteNumber(const rapidjson::Value& v) {
    // Integers keep their exact value up to 64 bits: RFC 8785 would print 2^53 + 1 as
    // 9007199254740992, and an OPA input's numbers must reach the policy unchanged.
    if (v.IsInt64() || v.IsUint64()) {
      char buf[32];
      auto r = v.IsInt64() ? std::to_chars(buf, buf + sizeof buf, v.GetInt64())
                           : std::to_chars(buf, buf + sizeof buf, v.GetUint64());
      out_->append(buf, r.ptr);
      return Status::Ok();
    }
    double d = v.GetDouble();
    if (!std::isfinite(d)) {
      std::string pointer = Pointer();
      return Status::InvalidArgument((pointer.empty() ? "/" : pointer) + ": number is not finite (RFC 8785 cannot represent it)");
    }
    out_->append(FormatNumber(d));
    return Status::Ok();
  }

  void Newline(int depth) {
    if (indent_ <= 0) return;
    out_->push_back('\n');
    out_->append(static_cast<size_t>(depth * indent_), ' ');
  }

  Status WriteArray(const rapidjson::Value& v, int depth) {
    out_->push_back('[');
    path_.push_back({});
    for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
      if (i) out_->push_back(',');
      Newline(depth + 1);
      path_.back().index = i;
      OEP_RETURN_IF_ERROR(Write(v[i], depth + 1));
    }
    path_.pop_back();
    if (v.Size()) Newline(depth);
    out_->push_back(']');
    return Status::Ok();
  }

  struct Key {
    std::string_view name;
    bool ascii;
    const rapidjson::Value* value;
  };

  static bool KeyLess(const Key& a, const Key& b) {
    if (a.ascii && b.ascii) return a.name < b.name;
    return Utf16Less(a.name, b.name);
  }

  Status WriteObject(const rapidjson::Value& v, int depth) {
    // One key buffer per nesting depth, reused across the objects at that depth.
    if (keys_by_depth_.size() <= static_cast<size_t>(depth)) keys_by_depth_.resize(static_cast<size_t>(depth) + 1);
    std::vector<Key>& keys = keys_by_depth_[static_cast<size_t>(depth)];
    keys.clear();
    for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
      std::string_view name(it->name.GetString(), it->name.GetStringLength());
      keys.push_back({name, IsAscii(name), &it->value});
    }
    if (!std::is_sorted(keys.begin(), keys.end(), KeyLess)) std::sort(keys.begin(), keys.end(), KeyLess);
    out_->push_back('{');
    path_.push_back({});
    for (size_t i = 0; i < keys.size(); ++i) {
      path_.back().key = keys[i].name;
      if (i > 0 && keys[i].name == keys[i - 1].name) {
        return Status::InvalidArgument(Pointer() + ": duplicate object key (RFC 8785 requires unique keys)");
      }
      if (i) out_->push_back(',');
      Newline(depth + 1);
      AppendEscapedString(keys[i].name, out_);
      out_->push_back(':');
      if (indent_ > 0) out_->push_back(' ');
      OEP_RETURN_IF_ERROR(Write(*keys[i].value, depth + 1));
    }
    path_.pop_back();
    if (!keys.empty()) Newline(depth);
    out_->push_back('}');
    return Status::Ok();
  }

  std::string* out_;
  int indent_;
  std::vector<Step> path_;
  std::deque<std::vector<Key>> keys_by_depth_;  // growing keeps references to earlier depths valid
};

}  // namespace

// True when every byte is below 0x80 (8 bytes at a time): such text is valid UTF-8.
bool AllAscii(std::string_view text) {
  size_t i = 0;
  uint64_t acc = 0;
  for (; i + 8 <= text.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, text.data() + i, 8);
    acc |= word;
  }
  for (; i < text.size(); ++i) acc |= static_cast<unsigned char>(text[i]);
  return (acc & 0x8080808080808080ULL) == 0;
}

std::string TypeName(const rapidjson::Value& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType: return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType: return "boolean";
    case rapidjson::kStringType: return "string";
    case rapidjson::kNumberType: return v.IsInt64() || v.IsUint64() ? "integer" : "number";
    case rapidjson::kArrayType: return "array";
    case rapidjson::kObjectType: return "object";
  }
  return "value";
}

namespace {

// "line L, column C" of byte `offset` of `text` (columns count bytes, from 1).
std::string LineColumn(std::string_view text, size_t offset) {
  size_t line = 1, col = 1;
  for (size_t j = 0; j < offset && j < text.size(); ++j) {
    if (text[j] == '\n') { ++line; col = 1; } else { ++col; }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(col);
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The code unit of the \uXXXX escape at text[i] ('\\'), or -1 when there is none.
int EscapedCodeUnit(std::string_view text, size_t i) {
  if (i + 6 > text.size() || text[i] != '\\' || text[i + 1] != 'u') return -1;
  int unit = 0;
  for (size_t k = i + 2; k < i + 6; ++k) {
    int d = HexDigit(text[k]);
    if (d < 0) return -1;
    unit = unit * 16 + d;
  }
  return unit;
}

// A UTF-8 lead byte in the last three bytes whose sequence would run past the end of `text`
// is refused before RapidJSON sees it: its encoding check reads a whole sequence (whatever
// the bytes) before judging it, past the NUL that ends an in-place text (heap over-reads
// found by json_ingest_fuzzer).
Status TruncatedUtf8AtEnd(std::string_view text) {
  for (size_t j = text.size() > 3 ? text.size() - 3 : 0; j < text.size(); ++j) {
    auto lead = static_cast<unsigned char>(text[j]);
    size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (j + length > text.size()) {
      return Status::InvalidArgument(LineColumn(text, j) +
                                     ": invalid UTF-8 encoding: a multi-byte sequence is cut off by the end of the text");
    }
  }
  return Status::Ok();
}

// Refuses what the reader would accept silently: a NUL byte (the reader stops at it and
// ignores the rest) and a \u escape of a lone UTF-16 surrogate (it would become invalid UTF-8).
Status CheckRawText(std::string_view text) {
  if (const void* nul = std::memchr(text.data(), '\0', text.size())) {
    size_t at = static_cast<size_t>(static_cast<const char*>(nul) - text.data());
    return Status::InvalidArgument(LineColumn(text, at) + ": NUL byte at offset " + std::to_string(at) +
                                   "; expected JSON text (write U+0000 inside a string as \\u0000)");
  }
  for (size_t i = 0; i < text.size(); i += 2) {
    const void* bs = std::memchr(text.data() + i, '\\', text.size() - i);
    if (bs == nullptr) break;
    i = static_cast<size_t>(static_cast<const char*>(bs) - text.data());
    int unit = EscapedCodeUnit(text, i);
    if (unit < 0xD800 || unit > 0xDFFF) continue;  // "\\x" skips both bytes
    int low = unit <= 0xDBFF ? EscapedCodeUnit(text, i + 6) : -1;
    if (low >= 0xDC00 && low <= 0xDFFF) {
      i += 10;  // a surrogate pair
      continue;
    }
    return Status::InvalidArgument(LineColumn(text, i) + ": lone surrogate " + std::string(text.substr(i, 6)) +
                                   (unit <= 0xDBFF ? " (a high surrogate not followed by a low one)"
                                                   : " (a low surrogate without a high one before it)") +
                                   "; expected a UTF-16 surrogate pair or a character that is not a surrogate");
  }
  return TruncatedUtf8AtEnd(text);
}

// Whether text[i] belongs to a JSON string (its quotes included), tracking `in_string`
// and stepping `i` over escaped characters. The one string skipper of the pre-scans.
bool InString(std::string_view text, size_t& i, bool& in_string) {
  char c = text[i];
  if (in_string) {
    if (c == '\\') ++i;
    else if (c == '"') in_string = false;
    return true;
  }
  if (c == '"') in_string = true;
  return in_string;
}

// A number below the smallest double (4.9e-324) would be stored as 0, which would alter
// the evidence: it is refused, naming where it is.
Status CheckUnderflowingNumbers(std::string_view text) {
  if (text.find("e-") == std::string_view::npos && text.find("E-") == std::string_view::npos) return Status::Ok();
  auto digit = [&](size_t i) { return i < text.size() && text[i] >= '0' && text[i] <= '9'; };
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (InString(text, i, in_string)) continue;
    char c = text[i];
    if (!(c == '-' || digit(i))) continue;
    size_t start = i;
    if (text[i] == '-') ++i;
    // The decimal magnitude of the first significant digit (1.5 -> 0, 0.05 -> -2).
    long magnitude = 0;
    bool nonzero = false;
    for (; digit(i); ++i) {
      if (nonzero) ++magnitude;
      else if (text[i] != '0') nonzero = true;
    }
    if (i < text.size() && text[i] == '.') {
      for (++i; digit(i); ++i) {
        if (!nonzero) {
          --magnitude;
          if (text[i] != '0') nonzero = true;
        }
      }
    }
    long exponent = 0;
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
      ++i;
      bool negative = i < text.size() && text[i] == '-';
      if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
      for (; digit(i); ++i) exponent = std::min(exponent * 10 + (text[i] - '0'), 100000L);
      if (negative) exponent = -exponent;
    }
    if (nonzero && magnitude + exponent < -324) {
      return Status::InvalidArgument(LineColumn(text, start) + ": the number " +
                                     std::string(text.substr(start, std::min<size_t>(i - start, 40))) +
                                     (i - start > 40 ? "…" : "") +
                                     " is smaller than the smallest double (4.9e-324) and would be stored as 0; "
                                     "expected a number a double can hold");
    }
    i = i > start ? i - 1 : start;
  }
  return Status::Ok();
}

}  // namespace

Status CheckNestingDepth(std::string_view text) {
  // Too short to nest deeper or to hold a longer number.
  if (text.size() <= static_cast<size_t>(std::min(kMaxJsonDepth, kMaxNumberDigits))) return Status::Ok();
  int depth = 0, digits = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (InString(text, i, in_string)) {
      digits = 0;
      continue;
    }
    char c = text[i];
    if (c >= '0' && c <= '9') {
      if (++digits > kMaxNumberDigits) {
        return Status::InvalidArgument(LineColumn(text, i) + ": a number with more than " +
                                       std::to_string(kMaxNumberDigits) + " digits in a row; expected a shorter number");
      }
      continue;
    }
    digits = 0;
    if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) {
        return Status::InvalidArgument(LineColumn(text, i) + ": JSON nested more than " +
                                       std::to_string(kMaxJsonDepth) + " levels deep");
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return Status::Ok();
}

namespace {

// Forwards the reader's events to a document, converting numbers itself: RapidJSON's own
// conversion is undefined behaviour for some valid numbers (signed overflow and a table
// index out of range in its DiyFp code for long mantissas, clz(0) for "0e-34"; found by
// json_ingest_fuzzer under UBSan). Integers become int64/uint64 when they fit, as RapidJSON
// classifies them; every other number is the correctly rounded double strtod gives.
template <typename Stream>
class NumberConvertingHandler : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, NumberConvertingHandler<Stream>> {
 public:
  NumberConvertingHandler(rapidjson::Document& doc, Stream& stream) : doc_(doc), stream_(stream) {}
  bool Null() { return doc_.Null(); }
  bool Bool(bool b) { return doc_.Bool(b); }
  bool String(const char* s, rapidjson::SizeType n, bool copy) { return doc_.String(s, n, copy); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) { return doc_.Key(s, n, copy); }
  bool StartObject() { return doc_.StartObject(); }
  bool EndObject(rapidjson::SizeType n) { return doc_.EndObject(n); }
  bool StartArray() { return doc_.StartArray(); }
  bool EndArray(rapidjson::SizeType n) { return doc_.EndArray(n); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) {
    std::string_view text(s, n);
    if (text.find_first_of(".eE") == std::string_view::npos) {
      if (text[0] == '-') {
        int64_t i = 0;
        auto r = std::from_chars(text.data(), text.data() + text.size(), i);
        if (r.ec == std::errc() && r.ptr == text.data() + text.size()) return doc_.Int64(i);
      } else {
        uint64_t u = 0;
        auto r = std::from_chars(text.data(), text.data() + text.size(), u);
        if (r.ec == std::errc() && r.ptr == text.data() + text.size()) return doc_.Uint64(u);
      }
    }
    double d = std::strtod(std::string(text).c_str(), nullptr);
    if (std::isinf(d)) {  // as RapidJSON reports it, at the number's first character
      too_big_at_ = stream_.Tell() - n;
      return false;
    }
    return doc_.Double(d);
  }
  // Where a number too large for a double starts, once RawNumber refused it.
  std::optional<size_t> too_big_at() const { return too_big_at_; }

 private:
  rapidjson::Document& doc_;
  Stream& stream_;
  std::optional<size_t> too_big_at_;
};

// Parses `text` into `doc` (in place when `insitu`, which must be text's own bytes).
Status ParseInto(rapidjson::Document& doc, std::string_view text, char* insitu) {
  OEP_RETURN_IF_ERROR(CheckRawText(text));
  OEP_RETURN_IF_ERROR(CheckNestingDepth(text));
  OEP_RETURN_IF_ERROR(CheckUnderflowingNumbers(text));
  // ASCII text cannot hold invalid UTF-8 bytes; escapes (\uD800) are still checked by the reader.
  constexpr unsigned kNumbers = rapidjson::kParseNumbersAsStringsFlag;
  constexpr unsigned kValidate = rapidjson::kParseValidateEncodingFlag;
  constexpr unsigned kInsitu = rapidjson::kParseInsituFlag;
  bool ascii = AllAscii(text);
  // In-place parsing may unescape "\n" into a line break before an error: locate errors
  // in a one-line text by offset alone.
  bool one_line = text.find('\n') == std::string_view::npos;
  rapidjson::ParseResult result;
  std::optional<size_t> too_big_at;
  auto parse = [&](auto& stream, auto flags) {
    NumberConvertingHandler<std::remove_reference_t<decltype(stream)>> handler(doc, stream);
    auto generate = [&](rapidjson::Document&) {
      rapidjson::Reader reader;
      result = reader.Parse<decltype(flags)::value>(stream, handler);
      return !result.IsError();
    };
    doc.Populate(generate);
    too_big_at = handler.too_big_at();
  };
  doc.SetNull();
  if (insitu) {
    rapidjson::InsituStringStream stream(insitu);
    if (ascii) parse(stream, std::integral_constant<unsigned, kNumbers | kInsitu>());
    else parse(stream, std::integral_constant<unsigned, kNumbers | kInsitu | kValidate>());
  } else {
    rapidjson::MemoryStream memory(text.data(), text.size());
    rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> stream(memory);
    if (ascii) parse(stream, std::integral_constant<unsigned, kNumbers>());
    else parse(stream, std::integral_constant<unsigned, kNumbers | kValidate>());
  }
  if (!result.IsError()) return Status::Ok();
  rapidjson::ParseErrorCode code = too_big_at ? rapidjson::kParseErrorNumberTooBig : result.Code();
  size_t offset = too_big_at ? *too_big_at : result.Offset();
  std::string where = one_line ? "line 1, column " + std::to_string(offset + 1) : LineColumn(text, offset);
  return Status::InvalidArgument(where + ": malformed JSON: " + rapidjson::GetParseError_En(code));
}

constexpr size_t kReusableChunk = 64 * 1024;

}  // namespace

Result<rapidjson::Document> Parse(std::string_view text) {
  rapidjson::Document doc;
  OEP_RETURN_IF_ERROR(ParseInto(doc, text, nullptr));
  return doc;
}

ReusableParser::ReusableParser()
    : first_chunk_(new char[kReusableChunk]), pool_(first_chunk_.get(), kReusableChunk), doc_(&pool_) {}

Result<const rapidjson::Document*> ReusableParser::ParseInPlace(char* text, size_t size) {
  pool_.Clear();  // keeps the first chunk: a typical record allocates nothing
  OEP_RETURN_IF_ERROR(ParseInto(doc_, std::string_view(text, size), text));
  return &doc_;
}

Status Canonicalize(const rapidjson::Value& value, std::string* out, int indent) {
  CanonicalWriter writer(out, indent);
  return writer.Write(value, 0);
}

std::string CanonicalText(const rapidjson::Value& value) {
  std::string out;
  if (Canonicalize(value, &out).ok()) return out;
  // No canonical form (duplicate keys, a non-finite number): as written, for messages.
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>, rapidjson::CrtAllocator,
                    rapidjson::kWriteNanAndInfFlag>
      writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

void AppendCanonicalString(std::string_view s, std::string* out) { AppendEscapedString(s, out); }

std::string FormatNumber(double d) {
  if (d == 0) return "0";  // also -0
  std::string out;
  if (d < 0) { out.push_back('-'); d = -d; }
  // Shortest round-trip digits in scientific form: "D[.DDD]e[+-]X".
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(r.ptr - buf));
  size_t e_pos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e_pos)) if (c != '.') digits.push_back(c);
  int exp10 = 0;
  std::from_chars(sci.data() + e_pos + 1 + (sci[e_pos + 1] == '+'), sci.data() + sci.size(), exp10);
  int k = static_cast<int>(digits.size());
  int n = exp10 + 1;  // ECMAScript: value = digits * 10^(n-k)
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, static_cast<size_t>(n));
    out.push_back('.');
    out += digits.substr(static_cast<size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-n), '0');
    out += digits;
  } else {
    out.push_back(digits[0]);
    if (k > 1) { out.push_back('.'); out += digits.substr(1); }
    out.push_back('e');
    out.push_back(n - 1 >= 0 ? '+' : '-');
    out += std::to_string(std::abs(n - 1));
  }
  return out;
}

std::string EscapePointerSegment(std::string_view segment) {
  std::string out;
  for (char c : segment) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out.push_back(c);
  }
  return out;
}

const rapidjson::Value* FindDotted(const rapidjson::Value& root, std::string_view path) {
  const rapidjson::Value* cur = &root;
  while (!path.empty()) {
    size_t dot = path.find('.');
    std::string_view seg = path.substr(0, dot);
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
    if (cur->IsObject()) {
      auto it = cur->FindMember(rapidjson::Value(rapidjson::StringRef(seg.data(), static_cast<rapidjson::SizeType>(seg.size()))));
      if (it == cur->MemberEnd()) return nullptr;
      cur = &it->value;
    } else if (cur->IsArray()) {
      size_t idx = 0;
      auto r = std::from_chars(seg.data(), seg.data() + seg.size(), idx);
      if (r.ec != std::errc() || r.ptr != seg.data() + seg.size() || idx >= cur->Size()) return nullptr;
      cur = &(*cur)[static_cast<rapidjson::SizeType>(idx)];
    } else {
      return nullptr;
    }
  }
  return cur;
}

const rapidjson::Value* GetMember(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(key);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

std::string GetString(const rapidjson::Value& obj, const char* key, std::string fallback) {
  const rapidjson::Value* v = GetMember(obj, key);
  if (v == nullptr || !v->IsString()) return fallback;
  return std::string(v->GetString(), v->GetStringLength());
}

}  // namespace oep::json
