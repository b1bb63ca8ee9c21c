// PostgreSQL under several writers, with real processes: batches apply one after another
// (no forked or interleaved chain, no lost batch); the database itself refuses changes
// (the oep_writer role) and shows a session only its tenant's rows (row-level security).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "support/store_backends.h"
#include "support/support.h"

using namespace oep::test;

namespace {

// The manifest example on one line, under another manifest_id.
std::string ManifestLine(const std::string& id) {
  std::string text = ReadText(RepoRoot() + "/manifest/examples/code_review_demo_release.v0.json"), line;
  for (char c : text) {
    if (c != '\n') line.push_back(c);
  }
  const std::string from = "rmf_oep_code_review_demo_v0";
  line.replace(line.find(from), from.size(), id);
  return line;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

}  // namespace

TEST_CASE("PostgreSQL: two processes ingesting at once never fork, interleave or lose a batch",
          "[store][postgres][concurrency]") {
  PostgresCluster* c = PostgresOrSkip(Catch::getResultCapture().getCurrentTestName());
  if (c == nullptr) return;
  ScratchDir dir;
  std::string url = c->NewDatabase();
  constexpr int kFiles = 12, kPerFile = 3;
  std::map<std::string, std::string> file_of;  // manifest id -> batch
  for (const char* writer : {"a", "b"}) {
    for (int f = 0; f < kFiles; ++f) {
      std::string batch = std::string(writer) + std::to_string(f), text;
      for (int i = 0; i < kPerFile; ++i) {
        std::string id = "rmf_" + batch + "_" + std::to_string(i);
        file_of[id] = batch;
        text += ManifestLine(id) + "\n";
      }
      WriteText(dir / (batch + ".jsonl"), text);
    }
  }
  // Two shells, each ingesting its files one batch at a time, started together.
  std::string script;
  for (const char* writer : {"a", "b"}) {
    script += "(for f in " + dir.path() + "/" + writer + "*.jsonl; do " + OepBinary() + " ingest --store '" + url +
              "' \"$f\" >/dev/null 2>>" + dir.path() + "/" + writer + ".err || echo \"$f\" >> " + dir.path() +
              "/failed; done) & ";
  }
  script += "wait";
  WriteText(dir / "writers.sh", script + "\n");
  REQUIRE(std::system(("sh " + (dir / "writers.sh")).c_str()) == 0);
  INFO(ReadText(dir / "a.err") + ReadText(dir / "b.err"));
  CHECK_FALSE(std::ifstream(dir / "failed").good());

  std::string db = DatabaseOf(url);
  CHECK(c->Sql(db, "SELECT count(*) FROM manifests") == std::to_string(2 * kFiles * kPerFile) + "\n");
  // The store chain: seq 1..n without gaps, each batch's entries next to each other.
  auto rows = Lines(c->Sql(db, "SELECT seq, artifact_id FROM ledger WHERE chain_id = 'store' ORDER BY seq"));
  REQUIRE(rows.size() == static_cast<size_t>(2 * kFiles * kPerFile));
  std::map<std::string, int> batches_seen;
  std::string previous;
  for (size_t i = 0; i < rows.size(); ++i) {
    auto bar = rows[i].find('|');
    CHECK(rows[i].substr(0, bar) == std::to_string(i + 1));
    std::string batch = file_of[rows[i].substr(bar + 1)];
    if (batch != previous) ++batches_seen[batch];
    previous = batch;
  }
  CHECK(batches_seen.size() == static_cast<size_t>(2 * kFiles));
  for (const auto& [batch, runs] : batches_seen) {
    INFO(batch);
    CHECK(runs == 1);  // one contiguous run of entries per batch
  }
  RunResult verify = RunOep({"verify", "--chain", "--store", url});
  INFO(verify.out + verify.err);
  CHECK(verify.exit_code == 0);
  CHECK_THAT(verify.out, Catch::Contains("chain store: " + std::to_string(2 * kFiles * kPerFile) + " entries"));
}

TEST_CASE("PostgreSQL: the oep_writer role may insert and select, never update or delete",
          "[store][postgres][bad-input]") {
  PostgresCluster* c = PostgresOrSkip(Catch::getResultCapture().getCurrentTestName());
  if (c == nullptr) return;
  std::string url = c->NewDatabase(), db = DatabaseOf(url);
  REQUIRE(RunOep({"ingest", "--store", url, RepoRoot() + "/manifest/examples"}).exit_code == 0);
  c->Sql("postgres", "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'oep_server1') THEN "
                     "CREATE ROLE oep_server1 LOGIN IN ROLE oep_writer; END IF; END $$");
  std::string as_writer = c->Url(db, "oep_server1");
  // A server logged in as the writer role ingests and reads.
  RunResult r = RunOep({"ingest", "--store", as_writer, RepoRoot() + "/events/examples"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(RunOep({"verify", "--chain", "--store", as_writer}).exit_code == 0);
  // ... but cannot change or remove anything, even with the triggers gone.
  c->Sql(db, "ALTER TABLE manifests DISABLE TRIGGER manifests_append_only");
  for (const char* sql : {"UPDATE manifests SET body = '{}'", "DELETE FROM manifests", "DELETE FROM ledger",
                          "UPDATE oep_meta SET value = '1'", "DROP TABLE manifests", "TRUNCATE events"}) {
    INFO(sql);
    CHECK_THAT(c->SqlError(db, "oep_server1", "SET oep.tenant = 'default'; " + std::string(sql)),
               Catch::Contains("permission denied") || Catch::Contains("must be owner"));
  }
  CHECK(c->Sql(db, "SELECT count(*) FROM manifests") == "1\n");
}

TEST_CASE("PostgreSQL: row-level security shows a session only its tenant's rows", "[store][postgres][tenants]") {
  PostgresCluster* c = PostgresOrSkip(Catch::getResultCapture().getCurrentTestName());
  if (c == nullptr) return;
  std::string url = c->NewDatabase(), db = DatabaseOf(url);
  REQUIRE(RunOep({"ingest", "--store", url, RepoRoot() + "/manifest/examples", RepoRoot() + "/events/examples"})
              .exit_code == 0);
  c->Sql("postgres", "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'oep_reader') THEN "
                     "CREATE ROLE oep_reader LOGIN IN ROLE oep_writer; END IF; END $$");
  // Without the tenant setting (or under another tenant) nothing is visible, though the
  // query names no tenant.
  auto count_as = [&](const std::string& setting) {
    std::string sql = setting.empty() ? "" : "SET oep.tenant = '" + setting + "'; ";
    return c->SqlError(db, "oep_reader", sql + "DO $$ BEGIN IF (SELECT count(*) FROM events) <> 0 THEN "
                                               "RAISE EXCEPTION 'sees % events', (SELECT count(*) FROM events); END IF; END $$");
  };
  CHECK(count_as("") == "");
  CHECK(count_as("acme") == "");
  CHECK_THAT(count_as("default"), Catch::Contains("sees 2 events"));
  // Nor can a session insert a row of a tenant other than its setting.
  CHECK_THAT(c->SqlError(db, "oep_reader",
                         "SET oep.tenant = 'acme'; INSERT INTO tenants VALUES ('x', 'now'); INSERT INTO audit_log "
                         "VALUES ('default', 'a1', 'now', 'd', '{}', 's', NULL)"),
             Catch::Contains("row-level security"));
}
