// Rego source text to tokens: identifiers, strings (raw and escaped), numbers, punctuation,
// template strings ($"..{expr}.."), newlines (significant in bodies) and, when asked, the
// comments (METADATA annotations are read from them). Errors are rego_parse_error.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rego/annotations.h"
#include "rego/ast.h"
#include "rego/error.h"

namespace oep::rego {

enum class Tok { kEnd, kNewline, kIdent, kString, kNumber, kPunct, kTemplate };

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;  // identifier, decoded string, number text, or punctuation
  Location loc;
  bool raw = false;
  std::vector<std::pair<bool, std::string>> parts;  // kTemplate: (is expression, text)
};

struct ParseError {
  RegoError error;
};

// The tokens of `src`, ending with a kEnd token; the comments go to `comments` when given.
// Throws ParseError (its file left empty) on a bad token.
std::vector<Token> Lex(std::string_view src, std::vector<SourceComment>* comments = nullptr);

}  // namespace oep::rego
