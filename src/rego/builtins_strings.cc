// strings: concat, contains, startswith, endswith, lower, upper, split, replace, trim*,
// substring, indexof, format_int, sprintf, strings.* helpers.
#include <algorithm>
#include <cctype>
#include <cstdio>

#include "rego/builtins.h"

namespace oep::rego {
namespace {

using Args = std::vector<Value>;

void Add(Registry& r, const std::string& name, int arity, BuiltinFn fn) { r[name] = Builtin{arity, std::move(fn)}; }

#define REQUIRE_STRING(fn, i)                                                                 \
  if (!a[i].is_string()) return BuiltinOut::TypeError(OperandError(fn, i + 1, "string", a[i]))

// Unicode code points of UTF-8 text (for substring, indexof, reverse).
std::vector<std::string> CodePoints(const std::string& s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
    out.push_back(s.substr(i, n));
    i += n;
  }
  return out;
}

std::string TrimSet(const std::string& s, const std::string& cut, bool left, bool right) {
  auto cps = CodePoints(s);
  auto cut_cps = CodePoints(cut);
  auto in_cut = [&](const std::string& cp) { return std::find(cut_cps.begin(), cut_cps.end(), cp) != cut_cps.end(); };
  size_t b = 0, e = cps.size();
  if (left) while (b < e && in_cut(cps[b])) ++b;
  if (right) while (e > b && in_cut(cps[e - 1])) --e;
  std::string out;
  for (size_t i = b; i < e; ++i) out += cps[i];
  return out;
}

// The length of ReplaceAll(s, old, neu): saturating, so a reservation can be checked first.
uint64_t ReplacedLength(const std::string& s, const std::string& old, const std::string& neu) {
  uint64_t count = 0;
  if (old.empty()) {
    for (size_t i = 0; i < s.size(); ++i) count += (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
    ++count;
  } else {
    for (size_t at = s.find(old); at != std::string::npos; at = s.find(old, at + old.size())) ++count;
  }
  uint64_t added;
  if (__builtin_mul_overflow(count, static_cast<uint64_t>(neu.size()), &added)) return UINT64_MAX;
  uint64_t removed = old.empty() ? 0 : count * old.size();
  uint64_t kept = s.size() - removed;
  return added > UINT64_MAX - kept ? UINT64_MAX : kept + added;
}

std::string ReplaceAll(const std::string& s, const std::string& old, const std::string& neu, int64_t limit = -1) {
  if (old.empty()) {
    // Go inserts `neu` between every code point and at both ends.
    std::string out = neu;
    for (const auto& cp : CodePoints(s)) out += cp + neu;
    return out;
  }
  std::string out;
  size_t pos = 0;
  int64_t n = 0;
  for (;;) {
    size_t at = s.find(old, pos);
    if (at == std::string::npos || (limit >= 0 && n >= limit)) break;
    out += s.substr(pos, at - pos) + neu;
    pos = at + old.size();
    ++n;
  }
  return out + s.substr(pos);
}

// Go's fmt verbs as OPA's sprintf uses them, for Rego values.
std::string FormatValue(const Value& v, char verb, const std::string& flags) {
  char buf[128];
  switch (verb) {
    case 'd':
      if (v.is_int()) return std::to_string(v.as_int());
      if (v.is_number()) return "%!d(big.Float=" + v.ToJson() + ")";
      return "%!d(" + v.ToJson() + ")";
    case 'f':
    case 'e':
    case 'g': {
      if (!v.is_number()) return std::string("%!") + verb + "(" + v.ToJson() + ")";
      std::string fmt = "%" + flags + verb;
      std::snprintf(buf, sizeof buf, fmt.c_str(), v.as_double());
      return buf;
    }
    case 's':
      if (v.is_string()) return v.str();
      return v.ToRego();
    case 'q': {
      std::string out = "\"";
      for (char c : v.is_string() ? v.str() : v.ToRego()) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
      return out + "\"";
    }
    case 'x':
    case 'X': {
      if (v.is_int()) {
        std::snprintf(buf, sizeof buf, verb == 'x' ? "%llx" : "%llX", static_cast<long long>(v.as_int()));
        return buf;
      }
      if (v.is_string()) {
        std::string out;
        for (unsigned char c : v.str()) {
          std::snprintf(buf, sizeof buf, verb == 'x' ? "%02x" : "%02X", c);
          out += buf;
        }
        return out;
      }
      return v.ToJson();
    }
    case 't': return v.is_bool() ? (v.as_bool() ? "true" : "false") : "%!t(" + v.ToJson() + ")";
    case 'v':
    default:
      if (v.is_string()) return v.str();
      return v.ToRegoDisplay();
  }
}

// True when a width or precision in `flags` has a run of digits Go's fmt refuses: it stops
// reading a number once its value passes 10^6 (fmt's tooLarge).
bool WidthTooLarge(const std::string& flags) {
  int64_t num = 0;
  bool in_number = false;
  for (char c : flags) {
    if (c >= '0' && c <= '9') {
      if (in_number && num > 1'000'000) return true;
      num = (in_number ? num * 10 : 0) + (c - '0');
      in_number = true;
    } else {
      in_number = false;
      num = 0;
    }
  }
  return false;
}

BuiltinOut Sprintf(const Args& a) {
  if (!a[0].is_string()) return BuiltinOut::TypeError(OperandError("sprintf", 1, "string", a[0]));
  if (!a[1].is_array()) return BuiltinOut::TypeError(OperandError("sprintf", 2, "array", a[1]));
  const std::string& f = a[0].str();
  const Array& args = a[1].array();
  std::string out;
  size_t next = 0;
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] != '%') {
      out += f[i];
      continue;
    }
    if (i + 1 < f.size() && f[i + 1] == '%') {
      out += '%';
      ++i;
      continue;
    }
    std::string flags;
    size_t j = i + 1;
    while (j < f.size() && std::strchr("+-# 0123456789.", f[j])) flags += f[j++];
    if (j >= f.size() || WidthTooLarge(flags)) {
      // Go's fmt takes a width or precision past 10^6 for a runaway number and gives up
      // on the rest of the format.
      out += "%!(NOVERB)";
      break;
    }
    char verb = f[j];
    i = j;
    if (next >= args.size()) {
      out += std::string("%!") + verb + "(MISSING)";
      continue;
    }
    const Value& arg = args[next++];
    if (arg.is_array() || arg.is_object() || arg.is_set()) {
      if (auto refused = ReserveMemory(EncodedBytes(arg, MemoryLeft()))) return *refused;
    }
    std::string s = FormatValue(arg, verb, flags);
    // Width for strings and integers.
    if (verb != 'f' && verb != 'e' && verb != 'g' && !flags.empty() && std::isdigit(static_cast<unsigned char>(flags.back()))) {
      bool left = flags[0] == '-';
      bool zero = flags[0] == '0';
      size_t width = static_cast<size_t>(std::atoi(flags.c_str() + (left || zero ? 1 : 0)));
      if (auto refused = ReserveMemory(std::max(width, s.size()))) return *refused;
      if (s.size() < width) s = left ? s + std::string(width - s.size(), ' ') : std::string(width - s.size(), zero ? '0' : ' ') + s;
    }
    out += s;
  }
  if (next < args.size()) {
    out += "%!(EXTRA ";
    for (size_t k = next; k < args.size(); ++k) {
      out += (k > next ? ", " : "") + args[k].TypeName() + "=" + FormatValue(args[k], 'v', "");
    }
    out += ")";
  }
  return BuiltinOut::Of(Value::String(out));
}

