// Decompression bombs through `oep import opa-decision-log` (issue 12: a 23 MB .gz expanding
// to 5 GiB once took 69 s and 8 GiB RSS): wall time and peak RSS of the refusing process.
//   bombs of 5 GiB: one endless line, one endless array element, and 1-line events past the
//   1 GiB total limit. OEP_BENCH_BOMB_GIB changes the size.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "bench_util.h"
#include "demo/demo.h"
#include "util/files.h"
#include "util/paths.h"
#include "util/subprocess.h"

namespace {

// `block` gzip-compressed once (by the gzip tool), repeated `copies` times as members.
std::string Bomb(const std::string& dir, const std::string& head, const std::string& block, int64_t copies) {
  std::string plain = dir + "/block", gz = dir + "/block.gz";
  if (!oep::WriteFileAtomic(plain, block).ok()) return "";
  auto r = oep::RunProcess({"/bin/sh", "-c", "gzip -9 -c '" + plain + "' > '" + gz + "'"});
  auto member = oep::ReadFile(gz);
  if (!r.ok() || r->exit_code != 0 || !member.ok()) return "";
  std::string out = head;
  for (int64_t i = 0; i < copies; ++i) out += *member;
  return out;
}

struct Run {
  double seconds;
  long max_rss_kib;
  int exit_code;
};

Run RunImport(const std::string& log, const std::string& store) {
  auto start = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    int devnull = ::open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    execl(OEP_BINARY, OEP_BINARY, "import", "opa-decision-log", log.c_str(), "--state-path", store.c_str(),
          "--manifest", "rmf_oep_code_review_demo_v0", static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  struct rusage ru {};
  wait4(pid, &status, 0, &ru);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return {secs, ru.ru_maxrss, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)};
}

}  // namespace

int main() {
  namespace fs = std::filesystem;
  int64_t gib = oep::bench::EnvInt("OEP_BENCH_BOMB_GIB", 5);
  std::string dir = std::string(OEP_BENCH_DATA_DIR) + "/bombs";
  fs::create_directories(dir);
  std::string store = dir + "/demo.sqlite";
  if (!oep::BuildDemoStore(oep::RepoRoot(), store).ok()) return 1;
  std::string line;
  while (line.size() < (1u << 20)) line += "{\"msg\":\"x\"}\n";
  struct Case {
    const char* name;
    std::string head, block;
  } cases[] = {
      {"one endless line (spaces)", "", std::string(1 << 20, ' ')},
      {"one endless array element", "", std::string(1 << 20, 'a')},
      {"short lines past the 1 GiB total", "", line},
  };
  for (auto& c : cases) {
    std::string gz = Bomb(dir, "", c.block, gib * 1024);
    if (gz.empty()) return 1;
    if (c.block[0] == 'a') {  // "[{"decision_id": "aaaa...: an array whose first element never ends
      std::string open = Bomb(dir, "", "[{\"decision_id\": \"", 1);
      gz = open + gz;
    }
    std::string log = dir + "/bomb.gz";
    if (!oep::WriteFileAtomic(log, gz).ok()) return 1;
    Run r = RunImport(log, store);
    std::printf("%-36s %5.1f MB gzip -> %lld GiB: exit %d in %.2f s, peak RSS %.1f MiB\n", c.name,
                static_cast<double>(gz.size()) / 1e6, static_cast<long long>(gib), r.exit_code, r.seconds,
                static_cast<double>(r.max_rss_kib) / 1024.0);
  }
  fs::remove_all(dir);
  return 0;
}
