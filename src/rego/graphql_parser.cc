// GraphQL lexer and parser (October 2021 spec grammar) building gqlparser's AST as Rego
// values, with gqlparser's error texts and positions.
#include <cctype>
#include <functional>

#include "rego/graphql.h"

namespace oep::rego::graphql {
namespace {

enum class Tok {
  kInvalid, kEof, kBang, kDollar, kAmp, kParenL, kParenR, kSpread, kColon, kEquals, kAt,
  kBracketL, kBracketR, kBraceL, kBraceR, kPipe, kName, kInt, kFloat, kString, kBlockString
};

const char* TokName(Tok t) {
  static const char* const kNames[] = {"<Invalid>", "<EOF>", "!", "$", "&", "(", ")", "...", ":", "=", "@",
                                       "[", "]", "{", "}", "|", "Name", "Int", "Float", "String", "BlockString"};
  return kNames[static_cast<int>(t)];
}

struct Token {
  Tok kind = Tok::kInvalid;
  std::string value;
  int line = 1, column = 1;
};

// Go's strconv.Quote for the ASCII text of tokens in messages.
std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: out += c;
    }
  }
  return out + "\"";
}

std::string Describe(const Token& t) {
  bool valued = t.kind == Tok::kName || t.kind == Tok::kInt || t.kind == Tok::kFloat || t.kind == Tok::kString ||
                t.kind == Tok::kBlockString;
  return valued ? std::string(TokName(t.kind)) + " " + Quote(t.value) : TokName(t.kind);
}

struct Failure {
  SyntaxError error;
};

