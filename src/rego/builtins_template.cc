// strings.render_template: the part of Go's text/template that policies use — text,
// {{pipeline}} with fields (.a.b), variables ($x, $x.a), literals and functions (eq, ne,
// lt, le, gt, ge, and, or, not, len, index, print, printf), {{if}}/{{else if}}/{{else}},
// {{range [$i, $x :=] ...}}/{{else}}, {{with}}, {{- / -}} trimming and comments. Values print
// as Go's %v prints the JSON values OPA passes; a missing key prints "<undefined>".
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>

#include "rego/builtins.h"

namespace oep::rego {
namespace {

using Args = std::vector<Value>;

struct TemplateError {
  std::string message;
};

// One {{...}} action's words: fields, variables, literals, function names, parenthesised
// groups are not supported.
struct Command {
  std::vector<std::string> words;
};

struct TNode {
  enum class Kind { kText, kAction, kIf, kRange, kWith } kind = Kind::kText;
  std::string text;                    // kText
  Command pipeline;                    // kAction, and the condition of kIf/kRange/kWith
  std::string key_var, value_var;      // kRange: {{range $i, $x := ...}}; kAction: {{$x := ...}}
  std::vector<std::unique_ptr<TNode>> body, else_body;
};
using Nodes = std::vector<std::unique_ptr<TNode>>;

// Splits an action's text into words, keeping quoted strings whole.
std::vector<std::string> Words(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    if (std::isspace(static_cast<unsigned char>(s[i]))) {
      ++i;
      continue;
    }
    size_t start = i;
    if (s[i] == '"' || s[i] == '`') {
      char q = s[i++];
      while (i < s.size() && s[i] != q) i += (s[i] == '\\' && q == '"') ? 2 : 1;
      if (i >= s.size()) throw TemplateError{"unterminated quoted string"};
      ++i;
    } else {
      while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    }
    out.push_back(s.substr(start, i - start));
  }
  return out;
}

class TemplateParser {
 public:
  explicit TemplateParser(const std::string& t) : t_(t) {}

  Nodes Parse() {
    Nodes nodes;
    std::string end = ParseList(nodes);
    if (!end.empty()) throw TemplateError{"unexpected {{" + end + "}}"};
    return nodes;
  }

 private:
  // Parses nodes up to {{end}} / {{else ...}} (returned) or the end of the text ("").
  std::string ParseList(Nodes& out) {
    for (;;) {
      size_t open = t_.find("{{", pos_);
      std::string text = t_.substr(pos_, open == std::string::npos ? std::string::npos : open - pos_);
      if (open == std::string::npos) {
        AddText(out, text);
        pos_ = t_.size();
        return "";
      }
      bool trim_left = t_.compare(open, 4, "{{- ") == 0;
      if (trim_left) text.erase(text.find_last_not_of(" \t\r\n") + 1);  // npos + 1: all of it
      AddText(out, text);
      size_t close = t_.find("}}", open + 2);
      if (close == std::string::npos) throw TemplateError{"unclosed action"};
      bool trim_right = close >= 2 && t_.compare(close - 2, 2, " -") == 0;
      std::string action = t_.substr(open + 2 + (trim_left ? 2 : 0), close - open - 2 - (trim_left ? 2 : 0) - (trim_right ? 2 : 0));
      pos_ = close + 2;
      if (trim_right) {
        while (pos_ < t_.size() && std::isspace(static_cast<unsigned char>(t_[pos_]))) ++pos_;
      }
      size_t a = action.find_first_not_of(" \t\r\n");
      action = a == std::string::npos ? "" : action.substr(a, action.find_last_not_of(" \t\r\n") - a + 1);
      if (action.rfind("/*", 0) == 0) continue;  // a comment
      std::vector<std::string> words = Words(action);
      if (words.empty()) throw TemplateError{"missing value for command"};
      const std::string& kw = words[0];
      if (kw == "end" || kw == "else") return action;
      auto node = std::make_unique<TNode>();
      if (kw == "if" || kw == "with" || kw == "range") {
        node->kind = kw == "if" ? TNode::Kind::kIf : kw == "with" ? TNode::Kind::kWith : TNode::Kind::kRange;
        words.erase(words.begin());
        if (node->kind == TNode::Kind::kRange) Declarations(words, node.get());
        node->pipeline.words = words;
        if (++depth_ > 400) throw TemplateError{"blocks nested deeper than 400 levels"};
        std::string end = ParseElse(node.get(), ParseList(node->body));
        --depth_;
        if (end != "end") throw TemplateError{"unexpected EOF"};
      } else {
        node->kind = TNode::Kind::kAction;
        if (words.size() >= 3 && words[0][0] == '$' && (words[1] == ":=" || words[1] == "=")) {
          node->value_var = words[0];
          words.erase(words.begin(), words.begin() + 2);
        }
        node->pipeline.words = words;
      }
      out.push_back(std::move(node));
    }
  }

