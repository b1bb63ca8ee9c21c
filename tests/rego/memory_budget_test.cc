// The evaluation's memory budget (EvalOptions::max_memory_bytes): built-ins that would
// allocate past it, the evaluator's own collections and YAML alias expansion end the query
// with a clear error, in-process and through `oep rego eval`; nothing aborts the process.
#include <regex>

#include <catch2/catch.hpp>

#include "rego/engine.h"
#include "rego/parser.h"
#include "support/support.h"

using namespace oep;
using namespace oep::test;

namespace {

constexpr int64_t kMiB = int64_t{1} << 20;

// A 1 MiB string; a value whose JSON text has 10^10 numbers but which occupies a few
// kilobytes (each level holds the level below ten times); a partial set of 3,000 numbers.
std::string Module() {
  std::string kib;
  for (int i = 0; i < 64; ++i) kib += "0123456789abcdef";
  std::string text = "package t\n\nmib := concat(\"\", [s | numbers.range(1, 1024)[_]; s := \"" + kib + "\"])\n\n";
  text += "l0 := [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n";
  for (int level = 1; level <= 10; ++level) {
    std::string below = "l" + std::to_string(level - 1);
    text += "l" + std::to_string(level) + " := [";
    for (int i = 0; i < 10; ++i) text += (i ? ", " : "") + below;
    text += "]\n";
  }
  text += "dag := l9\n\ntens(v) := [v | numbers.range(1, 10)[_]]\n\nsize(v) := count(v)\n\nsmall contains x if some x in numbers.range(1, 3000)\n";
  return text;
}

// go-yaml's billion laughs: nine levels of nine aliases of the level below (10^9 "lol"s).
std::string BillionLaughs() {
  std::string doc = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'i'; ++c) {
    doc += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 9; ++i) doc += std::string(i ? ",*" : "*") + prev;
    doc += "]\n";
    prev = c;
  }
  return doc;
}

// Compiles kModule and runs `query`; the error, or "" and the JSON of the first solution's x.
std::pair<std::optional<rego::RegoError>, std::string> Run(const std::string& query, const rego::EvalOptions& options,
                                                           const std::optional<rego::Value>& input = std::nullopt) {
  auto module = rego::ParseModule(Module(), "t.rego");
  REQUIRE(std::holds_alternative<rego::Module>(module));
  std::vector<rego::Module> modules;
  modules.push_back(std::move(std::get<rego::Module>(module)));
  auto engine = rego::Engine::Compile(std::move(modules), rego::Value::MakeObject({}));
  REQUIRE(std::holds_alternative<std::unique_ptr<rego::Engine>>(engine));
  auto body = rego::ParseQuery(query);
  REQUIRE(std::holds_alternative<rego::Body>(body));
  auto result = std::get<std::unique_ptr<rego::Engine>>(engine)->Query(std::get<rego::Body>(body), input, options);
  if (auto* err = std::get_if<rego::RegoError>(&result)) return {*err, ""};
  const auto& rows = std::get<std::vector<rego::QueryResult>>(result);
  if (rows.empty()) return {std::nullopt, "undefined"};
  auto x = rows[0].bindings.find("x");
  return {std::nullopt, x == rows[0].bindings.end() ? "" : x->second.ToJson()};
}

struct Case {
  const char* what;
  const char* query;
  int64_t max_memory;  // 0: the default budget
  const char* code;
  const char* message;
};

