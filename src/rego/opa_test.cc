#include "rego/opa_test.h"

#include <re2/re2.h>

#include <cstdio>

#include "json/json.h"
#include "rego/parser.h"
#include "rego/policy_loader.h"

namespace oep::rego {
namespace {

struct TestResult {
  const TestRule* test = nullptr;
  bool fail = false;
  std::optional<RegoError> error;
  int64_t duration_ns = 0;
  bool Pass() const { return !fail && !error && !test->skip; }
};

// Go's time.Duration text: "0s", "850ns", "358.692µs", "1.5ms", "2.25s".
std::string GoDuration(int64_t ns) {
  if (ns == 0) return "0s";
  auto scaled = [](double v, const char* unit) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.9f", v);
    std::string s = buf;
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s + unit;
  };
  if (ns < 1000) return std::to_string(ns) + "ns";
  if (ns < 1000000) return scaled(static_cast<double>(ns) / 1e3, "µs");
  if (ns < 1000000000) return scaled(static_cast<double>(ns) / 1e6, "ms");
  return scaled(static_cast<double>(ns) / 1e9, "s");
}

std::string Outcome(const TestResult& r) {
  if (r.Pass()) return "PASS";
  if (r.fail) return "FAIL";
  if (r.test->skip) return "SKIPPED";
  return "ERROR";
}

// "data.pkg.test_x: PASS (1.2ms)", as OPA's Result prints itself.
std::string Line(const TestResult& r) {
  std::string s = r.test->package + "." + r.test->name + ": " + Outcome(r);
  if (!r.test->skip) s += " (" + GoDuration(r.duration_ns) + ")";
  return s;
}

TestResult Run(const Engine& engine, const TestRule& t, const OpaTestOptions& o) {
  TestResult r;
  r.test = &t;
  if (t.skip) return r;
  // The test's document, by a ref whose last key is a string ("test_x#01" is no name).
  std::string query_text = t.package;
  size_t start = 0;
  for (;;) {
    size_t dot = t.name.find('.', start);
    std::string part = t.name.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    std::string key;
    json::AppendCanonicalString(part, &key);
    query_text += "[" + key + "]";
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  auto query = ParseQuery(query_text);
  EvalOptions eo;
  auto begin = std::chrono::steady_clock::now();
  eo.deadline = begin + o.timeout;
  auto result = engine.Query(std::get<Body>(query), std::nullopt, eo);
  r.duration_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - begin).count();
  if (auto* err = std::get_if<RegoError>(&result)) {
    r.error = *err;
    return r;
  }
  const auto& rows = std::get<std::vector<QueryResult>>(result);
  r.fail = rows.empty() || !rows[0].expressions[0].is_bool() || !rows[0].expressions[0].as_bool();
  return r;
}

// OPA's JSON report: an array of results (location, package, name, fail, error, skip,
// duration in nanoseconds).
std::string JsonReport(const std::vector<TestResult>& results) {
  rapidjson::Document doc;
  doc.SetArray();
  auto& a = doc.GetAllocator();
  auto str = [&](const std::string& s) { return rapidjson::Value(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), a); };
  for (const auto& r : results) {
    rapidjson::Value o(rapidjson::kObjectType);
    rapidjson::Value loc(rapidjson::kObjectType);
    loc.AddMember("file", str(r.test->file), a);
    loc.AddMember("row", r.test->loc.row, a);
    loc.AddMember("col", r.test->loc.col, a);
    o.AddMember("location", loc, a);
    o.AddMember("package", str(r.test->package), a);
    o.AddMember("name", str(r.test->name), a);
    if (r.fail) o.AddMember("fail", true, a);
    if (r.error) {
      rapidjson::Value e(rapidjson::kObjectType);
      e.AddMember("code", str(r.error->code), a);
      e.AddMember("message", str(r.error->message), a);
      o.AddMember("error", e, a);
    }
    if (r.test->skip) o.AddMember("skip", true, a);
    o.AddMember("duration", static_cast<int64_t>(r.duration_ns), a);
    doc.PushBack(o, a);
  }
  std::string out;
  if (!json::Canonicalize(doc, &out, 2).ok()) return "[]\n";
  return out + "\n";
}

// OPA's pretty report: the tests that did not pass (every test when verbose), grouped under
// their file, then the counts.
std::string PrettyReport(const std::vector<TestResult>& results, bool verbose) {
  std::string out;
  const std::string rule(80, '-');
  int pass = 0, fail = 0, skip = 0, errors = 0;
  for (const auto& r : results) {
    if (r.Pass()) ++pass;
    else if (r.test->skip) ++skip;
    else if (r.error) ++errors;
    else if (r.fail) ++fail;
  }
  if (fail > 0 && verbose) {
    out += "FAILURES\n" + rule + "\n";
    for (const auto& r : results) {
      if (r.fail) out += Line(r) + "\n\n\n";
    }
    out += "SUMMARY\n" + rule + "\n";
  }
  bool dirty = false;
  std::string last_file;
  for (const auto& r : results) {
    if (verbose || !r.Pass()) {
      if (r.test->file != last_file) {
        if (!last_file.empty()) out += "\n";
        out += r.test->file + ":\n";
        last_file = r.test->file;
      }
      dirty = true;
      out += Line(r) + "\n";
    }
    if (r.error) out += "  " + r.error->Text() + "\n";
  }
  if (dirty) out += rule + "\n";
  int total = pass + fail + skip + errors;
  auto count = [&](const char* what, int n) {
    if (n) out += std::string(what) + ": " + std::to_string(n) + "/" + std::to_string(total) + "\n";
  };
  count("PASS", pass);
  count("FAIL", fail);
  count("SKIPPED", skip);
  count("ERROR", errors);
  return out;
}

}  // namespace

CliOutput OpaTest(const OpaTestOptions& o) {
  CliOutput out;
  std::optional<RE2> filter;
  if (o.run) {
    filter.emplace(*o.run, RE2::Quiet);
    if (!filter->ok()) {
      out.err = "--run: invalid regular expression " + *o.run + ": " + filter->error() + "\n";
      out.exit_code = 1;
      return out;
    }
  }
  LoadOptions lo;
  lo.version = o.v0_compatible ? RegoVersion::kV0 : RegoVersion::kV1;
  lo.number_duplicate_tests = true;
  std::vector<std::string> paths = o.paths;
  if (o.bundle) {
    lo.bundles = o.paths;
    paths.clear();
  }
  auto policy = LoadPolicy(paths, lo);
  if (auto* err = std::get_if<RegoError>(&policy)) {
    out.err = err->Text() + "\n";
    out.exit_code = 1;
    return out;
  }
  const auto& loaded = std::get<LoadedPolicy>(policy);
  std::vector<TestResult> results;
  for (const auto& t : loaded.tests) {
    if (filter && !RE2::PartialMatch(t.name, *filter)) continue;
    results.push_back(Run(*loaded.engine, t, o));
  }
  out.out = o.format == "json" ? JsonReport(results) : PrettyReport(results, o.verbose);
  for (const auto& r : results) {
    if (!r.Pass() && !(r.test->skip && o.exit_zero_on_skipped)) out.exit_code = 2;
  }
  return out;
}

}  // namespace oep::rego
