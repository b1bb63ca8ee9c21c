// retention apply: deletes payloads past retention, leaving tombstones (src/retention).
#include <cstdlib>
#include <iostream>
#include <memory>
#include <unistd.h>

#include "cli/cli.h"
#include "retention/retention.h"
#include "util/time_syntax.h"

namespace oep::cli {
namespace {

struct RetentionArgs {
  std::string state_path, older_than, audit_older_than, format = "human";
  bool dry_run = false;
};

int RunApply(const RetentionArgs& a) {
  // Durations are checked before the store is opened: a refusal leaves it untouched.
  auto policy = ParseRetentionPolicy(a.older_than, a.audit_older_than);
  if (!policy.ok()) return Fail(policy.status());
  auto store = OpenStore(Resolve(a.state_path), a.dry_run ? Store::Mode::kReadOnly : Store::Mode::kReadWrite);
  if (!store.ok()) return Fail(store.status());
  RetentionOptions options;
  options.policy = *policy;
  options.now_unix_seconds = UnixNow();
  options.dry_run = a.dry_run;
  // Test hook: OEP_TEST_RETENTION_EXIT_AFTER=N ends the process after N deletions, inside
  // the transaction (a crash there must leave the store as it was).
  if (const char* n = std::getenv("OEP_TEST_RETENTION_EXIT_AFTER"); n != nullptr && *n != '\0') {
    int64_t limit = std::atoll(n);
    options.after_delete = [limit](int64_t deleted) {
      if (deleted >= limit) _exit(86);
    };
  }
  auto result = ApplyRetention(**store, options);
  if (!result.ok()) return Fail(result.status());
  if (a.format == "human") {
    std::cout << result->Render();
    return 0;
  }
  rapidjson::Document doc;
  result->ToJson(&doc, doc.GetAllocator());
  return PrintRecord(doc, "", a.format, nullptr);
}

}  // namespace

void AddRetentionVerbs(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<RetentionArgs>();
  auto* root = app.add_subcommand("retention", "retention: delete payloads past their time, keep tombstones with their hashes");
  root->require_subcommand(1);
  auto* apply = root->add_subcommand(
      "apply", "hard-delete events, decisions and OPA inputs older than --older-than (audit records older than "
               "--audit-older-than), each leaving a tombstone; one transaction");
  AddStatePath(apply, &a->state_path);
  AddTenant(apply);
  apply->add_option("--older-than", a->older_than, "payload retention, e.g. 30d (units s, m, h, d, w)")->required();
  apply->add_option("--audit-older-than", a->audit_older_than, "audit log retention (default and minimum 365d)");
  apply->add_flag("--dry-run", a->dry_run, "print what would be deleted; change nothing");
  auto* format = apply->add_option("--output-format", a->format, "human | json | jsonl")->check(CLI::IsMember({"human", "json", "jsonl"}));
  apply->add_flag_callback("--json", [a] { a->format = "json"; }, "the same as --output-format json")->excludes(format);
  apply->callback([a, &exit_code] { exit_code = RunApply(*a); });
}

}  // namespace oep::cli
