// regex.* and glob.match, on RE2 (Go's regular-expression syntax).
#include <memory>
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

}  // namespace

void RegisterRegexBuiltins(Registry& r) {
  Add(r, "regex.match", 2, [](const Args& a) {
    REQUIRE_STRING("regex.match", 0);
    REQUIRE_STRING("regex.match", 1);
    auto re = Compile(a[0].str());
    if (!re->ok()) return BuiltinOut::Error("error parsing regexp: " + re->error());
    return BuiltinOut::Of(Value::Bool(RE2::PartialMatch(a[1].str(), *re)));
  });
  r["re_match"] = r["regex.match"];
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
