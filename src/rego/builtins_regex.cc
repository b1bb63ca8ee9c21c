// regex.* and glob.match, on RE2 (Go's regular-expression syntax).
#include <bitset>
#include <memory>
#include <optional>
#include <tuple>
#include <mutex>
#include <unordered_map>

#include <re2/re2.h>

#include "rego/builtins.h"

namespace oep::rego {
namespace {

using Args = std::vector<Value>;

void Add(Registry& r, const std::string& name, int arity, BuiltinFn fn) { r[name] = Builtin{arity, std::move(fn)}; }

// Compiled patterns are cached: policies use a handful of patterns many times.
std::shared_ptr<RE2> Compile(const std::string& pattern) {
  static std::mutex mu;
  static std::unordered_map<std::string, std::shared_ptr<RE2>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(pattern);
  if (it != cache.end()) return it->second;
  RE2::Options opts;
  opts.set_log_errors(false);
  auto re = std::make_shared<RE2>(pattern, opts);
  if (cache.size() > 1000) cache.clear();
  cache[pattern] = re;
  return re;
}

#define REQUIRE_STRING(fn, i) \
  if (!a[i].is_string()) return BuiltinOut::TypeError(OperandError(fn, i + 1, "string", a[i]))

std::string GlobToRegex(const std::string& glob, const std::vector<std::string>& delimiters) {
  std::string delims;
  for (const auto& d : delimiters) delims += RE2::QuoteMeta(d);
  std::string not_delim = delims.empty() ? "." : "[^" + delims + "]";
  std::string out = "^";
  for (size_t i = 0; i < glob.size(); ++i) {
    char c = glob[i];
    if (c == '\\' && i + 1 < glob.size()) {
      out += RE2::QuoteMeta(std::string(1, glob[++i]));
    } else if (c == '*') {
      if (i + 1 < glob.size() && glob[i + 1] == '*') {
        out += ".*";
        ++i;
      } else {
        out += not_delim + "*";
      }
    } else if (c == '?') {
      out += not_delim;
    } else if (c == '[') {
      size_t end = glob.find(']', i + 1);
      if (end == std::string::npos) return "";
      std::string cls = glob.substr(i + 1, end - i - 1);
      if (!cls.empty() && cls[0] == '!') cls[0] = '^';
      out += "[" + cls + "]";
      i = end;
    } else if (c == '{') {
      size_t end = glob.find('}', i + 1);
      if (end == std::string::npos) return "";
      std::string alts = glob.substr(i + 1, end - i - 1), piece;
      out += "(?:";
      for (size_t j = 0; j <= alts.size(); ++j) {
        if (j == alts.size() || alts[j] == ',') {
          out += GlobToRegex(piece, delimiters).substr(1, std::string::npos);
          out.pop_back();  // drop the "$"
          if (j < alts.size()) out += "|";
          piece.clear();
        } else {
          piece += alts[j];
        }
      }
      out += ")";
      i = end;
    } else {
      out += RE2::QuoteMeta(std::string(1, c));
    }
  }
  return out + "$";
}

// regex.template_match's pattern: the template's text outside delimiter pairs matched
// literally, the text inside each (outermost) pair as a regular expression; nullopt when
// the delimiters do not balance.
std::optional<std::string> TemplateRegex(const std::string& tmpl, char open, char close) {
  std::string out = "^";
  size_t literal_start = 0, inner_start = 0;
  int level = 0;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] == open) {
      if (level++ == 0) {
        out += RE2::QuoteMeta(tmpl.substr(literal_start, i - literal_start));
        inner_start = i + 1;
      }
    } else if (tmpl[i] == close && level > 0) {
      if (--level == 0) {
        out += "(" + tmpl.substr(inner_start, i - inner_start) + ")";
        literal_start = i + 1;
      }
    }
  }
  if (level != 0) return std::nullopt;
  return out + RE2::QuoteMeta(tmpl.substr(literal_start)) + "$";
}