// The spec's BlockStringValue: common indentation and blank first/last lines removed.
std::string BlockStringValue(const std::string& raw) {
  std::vector<std::string> lines;
  std::string cur;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\r' || raw[i] == '\n') {
      lines.push_back(cur);
      cur.clear();
      if (raw[i] == '\r' && i + 1 < raw.size() && raw[i + 1] == '\n') ++i;
    } else {
      cur += raw[i];
    }
  }
  lines.push_back(cur);
  size_t common = std::string::npos;
  for (size_t i = 1; i < lines.size(); ++i) {
    size_t indent = lines[i].find_first_not_of(" \t");
    if (indent != std::string::npos && indent < common) common = indent;
  }
  if (common != std::string::npos) {
    for (size_t i = 1; i < lines.size(); ++i) lines[i] = lines[i].size() >= common ? lines[i].substr(common) : "";
  }
  auto blank = [](const std::string& l) { return l.find_first_not_of(" \t") == std::string::npos; };
  while (!lines.empty() && blank(lines.front())) lines.erase(lines.begin());
  while (!lines.empty() && blank(lines.back())) lines.pop_back();
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) out += (i ? "\n" : "") + lines[i];
  return out;
}

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  Token Next() {
    SkipIgnored();
    Token t;
    t.line = line_;
    t.column = Column();
    if (pos_ >= s_.size()) {
      t.kind = Tok::kEof;
      return t;
    }
    char c = s_[pos_];
    static const std::string kPunct = "!$&()[]{}|:=@";
    if (size_t p = kPunct.find(c); p != std::string::npos) {
      static const Tok kKinds[] = {Tok::kBang,     Tok::kDollar,   Tok::kAmp,    Tok::kParenL, Tok::kParenR,
                                   Tok::kBracketL, Tok::kBracketR, Tok::kBraceL, Tok::kBraceR, Tok::kPipe,
                                   Tok::kColon,    Tok::kEquals,   Tok::kAt};
      ++pos_;
      t.kind = kKinds[p];
      return t;
    }
    if (c == '.') {
      if (s_.substr(pos_, 3) == "...") {
        pos_ += 3;
        t.kind = Tok::kSpread;
        return t;
      }
      return Invalid();
    }
    if (c == '_' || std::isalpha(static_cast<unsigned char>(c))) {
      size_t start = pos_;
      while (pos_ < s_.size() && (s_[pos_] == '_' || std::isalnum(static_cast<unsigned char>(s_[pos_])))) ++pos_;
      t.kind = Tok::kName;
      t.value = std::string(s_.substr(start, pos_ - start));
      return t;
    }
    if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) return Number(t);
    if (c == '"') {
      // gqlparser places a string token after its opening quotes.
      bool block = s_.substr(pos_, 3) == "\"\"\"";
      t.column += block ? 3 : 1;
      return block ? Block(t) : String(t);
    }
    return Invalid();
  }

 private:
  int Column() const { return static_cast<int>(pos_ - line_start_) + 1; }
  void NewLine(size_t after) {
    ++line_;
    line_start_ = after;
  }
  // An invalid token at the current position (where lexing stopped).
  Token Invalid() {
    Token t;
    t.kind = Tok::kInvalid;
    t.line = line_;
    t.column = Column();
    return t;
  }
  void SkipIgnored() {
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == ' ' || c == '\t' || c == ',') {
        ++pos_;
      } else if (c == '\n') {
        NewLine(++pos_);
      } else if (c == '\r') {
        ++pos_;
        if (pos_ < s_.size() && s_[pos_] == '\n') ++pos_;
        NewLine(pos_);
      } else if (c == '#') {
        while (pos_ < s_.size() && s_[pos_] != '\n' && s_[pos_] != '\r') ++pos_;
      } else if (s_.substr(pos_, 3) == "\xEF\xBB\xBF") {
        pos_ += 3;
      } else {
        return;
      }
    }
  }
  bool Digits() {
    size_t start = pos_;
    while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    return pos_ > start;
  }
  Token Number(Token t) {
    size_t start = pos_;
    if (s_[pos_] == '-') ++pos_;
    if (!Digits()) return Invalid();
    t.kind = Tok::kInt;
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      if (!Digits()) return Invalid();
      t.kind = Tok::kFloat;
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (!Digits()) return Invalid();
      t.kind = Tok::kFloat;
    }
    t.value = std::string(s_.substr(start, pos_ - start));
    return t;
  }
  Token String(Token t) {
    ++pos_;
    std::string out;
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == '\n' || c == '\r') return Invalid();
      if (c == '"') {
        ++pos_;
        t.kind = Tok::kString;
        t.value = out;
        return t;
      }
      if (c != '\\') {
        out += c;
        ++pos_;
        continue;
      }
      if (pos_ + 1 >= s_.size()) break;
      char e = s_[pos_ + 1];
      pos_ += 2;
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          if (pos_ + 4 > s_.size()) return Invalid();
          unsigned cp = 0;
          for (int i = 0; i < 4; ++i) {
            char h = s_[pos_++];
            if (!std::isxdigit(static_cast<unsigned char>(h))) return Invalid();
            cp = cp * 16 + static_cast<unsigned>(std::isdigit(static_cast<unsigned char>(h)) ? h - '0' : std::tolower(h) - 'a' + 10);
          }
          if (cp < 0x80) {
            out += static_cast<char>(cp);
          } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
          } else {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
          }
          break;
        }
        default: return Invalid();
      }
    }
    return Invalid();
  }
  Token Block(Token t) {
    pos_ += 3;
    std::string raw;
    while (pos_ < s_.size()) {
      if (s_.substr(pos_, 3) == "\"\"\"") {
        pos_ += 3;
        t.kind = Tok::kBlockString;
        t.value = BlockStringValue(raw);
        return t;
      }
      if (s_.substr(pos_, 4) == "\\\"\"\"") {
        raw += "\"\"\"";
        pos_ += 4;
        continue;
      }
      char c = s_[pos_];
      raw += c;
      ++pos_;
      if (c == '\n') {
        NewLine(pos_);
      } else if (c == '\r') {
        if (pos_ < s_.size() && s_[pos_] == '\n') raw += s_[pos_++];
        NewLine(pos_);
      }
    }
    return Invalid();
  }

  std::string_view s_;
  size_t pos_ = 0, line_start_ = 0;
  int line_ = 1;
};

Value Str(const std::string& s) { return Value::String(s); }

// An AST node: an object whose empty lists are left out, as OPA prunes them.
class Node {
 public:
  Node& Set(const char* key, Value v) {
    if ((v.is_array() && v.array().empty()) || v.is_null()) return *this;
    o_[Str(key)] = std::move(v);
    return *this;
  }
  Node& Set(const char* key, const std::string& s) { return Set(key, Str(s)); }
  Node& Set(const char* key, const char* s) { return Set(key, Str(s)); }
  Node& Set(const char* key, bool b) { return Set(key, Value::Bool(b)); }
  Node& Set(const char* key, Array a) { return Set(key, Value::MakeArray(std::move(a))); }
  Value Build() { return Value::MakeObject(std::move(o_)); }