  // After a block's body ended at `end`: its {{else}} / {{else if ...}} branch, up to the
  // block's {{end}} (returned; an else-if nests an if that shares it).
  std::string ParseElse(TNode* node, std::string end) {
    if (end.rfind("else", 0) != 0) return end;
    std::vector<std::string> rest = Words(end.substr(4));
    if (!rest.empty() && rest[0] == "if" && node->kind == TNode::Kind::kIf) {
      auto nested = std::make_unique<TNode>();
      nested->kind = TNode::Kind::kIf;
      rest.erase(rest.begin());
      nested->pipeline.words = rest;
      end = ParseElse(nested.get(), ParseList(nested->body));
      node->else_body.push_back(std::move(nested));
      return end;
    }
    return ParseList(node->else_body);
  }

  // {{range $i, $x := ...}} / {{range $x := ...}}
  static void Declarations(std::vector<std::string>& words, TNode* node) {
    auto assign = std::find(words.begin(), words.end(), ":=");
    if (assign == words.end()) return;
    std::vector<std::string> vars(words.begin(), assign);
    for (auto& v : vars) {
      if (!v.empty() && v.back() == ',') v.pop_back();
    }
    vars.erase(std::remove(vars.begin(), vars.end(), std::string(",")), vars.end());
    if (vars.size() == 1) node->value_var = vars[0];
    if (vars.size() == 2) {
      node->key_var = vars[0];
      node->value_var = vars[1];
    }
    words.erase(words.begin(), assign + 1);
  }

  static void AddText(Nodes& out, const std::string& text) {
    if (text.empty()) return;
    auto node = std::make_unique<TNode>();
    node->text = text;
    out.push_back(std::move(node));
  }

  const std::string& t_;
  size_t pos_ = 0;
  int depth_ = 0;  // parsing recurses per block
};

// A value during execution: absent for a missing key.
using Opt = std::optional<Value>;

std::string GoNumber(const Value& v) {
  if (v.is_int()) return std::to_string(v.as_int());
  double d = v.as_double();
  if (std::floor(d) == d && std::fabs(d) < 1e21) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.0f", d);
    return buf;
  }
  char buf[64];
  for (int precision = 1; precision <= 17; ++precision) {  // shortest text that reads back
    std::snprintf(buf, sizeof buf, "%.*g", precision, d);
    if (std::strtod(buf, nullptr) == d) break;
  }
  return buf;
}

// Go's %v of a JSON value: maps as map[k:v] (sorted keys), slices as [a b].
std::string GoPrint(const Opt& v) {
  if (!v) return "<undefined>";
  switch (v->kind()) {
    case Kind::kNull: return "<nil>";
    case Kind::kBool: return v->as_bool() ? "true" : "false";
    case Kind::kNumber: return GoNumber(*v);
    case Kind::kString: return v->str();
    case Kind::kArray:
    case Kind::kSet: {
      std::string out = "[";
      bool first = true;
      auto add = [&](const Value& e) {
        out += (first ? "" : " ") + GoPrint(e);
        first = false;
      };
      if (v->is_array()) {
        for (const auto& e : v->array()) add(e);
      } else {
        for (const auto& e : v->set()) add(e);
      }
      return out + "]";
    }
    case Kind::kObject: {
      std::string out = "map[";
      bool first = true;
      for (const auto& [k, e] : v->object()) {
        out += (first ? "" : " ") + GoPrint(k) + ":" + GoPrint(e);
        first = false;
      }
      return out + "]";
    }
  }
  return "";
}

