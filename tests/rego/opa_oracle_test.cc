// Cases of what OPA prints — query, modules, input, flags and OPA's output — run against
// `oep rego eval` / `oep rego test` answered in-process:
// - ../shared/corpus/opa-oracle/cases.json: what a real OPA (0.61) printed. Every case
//   runs; the ones oep does not yet answer as OPA did are listed, with the reason, in
//   opa_oracle_known_failures.txt — the test fails when any other case fails, and when a
//   listed case starts passing (so the list only shrinks).
// - query_capture_cases.json (written here, in the same format): OPA's query capture
//   semantics (`false` is a value) in forms the oracle does not record; all must pass.
// - language_cases.json (written here, in the same format): v0 and language constructs;
//   all must pass.
#include <fstream>
#include <set>
#include <sstream>

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "json/json.h"
#include "rego/opa_cli.h"
#include "rego/opa_inspect.h"
#include "rego/opa_test.h"
#include "support/support.h"

using namespace oep;
using namespace oep::test;

namespace {

// The JSON text of `v` without "location" members (compared apart from locations, as the
// corpus README says), canonical.
void StripLocations(rapidjson::Value& v) {
  if (v.IsObject()) {
    v.RemoveMember("location");
    for (auto& m : v.GetObject()) StripLocations(m.value);
  } else if (v.IsArray()) {
    for (auto& e : v.GetArray()) StripLocations(e);
  }
}

std::string Comparable(rapidjson::Value& v) {
  StripLocations(v);
  return json::CanonicalText(v);
}

std::set<std::string> KnownFailures() {
  std::set<std::string> out;
  std::ifstream f(RepoRoot() + "/tests/rego/opa_oracle_known_failures.txt");
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    out.insert(line.substr(0, line.find('\t')));
  }
  return out;
}

// Why oep's answer differs from OPA's, or "" when it does not.
std::string Judge(rapidjson::Value& c, const ScratchDir& dir) {
  rapidjson::Value& opa = c["opa"];
  bool v0 = c.HasMember("syntax") && std::string(c["syntax"].GetString()) == "v0";
  for (auto& m : c["modules"].GetObject()) WriteText(dir / m.name.GetString(), m.value.GetString());
  rego::CliOutput got;
  if (c.HasMember("inspect")) {
    rego::OpaInspectOptions i;
    i.paths = {dir.path()};
    i.annotations = true;
    i.v0_compatible = v0;
    got = rego::OpaInspect(i);
    // File names relative to the policy directory, as OPA printed them for ".".
    std::string text = got.out;
    for (size_t at; (at = text.find(dir.path() + "/")) != std::string::npos;) text.erase(at, dir.path().size() + 1);
    auto mine = json::Parse(text);
    if (!mine.ok()) return "opa inspect output is not JSON: " + got.out;
    std::string a = Comparable(*mine), b = Comparable(opa["stdout"]);
    return a == b ? "" : "stdout " + a + " (OPA " + b + ")";
  }
  if (c.HasMember("test")) {
    rego::OpaTestOptions t;
    t.paths = {dir.path()};
    t.v0_compatible = v0;
    t.verbose = true;
    t.format = "json";
    got = rego::OpaTest(t);
    if (got.exit_code != opa["exit_code"].GetInt()) return "exit " + std::to_string(got.exit_code);
    // Each result's package, name and outcome (durations and traces are not compared).
    auto outcomes = [](const rapidjson::Value& results) {
      std::string s;
      for (const auto& r : results.GetArray()) {
        s += std::string(r["package"].GetString()) + "." + r["name"].GetString();
        for (const char* flag : {"fail", "skip"}) {
          if (r.HasMember(flag) && r[flag].IsBool() && r[flag].GetBool()) s += std::string(" ") + flag;
        }
        if (r.HasMember("error")) s += " error";
        s += "\n";
      }
      return s;
    };
    auto mine = json::Parse(got.out);
    if (!mine.ok() || !mine->IsArray()) return "opa test output is not a JSON array: " + got.out;
    std::string a = outcomes(*mine), b = outcomes(opa["stdout"]);
    return a == b ? "" : "results " + a + " (OPA " + b + ")";
  }
  rego::OpaEvalOptions o;
  o.query = c["query"].GetString();
  o.v0_compatible = v0;
  if (c["modules"].MemberCount() > 0) o.data.push_back(dir.path());
  if (c.HasMember("input")) {
    WriteText(dir / "input.json", json::CanonicalText(c["input"]));
    o.input_file = dir / "input.json";
  }
  if (c.HasMember("flags") && c["flags"].IsArray()) {
    const auto& flags = c["flags"];
    for (rapidjson::SizeType i = 0; i < flags.Size(); ++i) {
      std::string f = flags[i].GetString();
      if (f == "--fail") o.fail = true;
      else if (f == "--fail-defined") o.fail_defined = true;
      else if (f == "--strict-builtin-errors") o.strict_builtin_errors = true;
      else if (f == "--format") o.format = flags[++i].GetString();
      else return "flag " + f + " not understood by the driver";
    }
  }
  got = rego::OpaEval(o);
  std::ostringstream why;
  if (got.exit_code != opa["exit_code"].GetInt()) why << "exit " << got.exit_code << " (OPA " << opa["exit_code"].GetInt() << "); ";
  rapidjson::Value& want = opa["stdout"];
  if (want.IsString()) {
    if (got.out != want.GetString()) why << "stdout " << got.out << " (OPA " << want.GetString() << ")";
    return why.str();
  }
  auto parsed = json::Parse(got.out);
  if (!parsed.ok()) return why.str() + "stdout is not JSON: " + got.out;
  rapidjson::Document mine = std::move(*parsed);
  if (want.IsObject() && want.HasMember("errors")) {
    // Error codes are compared, not message texts.
    std::string want_code = want["errors"][0].HasMember("code") ? want["errors"][0]["code"].GetString() : "";
    std::string got_code = mine.IsObject() && mine.HasMember("errors") && mine["errors"][0].HasMember("code")
                               ? mine["errors"][0]["code"].GetString()
                               : "";
    if (got_code != want_code) why << "error code " << (got_code.empty() ? got.out : got_code) << " (OPA " << want_code << ")";
    return why.str();
  }
  std::string a = Comparable(mine), b = Comparable(want);
  if (a != b) why << "stdout " << a << " (OPA " << b << ")";
  return why.str();
}

}  // namespace

