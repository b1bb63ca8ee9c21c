// Both store backends in one run: `oep ingest` events/s into SQLite and into PostgreSQL,
// each against its bare insert floor (the same rows and ledger rows through prepared
// statements in one transaction, no parsing, validation, canonicalization or hashing);
// ingest through two processes into one PostgreSQL database; `oep replay` latency on each.
// PostgreSQL is a throwaway cluster (tests/support/postgres_cluster.h) with fsync on.
//   OEP_BENCH_EVENTS (default 20000), OEP_BENCH_RUNS (default 3), OEP_BENCH_REPLAYS (default 31)
//   OEP_BENCH_BASELINE_OEP: another oep binary (an earlier build) whose ingest is timed in the
//   same runs, interleaved with this build's, against the same floors: before and after.
#include <unistd.h>

#include <SQLiteCpp/SQLiteCpp.h>
#include <pqxx/pqxx>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>

#include "bench_util.h"
#include "demo/demo.h"
#include "store/store.h"
#include "support/postgres_cluster.h"
#include "util/files.h"
#include "util/paths.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Row {
  std::string id, trace, source;
};

Row SyntheticRow(int64_t i) {
  char id[32], trace[40], source[48];
  std::snprintf(id, sizeof id, "evt_flr_%08llx", static_cast<unsigned long long>(i));
  std::snprintf(trace, sizeof trace, "%032llx", static_cast<unsigned long long>(i / 10));
  std::snprintf(source, sizeof source, "events.jsonl:%lld", static_cast<long long>(i + 1));
  return {id, trace, source};
}

