// replay (one decision, or its counterfactual) and impact (many decisions re-decided).
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>

#include <unistd.h>

#include "cli/cli.h"
#include "json/json.h"
#include "replay/counterfactual.h"
#include "replay/decision_chain.h"
#include "surfaces/budget_impact.h"
#include "frames/frames.h"
#include "replay/impact.h"
#include "replay/impact_runs.h"
#include "replay/replay.h"
#include "keys/keys.h"
#include "ledger/ledger.h"
#include "util/display_text.h"
#include "util/progress.h"
#include "util/text_table.h"
#include "util/time_syntax.h"

namespace oep::cli {
namespace {

// The engine the flags name; only the CLI reads the OPA configuration from the
// environment (OEP_OPA_BIN_PATH, OPA_PATH, PATH, OEP_OPA_EVAL_TIMEOUT_SECONDS, ...).
Result<PolicyEngineConfig> EngineConfig(const std::string& name, const std::string& bundle) {
  PolicyEngineConfig config;
  config.bundle = bundle;
  if (name != "native") {
    // auto falls back to native only when no binary is found; a binary that is refused
    // (untrusted, unreadable version, bad timeout) is an error, never silently skipped.
    auto found = OpaCliFromEnv();
    if (found.ok()) config.opa = *found;
    else if (name != "auto" || found.status().code() != StatusCode::kNotFound) return found.status();
  }
  auto kind = ParseEngineKind(name, config.opa.has_value());
  if (!kind.ok()) return kind.status();
  config.kind = *kind;
  return config;
}

struct ReplayArgs {
  std::string state_path, id, field, format;
  IncidentViewOptions view;
  std::vector<std::string> trusted;
};

int RunReplay(const ReplayArgs& a) {
  auto store = OpenStore(Resolve(a.state_path), Store::Mode::kReadOnly);
  if (!store.ok()) return Fail(store.status());
  auto record = ReplayDecision(**store, a.id);
  if (!record.ok()) return Fail(record.status());
  IncidentViewOptions view = a.view;
  if ((a.format == "human" || a.format == "markdown") && a.field.empty()) {
    auto trusted = TrustedKeys::LoadWithEnvironment(a.trusted);
    if (!trusted.ok()) return Fail(trusted.status());
    view.chain = ClassifyDecisionChain(**store, *record, *trusted);
  }
  return PrintRecord(*record, a.field, a.format, [&](const rapidjson::Value& r, const std::string& format) {
    return format == "markdown" ? RenderReplayMarkdown(r, view) : RenderReplayHuman(r, view);
  });
}

// A bundle named on the command line must exist before any engine reads it (an engine
// would report a missing file as a parse error of an empty policy).
Status CheckBundlePath(const char* flag, const std::string& path) {
  std::error_code ec;
  auto st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st)) return Status::InvalidArgument(std::string(flag) + " " + path + ": no such file or directory");
  if (!std::filesystem::is_regular_file(st) && !std::filesystem::is_directory(st)) {
    return Status::InvalidArgument(std::string(flag) + " " + path + ": expected a .rego file or a bundle directory");
  }
  return Status::Ok();
}

int RunCounterfactual(const std::string& state_path, const std::string& id, const std::string& field,
                      const std::string& format, CounterfactualOptions options, const std::string& engine_name) {
  if (options.engine.bundle.empty() && options.substitute.empty()) {
    return Fail(Status::InvalidArgument("--counterfactual needs --policy-bundle FILE.rego|DIR or --substitute SURFACE=VALUE"));
  }
  if (!options.engine.bundle.empty()) {
    if (Status s = CheckBundlePath("--policy-bundle", options.engine.bundle); !s.ok()) return Fail(s);
    auto config = EngineConfig(engine_name, options.engine.bundle);
    if (!config.ok()) return Fail(config.status());
    options.engine = *config;
  }
  auto store = OpenStore(Resolve(state_path), Store::Mode::kReadOnly);
  if (!store.ok()) return Fail(store.status());
  auto record = CounterfactualReplay(**store, id, options);
  if (!record.ok()) return Fail(record.status());
  int rc = PrintRecord(*record, field, format, [&](const rapidjson::Value& r, const std::string& f) {
    std::string text = EscapeForTerminal(RenderCounterfactualHuman(r), true);
    if (f != "markdown") return text;
    return "### Counterfactual replay of " + MarkdownCode(id) + "\n\n```text\n" + text + "```\n";
  });
  const rapidjson::Value* agree = json::FindDotted(*record, "engine_comparison.agree");
  if (rc == 0 && agree && agree->IsBool() && !agree->GetBool()) {
    std::cerr << "oep: the native and OPA engines disagree on " << id << "\n";
    return 1;
  }
  return rc;
}

