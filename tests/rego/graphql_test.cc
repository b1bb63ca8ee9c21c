// graphql.* built-ins: gqlparser's AST shape, its syntax errors with positions, and the
// schema and query validation rules (one failing case per rule, valid cases beside them).
#include <catch2/catch.hpp>

#include "support/support.h"

using namespace oep::test;

namespace {

// The schema the tests validate against (also a seed of `make fuzz`): heroes, episodes, a
// review input, a union, a mutation and a custom directive.
std::string Schema() { return ReadText(RepoRoot() + "/tests/fuzz/seeds/schema.graphql"); }

struct Gql {
  ScratchDir dir;
  Gql() {
    std::string json = "{\"schema\":\"";
    for (char c : Schema()) json += c == '\n' ? std::string("\\n") : c == '"' ? std::string("\\\"") : std::string(1, c);
    WriteText(dir / "in.json", json + "\"}");
  }
  std::string Eval(const std::string& expr) const {
    RunResult r = RunOep({"rego", "eval", "--strict-builtin-errors", "-i", dir / "in.json", "x := " + expr});
    INFO(expr << "\n" << r.out << r.err);
    if (r.out.find("\"errors\"") != std::string::npos) return r.out;
    REQUIRE(r.exit_code == 0);
    auto at = r.out.find("\"x\":");
    REQUIRE(at != std::string::npos);
    return r.out.substr(at + 4, r.out.find("},\"expressions\"") - at - 4);
  }
  std::string Valid(const std::string& query) const { return Eval("graphql.is_valid(`" + query + "`, input.schema)"); }
  std::string SchemaValid(const std::string& sdl) const { return Eval("graphql.schema_is_valid(`" + sdl + "`)"); }
};

}  // namespace

TEST_CASE("graphql.parse_query returns gqlparser's AST without positions, nulls or empty lists", "[rego][builtins][graphql]") {
  Gql g;
  CHECK(g.Eval(R"(graphql.parse_query("{hero {name}}"))") ==
        R"({"Operations":[{"Name":"","Operation":"query","SelectionSet":[{"Alias":"hero","Name":"hero","SelectionSet":[{"Alias":"name","Name":"name"}]}]}]})");
  CHECK(g.Eval(R"(graphql.parse_query(`query Q($ep: Episode = JEDI) { h: hero(episode: $ep) @cached(ttl: 5) { ...F ... on Hero { name } } } fragment F on Hero { appearsIn }`))") ==
        R"({"Fragments":[{"Name":"F","SelectionSet":[{"Alias":"appearsIn","Name":"appearsIn"}],"TypeCondition":"Hero"}],)"
        R"("Operations":[{"Name":"Q","Operation":"query","SelectionSet":[{"Alias":"h","Arguments":[{"Name":"episode","Value":{"ExpectedTypeHasDefault":false,"Kind":0,"Raw":"ep"}}],)"
        R"("Directives":[{"Arguments":[{"Name":"ttl","Value":{"ExpectedTypeHasDefault":false,"Kind":1,"Raw":"5"}}],"Location":"","Name":"cached"}],"Name":"hero",)"
        R"("SelectionSet":[{"Name":"F"},{"SelectionSet":[{"Alias":"name","Name":"name"}],"TypeCondition":"Hero"}]}],)"
        R"("VariableDefinitions":[{"DefaultValue":{"ExpectedTypeHasDefault":false,"Kind":7,"Raw":"JEDI"},"Type":{"NamedType":"Episode","NonNull":false},"Used":false,"Variable":"ep"}]}]})");
  // Lists and objects as values: children named (objects) or unnamed (lists).
  CHECK(g.Eval(R"(graphql.parse_query(`mutation { review(review: {stars: 5, tags: ["a", null]}) }`).Operations[0].SelectionSet[0].Arguments[0].Value.Children[1])") ==
        R"({"Name":"tags","Value":{"Children":[{"Name":"","Value":{"ExpectedTypeHasDefault":false,"Kind":3,"Raw":"a"}},{"Name":"","Value":{"ExpectedTypeHasDefault":false,"Kind":6,"Raw":"null"}}],"ExpectedTypeHasDefault":false,"Kind":8,"Raw":""}})");
  CHECK(g.Eval(R"(graphql.parse_query(""))") == "{}");
}

