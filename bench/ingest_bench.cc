// Ingest throughput: agent-step events per second through `oep ingest` (whole process:
// read, parse, validate, canonicalize, hash, insert, one transaction), batched JSONL.
//   OEP_BENCH_EVENTS (default 200000), OEP_BENCH_RUNS (default 5)
#include <filesystem>
#include <iostream>

#include "bench_util.h"
#include "demo/demo.h"
#include "util/files.h"
#include "util/paths.h"

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
  std::vector<double> rates;
  for (int i = 0; i < runs; ++i) {
    std::string store = (dir / ("s" + std::to_string(i) + ".sqlite")).string();
    if (bench::TimeOep({"ingest", "--state-path", store, manifest}) < 0) return 2;
    double secs = bench::TimeOep({"ingest", "--state-path", store, jsonl});
    if (secs < 0) return 2;
    rates.push_back(static_cast<double>(events) / secs);
    std::cout << "  run " << i + 1 << ": " << secs << " s, " << static_cast<int64_t>(rates.back()) << " events/s\n";
  }
  std::cout << "ingest median: " << static_cast<int64_t>(bench::Median(rates))
            << " events/s (target >= 200000)\n";
  std::filesystem::remove_all(dir);
  return 0;
}
