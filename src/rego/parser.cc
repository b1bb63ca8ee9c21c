#include "rego/parser.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <optional>
#include <set>

#include "json/json.h"
#include "rego/annotations.h"
#include "rego/lexer.h"

namespace oep::rego {
namespace {

// The variable a template expression with modifiers binds in the comprehension that
// evaluates it (see ParseTermPrimary).
constexpr std::string_view kTemplateValueVar = "__template_value__";

TermPtr MakeScalar(Value v, Location loc) {
  auto t = std::make_shared<Term>();
  t->kind = TermKind::kScalar;
  t->value = std::move(v);
  t->loc = loc;
  return t;
}

TermPtr MakeVar(std::string name, Location loc) {
  auto t = std::make_shared<Term>();
  t->kind = TermKind::kVar;
  t->name = std::move(name);
  t->loc = loc;
  return t;
}

TermPtr MakeCall(std::string op, std::vector<TermPtr> args, Location loc) {
  auto t = std::make_shared<Term>();
  t->kind = TermKind::kCall;
  t->name = std::move(op);
  t->items.push_back(nullptr);  // operator calls have no function ref
  for (auto& a : args) t->items.push_back(std::move(a));
  t->loc = loc;
  return t;
}

class Parser {
 public:
  Parser(std::vector<Token> toks, std::string file, RegoVersion version = RegoVersion::kV1)
      : toks_(std::move(toks)), file_(std::move(file)), version_(version) {}

  Module ParseModuleTokens() {
    Module m;
    m.file = file_;
    SkipNewlines();
    if (!IsKeyword("package")) Fail("expected package declaration");
    m.package_loc = Next().loc;
    m.package = ParseDottedPath(true);
    EndOfStatement();
    std::string pkg_key;
    for (const auto& p : m.package) pkg_key += (pkg_key.empty() ? "" : ".") + p;
    for (;;) {
      SkipNewlines();
      if (Peek().kind == Tok::kEnd) break;
      if (IsKeyword("import")) {
        Next();
        Import imp;
        imp.path = ParseDottedPath(false);
        if (IsKeyword("as")) {
          Next();
          imp.alias = ExpectIdent();
        }
        if (imp.path.empty() || (imp.path[0] != "data" && imp.path[0] != "input" && imp.path[0] != "future" && imp.path[0] != "rego")) {
          Fail("invalid import path: must begin with input or data");
        }
        EnableFutureKeywords(imp.path);
        m.imports.push_back(imp);
        EndOfStatement();
        continue;
      }
      for (auto& rule : ParseRules(m.package)) {
        for (auto* r = rule.get(); r; r = r->else_rule.get()) r->package_key = pkg_key;
        m.rules.push_back(std::move(rule));
      }
    }
    return m;
  }

  Body ParseQueryTokens() {
    nl_.push_back(true);
    Body body;
    SkipSeparators();
    while (Peek().kind != Tok::kEnd) {
      body.push_back(ParseExpr());
      if (Peek().kind != Tok::kEnd && !IsPunct(";") && Peek().kind != Tok::kNewline) Fail("unexpected " + Describe(Peek()));
      SkipSeparators();
    }
    if (body.empty()) Fail("empty query");
    return body;
  }

  TermPtr ParseSingleTerm() {
    nl_.push_back(false);
    auto t = ParseTermExpr();
    if (Peek().kind != Tok::kEnd) Fail("unexpected " + Describe(Peek()));
    return t;
  }

 private:
  // Tokens.
  const Token& Peek(size_t ahead = 0) {
    size_t i = pos_;
    bool skip = !nl_.empty() && !nl_.back();
    for (;;) {
      while (skip && toks_[i].kind == Tok::kNewline) ++i;
      if (ahead == 0 || toks_[i].kind == Tok::kEnd) return toks_[i];
      --ahead;
      ++i;
    }
  }
  Token Next() {
    bool skip = !nl_.empty() && !nl_.back();
    while (skip && toks_[pos_].kind == Tok::kNewline) ++pos_;
    Token t = toks_[pos_];
    if (t.kind != Tok::kEnd) ++pos_;
    return t;
  }
  bool IsPunct(const char* p) { return Peek().kind == Tok::kPunct && Peek().text == p; }
  bool IsIdent(const char* s) { return Peek().kind == Tok::kIdent && Peek().text == s; }
  // Rego v0 knows `contains`, `every`, `if` and `in` as keywords only once a module imports
  // them (future.keywords[.name]) or rego.v1; v1 always does.
  static bool IsFutureKeyword(std::string_view s) { return s == "contains" || s == "every" || s == "if" || s == "in"; }
  void EnableFutureKeywords(const std::vector<std::string>& path) {
    bool all = (path.size() == 2 && path[0] == "rego" && path[1] == "v1") ||
               (path.size() == 2 && path[0] == "future" && path[1] == "keywords");
    if (all) future_keywords_ = {"contains", "every", "if", "in"};
    else if (path.size() == 3 && path[0] == "future" && path[1] == "keywords") future_keywords_.insert(path[2]);
  }

