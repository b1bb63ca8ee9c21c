#include "rego/capabilities.h"

#include <algorithm>
#include <map>
#include <set>

#include <rapidjson/document.h>

#include "json/json.h"
#include "rego/builtin_signatures.h"
#include "rego/builtins.h"

namespace oep::rego {
namespace {

using JValue = rapidjson::Value;
using Alloc = rapidjson::Document::AllocatorType;

// Built-ins without a Builtins() entry: the evaluator answers them (unification, assignment,
// template strings, print, the query's pinned clock, the annotations of the rule evaluated).
const std::vector<CapabilityEntry> kEvaluatorAnswered = {
    {"eq", 2},          {"assign", 2},   {"internal.template_string", 1}, {"print", -1}, {"time.now_ns", 0},
    {"rego.metadata.rule", 0}, {"rego.metadata.chain", 0}};

const std::map<std::string, std::string> kInfix = {
    {"and", "&"},       {"assign", ":="},          {"div", "/"},  {"eq", "="},   {"equal", "=="}, {"gt", ">"},
    {"gte", ">="},      {"internal.member_2", "in"}, {"internal.member_3", "in"}, {"lt", "<"},   {"lte", "<="},
    {"minus", "-"},     {"mul", "*"},              {"neq", "!="}, {"or", "|"},   {"plus", "+"},   {"rem", "%"}};

// OPA's non-deterministic built-ins (their results are kept in nd_builtin_cache).
const std::set<std::string> kNondeterministic = {
    "http.send", "io.jwt.decode_verify", "io.jwt.encode_sign", "io.jwt.encode_sign_raw", "net.lookup_ip_addr",
    "opa.runtime", "rand.intn", "time.now_ns", "uuid.rfc4122"};

JValue Str(const std::string& s, Alloc& a) { return JValue(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), a); }

JValue TypeJson(const types::TypePtr& t, Alloc& a) {
  using K = types::Type::Kind;
  JValue out(rapidjson::kObjectType);
  auto list = [&](const std::vector<types::TypePtr>& ts) {
    JValue arr(rapidjson::kArrayType);
    for (const auto& e : ts) arr.PushBack(TypeJson(e, a), a);
    return arr;
  };
  const char* name = "any";
  switch (t ? t->kind : K::kAny) {
    case K::kAny:
      if (t && !t->of.empty()) out.AddMember("of", list(t->of), a);
      break;
    case K::kNull: name = "null"; break;
    case K::kBoolean: name = "boolean"; break;
    case K::kNumber: name = "number"; break;
    case K::kString: name = "string"; break;
    case K::kArray:
      name = "array";
      if (!t->of.empty()) out.AddMember("static", list(t->of), a);
      if (t->dynamic) out.AddMember("dynamic", TypeJson(t->dynamic, a), a);
      break;
    case K::kSet:
      name = "set";
      out.AddMember("of", TypeJson(t->dynamic, a), a);
      break;
    case K::kObject: {
      name = "object";
      if (!t->props.empty()) {
        JValue props(rapidjson::kArrayType);
        for (const auto& [key, type] : t->props) {
          JValue p(rapidjson::kObjectType);
          p.AddMember("key", Str(key.str(), a), a);
          p.AddMember("value", TypeJson(type, a), a);
          props.PushBack(p, a);
        }
        out.AddMember("static", props, a);
      }
      if (t->dynamic) {
        JValue dyn(rapidjson::kObjectType);
        dyn.AddMember("key", TypeJson(t->dynamic_key, a), a);
        dyn.AddMember("value", TypeJson(t->dynamic, a), a);
        out.AddMember("dynamic", dyn, a);
      }
      break;
    }
  }
  out.AddMember("type", rapidjson::StringRef(name), a);
  return out;
}

JValue Decl(const CapabilityEntry& e, Alloc& a) {
  JValue decl(rapidjson::kObjectType);
  decl.AddMember("type", "function", a);
  if (e.arity < 0) {  // print: any number of any arguments, no result
    JValue any(rapidjson::kObjectType);
    any.AddMember("type", "any", a);
    decl.AddMember("variadic", any, a);
    return decl;
  }
  const BuiltinSignature* sig = SignatureOf(e.name);
  if (!sig) return decl;
  if (!sig->args.empty()) {
    JValue args(rapidjson::kArrayType);
    for (const auto& t : sig->args) args.PushBack(TypeJson(t, a), a);
    decl.AddMember("args", args, a);
  }
  decl.AddMember("result", TypeJson(sig->result, a), a);
  return decl;
}

}  // namespace

std::vector<CapabilityEntry> OfferedBuiltins() {
  std::vector<CapabilityEntry> out = kEvaluatorAnswered;
  for (const auto& [name, b] : Builtins()) {
    bool listed = std::any_of(out.begin(), out.end(), [&](const CapabilityEntry& e) { return e.name == name; });
    if (!listed) out.push_back({name, b.arity});
  }
  std::sort(out.begin(), out.end(), [](const CapabilityEntry& x, const CapabilityEntry& y) { return x.name < y.name; });
  return out;
}

std::string CapabilitiesJson() {
  rapidjson::Document doc(rapidjson::kObjectType);
  Alloc& a = doc.GetAllocator();
  JValue builtins(rapidjson::kArrayType);
  for (const auto& e : OfferedBuiltins()) {
    JValue entry(rapidjson::kObjectType);
    entry.AddMember("name", Str(e.name, a), a);
    entry.AddMember("decl", Decl(e, a), a);
    if (auto it = kInfix.find(e.name); it != kInfix.end()) entry.AddMember("infix", Str(it->second, a), a);
    if (kNondeterministic.count(e.name)) entry.AddMember("nondeterministic", true, a);
    if (e.name == "walk") entry.AddMember("relation", true, a);
    if (auto it = Builtins().find(e.name); it != Builtins().end() && it->second.v0_only) {
      entry.AddMember("deprecated", true, a);
    }
    builtins.PushBack(entry, a);
  }
  doc.AddMember("builtins", builtins, a);
  JValue keywords(rapidjson::kArrayType);
  for (const char* k : {"contains", "every", "if", "in"}) keywords.PushBack(rapidjson::StringRef(k), a);
  doc.AddMember("future_keywords", keywords, a);
  doc.AddMember("wasm_abi_versions", JValue(rapidjson::kArrayType), a);
  JValue features(rapidjson::kArrayType);
  for (const char* f : {"rego_v1", "rego_v1_import", "rule_head_ref_string_prefixes", "rule_head_refs"}) {
    features.PushBack(rapidjson::StringRef(f), a);
  }
  doc.AddMember("features", features, a);
  std::string out;
  if (!json::Canonicalize(doc, &out, 2).ok()) return "";
  return out + "\n";
}

}  // namespace oep::rego
