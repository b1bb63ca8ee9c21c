// Shared by the benchmark executables: timing whole `oep` processes and summarizing runs.
#pragma once

#include <spawn.h>
#include <unistd.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

extern char** environ;

namespace oep::bench {

// Runs `oep args...` with stdout/stderr sent to /dev/null; returns wall seconds, or -1 on failure.
inline double TimeOep(const std::vector<std::string>& args) {
  std::vector<std::string> argv_s = {OEP_BINARY};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 1 /*O_WRONLY*/, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", 1, 0);
  auto start = std::chrono::steady_clock::now();
  pid_t pid;
  if (posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) != 0) return -1;
  posix_spawn_file_actions_destroy(&fa);
  int status = 0;
  waitpid(pid, &status, 0);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? secs : -1;
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
