// yaml.marshal / yaml.unmarshal / yaml.is_valid through libyaml (go-yaml, which OPA uses,
// is a port of it). Values convert as OPA's YAML <-> JSON conversion does: plain scalars are
// resolved by YAML 1.1's rules (null, booleans including yes/no/on/off, integers in base
// 10, 16, 8 and 2, floats), mapping keys become strings, the first document is read.
#include <yaml.h>

#include <cmath>
#include <cstdlib>
#include <functional>
#include <memory>

#include "rego/builtins.h"

namespace oep::rego {
namespace {

using Args = std::vector<Value>;

void Add(Registry& r, const std::string& name, int arity, BuiltinFn fn) { r[name] = Builtin{arity, std::move(fn)}; }

bool OneOf(const std::string& s, std::initializer_list<const char*> words) {
  for (const char* w : words) {
    if (s == w) return true;
  }
  return false;
}

// An integer in Go's strconv.ParseInt(s, 0, 64) syntax (sign, 0x / 0o / 0b prefixes or a
// leading 0 for octal) once underscores are dropped, as go-yaml reads it.
std::optional<Value> ResolveInt(const std::string& s) {
  size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  if (i >= s.size()) return std::nullopt;
  int base = 10;
  if (s.size() - i > 1 && s[i] == '0') {
    char p = static_cast<char>(std::tolower(static_cast<unsigned char>(s[i + 1])));
    base = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 8;
    i += (p == 'x' || p == 'o' || p == 'b') ? 2 : 1;
  }
  std::string digits;
  for (; i < s.size(); ++i) {
    if (s[i] == '_') continue;  // go-yaml drops underscores before parsing
    int d = std::isdigit(static_cast<unsigned char>(s[i])) ? s[i] - '0'
            : std::isxdigit(static_cast<unsigned char>(s[i])) ? std::tolower(static_cast<unsigned char>(s[i])) - 'a' + 10
                                                                : 99;
    if (d >= base) return std::nullopt;
    digits += s[i];
  }
  if (digits.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  unsigned long long magnitude = std::strtoull(digits.c_str(), &end, base);
  if (errno == ERANGE || magnitude > static_cast<unsigned long long>(INT64_MAX) + (negative ? 1 : 0)) {
    return base == 10 ? std::optional<Value>(Value::NumberText((negative ? "-" : "") + digits)) : std::nullopt;
  }
  return Value::Int(negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude));
}

// YAML 1.1's float syntax (go-yaml v2): [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool IsFloatText(const std::string& s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  size_t int_digits = 0, frac_digits = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++int_digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++frac_digits;
  }
  if (int_digits == 0 && frac_digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t exp_digits = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == s.size();
}

// The value a plain (unquoted, untagged) scalar denotes; nullopt: not representable in JSON.
std::optional<Value> ResolvePlain(const std::string& s, std::string* error) {
  if (OneOf(s, {"", "~", "null", "Null", "NULL"})) return Value::Null();
  if (OneOf(s, {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"})) return Value::Bool(true);
  if (OneOf(s, {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"})) return Value::Bool(false);
  if (OneOf(s, {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN"})) {
    *error = "yaml: " + s + " cannot be represented in JSON";
    return std::nullopt;
  }
  if (auto i = ResolveInt(s)) return i;
  if (IsFloatText(s)) return Value::Double(std::strtod(s.c_str(), nullptr));  // a float64, as in go-yaml
  return Value::String(s);
}

bool ResolvesToString(const std::string& s) {
  std::string ignored;
  auto v = ResolvePlain(s, &ignored);
  return v && v->is_string();
}

// go-yaml's error text: "yaml: line N: problem".
std::string ParseError(const yaml_parser_t& p) {
  size_t line = 0;
  if (p.problem_mark.line != 0) {
    line = p.problem_mark.line + (p.error == YAML_SCANNER_ERROR ? 1 : 0);
  } else if (p.context_mark.line != 0) {
    line = p.context_mark.line;
  }
  std::string where = line != 0 ? "line " + std::to_string(line) + ": " : "";
  return "yaml: " + where + (p.problem ? p.problem : "unknown problem parsing YAML content");
}

struct Document {
  yaml_parser_t parser;
  yaml_document_t doc;
  bool loaded = false;
  Document() { yaml_parser_initialize(&parser); }
  ~Document() {
    if (loaded) yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
  }
};

std::optional<Value> NodeValue(yaml_document_t* doc, yaml_node_t* node, int depth, std::string* error) {
  if (depth > 1000) {
    *error = "yaml: exceeded max depth of 1000";
    return std::nullopt;
  }
  switch (node->type) {
    case YAML_SCALAR_NODE: {
      std::string text(reinterpret_cast<const char*>(node->data.scalar.value), node->data.scalar.length);
      // The loader tags untagged scalars as strings, so an explicit !!str on a plain scalar
      // cannot be told apart: plain scalars are resolved, quoted and block ones are strings.
      if (node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return Value::String(text);
      return ResolvePlain(text, error);
    }
    case YAML_SEQUENCE_NODE: {
      Array out;
      for (yaml_node_item_t* it = node->data.sequence.items.start; it < node->data.sequence.items.top; ++it) {
        auto v = NodeValue(doc, yaml_document_get_node(doc, *it), depth + 1, error);
        if (!v) return std::nullopt;
        out.push_back(std::move(*v));
      }
      return Value::MakeArray(std::move(out));
    }
    case YAML_MAPPING_NODE: {
      Object out;
      for (yaml_node_pair_t* p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; ++p) {
        yaml_node_t* key_node = yaml_document_get_node(doc, p->key);
        auto key = NodeValue(doc, key_node, depth + 1, error);
        auto value = NodeValue(doc, yaml_document_get_node(doc, p->value), depth + 1, error);
        if (!key || !value) return std::nullopt;
        if (key->is_array() || key->is_object()) {
          *error = "yaml: invalid map key: " + key->ToJson();
          return std::nullopt;
        }
        // JSON object keys are strings: scalar keys keep their text.
        Value name = key->is_string() ? *key
                                      : Value::String(key_node->type == YAML_SCALAR_NODE
                                                          ? std::string(reinterpret_cast<const char*>(key_node->data.scalar.value),
                                                                        key_node->data.scalar.length)
                                                          : key->ToJson());
        out[name] = std::move(*value);
      }
      return Value::MakeObject(std::move(out));
    }
    default: return Value::Null();
  }
}

// The value of the first document of `text`, or an error in go-yaml's words.
std::optional<Value> Unmarshal(const std::string& text, std::string* error) {
  Document d;
  yaml_parser_set_input_string(&d.parser, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  if (!yaml_parser_load(&d.parser, &d.doc)) {
    *error = ParseError(d.parser);
    return std::nullopt;
  }
  d.loaded = true;
  yaml_node_t* root = yaml_document_get_root_node(&d.doc);
  if (!root) return Value::Null();
  return NodeValue(&d.doc, root, 0, error);
}

int WriteToString(void* data, unsigned char* buffer, size_t size) {
  static_cast<std::string*>(data)->append(reinterpret_cast<char*>(buffer), size);
  return 1;
}

// Emits `v` in block style: scalars plain unless their text would read back as another
// type (then double-quoted) or spans lines (then literal), as go-yaml chooses.
bool EmitValue(yaml_emitter_t* e, const Value& v) {
  yaml_event_t ev;
  auto scalar = [&](const std::string& text, yaml_scalar_style_t style) {
    yaml_scalar_event_initialize(&ev, nullptr, nullptr, reinterpret_cast<const yaml_char_t*>(text.data()),
                                 static_cast<int>(text.size()), 1, 1, style);
    return yaml_emitter_emit(e, &ev) == 1;
  };
  switch (v.kind()) {
    case Kind::kNull: return scalar("null", YAML_PLAIN_SCALAR_STYLE);
    case Kind::kBool: return scalar(v.as_bool() ? "true" : "false", YAML_PLAIN_SCALAR_STYLE);
    case Kind::kNumber: return scalar(v.ToJson(), YAML_PLAIN_SCALAR_STYLE);
    case Kind::kString: {
      const std::string& s = v.str();
      yaml_scalar_style_t style = !ResolvesToString(s) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
                                  : s.find('\n') != std::string::npos ? YAML_LITERAL_SCALAR_STYLE
                                                                      : YAML_ANY_SCALAR_STYLE;
      return scalar(s, style);
    }
    case Kind::kArray:
    case Kind::kSet: {
      yaml_sequence_start_event_initialize(&ev, nullptr, nullptr, 1, YAML_BLOCK_SEQUENCE_STYLE);
      if (!yaml_emitter_emit(e, &ev)) return false;
      auto each = [&](const Value& item) { return EmitValue(e, item); };
      if (v.is_array()) {
        for (const auto& item : v.array()) if (!each(item)) return false;
      } else {
        for (const auto& item : v.set()) if (!each(item)) return false;
      }
      yaml_sequence_end_event_initialize(&ev);
      return yaml_emitter_emit(e, &ev) == 1;
    }
    case Kind::kObject: {
      yaml_mapping_start_event_initialize(&ev, nullptr, nullptr, 1, YAML_BLOCK_MAPPING_STYLE);
      if (!yaml_emitter_emit(e, &ev)) return false;
      for (const auto& [k, item] : v.object()) {
        // JSON object keys are strings; a non-string key is written as its JSON text.
        if (!EmitValue(e, k.is_string() ? k : Value::String(k.ToJson())) || !EmitValue(e, item)) return false;
      }
      yaml_mapping_end_event_initialize(&ev);
      return yaml_emitter_emit(e, &ev) == 1;
    }
  }
  return false;
}

std::optional<std::string> Marshal(const Value& v) {
  yaml_emitter_t e;
  yaml_emitter_initialize(&e);
  std::string out;
  yaml_emitter_set_output(&e, WriteToString, &out);
  yaml_emitter_set_unicode(&e, 1);
  yaml_emitter_set_width(&e, -1);
  yaml_event_t ev;
  bool ok = yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) && yaml_emitter_emit(&e, &ev) &&
            yaml_document_start_event_initialize(&ev, nullptr, nullptr, nullptr, 1) && yaml_emitter_emit(&e, &ev) &&
            EmitValue(&e, v) && yaml_document_end_event_initialize(&ev, 1) && yaml_emitter_emit(&e, &ev) &&
            yaml_stream_end_event_initialize(&ev) && yaml_emitter_emit(&e, &ev);
  yaml_emitter_delete(&e);
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace

void RegisterYamlBuiltins(Registry& r) {
  Add(r, "yaml.unmarshal", 1, [](const Args& a) {
    if (!a[0].is_string()) return BuiltinOut::TypeError(OperandError("yaml.unmarshal", 1, "string", a[0]));
    std::string error;
    auto v = Unmarshal(a[0].str(), &error);
    if (!v) return BuiltinOut::Error(error);
    return BuiltinOut::Of(std::move(*v));
  });
  Add(r, "yaml.is_valid", 1, [](const Args& a) {
    if (!a[0].is_string()) return BuiltinOut::Of(Value::Bool(false));
    std::string error;
    return BuiltinOut::Of(Value::Bool(Unmarshal(a[0].str(), &error).has_value()));
  });
  Add(r, "yaml.marshal", 1, [](const Args& a) {
    auto text = Marshal(a[0]);
    if (!text) return BuiltinOut::Error("yaml: cannot marshal " + a[0].TypeName());
    return BuiltinOut::Of(Value::String(*text));
  });
}

}  // namespace oep::rego
