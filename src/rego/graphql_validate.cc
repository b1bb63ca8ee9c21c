// Schema and query validation for the graphql.* built-ins, after gqlparser's rules: a schema
// document is merged with GraphQL's built-in definitions (scalars, directives, the
// introspection types), extensions are applied, and every reference, field, argument,
// interface, union member and directive is checked; a query is checked against it (known
// root types, fields, arguments, required arguments, fragments, variables, directives, leaf
// selections, literal values).
#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "rego/graphql.h"

namespace oep::rego::graphql {
namespace {

// The built-in definitions every schema includes (GraphQL spec, section 3 and 4).
constexpr const char* kPrelude = R"(
scalar Int
scalar Float
scalar String
scalar Boolean
scalar ID
directive @include(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT
directive @skip(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT
directive @deprecated(reason: String = "No longer supported") on FIELD_DEFINITION | ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION | ENUM_VALUE
directive @specifiedBy(url: String!) on SCALAR
directive @oneOf on INPUT_OBJECT
type __Schema { description: String types: [__Type!]! queryType: __Type! mutationType: __Type subscriptionType: __Type directives: [__Directive!]! }
type __Type { kind: __TypeKind! name: String description: String specifiedByURL: String fields(includeDeprecated: Boolean = false): [__Field!] interfaces: [__Type!] possibleTypes: [__Type!] enumValues(includeDeprecated: Boolean = false): [__EnumValue!] inputFields(includeDeprecated: Boolean = false): [__InputValue!] ofType: __Type isOneOf: Boolean }
type __Field { name: String! description: String args(includeDeprecated: Boolean = false): [__InputValue!]! type: __Type! isDeprecated: Boolean! deprecationReason: String }
type __InputValue { name: String! description: String type: __Type! defaultValue: String isDeprecated: Boolean! deprecationReason: String }
type __EnumValue { name: String! description: String isDeprecated: Boolean! deprecationReason: String }
enum __TypeKind { SCALAR OBJECT INTERFACE UNION ENUM INPUT_OBJECT LIST NON_NULL }
type __Directive { name: String! description: String locations: [__DirectiveLocation!]! args(includeDeprecated: Boolean = false): [__InputValue!]! isRepeatable: Boolean! }
enum __DirectiveLocation { QUERY MUTATION SUBSCRIPTION FIELD FRAGMENT_DEFINITION FRAGMENT_SPREAD INLINE_FRAGMENT VARIABLE_DEFINITION SCHEMA SCALAR OBJECT FIELD_DEFINITION ARGUMENT_DEFINITION INTERFACE UNION ENUM ENUM_VALUE INPUT_OBJECT INPUT_FIELD_DEFINITION }
)";

// Reading AST values (missing members read as empty).
std::string Text(const Value& node, const char* key) {
  auto v = node.is_object() ? node.Get(Value::String(key)) : std::nullopt;
  return v && v->is_string() ? v->str() : "";
}
Array List(const Value& node, const char* key) {
  auto v = node.is_object() ? node.Get(Value::String(key)) : std::nullopt;
  return v && v->is_array() ? v->array() : Array();
}
std::optional<Value> Member(const Value& node, const char* key) {
  auto v = node.is_object() ? node.Get(Value::String(key)) : std::nullopt;
  if (v && v->is_null()) return std::nullopt;
  return v;
}
// The member, or null when absent (documents given as objects may lack any member).
Value MemberOrNull(const Value& node, const char* key) { return Member(node, key).value_or(Value::Null()); }
bool Flag(const Value& node, const char* key) {
  auto v = Member(node, key);
  return v && v->is_bool() && v->as_bool();
}
int64_t Number(const Value& node, const char* key) {
  auto v = Member(node, key);
  return v && v->is_int() ? v->as_int() : -1;
}

// A type reference: its innermost named type, and its text ([Int!]!).
std::string NamedType(const Value& type) {
  if (auto elem = Member(type, "Elem")) return NamedType(*elem);
  return Text(type, "NamedType");
}
std::string TypeText(const Value& type) {
  std::string out = Member(type, "Elem") ? "[" + TypeText(*Member(type, "Elem")) + "]" : Text(type, "NamedType");
  return Flag(type, "NonNull") ? out + "!" : out;
}

struct TypeDef {
  std::string kind, name;
  bool builtin = false;
  Array fields, enum_values, directives;
  std::vector<std::string> interfaces, types;
};

struct DirectiveDef {
  Value def;
  std::set<std::string> locations;
};

struct Schema {
  std::map<std::string, TypeDef> types;
  std::map<std::string, DirectiveDef> directives;
  std::string query, mutation, subscription;

  const TypeDef* Type(const std::string& name) const {
    auto it = types.find(name);
    return it == types.end() ? nullptr : &it->second;
  }
  bool IsInput(const std::string& name) const {
    const TypeDef* t = Type(name);
    return t && (t->kind == "SCALAR" || t->kind == "ENUM" || t->kind == "INPUT_OBJECT");
  }
  bool IsComposite(const TypeDef* t) const { return t && (t->kind == "OBJECT" || t->kind == "INTERFACE" || t->kind == "UNION"); }
  // The object types a value of composite type `t` may have.
  std::set<std::string> PossibleTypes(const TypeDef* t) const {
    std::set<std::string> out;
    if (!t) return out;
    if (t->kind == "OBJECT") out.insert(t->name);
    if (t->kind == "UNION") out.insert(t->types.begin(), t->types.end());
    if (t->kind == "INTERFACE") {
      for (const auto& [name, other] : types) {
        if (other.kind == "OBJECT" &&
            std::find(other.interfaces.begin(), other.interfaces.end(), t->name) != other.interfaces.end()) {
          out.insert(name);
        }
      }
    }
    return out;
  }
};

using Problem = std::optional<std::string>;

Problem CheckName(const std::string& name) {
  if (name.rfind("__", 0) == 0) {
    return "Name \"" + name + "\" must not begin with \"__\", which is reserved by GraphQL introspection.";
  }
  return std::nullopt;
}

// Directive uses on a schema element or in a query at `location`.
Problem CheckDirectives(const Schema& s, const Array& directives, const std::string& location,
                        const std::function<Problem(const Value& value, const Value& type)>& check_value) {
  std::set<std::string> seen;
  for (const auto& d : directives) {
    std::string name = Text(d, "Name");
    auto it = s.directives.find(name);
    if (it == s.directives.end()) return "Undefined directive " + name + ".";
    if (!it->second.locations.count(location)) return "Directive " + name + " is not applicable on " + location + ".";
    if (!Flag(it->second.def, "IsRepeatable") && !seen.insert(name).second) {
      return "The directive \"@" + name + "\" can only be used once at this location.";
    }
    Array declared = List(it->second.def, "Arguments");
    for (const auto& arg : List(d, "Arguments")) {
      auto decl = std::find_if(declared.begin(), declared.end(), [&](const Value& a) { return Text(a, "Name") == Text(arg, "Name"); });
      if (decl == declared.end()) return "Undefined argument " + Text(arg, "Name") + " for directive " + name + ".";
      if (auto value = Member(arg, "Value"); value && check_value) {
        if (auto p = check_value(*value, MemberOrNull(*decl, "Type"))) return p;
      }
    }
    for (const auto& decl : declared) {
      auto type = Member(decl, "Type");
      if (!type || !Flag(*type, "NonNull") || Member(decl, "DefaultValue")) continue;
      Array given = List(d, "Arguments");
      bool present = std::any_of(given.begin(), given.end(), [&](const Value& a) { return Text(a, "Name") == Text(decl, "Name"); });
      if (!present) return "Directive \"@" + name + "\" argument \"" + Text(decl, "Name") + "\" of type \"" + TypeText(*type) + "\" is required, but it was not provided.";
    }
  }
  return std::nullopt;
}

// An argument or input field definition: a named input type.
Problem CheckInputValue(const Schema& s, const Value& def, const std::string& owner, const std::string& location) {
  if (auto p = CheckName(Text(def, "Name"))) return p;
  auto type = Member(def, "Type");
  std::string named = type ? NamedType(*type) : "";
  if (!s.Type(named)) return "Undefined type " + named + ".";
  if (!s.IsInput(named)) return owner + " cannot use " + named + " as an input type (" + s.Type(named)->kind + ").";
  return CheckDirectives(s, List(def, "Directives"), location, nullptr);
}

Problem CheckDefinition(const Schema& s, const TypeDef& def) {
  if (!def.builtin) {
    if (auto p = CheckName(def.name)) return p;
  }
  if (auto p = CheckDirectives(s, def.directives, def.kind, nullptr)) return p;
  const std::string what = def.kind + " " + def.name;
  if (def.kind == "OBJECT" || def.kind == "INTERFACE") {
    if (def.fields.empty()) return what + ": must define one or more fields.";
    for (const auto& f : def.fields) {
      std::string fname = Text(f, "Name");
      if (auto p = CheckName(fname)) return p;
      auto type = Member(f, "Type");
      std::string named = type ? NamedType(*type) : "";
      const TypeDef* t = s.Type(named);
      if (!t) return "Undefined type " + named + ".";
      if (t->kind == "INPUT_OBJECT") return what + ": field " + fname + " cannot use input type " + named + " as an output type.";
      for (const auto& arg : List(f, "Arguments")) {
        if (auto p = CheckInputValue(s, arg, def.name + "." + fname, "ARGUMENT_DEFINITION")) return p;
      }
      if (auto p = CheckDirectives(s, List(f, "Directives"), "FIELD_DEFINITION", nullptr)) return p;
    }
    for (const auto& iface : def.interfaces) {
      const TypeDef* i = s.Type(iface);
      if (!i) return "Undefined type " + iface + ".";
      if (i->kind != "INTERFACE") return def.name + " is a non interface type " + iface + ".";
      for (const auto& f : i->fields) {
        bool has = std::any_of(def.fields.begin(), def.fields.end(), [&](const Value& g) { return Text(g, "Name") == Text(f, "Name"); });
        if (!has) return "For " + def.name + " to implement " + iface + " it must have a field called " + Text(f, "Name") + ".";
      }
      for (const auto& inherited : i->interfaces) {
        if (std::find(def.interfaces.begin(), def.interfaces.end(), inherited) == def.interfaces.end()) {
          return def.name + " must implement " + inherited + " because it is implemented by " + iface + ".";
        }
      }
    }
  } else if (def.kind == "UNION") {
    if (def.types.empty()) return what + ": must define one or more unique member types.";
    for (const auto& member : def.types) {
      const TypeDef* t = s.Type(member);
      if (!t) return "Undefined type " + member + ".";
      if (t->kind != "OBJECT") return what + ": member " + member + " is not an object type.";
    }
  } else if (def.kind == "ENUM") {
    if (def.enum_values.empty()) return what + ": must define one or more unique enum values.";
    for (const auto& v : def.enum_values) {
      std::string name = Text(v, "Name");
      if (name == "true" || name == "false" || name == "null") return what + ": enum value " + name + " is not allowed.";
      if (auto p = CheckDirectives(s, List(v, "Directives"), "ENUM_VALUE", nullptr)) return p;
    }
  } else if (def.kind == "INPUT_OBJECT") {
    if (def.fields.empty()) return what + ": must define one or more input fields.";
    for (const auto& f : def.fields) {
      if (auto p = CheckInputValue(s, f, def.name, "INPUT_FIELD_DEFINITION")) return p;
    }
  }
  return std::nullopt;
}

void AddDefinition(TypeDef& t, const Value& d) {
  for (const auto& f : List(d, "Fields")) t.fields.push_back(f);
  for (const auto& v : List(d, "EnumValues")) t.enum_values.push_back(v);
  for (const auto& v : List(d, "Directives")) t.directives.push_back(v);
  for (const auto& v : List(d, "Interfaces")) if (v.is_string()) t.interfaces.push_back(v.str());
  for (const auto& v : List(d, "Types")) if (v.is_string()) t.types.push_back(v.str());
}

// A definition given as an object must name itself and one of the type kinds.
Problem CheckShape(const Value& d) {
  static const std::set<std::string> kKinds = {"SCALAR", "OBJECT", "INTERFACE", "UNION", "ENUM", "INPUT_OBJECT"};
  if (Text(d, "Name").empty()) return std::string("A type definition needs a name.");
  if (!kKinds.count(Text(d, "Kind"))) return "Type " + Text(d, "Name") + " has no valid kind.";
  return std::nullopt;
}

// The schema a document defines, merged with the prelude, or its first problem.
std::variant<Schema, std::string> BuildSchema(const Value& doc) {
  Schema s;
  static const Value builtin = std::get<Value>(ParseSchema(kPrelude));  // parsed once; known to parse
  for (const auto* source : {&builtin, &doc}) {
    bool is_builtin = source == &builtin;
    for (const auto& d : List(*source, "Definitions")) {
      std::string name = Text(d, "Name");
      if (auto p = CheckShape(d)) return *p;
      if (s.types.count(name)) return "Cannot redeclare type " + name + ".";
      TypeDef& t = s.types[name];
      t.kind = Text(d, "Kind");
      t.name = name;
      t.builtin = is_builtin;
      AddDefinition(t, d);
    }
    for (const auto& d : List(*source, "Directives")) {
      std::string name = Text(d, "Name");
      if (name.empty()) return std::string("A directive definition needs a name.");
      if (s.directives.count(name)) return "Cannot redeclare directive " + name + ".";
      DirectiveDef& dd = s.directives[name];
      dd.def = d;
      for (const auto& l : List(d, "Locations")) if (l.is_string()) dd.locations.insert(l.str());
    }
  }
  for (const auto& ext : List(doc, "Extensions")) {
    if (auto p = CheckShape(ext)) return *p;
    std::string name = Text(ext, "Name"), kind = Text(ext, "Kind");
    auto [it, created] = s.types.try_emplace(name);
    if (created) {
      it->second.kind = kind;
      it->second.name = name;
    } else if (it->second.kind != kind) {
      return "Cannot extend type " + name + " because the base type is a " + it->second.kind + ", not " + kind + ".";
    }
    AddDefinition(it->second, ext);
  }
  for (const auto& [name, t] : s.types) {
    if (auto p = CheckDefinition(s, t)) return *p;
  }
  for (const auto& [name, d] : s.directives) {
    for (const auto& arg : List(d.def, "Arguments")) {
      if (auto p = CheckInputValue(s, arg, "@" + name, "ARGUMENT_DEFINITION")) return *p;
    }
  }
  Array schemas = List(doc, "Schema");
  if (schemas.size() > 1) return std::string("Cannot have multiple schema entry points, consider schema extensions instead.");
  Array entries = schemas;
  for (const auto& e : List(doc, "SchemaExtension")) entries.push_back(e);
  if (schemas.empty()) {
    for (auto [op, root] : {std::pair{"Query", &s.query}, std::pair{"Mutation", &s.mutation}, std::pair{"Subscription", &s.subscription}}) {
      if (s.Type(op)) *root = op;
    }
  }
  for (const auto& entry : entries) {
    if (auto p = CheckDirectives(s, List(entry, "Directives"), "SCHEMA", nullptr)) return *p;
    for (const auto& op : List(entry, "OperationTypes")) {
      std::string type = Text(op, "Type"), operation = Text(op, "Operation");
      if (!s.Type(type)) return "Schema root " + operation + " refers to a type " + type + " that does not exist.";
      (operation == "query" ? s.query : operation == "mutation" ? s.mutation : s.subscription) = type;
    }
  }
  return s;
}

// Query validation over one document.
class QueryChecker {
 public:
  QueryChecker(const Schema& s, const Value& doc) : s_(s), doc_(doc) {
    for (const auto& f : List(doc, "Fragments")) fragments_.emplace(Text(f, "Name"), f);
  }

  Problem Run() {
    Array ops = List(doc_, "Operations");
    std::set<std::string> names, fragment_names;
    for (const auto& f : List(doc_, "Fragments")) {
      if (!fragment_names.insert(Text(f, "Name")).second) return "There can be only one fragment named \"" + Text(f, "Name") + "\".";
      const TypeDef* t = s_.Type(Text(f, "TypeCondition"));
      if (!t) return "Unknown type \"" + Text(f, "TypeCondition") + "\".";
      if (!s_.IsComposite(t)) return "Fragment \"" + Text(f, "Name") + "\" cannot condition on non composite type \"" + t->name + "\".";
    }
    for (const auto& op : ops) {
      std::string name = Text(op, "Name");
      if (name.empty() && ops.size() > 1) return std::string("This anonymous operation must be the only defined operation.");
      if (!name.empty() && !names.insert(name).second) return "There can be only one operation named \"" + name + "\".";
      if (auto p = Operation(op)) return p;
    }
    for (const auto& [name, f] : fragments_) {
      if (!used_fragments_.count(name)) return "Fragment \"" + name + "\" is never used.";
    }
    return std::nullopt;
  }

 private:
  Problem Operation(const Value& op) {
    std::string kind = Text(op, "Operation");
    const std::string& root = kind == "query" ? s_.query : kind == "mutation" ? s_.mutation : s_.subscription;
    if (root.empty()) return "Schema does not support operation type \"" + kind + "\"";
    vars_.clear();
    used_vars_.clear();
    for (const auto& v : List(op, "VariableDefinitions")) {
      std::string name = Text(v, "Variable");
      if (vars_.count(name)) return "There can be only one variable named \"$" + name + "\".";
      auto type = Member(v, "Type");
      std::string named = type ? NamedType(*type) : "";
      if (!s_.Type(named)) return "Unknown type \"" + named + "\".";
      if (!s_.IsInput(named)) return "Variable \"$" + name + "\" cannot be non-input type \"" + TypeText(*type) + "\".";
      if (auto def = Member(v, "DefaultValue")) {
        if (auto p = Literal(*def, *type)) return p;
      }
      vars_.emplace(name, v);
    }
    if (auto p = Directives(List(op, "Directives"), kind == "query" ? "QUERY" : kind == "mutation" ? "MUTATION" : "SUBSCRIPTION")) return p;
    std::set<std::string> stack;
    if (auto p = Selections(List(op, "SelectionSet"), s_.Type(root), stack)) return p;
    for (const auto& [name, v] : vars_) {
      if (!used_vars_.count(name)) {
        std::string op_name = Text(op, "Name");
        return "Variable \"$" + name + "\" is never used" + (op_name.empty() ? "" : " in operation \"" + op_name + "\"") + ".";
      }
    }
    return std::nullopt;
  }

  Problem Directives(const Array& directives, const std::string& location) {
    return CheckDirectives(s_, directives, location, [this](const Value& v, const Value& t) { return Argument(v, t, false); });
  }

  Problem Selections(const Array& selections, const TypeDef* parent, std::set<std::string>& fragment_stack) {
    for (const auto& sel : selections) {
      // Fields carry an alias (their name when none is written); inline fragments a type
      // condition ("" when none); fragment spreads only a name.
      if (Member(sel, "Alias")) {
        if (auto p = Field(sel, parent, fragment_stack)) return p;
      } else if (Member(sel, "TypeCondition") || (!Member(sel, "Name") && Member(sel, "SelectionSet"))) {
        std::string cond = Text(sel, "TypeCondition");
        const TypeDef* t = cond.empty() ? parent : s_.Type(cond);
        if (!t) return "Unknown type \"" + cond + "\".";
        if (!s_.IsComposite(t)) return "Fragment cannot condition on non composite type \"" + cond + "\".";
        if (auto p = Spreadable(t, parent, "")) return p;
        if (auto p = Directives(List(sel, "Directives"), "INLINE_FRAGMENT")) return p;
        if (auto p = Selections(List(sel, "SelectionSet"), t, fragment_stack)) return p;
      } else {
        std::string name = Text(sel, "Name");
        auto it = fragments_.find(name);
        if (it == fragments_.end()) return "Unknown fragment \"" + name + "\".";
        used_fragments_.insert(name);
        if (auto p = Directives(List(sel, "Directives"), "FRAGMENT_SPREAD")) return p;
        if (fragment_stack.count(name)) return "Cannot spread fragment \"" + name + "\" within itself.";
        const TypeDef* t = s_.Type(Text(it->second, "TypeCondition"));
        if (auto p = Spreadable(t, parent, name)) return p;
        fragment_stack.insert(name);
        if (auto p = Selections(List(it->second, "SelectionSet"), t, fragment_stack)) return p;
        fragment_stack.erase(name);
      }
    }
    return std::nullopt;
  }

  // A fragment on `t` may apply where `parent` is expected only if their object types overlap.
  Problem Spreadable(const TypeDef* t, const TypeDef* parent, const std::string& fragment) {
    auto a = s_.PossibleTypes(t), b = s_.PossibleTypes(parent);
    bool overlap = std::any_of(a.begin(), a.end(), [&](const std::string& x) { return b.count(x) > 0; });
    if (overlap || !t || !parent) return std::nullopt;
    std::string what = fragment.empty() ? "Fragment" : "Fragment \"" + fragment + "\"";
    return what + " cannot be spread here as objects of type \"" + parent->name + "\" can never be of type \"" + t->name + "\".";
  }

  Problem Field(const Value& sel, const TypeDef* parent, std::set<std::string>& fragment_stack) {
    std::string name = Text(sel, "Name");
    Array selections = List(sel, "SelectionSet");
    if (name == "__typename") {
      if (!selections.empty()) return "Field \"__typename\" must not have a selection since type \"String!\" has no subfields.";
      return Directives(List(sel, "Directives"), "FIELD");
    }
    std::optional<Value> def;
    if (parent && (name == "__schema" || name == "__type") && parent->name == s_.query) {
      def = MetaField(name);
    } else if (parent && parent->kind != "UNION") {
      for (const auto& f : parent->fields) {
        if (Text(f, "Name") == name) def = f;
      }
    }
    if (!def) return "Cannot query field \"" + name + "\" on type \"" + (parent ? parent->name : "") + "\".";
    Array declared = List(*def, "Arguments");
    std::set<std::string> given;
    for (const auto& arg : List(sel, "Arguments")) {
      std::string an = Text(arg, "Name");
      if (!given.insert(an).second) return "There can be only one argument named \"" + an + "\".";
      auto decl = std::find_if(declared.begin(), declared.end(), [&](const Value& d) { return Text(d, "Name") == an; });
      if (decl == declared.end()) return "Unknown argument \"" + an + "\" on field \"" + parent->name + "." + name + "\".";
      if (auto p = Argument(MemberOrNull(arg, "Value"), MemberOrNull(*decl, "Type"), Member(*decl, "DefaultValue").has_value())) return p;
    }
    for (const auto& d : declared) {
      auto type = Member(d, "Type");
      if (type && Flag(*type, "NonNull") && !Member(d, "DefaultValue") && !given.count(Text(d, "Name"))) {
        return "Field \"" + name + "\" argument \"" + Text(d, "Name") + "\" of type \"" + TypeText(*type) +
               "\" is required, but it was not provided.";
      }
    }
    if (auto p = Directives(List(sel, "Directives"), "FIELD")) return p;
    auto type = Member(*def, "Type");
    const TypeDef* t = type ? s_.Type(NamedType(*type)) : nullptr;
    bool leaf = t && (t->kind == "SCALAR" || t->kind == "ENUM");
    if (leaf && !selections.empty()) {
      return "Field \"" + name + "\" must not have a selection since type \"" + TypeText(*type) + "\" has no subfields.";
    }
    if (!leaf && selections.empty()) {
      return "Field \"" + name + "\" of type \"" + (type ? TypeText(*type) : "") + "\" must have a selection of subfields. Did you mean \"" + name + " { ... }\"?";
    }
    return Selections(selections, t, fragment_stack);
  }

  // The query root's meta fields __schema and __type, parsed once.
  static const Value& MetaField(const std::string& name) {
    static const Value meta = List(std::get<Value>(ParseSchema("type M { __schema: __Schema! __type(name: String!): __Type }")),
                                   "Definitions")[0].object().at(Value::String("Fields"));
    return meta.array()[name == "__schema" ? 0 : 1];
  }

  // An argument's value where `type` is expected (`has_default`: the argument has a default).
  Problem Argument(const Value& value, const Value& type, bool has_default) {
    if (Number(value, "Kind") != 0) return Literal(value, type);
    std::string name = Text(value, "Raw");
    auto it = vars_.find(name);
    if (it == vars_.end()) return "Variable \"$" + name + "\" is not defined.";
    used_vars_.insert(name);
    Value var_type = MemberOrNull(it->second, "Type");
    bool var_default = Member(it->second, "DefaultValue").has_value();
    if (!Compatible(var_type, type, var_default || has_default)) {
      return "Variable \"$" + name + "\" of type \"" + TypeText(var_type) + "\" used in position expecting type \"" +
             TypeText(type) + "\".";
    }
    return std::nullopt;
  }

  // A variable of type `var` may be used where `want` is expected (a default may stand in
  // for a missing non-null marker at the outermost level).
  static bool Compatible(const Value& var, const Value& want, bool defaulted) {
    bool var_nn = Flag(var, "NonNull"), want_nn = Flag(want, "NonNull");
    if (want_nn && !var_nn && !defaulted) return false;
    auto var_elem = Member(var, "Elem"), want_elem = Member(want, "Elem");
    if (want_elem) return var_elem && Compatible(*var_elem, *want_elem, false);
    if (var_elem) return false;
    return Text(var, "NamedType") == Text(want, "NamedType");
  }

  // A literal value where `type` is expected (ValuesOfCorrectType).
  Problem Literal(const Value& value, const Value& type) {
    int64_t kind = Number(value, "Kind");
    std::string raw = Text(value, "Raw"), want = TypeText(type);
    auto bad = [&] { return Problem("Expected value of type \"" + want + "\", found " + (kind == 3 || kind == 4 ? "\"" + raw + "\"" : raw) + "."); };
    if (kind == 0) return Argument(value, type, false);
    if (kind == 6) return Flag(type, "NonNull") ? bad() : std::nullopt;
    if (auto elem = Member(type, "Elem")) {
      if (kind != 8) return Literal(value, *elem);  // a single value stands for a list of one
      for (const auto& child : List(value, "Children")) {
        if (auto p = Literal(MemberOrNull(child, "Value"), *elem)) return p;
      }
      return std::nullopt;
    }
    const TypeDef* t = s_.Type(Text(type, "NamedType"));
    if (!t) return std::nullopt;
    if (t->kind == "ENUM") {
      if (kind != 7) return bad();
      bool known = std::any_of(t->enum_values.begin(), t->enum_values.end(), [&](const Value& v) { return Text(v, "Name") == raw; });
      return known ? std::nullopt : bad();
    }
    if (t->kind == "INPUT_OBJECT") {
      if (kind != 9) return bad();
      Array children = List(value, "Children");
      for (const auto& child : children) {
        auto f = std::find_if(t->fields.begin(), t->fields.end(), [&](const Value& d) { return Text(d, "Name") == Text(child, "Name"); });
        if (f == t->fields.end()) return "Field \"" + Text(child, "Name") + "\" is not defined by type \"" + t->name + "\".";
        if (auto p = Literal(MemberOrNull(child, "Value"), MemberOrNull(*f, "Type"))) return p;
      }
      for (const auto& f : t->fields) {
        auto ft = Member(f, "Type");
        bool present = std::any_of(children.begin(), children.end(), [&](const Value& c) { return Text(c, "Name") == Text(f, "Name"); });
        if (ft && Flag(*ft, "NonNull") && !Member(f, "DefaultValue") && !present) {
          return "Field \"" + t->name + "." + Text(f, "Name") + "\" of required type \"" + TypeText(*ft) + "\" was not provided.";
        }
      }
      return std::nullopt;
    }
    if (kind == 8 || kind == 9 || kind == 7) return t->builtin ? bad() : std::nullopt;
    if (!t->builtin) return std::nullopt;  // custom scalars accept any literal
    const std::string& n = t->name;
    bool ok = (n == "Int" && kind == 1) || (n == "Float" && (kind == 1 || kind == 2)) ||
              (n == "String" && (kind == 3 || kind == 4)) || (n == "Boolean" && kind == 5) ||
              (n == "ID" && (kind == 1 || kind == 3 || kind == 4));
    return ok ? std::nullopt : bad();
  }

  const Schema& s_;
  const Value& doc_;
  std::map<std::string, Value> fragments_;
  std::set<std::string> used_fragments_;
  std::map<std::string, Value> vars_;
  std::set<std::string> used_vars_;
};

}  // namespace

std::optional<std::string> ValidateSchema(const Value& schema_document) {
  auto s = BuildSchema(schema_document);
  if (auto* problem = std::get_if<std::string>(&s)) return *problem;
  return std::nullopt;
}

std::optional<Finding> Validate(const Value& query_document, const Value& schema_document) {
  auto s = BuildSchema(schema_document);
  if (auto* problem = std::get_if<std::string>(&s)) return Finding{*problem, true};
  if (auto problem = QueryChecker(std::get<Schema>(s), query_document).Run()) return Finding{*problem, false};
  return std::nullopt;
}

}  // namespace oep::rego::graphql