  // A keyword, unless it is used as a name: "else.foo", "not[0]".
  bool IsKeyword(const char* s) {
    if (!IsIdent(s)) return false;
    if (version_ == RegoVersion::kV0 && IsFutureKeyword(s) && !future_keywords_.count(s)) return false;
    size_t i = pos_;
    while (toks_[i].kind == Tok::kNewline) ++i;
    const Token& after = toks_[i + 1];
    return !(after.kind == Tok::kPunct && after.text == ".");
  }
  void Expect(const char* p) {
    if (!IsPunct(p)) Fail(std::string("expected ") + p + ", found " + Describe(Peek()));
    Next();
  }
  std::string ExpectIdent() {
    if (Peek().kind != Tok::kIdent) Fail("expected identifier, found " + Describe(Peek()));
    return Next().text;
  }
  void SkipNewlines() {
    while (toks_[pos_].kind == Tok::kNewline || (toks_[pos_].kind == Tok::kPunct && toks_[pos_].text == ";")) ++pos_;
  }
  void SkipSeparators() {
    while (Peek().kind == Tok::kNewline || IsPunct(";")) Next();
  }
  void EndOfStatement() {
    if (toks_[pos_].kind == Tok::kNewline || toks_[pos_].kind == Tok::kEnd || IsPunct(";")) return;
    Fail("unexpected " + Describe(toks_[pos_]));
  }
  static std::string Describe(const Token& t) {
    switch (t.kind) {
      case Tok::kEnd: return "end of input";
      case Tok::kNewline: return "newline";
      case Tok::kString: return "string";
      default: return "'" + t.text + "'";
    }
  }
  [[noreturn]] void Fail(const std::string& msg) { throw ParseError{{"rego_parse_error", msg, file_, Peek().loc}}; }

  // Syntax trees deeper than this are refused: parsing, compiling, evaluating and freeing
  // them recurse over their depth (about ten parser frames per bracket), and the stack is
  // finite — also under the sanitizers, whose frames are several times larger (clang's
  // fuzzing build overflowed 8 MiB at 400 levels: tests/fuzz/regressions/deep-unary-then-objects.rego).
  static constexpr int kMaxNesting = 200;
  int nesting_ = 0;
  // Counts the depth of the tree being built in this scope; restores it on exit.
  class Nesting {
   public:
    explicit Nesting(Parser& p) : p_(p), saved_(p.nesting_) {}
    ~Nesting() { p_.nesting_ = saved_; }
    Nesting(const Nesting&) = delete;
    Nesting& operator=(const Nesting&) = delete;
    void Deeper() {
      if (++p_.nesting_ > kMaxNesting) {
        p_.Fail("expression nested more than " + std::to_string(kMaxNesting) + " levels deep");
      }
    }

   private:
    Parser& p_;
    int saved_;
  };

  // Whether the braces at the current token enclose, at their own level, a ':' or a '|': an
  // object or a comprehension, which may be a one-expression body after `if` (a set literal
  // is read as a body either way, so only these need the attempt).
  bool BracesHoldObjectOrComprehension() const {
    int depth = 0;
    for (size_t i = pos_; toks_[i].kind != Tok::kEnd; ++i) {
      if (toks_[i].kind != Tok::kPunct) continue;
      const std::string& p = toks_[i].text;
      if (p == "{" || p == "[" || p == "(") ++depth;
      else if (p == "}" || p == "]" || p == ")") {
        if (--depth == 0) return false;
      } else if (depth == 1 && (p == ":" || p == "|")) {
        return true;
      }
    }
    return false;
  }

