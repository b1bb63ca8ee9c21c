// The command line's shared pieces. Each verbs_*.cc file registers its verbs on the app;
// a verb's callback parses nothing itself, makes one library call, prints, and sets the
// exit code: 0 ok, 1 not found / check failed, 2 bad input or error.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <rapidjson/document.h>

#include "store/store.h"
#include "util/status.h"

namespace oep {
struct ServerOptions;
}

namespace oep::cli {

// Parses argv and runs the chosen verb on a stack of oep's choosing (util/thread_stack.h);
// returns the verb's `exit_code`, or CLI11's for a parse error (2) or --help (0).
int RunApp(CLI::App& app, int argc, char** argv, const int& exit_code);

// Prints "oep: <message>" to stderr and returns the status's exit code.
int Fail(const Status& s);

void AddStatePath(CLI::App* cmd, std::string* path);

// --tenant NAME on a verb that reads or writes evidence: every store OpenStore opens for the
// rest of the command is scoped to that tenant (default: the default tenant), which must exist.
void AddTenant(CLI::App* cmd);

// Store::Open, scoped to the --tenant given (NotFound naming the tenant when it does not exist).
Result<std::unique_ptr<Store>> OpenStore(const std::string& url, Store::Mode mode);

// --output-format human|json|jsonl|markdown, the same on every reporting verb; `fallback`
// names the default in the help text.
void AddOutputFormat(CLI::App* cmd, std::string* format, const std::string& fallback);

// The store a verb uses: `state_path` (--store / --state-path), else $OEP_STORE_URL, else
// $OEP_STATE_PATH, else the demo store.
std::string Resolve(const std::string& state_path);

// Current time, RFC 3339 UTC with seconds.
std::string NowUtc();

// Ingest and import write one batch; a store the batch created is removed again when
// the batch fails, so a failed first ingest leaves nothing behind.
template <typename Fn>
int WriteBatch(const std::string& path, Fn fn) {
  bool existed = StoreExists(path);
  Status s;
  {
    auto store = OpenStore(path, Store::Mode::kReadWrite);
    if (!store.ok()) return Fail(store.status());
    s = fn(**store);
  }
  if (!s.ok()) {
    if (!existed) RemoveStoreFiles(path);
    return Fail(s);
  }
  return 0;
}

// Prints a record (or one dotted --field of it) as json (indented), jsonl (one canonical
// line), or human / markdown (`render(record, format)` for the whole record; a field's
// value as text, escaped for the terminal).
using RenderFn = std::function<std::string(const rapidjson::Value& record, const std::string& format)>;
int PrintRecord(const rapidjson::Value& record, const std::string& field, const std::string& format,
                const RenderFn& render);

// Verb registration; `exit_code` receives the result of the verb that ran.
void AddStoreVerbs(CLI::App& app, int& exit_code);   // ingest, import, demo, dump, digest
void AddReplayVerbs(CLI::App& app, int& exit_code);  // replay, impact
void AddDiffVerb(CLI::App& app, int& exit_code);     // diff
void AddDriftVerb(CLI::App& app, int& exit_code);    // drift
void AddApprovalsVerbs(CLI::App& app, int& exit_code);  // approvals request | list | approve | deny | break-glass
void AddFindVerbs(CLI::App& app, int& exit_code);    // decisions, runs
void AddVerifyVerbs(CLI::App& app, int& exit_code);  // verify, seal, ledger
void AddRegoVerbs(CLI::App& app, int& exit_code);    // rego eval | test | conformance
void AddRegoCapabilitiesVerb(CLI::App& app, int& exit_code);  // rego capabilities (after AddRegoVerbs)
void AddKeysVerbs(CLI::App& app, int& exit_code);    // keys generate | export | list, checkpoint, prove
void AddServeVerbs(CLI::App& app, int& exit_code);   // serve, tenant create, key create | revoke | list
void AddExportVerbs(CLI::App& app, int& exit_code);  // export run | decision
void AddMonitorVerbs(CLI::App& app, int& exit_code);  // violations, monitor test
void AddWebhookVerbs(CLI::App& app, int& exit_code);  // webhook add | list | remove | log
void AddAuditVerbs(CLI::App& app, int& exit_code);   // audit gdpr | tools
void AddRetentionVerbs(CLI::App& app, int& exit_code);  // retention apply
// The `serve` verb alone, running the server with `serve` (oep-serve runs it in process).
using ServeFn = int (*)(const ServerOptions&);
void AddServeVerb(CLI::App& app, int& exit_code, ServeFn serve);

}  // namespace oep::cli