 private:
  Object o_;
};

class Parser {
 public:
  explicit Parser(std::string_view text) : lexer_(text) { tok_ = lexer_.Next(); }

  Value SchemaDocument() {
    Array schema, schema_ext, directives, definitions, extensions;
    while (tok_.kind != Tok::kEof) {
      std::optional<Token> description;
      if (tok_.kind == Tok::kString || tok_.kind == Tok::kBlockString) description = Next();
      if (tok_.kind != Tok::kName) Unexpected(tok_);
      std::string desc = description ? description->value : "";
      const std::string kw = tok_.value;
      if (kw == "schema") {
        Next();
        schema.push_back(SchemaDefinition(desc, false));
      } else if (kw == "directive") {
        Next();
        directives.push_back(DirectiveDefinition(desc));
      } else if (kw == "extend") {
        if (description) Unexpected(*description);
        Next();
        if (tok_.kind == Tok::kName && tok_.value == "schema") {
          Next();
          schema_ext.push_back(SchemaDefinition("", true));
        } else {
          extensions.push_back(TypeDefinition("", true));
        }
      } else {
        definitions.push_back(TypeDefinition(desc, false));
      }
    }
    return Node()
        .Set("Schema", std::move(schema))
        .Set("SchemaExtension", std::move(schema_ext))
        .Set("Directives", std::move(directives))
        .Set("Definitions", std::move(definitions))
        .Set("Extensions", std::move(extensions))
        .Build();
  }

  Value QueryDocument() {
    Array operations, fragments;
    while (tok_.kind != Tok::kEof) {
      if (tok_.kind == Tok::kBraceL) {
        operations.push_back(Node().Set("Name", "").Set("Operation", "query").Set("SelectionSet", SelectionSet()).Build());
        continue;
      }
      if (tok_.kind != Tok::kName) Unexpected(tok_);
      if (tok_.value == "fragment") {
        fragments.push_back(FragmentDefinition());
      } else if (tok_.value == "query" || tok_.value == "mutation" || tok_.value == "subscription") {
        operations.push_back(OperationDefinition());
      } else {
        Unexpected(tok_);
      }
    }
    return Node().Set("Operations", std::move(operations)).Set("Fragments", std::move(fragments)).Build();
  }

 private:
  [[noreturn]] void Fail(const Token& at, std::string message) { throw Failure{{std::move(message), at.line, at.column}}; }
  [[noreturn]] void Unexpected(const Token& t) { Fail(t, "Unexpected " + Describe(t)); }

  // Nesting (lists in types and values, selection sets) is bounded: parsing recurses.
  struct DepthGuard {
    explicit DepthGuard(Parser& p) : p_(p) {
      if (++p_.depth_ > kMaxDepth) p_.Fail(p_.tok_, "nesting deeper than " + std::to_string(kMaxDepth) + " levels");
    }
    ~DepthGuard() { --p_.depth_; }
    Parser& p_;
  };
  static constexpr int kMaxDepth = 400;

  Token Next() {
    Token t = tok_;
    tok_ = lexer_.Next();
    return t;
  }
  bool Peek(Tok k) const { return tok_.kind == k; }
  bool PeekKeyword(const char* kw) const { return tok_.kind == Tok::kName && tok_.value == kw; }
  Token Expect(Tok k) {
    if (tok_.kind != k) Fail(tok_, std::string("Expected ") + TokName(k) + ", found " + Describe(tok_));
    return Next();
  }
  void ExpectKeyword(const char* kw) {
    if (!PeekKeyword(kw)) Fail(tok_, std::string("Expected \"") + kw + "\", found " + Describe(tok_));
    Next();
  }
  std::string Name() { return Expect(Tok::kName).value; }
  // open item+ close: at least one item.
  Array Some(Tok open, Tok close, const std::function<Value()>& item) {
    Expect(open);
    if (Peek(close)) Fail(tok_, "expected at least one definition, found " + Describe(tok_));
    Array out;
    while (!Peek(close)) {
      if (Peek(Tok::kEof)) Expect(close);
      out.push_back(item());
    }
    Next();
    return out;
  }
  // (open item* close)? : none when `open` is absent.
  Array Many(Tok open, Tok close, const std::function<Value()>& item) {
    Array out;
    if (!Peek(open)) return out;
    Next();
    while (!Peek(close)) {
      if (Peek(Tok::kEof)) Expect(close);
      out.push_back(item());
    }
    Next();
    return out;
  }
  std::string Description() {
    if (Peek(Tok::kString) || Peek(Tok::kBlockString)) return Next().value;
    return "";
  }

