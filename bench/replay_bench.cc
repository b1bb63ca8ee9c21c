// `oep replay <id>` as a whole process against a large store: median and p90 wall time.
//   OEP_BENCH_DECISIONS (default 1000000), OEP_BENCH_RUNS (default 51),
//   OEP_BENCH_STORE (default build/bench-data/replay-<N>.sqlite; generated once, reused).
#include <filesystem>
#include <iostream>

#include "bench_util.h"
#include "demo/demo.h"
#include "util/paths.h"

int main() {
  using namespace oep;
  int64_t decisions = bench::EnvInt("OEP_BENCH_DECISIONS", 1000000);
  int runs = static_cast<int>(bench::EnvInt("OEP_BENCH_RUNS", 51));
  const char* env_store = std::getenv("OEP_BENCH_STORE");
  std::string store = env_store ? env_store : bench::LargeStore(decisions);
  if (store.empty()) return 2;
  std::cout << "replay_bench: " << decisions << " decisions, " << runs << " runs per measurement\n";
  // Warm the page cache the way a store in use is: one untimed replay.
  bench::TimeOep({"replay", "pder_syn_00000000", "--state-path", store});
  std::vector<double> startup, replay, human;
  uint64_t x = 88172645463325252ULL;
  for (int i = 0; i < runs; ++i) {
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    char id[32];
    std::snprintf(id, sizeof id, "pder_syn_%08llx", static_cast<unsigned long long>(x % static_cast<uint64_t>(decisions)));
    startup.push_back(bench::TimeOep({"--version"}));
    replay.push_back(bench::TimeOep({"replay", id, "--state-path", store}));
    human.push_back(bench::TimeOep({"replay", id, "--state-path", store, "--output-format", "human"}));
    if (replay.back() < 0 || human.back() < 0) {
      std::cerr << "replay of " << id << " failed\n";
      return 2;
    }
  }
  auto ms = [](double s) { return s * 1000; };
  std::cout << "process start (oep --version): median " << ms(bench::Median(startup)) << " ms\n";
  std::cout << "replay --output-format json:   median " << ms(bench::Median(replay)) << " ms, p90 "
            << ms(bench::Percentile(replay, 0.9)) << " ms (target median < 5 ms)\n";
  std::cout << "replay --output-format human:  median " << ms(bench::Median(human)) << " ms, p90 "
            << ms(bench::Percentile(human, 0.9)) << " ms\n";
  return 0;
}
