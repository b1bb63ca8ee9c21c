#include "rego/conformance.h"

#include <algorithm>
#include <filesystem>

#include "rego/engine.h"
#include "rego/parser.h"
#include "util/files.h"

namespace oep::rego {
namespace {

namespace fs = std::filesystem;

const Value* Field(const Value& obj, const char* key) {
  static Value holder;
  if (!obj.is_object()) return nullptr;
  auto it = obj.object().find(Value::String(key));
  return it == obj.object().end() ? nullptr : &it->second;
}

Value SortArrays(const Value& v) {
  if (v.is_array()) {
    Array a;
    for (const auto& e : v.array()) a.push_back(SortArrays(e));
    std::sort(a.begin(), a.end(), ValueLess());
    return Value::MakeArray(a);
  }
  if (v.is_object()) {
    Object o;
    for (const auto& [k, e] : v.object()) o[k] = SortArrays(e);
    return Value::MakeObject(o);
  }
  return v;
}

std::string Truncate(std::string s) {
  if (s.size() > 300) s = s.substr(0, 300) + "...";
  return s;
}

CaseOutcome RunCase(const Value& c, const std::string& category) {
  CaseOutcome out;
  out.category = category;
  const Value* note = Field(c, "note");
  out.note = note && note->is_string() ? note->str() : "?";
  const Value* want_code = Field(c, "want_error_code");
  const Value* want_error = Field(c, "want_error");
  bool want_err = want_code || want_error;
  auto error_outcome = [&](const RegoError& e) {
    // OPA's harness matches want_error against the whole error text, "file:row: code: message".
    std::string full = e.Text();
    bool ok = want_err && (!want_code || want_code->str() == e.code) &&
              (!want_error || full.find(want_error->str()) != std::string::npos);
    out.passed = ok;
    if (!ok) {
      out.detail = "got error " + e.code + ": " + e.message + "; want " +
                   (want_err ? "error " + (want_code ? want_code->str() : std::string("")) + " " + (want_error ? want_error->str() : "")
                             : "result");
    }
    return out;
  };

  // "v0_compatible": true (oep's addition to OPA's format) parses and compiles as --v0-compatible.
  const Value* v0 = Field(c, "v0_compatible");
  RegoVersion version = v0 && v0->is_bool() && v0->as_bool() ? RegoVersion::kV0 : RegoVersion::kV1;
  std::vector<Module> modules;
  if (const Value* mods = Field(c, "modules"); mods && mods->is_array()) {
    int i = 0;
    for (const auto& m : mods->array()) {
      auto parsed = ParseModule(m.is_string() ? m.str() : "", "test-" + std::to_string(i++) + ".rego", version);
      if (auto* err = std::get_if<RegoError>(&parsed)) return error_outcome(*err);
      modules.push_back(std::move(std::get<Module>(parsed)));
    }
  }
  const Value* data = Field(c, "data");
  auto compiled = Engine::Compile(std::move(modules), data ? *data : Value::MakeObject({}), version == RegoVersion::kV0);
  if (auto* err = std::get_if<RegoError>(&compiled)) return error_outcome(*err);
  auto& engine = std::get<std::unique_ptr<Engine>>(compiled);

  std::optional<Value> input;
  if (const Value* in = Field(c, "input")) input = *in;
  if (const Value* term = Field(c, "input_term"); term && term->is_string()) {
    auto q = ParseQuery("__input__ = " + term->str());
    if (auto* err = std::get_if<RegoError>(&q)) return error_outcome(*err);
    auto r = engine->Query(std::get<Body>(q), std::nullopt);
    if (auto* err = std::get_if<RegoError>(&r)) return error_outcome(*err);
    auto& rs = std::get<std::vector<QueryResult>>(r);
    if (!rs.empty()) input = rs[0].bindings["__input__"];
  }
  const Value* query_text = Field(c, "query");
  auto query = ParseQuery(query_text && query_text->is_string() ? query_text->str() : "");
  if (auto* err = std::get_if<RegoError>(&query)) return error_outcome(*err);
  // The query is compiled as OPA's harness compiles it: its calls type-checked.
  if (auto err = engine->CheckQueryTypes(std::get<Body>(query))) return error_outcome(*err);
  EvalOptions opts;
  const Value* strict = Field(c, "strict_error");
  opts.strict_builtin_errors = strict && strict->is_bool() && strict->as_bool();
  auto result = engine->Query(std::get<Body>(query), input, opts);
  if (auto* err = std::get_if<RegoError>(&result)) return error_outcome(*err);
  if (want_err) {
    out.detail = "got a result; want error " + (want_code ? want_code->str() : std::string("")) + " " +
                 (want_error ? want_error->str() : "");
    return out;
  }
  const Value* sort = Field(c, "sort_bindings");
  bool sort_bindings = sort && sort->is_bool() && sort->as_bool();
  Set got, want;
  for (const auto& r : std::get<std::vector<QueryResult>>(result)) {
    Object o;
    for (const auto& [k, v] : r.bindings) {
      if (k.rfind("__", 0) == 0) continue;
      // OPA's harness compares JSON: sets become (sorted) arrays.
      Value as_json = Value::FromJsonText(v.ToJson()).value();
      o[Value::String(k)] = sort_bindings ? SortArrays(as_json) : as_json;
    }
    got.insert(Value::MakeObject(o));
  }
  if (const Value* w = Field(c, "want_result"); w && w->is_array()) {
    for (const auto& b : w->array()) want.insert(sort_bindings ? SortArrays(b) : b);
  }
  out.passed = got == want;
  if (!out.passed) {
    out.detail = "want " + Truncate(Value::MakeSet(want).ToJson()) + "; got " + Truncate(Value::MakeSet(got).ToJson());
  }
  return out;
}

}  // namespace

int ConformanceReport::passed() const {
  return static_cast<int>(std::count_if(cases.begin(), cases.end(), [](const CaseOutcome& c) { return c.passed; }));
}

std::string ConformanceReport::Render(size_t max_failures) const {
  std::map<std::string, std::pair<int, int>> by_category;
  for (const auto& c : cases) {
    auto& [p, t] = by_category[c.category];
    p += c.passed;
    ++t;
  }
  std::string out;
  for (const auto& [cat, pt] : by_category) {
    out += cat + ": " + std::to_string(pt.first) + "/" + std::to_string(pt.second) + "\n";
  }
  size_t shown = 0;
  for (const auto& c : cases) {
    if (c.passed || shown++ >= max_failures) continue;
    out += "FAIL " + c.category + " / " + c.note + ": " + c.detail + "\n";
  }
  out += std::to_string(passed()) + " passed, " + std::to_string(failed()) + " failed\n";
  return out;
}

Result<ConformanceReport> RunConformance(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::InvalidArgument(dir + ": not a directory");
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".json") files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  ConformanceReport report;
  for (const auto& f : files) {
    auto text = ReadFile(f.string());
    if (!text.ok()) return text.status();
    auto doc = Value::FromJsonText(*text);
    if (!doc.ok()) return doc.status().WithContext(f.string());
    const Value* cases = Field(*doc, "cases");
    if (!cases || !cases->is_array()) continue;
    std::string category = f.parent_path().filename().string();
    for (const auto& c : cases->array()) report.cases.push_back(RunCase(c, category));
  }
  return report;
}

}  // namespace oep::rego