  Value Type() {
    DepthGuard guard(*this);
    Value t;
    if (Peek(Tok::kBracketL)) {
      Next();
      Value elem = Type();
      Expect(Tok::kBracketR);
      t = Node().Set("Elem", elem).Set("NamedType", "").Set("NonNull", false).Build();
    } else {
      t = Node().Set("NamedType", Name()).Set("NonNull", false).Build();
    }
    if (Peek(Tok::kBang)) {
      Next();
      Object o = t.object();
      o[Str("NonNull")] = Value::Bool(true);
      t = Value::MakeObject(std::move(o));
    }
    return t;
  }

  Value ValueNode(int kind, const std::string& raw, Array children = {}) {
    return Node()
        .Set("Children", std::move(children))
        .Set("ExpectedTypeHasDefault", false)
        .Set("Kind", Value::Int(kind))
        .Set("Raw", raw)
        .Build();
  }

  // Value literals; `constant`: no variables (schema defaults, variable defaults).
  Value ValueLiteral(bool constant) {
    DepthGuard guard(*this);
    switch (tok_.kind) {
      case Tok::kBracketL: {
        Next();
        Array children;
        while (!Peek(Tok::kBracketR)) {
          if (Peek(Tok::kEof)) Expect(Tok::kBracketR);
          children.push_back(Node().Set("Name", "").Set("Value", ValueLiteral(constant)).Build());
        }
        Next();
        return ValueNode(8, "", std::move(children));
      }
      case Tok::kBraceL: {
        Next();
        Array children;
        while (!Peek(Tok::kBraceR)) {
          if (Peek(Tok::kEof)) Expect(Tok::kBraceR);
          std::string name = Name();
          Expect(Tok::kColon);
          children.push_back(Node().Set("Name", name).Set("Value", ValueLiteral(constant)).Build());
        }
        Next();
        return ValueNode(9, "", std::move(children));
      }
      case Tok::kDollar:
        if (constant) Unexpected(tok_);
        Next();
        return ValueNode(0, Name());
      case Tok::kInt: return ValueNode(1, Next().value);
      case Tok::kFloat: return ValueNode(2, Next().value);
      case Tok::kString: return ValueNode(3, Next().value);
      case Tok::kBlockString: return ValueNode(4, Next().value);
      case Tok::kName: {
        std::string v = Next().value;
        if (v == "true" || v == "false") return ValueNode(5, v);
        if (v == "null") return ValueNode(6, v);
        return ValueNode(7, v);
      }
      default: Unexpected(tok_);
    }
  }

  Array Arguments(bool constant) {
    return Many(Tok::kParenL, Tok::kParenR, [&] {
      std::string name = Name();
      Expect(Tok::kColon);
      return Node().Set("Name", name).Set("Value", ValueLiteral(constant)).Build();
    });
  }

  Array Directives(bool constant) {
    Array out;
    while (Peek(Tok::kAt)) {
      Next();
      std::string name = Name();
      out.push_back(Node().Set("Arguments", Arguments(constant)).Set("Location", "").Set("Name", name).Build());
    }
    return out;
  }

  // `: Type (= ConstValue)?` of argument, input field and variable definitions.
  void TypeAndDefault(Node& n) {
    Expect(Tok::kColon);
    n.Set("Type", Type());
    if (Peek(Tok::kEquals)) {
      Next();
      n.Set("DefaultValue", ValueLiteral(true));
    }
  }

  Value InputValueDefinition() {
    Node n;
    n.Set("Description", Description()).Set("Name", Name());
    TypeAndDefault(n);
    return n.Set("Directives", Directives(true)).Build();
  }

