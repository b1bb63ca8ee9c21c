// Reads after retention: a run's frames, replay of a deleted decision, the run listing and
// exports show tombstoned rows as such (with their hash), never as vanished or missing.
#include <catch2/catch.hpp>

#include <set>

#include "crypto/sha256.h"
#include "json/json.h"
#include "support/store_backends.h"
#include "util/subprocess.h"
#include "support/support.h"
#include "retention/retention_fixture.h"

using namespace oep;
using namespace oep::test;

namespace {

const std::string kRun = "5e0c1d2a9b8f47d6a1c3e5f7091b2d4f";

// A demo store (with an OPA input, retention_fixture.h) whose events, decisions and OPA
// inputs (all of 2026-11-01) retention deleted.
struct RetainedDemo {
  RetentionDemo fixture;
  const DemoFixture& demo;
  explicit RetainedDemo(const std::string& backend = "sqlite") : fixture(backend), demo(fixture.demo) {
    RunResult r = RunOep({"retention", "apply", "--store", demo.store, "--older-than", "1d"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }
  RunResult Run(const std::vector<std::string>& args) const { return RunOep(args, {"OEP_TRUSTED_KEYS="}); }
};

rapidjson::Document Parsed(const RunResult& r) {
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  auto doc = json::Parse(r.out);
  REQUIRE(doc.ok());
  return std::move(*doc);
}

}  // namespace

TEST_CASE("a run's frames show tombstoned events and decisions as such after retention", "[retention][frames]") {
  for (const auto& backend : StoreBackends()) {
    DYNAMIC_SECTION(backend) {
      RetainedDemo d(backend);
      auto frames = Parsed(d.Run({"replay", "run", kRun, "--store", d.demo.store, "--output-format", "json"}));
      CHECK(frames["served"].GetBool());
      std::set<std::string> tables;
      for (const auto& f : frames["frames"].GetArray()) {
        if (json::GetString(f, "status") != "tombstoned") continue;
        tables.insert(json::GetString(f, "artifact_table"));
        CHECK(json::GetString(f, "type") == "EVENT");
        CHECK(json::GetString(f, "content_hash").size() == 64);
        CHECK(!json::GetString(f, "retention_id").empty());
      }
      CHECK(tables == std::set<std::string>{"decisions", "events"});  // OPA inputs are on the store chain
      bool warned = false;
      for (const auto& w : frames["warnings"].GetArray()) warned = warned || json::GetString(w, "code") == "OEP-F006";
      CHECK(warned);
      RunResult human = d.Run({"replay", "run", kRun, "--store", d.demo.store});
      CHECK_THAT(human.out, Catch::Contains("TOMBSTONED (payload deleted by retention") && Catch::Contains("verified"));
      // The frames validate against their schema.
      RunResult jsonl = d.Run({"replay", "run", kRun, "--store", d.demo.store, "--output-format", "jsonl"});
      CHECK(jsonl.exit_code == 0);
    }
  }
}

TEST_CASE("replaying a decision retention deleted says so with its hash", "[retention][replay]") {
  RetainedDemo d;
  RunResult r = d.Run({"replay", "pder_oep_demo_read_diff_0001", "--store", d.demo.store});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("decision \"pder_oep_demo_read_diff_0001\" was deleted by retention at") &&
                        Catch::Contains("tombstoned; its content hash sha256:"));
}

TEST_CASE("the run listing keeps a run whose payloads retention deleted", "[retention][find]") {
  DemoFixture demo;
  RunResult before = RunOep({"runs", "--store", demo.store});
  REQUIRE(RunOep({"retention", "apply", "--store", demo.store, "--older-than", "1d"}).exit_code == 0);
  RunResult after = RunOep({"runs", "--store", demo.store});
  INFO(before.out << after.out);
  CHECK(after.exit_code == 0);
  CHECK_THAT(after.out, Catch::Contains(kRun));
}

TEST_CASE("a run export lists tombstoned records with their hash and status and verifies offline", "[retention][export]") {
  RetainedDemo d;
  std::string file = d.demo.dir / "export.json";
  RunResult exp = d.Run({"export", "run", kRun, "--store", d.demo.store, "--generated-at", "2026-12-01T00:00:00Z", "-o", file});
  INFO(exp.err);
  REQUIRE(exp.exit_code == 0);
  auto doc = json::Parse(ReadText(file));
  REQUIRE(doc.ok());
  REQUIRE((*doc).HasMember("tombstoned"));
  const auto& list = (*doc)["tombstoned"];
  CHECK(list.Size() > 0);
  for (const auto& t : list.GetArray()) {
    CHECK(json::GetString(t, "status") == "tombstoned");
    CHECK(json::GetString(t, "content_hash").size() == 64);
    CHECK(t["entry_id"].GetInt64() > 0);
  }
  CHECK((*doc)["verification"]["ok"].GetBool());
  CHECK((*doc)["verification"]["tombstoned"].GetInt64() == static_cast<int64_t>(list.Size()));
  for (const auto& r : (*doc)["records"].GetArray()) CHECK(json::GetString(r, "table") != "events");
  RunResult verify = d.Run({"verify", "--export", file});
  INFO(verify.out << verify.err);
  CHECK(verify.exit_code == 0);
  CHECK_THAT(verify.out, Catch::Contains("tombstoned: " + std::to_string(list.Size()) + " rows deleted by retention"));
  RunResult md = d.Run({"export", "run", kRun, "--store", d.demo.store, "--format", "markdown", "--generated-at",
                        "2026-12-01T00:00:00Z"});
  REQUIRE(md.exit_code == 0);
  CHECK_THAT(md.out, Catch::Contains("## Deleted by retention") && Catch::Contains("| tombstoned | sha256:"));
  // The PDF, made from the same verified export, shows the section as text.
  std::string pdf = d.demo.dir / "export.pdf";
  RunResult made = d.Run({"export", "run", kRun, "--store", d.demo.store, "--format", "pdf", "-o", pdf, "--generated-at",
                          "2026-12-01T00:00:00Z"});
  INFO(made.err);
  REQUIRE(made.exit_code == 0);
  auto text = RunProcess({"/usr/bin/pdftotext", "-layout", pdf, "-"}, {}, "", 30);
  REQUIRE(text.ok());
  REQUIRE(text->exit_code == 0);
  CHECK_THAT(text->out, Catch::Contains("Deleted by retention") && Catch::Contains("tombstoned"));
  auto qpdf = RunProcess({"/usr/bin/qpdf", "--check", pdf}, {}, "", 30);
  REQUIRE(qpdf.ok());
  CHECK(qpdf->exit_code == 0);
}

TEST_CASE("an export whose tombstone hash was changed fails offline verification", "[retention][export]") {
  RetainedDemo d;
  std::string file = d.demo.dir / "export.json";
  REQUIRE(d.Run({"export", "run", kRun, "--store", d.demo.store, "--generated-at", "2026-12-01T00:00:00Z", "-o", file})
              .exit_code == 0);
  auto doc = json::Parse(ReadText(file));
  REQUIRE(doc.ok());
  // A forger changes the hash and recomputes the export's own digest.
  (*doc)["tombstoned"][0]["content_hash"].SetString(std::string(64, 'a').c_str(), doc->GetAllocator());
  doc->RemoveMember("export_digest");
  std::string body = json::CanonicalText(*doc);
  doc->AddMember("export_digest", rapidjson::Value(crypto::Sha256Digest(body).c_str(), doc->GetAllocator()),
                 doc->GetAllocator());
  WriteText(file, json::CanonicalText(*doc) + "\n");
  RunResult verify = d.Run({"verify", "--export", file});
  INFO(verify.out << verify.err);
  CHECK(verify.exit_code == 1);
  CHECK_THAT(verify.out, Catch::Contains("tombstone's content hash differs from the ledger's"));
}
