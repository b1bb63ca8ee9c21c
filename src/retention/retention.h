// Retention with tombstones: hard-deletes stored payloads past their retention and leaves,
// for each deleted row, a tombstone holding the hex SHA-256 of its bytes, which the ledger
// entry that covered the row still commits to (so every chain still verifies).
//
// What goes: agent-step events (by event_time), permission packets (by decision_time) with
// the OPA inputs recorded beside them, and audit records (by at) older than the audit
// cutoff, of the store's scoped tenant. What stays: the ledger, run records and their step
// index (run_steps: event id and digest), manifests, traces and every other kind, and the
// tombstones. A row whose time is not RFC 3339 is kept.
// One run is one transaction: the tombstones, the deletes and one audit record
// ("retention.apply": cutoffs, counts, retention id) commit together or not at all.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "store/store.h"
#include "util/status.h"

namespace oep {

// The audit log is kept at least this long (and at least as long as run data).
inline constexpr int64_t kMinAuditRetentionSeconds = int64_t{365} * 86400;

struct RetentionPolicy {
  int64_t older_than_seconds = 0;  // payloads older than this go
  int64_t audit_older_than_seconds = kMinAuditRetentionSeconds;
};

// `older_than` and `audit_older_than` ("" = the default, 365d) as durations of
// util/time_syntax.h ("30d", "12h", "2w"). InvalidArgument naming `flag_prefix`+"older-than"
// (e.g. "--older-than", or "retention.older_than" for the serve config) for an empty, zero,
// negative, unknown-unit or overflowing duration, an audit retention under 365d, or one
// shorter than the payloads'.
Result<RetentionPolicy> ParseRetentionPolicy(std::string_view older_than, std::string_view audit_older_than,
                                             std::string_view older_than_name = "--older-than",
                                             std::string_view audit_name = "--audit-older-than");

struct RetentionOptions {
  RetentionPolicy policy;
  int64_t now_unix_seconds = 0;
  bool dry_run = false;     // count only; nothing is written (the store may be opened read-only)
  std::string actor = "cli";  // who the audit record names
  // Called inside the transaction after each deletion with the number deleted so far (tests
  // use it to stop the process there).
  std::function<void(int64_t deleted)> after_delete;
};

struct RetentionResult {
  std::string tenant, retention_id, cutoff, audit_cutoff;
  bool dry_run = false;
  std::map<std::string, int64_t> counts;  // RetentionTables name -> rows (to be) deleted
  bool reclaimed = true;  // the deleted bytes left the store's files (see Store::ReclaimDeleted)
  int64_t total() const;
  std::string Render() const;  // the human summary, one or two lines
  void ToJson(rapidjson::Value* out, rapidjson::Document::AllocatorType& a) const;
};

// How often `oep serve` applies the configured retention: a duration ("24h", as
// --older-than takes them) in seconds, or "off" = 0 (only POST /v1/retention:apply then).
// InvalidArgument naming `name` otherwise.
Result<int64_t> ParseRetentionInterval(std::string_view name, std::string_view text);

// Applies `options` to the store's scoped tenant. Nothing to delete: nothing is written.
Result<RetentionResult> ApplyRetention(Store& store, const RetentionOptions& options);

}  // namespace oep
