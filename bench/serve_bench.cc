// serve_bench: `oep serve` over real loopback HTTP (cpp-httplib client, keep-alive).
//   ingest   steps/s posting batches of 100 steps, against `oep ingest` of the same number
//            of agent-step events from a JSONL file, measured in the same run
//   list     GET /v1/runs latency (p50, p95) with OEP_SERVE_BENCH_RUNS runs stored
//            (default 10,000): first pages, filtered pages, deep cursor pages
// Figures are wall times on whatever else the machine is doing; compare within one run.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "bench_util.h"
#include "json/json.h"
#include "util/files.h"
#include "util/paths.h"

namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string Oep(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {OEP_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = oep::RunProcess(argv);
  if (!r.ok() || r->exit_code != 0) {
    std::fprintf(stderr, "serve_bench: oep %s failed: %s\n", args[0].c_str(), r.ok() ? r->err.c_str() : r.status().message().c_str());
    std::exit(1);
  }
  std::string out = r->out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out.substr(out.rfind('\n') + 1);
}

std::string Event(const std::string& run, int step) {
  static std::string base = [] {
    auto text = oep::ReadFile(oep::RepoRoot() + "/events/examples/code_review_demo_read_step.v0.json");
    auto doc = oep::json::Parse(*text);
    doc->RemoveMember("permission_packet_ref");
    doc->RemoveMember("tool_call_id");
    return oep::json::CanonicalText(*doc);
  }();
  std::string e = base;
  auto put = [&](const std::string& key, const std::string& value) {
    size_t at = e.find("\"" + key + "\":\"") + key.size() + 4;
    e.replace(at, e.find('"', at) - at, value);
  };
  put("event_id", "evt_" + run + "_" + std::to_string(step));
  put("trace_id", run);
  return e;
}

std::string RunId(int i) {
  char id[33];
  std::snprintf(id, sizeof id, "%032x", i);
  return id;
}

struct Server {
  int pid = -1, port = 0;
  Server(const std::string& state, const std::string& dir) {
    std::string port_file = dir + "/port";
    pid = fork();
    if (pid == 0) {
      int null = open("/dev/null", O_RDWR);
      dup2(null, 1);
      dup2(null, 2);
      execl(OEP_BINARY, OEP_BINARY, "serve", "--state-path", state.c_str(), "--listen", "127.0.0.1:0", "--port-file",
            port_file.c_str(), nullptr);
      _exit(127);
    }
    for (int i = 0; i < 3000 && port == 0; ++i) {
      if (std::filesystem::exists(port_file)) port = std::stoi(*oep::ReadFile(port_file));
      else std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (port == 0) std::exit(1);
  }
  ~Server() {
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
  }
};

void Check(const httplib::Result& r, int status, const char* what) {
  if (!r || r->status != status) {
    std::fprintf(stderr, "serve_bench: %s: %d %s\n", what, r ? r->status : 0, r ? r->body.substr(0, 300).c_str() : "");
    std::exit(1);
  }
}

}  // namespace

int main() {
  const char* env = std::getenv("OEP_SERVE_BENCH_RUNS");
  int total_runs = env ? std::atoi(env) : 10000;
  constexpr int kBatches = 100, kBatch = 100;
  std::string dir = std::filesystem::temp_directory_path() / ("oep-serve-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::string state = dir + "/served.sqlite", cli_state = dir + "/cli.sqlite";
  std::string manifest = *oep::ReadFile(oep::RepoRoot() + "/manifest/examples/code_review_demo_release.v0.json");

  // CLI ingest of kBatches * kBatch events (one file, one transaction).
  {
    std::ofstream out(dir + "/events.jsonl");
    out << oep::json::CanonicalText(*oep::json::Parse(manifest)) << "\n";
    for (int b = 0; b < kBatches; ++b) {
      for (int s = 1; s <= kBatch; ++s) out << Event(RunId(b + 1), s) << "\n";
    }
  }
  double cli_secs = oep::bench::TimeOep({"ingest", "--state-path", cli_state, dir + "/events.jsonl"});
  double cli_rate = kBatches * kBatch / cli_secs;

  Oep({"tenant", "create", "bench", "--state-path", state});
  std::string key = Oep({"key", "create", "--tenant", "bench", "--role", "admin", "--state-path", state});
  Server server(state, dir);
  httplib::Client client("127.0.0.1", server.port);
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);
  client.set_read_timeout(120, 0);
  httplib::Headers auth = {{"Authorization", "Bearer " + key}};
  Check(client.Post("/v1/artifacts", auth, manifest, "application/json"), 200, "manifest");

  // Ingest: one run per batch, kBatch steps each.
  for (int b = 0; b < kBatches; ++b) {
    Check(client.Post("/v1/runs", auth, "{\"run_id\":\"" + RunId(b + 1) + "\"}", "application/json"), 201, "run");
  }
  std::vector<std::string> bodies;
  for (int b = 0; b < kBatches; ++b) {
    std::string body = "{\"steps\":[";
    for (int s = 1; s <= kBatch; ++s) {
      body += (s > 1 ? "," : "") + std::string("{\"step\":") + std::to_string(s) + ",\"event\":" + Event(RunId(b + 1), s) + "}";
    }
    bodies.push_back(body + "]}");
  }
  auto start = Clock::now();
  std::vector<double> batch_ms;
  for (int b = 0; b < kBatches; ++b) {
    auto t = Clock::now();
    Check(client.Post(("/v1/runs/" + RunId(b + 1) + "/steps").c_str(), auth, bodies[b], "application/json"), 200, "steps");
    batch_ms.push_back(Since(t) * 1000);
  }
  double serve_secs = Since(start);
  double serve_rate = kBatches * kBatch / serve_secs;
  std::printf("ingest: %d steps in batches of %d over HTTP: %.0f steps/s (%.2f s; batch p50 %.1f ms, p95 %.1f ms)\n",
              kBatches * kBatch, kBatch, serve_rate, serve_secs, oep::bench::Median(batch_ms),
              oep::bench::Percentile(batch_ms, 0.95));
  std::printf("ingest: the same events by `oep ingest` (one file): %.0f steps/s (%.2f s); HTTP is %.0f%% of it\n", cli_rate,
              cli_secs, 100 * serve_rate / cli_rate);

  // Listing: fill up to total_runs runs (one small request each), then time pages.
  auto fill = Clock::now();
  for (int i = kBatches; i < total_runs; ++i) {
    std::string body = "{\"run_id\":\"" + RunId(i + 1) + "\",\"model\":\"m" + std::to_string(i % 7) + "\",\"tags\":[\"t" +
                       std::to_string(i % 13) + "\"]}";
    Check(client.Post("/v1/runs", auth, body, "application/json"), 201, "run");
  }
  double fill_secs = Since(fill);
  std::vector<double> first, filtered, deep;
  std::string cursor;
  for (int i = 0; i < 100; ++i) {
    auto t = Clock::now();
    Check(client.Get("/v1/runs?limit=50", auth), 200, "list");
    first.push_back(Since(t) * 1000);
    t = Clock::now();
    Check(client.Get(("/v1/runs?limit=50&model=m" + std::to_string(i % 7) + "&status=open").c_str(), auth), 200, "filter");
    filtered.push_back(Since(t) * 1000);
    t = Clock::now();
    auto page = client.Get(("/v1/runs?limit=50" + (cursor.empty() ? "" : "&cursor=" + cursor)).c_str(), auth);
    deep.push_back(Since(t) * 1000);
    Check(page, 200, "page");
    auto doc = oep::json::Parse(page->body);
    cursor = (*doc)["next_cursor"].IsNull() ? "" : httplib::detail::encode_query_param((*doc)["next_cursor"].GetString());
  }
  std::vector<double> all = first;
  all.insert(all.end(), filtered.begin(), filtered.end());
  all.insert(all.end(), deep.begin(), deep.end());
  std::printf("list: %d runs stored (%.1f runs/s created one request each)\n", total_runs,
              (total_runs - kBatches) / fill_secs);
  std::printf("list: GET /v1/runs?limit=50 first page p50 %.2f ms p95 %.2f ms; model+status filter p50 %.2f ms p95 %.2f "
              "ms; cursor pages p50 %.2f ms p95 %.2f ms; all p95 %.2f ms\n",
              oep::bench::Median(first), oep::bench::Percentile(first, 0.95), oep::bench::Median(filtered),
              oep::bench::Percentile(filtered, 0.95), oep::bench::Median(deep), oep::bench::Percentile(deep, 0.95),
              oep::bench::Percentile(all, 0.95));
  std::filesystem::remove_all(dir);
  return 0;
}