  // What `parse` returns, or nullopt with the position and the parser's state restored
  // when it fails.
  template <typename Fn>
  auto TryParse(Fn parse) -> std::optional<decltype(parse())> {
    size_t pos = pos_, nl = nl_.size(), comma = comma_in_.size(), bar = bar_stop_.size();
    try {
      return parse();
    } catch (const ParseError&) {
      pos_ = pos;
      nl_.resize(nl);
      comma_in_.resize(comma);
      bar_stop_.resize(bar);
      return std::nullopt;
    }
  }

  std::vector<std::string> ParseDottedPath(bool package) {
    std::vector<std::string> path;
    path.push_back(ExpectIdent());
    for (;;) {
      if (toks_[pos_].kind == Tok::kPunct && toks_[pos_].text == ".") {
        ++pos_;
        if (toks_[pos_].kind != Tok::kIdent) Fail("expected identifier after '.'");
        path.push_back(toks_[pos_++].text);
      } else if (toks_[pos_].kind == Tok::kPunct && toks_[pos_].text == "[") {
        ++pos_;
        if (toks_[pos_].kind != Tok::kString) Fail("expected string in path");
        path.push_back(toks_[pos_++].text);
        if (!(toks_[pos_].kind == Tok::kPunct && toks_[pos_].text == "]")) Fail("expected ]");
        ++pos_;
      } else {
        break;
      }
    }
    if (package && !path.empty() && path[0] == "data") path.erase(path.begin());
    return path;
  }

  // Rules: one head, then its body; more bodies in braces after it (`p { a } { b }`, which
  // OPA accepts in both versions) define rules with a copy of the head.
  std::vector<std::shared_ptr<Rule>> ParseRules(const std::vector<std::string>& package) {
    std::vector<std::shared_ptr<Rule>> rules = {ParseRule(package)};
    const Rule& first = *rules[0];
    if (first.is_default) return rules;
    for (;;) {
      size_t save = pos_;
      SkipNewlines();
      if (!IsPunct("{")) {
        pos_ = save;
        return rules;
      }
      if (first.else_rule) Fail("expected else keyword");
      auto next = std::make_shared<Rule>();
      next->kind = first.kind;
      next->loc = Peek().loc;
      next->path = first.path;
      next->keys = first.keys;
      next->value = first.value;
      next->args = first.args;
      next->assign = first.assign;
      next->body = ParseBraceBody();
      rules.push_back(std::move(next));
    }
  }

  std::shared_ptr<Rule> ParseRule(const std::vector<std::string>& package) {
    auto rule = std::make_shared<Rule>();
    rule->loc = Peek().loc;
    if (IsIdent("default") && !(toks_[pos_ + 1].kind == Tok::kPunct && (toks_[pos_ + 1].text == "." || toks_[pos_ + 1].text == "["))) {
      Next();
      rule->is_default = true;
    }
    rule->path = package;
    rule->path.push_back(ExpectIdent());
    // Ref head: .name and [term] parts.
    nl_.push_back(false);
    for (;;) {
      if (toks_[pos_].kind == Tok::kPunct && toks_[pos_].text == "." && rule->keys.empty()) {
        ++pos_;
        rule->path.push_back(ExpectIdent());
      } else if (toks_[pos_].kind == Tok::kPunct && toks_[pos_].text == "[") {
        ++pos_;
        auto key = ParseTermExpr();
        Expect("]");
        if (key->kind == TermKind::kScalar && key->value.is_string() && rule->keys.empty()) rule->path.push_back(key->value.str());
        else rule->keys.push_back(key);
      } else if (toks_[pos_].kind == Tok::kPunct && toks_[pos_].text == "." ) {
        ++pos_;
        rule->keys.push_back(MakeScalar(Value::String(ExpectIdent()), Peek().loc));
      } else {
        break;
      }
    }
    nl_.pop_back();
    if (IsPunct("(") ) {
      Next();
      nl_.push_back(false);
      rule->kind = RuleKind::kFunction;
      if (!IsPunct(")")) {
        for (;;) {
          rule->args.push_back(ParseTermExpr());
          if (IsPunct(",")) {
            Next();
            continue;
          }
          break;
        }
      }
      Expect(")");
      nl_.pop_back();
    }
    bool has_value = false;
    if (IsKeyword("contains")) {
      Next();
      rule->kind = RuleKind::kPartialSet;
      rule->keys.push_back(ParseTermNoNl());
    } else if (IsPunct(":=") || IsPunct("=")) {
      rule->assign = Next().text == ":=";
      rule->value = ParseTermNoNl();
      has_value = true;
      if (rule->kind != RuleKind::kFunction) rule->kind = rule->keys.empty() ? RuleKind::kComplete : RuleKind::kPartialObject;
    } else if (rule->kind != RuleKind::kFunction) {
      rule->kind = rule->keys.empty() ? RuleKind::kComplete
                   : version_ == RegoVersion::kV0 && rule->keys.size() == 1 ? RuleKind::kPartialSet
                                                                             : RuleKind::kPartialObject;
    }
    (void)has_value;
    if (!rule->value && rule->kind != RuleKind::kPartialSet) rule->value = MakeScalar(Value::Bool(true), rule->loc);
    if (rule->is_default) {
      EndOfStatement();
      return rule;
    }
    ParseRuleBody(rule.get());
    // else chains
    Rule* last = rule.get();
    for (;;) {
      size_t save = pos_;
      SkipNewlines();
      if (!IsKeyword("else")) {
        pos_ = save;
        break;
      }
      Next();
      auto alt = std::make_shared<Rule>();
      alt->kind = rule->kind;
      alt->path = rule->path;
      alt->args = rule->args;
      alt->loc = Peek().loc;
      if (IsPunct(":=") || IsPunct("=")) {
        Next();
        alt->value = ParseTermNoNl();
      } else {
        alt->value = MakeScalar(Value::Bool(true), alt->loc);
      }
      ParseRuleBody(alt.get());
      last->else_rule = alt;
      last = alt.get();
    }
    return rule;
  }