TEST_CASE("query capture cases answer as OPA does", "[rego]") {
  auto doc = json::Parse(ReadText(RepoRoot() + "/tests/rego/query_capture_cases.json"));
  REQUIRE(doc.ok());
  REQUIRE((*doc)["cases"].Size() > 10);
  for (auto& c : (*doc)["cases"].GetArray()) {
    ScratchDir scratch;
    std::string why = Judge(c, scratch);
    INFO(c["note"].GetString() << ": " << why);
    CHECK(why.empty());
  }
}

// v0 and language corners (chained bodies, argument shadowing, zero-argument functions,
// `if` bodies, future keywords): every case must pass.
TEST_CASE("language cases answer as OPA does", "[rego]") {
  auto doc = json::Parse(ReadText(RepoRoot() + "/tests/rego/language_cases.json"));
  REQUIRE(doc.ok());
  REQUIRE((*doc)["cases"].Size() > 20);
  for (auto& c : (*doc)["cases"].GetArray()) {
    ScratchDir scratch;
    std::string why = Judge(c, scratch);
    INFO(c["note"].GetString() << ": " << why);
    CHECK(why.empty());
  }
}

TEST_CASE("every opa-oracle case answers as the real OPA did, but for the listed known failures", "[rego][corpus]") {
  std::string dir = CorpusDir("opa-oracle");
  if (dir.empty()) {
    WARN("skipped: ../shared/corpus/opa-oracle is absent");
    return;
  }
  auto doc = json::Parse(ReadText(dir + "/cases.json"));
  REQUIRE(doc.ok());
  std::set<std::string> known = KnownFailures();
  std::set<std::string> failing;
  int total = 0;
  for (auto& c : (*doc)["cases"].GetArray()) {
    ++total;
    ScratchDir scratch;
    std::string note = c["note"].GetString();
    std::string why = Judge(c, scratch);
    if (why.empty()) {
      CHECK_FALSE(known.count(note));  // passes now: remove it from the list
      continue;
    }
    failing.insert(note);
    if (!known.count(note)) FAIL_CHECK(note << ": " << why);
  }
  for (const auto& k : known) {
    INFO("listed as failing but not a case: " << k);
    CHECK((failing.count(k) || total == 0));
  }
  WARN(total - static_cast<int>(failing.size()) << " of " << total << " opa-oracle cases answer as OPA did");
}
