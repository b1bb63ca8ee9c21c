// uri.parse and uri.is_valid: a URI split as Go's net/url.Parse splits it (which OPA uses),
// with its acceptance rules and error texts.
#include <algorithm>
#include <optional>
#include <string>

#include "rego/builtins.h"

namespace oep::rego {
namespace {

using Args = std::vector<Value>;

void Add(Registry& r, const std::string& name, int arity, BuiltinFn fn) { r[name] = Builtin{arity, std::move(fn)}; }

enum class Part { kPath, kHost, kFragment };

bool IsAlnum(unsigned char c) { return std::isalnum(c) != 0; }

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Whether net/url escapes byte `c` in `part`.
bool ShouldEscape(unsigned char c, Part part) {
  if (IsAlnum(c)) return false;
  if (part == Part::kHost) {
    switch (c) {
      case '!': case '$': case '&': case '\'': case '(': case ')': case '*': case '+': case ',': case ';':
      case '=': case ':': case '[': case ']': case '<': case '>': case '"': return false;
      default: break;
    }
  }
  switch (c) {
    case '-': case '_': case '.': case '~': return false;
    case '$': case '&': case '+': case ',': case '/': case ':': case ';': case '=': case '?': case '@':
      return part == Part::kPath ? c == '?' : part == Part::kFragment ? false : true;
    default: break;
  }
  if (part == Part::kFragment && (c == '!' || c == '(' || c == ')' || c == '*')) return false;
  return true;
}

// %XX decoded (not '+'); in a host, characters it may not hold are errors. Sets *error.
std::optional<std::string> Unescape(const std::string& s, Part part, std::string* error) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '%') {
      if (i + 2 >= s.size() || Hex(s[i + 1]) < 0 || Hex(s[i + 2]) < 0) {
        *error = "invalid URL escape \"" + s.substr(i, 3) + "\"";
        return std::nullopt;
      }
      // In a host only %25 (an IPv6 zone's '%') and escapes of non-ASCII bytes are allowed.
      if (part == Part::kHost && Hex(s[i + 1]) < 8 && s.compare(i, 3, "%25") != 0) {
        *error = "invalid URL escape \"" + s.substr(i, 3) + "\"";
        return std::nullopt;
      }
      out += static_cast<char>(Hex(s[i + 1]) * 16 + Hex(s[i + 2]));
      i += 2;
    } else {
      if (part == Part::kHost && c < 0x80 && ShouldEscape(c, part)) {
        *error = "invalid character \"" + s.substr(i, 1) + "\" in host name";
        return std::nullopt;
      }
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string Escape(const std::string& s, Part part) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (ShouldEscape(c, part)) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// "" or ":" followed by digits only.
bool ValidOptionalPort(const std::string& port) {
  if (port.empty()) return true;
  if (port[0] != ':') return false;
  return std::all_of(port.begin() + 1, port.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool ValidUserinfo(const std::string& s) {
  static const std::string kAllowed = "-._:~!$&'()*+,;=%@";
  return std::all_of(s.begin(), s.end(), [](char c) { return IsAlnum(static_cast<unsigned char>(c)) || kAllowed.find(c) != std::string::npos; });
}

struct Uri {
  std::string scheme, host, path, raw_path, raw_query, fragment;
};

std::optional<std::string> ParseHost(const std::string& host, std::string* error) {
  if (!host.empty() && host[0] == '[') {
    size_t close = host.rfind(']');
    if (close == std::string::npos) {
      *error = "missing ']' in host";
      return std::nullopt;
    }
    if (!ValidOptionalPort(host.substr(close + 1))) {
      *error = "invalid port \"" + host.substr(close + 1) + "\" after host";
      return std::nullopt;
    }
  } else if (size_t colon = host.rfind(':'); colon != std::string::npos && !ValidOptionalPort(host.substr(colon))) {
    *error = "invalid port \"" + host.substr(colon) + "\" after host";
    return std::nullopt;
  }
  return Unescape(host, Part::kHost, error);
}

// net/url.Parse; nullopt with *error as Go words it (after `parse "<text>": `).
std::optional<Uri> Parse(const std::string& text, std::string* error) {
  Uri u;
  size_t hash = text.find('#');
  std::string rest = text.substr(0, hash);
  if (std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    *error = "net/url: invalid control character in URL";
    return std::nullopt;
  }
  if (rest == "*") {
    u.path = u.raw_path = "*";
  } else {
    // The scheme: a letter, then letters, digits, '+', '-' or '.', up to ':'.
    for (size_t i = 0; i < rest.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(rest[i]);
      if (std::isalpha(c)) continue;
      if (std::isdigit(c) || c == '+' || c == '-' || c == '.') {
        if (i == 0) break;
        continue;
      }
      if (c == ':') {
        if (i == 0) {
          *error = "missing protocol scheme";
          return std::nullopt;
        }
        u.scheme = rest.substr(0, i);
        for (auto& ch : u.scheme) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        rest = rest.substr(i + 1);
      }
      break;
    }
    if (!rest.empty() && rest.back() == '?' && std::count(rest.begin(), rest.end(), '?') == 1) {
      rest.pop_back();
    } else if (size_t q = rest.find('?'); q != std::string::npos) {
      u.raw_query = rest.substr(q + 1);
      rest = rest.substr(0, q);
    }
    if (rest.empty() || rest[0] != '/') {
      if (!u.scheme.empty()) {
        rest.clear();  // an opaque URI ("mailto:x"): no path
      } else if (rest.substr(0, rest.find('/')).find(':') != std::string::npos) {
        *error = "first path segment in URL cannot contain colon";
        return std::nullopt;
      }
    }
    if ((!u.scheme.empty() || rest.rfind("///", 0) != 0) && rest.rfind("//", 0) == 0) {
      size_t slash = rest.find('/', 2);
      std::string authority = rest.substr(2, slash == std::string::npos ? std::string::npos : slash - 2);
      rest = slash == std::string::npos ? "" : rest.substr(slash);
      size_t at = authority.rfind('@');
      if (at != std::string::npos && !ValidUserinfo(authority.substr(0, at))) {
        *error = "net/url: invalid userinfo";
        return std::nullopt;
      }
      auto host = ParseHost(at == std::string::npos ? authority : authority.substr(at + 1), error);
      if (!host) return std::nullopt;
      u.host = *host;
    }
    auto path = Unescape(rest, Part::kPath, error);
    if (!path) return std::nullopt;
    u.path = *path;
    u.raw_path = Escape(*path, Part::kPath) == rest ? *path : rest;
  }
  if (hash != std::string::npos) {
    auto fragment = Unescape(text.substr(hash + 1), Part::kFragment, error);
    if (!fragment) return std::nullopt;
    u.fragment = *fragment;
  }
  return u;
}

}  // namespace

void RegisterUriBuiltins(Registry& r) {
  // Members only for the parts present: scheme, hostname, port, path with raw_path (its
  // escaped form when that differs), raw_query, fragment.
  Add(r, "uri.parse", 1, [](const Args& a) {
    if (!a[0].is_string()) return BuiltinOut::TypeError(OperandError("", 1, "string", a[0]));
    std::string error;
    auto u = Parse(a[0].str(), &error);
    if (!u) return BuiltinOut::Error("parse \"" + a[0].str() + "\": " + error);
    // Hostname and port: the port is the digits after the last ':' when all are digits.
    std::string hostname = u->host, port;
    if (size_t colon = hostname.rfind(':'); colon != std::string::npos && ValidOptionalPort(hostname.substr(colon))) {
      port = hostname.substr(colon + 1);
      hostname.resize(colon);
    }
    if (hostname.size() >= 2 && hostname.front() == '[' && hostname.back() == ']') hostname = hostname.substr(1, hostname.size() - 2);
    Object o;
    auto put = [&](const char* key, const std::string& v) {
      if (!v.empty()) o[Value::String(key)] = Value::String(v);
    };
    put("scheme", u->scheme);
    put("hostname", hostname);
    put("port", port);
    put("path", u->path);
    if (!u->path.empty()) put("raw_path", u->raw_path);
    put("raw_query", u->raw_query);
    put("fragment", u->fragment);
    return BuiltinOut::Of(Value::MakeObject(std::move(o)));
  });
  // False for a non-string, the empty string, and whatever uri.parse refuses.
  Add(r, "uri.is_valid", 1, [](const Args& a) {
    if (!a[0].is_string() || a[0].str().empty()) return BuiltinOut::Of(Value::Bool(false));
    std::string error;
    return BuiltinOut::Of(Value::Bool(Parse(a[0].str(), &error).has_value()));
  });
}

}  // namespace oep::rego