  TermPtr ParseTermNoNl() {
    nl_.push_back(false);
    auto t = ParseTermExpr();
    nl_.pop_back();
    return t;
  }

  void ParseRuleBody(Rule* rule) {
    if (IsKeyword("if")) {
      Next();
      if (IsPunct("{")) {
        // `if {...}` is a one-expression body when the braces parse as an expression other
        // than a set literal (`if {k: v | ...}`), else a body in braces, as OPA reads it.
        size_t start = pos_;
        std::optional<Expr> literal;
        if (BracesHoldObjectOrComprehension()) {
          nl_.push_back(true);
          literal = TryParse([&] { return ParseExpr(); });
          nl_.pop_back();
        }
        if (literal && !(literal->kind == ExprKind::kTerm && literal->term->kind == TermKind::kSet)) {
          rule->body.push_back(std::move(*literal));
        } else {
          pos_ = start;
          rule->body = ParseBraceBody();
        }
      } else {
        nl_.push_back(true);
        rule->body.push_back(ParseExpr());
        nl_.pop_back();
      }
    } else if (IsPunct("{")) {
      if (version_ == RegoVersion::kV1) Fail("`if` keyword is required before rule body");
      rule->body = ParseBraceBody();
    } else {
      rule->body.push_back(Expr{ExprKind::kTerm, rule->loc, MakeScalar(Value::Bool(true), rule->loc), {}, {}, {}, {}, {}, {}, {}});
      EndOfStatement();
    }
  }

  Body ParseBraceBody() {
    Expect("{");
    nl_.push_back(true);
    Body body;
    SkipSeparators();
    while (!IsPunct("}")) {
      if (Peek().kind == Tok::kEnd) Fail("unexpected end of input in body");
      body.push_back(ParseExpr());
      if (!IsPunct("}") && Peek().kind != Tok::kNewline && !IsPunct(";")) Fail("unexpected " + Describe(Peek()));
      SkipSeparators();
    }
    nl_.pop_back();
    Expect("}");
    if (body.empty()) Fail("found empty body");
    return body;
  }

