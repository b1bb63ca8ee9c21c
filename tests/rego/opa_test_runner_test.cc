// `oep rego test` as `opa test`: which tests run, how duplicates, todo_ tests, --run,
// --timeout, data files and bundles behave, the JSON report and the exit codes.
#include <filesystem>

#include <catch2/catch.hpp>

#include "json/json.h"
#include "rego/opa_test.h"
#include "support/gzip_maker.h"
#include "support/support.h"

using namespace oep;
using namespace oep::test;

namespace {

rego::OpaTestOptions Options(const ScratchDir& dir) {
  rego::OpaTestOptions o;
  o.paths = {dir.path()};
  o.v0_compatible = true;
  return o;
}

// "name outcome" per result of a JSON report.
std::string Outcomes(const std::string& report) {
  auto doc = json::Parse(report);
  REQUIRE(doc.ok());
  REQUIRE(doc->IsArray());
  std::string s;
  for (const auto& r : doc->GetArray()) {
    s += std::string(r["name"].GetString());
    s += r.HasMember("fail") ? " fail" : r.HasMember("skip") ? " skip" : r.HasMember("error") ? " error" : " pass";
    s += "\n";
  }
  return s;
}

// One ustar entry (header and contents padded to 512-byte blocks) for a regular file.
std::string TarEntry(const std::string& name, const std::string& contents) {
  std::string h(512, '\0');
  h.replace(0, name.size(), name);
  h.replace(100, 7, "0000644");
  h.replace(108, 7, "0000000");
  h.replace(116, 7, "0000000");
  char size[12];
  std::snprintf(size, sizeof size, "%011o", static_cast<unsigned>(contents.size()));
  h.replace(124, 11, size);
  h.replace(136, 11, "00000000000");
  h[156] = '0';
  h.replace(257, 6, std::string("ustar\0", 6));
  h.replace(263, 2, "00");
  h.replace(148, 8, "        ");
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  char chk[8];
  std::snprintf(chk, sizeof chk, "%06o", sum);
  h.replace(148, 7, std::string(chk, 6) + '\0');
  std::string padded = contents + std::string((512 - contents.size() % 512) % 512, '\0');
  return h + padded;
}

}  // namespace

TEST_CASE("each rule of a duplicated test name is a test of its own", "[rego][opa-test]") {
  ScratchDir dir;
  WriteText(dir / "t.rego", "package t\n\ntest_same { true }\n\ntest_same { false }\n\ntest_same { true }\n");
  auto o = Options(dir);
  o.format = "json";
  auto out = rego::OpaTest(o);
  CHECK(out.exit_code == 2);
  CHECK(Outcomes(out.out) == "test_same pass\ntest_same#01 fail\ntest_same#02 pass\n");
}

TEST_CASE("todo_test_ rules are skipped, -z makes skipped tests exit 0", "[rego][opa-test]") {
  ScratchDir dir;
  WriteText(dir / "t.rego", "package t\n\ntest_a { true }\n\ntodo_test_b { false }\n");
  auto o = Options(dir);
  auto out = rego::OpaTest(o);
  CHECK(out.exit_code == 2);
  CHECK_THAT(out.out, Catch::Contains("data.t.todo_test_b: SKIPPED\n") && Catch::Contains("PASS: 1/2\nSKIPPED: 1/2\n"));
  o.exit_zero_on_skipped = true;
  CHECK(rego::OpaTest(o).exit_code == 0);
}

TEST_CASE("rego test --run keeps the tests whose name the regular expression matches", "[rego][opa-test]") {
  ScratchDir dir;
  WriteText(dir / "t.rego", "package t\n\ntest_alpha { true }\n\ntest_beta { false }\n");
  auto o = Options(dir);
  o.run = "alp";
  o.format = "json";
  auto out = rego::OpaTest(o);
  CHECK(out.exit_code == 0);
  CHECK(Outcomes(out.out) == "test_alpha pass\n");
}

TEST_CASE("a bad --run expression is refused with exit 1", "[rego][opa-test][bad-input]") {
  ScratchDir dir;
  WriteText(dir / "t.rego", "package t\n\ntest_a { true }\n");
  auto o = Options(dir);
  o.run = "(";
  auto out = rego::OpaTest(o);
  CHECK(out.exit_code == 1);
  CHECK_THAT(out.err, Catch::Contains("--run: invalid regular expression ("));
}

TEST_CASE("a test past its time limit is an error and the run goes on", "[rego][opa-test][bad-input]") {
  ScratchDir dir;
  WriteText(dir / "t.rego",
            "package t\n\ntest_slow { count([x | numbers.range(1, 3000)[_]; x := numbers.range(1, 3000)[_]]) > 0 }\n\n"
            "test_fast { true }\n");
  auto o = Options(dir);
  o.timeout = std::chrono::milliseconds(20);
  o.format = "json";
  auto out = rego::OpaTest(o);
  CHECK(out.exit_code == 2);
  CHECK(Outcomes(out.out) == "test_slow error\ntest_fast pass\n");
  CHECK_THAT(out.out, Catch::Contains("eval_cancel_error"));
}

