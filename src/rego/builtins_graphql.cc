// graphql.* built-ins over rego/graphql.h: parse_query, parse_schema, schema_is_valid,
// is_valid, parse_and_verify, parse. Errors read as OPA's ("... in GraphQL string at
// location L:C").
#include "rego/builtins.h"
#include "rego/graphql.h"

namespace oep::rego {
namespace {

using Args = std::vector<Value>;

void Add(Registry& r, const std::string& name, int arity, BuiltinFn fn) { r[name] = Builtin{arity, std::move(fn)}; }

// A document from a string (parsed) or an object (an AST in OPA's shape, taken as is).
struct Parsed {
  std::optional<Value> doc;
  std::string error;
};

Parsed Document(const Value& v, bool schema) {
  if (v.is_object()) return {v, ""};
  if (!v.is_string()) return {std::nullopt, "must be string or object"};
  auto r = schema ? graphql::ParseSchema(v.str()) : graphql::ParseQuery(v.str());
  if (auto* e = std::get_if<graphql::SyntaxError>(&r)) {
    return {std::nullopt, e->message + " in GraphQL string at location " + std::to_string(e->line) + ":" +
                              std::to_string(e->column)};
  }
  return {std::get<Value>(r), ""};
}

// The first problem of the query against the schema (schema problems first).
std::optional<std::string> Verify(const Value& query, const Value& schema) {
  auto finding = graphql::Validate(query, schema);
  if (!finding) return std::nullopt;
  if (finding->in_schema) return "Error in gqlparser SchemaDocument to Schema conversion: " + finding->message;
  return finding->message + " in GraphQL query string";
}

}  // namespace

void RegisterGraphqlBuiltins(Registry& r) {
  for (bool schema : {false, true}) {
    std::string name = schema ? "graphql.parse_schema" : "graphql.parse_query";
    Add(r, name, 1, [name, schema](const Args& a) {
      if (!a[0].is_string()) return BuiltinOut::TypeError(OperandError(name, 1, "string", a[0]));
      Parsed p = Document(a[0], schema);
      if (!p.doc) return BuiltinOut::Error(p.error);
      return BuiltinOut::Of(*p.doc);
    });
  }
  Add(r, "graphql.schema_is_valid", 1, [](const Args& a) {
    Parsed s = Document(a[0], true);
    return BuiltinOut::Of(Value::Bool(s.doc && !graphql::ValidateSchema(*s.doc)));
  });
  Add(r, "graphql.is_valid", 2, [](const Args& a) {
    Parsed q = Document(a[0], false), s = Document(a[1], true);
    return BuiltinOut::Of(Value::Bool(q.doc && s.doc && !Verify(*q.doc, *s.doc)));
  });
  Add(r, "graphql.parse_and_verify", 2, [](const Args& a) {
    Parsed q = Document(a[0], false), s = Document(a[1], true);
    if (!q.doc || !s.doc || Verify(*q.doc, *s.doc)) {
      return BuiltinOut::Of(Value::MakeArray({Value::Bool(false), Value::MakeObject({}), Value::MakeObject({})}));
    }
    return BuiltinOut::Of(Value::MakeArray({Value::Bool(true), *q.doc, *s.doc}));
  });
  Add(r, "graphql.parse", 2, [](const Args& a) {
    for (size_t i = 0; i < 2; ++i) {
      if (!a[i].is_string() && !a[i].is_object()) {
        return BuiltinOut::TypeError(OperandError("graphql.parse", static_cast<int>(i) + 1, "one of {object, string}", a[i]));
      }
    }
    Parsed q = Document(a[0], false);
    if (!q.doc) return BuiltinOut::Error(q.error);
    Parsed s = Document(a[1], true);
    if (!s.doc) return BuiltinOut::Error(s.error);
    if (auto e = Verify(*q.doc, *s.doc)) return BuiltinOut::Error(*e);
    return BuiltinOut::Of(Value::MakeArray({*q.doc, *s.doc}));
  });
}

}  // namespace oep::rego
