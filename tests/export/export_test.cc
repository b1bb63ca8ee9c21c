// Compliance exports: offline re-verification, tampering, seals and inclusion proofs, the
// markdown and PDF made from the verified JSON.
#include <algorithm>
#include <cctype>
#include <filesystem>

#include <catch2/catch.hpp>

#include "crypto/sha256.h"
#include "export/export.h"
#include "json/json.h"
#include "util/subprocess.h"
#include "keys/keys.h"
#include "store/store.h"
#include "support/support.h"

using namespace oep::test;

namespace {

const std::string kRun = "5e0c1d2a9b8f47d6a1c3e5f7091b2d4f";
const std::string kAt = "2026-12-01T10:00:00Z";

std::string ExportOf(const std::string& db, const oep::ExportOptions& o, const std::string& run = kRun) {
  auto store = oep::Store::Open(db, oep::Store::Mode::kReadOnly);
  REQUIRE(store.ok());
  auto text = oep::ExportRun(**store, run, o);
  INFO((text.ok() ? "" : text.status().message()));
  REQUIRE(text.ok());
  return *text;
}

oep::ExportOptions At() {
  oep::ExportOptions o;
  o.generated_at = kAt;
  return o;
}

// A demo store whose run chain is sealed with a server key, and that key trusted.
struct SealedDemo {
  ScratchDir dir;
  std::string db = dir / "demo.db", key = dir / "server.pem", pub = dir / "server.pub.pem";
  oep::TrustedKeys trusted;
  SealedDemo() {
    MakeDemoStore(db);
    WriteEd25519Key(key);
    REQUIRE(RunOep({"keys", "export", "--key", key, "--out", pub}).exit_code == 0);
    auto r = RunOep({"seal", "--state-path", db, "--chain", "run:" + kRun, "--key", key, "--sealed-at", "2026-11-01T10:00:00Z"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto keys = oep::TrustedKeys::Load({"server=" + pub}, "");
    REQUIRE(keys.ok());
    trusted = *keys;
  }
};

// The export text of `doc` with export_digest recomputed, as a forger would.
std::string Redigest(rapidjson::Document& doc) {
  doc.RemoveMember("export_digest");
  std::string body = oep::json::CanonicalText(doc);
  doc.AddMember("export_digest", rapidjson::Value(oep::crypto::Sha256Digest(body).c_str(), doc.GetAllocator()),
                doc.GetAllocator());
  return oep::json::CanonicalText(doc) + "\n";
}

rapidjson::Document Parsed(const std::string& text) {
  auto doc = oep::json::Parse(std::string_view(text).substr(0, text.size() - 1));
  REQUIRE(doc.ok());
  return std::move(*doc);
}

bool HasForbiddenClaim(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text.find("certified") != std::string::npos || text.find("compliant") != std::string::npos ||
         text.find("guaranteed") != std::string::npos;
}

}  // namespace

TEST_CASE("a run export re-verifies offline and is the same bytes for the same time", "[export]") {
  ScratchDir dir;
  MakeDemoStore(dir / "demo.db");
  std::string text = ExportOf(dir / "demo.db", At());
  CHECK(text == ExportOf(dir / "demo.db", At()));
  auto check = oep::VerifyExport(text, oep::TrustedKeys(), "run.json");
  REQUIRE(check.ok());
  INFO(check->Render());
  CHECK(check->ok);
  CHECK(check->evidence_class == "NON_AUTHORITATIVE");
  const auto& d = check->document;
  CHECK(std::string(d["schema_version"].GetString()) == "oep.compliance_export.v0");
  CHECK(std::string(d["generated_at"].GetString()) == "2026-12-01T10:00:00.000Z");
  CHECK(d["records"].Size() == 8);   // every row of the run chain
  CHECK(d["context"].Size() == 2);   // the release manifest and the trace, from the store chain
  CHECK(d["decisions"].Size() == 2);
  CHECK(std::string(d["export_digest"].GetString()).rfind("sha256:", 0) == 0);
}

TEST_CASE("changing any one byte of an export makes verification fail", "[export]") {
  ScratchDir dir;
  MakeDemoStore(dir / "demo.db");
  std::string text = ExportOf(dir / "demo.db", At());
  int checked = 0;
  for (size_t i = 0; i < text.size(); i += 53) {
    std::string bent = text;
    bent[i] = bent[i] == '0' ? '1' : bent[i] == '"' ? '\'' : '0';
    auto check = oep::VerifyExport(bent, oep::TrustedKeys(), "bent.json");
    INFO("byte " << i);
    CHECK((!check.ok() || !check->ok));
    ++checked;
  }
  CHECK(checked > 400);
}

TEST_CASE("an edited record fails even with a recomputed export digest", "[export]") {
  ScratchDir dir;
  MakeDemoStore(dir / "demo.db");
  std::string text = ExportOf(dir / "demo.db", At());
  // Edit a payload and refresh export_digest, as a forger would: the ledger's hashes still catch it.
  rapidjson::Document doc = Parsed(text);
  doc["records"][0]["body"]["event_type"].SetString("agent_step.forged");
  auto check = oep::VerifyExport(Redigest(doc), oep::TrustedKeys(), "forged.json");
  REQUIRE(check.ok());
  CHECK_FALSE(check->ok);
  CHECK_THAT(check->Render(), Catch::Contains("body does not hash to its digest"));
}

TEST_CASE("a sealed run exports as AUTHORITATIVE with inclusion proofs that verify offline", "[export]") {
  SealedDemo demo;
  oep::ExportOptions o = At();
  o.trusted = demo.trusted;
  o.checkpoint_key = demo.key;
  std::string text = ExportOf(demo.db, o);
  auto check = oep::VerifyExport(text, demo.trusted, "sealed.json");
  REQUIRE(check.ok());
  INFO(check->Render());
  CHECK(check->ok);
  CHECK(check->evidence_class == "AUTHORITATIVE");
  CHECK_THAT(check->Render(), Catch::Contains("inclusion: 11 entries proven in the signed checkpoint"));
  CHECK(check->document["seals"].Size() == 1);
  // Without the verifier's own trusted keys the same export is NON_AUTHORITATIVE, proofs unchecked.
  auto untrusted = oep::VerifyExport(text, oep::TrustedKeys(), "sealed.json");
  REQUIRE(untrusted.ok());
  CHECK(untrusted->ok);
  CHECK(untrusted->evidence_class == "NON_AUTHORITATIVE");
  CHECK_THAT(untrusted->Render(), Catch::Contains("proofs not checked: no trusted keys"));
}

TEST_CASE("a decision export holds the decision, its evidence and its run's chain", "[export]") {
  ScratchDir dir;
  MakeDemoStore(dir / "demo.db");
  auto store = oep::Store::Open(dir / "demo.db", oep::Store::Mode::kReadOnly);
  REQUIRE(store.ok());
  auto text = oep::ExportDecision(**store, "pder_oep_demo_write_file_0002", At());
  REQUIRE(text.ok());
  auto check = oep::VerifyExport(*text, oep::TrustedKeys(), "decision.json");
  REQUIRE(check.ok());
  INFO(check->Render());
  CHECK(check->ok);
  const auto& d = check->document;
  CHECK(d["decisions"].Size() == 1);
  CHECK(std::string(d["decisions"][0]["matched_rule"].GetString()) == "deny_write_without_approval");
  CHECK(d["chain"].Size() == 8);
  std::vector<std::string> tables;
  for (const auto& r : d["records"].GetArray()) tables.push_back(r["table"].GetString());
  CHECK(std::count(tables.begin(), tables.end(), "decisions") == 1);
  CHECK(std::count(tables.begin(), tables.end(), "events") == 1);
}

TEST_CASE("export of an unknown run or decision is NotFound and changes nothing", "[export]") {
  ScratchDir dir;
  MakeDemoStore(dir / "demo.db");
  std::string before = FileSha256(dir / "demo.db");
  auto r = RunOep({"export", "run", "00000000000000000000000000000000", "--state-path", dir / "demo.db"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("no run \"00000000000000000000000000000000\""));
  auto d = RunOep({"export", "decision", "pder_nope", "--state-path", dir / "demo.db"});
  CHECK(d.exit_code == 1);
  auto bad_time = RunOep({"export", "run", kRun, "--state-path", dir / "demo.db", "--generated-at", "yesterday"});
  CHECK(bad_time.exit_code == 2);
  CHECK_THAT(bad_time.err, Catch::Contains("--generated-at \"yesterday\""));
  CHECK(FileSha256(dir / "demo.db") == before);
}

TEST_CASE("oep verify --export passes a fresh export and fails one with a byte changed", "[export]") {
  ScratchDir dir;
  MakeDemoStore(dir / "demo.db");
  REQUIRE(RunOep({"export", "run", kRun, "--state-path", dir / "demo.db", "-o", dir / "run.json"}).exit_code == 0);
  auto ok = RunOep({"verify", "--export", dir / "run.json"});
  CHECK(ok.exit_code == 0);
  CHECK_THAT(ok.out, Catch::Contains("summary: export verifies"));
  std::string text = ReadText(dir / "run.json");
  size_t at = text.find("deny_write_without_approval");
  REQUIRE(at != std::string::npos);
  text[at] = 'D';
  WriteText(dir / "bent.json", text);
  auto bent = RunOep({"verify", "--export", dir / "bent.json"});
  CHECK(bent.exit_code == 1);
  CHECK_THAT(bent.out, Catch::Contains("FAIL"));
  WriteText(dir / "huge.json", "{");
  std::filesystem::resize_file(dir / "huge.json", oep::kMaxExportFileBytes + 1);  // sparse: no disk used
  auto huge = RunOep({"verify", "--export", dir / "huge.json"});
  CHECK(huge.exit_code == 2);
  CHECK_THAT(huge.err, Catch::Contains("huge.json: 536870913 bytes; expected an export of at most"));
  WriteText(dir / "other.json", "{\"schema_version\":\"something.else\"}\n");
  auto other = RunOep({"verify", "--export", dir / "other.json"});
  CHECK(other.exit_code == 2);
  CHECK_THAT(other.err, Catch::Contains("other.json: /schema_version"));
}

TEST_CASE("the markdown export carries the disclaimer and no certifying claim", "[export]") {
  ScratchDir dir;
  MakeDemoStore(dir / "demo.db");
  auto check = oep::VerifyExport(ExportOf(dir / "demo.db", At()), oep::TrustedKeys(), "run.json");
  REQUIRE(check.ok());
  std::string md = oep::RenderExportMarkdown(oep::BuildExportReport(check->document));
  for (const char* phrase : {"evidence support", "audit aid", "non-certifying", kRun.c_str(), "NON_AUTHORITATIVE",
                             "allow_read_only_review_tools", "deny_write_without_approval"}) {
    CHECK_THAT(md, Catch::Contains(phrase));
  }
  CHECK_FALSE(HasForbiddenClaim(md));
}

TEST_CASE("the PDF export has real text, numbered pages, and passes qpdf --check", "[export][pdf]") {
  SealedDemo demo;
  std::string pdf = demo.dir / "run.pdf";
  auto r = RunOep({"export", "run", kRun, "--state-path", demo.db, "--format", "pdf", "-o", pdf, "--trusted-key",
                   "server=" + demo.pub});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  ScratchDir out;
  auto text = oep::RunProcess({"/usr/bin/pdftotext", "-layout", pdf, "-"}, {}, "", 30);
  REQUIRE(text.ok());
  REQUIRE(text->exit_code == 0);
  for (const char* phrase : {"evidence support", "audit aid", "non-certifying", kRun.c_str(), "AUTHORITATIVE",
                             "allow_read_only_review_tools", "deny_write_without_approval", "Page 1 of"}) {
    CHECK_THAT(text->out, Catch::Contains(phrase));
  }
  CHECK_FALSE(HasForbiddenClaim(text->out));
  auto qpdf = oep::RunProcess({"/usr/bin/qpdf", "--check", pdf}, {}, "", 30);
  REQUIRE(qpdf.ok());
  INFO(qpdf->out << qpdf->err);
  CHECK(qpdf->exit_code == 0);
  CHECK(RunOep({"export", "run", kRun, "--state-path", demo.db, "--format", "pdf"}).exit_code == 2);  // needs -o
}

TEST_CASE("a report is made from an export whose summaries have unexpected shapes without failing", "[export]") {
  ScratchDir dir;
  MakeDemoStore(dir / "demo.db");
  rapidjson::Document doc = Parsed(ExportOf(dir / "demo.db", At()));
  doc["decisions"].SetInt(5);
  doc["timeline"].SetNull();
  doc["exposure"].SetString("x");
  doc["verification"].SetArray();
  doc["release"].SetInt(1);
  auto check = oep::VerifyExport(Redigest(doc), oep::TrustedKeys(), "odd.json");
  REQUIRE(check.ok());
  std::string md = oep::RenderExportMarkdown(oep::BuildExportReport(check->document));
  CHECK_THAT(md, Catch::Contains("No policy decisions in this export."));
}

TEST_CASE("an export of an edited store records the failure and does not verify", "[export]") {
  ScratchDir dir;
  MakeDemoStore(dir / "demo.db");
  TamperSql(dir / "demo.db",
            "UPDATE events SET body = replace(body, 'agent_step.completed', 'agent_step.completes') "
            "WHERE event_id = 'evt_oep_demo_read_diff_0001'");
  std::string text = ExportOf(dir / "demo.db", At());
  auto check = oep::VerifyExport(text, oep::TrustedKeys(), "edited.json");
  REQUIRE(check.ok());
  CHECK_FALSE(check->ok);
  const auto& v = check->document["verification"];
  CHECK_FALSE(v["ok"].GetBool());
  CHECK(std::string(v["evidence_class"].GetString()) == "NONE");
  CHECK_THAT(v["failure"].GetString(), Catch::Contains("content hash of events/evt_oep_demo_read_diff_0001"));
}

TEST_CASE("an export with --counterfactual re-decides the exported decisions under a substituted bundle", "[export]") {
  ScratchDir dir;
  MakeDemoStore(dir / "demo.db");
  oep::ExportOptions o = At();
  o.counterfactual_bundle = RepoRoot() + "/permissions/policy/counterfactual/budget_per_run_cap.rego";
  std::string text = ExportOf(dir / "demo.db", o);
  CHECK(text == ExportOf(dir / "demo.db", o));  // deterministic: replays pinned to the export's time
  auto check = oep::VerifyExport(text, oep::TrustedKeys(), "cf.json");
  REQUIRE(check.ok());
  CHECK(check->ok);
  const auto& results = check->document["counterfactual"]["results"];
  REQUIRE(results.Size() == 2);
  CHECK(std::string(results[0]["decision_id"].GetString()) == "pder_oep_demo_read_diff_0001");
  CHECK(std::string(results[0]["transition"].GetString()) == "allow->deny");
  CHECK(std::string(results[0]["counterfactual_rule"].GetString()) == "deny_run_budget_exceeded");
  std::string md = oep::RenderExportMarkdown(oep::BuildExportReport(check->document));
  CHECK_THAT(md, Catch::Contains("## Counterfactual results"));
  o.counterfactual_bundle = dir / "missing.rego";
  auto store = oep::Store::Open(dir / "demo.db", oep::Store::Mode::kReadOnly);
  REQUIRE(store.ok());
  auto missing = oep::ExportRun(**store, kRun, o);
  REQUIRE_FALSE(missing.ok());
  CHECK_THAT(missing.status().message(), Catch::Contains("--counterfactual"));
}