  // Expressions.
  Expr ParseExpr() {
    Nesting nesting(*this);
    nesting.Deeper();
    Expr e;
    e.loc = Peek().loc;
    if (IsKeyword("some")) {
      Next();
      nl_.push_back(false);
      std::vector<TermPtr> terms;
      terms.push_back(ParseTermRelation());
      while (IsPunct(",")) {
        Next();
        terms.push_back(ParseTermRelation());
      }
      if (IsKeyword("in")) {
        Next();
        e.kind = ExprKind::kSomeIn;
        if (terms.size() > 2) Fail("unexpected , in some");
        if (terms.size() == 2) e.key = terms[0];
        e.value = terms.back();
        e.collection = ParseTermRelation();
      } else if (terms.size() == 1 && terms[0]->kind == TermKind::kCall && terms[0]->name == "internal.member_2") {
        e.kind = ExprKind::kSomeIn;
        e.value = terms[0]->items[1];
        e.collection = terms[0]->items[2];
      } else if (terms.size() == 2 && terms[1]->kind == TermKind::kCall && terms[1]->name == "internal.member_2") {
        e.kind = ExprKind::kSomeIn;
        e.key = terms[0];
        e.value = terms[1]->items[1];
        e.collection = terms[1]->items[2];
      } else {
        e.kind = ExprKind::kSome;
        for (const auto& t : terms) {
          if (t->kind != TermKind::kVar) Fail("expected var in some declaration");
          e.vars.push_back(t->name);
        }
      }
      nl_.pop_back();
    } else if (IsKeyword("every")) {
      Next();
      nl_.push_back(false);
      e.kind = ExprKind::kEvery;
      auto first = ParseTermPrimaryOnly();
      if (IsPunct(",")) {
        Next();
        e.key = first;
        e.value = ParseTermPrimaryOnly();
      } else {
        e.value = first;
      }
      if (!IsKeyword("in")) Fail("expected in after every");
      Next();
      e.collection = ParseTermRelation();
      nl_.pop_back();
      e.body = std::make_shared<Body>(ParseBraceBody());
    } else if (IsKeyword("not")) {
      Next();
      e.kind = ExprKind::kNot;
      auto inner = std::make_shared<Expr>(ParseExpr());
      e.negated = inner;
      return e;
    } else {
      nl_.push_back(false);
      comma_in_.push_back(true);
      e.term = ParseTermExpr();
      comma_in_.pop_back();
      nl_.pop_back();
    }
    for (;;) {
      // A with-modifier may continue the expression on the next line.
      size_t save = pos_;
      while (toks_[pos_].kind == Tok::kNewline) ++pos_;
      if (!IsKeyword("with")) {
        pos_ = save;
        break;
      }
      Next();
      nl_.push_back(false);
      With w;
      w.target = ParseTermPrimary();
      if (!IsKeyword("as")) Fail("expected as in with modifier");
      Next();
      w.value = ParseTermRelation();
      nl_.pop_back();
      e.withs.push_back(w);
    }
    return e;
  }

