#include "rego/value.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include "json/json.h"

namespace oep::rego {
namespace {

const std::string kEmpty;

// Normalizes exact decimal text for comparison of huge numbers: strips sign, leading
// zeros and a trailing ".0*"; returns empty when the text has a fraction or exponent.
std::string IntegerDigits(const std::string& text) {
  if (text.find_first_of(".eE") != std::string::npos) return "";
  size_t start = text[0] == '-' ? 1 : 0;
  while (start + 1 < text.size() && text[start] == '0') ++start;
  return text.substr(start);
}

int CompareNumbers(const Value& a, const Value& b) {
  if (a.is_int() && b.is_int()) return a.as_int() < b.as_int() ? -1 : (a.as_int() > b.as_int() ? 1 : 0);
  const std::string& ta = a.number_text();
  const std::string& tb = b.number_text();
  if (!ta.empty() && !tb.empty()) {
    bool na = ta[0] == '-', nb = tb[0] == '-';
    std::string da = IntegerDigits(ta), db = IntegerDigits(tb);
    if (!da.empty() && !db.empty()) {
      if (na != nb) return na ? -1 : 1;
      int mag = da.size() != db.size() ? (da.size() < db.size() ? -1 : 1) : da.compare(db);
      mag = mag < 0 ? -1 : (mag > 0 ? 1 : 0);
      return na ? -mag : mag;
    }
  }
  double x = a.as_double(), y = b.as_double();
  return x < y ? -1 : (x > y ? 1 : 0);
}

void AppendNumber(const Value& v, std::string* out) {
  if (v.is_int()) {
    *out += std::to_string(v.as_int());
  } else if (!v.number_text().empty()) {
    *out += v.number_text();
  } else {
    double d = v.as_double();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e21) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.0f", d);
      *out += buf;
    } else {
      *out += json::FormatNumber(d);
    }
  }
}

void AppendValue(const Value& v, std::string* out, bool rego) {
  switch (v.kind()) {
    case Kind::kNull: *out += "null"; break;
    case Kind::kBool: *out += v.as_bool() ? "true" : "false"; break;
    case Kind::kNumber: AppendNumber(v, out); break;
    case Kind::kString: json::AppendCanonicalString(v.str(), out); break;
    case Kind::kArray: {
      out->push_back('[');
      bool first = true;
      for (const auto& e : v.array()) {
        if (!first) out->push_back(',');
        first = false;
        AppendValue(e, out, rego);
      }
      out->push_back(']');
      break;
    }
    case Kind::kObject: {
      out->push_back('{');
      bool first = true;
      for (const auto& [k, val] : v.object()) {
        if (!first) out->push_back(',');
        first = false;
        if (!rego && !k.is_string()) json::AppendCanonicalString(k.ToJson(), out);
        else AppendValue(k, out, rego);
        out->push_back(':');
        AppendValue(val, out, rego);
      }
      out->push_back('}');
      break;
    }
    case Kind::kSet: {
      if (rego && v.set().empty()) {
        *out += "set()";
        break;
      }
      out->push_back(rego ? '{' : '[');
      bool first = true;
      for (const auto& e : v.set()) {
        if (!first) out->push_back(',');
        first = false;
        AppendValue(e, out, rego);
      }
      out->push_back(rego ? '}' : ']');
      break;
    }
  }
}

}  // namespace

bool ValueLess::operator()(const Value& a, const Value& b) const { return a.Compare(b) < 0; }

Value Value::Bool(bool b) {
  Value v;
  v.kind_ = Kind::kBool;
  v.b_ = b;
  return v;
}

Value Value::Int(int64_t i) {
  Value v;
  v.kind_ = Kind::kNumber;
  v.int_ = true;
  v.i_ = i;
  v.d_ = static_cast<double>(i);
  return v;
}

Value Value::Double(double d) {
  if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 9.2e18) return Int(static_cast<int64_t>(d));
  Value v;
  v.kind_ = Kind::kNumber;
  v.d_ = d;
  return v;
}