  Value FieldDefinition() {
    std::string desc = Description();
    std::string name = Name();
    Array args = Many(Tok::kParenL, Tok::kParenR, [&] { return InputValueDefinition(); });
    Expect(Tok::kColon);
    Value type = Type();
    return Node()
        .Set("Arguments", std::move(args))
        .Set("Description", desc)
        .Set("Name", name)
        .Set("Type", type)
        .Set("Directives", Directives(true))
        .Build();
  }

  Array ImplementsInterfaces() {
    Array out;
    if (!PeekKeyword("implements")) return out;
    Next();
    if (Peek(Tok::kAmp)) Next();
    out.push_back(Str(Name()));
    while (Peek(Tok::kAmp)) {
      Next();
      out.push_back(Str(Name()));
    }
    return out;
  }

  // scalar/type/interface/union/enum/input definitions and their extensions. An extension
  // must add something (the next token is unexpected otherwise).
  Value TypeDefinition(const std::string& desc, bool extension) {
    if (!Peek(Tok::kName)) Unexpected(tok_);
    std::string kw = tok_.value;
    static const std::pair<const char*, const char*> kKinds[] = {{"scalar", "SCALAR"}, {"type", "OBJECT"},
                                                                 {"interface", "INTERFACE"}, {"union", "UNION"},
                                                                 {"enum", "ENUM"}, {"input", "INPUT_OBJECT"}};
    const char* kind = nullptr;
    for (const auto& [k, v] : kKinds) {
      if (kw == k) kind = v;
    }
    if (!kind) Unexpected(tok_);
    Next();
    Node def;
    def.Set("BuiltIn", false).Set("Description", desc).Set("Kind", kind).Set("Name", Name());
    bool added = false;
    auto add = [&](const char* key, Array a) {
      added = added || !a.empty();
      def.Set(key, std::move(a));
    };
    if (kw == "type" || kw == "interface") add("Interfaces", ImplementsInterfaces());
    add("Directives", Directives(true));
    if (kw == "type" || kw == "interface") {
      if (Peek(Tok::kBraceL)) add("Fields", Some(Tok::kBraceL, Tok::kBraceR, [&] { return FieldDefinition(); }));
    } else if (kw == "input") {
      if (Peek(Tok::kBraceL)) add("Fields", Some(Tok::kBraceL, Tok::kBraceR, [&] { return InputValueDefinition(); }));
    } else if (kw == "enum") {
      if (Peek(Tok::kBraceL)) {
        add("EnumValues", Some(Tok::kBraceL, Tok::kBraceR, [&] {
              std::string d = Description();
              std::string name = Name();
              return Node().Set("Description", d).Set("Name", name).Set("Directives", Directives(true)).Build();
            }));
      }
    } else if (kw == "union") {
      if (Peek(Tok::kEquals)) {
        Next();
        if (Peek(Tok::kPipe)) Next();
        Array types = {Str(Name())};
        while (Peek(Tok::kPipe)) {
          Next();
          types.push_back(Str(Name()));
        }
        add("Types", std::move(types));
      }
    }
    if (extension && !added) Unexpected(tok_);
    return def.Build();
  }

  Value SchemaDefinition(const std::string& desc, bool extension) {
    Array directives = Directives(true);
    Array ops;
    if (!extension || Peek(Tok::kBraceL)) {
      ops = Some(Tok::kBraceL, Tok::kBraceR, [&] {
        Token op = Expect(Tok::kName);
        if (op.value != "query" && op.value != "mutation" && op.value != "subscription") Unexpected(op);
        Expect(Tok::kColon);
        return Node().Set("Operation", op.value).Set("Type", Name()).Build();
      });
    }
    if (extension && directives.empty() && ops.empty()) Unexpected(tok_);
    return Node().Set("Description", desc).Set("Directives", std::move(directives)).Set("OperationTypes", std::move(ops)).Build();
  }

