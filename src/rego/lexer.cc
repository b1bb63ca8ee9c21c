#include "rego/lexer.h"

#include <cctype>
#include <cstring>

#include "json/json.h"

namespace oep::rego {
namespace {

using Comment = SourceComment;

class Lexer {
 public:
  explicit Lexer(std::string_view src, std::vector<Comment>* comments = nullptr) : src_(src), comments_(comments) {}

  std::vector<Token> Run() {
    std::vector<Token> out;
    for (;;) {
      SkipSpace();
      Token t;
      t.loc = {row_, col_};
      if (pos_ >= src_.size()) {
        t.kind = Tok::kEnd;
        out.push_back(t);
        return out;
      }
      char c = src_[pos_];
      if (c == '\n') {
        Advance();
        t.kind = Tok::kNewline;
      } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        size_t start = pos_;
        while (pos_ < src_.size() && (std::isalnum(static_cast<unsigned char>(src_[pos_])) || src_[pos_] == '_')) Advance();
        t.kind = Tok::kIdent;
        t.text = std::string(src_.substr(start, pos_ - start));
      } else if (std::isdigit(static_cast<unsigned char>(c)) || (c == '.' && pos_ + 1 < src_.size() && std::isdigit(static_cast<unsigned char>(src_[pos_ + 1])) && false)) {
        size_t start = pos_;
        while (pos_ < src_.size() && std::isdigit(static_cast<unsigned char>(src_[pos_]))) Advance();
        if (pos_ + 1 < src_.size() && src_[pos_] == '.' && std::isdigit(static_cast<unsigned char>(src_[pos_ + 1]))) {
          Advance();
          while (pos_ < src_.size() && std::isdigit(static_cast<unsigned char>(src_[pos_]))) Advance();
        }
        if (pos_ < src_.size() && (src_[pos_] == 'e' || src_[pos_] == 'E')) {
          size_t save = pos_;
          Advance();
          if (pos_ < src_.size() && (src_[pos_] == '+' || src_[pos_] == '-')) Advance();
          if (pos_ < src_.size() && std::isdigit(static_cast<unsigned char>(src_[pos_]))) {
            while (pos_ < src_.size() && std::isdigit(static_cast<unsigned char>(src_[pos_]))) Advance();
          } else {
            pos_ = save;
          }
        }
        t.kind = Tok::kNumber;
        t.text = std::string(src_.substr(start, pos_ - start));
      } else if (c == '$' && pos_ + 1 < src_.size() && (src_[pos_ + 1] == '"' || src_[pos_ + 1] == '`')) {
        t.kind = Tok::kTemplate;
        t.parts = LexTemplate(t.loc);
      } else if (c == '"') {
        t.kind = Tok::kString;
        t.text = LexString(t.loc);
      } else if (c == '`') {
        Advance();
        size_t start = pos_;
        while (pos_ < src_.size() && src_[pos_] != '`') Advance();
        if (pos_ >= src_.size()) throw ParseError{{"rego_parse_error", "unterminated raw string", "", t.loc}};
        t.kind = Tok::kString;
        t.raw = true;
        t.text = std::string(src_.substr(start, pos_ - start));
        Advance();
      } else {
        static const char* kTwo[] = {":=", "==", "!=", "<=", ">="};
        t.kind = Tok::kPunct;
        for (const char* two : kTwo) {
          if (src_.substr(pos_, 2) == two) {
            t.text = two;
            Advance();
            Advance();
            break;
          }
        }
        if (t.text.empty()) {
          if (!std::strchr("{}[]().,;:=<>+-*/%&|!$", c)) {
            throw ParseError{{"rego_parse_error", std::string("illegal token '") + c + "'", "", t.loc}};
          }
          t.text = std::string(1, c);
          Advance();
        }
      }
      out.push_back(t);
    }
  }

 private:
  // Moves past the current character; at the end of the source it stays there (escapes
  // and template strings may ask to skip past a truncated end).
  void Advance() {
    if (pos_ >= src_.size()) return;
    if (src_[pos_] == '\n') {
      ++row_;
      col_ = 1;
    } else {
      ++col_;
    }
    ++pos_;
  }

