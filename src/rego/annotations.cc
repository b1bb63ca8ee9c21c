#include "rego/annotations.h"

#include <algorithm>
#include <variant>

#include "rego/builtins.h"

namespace oep::rego {
namespace {

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// "Jane Doe <jane@example.com>" -> {"name": "Jane Doe", "email": "jane@example.com"}.
Value Author(const std::string& text) {
  Object o;
  std::string s = Trim(text);
  size_t lt = s.rfind('<');
  if (lt != std::string::npos && !s.empty() && s.back() == '>') {
    std::string email = Trim(s.substr(lt + 1, s.size() - lt - 2));
    std::string name = Trim(s.substr(0, lt));
    if (!email.empty()) o[Value::String("email")] = Value::String(email);
    if (!name.empty()) o[Value::String("name")] = Value::String(name);
  } else {
    o[Value::String("name")] = Value::String(s);
  }
  return Value::MakeObject(std::move(o));
}

// The members OPA keeps, with authors and related resources in their object forms; an
// error message when a member has the wrong shape.
std::variant<Value, std::string> Normalize(const Value& yaml, const std::string& scope) {
  Object out;
  out[Value::String("scope")] = Value::String(scope);
  if (yaml.is_null()) return Value::MakeObject(std::move(out));
  for (const auto& [key, v] : yaml.object()) {
    std::string k = key.is_string() ? key.str() : "";
    if (k == "title" || k == "description") {
      if (!v.is_string()) return k + " must be a string";
      out[key] = v;
    } else if (k == "authors" || k == "related_resources") {
      Array items;
      const Array one = v.is_array() ? Array{} : Array{v};
      for (const auto& item : v.is_array() ? v.array() : one) {
        if (item.is_string()) {
          items.push_back(k == "authors" ? Author(item.str()) : Value::MakeObject({{Value::String("ref"), item}}));
        } else if (item.is_object()) {
          items.push_back(item);
        } else {
          return k + " must be a list of strings or objects";
        }
      }
      out[key] = Value::MakeArray(std::move(items));
    } else if (k == "organizations") {
      if (!v.is_array()) return "organizations must be a list of strings";
      out[key] = v;
    } else if (k == "custom") {
      if (!v.is_object() && !v.is_null()) return "custom must be a mapping";
      if (v.is_object()) out[key] = v;
    } else if (k == "entrypoint") {
      if (!v.is_bool()) return "entrypoint must be a boolean";
      out[key] = v;
    } else if (k == "schemas") {
      out[key] = v;
    }
  }
  return Value::MakeObject(std::move(out));
}

}  // namespace

std::optional<RegoError> AttachAnnotations(Module& m, const std::vector<SourceComment>& comments) {
  for (size_t i = 0; i < comments.size(); ++i) {
    if (Trim(comments[i].text) != "METADATA") continue;
    Location start = comments[i].loc;
    std::string yaml;
    int last_row = start.row;
    while (i + 1 < comments.size() && comments[i + 1].loc.row == last_row + 1 && Trim(comments[i + 1].text) != "METADATA") {
      ++i;
      yaml += comments[i].text + "\n";
      last_row = comments[i].loc.row;
    }
    auto fail = [&](const std::string& msg) { return RegoError{"rego_parse_error", msg, m.file, start}; };
    // The statement right after the block.
    const Rule* rule = nullptr;
    bool package = m.package_loc.row > last_row;
    if (!package) {
      for (const auto& r : m.rules) {
        if (r->loc.row > last_row && (!rule || r->loc.row < rule->loc.row)) rule = r.get();
      }
      if (!rule) return fail("annotation not followed by a package or rule");
    }
    BuiltinOut parsed = Builtins().at("yaml.unmarshal").fn({Value::String(yaml)});
    if (parsed.kind != BuiltinOut::Kind::kValue || !(parsed.value.is_object() || parsed.value.is_null())) {
      return fail("invalid METADATA block: " + (parsed.message.empty() ? "a YAML mapping is required" : parsed.message));
    }
    std::string scope = package ? "package" : "rule";
    if (parsed.value.is_object()) {
      if (auto s = parsed.value.Get(Value::String("scope"))) {
        if (!s->is_string()) return fail("invalid annotation scope: a string is required");
        scope = s->str();
      }
    }
    if (scope != "rule" && scope != "document" && scope != "package" && scope != "subpackages") {
      return fail("invalid annotation scope '" + scope + "'");
    }
    if (package != (scope == "package" || scope == "subpackages")) {
      return fail("annotation scope '" + scope + "' must be applied to " + (package ? "a rule" : "a package"));
    }
    auto value = Normalize(parsed.value, scope);
    if (auto* err = std::get_if<std::string>(&value)) return fail("invalid METADATA block: " + *err);
    Annotation a;
    a.scope = scope;
    a.value = std::get<Value>(value);
    a.path = package ? m.package : rule->path;
    a.loc = package ? m.package_loc : rule->loc;
    a.rule = rule;
    m.annotations.push_back(std::move(a));
  }
  return std::nullopt;
}

void AnnotationIndex::Add(const Module& m) {
  for (const auto& a : m.annotations) {
    all_.push_back({&a, m.file});
    if (a.scope == "rule") {
      for (const Rule* r = a.rule; r; r = r->else_rule.get()) rule_scope_.emplace(r, &a);
    } else if (a.scope == "document") {
      document_scope_.emplace(a.path, &a);
    } else if (a.scope == "package") {
      package_scope_.emplace(a.path, &a);
    } else {
      subpackages_scope_.emplace(a.path, &a);
    }
  }
}

Value AnnotationIndex::RuleMetadata(const Rule* rule) const {
  auto it = rule_scope_.find(rule);
  return it == rule_scope_.end() ? Value::MakeObject({}) : it->second->value;
}

Value AnnotationIndex::Chain(const Rule* rule, const std::vector<std::string>& package) const {
  auto path_value = [](const std::vector<std::string>& path) {
    Array a;
    for (const auto& p : path) a.push_back(Value::String(p));
    return Value::MakeArray(std::move(a));
  };
  auto entry = [&](const Annotation& a) {
    return Value::MakeObject({{Value::String("annotations"), a.value}, {Value::String("path"), path_value(a.path)}});
  };
  Array chain;
  if (auto it = rule_scope_.find(rule); it != rule_scope_.end()) chain.push_back(entry(*it->second));
  else chain.push_back(Value::MakeObject({{Value::String("path"), path_value(rule->path)}}));
  if (auto it = document_scope_.find(rule->path); it != document_scope_.end()) chain.push_back(entry(*it->second));
  if (auto it = package_scope_.find(package); it != package_scope_.end()) chain.push_back(entry(*it->second));
  for (size_t n = package.size(); n > 0; --n) {
    std::vector<std::string> prefix(package.begin(), package.begin() + static_cast<std::ptrdiff_t>(n));
    if (auto it = subpackages_scope_.find(prefix); it != subpackages_scope_.end()) chain.push_back(entry(*it->second));
  }
  return Value::MakeArray(std::move(chain));
}

Value AnnotationIndex::Inspect() const {
  std::vector<Entry> sorted = all_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Entry& a, const Entry& b) {
    if (a.annotation->path != b.annotation->path) return a.annotation->path < b.annotation->path;
    return a.annotation->loc.row < b.annotation->loc.row;
  });
  Array out;
  for (const auto& e : sorted) {
    const Annotation& a = *e.annotation;
    Array path = {Value::MakeObject({{Value::String("type"), Value::String("var")}, {Value::String("value"), Value::String("data")}})};
    for (const auto& p : a.path) {
      path.push_back(Value::MakeObject({{Value::String("type"), Value::String("string")}, {Value::String("value"), Value::String(p)}}));
    }
    Value location = Value::MakeObject({{Value::String("file"), Value::String(e.file)},
                                        {Value::String("row"), Value::Int(a.loc.row)},
                                        {Value::String("col"), Value::Int(a.loc.col)}});
    out.push_back(Value::MakeObject({{Value::String("annotations"), a.value},
                                     {Value::String("location"), location},
                                     {Value::String("path"), Value::MakeArray(std::move(path))}}));
  }
  return Value::MakeArray(std::move(out));
}

}  // namespace oep::rego
