// `oep verify --chain` throughput (ledger entries per second, whole process) on a large
// store, next to the machine's SHA-256 speed on 1 KiB blocks through OpenSSL (what
// `openssl speed -bytes 1024 sha256` measures): the physical limit for hashing.
//   OEP_BENCH_DECISIONS (default 1000000; the store is shared with replay_bench), OEP_BENCH_RUNS (3)
#include <chrono>
#include <filesystem>
#include <iostream>
#include <string>

#include <SQLiteCpp/SQLiteCpp.h>

#include "bench_util.h"
#include "crypto/sha256.h"

namespace {

// SHA-256 of 1 KiB blocks per second on one core.
double Sha256BlocksPerSecond() {
  std::string block(1024, 'x');
  int64_t n = 0;
  auto start = std::chrono::steady_clock::now();
  double elapsed = 0;
  while (elapsed < 1.0) {
    for (int i = 0; i < 1000; ++i) block[static_cast<size_t>(i) % 1024] = oep::crypto::Sha256Hex(block)[0];
    n += 1000;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  return static_cast<double>(n) / elapsed;
}

}  // namespace

int main() {
  using namespace oep;
  int64_t decisions = bench::EnvInt("OEP_BENCH_DECISIONS", 1000000);
  int runs = static_cast<int>(bench::EnvInt("OEP_BENCH_RUNS", 3));
  std::string store = bench::LargeStore(decisions);
  if (store.empty()) return 2;
  int64_t entries = 0;
  double avg_body = 0;
  {
    SQLite::Database db(store);
    entries = db.execAndGet("SELECT count(*) FROM ledger").getInt64();
    avg_body = db.execAndGet("SELECT avg(length(body)) FROM decisions").getDouble();
  }
  std::cout << "verify_chain_bench: " << entries << " ledger entries (decision bodies " << static_cast<int>(avg_body)
            << " bytes on average), " << runs << " runs\n";
  std::vector<double> rates;
  for (int i = 0; i < runs; ++i) {
    double secs = bench::TimeOep({"verify", "--chain", "--state-path", store});
    if (secs < 0) {
      std::cerr << "verify --chain failed\n";
      return 2;
    }
    rates.push_back(static_cast<double>(entries) / secs);
    std::cout << "  run " << i + 1 << ": " << secs << " s, " << static_cast<int64_t>(rates.back()) << " entries/s\n";
  }
  double sha = Sha256BlocksPerSecond();
  std::cout << "verify --chain median: " << static_cast<int64_t>(bench::Median(rates))
            << " entries/s (target >= 500000)\n";
  std::cout << "sha256 on 1 KiB blocks (OpenSSL, one core): " << static_cast<int64_t>(sha) << " blocks/s = "
            << static_cast<int64_t>(sha * 1024 / 1e6) << " MB/s; each entry hashes its row and its entry once\n";
  return 0;
}
