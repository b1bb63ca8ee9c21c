#include "rego/value_reader.h"

#include <string>

namespace oep::rego {
namespace {

// Integers of at most 18 digits fit int64 without an overflow check; the rest go through
// Value::NumberText, which keeps wider integers and decimals exact.
Value NumberValue(std::string_view text) {
  size_t i = text[0] == '-' ? 1 : 0;
  if (text.size() - i <= 18) {
    int64_t n = 0;
    size_t k = i;
    for (; k < text.size(); ++k) {
      char c = text[k];
      if (c < '0' || c > '9') break;
      n = n * 10 + (c - '0');
    }
    if (k == text.size()) return Value::Int(i ? -n : n);
  }
  return Value::NumberText(text);
}

}  // namespace

bool ReadJsonValue(json::JsonCursor& c, Value* out, const InputPaths* keep) {
  if (keep && keep->whole) keep = nullptr;
  switch (c.Peek()) {
    case '{': {
      if (!c.BeginObject()) return false;
      Object obj;
      std::string_view key;
      while (c.NextMember(&key)) {
        const InputPaths* sub = nullptr;
        if (keep && !(sub = keep->Member(key))) {
          if (!c.SkipValue()) return false;
          continue;
        }
        Value v;
        if (!ReadJsonValue(c, &v, sub)) return false;
        Value k = Value::String(std::string(key));
        // Canonical JSON (every stored body) has sorted keys: appending at the end is O(1).
        if (obj.empty() || ValueLess()(std::prev(obj.end())->first, k)) {
          obj.emplace_hint(obj.end(), std::move(k), std::move(v));
        } else {
          obj.insert_or_assign(std::move(k), std::move(v));
        }
      }
      if (!c.ok()) return false;
      *out = Value::MakeObject(std::move(obj));
      return true;
    }
    case '[': {
      if (!c.BeginArray()) return false;
      Array arr;
      while (c.NextElement()) {
        arr.emplace_back();
        if (!ReadJsonValue(c, &arr.back())) return false;
      }
      if (!c.ok()) return false;
      *out = Value::MakeArray(std::move(arr));
      return true;
    }
    case '"': {
      std::string s;
      if (!c.ReadString(&s)) return false;
      *out = Value::String(std::move(s));
      return true;
    }
    case 't': case 'f': case 'n': {
      int which = 0;
      if (!c.ReadLiteral(&which)) return false;
      *out = which < 0 ? Value::Null() : Value::Bool(which == 1);
      return true;
    }
    default: {
      std::string_view number;
      if (!c.ReadNumber(&number)) return false;
      *out = NumberValue(number);
      return true;
    }
  }
}

Result<Value> ReadJsonValueText(std::string_view text, const std::string& what, const InputPaths* keep) {
  json::JsonCursor c(text);
  Value v;
  if (!ReadJsonValue(c, &v, keep) || !c.ExpectEnd()) return Status::InvalidArgument(what + ": " + c.error());
  return v;
}

}  // namespace oep::rego