  // Terms, by precedence: := / = < in < relations < | < & < + - < * / % < unary.
  TermPtr ParseTermExpr() {
    Nesting nesting(*this);
    nesting.Deeper();
    auto lhs = ParseTermIn();
    if (IsPunct(":=") || IsPunct("=")) {
      std::string op = Next().text == ":=" ? "assign" : "eq";
      auto rhs = ParseTermIn();
      return MakeCall(op, {lhs, rhs}, lhs->loc);
    }
    return lhs;
  }
  TermPtr ParseTermIn() {
    auto lhs = ParseTermRelation();
    if (IsPunct(",") && !comma_in_.empty() && comma_in_.back()) {
      // "key, value in collection"; anything else after the comma is not ours.
      size_t save = pos_;
      Next();
      comma_in_.push_back(false);
      auto value = ParseTermRelation();
      comma_in_.pop_back();
      if (IsKeyword("in")) {
        Next();
        auto coll = ParseTermRelation();
        lhs = MakeCall("internal.member_3", {lhs, value, coll}, lhs->loc);
      } else {
        pos_ = save;
      }
    }
    Nesting nesting(*this);
    while (IsKeyword("in")) {
      Next();
      nesting.Deeper();
      auto rhs = ParseTermRelation();
      lhs = MakeCall("internal.member_2", {lhs, rhs}, lhs->loc);
    }
    return lhs;
  }
  TermPtr ParseTermRelation() {
    auto lhs = ParseTermOr();
    Nesting nesting(*this);
    for (;;) {
      static const std::pair<const char*, const char*> kOps[] = {
          {"==", "equal"}, {"!=", "neq"}, {"<=", "lte"}, {">=", "gte"}, {"<", "lt"}, {">", "gt"}};
      const char* op = nullptr;
      for (auto& [p, name] : kOps) if (IsPunct(p)) op = name;
      if (!op) return lhs;
      Next();
      nesting.Deeper();
      lhs = MakeCall(op, {lhs, ParseTermOr()}, lhs->loc);
    }
  }
  TermPtr ParseTermOr() {
    auto lhs = ParseTermAnd();
    Nesting nesting(*this);
    while (IsPunct("|") && (bar_stop_.empty() || !bar_stop_.back())) {
      nesting.Deeper();
      Next();
      lhs = MakeCall("or", {lhs, ParseTermAnd()}, lhs->loc);
    }
    return lhs;
  }
  TermPtr ParseTermAnd() {
    auto lhs = ParseTermArith();
    Nesting nesting(*this);
    while (IsPunct("&")) {
      nesting.Deeper();
      Next();
      lhs = MakeCall("and", {lhs, ParseTermArith()}, lhs->loc);
    }
    return lhs;
  }
  TermPtr ParseTermArith() {
    auto lhs = ParseTermFactor();
    Nesting nesting(*this);
    while (IsPunct("+") || IsPunct("-")) {
      nesting.Deeper();
      std::string op = Next().text == "+" ? "plus" : "minus";
      lhs = MakeCall(op, {lhs, ParseTermFactor()}, lhs->loc);
    }
    return lhs;
  }
  TermPtr ParseTermFactor() {
    auto lhs = ParseTermUnary();
    Nesting nesting(*this);
    while (IsPunct("*") || IsPunct("/") || IsPunct("%")) {
      nesting.Deeper();
      std::string t = Next().text;
      lhs = MakeCall(t == "*" ? "mul" : (t == "/" ? "div" : "rem"), {lhs, ParseTermUnary()}, lhs->loc);
    }
    return lhs;
  }
  TermPtr ParseTermUnary() {
    if (IsPunct("-")) {
      Location loc = Next().loc;
      if (Peek().kind == Tok::kNumber) {
        Token n = Next();
        return ParsePostfix(MakeScalar(Value::NumberText("-" + n.text), loc));
      }
      Nesting nesting(*this);
      nesting.Deeper();
      auto operand = ParseTermUnary();
      return MakeCall("minus", {MakeScalar(Value::Int(0), loc), operand}, loc);
    }
    return ParseTermPrimary();
  }

  TermPtr ParseTermPrimaryOnly() { return ParseTermPrimary(); }

  TermPtr ParseTermPrimary() {
    const Token& t = Peek();
    Location loc = t.loc;
    TermPtr term;
    if (t.kind == Tok::kNumber) {
      term = MakeScalar(Value::NumberText(Next().text), loc);
    } else if (t.kind == Tok::kString) {
      term = MakeScalar(Value::String(Next().text), loc);
    } else if (t.kind == Tok::kTemplate) {
      Token tok = Next();
      auto call = std::make_shared<Term>();
      call->kind = TermKind::kCall;
      call->name = "internal.template_string";
      call->loc = loc;
      call->items.push_back(nullptr);
      Array is_expr;
      for (const auto& [expr, text] : tok.parts) {
        if (!expr) {
          is_expr.push_back(Value::Bool(false));
          call->items.push_back(MakeScalar(Value::String(text), loc));
          continue;
        }
        std::vector<Token> toks = Lex(text);
        bool with = std::any_of(toks.begin(), toks.end(), [](const Token& k) { return k.kind == Tok::kIdent && k.text == "with"; });
        if (!with) {
          is_expr.push_back(Value::Bool(true));
          Parser p(std::move(toks), file_);
          call->items.push_back(p.ParseSingleTerm());
          continue;
        }
        // An expression with modifiers ({a with input as x}): its values, collected by an
        // array comprehension whose body carries the modifiers; the first is shown.
        is_expr.push_back(Value::String("with"));
        Parser p(Lex("[" + std::string(kTemplateValueVar) + " | " + std::string(kTemplateValueVar) + " := " + text + "]"), file_);
        call->items.push_back(p.ParseSingleTerm());
      }
      call->value = Value::MakeArray(is_expr);
      term = call;
    } else if (t.kind == Tok::kIdent) {
      std::string name = Next().text;
      bool as_name = toks_[pos_].kind == Tok::kPunct && (toks_[pos_].text == "." || toks_[pos_].text == "[");
      if ((name == "true" || name == "false") && !as_name) term = MakeScalar(Value::Bool(name == "true"), loc);
      else if (name == "null" && !as_name) term = MakeScalar(Value::Null(), loc);
      else if (name == "set" && IsPunct("(") && Peek(1).kind == Tok::kPunct && Peek(1).text == ")") {
        Next();
        Next();
        auto s = std::make_shared<Term>();
        s->kind = TermKind::kSet;
        s->loc = loc;
        term = s;
      } else {
        term = MakeVar(name, loc);
      }
    } else if (IsPunct("[")) {
      term = ParseArray();
    } else if (IsPunct("{")) {
      term = ParseBraced();
    } else if (IsPunct("(")) {
      Next();
      nl_.push_back(false);
      bar_stop_.push_back(false);
      comma_in_.push_back(true);
      term = ParseTermExpr();
      comma_in_.pop_back();
      bar_stop_.pop_back();
      nl_.pop_back();
      Expect(")");
    } else {
      Fail("unexpected " + Describe(t));
    }
    return ParsePostfix(term);
  }

