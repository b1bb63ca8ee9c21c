// Shared by the benchmark executables: timing whole `oep` processes and summarizing runs.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "util/subprocess.h"

namespace oep::bench {

// Runs `oep args...` (output discarded); returns wall seconds, or -1 on failure.
// Seconds `oep args...` took (the oep of this build, or `binary`); -1 when it failed.
inline double TimeOep(const std::vector<std::string>& args, const std::string& binary = OEP_BINARY) {
  std::vector<std::string> argv = {binary};
  argv.insert(argv.end(), args.begin(), args.end());
  auto start = std::chrono::steady_clock::now();
  auto r = RunProcess(argv);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r.ok() && r->exit_code == 0 ? secs : -1;
}

inline double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : (v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2);
}

inline double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

// The shared large store (OEP_BENCH_DATA_DIR/replay-<decisions>.sqlite), generated once
// with `oep demo --decisions N` and reused by the benchmarks that read it; "" on failure.
inline std::string LargeStore(int64_t decisions) {
  std::string store = std::string(OEP_BENCH_DATA_DIR) + "/replay-" + std::to_string(decisions) + ".sqlite";
  if (access(store.c_str(), F_OK) == 0) return store;
  std::printf("generating %lld decisions into %s ...\n", static_cast<long long>(decisions), store.c_str());
  std::fflush(stdout);
  double secs = TimeOep({"demo", "--decisions", std::to_string(decisions), "--state-path", store});
  if (secs < 0) return "";
  std::printf("  generated in %.1f s\n", secs);
  return store;
}

inline int64_t EnvInt(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  return v ? std::atoll(v) : fallback;
}

}  // namespace oep::bench
