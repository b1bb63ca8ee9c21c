// GDPR exposure detectors (data-driven), redaction markers, the store audit; tool audit.
#include <cstring>

#include <catch2/catch.hpp>

#include "crypto/sha256.h"
#include "exposure/exposure.h"
#include "json/json.h"
#include "store/store.h"
#include "support/support.h"
#include "tool_audit/tool_audit.h"

using namespace oep::test;

namespace {

std::vector<oep::ExposureFinding> Scan(const std::string& json_text) {
  auto doc = oep::json::Parse(json_text);
  REQUIRE(doc.ok());
  std::vector<oep::ExposureFinding> out;
  oep::ScanForExposure(*doc, "t/1", &out);
  return out;
}

std::string Detectors(const std::vector<oep::ExposureFinding>& f) {
  std::string s;
  for (const auto& x : f) s += (s.empty() ? "" : ",") + x.detector;
  return s;
}

}  // namespace

TEST_CASE("every exposure detector pattern compiles", "[exposure]") { CHECK(oep::ExposureDetectorsCompile()); }

TEST_CASE("exposure detectors find personal data and pass look-alikes", "[exposure]") {
  struct Case {
    const char* text;
    const char* expected;  // detectors found, in detector order
  };
  const Case cases[] = {
      {"mail ana.lopez@example.org today", "email"},
      {"call +44 20 7946 0958", "phone"},
      {"IBAN GB82 WEST 1234 5698 7654 32", "iban"},
      {"IBAN GB82WEST12345698765432", "iban"},
      {"IBAN GB83WEST12345698765432 (bad checksum)", ""},
      {"card 4111 1111 1111 1111", "card"},
      {"card 4111111111111112 (fails Luhn)", ""},
      {"span 0000000000000018 (passes Luhn, starts with 0)", ""},
      {"amex 3782 822463 10005", "card"},
      {"from 192.168.10.20", "ip"},
      {"version 999.1.1.1", ""},
      {"v6 2001:db8::8a2e:370:7334", "ip"},
      {"at 2026-11-01T09:15:02Z", ""},
      {"sha256:ed999415841e182eb4f58c527a08f26be66adb5de52800d65a666f22bf1f25c7", ""},
      {"key sk-abcdefghijklmnopqrstuvwxyz012345", "credential"},
      {"AKIAIOSFODNN7EXAMPLE", "credential"},
      {"Bearer abcdefghijklmnop.qrstuvwx", "credential"},
      {"tc_read_diff_0001 pder_oep_demo_write_file_0002", ""},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    CHECK(Detectors(Scan(oep::json::CanonicalText(rapidjson::Value(c.text, static_cast<rapidjson::SizeType>(strlen(c.text)))))) ==
          c.expected);
  }
}

TEST_CASE("exposure findings name their JSON pointer and mask the value", "[exposure]") {
  auto f = Scan(R"({"headers":{"Authorization":"Basic dXNlcjpwYXNz","Cookie":"sid=42"},"notes":["x","to a~b@example.com"]})");
  REQUIRE(f.size() == 3);
  CHECK(f[0].pointer == "/headers/Authorization");
  CHECK(f[0].detector == "credential");
  CHECK(f[0].excerpt.find("dXNlcjpwYXNz") == std::string::npos);
  CHECK(f[1].pointer == "/headers/Cookie");
  CHECK(f[2].pointer == "/notes/1");
  CHECK(f[2].detector == "email");
  CHECK(f[2].severity == "WARNING");
}

TEST_CASE("a redaction marker hash-checks against its original and is not scanned inside", "[exposure]") {
  rapidjson::Value original("ana.lopez@example.org");
  std::string marker = oep::MakeRedactionMarker(original, "email");
  CHECK(marker == "oep:redacted:email:sha256:" + oep::crypto::Sha256Hex("\"ana.lopez@example.org\""));
  CHECK(oep::RedactionMarkerMatches(marker, original));
  CHECK_FALSE(oep::RedactionMarkerMatches(marker, rapidjson::Value("someone.else@example.org")));
  CHECK(Scan("{\"to\":\"sent to " + marker + " at noon\"}").empty());
}