struct ImpactArgs {
  ImpactOptions options;
  std::string bundle, engine = "native", format = "human", fail_on;
  bool json = false;  // --json: --output-format json
  bool save = false;
  std::string label;
  std::vector<std::string> substitute;  // --substitute budget.per_run_cap_usd=X (src/surfaces/budget_impact.h)
  std::string run, replay_timestamp_utc;
};

// `oep impact --substitute budget.per_run_cap_usd=X [--run RUN] [--policy-bundle B]` (read-only).
int RunBudgetImpactVerb(const std::string& state_path, const ImpactArgs& args) {
  const std::pair<const char*, bool> refused[] = {{"--save", args.save},
                                                  {"--baseline-bundle", !args.options.baseline_bundle.empty()},
                                                  {"--fail-on", !args.fail_on.empty()},
                                                  {"--query", !args.options.query.empty()}};
  for (const auto& [flag, given] : refused) {
    if (given) return Fail(Status::InvalidArgument(std::string(flag) + " does not apply to impact --substitute"));
  }
  BudgetImpactOptions options;
  options.substitute = args.substitute;
  options.run_id = args.run;
  options.step_replay.replay_timestamp_utc = args.replay_timestamp_utc;
  if (!args.bundle.empty()) {
    if (Status s = CheckBundlePath("--policy-bundle", args.bundle); !s.ok()) return Fail(s);
    auto config = EngineConfig(args.engine, args.bundle);
    if (!config.ok()) return Fail(config.status());
    options.step_replay.engine = *config;
  }
  auto store = OpenStore(Resolve(state_path), Store::Mode::kReadOnly);
  if (!store.ok()) return Fail(store.status());
  auto report = RunBudgetImpact(**store, options);
  if (!report.ok()) return Fail(report.status());
  std::string format = args.json ? "json" : args.format;
  return PrintRecord(*report, "", format, [](const rapidjson::Value& r, const std::string&) { return RenderBudgetImpactHuman(r); });
}

