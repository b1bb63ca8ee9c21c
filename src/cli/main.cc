// oep: the command line. Each verb parses its options, makes one library call, prints,
// and returns an exit code: 0 ok, 1 not found / check failed, 2 bad input or error.
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <unistd.h>

#include <CLI/CLI.hpp>

#include "demo/demo.h"
#include "importers/oep_v0.h"
#include "importers/opa_decision_log.h"
#include "ingest/ingest.h"
#include "json/json.h"
#include "replay/counterfactual.h"
#include "replay/impact.h"
#include "replay/impact_runs.h"
#include "replay/replay.h"
#include "store/store.h"
#include "util/content_digest.h"
#include "util/paths.h"
#include "ledger/ledger.h"
#include "rego/conformance.h"
#include "rego/opa_cli.h"
#include "verify/chain_verify.h"
#include "verify/els_verify.h"
#include "verify/verify.h"

namespace oep {
namespace {

int Fail(const Status& s) {
  std::cerr << "oep: " << s.message() << "\n";
  return s.exit_code();
}

void AddStatePath(CLI::App* cmd, std::string* path) {
  cmd->add_option("--state-path", *path, "evidence store (default: $OEP_STATE_PATH, else the demo store)");
}

std::string Resolve(const std::string& state_path) { return state_path.empty() ? DefaultStatePath() : state_path; }

// Ingest and import write one batch; a store the batch created is removed again when
// the batch fails, so a failed first ingest leaves nothing behind.
template <typename Fn>
int WriteBatch(const std::string& path, Fn fn) {
  bool existed = std::filesystem::exists(path);
  Status s;
  {
    auto store = Store::Open(path, Store::Mode::kReadWrite);
    if (!store.ok()) return Fail(store.status());
    s = fn(**store);
  }
  if (!s.ok()) {
    if (!existed) RemoveStoreFiles(path);
    return Fail(s);
  }
  return 0;
}

int RunIngest(const std::string& state_path, const std::vector<std::string>& paths) {
  return WriteBatch(Resolve(state_path), [&](Store& store) -> Status {
    auto report = IngestPaths(store, paths);
    if (!report.ok()) return report.status();
    std::cout << "ingested " << report->Summary() << " into " << store.path() << "\n";
    return Status::Ok();
  });
}

int RunImport(const std::string& state_path, const std::string& format, const std::string& source,
              const OpaDecisionLogOptions& log_options) {
  if (format == "opa-decision-log") {
    return WriteBatch(Resolve(state_path), [&](Store& store) -> Status {
      auto report = ImportOpaDecisionLog(store, source, log_options);
      if (!report.ok()) return report.status();
      std::cout << "imported " << source << ": " << report->events << " decision-log events, " << report->imported
                << " as permission packets (" << report->ingest.inserted << " new rows, " << report->ingest.unchanged
                << " already stored), " << report->other_paths << " other decision paths skipped, "
                << report->other_lines << " other log lines skipped; " << report->redacted
                << " with erased or masked input (their re-decisions are evaluative) into " << store.path() << "\n";
      return Status::Ok();
    });
  }
  if (format != "oep-v0") {
    return Fail(Status::InvalidArgument("unknown import format \"" + format + "\"; expected oep-v0 or opa-decision-log"));
  }
  if (!log_options.manifest_id.empty() || !log_options.path.empty()) {
    return Fail(Status::InvalidArgument("--manifest and --path apply to opa-decision-log imports only"));
  }
  return WriteBatch(Resolve(state_path), [&](Store& store) -> Status {
    auto report = ImportOepV0(store, source);
    if (!report.ok()) return report.status();
    std::cout << "imported " << source << ": " << report->artifacts << " artifacts, " << report->inputs
              << " OPA inputs, " << report->documents << " documents (" << report->ingest.inserted << " new, "
              << report->ingest.unchanged << " already stored) into " << store.path() << "\n";
    return Status::Ok();
  });
}

// Prints a record (or one --field of it) as json (indented), jsonl (one canonical line) or
// human (`render` for the whole record; a field's value raw).
int PrintRecord(const rapidjson::Value& record, const std::string& field, const std::string& format,
                std::string (*render)(const rapidjson::Value&)) {
  const rapidjson::Value* value = &record;
  if (!field.empty()) {
    value = json::FindDotted(record, field);
    if (value == nullptr) {
      std::string fields;
      for (const auto& m : record.GetObject()) fields += std::string(fields.empty() ? "" : ", ") + m.name.GetString();
      return Fail(Status::InvalidArgument("--field " + field + ": not in the record; top-level fields: " + fields));
    }
  }
  std::string out;
  if (format == "human") {
    if (field.empty()) out = render(*value);
    else out = (value->IsString() ? std::string(value->GetString()) : json::CanonicalOrDie(*value)) + "\n";
  } else {
    Status s = json::Canonicalize(*value, &out, format == "json" ? 2 : 0);
    if (!s.ok()) return Fail(s);
    out += "\n";
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

int RunReplay(const std::string& state_path, const std::string& id, const std::string& field,
              const std::string& format) {
  auto store = Store::Open(Resolve(state_path), Store::Mode::kReadOnly);
  if (!store.ok()) return Fail(store.status());
  auto record = ReplayDecision(**store, id);
  if (!record.ok()) return Fail(record.status());
  return PrintRecord(*record, field, format, RenderReplayHuman);
}

int RunCounterfactual(const std::string& state_path, const std::string& id, const std::string& field,
                      const std::string& format, const CounterfactualOptions& options) {
  if (options.policy_bundle.empty()) {
    return Fail(Status::InvalidArgument("--counterfactual needs --policy-bundle FILE.rego|DIR"));
  }
  auto store = Store::Open(Resolve(state_path), Store::Mode::kReadOnly);
  if (!store.ok()) return Fail(store.status());
  auto record = CounterfactualReplay(**store, id, options);
  if (!record.ok()) return Fail(record.status());
  int rc = PrintRecord(*record, field, format, RenderCounterfactualHuman);
  const rapidjson::Value* agree = json::FindDotted(*record, "engine_comparison.agree");
  if (rc == 0 && agree && agree->IsBool() && !agree->GetBool()) {
    std::cerr << "oep: the native and OPA engines disagree on " << id << "\n";
    return 1;
  }
  return rc;
}

std::string NowUtc() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

struct ImpactSave {
  bool save = false;
  std::string label;
};

// Re-decides on a read-only connection; --save then stores the report in one write batch,
// so a failed run leaves the store untouched.
int RunImpactVerb(const std::string& state_path, ImpactOptions options, bool as_json, const ImpactSave& save) {
  if (options.policy_bundle.empty()) {
    return Fail(Status::InvalidArgument("impact needs --policy-bundle FILE.rego|DIR (or `oep impact list|show`)"));
  }
  if (!save.save && !save.label.empty()) return Fail(Status::InvalidArgument("--label names a saved run; add --save"));
  auto batch = BatchSizeFromEnv();
  if (!batch.ok()) return Fail(batch.status());
  options.batch_size = *batch;
  std::string path = Resolve(state_path);
  Result<ImpactReport> report = Status::Ok();
  {
    auto store = Store::Open(path, Store::Mode::kReadOnly);
    if (!store.ok()) return Fail(store.status());
    bool tty = ::isatty(2);
    report = RunImpact(**store, options, [&](int64_t done) {
      if (tty) std::cerr << "\r" << done << " decisions re-decided" << std::flush;
    });
    if (tty) std::cerr << "\n";
  }
  if (!report.ok()) return Fail(report.status());
  std::cout << (as_json ? report->ToJson() + "\n" : report->RenderHuman());
  if (!save.save) return 0;
  return WriteBatch(path, [&](Store& store) -> Status {
    auto run = SaveImpactRun(store, *report, NowUtc(), save.label);
    if (!run.ok()) return run.status();
    (as_json ? std::cerr : std::cout) << "saved as counterfactual run " << run->run_id << " (oep impact show "
                                      << run->run_id << ")\n";
    return Status::Ok();
  });
}

int RunImpactList(const std::string& state_path, bool as_json) {
  auto store = Store::Open(Resolve(state_path), Store::Mode::kReadOnly);
  if (!store.ok()) return Fail(store.status());
  auto runs = ListImpactRuns(**store);
  if (!runs.ok()) return Fail(runs.status());
  if (as_json) {
    std::string out = "[";
    for (size_t i = 0; i < runs->size(); ++i) out += (i ? "," : "") + (*runs)[i].ToJson();
    std::cout << out << "]\n";
  } else if (runs->empty()) {
    std::cout << "no saved counterfactual runs in " << (*store)->path()
              << " (save one with `oep impact --policy-bundle B --save`)\n";
  } else {
    std::cout << RenderImpactRunList(*runs);
  }
  return 0;
}

int RunImpactShow(const std::string& state_path, const std::string& run_id, bool as_json) {
  auto store = Store::Open(Resolve(state_path), Store::Mode::kReadOnly);
  if (!store.ok()) return Fail(store.status());
  auto run = LoadImpactRun(**store, run_id);
  if (!run.ok()) return Fail(run.status());
  std::cout << (as_json ? run->ToJson() + "\n" : run->RenderHuman());
  return 0;
}

int RunVerify(const std::string& state_path) {
  std::string root = RepoRoot();
  VerifyReport report;
  if (state_path.empty()) {
    std::error_code ec;
    auto scratch = std::filesystem::temp_directory_path() / ("oep-verify-" + std::to_string(::getpid()));
    std::filesystem::create_directories(scratch, ec);
    report = VerifyDemo(root, scratch.string());
    std::filesystem::remove_all(scratch, ec);
  } else {
    auto store = Store::Open(state_path, Store::Mode::kReadOnly);
    if (!store.ok()) return Fail(store.status());
    report = VerifyStore(**store, root);
  }
  std::cout << report.Render();
  return report.ok() ? 0 : 1;
}

struct ChainOptions {
  bool chain = false;
  std::string run;
  bool reject_local = false;
  bool all_chains = false;
  std::string els_file;
};

int RunVerifyChain(const std::string& state_path, const ChainOptions& o) {
  auto store = Store::Open(Resolve(state_path), Store::Mode::kReadOnly);
  if (!store.ok()) return Fail(store.status());
  auto report = VerifyChains(**store, o.run.empty() ? "" : (o.run.rfind("run:", 0) == 0 || o.run == "store" ? o.run : "run:" + o.run));
  if (!report.ok()) return Fail(report.status());
  std::cout << report->Render(o.all_chains || !o.run.empty(), o.reject_local);
  return report->ok(o.reject_local) ? 0 : 1;
}

int RunVerifyEls(const std::string& file, bool reject_local) {
  auto report = VerifyAgentOpsEls(file);
  if (!report.ok()) return Fail(report.status());
  std::cout << report->Render();
  if (!report->ok()) return 1;
  return reject_local && report->evidence_class == "NON_AUTHORITATIVE_EVIDENCE" ? 1 : 0;
}

int RunSeal(const std::string& state_path, const std::string& chain, std::string key, const std::string& authority,
            std::string sealed_at) {
  if (key.empty() && std::getenv("OEP_SEAL_KEY_PATH")) key = std::getenv("OEP_SEAL_KEY_PATH");
  if (key.empty()) return Fail(Status::InvalidArgument("no seal key: pass --key FILE or set OEP_SEAL_KEY_PATH"));
  auto store = Store::Open(Resolve(state_path), Store::Mode::kReadWrite);
  if (!store.ok()) return Fail(store.status());
  std::string summary;
  Status s = SealChain(**store, chain, key, authority, sealed_at.empty() ? NowUtc() : sealed_at, &summary);
  if (!s.ok()) return Fail(s);
  std::cout << summary << "\n";
  return 0;
}

int RunChainEvent(const std::string& state_path, const std::string& chain, const std::string& kind,
                  const std::string& payload) {
  auto store = Store::Open(Resolve(state_path), Store::Mode::kReadWrite);
  if (!store.ok()) return Fail(store.status());
  Status s = RecordChainEvent(**store, chain, kind, payload);
  if (!s.ok()) return Fail(s);
  std::cout << "recorded " << kind << " in " << chain << ": " << payload << "\n";
  return 0;
}

int RunConformance(const std::string& dir, int floor, size_t max_failures) {
  auto report = rego::RunConformance(dir);
  if (!report.ok()) return Fail(report.status());
  std::cout << report->Render(max_failures);
  if (report->passed() < floor) {
    std::cout << "below the conformance floor of " << floor << " passing cases\n";
    return 1;
  }
  return 0;
}

int RunDemo(const std::string& state_path, int64_t decisions, uint64_t seed) {
  std::string path = state_path.empty() ? DemoStatePath() : state_path;
  auto report = decisions > 0 ? BuildSyntheticStore(RepoRoot(), path, decisions, seed) : BuildDemoStore(RepoRoot(), path);
  if (!report.ok()) return Fail(report.status());
  std::cout << "demo store " << path << ": " << report->Summary() << "\n";
  return 0;
}

int RunDump(const std::string& state_path, bool digest_only) {
  auto store = Store::Open(Resolve(state_path), Store::Mode::kReadOnly);
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
}  // namespace oep

int main(int argc, char** argv) {
  using namespace oep;
  CLI::App app{"oep: an embedded evidence plane for AI agents"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("oep ") + OEP_VERSION);
  std::string state_path, field, format = "json", import_format, import_dir;
  std::vector<std::string> paths;
  std::string decision_id;
  int64_t decisions = 0;
  uint64_t seed = 1;
  bool digest_only = false;

  auto* ingest = app.add_subcommand("ingest", "validate and store JSON / JSONL artifacts (one transaction)");
  AddStatePath(ingest, &state_path);
  ingest->add_option("paths", paths, "files or directories")->required();

  auto* import = app.add_subcommand("import", "import artifacts of another format");
  AddStatePath(import, &state_path);
  import->add_option("format", import_format, "oep-v0 (a reference artifact directory) | opa-decision-log (a file)")->required();
  import->add_option("source", import_dir, "directory or file to import")->required();
  OpaDecisionLogOptions log_options;
  import->add_option("--manifest", log_options.manifest_id, "opa-decision-log: the stored release manifest the decisions were made under");
  import->add_option("--path", log_options.path, "opa-decision-log: import only decisions of this path (e.g. oep/permissions/decision)");

  auto* replay = app.add_subcommand("replay", "reconstruct one decision from the store (read-only)");
  AddStatePath(replay, &state_path);
  replay->add_option("decision_id", decision_id, "decision id (pder_...)")->required();
  replay->add_option("--field", field, "print one field of the record (dotted path, e.g. decision.allow)");
  std::string replay_format;
  replay->add_option("--output-format", replay_format, "json | jsonl | human (default: json; human with --counterfactual)")
      ->check(CLI::IsMember({"json", "jsonl", "human"}));
  bool counterfactual = false;
  CounterfactualOptions cf;
  replay->add_flag("--counterfactual", counterfactual, "re-decide under --policy-bundle (also OEP_REPLAY_MODE=counterfactual)");
  replay->add_option("--policy-bundle", cf.policy_bundle, "substituted policy: a .rego file or a bundle directory");
  replay->add_option("--query", cf.query, "decision query (default data.oep.permissions.decision)");
  replay->add_option("--engine", cf.engine, "native | opa | both | auto (opa when a binary is found)")
      ->check(CLI::IsMember({"native", "opa", "both", "auto"}));
  replay->add_option("--replay-timestamp-utc", cf.replay_timestamp_utc, "fixed replay timestamp for byte-identical output");
  replay->add_flag("--strip-exclusions", cf.strip_exclusions, "omit the fields listed in determinism_exclusions");

  ChainOptions chain_opts;
  auto* verify = app.add_subcommand("verify", "check joins, digests, schemas and determinism; or the ledger");
  verify->add_option("--state-path", state_path, "verify this store instead of regenerating the demo");
  verify->add_flag("--chain", chain_opts.chain, "verify the ledger's hash chains and classify the evidence");
  verify->add_option("--run", chain_opts.run, "with --chain: only this run's chain (trace id or chain id)");
  verify->add_flag("--all-chains", chain_opts.all_chains, "with --chain: one line for every chain");
  verify->add_flag("--reject-local-authority", chain_opts.reject_local, "fail on NON_AUTHORITATIVE evidence");
  verify->add_option("--agentops-els", chain_opts.els_file, "verify an AgentOps Replay ELS session log (JSONL)");

  std::string chain, key, authority = "server", sealed_at, reason;
  int64_t count = 0, first_seq = -1, last_seq = -1;
  auto* seal = app.add_subcommand("seal", "seal a ledger chain with an Ed25519 authority key");
  AddStatePath(seal, &state_path);
  seal->add_option("--chain", chain, "chain id (run:<trace_id> or store)")->required();
  seal->add_option("--key", key, "Ed25519 private key, PEM (default: $OEP_SEAL_KEY_PATH)");
  seal->add_option("--authority", authority, "server | local")->check(CLI::IsMember({"server", "local"}));
  seal->add_option("--sealed-at", sealed_at, "seal time, RFC 3339 (default: now)");

  auto* ledger = app.add_subcommand("ledger", "record evidence loss in a chain");
  ledger->require_subcommand(1);
  auto* drop = ledger->add_subcommand("drop", "record that events were dropped");
  AddStatePath(drop, &state_path);
  drop->add_option("--chain", chain, "chain id")->required();
  drop->add_option("--count", count, "how many events were lost")->required()->check(CLI::PositiveNumber);
  drop->add_option("--reason", reason, "why")->required();
  drop->add_option("--first-seq", first_seq, "first lost sequence number at the source");
  drop->add_option("--last-seq", last_seq, "last lost sequence number at the source");
  auto* brk = ledger->add_subcommand("break", "record a break in the chain's continuity");
  AddStatePath(brk, &state_path);
  brk->add_option("--chain", chain, "chain id")->required();
  brk->add_option("--reason", reason, "why")->required();

  auto* demo = app.add_subcommand("demo", "generate the demo evidence store (published by atomic rename)");
  demo->add_option("--state-path", state_path, "store path (default: $OEP_DEMO_STATE_PATH, else demo/state/...)");
  demo->add_option("--decisions", decisions, "add N synthetic decisions (benchmarks)")->check(CLI::NonNegativeNumber);
  demo->add_option("--seed", seed, "seed of the synthetic decisions");

  auto* dump = app.add_subcommand("dump", "print the store's canonical dump (one JSON line per row)");
  AddStatePath(dump, &state_path);
  dump->add_flag("--digest", digest_only, "print only the dump's sha256");

  auto* digest = app.add_subcommand("digest", "print the sha256 digest of files or directory trees");
  digest->add_option("paths", paths, "files or directories")->required();

  ImpactOptions impact_opts;
  bool impact_json = false;
  auto* impact = app.add_subcommand("impact", "re-decide stored decisions under a substituted policy: what flips");
  AddStatePath(impact, &state_path);
  impact->add_option("--policy-bundle", impact_opts.policy_bundle, "substituted policy: .rego file or bundle directory");
  impact->add_option("--query", impact_opts.query, "decision query (default data.oep.permissions.decision)");
  impact->add_option("--since", impact_opts.filter.since, "only decisions at or after this RFC 3339 time");
  impact->add_option("--until", impact_opts.filter.until, "only decisions at or before this RFC 3339 time");
  impact->add_option("--tool", impact_opts.filter.tool, "only decisions about this tool");
  impact->add_option("--actor", impact_opts.filter.actor, "only decisions of this actor id");
  impact->add_option("--limit", impact_opts.examples, "flipped decision ids listed per transition")->check(CLI::NonNegativeNumber);
  impact->add_flag("--json", impact_json, "machine-readable report");
  impact->add_option("--engine", impact_opts.engine, "native | opa | auto")->check(CLI::IsMember({"native", "opa", "auto"}));
  ImpactSave impact_save;
  impact->add_flag("--save", impact_save.save, "store the report as a counterfactual run (see `oep impact list`)");
  impact->add_option("--label", impact_save.label, "a note saved with the run");
  impact->require_subcommand(0, 1);
  auto* impact_list = impact->add_subcommand("list", "saved counterfactual runs, oldest first");
  AddStatePath(impact_list, &state_path);
  impact_list->add_flag("--json", impact_json, "the stored runs as a JSON array");
  std::string run_id;
  auto* impact_show = impact->add_subcommand("show", "one saved counterfactual run");
  AddStatePath(impact_show, &state_path);
  impact_show->add_option("run_id", run_id, "the run's id (cfr_...)")->required();
  impact_show->add_flag("--json", impact_json, "the stored run as JSON");

  auto* rego_cmd = app.add_subcommand("rego", "the native Rego engine");
  rego_cmd->require_subcommand(1);
  std::string conformance_dir;
  int floor = 0;
  size_t max_failures = 50;
  auto* conformance = rego_cmd->add_subcommand("conformance", "run OPA's conformance cases and report pass counts");
  conformance->add_option("dir", conformance_dir, "directory of case files (opa-compliance/v1)")->required();
  conformance->add_option("--floor", floor, "fail (exit 1) when fewer cases pass");
  conformance->add_option("--max-failures", max_failures, "failing cases to list");

  rego::OpaEvalOptions eval_opts;
  std::string input_file;
  bool v0_compatible = false;
  std::string eval_format = "json";
  auto* rego_eval = rego_cmd->add_subcommand("eval", "evaluate a query (the subset of `opa eval` oep uses)");
  rego_eval->add_option("-d,--data,-b,--bundle", eval_opts.data, "policy / data file or directory");
  rego_eval->add_option("-i,--input", input_file, "input document (JSON)");
  rego_eval->add_flag("--stdin-input,-I", eval_opts.stdin_input, "read the input document from stdin");
  rego_eval->add_option("-f,--format", eval_format, "json")->check(CLI::IsMember({"json"}));
  rego_eval->add_flag("--fail", eval_opts.fail, "exit 1 when the result is undefined");
  rego_eval->add_flag("--fail-defined", eval_opts.fail_defined, "exit 1 when the result is defined");
  rego_eval->add_flag("--strict-builtin-errors", eval_opts.strict_builtin_errors, "built-in errors are fatal");
  rego_eval->add_flag("--v0-compatible", v0_compatible, "parse Rego v0 (p[x] { ... } defines a partial set)");
  rego_eval->add_option("query", eval_opts.query, "query")->required();
  std::vector<std::string> test_paths;
  auto* rego_test = rego_cmd->add_subcommand("test", "run test_* rules (like `opa test`)");
  rego_test->add_option("paths", test_paths, "policy files or directories")->required();
  rego_test->add_flag("--v0-compatible", v0_compatible, "parse Rego v0 (p[x] { ... } defines a partial set)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (*ingest) return RunIngest(state_path, paths);
  if (*import) return RunImport(state_path, import_format, import_dir, log_options);
  if (*replay) {
    const char* mode = std::getenv("OEP_REPLAY_MODE");
    if (counterfactual || (mode && std::string(mode) == "counterfactual")) {
      return RunCounterfactual(state_path, decision_id, field, replay_format.empty() ? "human" : replay_format, cf);
    }
    return RunReplay(state_path, decision_id, field, replay_format.empty() ? "json" : replay_format);
  }
  if (*verify && !chain_opts.els_file.empty()) return RunVerifyEls(chain_opts.els_file, chain_opts.reject_local);
  if (*verify && (chain_opts.chain || !chain_opts.run.empty())) return RunVerifyChain(state_path, chain_opts);
  if (*verify) return RunVerify(state_path);
  if (*seal) return RunSeal(state_path, chain, key, authority, sealed_at);
  if (*drop || *brk) {
    std::string payload;
    if (*drop) {
      payload = "{\"count\":" + std::to_string(count);
      if (first_seq >= 0) payload += ",\"first_seq\":" + std::to_string(first_seq);
      if (last_seq >= 0) payload += ",\"last_seq\":" + std::to_string(last_seq);
      payload += ",\"reason\":";
    } else {
      payload = "{\"reason\":";
    }
    json::AppendCanonicalString(reason, &payload);
    payload += "}";
    return RunChainEvent(state_path, chain, *drop ? "drop" : "break", payload);
  }
  if (*demo) return RunDemo(state_path, decisions, seed);
  if (*dump) return RunDump(state_path, digest_only);
  if (*conformance) return RunConformance(conformance_dir, floor, max_failures);
  if (*impact_list) return RunImpactList(state_path, impact_json);
  if (*impact_show) return RunImpactShow(state_path, run_id, impact_json);
  if (*impact) return RunImpactVerb(state_path, impact_opts, impact_json, impact_save);
  if (*rego_eval || *rego_test) {
    if (!input_file.empty()) eval_opts.input_file = input_file;
    eval_opts.v0_compatible = v0_compatible;
    rego::CliOutput out = *rego_eval ? rego::OpaEval(eval_opts) : rego::OpaTest(test_paths, v0_compatible);
    std::cout << out.out;
    std::cerr << out.err;
    return out.exit_code;
  }
  if (*digest) return RunDigest(paths);
  return 2;
}
