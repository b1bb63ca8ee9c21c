// ingest, import, demo, dump, digest: evidence into the store and the store's contents out.
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>

#include "cli/cli.h"
#include "demo/demo.h"
#include "importers/mcp.h"
#include "importers/oep_v0.h"
#include "importers/opa_decision_log.h"
#include "importers/agentops_els.h"
#include "importers/otlp.h"
#include "mcp_proxy/mcp_proxy.h"
#include "ingest/ingest.h"
#include "util/progress.h"
#include "redaction/redaction.h"
#include "util/files.h"
#include "util/content_digest.h"
#include "util/paths.h"
#include "verify/verify.h"

namespace oep::cli {
namespace {

int RunIngest(const std::string& state_path, const std::vector<std::string>& paths, const std::string& profile_path) {
  std::optional<RedactionProfile> profile;
  if (!profile_path.empty()) {
    auto text = ReadFile(profile_path);
    if (!text.ok()) return Fail(text.status());
    auto parsed = ParseRedactionProfile(*text, profile_path);
    if (!parsed.ok()) return Fail(parsed.status());
    profile = std::move(*parsed);
  }
  return WriteBatch(Resolve(state_path), [&](Store& store) -> Status {
    auto report = IngestPaths(store, paths, profile ? &*profile : nullptr);
    if (!report.ok()) return report.status();
    std::cout << "ingested " << report->Summary() << " into " << store.path() << "\n";
    return Status::Ok();
  });
}

struct ImportArgs {
  std::string state_path, format, source, run;
  OpaDecisionLogOptions log_options;
};

int RunImport(const ImportArgs& a) {
  if (a.format == "opa-decision-log") {
    return WriteBatch(Resolve(a.state_path), [&](Store& store) -> Status {
      Progress progress(2, "import", "decision-log events read", 0);  // on a terminal only
      OpaDecisionLogOptions options = a.log_options;
      options.progress = [&](int64_t events, int64_t total) {
        progress.SetTotal(total);
        progress.Update(events);
      };
      auto report = ImportOpaDecisionLog(store, a.source, options);
      progress.Finish();
      if (!report.ok()) return report.status();
      std::cout << "imported " << a.source << ": " << report->events << " decision-log events, " << report->imported
                << " as permission packets (" << report->ingest.inserted << " new rows, " << report->ingest.unchanged
                << " already stored), " << report->other_paths << " other decision paths skipped, "
                << report->other_lines << " other log lines skipped; " << report->redacted
                << " with erased or masked input (their re-decisions are evaluative) into " << store.path() << "\n";
      return Status::Ok();
    });
  }
  if (a.format != "oep-v0" && a.format != "otlp" && a.format != "mcp" && a.format != "agentops-els") {
    return Fail(Status::InvalidArgument("unknown import format \"" + a.format +
                                        "\"; expected oep-v0, opa-decision-log, otlp, mcp or agentops-els"));
  }
  if (!a.run.empty() && a.format != "mcp") return Fail(Status::InvalidArgument("--run applies to mcp imports only"));
  if (!a.log_options.manifest_id.empty() || !a.log_options.path.empty()) {
    return Fail(Status::InvalidArgument("--manifest and --path apply to opa-decision-log imports only"));
  }
  if (a.format == "mcp") {
    return WriteBatch(Resolve(a.state_path), [&](Store& store) -> Status {
      auto report = ImportMcpRecording(store, a.source, a.run);
      if (!report.ok()) return report.status();
      std::cout << "imported " << a.source << ": " << report->Summary() << " into " << store.path() << "\n";
      return Status::Ok();
    });
  }
  if (a.format == "agentops-els") {
    return WriteBatch(Resolve(a.state_path), [&](Store& store) -> Status {
      auto report = ImportAgentOpsEls(store, a.source);
      if (!report.ok()) return report.status();
      std::cout << "imported " << a.source << ": " << report->Summary() << " into " << store.path() << "\n";
      return Status::Ok();
    });
  }
  if (a.format == "otlp") {
    return WriteBatch(Resolve(a.state_path), [&](Store& store) -> Status {
      auto report = ImportOtlpFile(store, a.source);
      if (!report.ok()) return report.status();
      std::cout << "imported " << a.source << ": " << report->Summary() << " into " << store.path() << "\n";
      return Status::Ok();
    });
  }
  return WriteBatch(Resolve(a.state_path), [&](Store& store) -> Status {
    auto report = ImportOepV0(store, a.source);
    if (!report.ok()) return report.status();
    std::cout << "imported " << a.source << ": " << report->artifacts << " artifacts, " << report->inputs
              << " OPA inputs, " << report->documents << " documents (" << report->ingest.inserted << " new, "
              << report->ingest.unchanged << " already stored) into " << store.path() << "\n";
    return Status::Ok();
  });
}

int RunDemo(const std::string& state_path, int64_t decisions, uint64_t seed) {
  std::string path = state_path.empty() ? DemoStatePath() : state_path;
  auto build = [&]() -> Result<IngestReport> {
    if (decisions == 0) return BuildDemoStore(RepoRoot(), path);
    Progress progress(2, "demo", "decisions prepared", decisions);  // on a terminal only
    return BuildSyntheticStore(RepoRoot(), path, decisions, seed, [&](int64_t done) { progress.Update(done); });
  };
  auto report = build();
  if (!report.ok()) return Fail(report.status());
  std::cout << "demo store " << path << ": " << report->Summary() << "\n";
  return 0;
}

int RunDump(const std::string& state_path, bool digest_only) {
  auto store = OpenStore(Resolve(state_path), Store::Mode::kReadOnly);
  if (!store.ok()) return Fail(store.status());
  if (digest_only) {
    auto d = DumpDigest(**store);
    if (!d.ok()) return Fail(d.status());
    std::cout << *d << "\n";
    return 0;
  }
  Status s = (*store)->Dump([](std::string_view line) {
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
  });
  return s.ok() ? 0 : Fail(s);
}

int RunDigest(const std::vector<std::string>& paths) {
  for (const auto& p : paths) {
    auto d = ContentDigest(p);
    if (!d.ok()) return Fail(d.status());
    std::cout << *d << "  " << p << "\n";
  }
  return 0;
}

}  // namespace

void AddStoreVerbs(CLI::App& app, int& exit_code) {
  struct Args {
    std::string state_path, redaction_profile;
    std::vector<std::string> paths;
    ImportArgs import;
    McpProxyOptions mcp_proxy;
    int64_t decisions = 0;
    uint64_t seed = 1;
    bool digest_only = false;
  };
  auto a = std::make_shared<Args>();

  auto* ingest = app.add_subcommand("ingest", "validate and store JSON / JSONL artifacts (one transaction)");
  AddStatePath(ingest, &a->state_path);
  AddTenant(ingest);
  ingest->add_option("paths", a->paths, "files or directories")->required();
  ingest->add_option("--redaction-profile", a->redaction_profile,
                     "redact what this profile names before validation and hashing (see src/redaction/redaction.h)");
  ingest->callback([a, &exit_code] { exit_code = RunIngest(a->state_path, a->paths, a->redaction_profile); });

  auto* import = app.add_subcommand("import", "import artifacts of another format");
  AddStatePath(import, &a->import.state_path);
  AddTenant(import);
  import->add_option("format", a->import.format, "oep-v0 (a reference artifact directory) | opa-decision-log (a file) | otlp (OTLP traces: a binary protobuf request, a JSON "
                    "request or JSON Lines of them) | mcp (a recording of oep mcp-proxy) | agentops-els (an AgentOps Replay session log)")->required();
  import->add_option("source", a->import.source, "directory or file to import")->required();
  import->add_option("--manifest", a->import.log_options.manifest_id,
                     "opa-decision-log: the stored release manifest the decisions were made under");
  import->add_option("--path", a->import.log_options.path,
                     "opa-decision-log: import only decisions of this path (e.g. oep/permissions/decision)");
  import->add_option("--run", a->import.run, "mcp: the run id (32 hex; default: from the recording's first line)");
  import->callback([a, &exit_code] { exit_code = RunImport(a->import); });

  auto* proxy = app.add_subcommand("mcp-proxy", "run an MCP server (stdio) behind a proxy that records its JSON-RPC traffic for `oep import mcp`");
  proxy->add_option("--record", a->mcp_proxy.record_path, "append the recording to this file (made with mode 0600)")->required();
  proxy->add_option("command", a->mcp_proxy.command, "-- the MCP server's command and its arguments")->required();
  proxy->callback([a, &exit_code] {
    auto rc = RunMcpProxy(a->mcp_proxy);
    exit_code = rc.ok() ? *rc : Fail(rc.status());
  });

  auto* demo = app.add_subcommand("demo", "generate the demo evidence store (published by atomic rename)");
  auto* demo_file = demo->add_option("--state-path", a->state_path, "store path (default: $OEP_DEMO_STATE_PATH, else demo/state/...)");
  demo->add_option("--store", a->state_path,
                   "store URL: sqlite:PATH, or postgresql://... (a database without evidence or a demo store: filled in "
                   "one transaction)")
      ->excludes(demo_file);
  demo->add_option("--decisions", a->decisions, "add N synthetic decisions (benchmarks)")->check(CLI::NonNegativeNumber);
  demo->add_option("--seed", a->seed, "seed of the synthetic decisions");
  demo->callback([a, &exit_code] { exit_code = RunDemo(a->state_path, a->decisions, a->seed); });

  auto* dump = app.add_subcommand("dump", "print the store's canonical dump (one JSON line per row)");
  AddStatePath(dump, &a->state_path);
  dump->add_flag("--digest", a->digest_only, "print only the dump's sha256");
  dump->callback([a, &exit_code] { exit_code = RunDump(a->state_path, a->digest_only); });

  auto* digest = app.add_subcommand("digest", "print the sha256 digest of files or directory trees");
  digest->add_option("paths", a->paths, "files or directories")->required();
  digest->callback([a, &exit_code] { exit_code = RunDigest(a->paths); });
}

}  // namespace oep::cli