// Each query would allocate far past its budget (most past the machine); each is refused
// before it allocates, with the built-in or collection named.
const Case kRefused[] = {
    {"numbers.range(0, 1e9)", "x := numbers.range(0, 1e9)", 0, "eval_builtin_error",
     "numbers.range: memory budget exceeded: 40000000040 more bytes needed"},
    {"numbers.range_step over 2^60 elements", "x := numbers.range_step(0, 1152921504606846976, 1)", 0, "eval_builtin_error",
     "numbers.range_step: memory budget exceeded"},
    {"array comprehension over numbers.range", "x := count([y | y := numbers.range(0, 2000000)[_]])", 100 * kMiB,
     "eval_cancel_error", "array comprehension: memory budget exceeded"},
    {"set comprehension over numbers.range", "x := count({y | y := numbers.range(0, 2000000)[_]})", 100 * kMiB,
     "eval_cancel_error", "set comprehension: memory budget exceeded"},
    {"object comprehension over numbers.range", "x := count({y: 1 | y := numbers.range(0, 2000000)[_]})", 100 * kMiB,
     "eval_cancel_error", "object comprehension: memory budget exceeded"},
    {"partial set rule", "x := count(data.t.small)", 200 * 1024, "eval_cancel_error", "rule data.t.small: memory budget exceeded"},
    {"concat to 3 GiB", "x := count(concat(\"\", [data.t.mib | numbers.range(1, 3072)[_]]))", 0, "eval_builtin_error",
     "concat: memory budget exceeded"},
    {"concat separators", "x := count(concat(data.t.mib, [\"a\" | numbers.range(1, 3072)[_]]))", 0, "eval_builtin_error",
     "concat: memory budget exceeded"},
    {"split into a million pieces", "x := count(split(data.t.mib, \"\"))", 50 * kMiB, "eval_builtin_error",
     "split: memory budget exceeded"},
    {"sprintf widths", "x := sprintf(concat(\"\", [\"%9000000d\" | numbers.range(1, 300)[_]]), [1 | numbers.range(1, 300)[_]])",
     50 * kMiB, "eval_builtin_error", "sprintf: memory budget exceeded"},
    {"sprintf %v of a value with 10^9 leaves", "x := sprintf(\"%v\", [data.t.dag])", 0, "eval_builtin_error",
     "sprintf: memory budget exceeded"},
    {"replace of the empty string", "x := count(replace(data.t.mib, \"\", data.t.mib))", 0, "eval_builtin_error",
     "replace: memory budget exceeded"},
    {"strings.replace_n of the empty string", "x := count(strings.replace_n({\"\": data.t.mib}, data.t.mib))", 0,
     "eval_builtin_error", "strings.replace_n: memory budget exceeded"},
    {"json.marshal of a value with 10^9 leaves", "x := count(json.marshal(data.t.dag))", 0, "eval_builtin_error",
     "json.marshal: memory budget exceeded"},
    {"json.marshal_with_options", "x := count(json.marshal_with_options(data.t.dag, {\"pretty\": true}))", 0,
     "eval_builtin_error", "json.marshal_with_options: memory budget exceeded"},
    {"yaml.marshal", "x := count(yaml.marshal(data.t.dag))", 0, "eval_builtin_error", "yaml.marshal: memory budget exceeded"},
    {"walk of a value with 10^9 leaves", "x := count([p | walk(data.t.dag, [p, _])])", 50 * kMiB, "eval_builtin_error",
     "walk: memory budget exceeded"},
    {"array.flatten of many copies", "x := count(array.flatten([r | r := numbers.range(1, 100000); numbers.range(1, 1000)[_]]))",
     0, "eval_builtin_error", "array.flatten: memory budget exceeded"},
    // A chain of 2,000 vertices, each also leading out of the graph: 2,000 paths, 2 million steps.
    {"graph.reachable_paths of a long chain",
     "x := count(graph.reachable_paths({sprintf(\"%d\", [i]): [sprintf(\"%d\", [i + 1]), \"out\"] | "
     "some i in numbers.range(0, 2000)}, [\"0\"]))",
     50 * kMiB, "eval_builtin_error", "graph.reachable_paths: memory budget exceeded"},
    {"a function called with a value of 10^9 leaves (its memo key)", "x := data.t.size(data.t.dag)", 0, "eval_cancel_error",
     "function data.t.size: memory budget exceeded"},
    {"array.concat in a loop", "x := count([array.concat(r, r) | r := numbers.range(1, 100000); numbers.range(1, 100)[_]])",
     30 * kMiB, "eval_builtin_error", "array.concat: memory budget exceeded"},
};

}  // namespace

TEST_CASE("built-ins and collections past the memory budget end the query with a clear error", "[rego][memory]") {
  for (const auto& c : kRefused) {
    for (bool strict : {false, true}) {
      INFO(c.what << (strict ? " (strict)" : ""));
      rego::EvalOptions options;
      options.strict_builtin_errors = strict;  // fatal either way: undefined could flip a decision
      if (c.max_memory) options.max_memory_bytes = c.max_memory;
      auto [err, x] = Run(c.query, options);
      REQUIRE(err);
      CHECK(err->code == c.code);
      CHECK_THAT(err->message, Catch::Contains(c.message) && Catch::Contains("limit in use (max_memory_bytes)"));
    }
  }
}