  Value DirectiveDefinition(const std::string& desc) {
    Expect(Tok::kAt);
    std::string name = Name();
    Array args = Many(Tok::kParenL, Tok::kParenR, [&] { return InputValueDefinition(); });
    bool repeatable = false;
    if (PeekKeyword("repeatable")) {
      Next();
      repeatable = true;
    }
    ExpectKeyword("on");
    if (Peek(Tok::kPipe)) Next();
    static const char* const kLocations[] = {
        "QUERY", "MUTATION", "SUBSCRIPTION", "FIELD", "FRAGMENT_DEFINITION", "FRAGMENT_SPREAD", "INLINE_FRAGMENT",
        "VARIABLE_DEFINITION", "SCHEMA", "SCALAR", "OBJECT", "FIELD_DEFINITION", "ARGUMENT_DEFINITION", "INTERFACE",
        "UNION", "ENUM", "ENUM_VALUE", "INPUT_OBJECT", "INPUT_FIELD_DEFINITION"};
    Array locations;
    for (;;) {
      Token loc = Expect(Tok::kName);
      bool known = false;
      for (const char* l : kLocations) known = known || loc.value == l;
      if (!known) Unexpected(loc);
      locations.push_back(Str(loc.value));
      if (!Peek(Tok::kPipe)) break;
      Next();
    }
    return Node()
        .Set("Arguments", std::move(args))
        .Set("Description", desc)
        .Set("IsRepeatable", repeatable)
        .Set("Locations", std::move(locations))
        .Set("Name", name)
        .Build();
  }

  Array SelectionSet() {
    DepthGuard guard(*this);
    return Some(Tok::kBraceL, Tok::kBraceR, [&] { return Selection(); });
  }

  Value Selection() {
    if (Peek(Tok::kSpread)) {
      Next();
      if (Peek(Tok::kName) && tok_.value != "on") {
        std::string name = Name();
        return Node().Set("Name", name).Set("Directives", Directives(false)).Build();
      }
      std::string type_condition;
      if (PeekKeyword("on")) {
        Next();
        type_condition = Name();
      }
      Array directives = Directives(false);
      return Node()
          .Set("Directives", std::move(directives))
          .Set("SelectionSet", SelectionSet())
          .Set("TypeCondition", type_condition)
          .Build();
    }
    std::string alias = Name(), name = alias;
    if (Peek(Tok::kColon)) {
      Next();
      name = Name();
    }
    Array args = Arguments(false);
    Array directives = Directives(false);
    Array selections;
    if (Peek(Tok::kBraceL)) selections = SelectionSet();
    return Node()
        .Set("Alias", alias)
        .Set("Arguments", std::move(args))
        .Set("Directives", std::move(directives))
        .Set("Name", name)
        .Set("SelectionSet", std::move(selections))
        .Build();
  }

  Value OperationDefinition() {
    std::string op = Next().value;
    std::string name;
    if (Peek(Tok::kName)) name = Next().value;
    Array vars = Many(Tok::kParenL, Tok::kParenR, [&] {
      Expect(Tok::kDollar);
      Node n;
      n.Set("Variable", Name()).Set("Used", false);
      TypeAndDefault(n);
      return n.Set("Directives", Directives(true)).Build();
    });
    Array directives = Directives(false);
    return Node()
        .Set("Directives", std::move(directives))
        .Set("Name", name)
        .Set("Operation", op)
        .Set("SelectionSet", SelectionSet())
        .Set("VariableDefinitions", std::move(vars))
        .Build();
  }

  Value FragmentDefinition() {
    Next();  // fragment
    if (PeekKeyword("on")) Unexpected(tok_);
    std::string name = Name();
    ExpectKeyword("on");
    std::string type_condition = Name();
    Array directives = Directives(false);
    return Node()
        .Set("Directives", std::move(directives))
        .Set("Name", name)
        .Set("SelectionSet", SelectionSet())
        .Set("TypeCondition", type_condition)
        .Build();
  }

  Lexer lexer_;
  Token tok_;
  int depth_ = 0;
};

template <typename F>
std::variant<Value, SyntaxError> Run(F parse) {
  try {
    return parse();
  } catch (const Failure& f) {
    return f.error;
  }
}

}  // namespace

std::variant<Value, SyntaxError> ParseSchema(std::string_view text) {
  return Run([&] { return Parser(text).SchemaDocument(); });
}

std::variant<Value, SyntaxError> ParseQuery(std::string_view text) {
  return Run([&] { return Parser(text).QueryDocument(); });
}

}  // namespace oep::rego::graphql
