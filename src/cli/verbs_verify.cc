// verify (the demo, a store, its ledger, an ELS log), seal, ledger drop | break.
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <memory>

#include <unistd.h>

#include "approvals/approvals.h"
#include "checkpoint/checkpoint.h"
#include "cli/cli.h"
#include "export/export.h"
#include "keys/keys.h"
#include "util/files.h"
#include "json/json.h"
#include "ledger/ledger.h"
#include "util/paths.h"
#include "util/progress.h"
#include "verify/chain_verify.h"
#include "verify/els_verify.h"
#include "verify/verify.h"

namespace oep::cli {
namespace {

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
  std::vector<std::string> trusted;
  std::string checkpoint, proof, export_file;
  std::string tool_modes, tenant;  // --tool-modes: check approval gates (of --tenant)
};

// The approval-gate check: one line, then each violation and break-glass execution.
int PrintApprovals(Store& store, const ChainOptions& o, const TrustedKeys& trusted) {
  auto modes = LoadToolModes(o.tool_modes);
  if (!modes.ok()) return Fail(modes.status());
  if (!o.tenant.empty()) store.ScopeToTenant(o.tenant);
  auto report = VerifyApprovals(store, *modes, trusted);
  if (!report.ok()) return Fail(report.status());
  int64_t glass = static_cast<int64_t>(report->findings.size()) - report->violations();
  std::cout << (report->violations() ? "FAIL" : "ok  ") << " approvals: " << report->executions << " tool executions, "
            << report->gated << " of tools that require approval, " << report->approved << " with a valid token, "
            << glass << " under break-glass, " << report->violations() << " violations\n";
  for (const auto& f : report->findings) {
    std::cout << "     " << (f.kind == "violation" ? "violation" : "break-glass") << " " << f.event_id << " (run " << f.trace_id
              << ", tool " << f.tool << "): " << f.message << "\n";
  }
  return report->violations() ? 1 : 0;
}

// A failed check (Corruption) is a FAIL line and exit 1; anything else an error.
int PrintCheck(const std::string& name, const Result<std::string>& result) {
  if (result.ok()) {
    std::cout << "ok   " << name << ": " << *result << "\n";
    return 0;
  }
  if (result.status().code() != StatusCode::kCorruption) return Fail(result.status());
  std::cout << "FAIL " << name << ": " << result.status().message() << "\n";
  return 1;
}

int RunVerifyChain(const std::string& state_path, const ChainOptions& o) {
  auto trusted = TrustedKeys::LoadWithEnvironment(o.trusted);
  if (!trusted.ok()) return Fail(trusted.status());
  auto store = Store::Open(Resolve(state_path), Store::Mode::kReadOnly);
  if (!store.ok()) return Fail(store.status());
  int rc = 0;
  if (o.chain || !o.run.empty()) {
    Progress progress(2, "verify", "entries and rows checked", 0);  // on a terminal only
    auto report = VerifyChains(**store, *trusted,
                               o.run.empty() ? "" : (o.run.rfind("run:", 0) == 0 || o.run == "store" ? o.run : "run:" + o.run),
                               [&](int64_t done, int64_t total) {
                                 progress.SetTotal(total);
                                 progress.Update(done);
                               });
    progress.Finish();
    if (!report.ok()) return Fail(report.status());
    std::cout << report->Render(o.all_chains || !o.run.empty(), o.reject_local);
    rc = report->ok(o.reject_local) ? 0 : 1;
  }
  if (!o.tool_modes.empty()) {
    int a_rc = PrintApprovals(**store, o, *trusted);
    if (a_rc == 2) return 2;
    rc = std::max(rc, a_rc);
  }
  if (!o.checkpoint.empty()) {
    auto note = ReadCheckpointFile(o.checkpoint);
    if (!note.ok()) return Fail(note.status());
    auto cp = OpenCheckpoint(*note, *trusted, o.checkpoint);
    int cp_rc = PrintCheck("checkpoint " + o.checkpoint, cp.ok() ? VerifyStoreExtends(**store, *cp) : cp.status());
    if (cp_rc == 2) return 2;
    rc = std::max(rc, cp_rc);
  }
  return rc;
}

int RunVerifyProof(const ChainOptions& o) {
  auto trusted = TrustedKeys::LoadWithEnvironment(o.trusted);
  if (!trusted.ok()) return Fail(trusted.status());
  auto text = ReadCheckpointFile(o.proof);
  if (!text.ok()) return Fail(text.status());
  return PrintCheck("proof " + o.proof, VerifyInclusionProof(*text, *trusted, o.proof));
}

// An export (oep export) re-verified offline: exit 1 when a check fails.
int RunVerifyExport(const ChainOptions& o) {
  auto trusted = TrustedKeys::LoadWithEnvironment(o.trusted);
  if (!trusted.ok()) return Fail(trusted.status());
  auto text = ReadExportFile(o.export_file);
  if (!text.ok()) return Fail(text.status());
  auto check = VerifyExport(*text, *trusted, o.export_file);
  if (!check.ok()) return Fail(check.status());
  std::cout << check->Render();
  return check->ok ? 0 : 1;
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

}  // namespace

void AddVerifyVerbs(CLI::App& app, int& exit_code) {
  struct Args {
    std::string state_path;
    ChainOptions chain_opts;
    std::string chain, key, authority = "server", sealed_at, reason;
    int64_t count = 0, first_seq = -1, last_seq = -1;
  };
  auto a = std::make_shared<Args>();

  auto* verify = app.add_subcommand("verify", "check joins, digests, schemas and determinism; or the ledger");
  ChainOptions& co = a->chain_opts;
  auto* verify_file = verify->add_option("--state-path", a->state_path, "verify this store instead of regenerating the demo");
  verify->add_option("--store", a->state_path, "verify the store at this URL (sqlite:PATH, postgresql://...)")->excludes(verify_file);
  verify->add_flag("--chain", co.chain, "verify the ledger's hash chains and classify the evidence");
  verify->add_option("--run", co.run, "with --chain: only this run's chain (trace id or chain id)");
  verify->add_flag("--all-chains", co.all_chains, "with --chain: one line for every chain");
  verify->add_flag("--reject-local-authority", co.reject_local, "fail on NON_AUTHORITATIVE evidence");
  verify->add_option("--agentops-els", co.els_file, "verify an AgentOps Replay ELS session log (JSONL)");
  verify->add_option("--trusted-key", co.trusted,
                     "ROLE=PUBLIC_KEY.pem (server | local), repeatable; also the lines of $OEP_TRUSTED_KEYS");
  verify->add_option("--checkpoint", co.checkpoint, "prove the store extends this signed checkpoint (oep checkpoint)");
  verify->add_option("--tool-modes", co.tool_modes,
                     "check approval gates: {\"tools\": {\"<tool>\": \"allow|require_approval|block\"}}; every executed "
                     "call of a require_approval tool needs a valid, unexpired, single-use decision token");
  verify->add_option("--tenant", co.tenant, "with --tool-modes: the tenant whose executions are checked (default: default)");
  verify->add_option("--proof", co.proof, "verify an inclusion proof (oep prove) offline, without a store");
  verify->add_option("--export", co.export_file, "re-verify a JSON export (oep export) offline, without a store");
  verify->callback([a, &exit_code] {
    const ChainOptions& o = a->chain_opts;
    if (!o.els_file.empty() && !o.trusted.empty()) {
      // ELS logs carry their own envelope and seal; no oep key signs them.
      exit_code = Fail(Status::InvalidArgument("--trusted-key does not apply to --agentops-els: its evidence class is the "
                                               "ELS format's own"));
    } else if (!o.els_file.empty()) exit_code = RunVerifyEls(o.els_file, o.reject_local);
    else if (!o.proof.empty()) exit_code = RunVerifyProof(o);
    else if (!o.export_file.empty()) exit_code = RunVerifyExport(o);
    else if (o.chain || !o.run.empty() || !o.checkpoint.empty() || !o.tool_modes.empty()) exit_code = RunVerifyChain(a->state_path, o);
    else exit_code = RunVerify(a->state_path);
  });

  auto* seal = app.add_subcommand("seal", "seal a ledger chain with an Ed25519 authority key");
  AddStatePath(seal, &a->state_path);
  seal->add_option("--chain", a->chain, "chain id (run:<trace_id> or store)")->required();
  seal->add_option("--key", a->key, "Ed25519 private key, PEM (default: $OEP_SEAL_KEY_PATH)");
  seal->add_option("--authority", a->authority, "the authority the seal claims (server | local); verify decides by the signing key")
      ->check(CLI::IsMember({"server", "local"}));
  seal->add_option("--sealed-at", a->sealed_at, "seal time, RFC 3339 (default: now)");
  seal->callback([a, &exit_code] { exit_code = RunSeal(a->state_path, a->chain, a->key, a->authority, a->sealed_at); });

  auto* ledger = app.add_subcommand("ledger", "record evidence loss in a chain");
  ledger->require_subcommand(1);
  auto* drop = ledger->add_subcommand("drop", "record that events were dropped");
  AddStatePath(drop, &a->state_path);
  drop->add_option("--chain", a->chain, "chain id")->required();
  drop->add_option("--count", a->count, "how many events were lost")->required()->check(CLI::PositiveNumber);
  drop->add_option("--reason", a->reason, "why")->required();
  drop->add_option("--first-seq", a->first_seq, "first lost sequence number at the source");
  drop->add_option("--last-seq", a->last_seq, "last lost sequence number at the source");
  drop->callback([a, &exit_code] {
    std::string payload = "{\"count\":" + std::to_string(a->count);
    if (a->first_seq >= 0) payload += ",\"first_seq\":" + std::to_string(a->first_seq);
    if (a->last_seq >= 0) payload += ",\"last_seq\":" + std::to_string(a->last_seq);
    payload += ",\"reason\":";
    json::AppendCanonicalString(a->reason, &payload);
    exit_code = RunChainEvent(a->state_path, a->chain, "drop", payload + "}");
  });
  auto* brk = ledger->add_subcommand("break", "record a break in the chain's continuity");
  AddStatePath(brk, &a->state_path);
  brk->add_option("--chain", a->chain, "chain id")->required();
  brk->add_option("--reason", a->reason, "why")->required();
  brk->callback([a, &exit_code] {
    std::string payload = "{\"reason\":";
    json::AppendCanonicalString(a->reason, &payload);
    exit_code = RunChainEvent(a->state_path, a->chain, "break", payload + "}");
  });
}

}  // namespace oep::cli