bool Truthy(const Opt& v) {
  if (!v) return false;
  switch (v->kind()) {
    case Kind::kNull: return false;
    case Kind::kBool: return v->as_bool();
    case Kind::kNumber: return v->is_int() ? v->as_int() != 0 : v->as_double() != 0;
    case Kind::kString: return !v->str().empty();
    case Kind::kArray: return !v->array().empty();
    case Kind::kSet: return !v->set().empty();
    case Kind::kObject: return !v->object().empty();
  }
  return false;
}

class Executor {
 public:
  explicit Executor(std::string* out) : out_(out) {}

  void Run(const Nodes& nodes, const Opt& dot) {
    for (const auto& n : nodes) {
      switch (n->kind) {
        case TNode::Kind::kText: *out_ += n->text; break;
        case TNode::Kind::kAction: {
          Opt v = Eval(n->pipeline.words, dot);
          if (!n->value_var.empty()) vars_[n->value_var] = v;
          else *out_ += GoPrint(v);
          break;
        }
        case TNode::Kind::kIf: Run(Truthy(Eval(n->pipeline.words, dot)) ? n->body : n->else_body, dot); break;
        case TNode::Kind::kWith: {
          Opt v = Eval(n->pipeline.words, dot);
          if (Truthy(v)) Run(n->body, v);
          else Run(n->else_body, dot);
          break;
        }
        case TNode::Kind::kRange: Range(*n, Eval(n->pipeline.words, dot), dot); break;
      }
    }
  }

 private:
  void Range(const TNode& n, const Opt& over, const Opt& dot) {
    std::vector<std::pair<Value, Value>> items;
    if (over && over->is_array()) {
      for (size_t i = 0; i < over->array().size(); ++i) items.emplace_back(Value::Int(static_cast<int64_t>(i)), over->array()[i]);
    } else if (over && over->is_set()) {
      int64_t i = 0;
      for (const auto& e : over->set()) items.emplace_back(Value::Int(i++), e);
    } else if (over && over->is_object()) {
      for (const auto& [k, e] : over->object()) items.emplace_back(k, e);
    } else if (over && over->is_number() && over->is_int()) {
      for (int64_t i = 0; i < over->as_int(); ++i) items.emplace_back(Value::Int(i), Value::Int(i));
    } else if (Truthy(over)) {
      throw TemplateError{"range can't iterate over " + GoPrint(over)};
    }
    if (items.empty()) {
      Run(n.else_body, dot);
      return;
    }
    for (const auto& [k, e] : items) {
      if (!n.key_var.empty()) vars_[n.key_var] = k;
      if (!n.value_var.empty()) vars_[n.value_var] = e;
      Run(n.body, e);
    }
  }

