// export run | decision: compliance exports as canonical JSON, markdown or PDF.
#include <filesystem>
#include <iostream>
#include <memory>

#include "checkpoint/checkpoint.h"
#include "cli/cli.h"
#include "export/export.h"
#include "keys/keys.h"
#include "util/files.h"
#include "util/subprocess.h"

namespace oep::cli {
namespace {

struct ExportArgs {
  std::string state_path, format = "json", out, generated_at, checkpoint, checkpoint_key, origin, counterfactual;
  std::vector<std::string> trusted;
  std::string id;
};

// The PDF of a verified export, made by oep-pdf beside this binary (see pdf_main.cc).
Result<std::string> RunPdfRenderer(const std::string& export_json) {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return Status::IOError("cannot find the oep binary: " + ec.message());
  auto r = RunProcess({(self.parent_path() / "oep-pdf").string()}, {}, export_json,
                      ProcessLimits{120, size_t{512} << 20, 1 << 20, 0.2});
  if (!r.ok()) return r.status();
  if (r->timed_out || r->stdout_overflow) return Status::IOError("oep-pdf: timed out or wrote more than 512 MiB");
  if (r->exit_code != 0) {
    std::string why = "oep-pdf exited " + std::to_string(r->exit_code) + ": " + QuoteChildOutput(r->err);
    return r->exit_code == 1 ? Status::Corruption(why) : Status::IOError(why);
  }
  return std::move(r->out);
}

// The export in `format`: the JSON itself, or markdown / PDF made from it once it verifies.
Result<std::string> Render(const std::string& format, const std::string& export_json, const TrustedKeys& trusted) {
  if (format == "json") return export_json;
  if (format == "pdf") return RunPdfRenderer(export_json);
  auto check = VerifyExport(export_json, trusted, "the export");
  if (!check.ok()) return check.status();
  if (!check->ok) return Status::Corruption("the export does not verify:\n" + check->Render());
  return RenderExportMarkdown(BuildExportReport(check->document));
}

int RunExport(const ExportArgs& a, bool run) {
  if (a.format == "pdf" && a.out.empty()) return Fail(Status::InvalidArgument("--format pdf needs -o FILE"));
  if (!a.checkpoint.empty() && !a.checkpoint_key.empty()) {
    return Fail(Status::InvalidArgument("pass --checkpoint FILE (a kept checkpoint) or --checkpoint-key KEY.pem, not both"));
  }
  auto trusted = TrustedKeys::LoadWithEnvironment(a.trusted);
  if (!trusted.ok()) return Fail(trusted.status());
  ExportOptions o;
  o.generated_at = a.generated_at;
  o.trusted = *trusted;
  o.checkpoint_key = a.checkpoint_key;
  o.checkpoint_origin = a.origin;
  o.counterfactual_bundle = a.counterfactual;
  if (!a.checkpoint.empty()) {
    auto note = ReadCheckpointFile(a.checkpoint);
    if (!note.ok()) return Fail(note.status());
    o.checkpoint_note = *note;
  }
  auto store = OpenStore(Resolve(a.state_path), Store::Mode::kReadOnly);
  if (!store.ok()) return Fail(store.status());
  auto json = run ? ExportRun(**store, a.id, o) : ExportDecision(**store, a.id, o);
  if (!json.ok()) return Fail(json.status());
  auto out = Render(a.format, *json, *trusted);
  if (!out.ok()) return Fail(out.status());
  if (a.out.empty()) {
    std::cout << *out;
    return 0;
  }
  Status s = WriteFileAtomic(a.out, *out);
  if (!s.ok()) return Fail(s);
  std::cerr << "wrote " << a.format << " export " << a.out << " (" << out->size() << " bytes)\n";
  return 0;
}

void AddExportOptions(CLI::App* cmd, ExportArgs* a, const char* id_name) {
  AddStatePath(cmd, &a->state_path);
  AddTenant(cmd);
  cmd->add_option(id_name, a->id, id_name)->required();
  cmd->add_option("--format", a->format, "json (canonical, re-verifiable) | markdown | pdf")
      ->check(CLI::IsMember({"json", "markdown", "pdf"}));
  cmd->add_option("-o,--output", a->out, "write here (atomically) instead of standard output");
  cmd->add_option("--trusted-key", a->trusted, "ROLE=PUBLIC_KEY.pem, repeatable; also $OEP_TRUSTED_KEYS");
  cmd->add_option("--checkpoint", a->checkpoint, "add inclusion proofs against this kept checkpoint");
  cmd->add_option("--checkpoint-key", a->checkpoint_key, "or against a fresh checkpoint signed with this key");
  cmd->add_option("--origin", a->origin, "with --checkpoint-key: the checkpoint's origin");
  cmd->add_option("--counterfactual", a->counterfactual,
                  "also re-decide each exported decision under this bundle (.rego file or directory; native engine)");
  cmd->add_option("--generated-at", a->generated_at, "the export's time, RFC 3339 (default: now)");
}

}  // namespace

void AddExportVerbs(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<ExportArgs>();
  auto* exp = app.add_subcommand("export", "compliance exports (evidence support, non-certifying): JSON, markdown, PDF");
  exp->require_subcommand(1);
  auto* run = exp->add_subcommand("run", "export one run: its chain, records, verification, seals and proofs");
  AddExportOptions(run, a.get(), "RUN_ID");
  run->callback([a, &exit_code] { exit_code = RunExport(*a, true); });
  auto* decision = exp->add_subcommand("decision", "export one decision with the evidence of its replay");
  AddExportOptions(decision, a.get(), "DECISION_ID");
  decision->callback([a, &exit_code] { exit_code = RunExport(*a, false); });
}

}  // namespace oep::cli