// Re-decides on a read-only connection; --save then stores the report in one write batch,
// so a failed run leaves the store untouched. --fail-on gates exit 1 after printing.
int RunImpactVerb(const std::string& state_path, ImpactArgs args) {
  if (!args.substitute.empty()) return RunBudgetImpactVerb(state_path, args);
  if (!args.run.empty()) return Fail(Status::InvalidArgument("--run applies to impact --substitute budget.per_run_cap_usd=X"));
  if (args.bundle.empty()) {
    return Fail(Status::InvalidArgument("impact needs --policy-bundle FILE.rego|DIR (or `oep impact list|show`)"));
  }
  if (!args.save && !args.label.empty()) return Fail(Status::InvalidArgument("--label names a saved run; add --save"));
  if (args.json) args.format = "json";
  if (Status s = CheckBundlePath("--policy-bundle", args.bundle); !s.ok()) return Fail(s);
  if (!args.options.baseline_bundle.empty()) {
    if (Status s = CheckBundlePath("--baseline-bundle", args.options.baseline_bundle); !s.ok()) return Fail(s);
  }
  Store::DecisionFilter& filter = args.options.filter;
  for (auto [flag, bound] : {std::pair{"--since", &filter.since}, {"--until", &filter.until}}) {
    if (bound->empty()) continue;
    auto t = ParseTimeBound(flag, *bound, UnixNow());
    if (!t.ok()) return Fail(t.status());
    *bound = *t;
  }
  auto config = EngineConfig(args.engine, args.bundle);
  if (!config.ok()) return Fail(config.status());
  ImpactOptions& options = args.options;
  options.engine = *config;
  auto batch = BatchSizeFromEnv();
  if (!batch.ok()) return Fail(batch.status());
  options.batch_size = *batch;
  std::string path = Resolve(state_path);
  Result<ImpactReport> report = Status::Ok();
  {
    auto store = OpenStore(path, Store::Mode::kReadOnly);
    if (!store.ok()) return Fail(store.status());
    if (args.save) {
      // A saved run is appended to the ledger's "store" chain: when that chain is sealed the
      // save would fail, so say it before re-deciding anything.
      auto head = (*store)->GetChainHead(std::string(kStoreChain));
      if (!head.ok()) return Fail(head.status());
      if (*head && (*head)->kind == "seal") {
        return Fail(Status::InvalidArgument("--save: the ledger chain \"store\" of " + path +
                                            " is sealed, so a counterfactual run cannot be appended to it; run "
                                            "without --save"));
      }
    }
    int64_t total = 0;  // known without a filter: every stored decision
    if (filter.since.empty() && filter.until.empty() && filter.tool.empty() && filter.actor.empty()) {
      auto count = (*store)->Count(ArtifactKind::kPermissionPacket);
      if (count.ok()) total = *count;
    }
    Progress progress(2, "impact", "decisions re-decided", total);
    report = RunImpact(**store, options, [&](int64_t done) { progress.Update(done); });
  }
  if (!report.ok()) return Fail(report.status());
  std::vector<std::string> gate;
  if (!args.fail_on.empty()) {
    auto met = FailOnConditions(*report, args.fail_on);
    if (!met.ok()) return Fail(met.status());
    gate = *met;
  }
  if (args.format == "json" || args.format == "jsonl") std::cout << report->ToJson() << "\n";
  else if (args.format == "markdown") std::cout << report->RenderMarkdown();
  else std::cout << report->RenderHuman();
  if (args.save) {
    int rc = WriteBatch(path, [&](Store& store) -> Status {
      auto run = SaveImpactRun(store, *report, NowUtc(), args.label);
      if (!run.ok()) return run.status();
      (args.format == "human" ? std::cout : std::cerr)
          << "saved as counterfactual run " << run->run_id << " (oep impact show " << run->run_id << ")\n";
      return Status::Ok();
    });
    if (rc != 0) return rc;
  }
  if (!gate.empty()) {
    std::string met;
    for (const auto& g : gate) met += (met.empty() ? "" : ", ") + g;
    std::cerr << "oep: --fail-on " << args.fail_on << ": " << met << "\n";
    return 1;
  }
  return 0;
}

int RunFramesVerb(const std::string& state_path, const std::string& run_id, const std::string& format,
                  const std::vector<std::string>& trusted_specs) {
  if (format != "human" && format != "json" && format != "jsonl") {
    return Fail(Status::InvalidArgument("--output-format " + format + ": expected human, json or jsonl"));
  }
  auto trusted = TrustedKeys::LoadWithEnvironment(trusted_specs);
  if (!trusted.ok()) return Fail(trusted.status());
  auto store = OpenStore(Resolve(state_path), Store::Mode::kReadOnly);
  if (!store.ok()) return Fail(store.status());
  auto frames = RunFrames(**store, run_id, *trusted);
  if (!frames.ok()) return Fail(frames.status());
  if (format == "jsonl") std::cout << RenderFramesJsonl(*frames);
  else if (format == "json") PrintRecord(*frames, "", "json", {});
  else std::cout << EscapeForTerminal(RenderFramesHuman(*frames), true);
  // Frames that could not be served are a failure of the command.
  return (*frames)["served"].GetBool() ? 0 : 1;
}

// `format`: human (a table), markdown (the same table), json (an array), jsonl (a run a line).
int RunImpactList(const std::string& state_path, const std::string& format) {
  auto store = OpenStore(Resolve(state_path), Store::Mode::kReadOnly);
  if (!store.ok()) return Fail(store.status());
  auto runs = ListImpactRuns(**store);
  if (!runs.ok()) return Fail(runs.status());
  if (format == "json" || format == "jsonl") {
    std::string text = "[";
    for (size_t i = 0; i < runs->size(); ++i) text += (i ? "," : "") + (*runs)[i].ToJson();
    if (format == "jsonl") {
      for (const auto& r : *runs) std::cout << r.ToJson() << "\n";
      return 0;
    }
    auto doc = json::Parse(text + "]");
    if (!doc.ok()) return Fail(doc.status());
    return PrintRecord(*doc, "", "json", {});
  }
  if (runs->empty()) {
    std::cout << "no saved counterfactual runs in " << (*store)->path()
              << " (save one with `oep impact --policy-bundle B --save`)\n";
  } else {
    std::cout << RenderImpactRunList(*runs, format == "markdown");
  }
  return 0;
}