TEST_CASE("the same queries succeed under a budget that fits them", "[rego][memory]") {
  rego::EvalOptions options;
  CHECK(Run("x := count(numbers.range(1, 100000))", options).second == "100000");
  CHECK(Run("x := count(data.t.small)", options).second == "3000");
  CHECK(Run("x := count(split(data.t.mib, \"\"))", options).second == "1048576");
  CHECK(Run("x := count(concat(\"\", [data.t.mib | numbers.range(1, 8)[_]]))", options).second == "8388608");
  CHECK(Run("x := count(json.marshal(data.t.tens(data.t.tens(1))))", options).second == "221");  // [[1,...],...]: 10 * 21 + 11
  options.max_memory_bytes = 100 * kMiB;
  CHECK(Run("x := count([y | y := numbers.range(0, 200000)[_]])", options).second == "200001");
}

TEST_CASE("what a finished use no longer references goes back to the budget", "[rego][memory]") {
  // Fifty 16 MiB ranges one after another fit in 100 MiB: each is released once counted.
  rego::EvalOptions options;
  options.max_memory_bytes = 100 * kMiB;
  CHECK(Run("x := [n | some i in numbers.range(1, 50); n := count(numbers.range(1, 400000))]", options).second ==
        "[" + [] {
          std::string s;
          for (int i = 0; i < 50; ++i) s += (i ? ",400000" : "400000");
          return s;
        }() + "]");
  // A function's memo key is reserved once: 100,000 calls with a 2 KB argument fit in 100 MiB.
  CHECK(Run("x := count({n | some i in numbers.range(1, 100000); n := data.t.size(data.t.l3)})", options).second == "1");
  // Kept ones add up: fifty 16 MiB arrays in one collection do not.
  auto [err, x] = Run("x := count([r | some i in numbers.range(1, 50); r := numbers.range(1, 400000)])", options);
  REQUIRE(err);
  CHECK_THAT(err->message, Catch::Contains("numbers.range: memory budget exceeded"));
}

TEST_CASE("sprintf refuses a width past 10^6 digits as Go's fmt does, without allocating it", "[rego][memory]") {
  rego::EvalOptions options;
  CHECK(Run("x := sprintf(\"%1000000000d\", [1])", options).second == R"j("%!(NOVERB)%!(EXTRA number=1)")j");
  CHECK(Run("x := sprintf(\"%.1000000000f|%d\", [1, 2])", options).second == R"j("%!(NOVERB)%!(EXTRA number=1, number=2)")j");
  CHECK(Run("x := count(sprintf(\"%10000000d\", [1]))", options).second == "10000000");  // the widest Go accepts
  CHECK(Run("x := sprintf(\"%05d|%-3s|\", [42, \"a\"])", options).second == R"j("00042|a  |")j");
}

TEST_CASE("yaml.unmarshal bounds alias expansion as go-yaml does (billion laughs)", "[rego][memory][yaml]") {
  rego::Value input = rego::Value::MakeObject({{rego::Value::String("doc"), rego::Value::String(BillionLaughs())}});
  rego::EvalOptions strict;
  strict.strict_builtin_errors = true;
  auto [err, x] = Run("x := yaml.unmarshal(input.doc)", strict, input);
  REQUIRE(err);
  CHECK(err->code == "eval_builtin_error");
  CHECK(err->message == "yaml.unmarshal: yaml: document contains excessive aliasing");
  // OPA's default: a failing built-in is undefined.
  CHECK(Run("x := yaml.unmarshal(input.doc)", rego::EvalOptions{}, input).second == "undefined");
  CHECK(Run("x := yaml.is_valid(input.doc)", rego::EvalOptions{}, input).second == "false");
  // Aliases within the bound expand: 100 aliases of a 9-element list, 1,000 nodes.
  std::string moderate = "a: &a [1,2,3,4,5,6,7,8,9]\nb: [";
  for (int i = 0; i < 100; ++i) moderate += i ? ",*a" : "*a";
  moderate += "]\n";
  rego::Value ok = rego::Value::MakeObject({{rego::Value::String("doc"), rego::Value::String(moderate)}});
  CHECK(Run("x := count(yaml.unmarshal(input.doc).b)", strict, ok).second == "100");
  CHECK(Run("x := yaml.unmarshal(input.doc).b[99][8]", strict, ok).second == "9");
}