// Rows per second of bare inserts into a fresh store of `url` (made by Store::Open, so
// the very tables, indexes and settings of the store), one transaction.
double Floor(const std::string& url, int64_t rows, size_t body_bytes) {
  { (void)oep::Store::Open(url, oep::Store::Mode::kReadWrite); }
  std::string body(body_bytes, 'x'), digest = "sha256:" + std::string(64, 'a');
  const std::string ins_sql =
      "INSERT INTO events (tenant, event_id, digest, body, source, release_manifest_id, trace_id, tool_call_id, "
      "permission_packet_ref) VALUES ('default', $1, $2, $3, $4, 'rmf_oep_code_review_demo_v0', $5, $1, $1)";
  const std::string led_sql =
      "INSERT INTO ledger (entry_id, chain_id, seq, kind, artifact_table, artifact_id, content_hash, source, prev_hash, "
      "entry_hash, tenant) VALUES ($1, $2, $3, 'artifact', 'events', $4, $5, $6, $7, $7, 'default')";
  // The manifest the events reference (foreign keys are on in both stores).
  const std::string manifest_sql =
      "INSERT INTO manifests (tenant, manifest_id, digest, body, source) VALUES ('default', "
      "'rmf_oep_code_review_demo_v0', 'sha256:0', '{}', 'floor')";
  auto start = Clock::now();
  if (oep::IsPostgresUrl(url)) {
    pqxx::connection c(url);
    c.prepare("ins", ins_sql);
    c.prepare("led", led_sql);
    pqxx::work tx(c);
    tx.exec(manifest_sql);
    for (int64_t i = 0; i < rows; ++i) {
      Row r = SyntheticRow(i);
      tx.exec_prepared("ins", r.id, digest, body, r.source, r.trace);
      tx.exec_prepared("led", i + 1, "run:" + r.trace, i + 1, r.id, digest, r.source, std::string(64, 'b'));
    }
    tx.commit();
  } else {
    SQLite::Database db(oep::SqliteFilePath(url), SQLite::OPEN_READWRITE);
    db.exec("PRAGMA synchronous = FULL; PRAGMA cache_size = -65536; PRAGMA foreign_keys = ON");
    SQLite::Transaction tx(db);
    db.exec(manifest_sql);
    auto sqlite_sql = [](std::string s) {
      for (char d = '9'; d >= '1'; --d) {
        for (size_t at; (at = s.find(std::string("$") + d)) != std::string::npos;) s.replace(at, 2, std::string("?") + d);
      }
      return s;
    };
    SQLite::Statement ins(db, sqlite_sql(ins_sql)), led(db, sqlite_sql(led_sql));
    for (int64_t i = 0; i < rows; ++i) {
      Row r = SyntheticRow(i);
      ins.bind(1, r.id);
      ins.bind(2, digest);
      ins.bind(3, body);
      ins.bind(4, r.source);
      ins.bind(5, r.trace);
      ins.exec();
      ins.reset();
      led.bind(1, i + 1);
      led.bind(2, "run:" + r.trace);
      led.bind(3, i + 1);
      led.bind(4, r.id);
      led.bind(5, digest);
      led.bind(6, r.source);
      led.bind(7, std::string(64, 'b'));
      led.exec();
      led.reset();
    }
    tx.commit();
  }
  return static_cast<double>(rows) / std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main() {
  using namespace oep;
  int64_t events = bench::EnvInt("OEP_BENCH_EVENTS", 20000);
  int runs = static_cast<int>(bench::EnvInt("OEP_BENCH_RUNS", 3));
  int replays = static_cast<int>(bench::EnvInt("OEP_BENCH_REPLAYS", 31));
  setenv("OEP_TEST_PG_FSYNC", "on", 1);  // durable commits, as SQLite's synchronous=FULL
  std::string why;
  test::PostgresCluster* pg = test::PostgresCluster::Get(&why);
  if (pg == nullptr) {
    std::cerr << "store_backends_bench: PostgreSQL unavailable: " << why << "\n";
    return 2;
  }
  auto dir = std::filesystem::temp_directory_path() / ("oep-backends-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string all = (dir / "events.jsonl").string(), half_a = (dir / "a.jsonl").string(),
              half_b = (dir / "b.jsonl").string();
  std::string data = SyntheticEventsJsonl(0, events, 1);
  if (!WriteFileAtomic(all, data).ok() || !WriteFileAtomic(half_a, SyntheticEventsJsonl(0, events / 2, 1)).ok() ||
      !WriteFileAtomic(half_b, SyntheticEventsJsonl(events / 2, events / 2, 1)).ok()) {
    return 2;
  }
  size_t body = data.size() / static_cast<size_t>(events);
  std::string manifest = RepoRoot() + "/manifest/examples";
  std::cout << "store_backends_bench: " << events << " agent-step events, " << body << " bytes each, " << runs
            << " runs; PostgreSQL cluster in " << pg->socket_dir() << " (fsync on)\n";
  int file = 0;
  auto fresh = [&](const std::string& backend) {
    return backend == "sqlite" ? "sqlite:" + (dir / ("s" + std::to_string(++file) + ".sqlite")).string()
                               : pg->NewDatabase();
  };
  const char* baseline = std::getenv("OEP_BENCH_BASELINE_OEP");
  std::vector<std::string> binaries = {OEP_BINARY};
  if (baseline != nullptr && *baseline != '\0') binaries.push_back(baseline);
  for (const std::string backend : {"sqlite", "postgresql"}) {
    std::vector<std::vector<double>> rates(binaries.size());
    std::vector<double> floors;
    for (int i = 0; i < runs; ++i) {
      floors.push_back(Floor(fresh(backend), events, body));
      for (size_t b = 0; b < binaries.size(); ++b) {
        std::string url = fresh(backend);
        if (bench::TimeOep({"ingest", "--store", url, manifest}, binaries[b]) < 0) return 2;
        double secs = bench::TimeOep({"ingest", "--store", url, all}, binaries[b]);
        if (secs < 0) return 2;
        rates[b].push_back(static_cast<double>(events) / secs);
      }
    }
    double floor = bench::Median(floors);
    for (size_t b = 0; b < binaries.size(); ++b) {
      double median = bench::Median(rates[b]);
      std::cout << backend << (b == 0 ? "" : " (baseline " + binaries[b] + ")") << ": ingest median "
                << static_cast<int64_t>(median) << " events/s; bare insert floor " << static_cast<int64_t>(floor)
                << " rows/s; ingest/floor " << median / floor << "\n";
    }
  }
  // Two processes at once into one PostgreSQL database, against one process.
  {
    std::vector<double> two;
    for (int i = 0; i < runs; ++i) {
      std::string url = fresh("postgresql");
      if (bench::TimeOep({"ingest", "--store", url, manifest}) < 0) return 2;
      double sa = -1, sb = -1;
      auto start = Clock::now();
      std::thread ta([&] { sa = bench::TimeOep({"ingest", "--store", url, half_a}); });
      std::thread tb([&] { sb = bench::TimeOep({"ingest", "--store", url, half_b}); });
      ta.join();
      tb.join();
      if (sa < 0 || sb < 0) return 2;
      two.push_back(static_cast<double>(2 * (events / 2)) / std::chrono::duration<double>(Clock::now() - start).count());
    }
    std::cout << "postgresql: two processes ingesting half each at once: median " << static_cast<int64_t>(bench::Median(two))
              << " events/s together (batches apply one after another under the write lock)\n";
  }
  // Replay latency of one decision, whole process.
  for (const std::string backend : {"sqlite", "postgresql"}) {
    std::string url = fresh(backend);
    if (bench::TimeOep({"ingest", "--store", url, manifest, RepoRoot() + "/events/examples",
                        RepoRoot() + "/permissions/examples", RepoRoot() + "/traces/examples"}) < 0) {
      return 2;
    }
    std::vector<double> ms;
    bench::TimeOep({"replay", "pder_oep_demo_read_diff_0001", "--store", url});
    for (int i = 0; i < replays; ++i) {
      double s = bench::TimeOep({"replay", "pder_oep_demo_read_diff_0001", "--store", url});
      if (s < 0) return 2;
      ms.push_back(s * 1000);
    }
    std::cout << backend << ": replay (json) median " << bench::Median(ms) << " ms, p90 " << bench::Percentile(ms, 0.9)
              << " ms over " << replays << " runs\n";
  }
  std::filesystem::remove_all(dir);
  return 0;
}