  void SkipSpace() {
    while (pos_ < src_.size()) {
      char c = src_[pos_];
      if (c == ' ' || c == '\t' || c == '\r') Advance();
      else if (c == '#') {
        Location at{row_, col_};
        size_t start = pos_ + 1;
        while (pos_ < src_.size() && src_[pos_] != '\n') Advance();
        if (comments_) comments_->push_back({at, std::string(src_.substr(start, pos_ - start))});
      } else break;
    }
  }

  // $"..." / $`...`: literal text and {expression} sources; \{ is a literal brace.
  std::vector<std::pair<bool, std::string>> LexTemplate(Location loc) {
    Advance();  // $
    char quote = src_[pos_];
    Advance();
    std::vector<std::pair<bool, std::string>> parts;
    std::string lit;
    auto flush = [&] {
      if (!lit.empty()) parts.emplace_back(false, lit);
      lit.clear();
    };
    for (;;) {
      if (pos_ >= src_.size()) throw ParseError{{"rego_parse_error", "non-terminated template string", "", loc}};
      char c = src_[pos_];
      if (c == quote) {
        Advance();
        break;
      }
      if (c == '\\' && pos_ + 1 < src_.size()) {
        char n = src_[pos_ + 1];
        if (n == '{') {
          lit += '{';
          Advance();
          Advance();
          continue;
        }
        if (quote == '"') {
          auto doc = json::Parse(std::string("\"") + std::string(src_.substr(pos_, n == 'u' ? 6 : 2)) + "\"");
          if (!doc.ok()) throw ParseError{{"rego_parse_error", "invalid escape in template string", "", loc}};
          lit += doc->GetString();
          for (int i = 0; i < (n == 'u' ? 6 : 2); ++i) Advance();
          continue;
        }
      }
      if (c == '{') {
        flush();
        Advance();
        size_t start = pos_;
        int depth = 1;
        while (pos_ < src_.size() && depth > 0) {
          char d = src_[pos_];
          if (d == '"' || d == '`') {
            char q = d;
            Advance();
            while (pos_ < src_.size() && src_[pos_] != q) {
              if (src_[pos_] == '\\' && q == '"') Advance();
              Advance();
            }
          } else if (d == '{') {
            ++depth;
          } else if (d == '}') {
            --depth;
            if (depth == 0) break;
          }
          Advance();
        }
        if (pos_ >= src_.size()) throw ParseError{{"rego_parse_error", "unterminated template expression", "", loc}};
        parts.emplace_back(true, std::string(src_.substr(start, pos_ - start)));
        Advance();
        continue;
      }
      if (quote == '"' && c == '\n') throw ParseError{{"rego_parse_error", "non-terminated template string", "", loc}};
      lit += c;
      Advance();
    }
    flush();
    return parts;
  }

  std::string LexString(Location loc) {
    size_t start = pos_;
    Advance();
    while (pos_ < src_.size() && src_[pos_] != '"') {
      if (src_[pos_] == '\\') Advance();
      if (pos_ < src_.size() && src_[pos_] == '\n') break;
      Advance();
    }
    if (pos_ >= src_.size() || src_[pos_] != '"') throw ParseError{{"rego_parse_error", "non-terminated string", "", loc}};
    Advance();
    auto doc = json::Parse(src_.substr(start, pos_ - start));
    if (!doc.ok() || !doc->IsString()) throw ParseError{{"rego_parse_error", "invalid string literal", "", loc}};
    return std::string(doc->GetString(), doc->GetStringLength());
  }

  std::string_view src_;
  std::vector<Comment>* comments_;
  size_t pos_ = 0;
  int row_ = 1, col_ = 1;
};

}  // namespace

std::vector<Token> Lex(std::string_view src, std::vector<SourceComment>* comments) { return Lexer(src, comments).Run(); }

}  // namespace oep::rego