TEST_CASE("graphql.parse_schema: definitions, block descriptions, extensions, syntax errors", "[rego][builtins][graphql]") {
  Gql g;
  CHECK(g.Eval(R"(graphql.parse_schema(input.schema).Definitions[0].Description)") == R"("A hero of the films.\n  Indented detail.")");
  CHECK(g.Eval(R"(graphql.parse_schema(input.schema).Definitions[0].Fields[1])") ==
        R"({"Arguments":[{"DefaultValue":{"ExpectedTypeHasDefault":false,"Kind":1,"Raw":"10"},"Description":"","Name":"first","Type":{"NamedType":"Int","NonNull":false}},)"
        R"({"Description":"","Name":"order","Type":{"NamedType":"Order","NonNull":false}}],"Description":"Friends, most recent first.","Name":"friends",)"
        R"("Type":{"Elem":{"NamedType":"Hero","NonNull":true},"NamedType":"","NonNull":false}})");
  CHECK(g.Eval(R"(graphql.parse_schema("extend union U = A | B").Extensions)") ==
        R"([{"BuiltIn":false,"Description":"","Kind":"UNION","Name":"U","Types":["A","B"]}])");
  CHECK_THAT(g.Eval(R"(graphql.parse_schema("type Hello {}"))"),
             Catch::Contains("graphql.parse_schema: expected at least one definition, found } in GraphQL string at location 1:13"));
  CHECK_THAT(g.Eval(R"(graphql.parse_schema("union U = A || B"))"), Catch::Contains("Expected Name, found | at location 1:14") ||
                                                                        Catch::Contains("Expected Name, found | in GraphQL string at location 1:14"));
  CHECK_THAT(g.Eval(R"(graphql.parse_query("{ hero(episode: ) }"))"), Catch::Contains("Unexpected ) in GraphQL string at location 1:17"));
  CHECK_THAT(g.Eval(R"(graphql.parse_query("{ a } \"unterminated"))"), Catch::Contains("Unexpected <Invalid>"));
}

TEST_CASE("graphql.schema_is_valid applies the schema rules", "[rego][builtins][graphql]") {
  Gql g;
  CHECK(g.Eval("graphql.schema_is_valid(input.schema)") == "true");
  CHECK(g.Eval("graphql.schema_is_valid(graphql.parse_schema(input.schema))") == "true");  // an AST object
  CHECK(g.SchemaValid("type A { b: Missing }") == "false");                            // undefined type
  CHECK(g.SchemaValid("type A { b: String } type A { c: Int }") == "false");           // redeclared
  CHECK(g.SchemaValid("type O { x: Int } input I { o: O }") == "false");               // object as input
  CHECK(g.SchemaValid("input I { x: Int } type T { i: I }") == "false");               // input as output
  CHECK(g.SchemaValid("interface N { name: String } type T implements N { id: ID }") == "false");  // field missing
  CHECK(g.SchemaValid("type T implements U { x: Int } union U = T") == "false");       // not an interface
  CHECK(g.SchemaValid("union U = String") == "false");                                 // member not an object
  CHECK(g.SchemaValid("scalar S extend type S @deprecated") == "false");                // extension of another kind
  CHECK(g.SchemaValid("schema { query: Nope }") == "false");                           // undefined root
  CHECK(g.SchemaValid("type T { x: Int @include(if: true) }") == "false");             // directive location
  CHECK(g.SchemaValid("type T { __x: Int }") == "false");                              // reserved name
  CHECK(g.SchemaValid("extend type Later { x: Int } type Query { later: Later }") == "true");  // extension creates
}

