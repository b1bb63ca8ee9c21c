// Ingest throughput: agent-step events per second through `oep ingest` (whole process:
// read, parse, validate, canonicalize, hash, insert, one transaction), batched JSONL.
//   OEP_BENCH_EVENTS (default 200000), OEP_BENCH_RUNS (default 5)
#include <filesystem>
#include <iostream>

#include <SQLiteCpp/SQLiteCpp.h>

#include "bench_util.h"
#include "demo/demo.h"
#include "util/files.h"
#include "util/paths.h"

namespace {

// The floor under any ingest into this store layout: the same rows (same sizes, same
// indexes, same pragmas), each with its ledger row, inserted through prepared statements
// with no parsing, validation, canonicalization or hashing. Returns events per second.
// `journal_mode`: WAL (the store's) or DELETE (a rollback journal: appended pages are
// written once, not to the WAL and again at the checkpoint — the best SQLite offers).
double SqliteFloor(const std::string& path, int64_t rows, size_t body_bytes, const std::string& journal_mode) {
  SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  db.exec("PRAGMA page_size = 16384; PRAGMA journal_mode = " + journal_mode + "; PRAGMA synchronous = NORMAL;"
          "PRAGMA cache_size = -65536");
  db.exec("CREATE TABLE events (event_id TEXT PRIMARY KEY, digest TEXT NOT NULL, body TEXT NOT NULL, "
          "source TEXT NOT NULL, release_manifest_id TEXT, trace_id TEXT, span_id TEXT, tool_call_id TEXT, "
          "permission_packet_ref TEXT, event_type TEXT, event_time TEXT, actor_id TEXT);"
          "CREATE INDEX e1 ON events(release_manifest_id); CREATE INDEX e2 ON events(trace_id);"
          "CREATE INDEX e3 ON events(tool_call_id); CREATE INDEX e4 ON events(permission_packet_ref);"
          "CREATE TABLE ledger (entry_id INTEGER PRIMARY KEY, chain_id TEXT NOT NULL, seq INTEGER NOT NULL, "
          "kind TEXT NOT NULL, artifact_table TEXT, artifact_id TEXT, content_hash TEXT, source TEXT, payload TEXT, "
          "prev_hash TEXT NOT NULL, entry_hash TEXT NOT NULL, UNIQUE (chain_id, seq));");
  std::string body(body_bytes, 'x');
  std::string digest = "sha256:" + std::string(64, 'a');
  auto start = std::chrono::steady_clock::now();
  {
    SQLite::Transaction tx(db);
    SQLite::Statement ins(db, "INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(event_id) DO NOTHING");
    SQLite::Statement led(db, "INSERT INTO ledger (chain_id, seq, kind, artifact_table, artifact_id, content_hash, "
                              "source, prev_hash, entry_hash) VALUES (?,?,'artifact','events',?,?,?,?,?)");
    char id[32], trace[40], source[48];
    for (int64_t i = 0; i < rows; ++i) {
      std::snprintf(id, sizeof id, "evt_syn_%08llx", static_cast<unsigned long long>(i));
      std::snprintf(trace, sizeof trace, "%032llx", static_cast<unsigned long long>(i / 10));
      std::snprintf(source, sizeof source, "events.jsonl:%lld", static_cast<long long>(i + 1));
      ins.bind(1, id);
      ins.bindNoCopy(2, digest);
      ins.bindNoCopy(3, body);
      ins.bind(4, source);
      ins.bind(5, "rmf_oep_code_review_demo_v0");
      ins.bind(6, trace);
      ins.bind(7, "0000000000000001");
      ins.bind(8, id);
      ins.bind(9, id);
      ins.bind(10, "tool_call.decided");
      ins.bind(11, "2026-11-01T00:00:00Z");
      ins.bind(12, "agent_synthetic_1");
      ins.exec();
      ins.reset();
      led.bind(1, std::string("run:") + trace);
      led.bind(2, static_cast<int64_t>(i % 10 + 1));
      led.bind(3, id);
      led.bind(4, digest.substr(7));
      led.bind(5, source);
      led.bind(6, digest.substr(7));
      led.bind(7, digest.substr(7));
      led.exec();
      led.reset();
    }
    tx.commit();
  }
  return static_cast<double>(rows) / std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// What a durable commit costs: the median milliseconds of one small transaction (one row
// and its ledger row) in WAL mode under `synchronous` (FULL, the store's: the WAL is fsynced
// at every commit; NORMAL: only at checkpoints, so a power loss may drop the last commits).
double CommitMillis(const std::string& path, const std::string& synchronous, int commits) {
  SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = " + synchronous + ";"
          "CREATE TABLE events (event_id TEXT PRIMARY KEY, body TEXT NOT NULL);"
          "CREATE TABLE ledger (entry_id INTEGER PRIMARY KEY, artifact_id TEXT, entry_hash TEXT NOT NULL);");
  std::string body(712, 'x');
  std::vector<double> ms;
  for (int i = 0; i < commits; ++i) {
    auto start = std::chrono::steady_clock::now();
    SQLite::Transaction tx(db);
    std::string id = "evt_" + std::to_string(i);
    SQLite::Statement ins(db, "INSERT INTO events VALUES (?, ?)");
    ins.bind(1, id);
    ins.bind(2, body);
    ins.exec();
    SQLite::Statement led(db, "INSERT INTO ledger (artifact_id, entry_hash) VALUES (?, ?)");
    led.bind(1, id);
    led.bind(2, std::string(64, 'a'));
    led.exec();
    tx.commit();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  return oep::bench::Median(ms);
}

}  // namespace

int main() {
  using namespace oep;
  int64_t events = bench::EnvInt("OEP_BENCH_EVENTS", 200000);
  int runs = static_cast<int>(bench::EnvInt("OEP_BENCH_RUNS", 5));
  auto dir = std::filesystem::temp_directory_path() / ("oep-ingest-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string jsonl = (dir / "events.jsonl").string();
  std::string data = SyntheticEventsJsonl(0, events, 1);
  if (!WriteFileAtomic(jsonl, data).ok()) return 2;
  std::string manifest = RepoRoot() + "/manifest/examples";
  std::cout << "ingest_bench: " << events << " agent-step events, " << data.size() / events << " bytes each, "
            << runs << " runs\n";
  std::vector<double> rates, floors, rollback_floors;
  for (int i = 0; i < runs; ++i) {
    size_t body = data.size() / static_cast<size_t>(events);
    floors.push_back(SqliteFloor((dir / ("floor" + std::to_string(i) + ".sqlite")).string(), events, body, "WAL"));
    rollback_floors.push_back(SqliteFloor((dir / ("rfloor" + std::to_string(i) + ".sqlite")).string(), events, body, "DELETE"));
    std::string store = (dir / ("s" + std::to_string(i) + ".sqlite")).string();
    if (bench::TimeOep({"ingest", "--state-path", store, manifest}) < 0) return 2;
    double secs = bench::TimeOep({"ingest", "--state-path", store, jsonl});
    if (secs < 0) return 2;
    rates.push_back(static_cast<double>(events) / secs);
    std::cout << "  run " << i + 1 << ": " << secs << " s, " << static_cast<int64_t>(rates.back())
              << " events/s; bare SQLite inserts of the same rows with their ledger rows: " << static_cast<int64_t>(floors.back())
              << " rows/s (rollback journal: " << static_cast<int64_t>(rollback_floors.back()) << ")\n";
  }
  double median = bench::Median(rates), floor = bench::Median(floors);
  std::cout << "ingest median: " << static_cast<int64_t>(median) << " events/s (target >= 200000); bare SQLite floor "
            << static_cast<int64_t>(floor) << " rows/s; oep ingest reaches " << static_cast<int>(100 * median / floor)
            << "% of the floor; with a rollback journal the floor is " << static_cast<int64_t>(bench::Median(rollback_floors))
            << " rows/s\n";
  double full = CommitMillis((dir / "commit-full.sqlite").string(), "FULL", 200);
  double normal = CommitMillis((dir / "commit-normal.sqlite").string(), "NORMAL", 200);
  std::cout << "durable commits (the store's synchronous=FULL): a one-row transaction takes " << full
            << " ms (median of 200) against " << normal << " ms with synchronous=NORMAL; an ingest batch pays it once\n";
  std::filesystem::remove_all(dir);
  return 0;
}