// split(s, d): the pieces of `s` between occurrences of `d`, or its code points when `d`
// is empty; the budget's error when they do not fit.
BuiltinOut Split(const std::string& s, const std::string& d) {
  Array out;
  // Each piece: its Value, its string's header and control block, its text.
  constexpr uint64_t kPieceBytes = kArrayElementBytes + 64;
  uint64_t pieces = 1;
  if (d.empty()) pieces = s.size();
  else for (size_t at = s.find(d); at != std::string::npos; at = s.find(d, at + d.size())) ++pieces;
  if (auto refused = ReserveMemory(pieces, kPieceBytes)) return *refused;
  if (auto refused = ReserveMemory(s.size())) return *refused;
  out.reserve(pieces);
  if (d.empty()) {
    for (const auto& cp : CodePoints(s)) out.push_back(Value::String(cp));
    return BuiltinOut::Of(Value::MakeArray(out));
  }
  size_t pos = 0;
  for (;;) {
    size_t at = s.find(d, pos);
    out.push_back(Value::String(s.substr(pos, at == std::string::npos ? std::string::npos : at - pos)));
    if (at == std::string::npos) break;
    pos = at + d.size();
  }
  return BuiltinOut::Of(Value::MakeArray(out));
}

}  // namespace

void RegisterStringBuiltins(Registry& r) {
  Add(r, "concat", 2, [](const Args& a) {
    REQUIRE_STRING("concat", 0);
    if (!a[1].is_array() && !a[1].is_set()) return BuiltinOut::TypeError(OperandError("concat", 2, "any<array[string], set[string]>", a[1]));
    uint64_t length = 0, n = 0;
    auto measure = [&](const Value& v) {
      if (v.is_string()) length += v.str().size(), ++n;
    };
    if (a[1].is_array()) for (const auto& v : a[1].array()) measure(v);
    else for (const auto& v : a[1].set()) measure(v);
    uint64_t separators = n > 0 ? n - 1 : 0;
    if (auto refused = ReserveMemory(separators, a[0].str().size())) return *refused;
    if (auto refused = ReserveMemory(length)) return *refused;
    std::string out;
    out.reserve(length + separators * a[0].str().size());
    bool first = true;
    auto add = [&](const Value& v) {
      if (!v.is_string()) return false;
      if (!first) out += a[0].str();
      first = false;
      out += v.str();
      return true;
    };
    if (a[1].is_array()) {
      for (const auto& v : a[1].array()) if (!add(v)) return BuiltinOut::TypeError(OperandError("concat", 2, "array[string]", a[1]));
    } else {
      for (const auto& v : a[1].set()) if (!add(v)) return BuiltinOut::TypeError(OperandError("concat", 2, "set[string]", a[1]));
    }
    return BuiltinOut::Of(Value::String(std::move(out)));
  });
  auto pred2 = [&](const char* name, bool (*p)(const std::string&, const std::string&)) {
    std::string n = name;
    Add(r, n, 2, [n, p](const Args& a) {
      REQUIRE_STRING(n, 0);
      REQUIRE_STRING(n, 1);
      return BuiltinOut::Of(Value::Bool(p(a[0].str(), a[1].str())));
    });
  };
  pred2("contains", [](const std::string& s, const std::string& t) { return s.find(t) != std::string::npos; });
  pred2("startswith", [](const std::string& s, const std::string& t) { return s.rfind(t, 0) == 0; });
  pred2("endswith", [](const std::string& s, const std::string& t) {
    return s.size() >= t.size() && s.compare(s.size() - t.size(), t.size(), t) == 0;
  });
  Add(r, "lower", 1, [](const Args& a) {
    REQUIRE_STRING("lower", 0);
    std::string s = a[0].str();
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return BuiltinOut::Of(Value::String(s));
  });
  Add(r, "upper", 1, [](const Args& a) {
    REQUIRE_STRING("upper", 0);
    std::string s = a[0].str();
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return BuiltinOut::Of(Value::String(s));
  });
  Add(r, "split", 2, [](const Args& a) {
    REQUIRE_STRING("split", 0);
    REQUIRE_STRING("split", 1);
    return Split(a[0].str(), a[1].str());
  });
  // strings.split_n(x, delimiter, n): split's parts, the first n (n > 0) or the last -n (n < 0);
  // none for 0, all when there are fewer.
  Add(r, "strings.split_n", 3, [](const Args& a) {
    REQUIRE_STRING("strings.split_n", 0);
    REQUIRE_STRING("strings.split_n", 1);
    if (!a[2].is_int()) return BuiltinOut::TypeError(OperandError("strings.split_n", 3, "integer", a[2]));
    BuiltinOut all = Split(a[0].str(), a[1].str());
    if (all.kind != BuiltinOut::Kind::kValue) return all;
    const Array& parts = all.value.array();
    int64_t n = a[2].as_int();
    size_t keep = static_cast<size_t>(std::min<uint64_t>(n < 0 ? 0 - static_cast<uint64_t>(n) : static_cast<uint64_t>(n),
                                                          parts.size()));
    if (n >= 0) return BuiltinOut::Of(Value::MakeArray(Array(parts.begin(), parts.begin() + static_cast<std::ptrdiff_t>(keep))));
    return BuiltinOut::Of(Value::MakeArray(Array(parts.end() - static_cast<std::ptrdiff_t>(keep), parts.end())));
  });
  Add(r, "replace", 3, [](const Args& a) {
    REQUIRE_STRING("replace", 0);
    REQUIRE_STRING("replace", 1);
    REQUIRE_STRING("replace", 2);
    if (auto refused = ReserveMemory(ReplacedLength(a[0].str(), a[1].str(), a[2].str()))) return *refused;
    return BuiltinOut::Of(Value::String(ReplaceAll(a[0].str(), a[1].str(), a[2].str())));
  });
  Add(r, "strings.replace_n", 2, [](const Args& a) {
    if (!a[0].is_object()) return BuiltinOut::TypeError(OperandError("strings.replace_n", 1, "object[string: string]", a[0]));
    REQUIRE_STRING("strings.replace_n", 1);
    std::string s = a[1].str();
    for (const auto& [k, v] : a[0].object()) {
      if (!k.is_string()) return BuiltinOut::TypeError("operand 1 non-string key found in pattern object");
      if (!v.is_string()) return BuiltinOut::TypeError("operand 1 non-string value found in pattern object");
      if (auto refused = ReserveMemory(ReplacedLength(s, k.str(), v.str()))) return *refused;
      s = ReplaceAll(s, k.str(), v.str());
    }
    return BuiltinOut::Of(Value::String(s));
  });
  struct TrimSpec {
    const char* name;
    bool left, right;
  };
  for (TrimSpec t : {TrimSpec{"trim", true, true}, TrimSpec{"trim_left", true, false}, TrimSpec{"trim_right", false, true}}) {
    std::string n = t.name;
    Add(r, n, 2, [n, t](const Args& a) {
      REQUIRE_STRING(n, 0);
      REQUIRE_STRING(n, 1);
      return BuiltinOut::Of(Value::String(TrimSet(a[0].str(), a[1].str(), t.left, t.right)));
    });
  }
  Add(r, "trim_space", 1, [](const Args& a) {
    REQUIRE_STRING("trim_space", 0);
    return BuiltinOut::Of(Value::String(TrimSet(a[0].str(), " \t\n\r\v\f", true, true)));
  });
  Add(r, "trim_prefix", 2, [](const Args& a) {
    REQUIRE_STRING("trim_prefix", 0);
    REQUIRE_STRING("trim_prefix", 1);
    const std::string &s = a[0].str(), &p = a[1].str();
    return BuiltinOut::Of(Value::String(s.rfind(p, 0) == 0 ? s.substr(p.size()) : s));
  });
  Add(r, "trim_suffix", 2, [](const Args& a) {
    REQUIRE_STRING("trim_suffix", 0);
    REQUIRE_STRING("trim_suffix", 1);
    const std::string &s = a[0].str(), &p = a[1].str();
    bool ends = s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
    return BuiltinOut::Of(Value::String(ends ? s.substr(0, s.size() - p.size()) : s));
  });
  Add(r, "substring", 3, [](const Args& a) {
    REQUIRE_STRING("substring", 0);
    if (!a[1].is_number()) return BuiltinOut::TypeError(OperandError("substring", 2, "number", a[1]));
    if (!a[2].is_number()) return BuiltinOut::TypeError(OperandError("substring", 3, "number", a[2]));
    if (!a[1].is_int() || !a[2].is_int()) return BuiltinOut::Error("operand must be integer");
    auto cps = CodePoints(a[0].str());
    int64_t start = a[1].as_int(), len = a[2].as_int();
    if (start < 0) return BuiltinOut::Error("negative offset");
    if (start >= static_cast<int64_t>(cps.size())) return BuiltinOut::Of(Value::String(""));
    int64_t end = len < 0 ? static_cast<int64_t>(cps.size()) : std::min<int64_t>(static_cast<int64_t>(cps.size()), start + len);
    std::string out;
    for (int64_t i = start; i < end; ++i) out += cps[static_cast<size_t>(i)];
    return BuiltinOut::Of(Value::String(out));
  });
  Add(r, "indexof", 2, [](const Args& a) {
    REQUIRE_STRING("indexof", 0);
    REQUIRE_STRING("indexof", 1);
    size_t at = a[0].str().find(a[1].str());
    if (at == std::string::npos) return BuiltinOut::Of(Value::Int(-1));
    return BuiltinOut::Of(Value::Int(static_cast<int64_t>(CodePoints(a[0].str().substr(0, at)).size())));
  });
  Add(r, "indexof_n", 2, [](const Args& a) {
    REQUIRE_STRING("indexof_n", 0);
    REQUIRE_STRING("indexof_n", 1);
    Array out;
    const std::string &s = a[0].str(), &t = a[1].str();
    for (size_t at = s.find(t); at != std::string::npos && !t.empty(); at = s.find(t, at + 1)) {
      out.push_back(Value::Int(static_cast<int64_t>(CodePoints(s.substr(0, at)).size())));
    }
    return BuiltinOut::Of(Value::MakeArray(out));
  });
  Add(r, "strings.reverse", 1, [](const Args& a) {
    REQUIRE_STRING("strings.reverse", 0);
    auto cps = CodePoints(a[0].str());
    std::string out;
    for (auto it = cps.rbegin(); it != cps.rend(); ++it) out += *it;
    return BuiltinOut::Of(Value::String(out));
  });
  Add(r, "strings.count", 2, [](const Args& a) {
    REQUIRE_STRING("strings.count", 0);
    REQUIRE_STRING("strings.count", 1);
    const std::string &s = a[0].str(), &t = a[1].str();
    if (t.empty()) return BuiltinOut::Of(Value::Int(static_cast<int64_t>(CodePoints(s).size()) + 1));
    int64_t n = 0;
    for (size_t at = s.find(t); at != std::string::npos; at = s.find(t, at + t.size())) ++n;
    return BuiltinOut::Of(Value::Int(n));
  });
  auto any_match = [&](const char* name, bool prefix) {
    std::string n = name;
    Add(r, n, 2, [n, prefix](const Args& a) {
      // "" when `v` is a string or a collection of strings, else OPA's type error text.
      auto items = [](const Value& v, int operand, std::vector<std::string>* out) -> std::string {
        std::string must = "operand " + std::to_string(operand) + " must be ";
        auto all = [&](auto& elems, const char* kind) -> std::string {
          for (const auto& e : elems) {
            if (!e.is_string()) return must + kind + " of strings but got " + kind + " containing " + e.TypeName();
            out->push_back(e.str());
          }
          return "";
        };
        if (v.is_string()) out->push_back(v.str());
        else if (v.is_array()) return all(v.array(), "array");
        else if (v.is_set()) return all(v.set(), "set");
        else return must + "one of {string, set, array} but got " + v.TypeName();
        return "";
      };
      std::vector<std::string> xs, ys;
      if (auto err = items(a[0], 1, &xs); !err.empty()) return BuiltinOut::TypeError(err);
      if (auto err = items(a[1], 2, &ys); !err.empty()) return BuiltinOut::TypeError(err);
      for (const auto& x : xs) {
        for (const auto& y : ys) {
          bool m = prefix ? x.rfind(y, 0) == 0 : (x.size() >= y.size() && x.compare(x.size() - y.size(), y.size(), y) == 0);
          if (m) return BuiltinOut::Of(Value::Bool(true));
        }
      }
      return BuiltinOut::Of(Value::Bool(false));
    });
  };
  any_match("strings.any_prefix_match", true);
  any_match("strings.any_suffix_match", false);
  Add(r, "format_int", 2, [](const Args& a) {
    if (!a[0].is_number()) return BuiltinOut::TypeError(OperandError("format_int", 1, "number", a[0]));
    if (!a[1].is_number()) return BuiltinOut::TypeError(OperandError("format_int", 2, "number", a[1]));
    int64_t base = a[1].as_int();
    if (base != 2 && base != 8 && base != 10 && base != 16) return BuiltinOut::TypeError("operand 2 must be one of {2, 8, 10, 16}");
    int64_t v = static_cast<int64_t>(a[0].as_double());
    bool neg = v < 0;
    uint64_t u = neg ? static_cast<uint64_t>(-v) : static_cast<uint64_t>(v);
    std::string out;
    do {
      out += "0123456789abcdef"[u % static_cast<uint64_t>(base)];
      u /= static_cast<uint64_t>(base);
    } while (u);
    if (neg) out += '-';
    std::reverse(out.begin(), out.end());
    return BuiltinOut::Of(Value::String(out));
  });
  Add(r, "sprintf", 2, Sprintf);
}

}  // namespace oep::rego