TEST_CASE("data files under a directory are data at the directory's path", "[rego][opa-test]") {
  ScratchDir dir;
  WriteText(dir / "t.rego", "package t\n\ntest_json { data.a.b.x == 1 }\n\ntest_yaml { data.a.y == \"z\" }\n");
  std::filesystem::create_directories(dir / "a/b");
  WriteText(dir / "a/b/fixture.json", "{\"x\": 1}");
  WriteText(dir / "a/data.yaml", "y: z\n");
  auto out = rego::OpaTest(Options(dir));
  INFO(out.out << out.err);
  CHECK(out.exit_code == 0);
  CHECK(out.out == "PASS: 2/2\n");
}

TEST_CASE("two data files giving one key different values are refused", "[rego][opa-test][bad-input]") {
  ScratchDir dir;
  WriteText(dir / "t.rego", "package t\n\ntest_a { true }\n");
  WriteText(dir / "one.json", "{\"x\": 1}");
  WriteText(dir / "two.json", "{\"x\": 2}");
  auto out = rego::OpaTest(Options(dir));
  CHECK(out.exit_code == 1);
  CHECK_THAT(out.err, Catch::Contains("two.json") && Catch::Contains("data files conflict at data.x"));
}

TEST_CASE("a bundle's manifest chooses its Rego version and bounds its roots", "[rego][opa-test]") {
  ScratchDir dir;
  WriteText(dir / ".manifest", "{\"roots\": [\"t\"], \"rego_version\": 0}");
  WriteText(dir / "t.rego", "package t\n\nxs[x] { x := data.t.n }\n\ntest_v0 { xs[2] }\n");
  std::filesystem::create_directories(dir / "t");
  WriteText(dir / "t/data.json", "{\"n\": 2}");
  WriteText(dir / "other.json", "{\"ignored\": true}");  // bundles read only data.json / data.yaml
  rego::OpaTestOptions o;
  o.paths = {dir.path()};
  o.bundle = true;
  auto out = rego::OpaTest(o);
  INFO(out.out << out.err);
  CHECK(out.exit_code == 0);
  std::filesystem::create_directories(dir / "u");
  WriteText(dir / "u/data.json", "{\"n\": 3}");
  auto outside = rego::OpaTest(o);
  CHECK(outside.exit_code == 1);
  CHECK_THAT(outside.err, Catch::Contains("data outside the bundle's roots"));
}

TEST_CASE("a bundle manifest that is not a JSON object is refused with its path", "[rego][opa-test][bad-input]") {
  ScratchDir dir;
  WriteText(dir / ".manifest", "[1]");
  WriteText(dir / "t.rego", "package t\n\ntest_a if true\n");
  rego::OpaTestOptions o;
  o.paths = {dir.path()};
  o.bundle = true;
  auto out = rego::OpaTest(o);
  CHECK(out.exit_code == 1);
  CHECK_THAT(out.err, Catch::Contains(".manifest: a JSON object is required"));
}

TEST_CASE("oep rego test takes opa test's flags", "[rego][opa-test][cli]") {
  ScratchDir dir;
  WriteText(dir / "t.rego", "package t\n\ntest_a { true }\n\ntest_b { true }\n");
  RunResult r = RunOep({"rego", "test", "--v0-compatible", "-v", "--run", "test_a", "--timeout", "2s", "--format", "json", dir.path()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(Outcomes(r.out) == "test_a pass\n");
}

TEST_CASE("rego eval takes one path per -d flag, so the query is not taken for a path", "[rego][cli]") {
  ScratchDir dir;
  WriteText(dir / "a.rego", "package a\n\nx := 1\n");
  WriteText(dir / "b.rego", "package b\n\ny := 2\n");
  RunResult r = RunOep({"rego", "eval", "-d", dir / "a.rego", "-d", dir / "b.rego", "data.a.x + data.b.y"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("\"value\":3"));
}

TEST_CASE("a .tar.gz bundle is read like a bundle directory, its manifest included", "[rego][opa-test]") {
  ScratchDir dir;
  std::string tar = TarEntry("/.manifest", "{\"roots\": [\"t\"], \"rego_version\": 0}") +
                    TarEntry("/t/t.rego", "package t\n\nxs[x] { x := data.t.n }\n\ntest_v0 { xs[2] }\n") +
                    TarEntry("/t/data.json", "{\"n\": 2}") + std::string(1024, '\0');
  WriteText(dir / "bundle.tar.gz", GzipMember(tar));
  rego::OpaTestOptions o;
  o.paths = {dir / "bundle.tar.gz"};
  o.bundle = true;
  auto out = rego::OpaTest(o);
  INFO(out.out << out.err);
  CHECK(out.exit_code == 0);
  CHECK(out.out == "PASS: 1/1\n");
}

TEST_CASE("a truncated .tar.gz bundle is refused with its path", "[rego][opa-test][bad-input]") {
  ScratchDir dir;
  std::string tar = TarEntry("t.rego", "package t\n\ntest_a if true\n");
  WriteText(dir / "bundle.tar.gz", GzipMember(tar.substr(0, 520)));
  rego::OpaTestOptions o;
  o.paths = {dir / "bundle.tar.gz"};
  o.bundle = true;
  auto out = rego::OpaTest(o);
  CHECK(out.exit_code == 1);
  CHECK_THAT(out.err, Catch::Contains("bundle.tar.gz") && Catch::Contains("runs past the end"));
}
