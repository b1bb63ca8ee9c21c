#include "fuzz/fuzz_targets.h"

#include <memory>
#include <string>
#include <vector>

#include "importers/opa_decision_log.h"
#include "ingest/ingest.h"
#include "json/json.h"
#include "rego/builtins.h"
#include "rego/engine.h"
#include "rego/graphql.h"
#include "rego/parser.h"
#include "util/paths.h"

namespace oep::fuzz {

void RegoParse(std::string_view input) {
  (void)rego::ParseModule(input, "fuzz.rego", rego::RegoVersion::kV1);
  (void)rego::ParseModule(input, "fuzz.rego", rego::RegoVersion::kV0);
  (void)rego::ParseQuery(input);
  (void)rego::ParseTerm(input);
}

void RegoEval(std::string_view input) {
  auto parsed = rego::ParseModule(input, "fuzz.rego", rego::RegoVersion::kV1);
  auto* module = std::get_if<rego::Module>(&parsed);
  if (module == nullptr) return;
  std::string package = "data";
  for (const auto& p : module->package) package += "." + p;
  std::vector<rego::Module> modules;
  modules.push_back(std::move(*module));
  auto compiled = rego::Engine::Compile(std::move(modules), rego::Value::MakeObject({}));
  auto* engine = std::get_if<std::unique_ptr<rego::Engine>>(&compiled);
  if (engine == nullptr) return;
  auto query = rego::ParseQuery(package);
  if (!std::holds_alternative<rego::Body>(query)) return;
  static const rego::Value kInput =
      rego::Value::FromJsonText(R"({"a": 1, "b": [1, 2, 3], "s": "x", "o": {"k": "v"}})").value();
  rego::EvalOptions options;
  options.max_steps = 200000;
  options.max_depth = 200;
  options.replay = true;  // no clock, randomness or network while fuzzing
  options.now_ns = 0;
  (void)(*engine)->Query(std::get<rego::Body>(query), kInput, options);
}

void DocumentParse(std::string_view input) {
  auto schema = rego::graphql::ParseSchema(input);
  auto query = rego::graphql::ParseQuery(input);
  if (auto* s = std::get_if<rego::Value>(&schema)) {
    (void)rego::graphql::ValidateSchema(*s);
    if (auto* q = std::get_if<rego::Value>(&query)) (void)rego::graphql::Validate(*q, *s);
  }
  (void)rego::Builtins().at("yaml.unmarshal").fn({rego::Value::String(std::string(input))});
}

void JsonIngest(std::string_view input) {
  static Validator validator;
  static json::ReusableParser parser;
  if (auto doc = json::Parse(input); doc.ok()) {
    if (doc->IsArray()) {
      for (const auto& v : doc->GetArray()) (void)BuildRecord(v, "fuzz.json", "/0", validator);
    } else {
      (void)BuildRecord(*doc, "fuzz.json", "", validator);
    }
  }
  std::string line(input);  // in place: the copy is followed by its NUL
  if (auto doc = parser.ParseInPlace(line.data(), line.size()); doc.ok()) {
    (void)BuildRecord(**doc, "fuzz.jsonl:1", "", validator);
  }
}

void DecisionLogParse(std::string_view input) {
  // One in-memory store with the demo manifest, renewed now and then: imports that
  // succeed commit, and the store must not grow without bound.
  static std::unique_ptr<Store> store;
  static int uses = 0;
  if (!store || ++uses % 1000 == 0) {
    store.reset();
    auto opened = Store::Open(":memory:", Store::Mode::kReadWrite);
    if (!opened.ok()) std::abort();
    store = std::move(*opened);
    auto manifest = IngestPaths(*store, {RepoRoot() + "/manifest/examples"});
    if (!manifest.ok()) std::abort();
  }
  OpaDecisionLogOptions options;
  options.manifest_id = "rmf_oep_code_review_demo_v0";
  (void)ImportOpaDecisionLogText(*store, input, "fuzz.jsonl", options);
}

}  // namespace oep::fuzz