TEST_CASE("rego eval prints a budget error in OPA's shape and exits 2", "[rego][memory][cli]") {
  ScratchDir dir;
  WriteText(dir / "t.rego", Module());
  RunResult range = RunOep({"rego", "eval", "-d", dir / "t.rego", "x := numbers.range(0, 1e9)"});
  CHECK(range.exit_code == 2);
  CHECK_THAT(range.out, Catch::StartsWith("{\"errors\":[{\"code\":\"eval_builtin_error\"") &&
                            Catch::Contains("numbers.range: memory budget exceeded: 40000000040 more bytes needed, 0 of the "
                                            "2147483648-byte limit in use"));
  RunResult compr = RunOep({"rego", "eval", "-d", dir / "t.rego", "--max-memory", "104857600",
                            "x := count([y | y := numbers.range(0, 2000000)[_]])"});
  CHECK(compr.exit_code == 2);
  CHECK_THAT(compr.out, Catch::Contains("\"code\":\"eval_cancel_error\"") &&
                            Catch::Contains("array comprehension: memory budget exceeded") &&
                            Catch::Contains("of the 104857600-byte limit"));
  WriteText(dir / "laughs.json", "{\"doc\": " + rego::Value::String(BillionLaughs()).ToJson() + "}");
  RunResult yaml = RunOep({"rego", "eval", "-d", dir / "t.rego", "-i", dir / "laughs.json", "--strict-builtin-errors",
                           "x := yaml.unmarshal(input.doc)"});
  CHECK(yaml.exit_code == 2);
  CHECK_THAT(yaml.out, Catch::Contains("yaml.unmarshal: yaml: document contains excessive aliasing"));
  RunResult fits = RunOep({"rego", "eval", "-d", dir / "t.rego", "--max-memory", "104857600",
                           "x := count([y | y := numbers.range(0, 200000)[_]])"});
  CHECK(fits.exit_code == 0);
  CHECK_THAT(fits.out, Catch::Contains("\"x\":200001"));
}

TEST_CASE("rego eval --max-memory takes a positive decimal number of bytes", "[rego][memory][cli][bad-input]") {
  for (const char* bad : {"0", "-5", "0x10", "1e9", "2GiB", "", "99999999999999999999"}) {
    INFO(bad);
    RunResult r = RunOep({"rego", "eval", "--max-memory", bad, "x := 1"});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("--max-memory"));
  }
}

#if !defined(__SANITIZE_ADDRESS__)
// (AddressSanitizer reports an impossible allocation instead of throwing std::bad_alloc.)
TEST_CASE("an allocation that fails within the budget is an error, not an abort", "[rego][memory][cli]") {
  // A budget beyond the machine lets numbers.range ask for 8 EB at once: std::bad_alloc.
  RunResult r = RunOep({"rego", "eval", "--max-memory", "9000000000000000000", "x := numbers.range(1, 200000000000000000)"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.out, Catch::StartsWith("{\"errors\":[{\"code\":\"eval_cancel_error\"") &&
                        Catch::Contains("evaluation ran out of memory"));
}
#endif

TEST_CASE("counterfactual replay and impact report a budget error instead of aborting", "[rego][memory][cli]") {
  ScratchDir dir;
  std::string store = dir / "store.db";
  MakeDemoStore(store);
  WriteText(dir / "bomb.rego",
            "package oep.permissions\n\ndecision := {\"allow\": count(numbers.range(0, 1e9)) > 0, \"matched_rule\": \"r\", "
            "\"reason\": \"r\", \"decision_code\": \"r\"}\n");
  std::string before = FileSha256(store);
  RunResult replay = RunOep({"replay", "--state-path", store, "pder_oep_demo_read_diff_0001", "--counterfactual",
                             "--policy-bundle", dir / "bomb.rego", "--engine", "native"});
  CHECK(replay.exit_code == 2);
  CHECK_THAT(replay.err, Catch::Contains("numbers.range: memory budget exceeded"));
  RunResult impact = RunOep({"impact", "--state-path", store, "--policy-bundle", dir / "bomb.rego", "--engine", "native"});
  // impact lists each decision's evaluation error in its report (its exit code is its own
  // business); it must end normally, not by a signal (128 + signal).
  CHECK(impact.exit_code < 128);
  CHECK(std::regex_search(impact.out, std::regex("errors \\(any row\\) +2\n")));
  CHECK_THAT(impact.out + impact.err, Catch::Contains("pder_oep_demo_read_diff_0001: eval_builtin_error: numbers.range: memory budget exceeded"));
  CHECK(FileSha256(store) == before);
}
