#include "demo/demo.h"

#include <cstdio>
#include <filesystem>

#include "crypto/sha256.h"
#include "store/store.h"
#include "util/files.h"
#include "util/paths.h"

namespace oep {
namespace {

constexpr const char* kDemoManifest = "rmf_oep_code_review_demo_v0";
constexpr int kStepsPerRun = 10;

// Publishes a fully written store over `state_path`. Stale -wal/-shm files of the old
// store are removed first so SQLite can never pair them with the new file.
Status Publish(const std::string& tmp, const std::string& state_path) {
  std::error_code ec;
  for (const char* suffix : {"-wal", "-shm"}) std::filesystem::remove(state_path + suffix, ec);
  if (std::rename(tmp.c_str(), state_path.c_str()) != 0) {
    RemoveStoreFiles(tmp);
    return Status::IOError("cannot publish " + tmp + " as " + state_path);
  }
  return Status::Ok();
}

// Ok when `state_path` holds nothing or a store `oep demo` generated: anything else (a
// link, a text file, a foreign database, an evidence store) is never replaced. A store
// made before stores were marked is replaceable only at the default demo path of `root`.
Status CheckReplaceable(const std::string& root, const std::string& state_path) {
  std::error_code ec;
  auto st = std::filesystem::symlink_status(state_path, ec);
  if (st.type() == std::filesystem::file_type::not_found) return Status::Ok();
  auto refuse = [&](const std::string& what) {
    return Status::InvalidArgument(state_path + ": " + what + "; oep demo replaces only a store it generated "
                                                              "(remove it or choose another --state-path)");
  };
  if (ec) return Status::IOError(state_path + ": cannot stat: " + ec.message());
  if (st.type() == std::filesystem::file_type::symlink) return refuse("a symbolic link, never written through");
  if (st.type() != std::filesystem::file_type::regular) return refuse("not a regular file");
  auto store = Store::Open(state_path, Store::Mode::kReadOnly);
  if (!store.ok()) return refuse("not a store oep demo generated (" + store.status().message() + ")");
  if ((*store)->generated_demo()) return Status::Ok();
  if (!(*store)->stamped() && std::filesystem::equivalent(state_path, DefaultDemoStatePath(root), ec)) {
    return Status::Ok();  // an unmarked demo store from before stores were marked
  }
  return refuse("an evidence store oep demo did not generate");
}

// Ingests what `fill` adds into `store` and marks it as a generated demo store, all in
// one batch (nothing of it is stored when any step fails).
template <typename Fill>
Result<IngestReport> FillDemoStore(Store& store, Fill& fill) {
  auto ingester = Ingester::Begin(store);
  if (!ingester.ok()) return ingester.status();
  Status s = fill(**ingester);
  if (s.ok()) s = store.MarkGeneratedDemo();
  if (s.ok()) s = (*ingester)->Commit();
  if (!s.ok()) return s;
  return (*ingester)->report();
}

// Ok when the PostgreSQL database `url` holds no oep store, an oep store without ledger
// entries, or a store oep demo generated; read only, so a refused store is left as it was.
Status CheckFillable(const std::string& url) {
  auto store = Store::Open(url, Store::Mode::kReadOnly);
  if (!store.ok()) return Status::Ok();  // no oep store (else opening it to write says why not)
  if ((*store)->generated_demo()) return Status::Ok();
  auto entries = (*store)->LedgerEntryCount();
  if (!entries.ok()) return entries.status();
  if (*entries == 0) return Status::Ok();
  return Status::InvalidArgument(url + ": an evidence store oep demo did not generate; on PostgreSQL oep demo fills "
                                       "only a database without evidence or one it generated (choose another --store)");
}

// A PostgreSQL demo store is filled in place, in one transaction (a reader sees the whole
// scenario or none of it): its tables are append-only, so nothing is replaced, and the
// scenario again over a store oep demo generated changes nothing.
template <typename Fill>
Result<IngestReport> BuildInDatabase(const std::string& url, Fill& fill) {
  OEP_RETURN_IF_ERROR(CheckFillable(url));
  auto store = Store::Open(url, Store::Mode::kReadWrite);
  if (!store.ok()) return store.status();
  return FillDemoStore(**store, fill);
}

template <typename Fill>
Result<IngestReport> BuildAndPublish(const std::string& root, const std::string& state_url, Fill fill) {
  if (IsPostgresUrl(state_url)) return BuildInDatabase(state_url, fill);
  std::string state_path = SqliteFilePath(state_url);
  OEP_RETURN_IF_ERROR(CheckReplaceable(root, state_path));
  std::error_code ec;
  auto parent = std::filesystem::path(state_path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  RemoveStaleTempSiblings(state_path);  // stores of killed runs
  std::string tmp = TempSiblingPath(state_path);
  IngestReport report;
  {
    auto store = Store::Open(tmp, Store::Mode::kReadWrite);
    if (!store.ok()) return store.status();
    auto filled = FillDemoStore(**store, fill);
    if (!filled.ok()) {
      store->reset();
      RemoveStoreFiles(tmp);
      return filled.status();
    }
    report = *filled;
  }  // closing the last connection checkpoints the WAL into the file
  OEP_RETURN_IF_ERROR(Publish(tmp, state_path));
  return report;
}

// SplitMix64: a small deterministic generator (no std:: distributions, whose output
// differs between standard libraries).
struct Rng {
  uint64_t state;
  uint64_t Next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  uint64_t Below(uint64_t n) { return Next() % n; }
};

struct SyntheticTool {
  const char* name;
  const char* operation;
  const char* resource_type;
  bool mutable_resource;
};

constexpr SyntheticTool kTools[] = {
    {"read_diff", "read", "pull_request_diff", false},
    {"read_file", "read", "repository_file", false},
    {"list_files", "read", "repository_tree", false},
    {"write_file", "write", "repository_file", true},
    {"exec_shell", "execute", "sandbox", true},
};

struct Decided {
  bool allow;
  const char* rule;
  const char* reason;
  const char* code;
};

// Mirrors permissions/policy/tool_permissions.rego for the synthetic inputs, so that
// replaying synthetic decisions under the demo policy changes nothing.
Decided DecideLikeDemoPolicy(const SyntheticTool& t, bool approved) {
  std::string op = t.operation;
  if (op == "read" && !t.mutable_resource) {
    return {true, "allow_read_only_review_tools", "review agents may call read-only tools on immutable resources",
            "ALLOW_READ_ONLY"};
  }
  if (op == "write") {
    return approved ? Decided{true, "allow_approved_write", "a human approved this write", "ALLOW_APPROVED_WRITE"}
                    : Decided{false, "deny_write_without_approval",
                              "writes to the repository need a recorded human approval", "DENY_WRITE_NEEDS_APPROVAL"};
  }
  return {false, "deny_by_default", "no rule allows this tool call", "DENY_DEFAULT"};
}

std::string Hex(uint64_t v, int width) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%0*llx", width, static_cast<unsigned long long>(v));
  return buf;
}

std::string Timestamp(int64_t seconds_since_start) {
  // Synthetic runs start 2026-11-01T00:00:00Z and take one second per step.
  int64_t s = seconds_since_start;
  int64_t day = s / 86400, rem = s % 86400;
  char buf[32];
  std::snprintf(buf, sizeof buf, "2026-11-%02lldT%02lld:%02lld:%02lldZ", static_cast<long long>(1 + day % 28),
                static_cast<long long>(rem / 3600), static_cast<long long>(rem / 60 % 60),
                static_cast<long long>(rem % 60));
  return buf;
}

struct SyntheticStep {
  int64_t index;
  std::string id, trace_id, span_id, time, agent, tool_call_id;
  const SyntheticTool* tool;
  bool approved;
  double run_cost;
};

SyntheticStep MakeStep(int64_t i, uint64_t seed) {
  Rng rng{seed ^ (static_cast<uint64_t>(i) * 0x2545F4914F6CDD1DULL)};
  SyntheticStep s;
  s.index = i;
  s.id = Hex(static_cast<uint64_t>(i), 8);
  int64_t run = i / kStepsPerRun;
  s.trace_id = Hex(seed, 16) + Hex(static_cast<uint64_t>(run), 16);
  s.span_id = Hex(static_cast<uint64_t>(i) + 1, 16);
  s.time = Timestamp(i);
  s.agent = "agent_synthetic_" + std::to_string(run % 16);
  s.tool = &kTools[rng.Below(5)];
  s.approved = rng.Below(4) == 0;
  s.tool_call_id = "tc_syn_" + s.id;
  s.run_cost = 0.01 * static_cast<double>(i % kStepsPerRun + 1);
  return s;
}

std::string EventJson(const SyntheticStep& s) {
  std::string step = std::to_string(s.index % kStepsPerRun + 1);
  return std::string("{\"schema_version\":\"oep.agent_step_event.v0\",\"event_id\":\"evt_syn_") + s.id +
         "\",\"event_time\":\"" + s.time + "\",\"event_type\":\"tool_call.decided\",\"release_manifest_id\":\"" +
         kDemoManifest + "\",\"trace_id\":\"" + s.trace_id + "\",\"span_id\":\"" + s.span_id +
         "\",\"parent_span_id\":null,\"checkpoint\":{\"name\":\"review.step\",\"sequence\":" + step +
         ",\"state\":\"after\"},\"actor\":{\"type\":\"agent\",\"id\":\"" + s.agent +
         "\"},\"action\":{\"action_type\":\"tool_call\",\"name\":\"" + s.tool->name + "\"},\"tool_call_id\":\"" +
         s.tool_call_id + "\",\"permission_packet_ref\":\"pder_syn_" + s.id +
         "\",\"replay_handle\":null,\"budget\":{\"step_cost_usd\":0.01,\"run_cost_usd\":" +
         std::to_string(s.run_cost).substr(0, 4) + ",\"step_tokens\":400},\"evidence_loss\":[],\"outcome\":{\"status\":\"" +
         "completed\",\"summary\":\"synthetic step\"}}";
}

std::string PacketJson(const SyntheticStep& s, const std::string& bundle_digest) {
  Decided d = DecideLikeDemoPolicy(*s.tool, s.approved);
  std::string approval = s.approved ? "{\"outcome\":\"approved\",\"approver\":{\"type\":\"human\",\"id\":\"user_oncall\"}}"
                                    : "null";
  std::string resource = std::string("{\"type\":\"") + s.tool->resource_type + "\",\"id\":\"res_" + s.id +
                         "\",\"mutable\":" + (s.tool->mutable_resource ? "true" : "false") + "}";
  std::string actor = "{\"type\":\"agent\",\"id\":\"" + s.agent + "\"}";
  std::string tool = std::string("{\"name\":\"") + s.tool->name + "\",\"operation\":\"" + s.tool->operation +
                     "\",\"version\":\"0.1.0\"}";
  std::string input = std::string("{\"release_manifest_id\":\"") + kDemoManifest + "\",\"event_id\":\"evt_syn_" +
                      s.id + "\",\"tool_call_id\":\"" + s.tool_call_id + "\",\"actor\":" + actor +
                      ",\"tool\":" + tool + ",\"resource\":" + resource + ",\"approval\":" + approval +
                      ",\"run\":{\"step\":" + std::to_string(s.index % kStepsPerRun + 1) +
                      ",\"cost_usd_so_far\":" + std::to_string(s.run_cost).substr(0, 4) + "}}";
  return std::string("{\"schema_version\":\"oep.tool_permission_packet.v0\",\"packet_id\":\"pder_syn_") + s.id +
         "\",\"decision_time\":\"" + s.time + "\",\"release_manifest_id\":\"" + kDemoManifest +
         "\",\"event_id\":\"evt_syn_" + s.id + "\",\"tool_call_id\":\"" + s.tool_call_id + "\",\"trace_id\":\"" +
         s.trace_id + "\",\"span_id\":\"" + s.span_id + "\",\"actor\":" + actor + ",\"tool\":" + tool +
         ",\"requested_action\":{\"action_type\":\"tool_call\",\"name\":\"" + s.tool->name +
         "\"},\"resource\":" + resource + ",\"decision\":{\"allow\":" + (d.allow ? "true" : "false") +
         ",\"matched_rule\":\"" + d.rule + "\",\"reason\":\"" + d.reason + "\",\"decision_code\":\"" + d.code +
         "\"},\"policy\":{\"engine\":\"opa\",\"package\":\"data.oep.permissions\",\"policy_id\":\"oep-demo-tool-"
         "permissions\",\"policy_version\":\"0.1.0\",\"query\":\"data.oep.permissions.decision\"},\"policy_bundle_version\":\"" +
         bundle_digest +
         "\",\"opa_input\":" + input + ",\"approval_capture\":null,\"scoped_credential_lifetime\":\"PT15M\"}";
}

std::string TraceJson(int64_t first_step, int64_t steps, uint64_t seed) {
  SyntheticStep head = MakeStep(first_step, seed);
  std::string spans;
  for (int64_t i = first_step; i < first_step + steps; ++i) {
    SyntheticStep s = MakeStep(i, seed);
    spans += (spans.empty() ? "" : ",") + std::string("{\"span_id\":\"") + s.span_id + "\",\"name\":\"tool." +
             s.tool->name + "\",\"status\":\"completed\",\"event_id\":\"evt_syn_" + s.id +
             "\",\"permission_packet_id\":\"pder_syn_" + s.id + "\",\"tool_call_id\":\"" + s.tool_call_id + "\"}";
  }
  return std::string("{\"schema_version\":\"oep.operational_trace.v0\",\"trace_id\":\"") + head.trace_id +
         "\",\"release_manifest_id\":\"" + kDemoManifest + "\",\"scenario\":\"synthetic\",\"status\":\"completed\"," +
         "\"started_at\":\"" + head.time + "\",\"ended_at\":\"" + MakeStep(first_step + steps - 1, seed).time +
         "\",\"spans\":[" + spans + "],\"evidence_loss\":[]}";
}

// Stores provenance relative to the repository root, so the store is the same
// wherever the repository is checked out.
Status AddDemoFiles(Ingester& in, const std::string& root, const std::vector<std::string>& files) {
  for (const auto& f : files) {
    OEP_RETURN_IF_ERROR(in.AddFile(f, std::filesystem::path(f).lexically_relative(root).generic_string()));
  }
  return Status::Ok();
}

}  // namespace

std::vector<std::string> DemoArtifactDirs(const std::string& root) {
  return {root + "/manifest/examples", root + "/events/examples", root + "/permissions/examples",
          root + "/traces/examples", root + "/playbooks/examples"};
}

Result<IngestReport> BuildDemoStore(const std::string& root, const std::string& state_path) {
  auto files = ExpandPaths(DemoArtifactDirs(root));
  if (!files.ok()) return files.status();
  return BuildAndPublish(root, state_path, [&](Ingester& in) { return AddDemoFiles(in, root, *files); });
}

std::string SyntheticEventsJsonl(int64_t first, int64_t events, uint64_t seed) {
  std::string out;
  out.reserve(static_cast<size_t>(events) * 720);
  for (int64_t i = first; i < first + events; ++i) out += EventJson(MakeStep(i, seed)) + "\n";
  return out;
}

Result<IngestReport> BuildSyntheticStore(const std::string& root, const std::string& state_path, int64_t decisions,
                                         uint64_t seed, const std::function<void(int64_t done)>& progress) {
  auto files = ExpandPaths(DemoArtifactDirs(root));
  if (!files.ok()) return files.status();
  auto policy = ReadFile(root + "/permissions/policy/tool_permissions.rego");
  if (!policy.ok()) return policy.status();
  std::string bundle_digest = crypto::Sha256Digest(*policy);
  return BuildAndPublish(root, state_path, [&](Ingester& in) {
    OEP_RETURN_IF_ERROR(AddDemoFiles(in, root, *files));
    // Synthetic records go through the same JSONL path as `oep ingest`, in blocks;
    // their provenance is "synthetic:<line>" of one virtual JSONL stream.
    constexpr int64_t kBlock = 20000;
    int line = 0;
    for (int64_t block = 0; block < decisions; block += kBlock) {
      std::vector<std::string> texts;
      for (int64_t i = block; i < std::min(decisions, block + kBlock); ++i) {
        SyntheticStep s = MakeStep(i, seed);
        texts.push_back(EventJson(s));
        texts.push_back(PacketJson(s, bundle_digest));
        if (i % kStepsPerRun == kStepsPerRun - 1 || i == decisions - 1) {
          int64_t first = i - i % kStepsPerRun;
          texts.push_back(TraceJson(first, i - first + 1, seed));
        }
      }
      std::vector<Ingester::Line> lines;
      lines.reserve(texts.size());
      for (auto& t : texts) lines.push_back({t.data(), t.size(), ++line});
      OEP_RETURN_IF_ERROR(in.AddLines("synthetic", lines));
      if (progress) progress(std::min(decisions, block + kBlock));
    }
    return Status::Ok();
  });
}

}  // namespace oep
