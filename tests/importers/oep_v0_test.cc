#include <filesystem>
#include <sstream>

#include <catch2/catch.hpp>

#include "json/json.h"
#include "support/store_backends.h"
#include "support/support.h"

using namespace oep::test;

TEST_CASE("reference v0.3 artifacts import without loss and replay", "[import][corpus]") {
  std::string ref = CorpusDir("oep-reference");
  if (ref.empty()) {
    WARN("skipped: ../shared/corpus/oep-reference is absent");
    return;
  }
  ScratchDir dir;
  std::string store = NewStoreUrl(GENERATE(from_range(StoreBackends())), dir);
  RunResult r = RunOep({"import", "oep-v0", ref, "--store", store});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);

  // Every file is in the store: as a typed artifact, an OPA input, or verbatim.
  size_t files = 0;
  for (auto& e : std::filesystem::recursive_directory_iterator(ref)) files += e.is_regular_file();
  std::string dump = RunOep({"dump", "--store", store}).out;
  size_t rows = 0, ledger_entries = 0;
  std::istringstream lines(dump);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("\"table\":\"ledger\"") != std::string::npos) ++ledger_entries;
    else if (line.find("\"table\":") != std::string::npos) ++rows;
  }
  CHECK(rows == files);
  CHECK(ledger_entries == files);  // each stored file is covered by one ledger entry

  // A typed artifact's stored body is the canonical form of the file.
  auto file = oep::json::Parse(ReadText(ref + "/permissions/examples/code_review_tool_permission.v0.json"));
  REQUIRE(file.ok());
  RunResult body = RunOep({"replay", "pder_code_review_read_diff_0001", "--store", store, "--field",
                           "permission_packet.body", "--output-format", "jsonl"});
  CHECK(body.out == oep::json::CanonicalText(*file) + "\n");

  RunResult replay = RunOep({"replay", "pder_code_review_read_diff_0001", "--store", store});
  REQUIRE(replay.exit_code == 0);
  auto rec = oep::json::Parse(replay.out);
  REQUIRE(rec.ok());
  auto at = [&](const char* path) {
    const auto* v = oep::json::FindDotted(*rec, path);
    return v ? oep::json::CanonicalText(*v) : std::string("<absent>");
  };
  CHECK(at("decision.allow") == "true");
  CHECK(at("decision.matched_rule") == "\"allow_reference_code_review_diff_read\"");
  CHECK(at("manifest.manifest_id") == "\"rmf_code_review_agent_2026_05_04_v0\"");
  CHECK(at("manifest.release.name") == "\"code-review-agent-reference-demo\"");
  CHECK(at("event.body.event_id") == "\"evt_code_review_agent_step_0001\"");
  CHECK(at("trace.trace_id") == "\"11111111111111111111111111111111\"");
  CHECK(at("trace.span.span_id") == "\"2222222222222222\"");
  CHECK(at("opa_input.source") == "\"permissions/policy/input/code_review_read_diff.json\"");
  CHECK(at("join_issues") == "[]");

  // Importing the same tree again changes nothing.
  REQUIRE(RunOep({"import", "oep-v0", ref, "--store", store}).exit_code == 0);
  CHECK(RunOep({"dump", "--store", store}).out == dump);
}

TEST_CASE("import of an unknown format is refused", "[import][bad-input]") {
  ScratchDir dir;
  RunResult r = RunOep({"import", "oep-v9", dir.path(), "--state-path", dir / "s.sqlite"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("unknown import format"));
  CHECK(FileSha256(dir / "s.sqlite").empty());
}