  // Field chain on a value: missing keys and non-objects read as absent.
  static Opt Fields(Opt v, const std::string& chain) {
    size_t start = 0;
    while (start < chain.size()) {
      size_t dot = chain.find('.', start);
      std::string key = chain.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      if (!key.empty()) {
        if (!v || !v->is_object()) return std::nullopt;
        v = v->Get(Value::String(key));
      }
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    return v;
  }

  Opt Operand(const std::string& w, const Opt& dot) {
    if (w == ".") return dot;
    if (w[0] == '.') return Fields(dot, w.substr(1));
    if (w[0] == '$') {
      size_t d = w.find('.');
      std::string name = w.substr(0, d);
      auto it = vars_.find(name);
      if (it == vars_.end()) throw TemplateError{"undefined variable: " + name};
      return d == std::string::npos ? it->second : Fields(it->second, w.substr(d + 1));
    }
    if (w[0] == '"') {
      std::string s;
      for (size_t i = 1; i + 1 < w.size(); ++i) {
        if (w[i] == '\\' && i + 2 < w.size()) {
          char e = w[++i];
          s += e == 'n' ? '\n' : e == 't' ? '\t' : e;
        } else {
          s += w[i];
        }
      }
      return Value::String(s);
    }
    if (w[0] == '`') return Value::String(w.substr(1, w.size() - 2));
    if (w == "true" || w == "false") return Value::Bool(w == "true");
    if (w == "nil") return Value::Null();
    if (std::isdigit(static_cast<unsigned char>(w[0])) || w[0] == '-') return Value::NumberText(w);
    throw TemplateError{"function \"" + w + "\" not defined"};
  }

  // A command: one operand, or a function applied to operands.
  Opt Eval(const std::vector<std::string>& words, const Opt& dot) {
    if (words.empty()) throw TemplateError{"missing value for command"};
    static const std::set<std::string> kFunctions = {"eq", "ne", "lt", "le", "gt", "ge", "and", "or", "not",
                                                     "len", "index", "print", "printf", "println"};
    const std::string& f = words[0];
    if (!kFunctions.count(f)) {
      if (words.size() > 1) throw TemplateError{"can't give argument to non-function " + f};
      return Operand(f, dot);
    }
    std::vector<Opt> args;
    for (size_t i = 1; i < words.size(); ++i) args.push_back(Operand(words[i], dot));
    auto need = [&](size_t n) {
      if (args.size() < n) throw TemplateError{"wrong number of args for " + f};
    };
    auto cmp = [&]() {
      need(2);
      if (!args[0] || !args[1]) throw TemplateError{"incompatible types for comparison"};
      return args[0]->Compare(*args[1]);
    };
    if (f == "eq") {
      need(2);
      for (size_t i = 1; i < args.size(); ++i) {
        if (args[0] && args[i] && *args[0] == *args[i]) return Value::Bool(true);
      }
      return Value::Bool(false);
    }
    if (f == "ne") return Value::Bool(cmp() != 0);
    if (f == "lt") return Value::Bool(cmp() < 0);
    if (f == "le") return Value::Bool(cmp() <= 0);
    if (f == "gt") return Value::Bool(cmp() > 0);
    if (f == "ge") return Value::Bool(cmp() >= 0);
    if (f == "not") {
      need(1);
      return Value::Bool(!Truthy(args[0]));
    }
    if (f == "and" || f == "or") {
      need(1);
      for (size_t i = 0; i + 1 < args.size(); ++i) {
        if (Truthy(args[i]) == (f == "or")) return args[i];
      }
      return args.back();
    }
    if (f == "len") {
      need(1);
      const Opt& v = args[0];
      if (v && v->is_string()) return Value::Int(static_cast<int64_t>(v->str().size()));
      if (v && v->is_array()) return Value::Int(static_cast<int64_t>(v->array().size()));
      if (v && v->is_object()) return Value::Int(static_cast<int64_t>(v->object().size()));
      if (v && v->is_set()) return Value::Int(static_cast<int64_t>(v->set().size()));
      throw TemplateError{"len of " + GoPrint(v)};
    }
    if (f == "index") {
      need(1);
      Opt v = args[0];
      for (size_t i = 1; i < args.size(); ++i) {
        if (!v || !args[i]) return std::nullopt;
        v = v->Get(*args[i]);
      }
      return v;
    }
    std::string s;  // print, println, printf
    if (f == "printf") {
      need(1);
      std::string format = args[0] ? GoPrint(args[0]) : "";
      size_t next = 1;
      for (size_t i = 0; i < format.size(); ++i) {
        if (format[i] != '%' || i + 1 >= format.size()) {
          s += format[i];
          continue;
        }
        char verb = format[++i];
        if (verb == '%') {
          s += '%';
        } else if (next < args.size()) {
          std::string arg = GoPrint(args[next++]);
          s += verb == 'q' ? "\"" + arg + "\"" : arg;
        } else {
          s += std::string("%!") + verb + "(MISSING)";
        }
      }
      return Value::String(s);
    }
    for (size_t i = 0; i < args.size(); ++i) {
      bool both_strings = i > 0 && args[i] && args[i]->is_string() && args[i - 1] && args[i - 1]->is_string();
      if (i > 0 && (f == "println" || !both_strings)) s += ' ';
      s += GoPrint(args[i]);
    }
    return Value::String(f == "println" ? s + "\n" : s);
  }

  std::string* out_;
  std::map<std::string, Opt> vars_;
};

}  // namespace

void RegisterTemplateBuiltins(Registry& r) {
  r["strings.render_template"] = Builtin{2, [](const Args& a) {
    if (!a[0].is_string()) return BuiltinOut::TypeError(OperandError("strings.render_template", 1, "string", a[0]));
    if (!a[1].is_object()) return BuiltinOut::TypeError(OperandError("strings.render_template", 2, "object", a[1]));
    try {
      Nodes nodes = TemplateParser(a[0].str()).Parse();
      std::string out;
      Executor(&out).Run(nodes, a[1]);
      return BuiltinOut::Of(Value::String(out));
    } catch (const TemplateError& e) {
      return BuiltinOut::Error("template: " + e.message);
    }
  }};
}

}  // namespace oep::rego