Value Value::NumberText(std::string_view text) {
  int64_t i = 0;
  auto r = std::from_chars(text.data(), text.data() + text.size(), i);
  if (r.ec == std::errc() && r.ptr == text.data() + text.size()) return Int(i);
  Value v;
  v.kind_ = Kind::kNumber;
  v.d_ = std::strtod(std::string(text).c_str(), nullptr);
  // Integral values written with a fraction or exponent ("1.0", "1e3") are integers.
  if (std::isfinite(v.d_) && v.d_ == std::trunc(v.d_) && std::fabs(v.d_) < 9.2e18) return Int(static_cast<int64_t>(v.d_));
  v.p_ = std::make_shared<const std::string>(text);
  return v;
}

Value Value::String(std::string s) { return Holding(Kind::kString, std::move(s)); }

Value Value::MakeArray(Array a) { return Holding(Kind::kArray, std::move(a)); }

Value Value::MakeObject(Object o) { return Holding(Kind::kObject, std::move(o)); }

Value Value::MakeSet(Set s) { return Holding(Kind::kSet, std::move(s)); }

const std::string& Value::number_text() const { return kind_ == Kind::kNumber && p_ ? str() : kEmpty; }

int Value::Compare(const Value& o) const {
  auto rank = [](const Value& v) {
    switch (v.kind()) {
      case Kind::kNull: return 0;
      case Kind::kBool: return 1;
      case Kind::kNumber: return 2;
      case Kind::kString: return 3;
      case Kind::kArray: return 4;
      case Kind::kObject: return 5;
      case Kind::kSet: return 6;
    }
    return 7;
  };
  int ra = rank(*this), rb = rank(o);
  if (ra != rb) return ra < rb ? -1 : 1;
  switch (kind_) {
    case Kind::kNull: return 0;
    case Kind::kBool: return b_ == o.b_ ? 0 : (b_ ? 1 : -1);
    case Kind::kNumber: return CompareNumbers(*this, o);
    case Kind::kString: {
      int c = str().compare(o.str());
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case Kind::kArray: {
      const Array &x = array(), &y = o.array();
      for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
        int c = x[i].Compare(y[i]);
        if (c) return c;
      }
      return x.size() == y.size() ? 0 : (x.size() < y.size() ? -1 : 1);
    }
    case Kind::kObject: {
      // Sorted keys first, then values in key order.
      auto i = object().begin(), j = o.object().begin();
      for (; i != object().end() && j != o.object().end(); ++i, ++j) {
        int c = i->first.Compare(j->first);
        if (c) return c;
        c = i->second.Compare(j->second);
        if (c) return c;
      }
      if (i == object().end() && j == o.object().end()) return 0;
      return i == object().end() ? -1 : 1;
    }
    case Kind::kSet: {
      auto i = set().begin(), j = o.set().begin();
      for (; i != set().end() && j != o.set().end(); ++i, ++j) {
        int c = i->Compare(*j);
        if (c) return c;
      }
      if (i == set().end() && j == o.set().end()) return 0;
      return i == set().end() ? -1 : 1;
    }
  }
  return 0;
}

std::optional<Value> Value::Get(const Value& key) const {
  switch (kind_) {
    case Kind::kArray:
      if (key.is_int() && key.as_int() >= 0 && static_cast<size_t>(key.as_int()) < array().size()) {
        return array()[static_cast<size_t>(key.as_int())];
      }
      return std::nullopt;
    case Kind::kObject: {
      auto it = object().find(key);
      if (it == object().end()) return std::nullopt;
      return it->second;
    }
    case Kind::kSet: {
      auto it = set().find(key);
      if (it == set().end()) return std::nullopt;
      return *it;
    }
    default: return std::nullopt;
  }
}

std::string Value::TypeName() const {
  switch (kind_) {
    case Kind::kNull: return "null";
    case Kind::kBool: return "boolean";
    case Kind::kNumber: return "number";
    case Kind::kString: return "string";
    case Kind::kArray: return "array";
    case Kind::kObject: return "object";
    case Kind::kSet: return "set";
  }
  return "?";
}

std::string Value::ToJson() const {
  std::string out;
  AppendValue(*this, &out, false);
  return out;
}

std::string Value::ToRegoDisplay() const {
  switch (kind_) {
    case Kind::kArray: {
      std::string out = "[";
      for (size_t i = 0; i < array().size(); ++i) out += (i ? ", " : "") + array()[i].ToRegoDisplay();
      return out + "]";
    }
    case Kind::kObject: {
      std::string out = "{";
      bool first = true;
      for (const auto& [k, v] : object()) {
        out += (first ? "" : ", ") + k.ToRegoDisplay() + ": " + v.ToRegoDisplay();
        first = false;
      }
      return out + "}";
    }
    case Kind::kSet: {
      if (set().empty()) return "set()";
      std::string out = "{";
      bool first = true;
      for (const auto& v : set()) {
        out += (first ? "" : ", ") + v.ToRegoDisplay();
        first = false;
      }
      return out + "}";
    }
    default: return ToRego();
  }
}

