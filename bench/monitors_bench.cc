// Ingest throughput with monitors: agent-step events per second through the server's ingest
// path for POST /v1/artifacts (one Ingester batch per request) with three built-in monitors
// (blocked_tool, approval_missing, pii_outbound) against none, in the same run, alternating,
// each on a fresh store:
//   none        no monitors
//   in-batch    what the server does: the monitors evaluate the batch's records in memory and
//               their violations commit in the ingest's transaction (MonitorBatch)
//   read-back   the earlier path, kept for comparison (no route uses it since the run-steps
//               and drop routes moved to in-batch): the batch's events read back from the
//               store after the commit, the violations stored in a second transaction
//               (BatchInput + StoreViolations)
// One event in ten is flagged (twice: approval_missing and pii_outbound).
//   OEP_BENCH_EVENTS (default 20000), OEP_BENCH_BATCH (default 100), OEP_BENCH_RUNS (default 3),
//   OEP_BENCH_FLAG_EVERY (default 10: one event in ten is flagged; 0: none),
//   OEP_BENCH_READBACK_MONITORS (a folder holding the three monitors' .rego files and data.json
//   for the read-back mode, e.g. an earlier version of them; default: the same as in-batch)
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

enum class Mode { kNone, kInBatch, kReadBack };

// One request's ingest in `mode`; the violations it stored are added to *flagged.
bool Ingest(oep::Store& store, const std::string& body, Mode mode, const oep::MonitorSet* monitors, int64_t* flagged) {
  auto ingester = oep::Ingester::Begin(store);
  if (!ingester.ok()) return false;
  if (mode == Mode::kInBatch) (*ingester)->KeepInserted();
  if (!(*ingester)->AddRecordText(body, "body").ok()) return false;
  if (mode == Mode::kInBatch) {
    auto stored = oep::MonitorBatch(*monitors, store, **ingester, "bench");
    if (!stored.ok()) return false;
    *flagged += static_cast<int64_t>(stored->size());
  }
  if (!(*ingester)->Commit().ok()) return false;
  if (mode != Mode::kReadBack) return true;
  auto doc = oep::json::Parse(body);
  std::vector<std::string> ids;
  for (const auto& e : doc->GetArray()) ids.push_back(oep::json::GetString(e, "event_id"));
  auto input = oep::BatchInput(store, ids, {}, {});
  if (!input.ok()) return false;
  auto found = oep::EvaluateMonitors(*monitors, *input);
  if (!found.ok()) return false;
  auto stored = oep::StoreViolations(store, *found, "bench");
  if (!stored.ok()) return false;
  *flagged += static_cast<int64_t>(stored->size());
  return true;
}

// Events per second over `batches` in `mode`.
double Run(const std::string& path, const std::vector<std::string>& batches, int64_t per_batch, Mode mode,
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
    if (!Ingest(**store, body, mode, monitors, flagged)) return -1;
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
  std::string scratch = std::filesystem::temp_directory_path() / ("oep-monitors-bench-" + std::to_string(getpid()));
  // The three monitors with their data.json (tool modes), copied from `dir` into `to`.
  auto load = [&scratch](const std::string& dir, const std::string& to) -> std::unique_ptr<oep::MonitorSet> {
    std::filesystem::create_directories(scratch + "/" + to);
    for (const char* f : {"blocked_tool.rego", "approval_missing.rego", "pii_outbound.rego", "data.json"}) {
      std::filesystem::copy_file(dir + "/" + f, scratch + "/" + to + "/" + f);
    }
    auto monitors = oep::MonitorSet::Load({scratch + "/" + to});
    if (!monitors.ok()) {
      std::cerr << monitors.status().message() << "\n";
      return nullptr;
    }
    return std::move(*monitors);
  };
  const char* before = std::getenv("OEP_BENCH_READBACK_MONITORS");
  std::string dir = oep::RepoRoot() + "/permissions/policy/monitors";
  auto monitors = load(dir, "in-batch");
  auto back_monitors = load(before && *before ? before : dir, "read-back");
  if (!monitors || !back_monitors) return 1;
  std::vector<double> off, in_batch, read_back;
  int64_t flagged_in = 0, flagged_back = 0, ignored = 0;
  for (int64_t r = 0; r < runs; ++r) {
    off.push_back(Run(scratch + "/off.sqlite", batches, per_batch, Mode::kNone, nullptr, &ignored));
    in_batch.push_back(Run(scratch + "/in.sqlite", batches, per_batch, Mode::kInBatch, monitors.get(), &flagged_in));
    read_back.push_back(Run(scratch + "/back.sqlite", batches, per_batch, Mode::kReadBack, back_monitors.get(), &flagged_back));
    if (off.back() < 0 || in_batch.back() < 0 || read_back.back() < 0) {
      std::cerr << "a run failed\n";
      return 1;
    }
  }
  std::filesystem::remove_all(scratch);
  double m_off = oep::bench::Median(off), m_in = oep::bench::Median(in_batch), m_back = oep::bench::Median(read_back);
  std::printf("ingest, %lld events in batches of %lld, median of %lld runs each, alternating\n",
              static_cast<long long>(batches.size() * per_batch), static_cast<long long>(per_batch),
              static_cast<long long>(runs));
  std::printf("  no monitors:                %10.0f events/s\n", m_off);
  std::printf("  three monitors, in-batch:   %10.0f events/s  (%lld violations stored per run)  ratio %.2f (target >= 0.8)\n",
              m_in, static_cast<long long>(flagged_in), m_in / m_off);
  std::printf("  three monitors, read-back:  %10.0f events/s  (%lld violations stored per run)  ratio %.2f (before)\n",
              m_back, static_cast<long long>(flagged_back), m_back / m_off);
  if (before && *before) std::printf("  (read-back with the monitors of %s)\n", before);
  return flagged_in == flagged_back ? 0 : 1;
}