TEST_CASE("graphql.is_valid applies the query rules", "[rego][builtins][graphql]") {
  Gql g;
  CHECK(g.Valid("{ hero(episode: JEDI) { name friends(first: 2) { name } __typename } }") == "true");
  CHECK(g.Valid("query($e: Episode!, $f: Boolean!) { hero(episode: $e) { ...N @include(if: $f) } } fragment N on Named { name }") == "true");
  CHECK(g.Valid("{ search(text: \"x\") { ... on Hero { name } } }") == "true");
  CHECK(g.Valid("mutation { review(review: {stars: 4}) }") == "true");
  CHECK(g.Valid("") == "true");
  CHECK(g.Valid("{ hero(episode: JEDI) { height } }") == "false");          // unknown field
  CHECK(g.Valid("{ hero { name } }") == "false");                            // required argument missing
  CHECK(g.Valid("{ hero(episode: JEDI, x: 1) { name } }") == "false");       // unknown argument
  CHECK(g.Valid("{ hero(episode: PHANTOM) { name } }") == "false");          // not an enum value
  CHECK(g.Valid("{ hero(episode: \"JEDI\") { name } }") == "false");         // a string for an enum
  CHECK(g.Valid("{ hero(episode: JEDI) }") == "false");                      // composite without selection
  CHECK(g.Valid("{ hero(episode: JEDI) { name { x } } }") == "false");       // leaf with selection
  CHECK(g.Valid("query($e: Episode) { hero(episode: $e) { name } }") == "false");  // nullable where non-null expected
  CHECK(g.Valid("query($e: Episode! = JEDI) { hero(episode: $e) { name } }") == "true");
  CHECK(g.Valid("query($e: Episode!, $unused: Int) { hero(episode: $e) { name } }") == "false");  // unused variable
  CHECK(g.Valid("{ hero(episode: $e) { name } }") == "false");               // undefined variable
  CHECK(g.Valid("{ hero(episode: JEDI) { ...Missing } }") == "false");       // unknown fragment
  CHECK(g.Valid("{ hero(episode: JEDI) { name } } fragment F on Hero { name }") == "false");  // unused fragment
  CHECK(g.Valid("{ hero(episode: JEDI) { ... on Query { hero(episode: JEDI) { name } } } }") == "false");  // impossible spread
  CHECK(g.Valid("mutation { review(review: {commentary: \"x\"}) }") == "false");  // required input field missing
  CHECK(g.Valid("subscription { x }") == "false");                           // no subscription root
  CHECK(g.Valid("{ a: hero(episode: JEDI) { name } } { b: hero(episode: JEDI) { name } }") == "false");  // two anonymous
}

TEST_CASE("graphql.parse errors name the rule, parse_and_verify reports instead", "[rego][builtins][graphql]") {
  Gql g;
  CHECK_THAT(g.Eval("graphql.parse(`{ hero(episode: JEDI) { height } }`, input.schema)"),
             Catch::Contains("eval_builtin_error") && Catch::Contains("Cannot query field \\\"height\\\" on type \\\"Hero\\\"") &&
                 Catch::Contains("in GraphQL query string"));
  CHECK(g.Eval("graphql.parse_and_verify(`{ hero { name } }`, input.schema)") == "[false,{},{}]");
  CHECK(g.Eval("graphql.parse_and_verify(`{ hero(episode: JEDI) { name } }`, input.schema)[1]") ==
        g.Eval("graphql.parse_query(`{ hero(episode: JEDI) { name } }`)"));
  CHECK(g.Eval("graphql.parse(`{ hero(episode: JEDI) { name } }`, input.schema)[1] == graphql.parse_schema(input.schema)") == "true");
}

TEST_CASE("graphql documents nested deeper than 400 levels are errors, not stack overflows", "[rego][builtins][graphql]") {
  Gql g;
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += "{a ";
  CHECK_THAT(g.Eval("graphql.parse_query(\"" + deep + "\")"), Catch::Contains("nesting deeper than 400 levels"));
  CHECK(g.Eval("graphql.is_valid(\"" + deep + "\", input.schema)") == "false");
}

TEST_CASE("graphql documents given as objects may lack members or hold wrong types without harm", "[rego][builtins][graphql]") {
  Gql g;
  const std::string schema = R"({"Definitions": [{"Kind": "OBJECT", "Name": "Query", "Fields": [{"Name": "a", "Arguments": [{"Name": "x"}]}]}]})";
  for (const char* query : {R"({"Operations": [{"Operation": "query", "SelectionSet": [{"Alias": "a", "Name": "a", "Arguments": [{"Name": "x"}]}]}]})",
                            R"({"Operations": [{"Operation": "query", "VariableDefinitions": [{"Variable": "v"}], "SelectionSet": [{"Alias": "a"}]}]})",
                            R"({"Operations": [1, "x", {"SelectionSet": [{"Alias": "a"}]}], "Fragments": [null]})"}) {
    CHECK(g.Eval(std::string("graphql.is_valid(") + query + ", " + schema + ")") == "false");
  }
  CHECK(g.Eval("graphql.schema_is_valid({\"Definitions\": [{\"Kind\": 3}], \"Directives\": [[]]})") == "false");
}