// regex.globs_match's patterns: a sequence of byte classes ('.', [...], \x, literal), each
// once or repeated (* zero or more, + one or more: a class then the class starred).
struct GlobAtom {
  std::bitset<256> chars;
  bool star = false;
};

std::optional<std::vector<GlobAtom>> ParseGlobRegex(const std::string& p, std::string* error) {
  std::vector<GlobAtom> atoms;
  for (size_t i = 0; i < p.size();) {
    GlobAtom atom;
    char c = p[i];
    if (c == '*' || c == '+') {
      *error = "missing argument to repetition operator: `" + std::string(1, c) + "`";
      return std::nullopt;
    }
    if (c == '.') {
      atom.chars.set();
      ++i;
    } else if (c == '\\') {
      if (i + 1 >= p.size()) {
        *error = "trailing backslash at end of expression";
        return std::nullopt;
      }
      atom.chars.set(static_cast<unsigned char>(p[i + 1]));
      i += 2;
    } else if (c == '[') {
      size_t j = i + 1;
      bool negate = j < p.size() && p[j] == '^';
      if (negate) ++j;
      bool closed = false;
      while (j < p.size()) {
        if (p[j] == ']' && j > i + 1 + (negate ? 1 : 0)) {
          closed = true;
          break;
        }
        unsigned char lo = static_cast<unsigned char>(p[j] == '\\' && j + 1 < p.size() ? p[++j] : p[j]);
        unsigned char hi = lo;
        if (j + 2 < p.size() && p[j + 1] == '-' && p[j + 2] != ']') {
          j += 2;
          hi = static_cast<unsigned char>(p[j] == '\\' && j + 1 < p.size() ? p[++j] : p[j]);
        }
        for (int b = lo; b <= hi; ++b) atom.chars.set(static_cast<size_t>(b));
        ++j;
      }
      if (!closed) {
        *error = "input:" + p + ", pos:" + std::to_string(i + 1) + ", found [ without matching ]: the input provided is invalid";
        return std::nullopt;
      }
      if (negate) atom.chars.flip();
      i = j + 1;
    } else {
      atom.chars.set(static_cast<unsigned char>(c));
      ++i;
    }
    if (i < p.size() && (p[i] == '*' || p[i] == '+')) {
      if (p[i] == '+') atoms.push_back(atom);
      atom.star = true;
      ++i;
    }
    atoms.push_back(atom);
  }
  return atoms;
}

// Whether some non-empty string matches both atom sequences (a walk over pairs of positions).
bool GlobsIntersect(const std::vector<GlobAtom>& a, const std::vector<GlobAtom>& b) {
  const size_t na = a.size() + 1, nb = b.size() + 1;
  // seen[consumed][i][j]: positions reached, after consuming no character yet (0) or some (1).
  std::vector<char> seen(2 * na * nb, 0);
  std::vector<std::tuple<int, size_t, size_t>> stack;
  auto visit = [&](int consumed, size_t i, size_t j) {
    // Starred atoms may be skipped: every position reachable without consuming.
    std::vector<std::pair<size_t, size_t>> todo = {{i, j}};
    while (!todo.empty()) {
      auto [x, y] = todo.back();
      todo.pop_back();
      char& s = seen[(static_cast<size_t>(consumed) * na + x) * nb + y];
      if (s) continue;
      s = 1;
      stack.emplace_back(consumed, x, y);
      if (x < a.size() && a[x].star) todo.emplace_back(x + 1, y);
      if (y < b.size() && b[y].star) todo.emplace_back(x, y + 1);
    }
  };
  visit(0, 0, 0);
  while (!stack.empty()) {
    auto [consumed, i, j] = stack.back();
    stack.pop_back();
    if (consumed && i == a.size() && j == b.size()) return true;
    if (i == a.size() || j == b.size() || (a[i].chars & b[j].chars).none()) continue;
    visit(1, a[i].star ? i : i + 1, b[j].star ? j : j + 1);
  }
  return false;
}

}  // namespace

