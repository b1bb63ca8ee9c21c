// json.marshal, json.marshal_with_options, json.unmarshal, json.is_valid; json.remove and
// json.filter (paths as JSON pointers or key arrays).
// json.patch: RFC 6902 over Rego values — objects, arrays and (as OPA extends it) sets, whose
// elements are their own keys; a patch that cannot apply makes the call undefined.
// json.verify_schema / json.match_schema: JSON Schema (draft 4, RapidJSON's validator) with
// OPA's result shapes and error texts.
#include <optional>
#include <set>
#include <string_view>
#include <string>
#include <vector>

#include <rapidjson/schema.h>
#include <rapidjson/stringbuffer.h>

#include "json/json.h"
#include "json/json_pointer.h"
#include "rego/builtins.h"

namespace oep::rego {
namespace {

using Args = std::vector<Value>;
using Path = Array;

void Add(Registry& r, const std::string& name, int arity, BuiltinFn fn) { r[name] = Builtin{arity, std::move(fn)}; }

// A JSON pointer ("/a/b", "a/b"; ~1 and ~0 unescaped) or an array of keys (any values).
std::optional<Path> ParsePatchPath(const Value& v) {
  if (v.is_array()) return v.array();
  if (!v.is_string()) return std::nullopt;
  Path out;  // "" is the whole document
  for (auto& segment : json::SplitPointer(v.str())) out.push_back(Value::String(std::move(segment)));
  return out;
}

// An array position: an integer or its decimal text without leading zeros; "-" is the end
// (for add only).
std::optional<size_t> Index(const Value& key, size_t size, bool allow_end) {
  int64_t i = -1;
  if (key.is_int()) {
    i = key.as_int();
  } else if (key.is_string()) {
    const std::string& s = key.str();
    if (s == "-") return allow_end ? std::optional<size_t>(size) : std::nullopt;
    if (s.empty() || s.size() > 18 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
    i = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return std::nullopt;
      i = i * 10 + (c - '0');
    }
  }
  if (i < 0 || static_cast<size_t>(i) > size || (!allow_end && static_cast<size_t>(i) == size)) return std::nullopt;
  return static_cast<size_t>(i);
}

enum class Op { kAdd, kRemove, kReplace };

// `v` with `op` applied at path[i:], or nullopt when the path does not lead anywhere.
std::optional<Value> Apply(const Value& v, const Path& path, size_t i, Op op, const Value& value) {
  if (i == path.size()) {
    if (op == Op::kRemove) return std::nullopt;  // the document itself cannot be removed
    return value;
  }
  const Value& key = path[i];
  bool last = i + 1 == path.size();
  if (v.is_object()) {
    Object o = v.object();
    auto it = o.find(key);
    if (last && op == Op::kAdd) {
      o.insert_or_assign(key, value);
      return Value::MakeObject(std::move(o));
    }
    if (it == o.end()) return std::nullopt;
    if (last) {
      if (op == Op::kRemove) o.erase(it);
      else it->second = value;
      return Value::MakeObject(std::move(o));
    }
    auto child = Apply(it->second, path, i + 1, op, value);
    if (!child) return std::nullopt;
    it->second = std::move(*child);
    return Value::MakeObject(std::move(o));
  }
  if (v.is_array()) {
    Array a = v.array();
    auto at = Index(key, a.size(), last && op == Op::kAdd);
    if (!at) return std::nullopt;
    auto pos = a.begin() + static_cast<std::ptrdiff_t>(*at);
    if (last) {
      if (op == Op::kAdd) a.insert(pos, value);
      else if (op == Op::kRemove) a.erase(pos);
      else *pos = value;
      return Value::MakeArray(std::move(a));
    }
    auto child = Apply(*pos, path, i + 1, op, value);
    if (!child) return std::nullopt;
    *pos = std::move(*child);
    return Value::MakeArray(std::move(a));
  }
  if (v.is_set()) {
    Set s = v.set();
    if (last && op == Op::kAdd) {
      if (key != value) return std::nullopt;  // a set element is its own key
      s.insert(value);
      return Value::MakeSet(std::move(s));
    }
    auto it = s.find(key);
    if (it == s.end()) return std::nullopt;
    Value element = *it;
    s.erase(it);
    if (last) {
      if (op == Op::kReplace) s.insert(value);
      return Value::MakeSet(std::move(s));
    }
    auto child = Apply(element, path, i + 1, op, value);
    if (!child) return std::nullopt;
    s.insert(std::move(*child));
    return Value::MakeSet(std::move(s));
  }
  return std::nullopt;
}

std::optional<Value> At(const Value& v, const Path& path) {
  Value cur = v;
  for (const auto& key : path) {
    if (cur.is_array()) {
      auto at = Index(key, cur.array().size(), false);
      if (!at) return std::nullopt;
      cur = cur.array()[*at];
    } else if (cur.is_object() || cur.is_set()) {
      auto e = cur.Get(key);
      if (!e) return std::nullopt;
      cur = *e;
    } else {
      return std::nullopt;
    }
  }
  return cur;
}

bool IsProperPrefix(const Path& prefix, const Path& path) {
  if (prefix.size() >= path.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (prefix[i] != path[i]) return false;
  }
  return true;
}

// One RFC 6902 operation on `doc`; nullopt when it cannot apply.
std::optional<Value> ApplyOperation(const Value& doc, const Value& patch) {
  if (!patch.is_object()) return std::nullopt;
  auto op = patch.Get(Value::String("op"));
  auto path_value = patch.Get(Value::String("path"));
  if (!op || !op->is_string() || !path_value) return std::nullopt;
  auto path = ParsePatchPath(*path_value);
  if (!path) return std::nullopt;
  auto value = patch.Get(Value::String("value"));
  const std::string& name = op->str();
  if (name == "add" || name == "replace") {
    if (!value) return std::nullopt;
    return Apply(doc, *path, 0, name == "add" ? Op::kAdd : Op::kReplace, *value);
  }
  if (name == "remove") return Apply(doc, *path, 0, Op::kRemove, Value::Null());
  if (name == "test") {
    auto current = At(doc, *path);
    if (!value || !current || *current != *value) return std::nullopt;
    return doc;
  }
  if (name == "move" || name == "copy") {
    auto from_value = patch.Get(Value::String("from"));
    if (!from_value) return std::nullopt;
    auto from = ParsePatchPath(*from_value);
    if (!from) return std::nullopt;
    auto moved = At(doc, *from);
    if (!moved) return std::nullopt;
    Value base = doc;
    if (name == "move") {
      if (IsProperPrefix(*from, *path)) return std::nullopt;  // into its own child
      auto removed = Apply(doc, *from, 0, Op::kRemove, Value::Null());
      if (!removed) return std::nullopt;
      base = *removed;
    }
    return Apply(base, *path, 0, Op::kAdd, *moved);
  }
  return std::nullopt;
}

// ---- JSON Schema

// A schema or document operand: a JSON text, or any other value as JSON.
std::optional<rapidjson::Document> AsJson(const Value& v, std::string* why) {
  auto parsed = json::Parse(v.is_string() ? v.str() : v.ToJson());
  if (!parsed.ok()) {
    *why = parsed.status().message();
    return std::nullopt;
  }
  return std::move(*parsed);
}

// "" when every "type" keyword names JSON Schema's primitive types, else the reason
// (RapidJSON's validator ignores unknown type names; OPA's rejects the schema).
std::string CheckSchemaTypes(const rapidjson::Value& schema) {
  static const std::set<std::string> kTypes = {"array", "boolean", "integer", "number", "null", "object", "string"};
  auto invalid = [](const std::string& t) {
    return "has a primitive type that is NOT VALID -- given: /" + t +
           "/ Expected valid values are:[array boolean integer number null object string]";
  };
  if (schema.IsObject()) {
    for (const auto& m : schema.GetObject()) {
      if (std::string_view(m.name.GetString()) == "type") {
        if (m.value.IsString() && !kTypes.count(m.value.GetString())) return invalid(m.value.GetString());
        if (m.value.IsArray()) {
          for (const auto& t : m.value.GetArray()) {
            if (t.IsString() && !kTypes.count(t.GetString())) return invalid(t.GetString());
          }
        }
      }
      if (auto why = CheckSchemaTypes(m.value); !why.empty()) return why;
    }
  } else if (schema.IsArray()) {
    for (const auto& e : schema.GetArray()) {
      if (auto why = CheckSchemaTypes(e); !why.empty()) return why;
    }
  }
  return "";
}

// gojsonschema's field name for a document pointer: "a.b", or "(root)".
std::string FieldName(const rapidjson::Pointer& p) {
  std::string out;
  for (size_t i = 0; i < p.GetTokenCount(); ++i) {
    out += (i ? "." : "") + std::string(p.GetTokens()[i].name, p.GetTokens()[i].length);
  }
  return out.empty() ? "(root)" : out;
}

// The validation failure as OPA reports it: {desc, error, field, type}.
Value SchemaError(const rapidjson::SchemaValidator& v, const rapidjson::Document& schema, const rapidjson::Document& doc) {
  std::string keyword = v.GetInvalidSchemaKeyword();
  std::string field = FieldName(v.GetInvalidDocumentPointer());
  const rapidjson::Value* node = v.GetInvalidSchemaPointer().Get(schema);
  const rapidjson::Value* rule = node && node->IsObject() ? json::GetMember(*node, keyword.c_str()) : nullptr;
  const rapidjson::Value* actual = v.GetInvalidDocumentPointer().Get(doc);
  std::string desc, type = keyword;
  if (keyword == "type" && rule && actual) {
    std::string expected;
    if (rule->IsString()) expected = rule->GetString();
    else if (rule->IsArray()) {
      for (const auto& t : rule->GetArray()) expected += (expected.empty() ? "" : "/") + std::string(t.IsString() ? t.GetString() : "?");
    }
    desc = "Invalid type. Expected: " + expected + ", given: " + json::TypeName(*actual);
    type = "invalid_type";
  } else if (keyword == "required" && rule && rule->IsArray() && actual && actual->IsObject()) {
    for (const auto& name : rule->GetArray()) {
      if (name.IsString() && !actual->HasMember(name)) {
        desc = std::string(name.GetString()) + " is required";
        break;
      }
    }
  }
  if (desc.empty()) desc = "Does not match the schema (keyword \"" + keyword + "\")";
  Object e;
  e.emplace(Value::String("desc"), Value::String(desc));
  e.emplace(Value::String("error"), Value::String(field + ": " + desc));
  e.emplace(Value::String("field"), Value::String(field));
  e.emplace(Value::String("type"), Value::String(type));
  return Value::MakeObject(std::move(e));
}

// ---- marshalling

// Go's json.MarshalIndent layout: `prefix` before every line after the first, `indent`
// per level, sorted object keys.
void AppendIndented(const Value& v, const std::string& prefix, const std::string& indent, int depth, std::string* out) {
  auto newline = [&](int d) {
    *out += "\n" + prefix;
    for (int i = 0; i < d; ++i) *out += indent;
  };
  if ((v.is_array() && !v.array().empty()) || (v.is_set() && !v.set().empty())) {
    Array items = v.is_array() ? v.array() : Array(v.set().begin(), v.set().end());
    *out += "[";
    for (size_t i = 0; i < items.size(); ++i) {
      newline(depth + 1);
      AppendIndented(items[i], prefix, indent, depth + 1, out);
      if (i + 1 < items.size()) *out += ",";
    }
    newline(depth);
    *out += "]";
  } else if (v.is_object() && !v.object().empty()) {
    *out += "{";
    size_t i = 0;
    for (const auto& [k, e] : v.object()) {
      newline(depth + 1);
      *out += (k.is_string() ? k.ToJson() : Value::String(k.ToJson()).ToJson()) + ": ";
      AppendIndented(e, prefix, indent, depth + 1, out);
      if (++i < v.object().size()) *out += ",";
    }
    newline(depth);
    *out += "}";
  } else {
    *out += v.ToJson();
  }
}

// ---- json.remove / json.filter

// JSON paths for json.remove / json.filter: "a/b/0" strings or arrays of keys.
// json.remove / json.filter paths: "" when `v` is a collection of paths, else OPA's message.
std::string ParsePaths(const Value& v, std::vector<Array>* out) {
  Array items;
  if (v.is_array()) items = v.array();
  else if (v.is_set()) items.assign(v.set().begin(), v.set().end());
  else return "operand 2 must be one of {set, array} but got " + v.TypeName();
  for (const auto& p : items) {
    Array path;
    if (p.is_string()) {
      std::string s = p.str();
      if (!s.empty() && s[0] == '/') s = s.substr(1);
      size_t start = 0;
      while (start <= s.size() && !s.empty()) {
        size_t slash = s.find('/', start);
        std::string seg = s.substr(start, slash - start);
        // ~1 and ~0 per JSON pointer.
        for (size_t at; (at = seg.find("~1")) != std::string::npos;) seg.replace(at, 2, "/");
        for (size_t at; (at = seg.find("~0")) != std::string::npos;) seg.replace(at, 2, "~");
        path.push_back(Value::String(seg));
        if (slash == std::string::npos) break;
        start = slash + 1;
      }
    } else if (p.is_array()) {
      path = p.array();
    } else {
      return "operand 2 must be one of {set, array} containing string paths or array of path segments but got " +
             p.TypeName();
    }
    out->push_back(path);
  }
  return "";
}

// Matches a path key against a value's key: array indices may be given as strings.
std::optional<Value> KeyFor(const Value& container, const Value& key) {
  if (container.is_array() && key.is_string()) {
    char* end = nullptr;
    long idx = std::strtol(key.str().c_str(), &end, 10);
    if (*end || key.str().empty()) return std::nullopt;
    return Value::Int(idx);
  }
  return key;
}

Value Remove(const Value& v, const Array& path, size_t i) {
  if (i >= path.size()) return v;
  auto key = KeyFor(v, path[i]);
  if (!key) return v;
  if (v.is_object()) {
    Object o = v.object();
    auto it = o.find(*key);
    if (it == o.end()) return v;
    if (i + 1 == path.size()) o.erase(it);
    else it->second = Remove(it->second, path, i + 1);
    return Value::MakeObject(o);
  }
  if (v.is_array() && key->is_int()) {
    Array a = v.array();
    auto idx = static_cast<size_t>(key->as_int());
    if (idx >= a.size()) return v;
    if (i + 1 == path.size()) a.erase(a.begin() + static_cast<std::ptrdiff_t>(idx));
    else a[idx] = Remove(a[idx], path, i + 1);
    return Value::MakeArray(a);
  }
  if (v.is_set() && i + 1 == path.size()) {
    Set s = v.set();
    s.erase(*key);
    return Value::MakeSet(s);
  }
  return v;
}

// The parts of v named by paths (a prefix tree of keys).
std::optional<Value> Filter(const Value& v, const std::vector<Array>& paths, size_t depth) {
  for (const auto& p : paths) if (p.size() == depth) return v;
  if (v.is_object()) {
    Object o;
    for (const auto& [k, child] : v.object()) {
      std::vector<Array> sub;
      for (const auto& p : paths) if (p.size() > depth && p[depth] == k) sub.push_back(p);
      if (sub.empty()) continue;
      if (auto f = Filter(child, sub, depth + 1)) o[k] = *f;
    }
    return Value::MakeObject(o);
  }
  if (v.is_array()) {
    Array a;
    for (size_t i = 0; i < v.array().size(); ++i) {
      std::vector<Array> sub;
      for (const auto& p : paths) {
        if (p.size() <= depth) continue;
        auto key = KeyFor(v, p[depth]);
        if (key && key->is_int() && key->as_int() == static_cast<int64_t>(i)) sub.push_back(p);
      }
      if (sub.empty()) continue;
      if (auto f = Filter(v.array()[i], sub, depth + 1)) a.push_back(*f);
    }
    return Value::MakeArray(a);
  }
  if (v.is_set()) {
    Set s;
    for (const auto& e : v.set()) {
      for (const auto& p : paths) if (p.size() > depth && p[depth] == e) s.insert(e);
    }
    return Value::MakeSet(s);
  }
  return std::nullopt;
}

}  // namespace

void RegisterJsonBuiltins(Registry& r) {
  Add(r, "json.marshal_with_options", 2, [](const Args& a) {
    if (!a[1].is_object()) return BuiltinOut::TypeError(OperandError("json.marshal_with_options", 2, "object", a[1]));
    bool pretty = false, explicit_pretty = false;
    std::string prefix, indent = "\t";
    for (const auto& [k, v] : a[1].object()) {
      std::string key = k.is_string() ? k.str() : k.ToJson();
      if (key == "pretty" && v.is_bool()) pretty = v.as_bool(), explicit_pretty = true;
      else if (key == "prefix" && v.is_string()) prefix = v.str(), pretty = explicit_pretty ? pretty : true;
      else if (key == "indent" && v.is_string()) indent = v.str(), pretty = explicit_pretty ? pretty : true;
      else return BuiltinOut::TypeError("object contained unknown key \"" + key + "\"");
    }
    // Pretty text: each line also carries the prefix and up to a line's depth of indents.
    uint64_t text = EncodedBytes(a[0], MemoryLeft());
    if (auto refused = ReserveMemory(text, pretty ? 2 + prefix.size() + 8 * indent.size() : 1)) return *refused;
    if (!pretty) return BuiltinOut::Of(Value::String(a[0].ToJson()));
    std::string out = prefix;
    AppendIndented(a[0], prefix, indent, 0, &out);
    return BuiltinOut::Of(Value::String(out));
  });
  Add(r, "json.marshal", 1, [](const Args& a) {
    if (auto refused = ReserveMemory(EncodedBytes(a[0], MemoryLeft()))) return *refused;
    return BuiltinOut::Of(Value::String(a[0].ToJson()));
  });
  Add(r, "json.unmarshal", 1, [](const Args& a) {
    if (!a[0].is_string()) return BuiltinOut::TypeError(OperandError("json.unmarshal", 1, "string", a[0]));
    auto v = Value::FromJsonText(a[0].str());
    if (!v.ok()) return BuiltinOut::Error(v.status().message());
    return BuiltinOut::Of(*v);
  });
  Add(r, "json.is_valid", 1, [](const Args& a) {
    if (!a[0].is_string()) return BuiltinOut::Of(Value::Bool(false));
    return BuiltinOut::Of(Value::Bool(Value::FromJsonText(a[0].str()).ok()));
  });
  Add(r, "json.remove", 2, [](const Args& a) {
    if (!a[0].is_object()) return BuiltinOut::TypeError(OperandError("json.remove", 1, "object", a[0]));
    std::vector<Array> paths;
    if (auto err = ParsePaths(a[1], &paths); !err.empty()) return BuiltinOut::TypeError(err);
    Value v = a[0];
    for (const auto& p : paths) v = Remove(v, p, 0);
    return BuiltinOut::Of(v);
  });
  Add(r, "json.filter", 2, [](const Args& a) {
    if (!a[0].is_object()) return BuiltinOut::TypeError(OperandError("json.filter", 1, "object", a[0]));
    std::vector<Array> paths;
    if (auto err = ParsePaths(a[1], &paths); !err.empty()) return BuiltinOut::TypeError(err);
    auto f = Filter(a[0], paths, 0);
    return BuiltinOut::Of(f ? *f : Value::MakeObject({}));
  });
  Add(r, "json.verify_schema", 1, [](const Args& a) {
    std::string why;
    auto schema = AsJson(a[0], &why);
    if (schema) why = CheckSchemaTypes(*schema);
    if (why.empty()) return BuiltinOut::Of(Value::MakeArray({Value::Bool(true), Value::Null()}));
    return BuiltinOut::Of(Value::MakeArray({Value::Bool(false), Value::String("jsonschema: " + why)}));
  });
  Add(r, "json.match_schema", 2, [](const Args& a) {
    std::string why;
    auto schema = AsJson(a[1], &why);
    if (schema) why = CheckSchemaTypes(*schema);
    if (!why.empty()) return BuiltinOut::Error(why);
    auto doc = AsJson(a[0], &why);
    if (!doc) return BuiltinOut::Error("document: " + why);
    rapidjson::SchemaDocument compiled(*schema);
    rapidjson::SchemaValidator validator(compiled);
    if (doc->Accept(validator)) return BuiltinOut::Of(Value::MakeArray({Value::Bool(true), Value::MakeArray({})}));
    return BuiltinOut::Of(Value::MakeArray({Value::Bool(false), Value::MakeArray({SchemaError(validator, *schema, *doc)})}));
  });
  Add(r, "json.patch", 2, [](const Args& a) {
    if (!a[1].is_array()) return BuiltinOut::TypeError(OperandError("json.patch", 2, "array", a[1]));
    Value doc = a[0];
    for (const auto& patch : a[1].array()) {
      auto next = ApplyOperation(doc, patch);
      if (!next) return BuiltinOut::Undefined();
      doc = std::move(*next);
    }
    return BuiltinOut::Of(doc);
  });
}

}  // namespace oep::rego