TEST_CASE("oep audit gdpr scans the demo store and refuses a bad --since", "[exposure]") {
  ScratchDir dir;
  MakeDemoStore(dir / "demo.db");
  auto r = RunOep({"audit", "gdpr", "--state-path", dir / "demo.db"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("summary: 10 rows scanned"));
  auto run = RunOep({"audit", "gdpr", "--state-path", dir / "demo.db", "--run", "5e0c1d2a9b8f47d6a1c3e5f7091b2d4f"});
  CHECK(run.exit_code == 0);
  CHECK_THAT(run.out, Catch::Contains("summary: 8 rows scanned"));
  auto later = RunOep({"audit", "gdpr", "--state-path", dir / "demo.db", "--since", "2030-01-01T00:00:00Z"});
  CHECK(later.exit_code == 0);
  auto bad = RunOep({"audit", "gdpr", "--state-path", dir / "demo.db", "--since", "soon"});
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("--since \"soon\": expected an RFC 3339 timestamp"));
}

TEST_CASE("oep audit tools counts the demo's calls per actor and tool within 80 columns", "[tool_audit]") {
  ScratchDir dir;
  MakeDemoStore(dir / "demo.db");
  auto store = oep::Store::Open(dir / "demo.db", oep::Store::Mode::kReadOnly);
  REQUIRE(store.ok());
  auto uses = oep::AuditToolUse(**store, "");
  REQUIRE(uses.ok());
  REQUIRE(uses->size() == 2);
  CHECK((*uses)[0].tool == "read_diff");
  CHECK((*uses)[0].allowed == 1);
  CHECK((*uses)[1].tool == "write_file");
  CHECK((*uses)[1].denied == 1);
  CHECK((*uses)[1].first_use == "2026-11-01T09:15:07Z");
  auto none = oep::AuditToolUse(**store, "2026-11-02T00:00:00Z");
  REQUIRE(none.ok());
  CHECK(none->empty());
  auto r = RunOep({"audit", "tools", "--state-path", dir / "demo.db"});
  CHECK(r.exit_code == 0);
  size_t start = 0;
  while (start < r.out.size()) {
    size_t end = r.out.find('\n', start);
    CHECK(end - start <= 80);
    start = end + 1;
  }
  CHECK_THAT(r.out, Catch::Contains("agent_oep_demo~ write_file"));
}

TEST_CASE("break-glass is the decision code or a rule naming it", "[tool_audit]") {
  auto p = oep::json::Parse(R"({"decision":{"allow":true,"matched_rule":"allow_break_glass_oncall","reason":"r"}})");
  REQUIRE(p.ok());
  CHECK(oep::IsBreakGlass(*p));
  auto q = oep::json::Parse(R"({"decision":{"allow":true,"matched_rule":"allow","decision_code":"break_glass"}})");
  REQUIRE(q.ok());
  CHECK(oep::IsBreakGlass(*q));
  auto n = oep::json::Parse(R"({"decision":{"allow":true,"matched_rule":"allow","reason":"r"}})");
  REQUIRE(n.ok());
  CHECK_FALSE(oep::IsBreakGlass(*n));
}

TEST_CASE("the GDPR report names its playbook only when it found unredacted data", "[exposure]") {
  oep::ExposureReport report;
  report.rows = 3;
  CHECK(report.Render().find("playbook:") == std::string::npos);
  report.findings.push_back({"ERROR", "redaction_marker", "events/e1", "/x", "oep:redacted:..."});
  CHECK(report.Render().find("playbook:") == std::string::npos);
  report.findings.push_back({"WARNING", "email", "events/e1", "/to", "a***@example.org"});
  CHECK_THAT(report.Render(), Catch::EndsWith("1 unredacted finding(s), 1 bad redaction marker(s)\n"
                                              "playbook: [OEP-A001 docs/playbooks/unredacted-personal-data.md]\n"));
}