void RegisterRegexBuiltins(Registry& r) {
  Add(r, "regex.match", 2, [](const Args& a) {
    REQUIRE_STRING("regex.match", 0);
    REQUIRE_STRING("regex.match", 1);
    auto re = Compile(a[0].str());
    if (!re->ok()) return BuiltinOut::Error("error parsing regexp: " + re->error());
    return BuiltinOut::Of(Value::Bool(RE2::PartialMatch(a[1].str(), *re)));
  });
  Add(r, "regex.is_valid", 1, [](const Args& a) {
    if (!a[0].is_string()) return BuiltinOut::Of(Value::Bool(false));
    return BuiltinOut::Of(Value::Bool(Compile(a[0].str())->ok()));
  });
  Add(r, "regex.find_n", 3, [](const Args& a) {
    REQUIRE_STRING("regex.find_n", 0);
    REQUIRE_STRING("regex.find_n", 1);
    if (!a[2].is_int()) return BuiltinOut::TypeError(OperandError("regex.find_n", 3, "number", a[2]));
    auto re = Compile(a[0].str());
    if (!re->ok()) return BuiltinOut::Error("error parsing regexp: " + re->error());
    Array out;
    re2::StringPiece input(a[1].str()), match;
    int64_t n = a[2].as_int();
    size_t pos = 0;
    while ((n < 0 || static_cast<int64_t>(out.size()) < n) && pos <= input.size() &&
           re->Match(input, pos, input.size(), RE2::UNANCHORED, &match, 1)) {
      out.push_back(Value::String(std::string(match)));
      size_t end = static_cast<size_t>(match.data() - input.data()) + match.size();
      pos = match.empty() ? end + 1 : end;
    }
    return BuiltinOut::Of(Value::MakeArray(out));
  });
  Add(r, "regex.split", 2, [](const Args& a) {
    REQUIRE_STRING("regex.split", 0);
    REQUIRE_STRING("regex.split", 1);
    auto re = Compile(a[0].str());
    if (!re->ok()) return BuiltinOut::Error("error parsing regexp: " + re->error());
    Array out;
    re2::StringPiece input(a[1].str()), match;
    size_t pos = 0, last = 0;
    while (pos <= input.size() && re->Match(input, pos, input.size(), RE2::UNANCHORED, &match, 1)) {
      size_t start = static_cast<size_t>(match.data() - input.data());
      if (match.empty() && start >= input.size()) break;
      out.push_back(Value::String(std::string(input.substr(last, start - last))));
      last = start + match.size();
      pos = match.empty() ? last + 1 : last;
    }
    out.push_back(Value::String(std::string(input.substr(last))));
    return BuiltinOut::Of(Value::MakeArray(out));
  });
  Add(r, "regex.replace", 3, [](const Args& a) {
    REQUIRE_STRING("regex.replace", 0);
    REQUIRE_STRING("regex.replace", 1);
    REQUIRE_STRING("regex.replace", 2);
    auto re = Compile(a[1].str());
    if (!re->ok()) return BuiltinOut::Error("error parsing regexp: " + re->error());
    std::string s = a[0].str();
    // Go's $1 / ${1} become RE2's \1.
    std::string rewrite;
    const std::string& repl = a[2].str();
    for (size_t i = 0; i < repl.size(); ++i) {
      if (repl[i] == '\\') rewrite += "\\\\";
      else if (repl[i] == '$' && i + 1 < repl.size() && std::isdigit(static_cast<unsigned char>(repl[i + 1]))) rewrite += "\\", rewrite += repl[++i];
      else if (repl[i] == '$' && i + 3 < repl.size() && repl[i + 1] == '{' && repl[i + 3] == '}') rewrite += "\\", rewrite += repl[i + 2], i += 3;
      else rewrite += repl[i];
    }
    RE2::GlobalReplace(&s, *re, rewrite);
    return BuiltinOut::Of(Value::String(s));
  });
  Add(r, "regex.find_all_string_submatch_n", 3, [](const Args& a) {
    REQUIRE_STRING("regex.find_all_string_submatch_n", 0);
    REQUIRE_STRING("regex.find_all_string_submatch_n", 1);
    if (!a[2].is_int()) return BuiltinOut::TypeError(OperandError("regex.find_all_string_submatch_n", 3, "number", a[2]));
    auto re = Compile(a[0].str());
    if (!re->ok()) return BuiltinOut::Error("error parsing regexp: " + re->error());
    int groups = re->NumberOfCapturingGroups() + 1;
    std::vector<re2::StringPiece> m(static_cast<size_t>(groups));
    re2::StringPiece input(a[1].str());
    Array out;
    int64_t n = a[2].as_int();
    size_t pos = 0;
    while ((n < 0 || static_cast<int64_t>(out.size()) < n) && pos <= input.size() &&
           re->Match(input, pos, input.size(), RE2::UNANCHORED, m.data(), groups)) {
      Array row;
      for (const auto& g : m) row.push_back(Value::String(std::string(g)));
      out.push_back(Value::MakeArray(row));
      size_t end = static_cast<size_t>(m[0].data() - input.data()) + m[0].size();
      pos = m[0].empty() ? end + 1 : end;
    }
    return BuiltinOut::Of(Value::MakeArray(out));
  });
  Add(r, "glob.quote_meta", 1, [](const Args& a) {
    REQUIRE_STRING("glob.quote_meta", 0);
    std::string out;
    for (char c : a[0].str()) {
      if (std::strchr("*?\\[]{}", c)) out += '\\';
      out += c;
    }
    return BuiltinOut::Of(Value::String(out));
  });
  Add(r, "regex.template_match", 4, [](const Args& a) {
    for (size_t i = 0; i < 4; ++i) REQUIRE_STRING("regex.template_match", i);
    if (a[2].str().empty() || a[3].str().empty()) return BuiltinOut::Error("regex.template_match: empty delimiter");
    auto rx = TemplateRegex(a[0].str(), a[2].str()[0], a[3].str()[0]);
    if (!rx) return BuiltinOut::Error("regex.template_match: unbalanced braces in template " + a[0].str());
    auto re = Compile(*rx);
    if (!re->ok()) return BuiltinOut::Error("error parsing regexp: " + re->error());
    return BuiltinOut::Of(Value::Bool(RE2::FullMatch(a[1].str(), *re)));
  });
  Add(r, "regex.globs_match", 2, [](const Args& a) {
    REQUIRE_STRING("regex.globs_match", 0);
    REQUIRE_STRING("regex.globs_match", 1);
    std::string error;
    auto first = ParseGlobRegex(a[0].str(), &error);
    auto second = first ? ParseGlobRegex(a[1].str(), &error) : std::nullopt;
    if (!second) return BuiltinOut::Error(error);
    return BuiltinOut::Of(Value::Bool(GlobsIntersect(*first, *second)));
  });
  Add(r, "glob.match", 3, [](const Args& a) {
    REQUIRE_STRING("glob.match", 0);
    REQUIRE_STRING("glob.match", 2);
    std::vector<std::string> delims;  // null: none (wildcards cross '.'); []: the default "."
    if (a[1].is_null()) {
    } else if (a[1].is_array()) {
      for (const auto& d : a[1].array()) {
        if (!d.is_string()) return BuiltinOut::TypeError(OperandError("glob.match", 2, "array[string]", a[1]));
        delims.push_back(d.str());
      }
      if (delims.empty()) delims = {"."};
    } else {
      return BuiltinOut::TypeError(OperandError("glob.match", 2, "array[string] or null", a[1]));
    }
    std::string rx = GlobToRegex(a[0].str(), delims);
    if (rx.empty()) return BuiltinOut::Error("invalid glob pattern");
    auto re = Compile(rx);
    if (!re->ok()) return BuiltinOut::Error("invalid glob pattern: " + re->error());
    return BuiltinOut::Of(Value::Bool(RE2::FullMatch(a[2].str(), *re)));
  });
}

}  // namespace oep::rego