std::string Value::ToRego() const {
  std::string out;
  AppendValue(*this, &out, true);
  return out;
}

void Value::ToRapid(rapidjson::Value* out, rapidjson::Document::AllocatorType& a) const {
  auto doc = json::Parse(ToJson());
  if (doc.ok()) out->CopyFrom(*doc, a);
  else out->SetNull();
}

Value Value::FromRapid(const rapidjson::Value& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType: return Null();
    case rapidjson::kFalseType: return Bool(false);
    case rapidjson::kTrueType: return Bool(true);
    case rapidjson::kStringType: return String(std::string(v.GetString(), v.GetStringLength()));
    case rapidjson::kNumberType:
      if (v.IsInt64()) return Int(v.GetInt64());
      if (v.IsUint64()) return NumberText(std::to_string(v.GetUint64()));  // exact beyond int64
      return Double(v.GetDouble());
    case rapidjson::kArrayType: {
      Array arr;
      arr.reserve(v.Size());
      for (const auto& e : v.GetArray()) arr.push_back(FromRapid(e));
      return MakeArray(std::move(arr));
    }
    case rapidjson::kObjectType: {
      Object obj;
      // Canonical JSON (every stored body) has sorted keys: appending at the end is O(1).
      for (const auto& m : v.GetObject()) {
        Value key = String(std::string(m.name.GetString(), m.name.GetStringLength()));
        if (!obj.empty() && ValueLess()(std::prev(obj.end())->first, key)) {
          obj.emplace_hint(obj.end(), std::move(key), FromRapid(m.value));
        } else {
          obj.insert_or_assign(std::move(key), FromRapid(m.value));
        }
      }
      return MakeObject(std::move(obj));
    }
  }
  return Null();
}

namespace {

// SAX builder: numbers arrive as their text (kParseNumbersAsStringsFlag), so integers
// beyond 64 bits and long decimals keep their exact value.
class ValueBuilder : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, ValueBuilder> {
 public:
  bool Null() { return Add(Value::Null()); }
  bool Bool(bool b) { return Add(Value::Bool(b)); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) { return Add(Value::NumberText(std::string_view(s, n))); }
  bool String(const char* s, rapidjson::SizeType n, bool) { return Add(Value::String(std::string(s, n))); }
  bool StartObject() {
    frames_.push_back({true, {}, {}, {}});
    return true;
  }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    frames_.back().key = std::string(s, n);
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    Frame f = std::move(frames_.back());
    frames_.pop_back();
    return Add(Value::MakeObject(std::move(f.object)));
  }
  bool StartArray() {
    frames_.push_back({false, {}, {}, {}});
    return true;
  }
  bool EndArray(rapidjson::SizeType) {
    Frame f = std::move(frames_.back());
    frames_.pop_back();
    return Add(Value::MakeArray(std::move(f.array)));
  }
  Value result;

 private:
  struct Frame {
    bool is_object;
    Array array;
    Object object;
    std::string key;
  };
  bool Add(Value v) {
    if (frames_.empty()) result = std::move(v);
    else if (frames_.back().is_object) frames_.back().object.insert_or_assign(Value::String(std::move(frames_.back().key)), std::move(v));
    else frames_.back().array.push_back(std::move(v));
    return true;
  }
  std::vector<Frame> frames_;
};

}  // namespace

Result<Value> Value::FromJsonText(std::string_view text) {
  OEP_RETURN_IF_ERROR(json::CheckNestingDepth(text));
  rapidjson::Reader reader;
  ValueBuilder builder;
  rapidjson::MemoryStream ms(text.data(), text.size());
  reader.Parse<rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseValidateEncodingFlag>(ms, builder);
  if (reader.HasParseError()) {
    auto parsed = json::Parse(text);
    return parsed.ok() ? Status::InvalidArgument("malformed JSON") : parsed.status();
  }
  return builder.result;
}

}  // namespace oep::rego
