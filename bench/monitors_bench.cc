// Ingest throughput with monitors: agent-step events per second through the server's ingest
// path (one Ingester batch per request, then, when monitors are on, the batch's stored events
// read back, evaluated and what they flag stored in a second batch, as RunMonitors does), with
// three built-in monitors (blocked_tool, approval_missing, pii_outbound) against none, in the
// same run, alternating, each on a fresh store. One event in ten is flagged.
//   OEP_BENCH_EVENTS (default 20000), OEP_BENCH_BATCH (default 100), OEP_BENCH_RUNS (default 3),
//   OEP_BENCH_FLAG_EVERY (default 10: one event in ten is flagged; 0: none)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include <unistd.h>

#include "bench_util.h"
#include "ingest/ingest.h"
#include "json/json.h"
#include "monitors/monitors.h"
#include "store/store.h"
#include "util/files.h"
#include "util/paths.h"

namespace {

int64_t Env(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoll(v) : fallback;
}

// Batch `b` of `size` events as one JSON array; event i executes send_email without a token
// (flagged twice) when i % every == 0, else read_file.
std::string Batch(const rapidjson::Document& example, int64_t b, int64_t size, int64_t every) {
  auto flag = [every](int64_t i) { return every > 0 && i % every == 0; };
  std::string out = "[";
  for (int64_t k = 0; k < size; ++k) {
    int64_t i = b * size + k;
    rapidjson::Document d;
    d.CopyFrom(example, d.GetAllocator());
    auto& a = d.GetAllocator();
    char id[40], trace[40];
    std::snprintf(id, sizeof id, "evt_mon_%010lld", static_cast<long long>(i));
    std::snprintf(trace, sizeof trace, "%032llx", static_cast<unsigned long long>(i / 50));
    d["event_id"].SetString(id, a);
    d["trace_id"].SetString(trace, a);
    d["event_type"].SetString("tool_call.executed", a);
    d.RemoveMember("permission_packet_ref");
    d.RemoveMember("tool_call_id");
    rapidjson::Value payload(rapidjson::kObjectType);
    payload.AddMember("tool", rapidjson::StringRef(flag(i) ? "send_email" : "read_file"), a);
    payload.AddMember("to", rapidjson::StringRef(flag(i) ? "alice@example.com" : "src/a.py"), a);
    d.AddMember("tool_payload", payload, a);
    out += (k ? "," : "") + oep::json::CanonicalText(d);
  }
  return out + "]";
}

// Events per second over `batches`, monitors on when `monitors` is not null.
double Run(const std::string& path, const std::vector<std::string>& batches, int64_t per_batch,
           const oep::MonitorSet* monitors, int64_t* flagged) {
  std::filesystem::remove(path);
  auto store = oep::Store::Open(path, oep::Store::Mode::kReadWrite);
  if (!store.ok()) return -1;
  {
    auto ingester = oep::Ingester::Begin(**store);
    if (!ingester.ok() || !(*ingester)->AddFile(oep::RepoRoot() + "/manifest/examples/code_review_demo_release.v0.json").ok() ||
        !(*ingester)->Commit().ok()) {
      return -1;
    }
  }
  *flagged = 0;
  auto start = std::chrono::steady_clock::now();
  for (const auto& body : batches) {
    auto ingester = oep::Ingester::Begin(**store);
    if (!ingester.ok() || !(*ingester)->AddRecordText(body, "body").ok() || !(*ingester)->Commit().ok()) return -1;
    if (!monitors) continue;
    auto doc = oep::json::Parse(body);
    std::vector<std::string> ids;
    for (const auto& e : doc->GetArray()) ids.push_back(oep::json::GetString(e, "event_id"));
    auto input = oep::BatchInput(**store, ids, {}, {});
    if (!input.ok()) return -1;
    auto found = oep::EvaluateMonitors(*monitors, *input);
    if (!found.ok()) return -1;
    auto stored = oep::StoreViolations(**store, *found, "bench");
    if (!stored.ok()) return -1;
    *flagged += *stored;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(batches.size() * per_batch) / secs;
}

}  // namespace

int main() {
  int64_t events = Env("OEP_BENCH_EVENTS", 20000), per_batch = Env("OEP_BENCH_BATCH", 100), runs = Env("OEP_BENCH_RUNS", 3);
  int64_t every = Env("OEP_BENCH_FLAG_EVERY", 10);
  auto example = oep::json::Parse(*oep::ReadFile(oep::RepoRoot() + "/events/examples/code_review_demo_read_step.v0.json"));
  std::vector<std::string> batches;
  for (int64_t b = 0; b < events / per_batch; ++b) batches.push_back(Batch(*example, b, per_batch, every));
  std::string dir = oep::RepoRoot() + "/permissions/policy/monitors";
  std::string scratch = std::filesystem::temp_directory_path() / ("oep-monitors-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(scratch);
  // The three monitors with the shipped data.json (tool modes).
  for (const char* f : {"blocked_tool.rego", "approval_missing.rego", "pii_outbound.rego", "data.json"}) {
    std::filesystem::copy_file(dir + "/" + f, scratch + "/" + f);
  }
  auto monitors = oep::MonitorSet::Load({scratch});
  if (!monitors.ok()) {
    std::cerr << monitors.status().message() << "\n";
    return 1;
  }
  std::vector<double> off, on;
  int64_t flagged = 0, ignored = 0;
  for (int64_t r = 0; r < runs; ++r) {
    off.push_back(Run(scratch + "/off.sqlite", batches, per_batch, nullptr, &ignored));
    on.push_back(Run(scratch + "/on.sqlite", batches, per_batch, monitors->get(), &flagged));
    if (off.back() < 0 || on.back() < 0) {
      std::cerr << "a run failed\n";
      return 1;
    }
  }
  std::filesystem::remove_all(scratch);
  double m_off = oep::bench::Median(off), m_on = oep::bench::Median(on);
  std::printf("ingest, %lld events in batches of %lld, median of %lld runs each, alternating\n",
              static_cast<long long>(batches.size() * per_batch), static_cast<long long>(per_batch),
              static_cast<long long>(runs));
  std::printf("  no monitors:    %10.0f events/s\n", m_off);
  std::printf("  three monitors: %10.0f events/s  (%lld violations stored per run)\n", m_on, static_cast<long long>(flagged));
  std::printf("  ratio: %.2f (target >= 0.8)\n", m_on / m_off);
  return 0;
}