  // Refs (.name, [term]) and calls on any primary term.
  TermPtr ParsePostfix(TermPtr term) {
    for (;;) {
      // Postfix operators must touch the term: no newline in between.
      if (toks_[pos_].kind == Tok::kPunct && toks_[pos_].text == "." && toks_[pos_ + 1].kind == Tok::kIdent) {
        ++pos_;
        Token name = toks_[pos_++];
        term = Extend(term, MakeScalar(Value::String(name.text), name.loc));
      } else if (toks_[pos_].kind == Tok::kPunct && toks_[pos_].text == "[") {
        ++pos_;
        nl_.push_back(false);
        auto key = ParseTermExpr();
        nl_.pop_back();
        Expect("]");
        term = Extend(term, key);
      } else if (toks_[pos_].kind == Tok::kPunct && toks_[pos_].text == "(" &&
                 (term->kind == TermKind::kVar || term->kind == TermKind::kRef)) {
        ++pos_;
        nl_.push_back(false);
        auto call = std::make_shared<Term>();
        call->kind = TermKind::kCall;
        call->loc = term->loc;
        call->name = StaticRefName(term);  // evaluation looks functions up by this name
        call->items.push_back(term);
        comma_in_.push_back(false);
        if (!IsPunct(")")) {
          for (;;) {
            call->items.push_back(ParseTermExpr());
            if (IsPunct(",")) {
              Next();
              if (IsPunct(")")) break;
              continue;
            }
            break;
          }
        }
        comma_in_.pop_back();
        Expect(")");
        nl_.pop_back();
        term = call;
      } else {
        return term;
      }
    }
  }

  static TermPtr Extend(const TermPtr& base, TermPtr part) {
    auto ref = std::make_shared<Term>();
    ref->kind = TermKind::kRef;
    ref->loc = base->loc;
    if (base->kind == TermKind::kRef) ref->items = base->items;
    else ref->items.push_back(base);
    ref->items.push_back(std::move(part));
    return ref;
  }

  std::shared_ptr<Body> ParseComprehensionBody() {
    nl_.push_back(true);
    bar_stop_.push_back(false);
    auto body = std::make_shared<Body>();
    SkipSeparators();
    for (;;) {
      body->push_back(ParseExpr());
      SkipSeparators();
      if (IsPunct("]") || IsPunct("}")) break;
      if (Peek().kind == Tok::kEnd) Fail("unexpected end of input in comprehension");
    }
    bar_stop_.pop_back();
    nl_.pop_back();
    return body;
  }

  TermPtr ParseArray() {
    Location loc = Next().loc;
    nl_.push_back(false);
    auto arr = std::make_shared<Term>();
    arr->kind = TermKind::kArray;
    arr->loc = loc;
    comma_in_.push_back(false);
    struct Pop {
      std::vector<bool>& v;
      ~Pop() { v.pop_back(); }
    } pop_comma{comma_in_};
    if (!IsPunct("]")) {
      bar_stop_.push_back(true);
      auto first = ParseTermExpr();
      bar_stop_.pop_back();
      if (IsPunct("|")) {
        Next();
        arr->kind = TermKind::kArrayCompr;
        arr->head = first;
        arr->body = ParseComprehensionBody();
        nl_.pop_back();
        Expect("]");
        return arr;
      }
      arr->items.push_back(first);
      while (IsPunct(",")) {
        Next();
        if (IsPunct("]")) break;
        arr->items.push_back(ParseTermExpr());
      }
    }
    nl_.pop_back();
    Expect("]");
    return arr;
  }