int RunImpactShow(const std::string& state_path, const std::string& run_id, const std::string& format) {
  auto store = OpenStore(Resolve(state_path), Store::Mode::kReadOnly);
  if (!store.ok()) return Fail(store.status());
  auto run = LoadImpactRun(**store, run_id);
  if (!run.ok()) return Fail(run.status());
  if (format == "human" || format == "markdown") {
    std::cout << (format == "human" ? run->RenderHuman() : run->report.RenderMarkdown());
    return 0;
  }
  auto doc = json::Parse(run->ToJson());
  if (!doc.ok()) return Fail(doc.status());
  return PrintRecord(*doc, "", format, {});
}

}  // namespace

void AddReplayVerbs(CLI::App& app, int& exit_code) {
  struct Args {
    ReplayArgs replay;
    bool counterfactual = false;
    CounterfactualOptions cf;
    std::string cf_engine = "native";
    ImpactArgs impact;
    bool json = false;
    std::string state_path, run_id, list_format = "human";
    std::string frames_state_path, frames_run, frames_format = "human";
    std::vector<std::string> frames_trusted;
  };
  auto a = std::make_shared<Args>();
  ReplayArgs& ra = a->replay;

  auto* replay = app.add_subcommand("replay", "reconstruct one decision from the store (read-only)");
  AddStatePath(replay, &ra.state_path);
  AddTenant(replay);
  // Not ->required(): `oep replay run RUN_ID` names no decision (checked in the callback).
  replay->add_option("decision_id", ra.id, "decision id (pder_...); `oep decisions` lists them");
  replay->require_subcommand(0, 1);
  auto* run = replay->add_subcommand("run", "a run as ordered frames (EVENT, GAP, LOG_DROP, REDACTION) from a chain that verifies");
  AddStatePath(run, &a->frames_state_path);
  AddTenant(run);
  run->add_option("run_id", a->frames_run, "the run's trace id (`oep runs` lists them)")->required();
  AddOutputFormat(run, &a->frames_format, "human");
  run->add_option("--trusted-key", a->frames_trusted, "ROLE=PUBLIC_KEY.pem a chain's seal is checked against (also $OEP_TRUSTED_KEYS)");
  run->callback([a, &exit_code] { exit_code = RunFramesVerb(a->frames_state_path, a->frames_run, a->frames_format, a->frames_trusted); });
  replay->add_option("--field", ra.field, "print one field of the record (dotted path, e.g. decision.allow)");
  AddOutputFormat(replay, &ra.format, "json; human with --counterfactual");
  replay->add_flag("--full", ra.view.full_input, "human / markdown: the whole OPA input, not a summary");
  replay->add_option("--trusted-key", ra.trusted, "ROLE=PUBLIC_KEY.pem a chain's seal is checked against (also $OEP_TRUSTED_KEYS)");
  replay->add_flag("--counterfactual", a->counterfactual, "re-decide under --policy-bundle (also OEP_REPLAY_MODE=counterfactual)");
  // These re-decide: without --counterfactual they would be ignored, so they are refused.
  std::vector<CLI::Option*> cf_only = {
      replay->add_option("--policy-bundle", a->cf.engine.bundle, "substituted policy: a .rego file or a bundle directory"),
      replay->add_option("--substitute", a->cf.substitute,
                         "SURFACE=VALUE, repeatable: budget.per_run_cap_usd, reserve.usd, model, cache=fresh|recorded, "
                         "identity.credential_ttl_s, prompt, tool_schema, workflow (see README: Counterfactual surfaces)"),
      replay->add_option("--query", a->cf.query, "decision query (default: the query the decision was recorded at)"),
      replay->add_option("--engine", a->cf_engine, "native | opa | both | auto (opa when a binary is found)")
          ->check(CLI::IsMember({"native", "opa", "both", "auto"}))};
  // Determinism options: a plain replay is already deterministic, so they are accepted there.
  replay->add_option("--replay-timestamp-utc", a->cf.replay_timestamp_utc, "fixed replay timestamp for byte-identical output");
  replay->add_flag("--strip-exclusions", a->cf.strip_exclusions, "omit the fields listed in determinism_exclusions");
  replay->callback([a, cf_only, replay, &exit_code] {
    if (!replay->get_subcommands().empty()) return;  // replay run ran
    if (a->replay.id.empty()) {
      exit_code = Fail(Status::InvalidArgument("replay needs a decision id (pder_...) or `replay run RUN_ID`"));
      return;
    }
    const char* mode = std::getenv("OEP_REPLAY_MODE");
    ReplayArgs& r = a->replay;
    if (a->counterfactual || (mode && std::string(mode) == "counterfactual")) {
      exit_code = RunCounterfactual(r.state_path, r.id, r.field, r.format.empty() ? "human" : r.format, a->cf, a->cf_engine);
      return;
    }
    for (const CLI::Option* o : cf_only) {
      if (o->count() == 0) continue;
      exit_code = Fail(Status::InvalidArgument(o->get_name() + " re-decides under a substituted policy: add --counterfactual "
                                               "(or set OEP_REPLAY_MODE=counterfactual)"));
      return;
    }
    if (r.format.empty()) r.format = "json";
    exit_code = RunReplay(r);
  });

  auto* impact = app.add_subcommand("impact", "re-decide stored decisions under a substituted policy: what flips");
  ImpactArgs& ia = a->impact;
  ImpactOptions& io = ia.options;
  AddStatePath(impact, &a->state_path);
  AddTenant(impact);
  impact->add_option("--policy-bundle", ia.bundle, "substituted policy: .rego file or bundle directory");
  impact->add_option("--baseline-bundle", io.baseline_bundle,
                     "compare with this policy over the same recorded inputs instead of the recorded decisions");
  impact->add_option("--query", io.query, "decision query for every decision (default: each decision's recorded query)");
  impact->add_option("--since", io.filter.since, "only decisions at or after T (RFC 3339, a date, or 24h, 7d ago)");
  impact->add_option("--until", io.filter.until, "only decisions at or before T (same syntax)");
  impact->add_option("--tool", io.filter.tool, "only decisions about this tool");
  impact->add_option("--actor", io.filter.actor, "only decisions of this actor id");
  impact->add_option("--limit", io.examples, "flipped decision ids listed per transition")->check(CLI::NonNegativeNumber);
  AddOutputFormat(impact, &ia.format, "human; markdown to paste into a pull request");
  impact->add_flag("--json", ia.json, "same as --output-format json");
  impact->add_option("--fail-on", ia.fail_on, "exit 1 when any of these happen: allow->deny,deny->allow,changed,error,disagreement");
  impact->add_option("--engine", ia.engine, "native | opa | both | auto")->check(CLI::IsMember({"native", "opa", "both", "auto"}));
  impact->add_flag("--save", ia.save, "store the report as a counterfactual run (see `oep impact list`)");
  impact->add_option("--label", ia.label, "a note saved with the run");
  impact->add_option("--substitute", ia.substitute,
                     "budget.per_run_cap_usd=X, reserve.usd=X, identity.credential_ttl_s=N (repeatable): over every run's "
                     "recorded trace, where each would terminate");
  impact->add_option("--run", ia.run, "with --substitute: one run (trace id), step by step");
  impact->add_option("--replay-timestamp-utc", ia.replay_timestamp_utc,
                     "with --substitute --run --policy-bundle: fixed replay timestamp of the step outputs");
  impact->require_subcommand(0, 1);
  auto* list = impact->add_subcommand("list", "saved counterfactual runs, oldest first");
  AddStatePath(list, &a->state_path);
  AddTenant(list);
  AddOutputFormat(list, &a->list_format, "human");
  list->add_flag("--json", a->json, "same as --output-format json");
  list->callback([a, &exit_code] { exit_code = RunImpactList(a->state_path, a->json ? "json" : a->list_format); });
  auto* show = impact->add_subcommand("show", "one saved counterfactual run");
  AddStatePath(show, &a->state_path);
  AddTenant(show);
  show->add_option("run_id", a->run_id, "the run's id (cfr_...)")->required();
  AddOutputFormat(show, &a->list_format, "human");
  show->add_flag("--json", a->json, "same as --output-format json");
  show->callback([a, &exit_code] { exit_code = RunImpactShow(a->state_path, a->run_id, a->json ? "json" : a->list_format); });
  impact->callback([a, impact, &exit_code] {
    if (!impact->get_subcommands().empty()) return;  // list / show ran
    exit_code = RunImpactVerb(a->state_path, a->impact);
  });
}

}  // namespace oep::cli
