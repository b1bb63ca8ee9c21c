// urlquery.*: query-string escaping as Go's net/url does it (QueryEscape, QueryUnescape,
// Values.Encode, ParseQuery), which OPA uses.
#include <cstdio>

#include "rego/builtins.h"

namespace oep::rego {
namespace {

using Args = std::vector<Value>;

void Add(Registry& r, const std::string& name, int arity, BuiltinFn fn) { r[name] = Builtin{arity, std::move(fn)}; }

// Letters, digits and -_.~ kept, space as '+', every other byte as %XX.
std::string QueryEscape(const std::string& s) {
  std::string out;
  char buf[4];
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
    else if (c == ' ') out += '+';
    else {
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// '+' as space, %XX as its byte; a '%' without two hex digits is Go's error,
// `invalid URL escape "%zz"` (the escape's first three bytes at most).
std::optional<std::string> QueryUnescape(const std::string& s, std::string* error) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      if (i + 2 >= s.size() || HexDigit(s[i + 1]) < 0 || HexDigit(s[i + 2]) < 0) {
        *error = "invalid URL escape \"" + s.substr(i, 3) + "\"";
        return std::nullopt;
      }
      out += static_cast<char>(HexDigit(s[i + 1]) * 16 + HexDigit(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

BuiltinOut DecodeObject(const std::string& query) {
  Object out;
  size_t start = 0;
  while (start <= query.size()) {
    size_t amp = query.find('&', start);
    std::string part = query.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    start = amp == std::string::npos ? query.size() + 1 : amp + 1;
    if (part.empty()) continue;
    if (part.find(';') != std::string::npos) return BuiltinOut::Error("invalid semicolon separator in query");
    size_t eq = part.find('=');
    std::string error;
    auto key = QueryUnescape(part.substr(0, eq), &error);
    if (!key) return BuiltinOut::Error(error);
    auto value = QueryUnescape(eq == std::string::npos ? "" : part.substr(eq + 1), &error);
    if (!value) return BuiltinOut::Error(error);
    Value& slot = out[Value::String(*key)];
    Array values = slot.is_array() ? slot.array() : Array{};
    values.push_back(Value::String(*value));
    slot = Value::MakeArray(std::move(values));
  }
  return BuiltinOut::Of(Value::MakeObject(std::move(out)));
}

}  // namespace

void RegisterUrlqueryBuiltins(Registry& r) {
  Add(r, "urlquery.encode", 1, [](const Args& a) {
    if (!a[0].is_string()) return BuiltinOut::TypeError(OperandError("", 1, "string", a[0]));
    return BuiltinOut::Of(Value::String(QueryEscape(a[0].str())));
  });
  Add(r, "urlquery.decode", 1, [](const Args& a) {
    if (!a[0].is_string()) return BuiltinOut::TypeError(OperandError("", 1, "string", a[0]));
    std::string error;
    auto out = QueryUnescape(a[0].str(), &error);
    if (!out) return BuiltinOut::Error(error);
    return BuiltinOut::Of(Value::String(*out));
  });
  // Keys in sorted order (object keys are), each value of an array or set in its order.
  Add(r, "urlquery.encode_object", 1, [](const Args& a) {
    if (!a[0].is_object()) return BuiltinOut::TypeError(OperandError("", 1, "object", a[0]));
    std::string out;
    for (const auto& member : a[0].object()) {
      const Value& v = member.second;
      std::string key = QueryEscape(member.first.is_string() ? member.first.str() : member.first.ToJson());
      Array values;
      if (v.is_string()) values.push_back(v);
      else if (v.is_array()) values = v.array();
      else if (v.is_set()) values.assign(v.set().begin(), v.set().end());
      else return BuiltinOut::TypeError("operand 1 values must be string, array[string], or set[string]");
      for (const auto& e : values) {
        if (!e.is_string()) return BuiltinOut::TypeError("operand 1 values must be string, array[string], or set[string]");
        if (!out.empty()) out += '&';
        out += key + "=" + QueryEscape(e.str());
      }
    }
    return BuiltinOut::Of(Value::String(out));
  });
  Add(r, "urlquery.decode_object", 1, [](const Args& a) {
    if (!a[0].is_string()) return BuiltinOut::TypeError(OperandError("", 1, "string", a[0]));
    return DecodeObject(a[0].str());
  });
}

}  // namespace oep::rego