  TermPtr ParseBraced() {
    Location loc = Next().loc;
    nl_.push_back(false);
    auto t = std::make_shared<Term>();
    t->loc = loc;
    comma_in_.push_back(false);
    struct Pop {
      std::vector<bool>& v;
      ~Pop() { v.pop_back(); }
    } pop_comma{comma_in_};
    if (IsPunct("}")) {
      Next();
      nl_.pop_back();
      t->kind = TermKind::kObject;
      return t;
    }
    bar_stop_.push_back(true);
    auto first = ParseTermIn();
    if (IsPunct(":")) {
      Next();
      auto value = ParseTermIn();
      bar_stop_.pop_back();
      if (IsPunct("|")) {
        Next();
        t->kind = TermKind::kObjectCompr;
        t->key = first;
        t->head = value;
        t->body = ParseComprehensionBody();
        nl_.pop_back();
        Expect("}");
        return t;
      }
      t->kind = TermKind::kObject;
      t->items = {first, value};
      bar_stop_.push_back(false);
      while (IsPunct(",")) {
        Next();
        if (IsPunct("}")) break;
        auto k = ParseTermIn();
        Expect(":");
        t->items.push_back(k);
        t->items.push_back(ParseTermIn());
      }
    } else if (IsPunct("|")) {
      bar_stop_.pop_back();
      Next();
      t->kind = TermKind::kSetCompr;
      t->head = first;
      t->body = ParseComprehensionBody();
      nl_.pop_back();
      Expect("}");
      return t;
    } else {
      t->kind = TermKind::kSet;
      t->items.push_back(first);
      while (IsPunct(",")) {
        Next();
        if (IsPunct("}")) break;
        t->items.push_back(ParseTermIn());
      }
    }
    bar_stop_.pop_back();
    nl_.pop_back();
    Expect("}");
    return t;
  }

  std::vector<Token> toks_;
  size_t pos_ = 0;
  std::string file_;
  RegoVersion version_;
  std::set<std::string, std::less<>> future_keywords_;  // v0: the keywords imported so far
  std::vector<bool> nl_;  // per nesting level: are newlines significant?
  std::vector<bool> comma_in_;  // per nesting level: may "k, v in c" appear here?
  std::vector<bool> bar_stop_;  // per nesting level: does '|' end the term (comprehension head)?
};

template <typename T, typename Fn>
ParseResult<T> Run(std::string_view text, const std::string& file, Fn fn, RegoVersion version = RegoVersion::kV1) {
  try {
    Parser parser(Lex(text), file, version);
    return fn(parser);
  } catch (const ParseError& e) {
    RegoError err = e.error;
    err.file = file;
    return err;
  }
}

}  // namespace

std::string CallName(const Term& call) {
  return call.name.empty() && call.items[0] ? StaticRefName(call.items[0]) : call.name;
}

std::string StaticRefName(const TermPtr& t) {
  if (t->kind == TermKind::kVar) return t->name;
  if (t->kind != TermKind::kRef || t->items[0]->kind != TermKind::kVar) return "";
  std::string name = t->items[0]->name;
  for (size_t i = 1; i < t->items.size(); ++i) {
    if (t->items[i]->kind != TermKind::kScalar || !t->items[i]->value.is_string()) return "";
    name += "." + t->items[i]->value.str();
  }
  return name;
}

ParseResult<Module> ParseModule(std::string_view text, const std::string& file, RegoVersion version) {
  std::vector<SourceComment> comments;
  ParseResult<Module> parsed;
  try {
    Parser parser(Lex(text, &comments), file, version);
    parsed = parser.ParseModuleTokens();
  } catch (const ParseError& e) {
    RegoError err = e.error;
    err.file = file;
    return err;
  }
  if (auto err = AttachAnnotations(std::get<Module>(parsed), comments)) return *err;
  return parsed;
}

ParseResult<Body> ParseQuery(std::string_view text) {
  return Run<Body>(text, "", [](Parser& p) { return p.ParseQueryTokens(); });
}

ParseResult<TermPtr> ParseTerm(std::string_view text) {
  return Run<TermPtr>(text, "", [](Parser& p) { return p.ParseSingleTerm(); });
}

}  // namespace oep::rego
