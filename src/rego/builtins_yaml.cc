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

// go-yaml's bound on alias expansion ("billion laughs"): every node decoded counts, those
// reached through an alias (a node decoded again) count as aliased; once past 100 aliased of
// more than 1,000 decoded, aliased nodes may be at most 99% of the decoded up to 400,000
// decodes, falling linearly to 10% at 4,000,000 and beyond.
double AllowedAliasRatio(int64_t decoded) {
  constexpr double kLow = 400'000, kHigh = 4'000'000;
  if (decoded <= kLow) return 0.99;
  if (decoded >= kHigh) return 0.10;
  return 0.99 - 0.89 * ((static_cast<double>(decoded) - kLow) / (kHigh - kLow));
}

// A loaded document's nodes as values, aliases expanded within go-yaml's bound and every
// node reserved from the memory budget.
struct Decoder {
  yaml_document_t* doc;
  std::vector<bool> decoded_once;  // by node index
  int64_t decoded = 0, aliased = 0;
  int alias_depth = 0;
  std::string error;
  std::optional<BuiltinOut> refused;

  std::optional<Value> Node(yaml_node_t* node, int depth) {
    if (depth > 1000) {
      error = "yaml: exceeded max depth of 1000";
      return std::nullopt;
    }
    size_t index = static_cast<size_t>(node - doc->nodes.start);
    if (decoded_once.size() <= index) decoded_once.resize(static_cast<size_t>(doc->nodes.top - doc->nodes.start));
    bool alias = decoded_once[index];
    decoded_once[index] = true;
    alias_depth += alias;
    auto v = Decode(node, depth);
    alias_depth -= alias;
    return v;
  }

  std::optional<Value> Decode(yaml_node_t* node, int depth) {
    ++decoded;
    if (alias_depth > 0) ++aliased;
    if (aliased > 100 && decoded > 1000 && static_cast<double>(aliased) / static_cast<double>(decoded) > AllowedAliasRatio(decoded)) {
      error = "yaml: document contains excessive aliasing";
      return std::nullopt;
    }
    uint64_t text = node->type == YAML_SCALAR_NODE ? node->data.scalar.length : 0;
    if ((refused = ReserveMemory(kObjectEntryBytes + text))) return std::nullopt;
    switch (node->type) {
      case YAML_SCALAR_NODE: {
        std::string s(reinterpret_cast<const char*>(node->data.scalar.value), node->data.scalar.length);
        // The loader tags untagged scalars as strings, so an explicit !!str on a plain scalar
        // cannot be told apart: plain scalars are resolved, quoted and block ones are strings.
        if (node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return Value::String(s);
        return ResolvePlain(s, &error);
      }
      case YAML_SEQUENCE_NODE: {
        Array out;
        for (yaml_node_item_t* it = node->data.sequence.items.start; it < node->data.sequence.items.top; ++it) {
          auto v = Node(yaml_document_get_node(doc, *it), depth + 1);
          if (!v) return std::nullopt;
          out.push_back(std::move(*v));
        }
        return Value::MakeArray(std::move(out));
      }
      case YAML_MAPPING_NODE: {
        Object out;
        for (yaml_node_pair_t* p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; ++p) {
          yaml_node_t* key_node = yaml_document_get_node(doc, p->key);
          auto key = Node(key_node, depth + 1);
          if (!key) return std::nullopt;
          auto value = Node(yaml_document_get_node(doc, p->value), depth + 1);
          if (!value) return std::nullopt;
          if (key->is_array() || key->is_object()) {
            error = "yaml: invalid map key: " + key->ToJson();
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
};

// The value of the first document of `text`, or an error in go-yaml's words (or, in
// *refused, the memory budget's).
std::optional<Value> Unmarshal(const std::string& text, std::string* error, std::optional<BuiltinOut>* refused) {
  Document d;
  yaml_parser_set_input_string(&d.parser, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  if (!yaml_parser_load(&d.parser, &d.doc)) {
    *error = ParseError(d.parser);
    return std::nullopt;
  }
  d.loaded = true;
  yaml_node_t* root = yaml_document_get_root_node(&d.doc);
  if (!root) return Value::Null();
  Decoder decoder{&d.doc, {}, 0, 0, 0, {}, {}};
  auto v = decoder.Node(root, 0);
  *error = decoder.error;
  *refused = std::move(decoder.refused);
  return v;
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
    std::optional<BuiltinOut> refused;
    auto v = Unmarshal(a[0].str(), &error, &refused);
    if (refused) return *refused;
    if (!v) return BuiltinOut::Error(error);
    return BuiltinOut::Of(std::move(*v));
  });
  Add(r, "yaml.is_valid", 1, [](const Args& a) {
    if (!a[0].is_string()) return BuiltinOut::Of(Value::Bool(false));
    std::string error;
    std::optional<BuiltinOut> refused;
    auto v = Unmarshal(a[0].str(), &error, &refused);
    if (refused) return *refused;
    return BuiltinOut::Of(Value::Bool(v.has_value()));
  });
  Add(r, "yaml.marshal", 1, [](const Args& a) {
    // Block style indents each level by two spaces: up to twice the JSON text, roughly.
    if (auto refused = ReserveMemory(EncodedBytes(a[0], MemoryLeft()), 2)) return *refused;
    auto text = Marshal(a[0]);
    if (!text) return BuiltinOut::Error("yaml: cannot marshal " + a[0].TypeName());
    return BuiltinOut::Of(Value::String(*text));
  });
}

}  // namespace oep::rego
