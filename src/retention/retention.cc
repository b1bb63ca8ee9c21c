#include "retention/retention.h"

#include <algorithm>
#include <cstddef>
#include <vector>

#include "audit/audit.h"
#include "json/json.h"
#include "util/rfc3339.h"
#include "util/time_syntax.h"

namespace oep {
namespace {

Result<int64_t> ParseRetentionDuration(std::string_view name, std::string_view text) {
  if (text.empty()) return Status::InvalidArgument(std::string(name) + ": a duration is required (e.g. 30d)");
  auto seconds = ParseDurationSeconds(text);
  if (!seconds) {
    return Status::InvalidArgument(std::string(name) + " \"" + std::string(text) +
                                   "\": expected a positive whole number and a unit s, m, h, d or w (e.g. 30d), at "
                                   "most a century");
  }
  if (*seconds == 0) {
    return Status::InvalidArgument(std::string(name) + " \"" + std::string(text) +
                                   "\": must be more than zero (0 would delete everything)");
  }
  return *seconds;
}

struct Candidate {
  std::string table, id;
};

constexpr int64_t kNanos = 1000000000;

// The rows of the scoped tenant past their cutoff, decision inputs with their decisions.
Result<std::vector<Candidate>> Candidates(Store& store, int64_t cutoff_ns, int64_t audit_cutoff_ns) {
  std::vector<Candidate> out;
  std::vector<std::string> decisions;
  for (const auto& t : RetentionTables()) {
    if (t.time_column.empty()) continue;
    int64_t cutoff = t.table == "audit_log" ? audit_cutoff_ns : cutoff_ns;
    OEP_RETURN_IF_ERROR(store.ForEachRowTime(t.table, [&](const std::string& id, const std::string& time) {
      auto ns = ParseRfc3339Ns(time);
      if (!ns || *ns >= cutoff) return Status::Ok();
      out.push_back({std::string(t.table), id});
      if (t.table == "decisions") decisions.push_back(id);
      return Status::Ok();
    }));
  }
  constexpr size_t kIdsPerQuery = 500;
  for (size_t i = 0; i < decisions.size(); i += kIdsPerQuery) {
    std::vector<std::string> ids(decisions.begin() + static_cast<std::ptrdiff_t>(i),
                                 decisions.begin() + static_cast<std::ptrdiff_t>(std::min(decisions.size(), i + kIdsPerQuery)));
    auto inputs = store.DecisionInputs(ids);
    if (!inputs.ok()) return inputs.status();
    for (const auto& [id, body] : *inputs) out.push_back({"decision_inputs", id});
  }
  return out;
}

std::string AuditDetail(const RetentionResult& r) {
  rapidjson::Document doc(rapidjson::kObjectType);
  r.ToJson(&doc, doc.GetAllocator());
  return json::CanonicalText(doc);
}

Status DeleteInBatch(Store& store, const std::vector<Candidate>& rows, const RetentionOptions& options,
                     RetentionResult* result) {
  OEP_RETURN_IF_ERROR(store.BeginRetention(result->retention_id));
  std::string deleted_at = NowUtcMicros();
  int64_t deleted = 0;
  for (const auto& c : rows) {
    auto t = store.TombstoneRow(c.table, c.id, result->retention_id, deleted_at);
    if (!t.ok()) return t.status();
    ++deleted;
    if (options.after_delete) options.after_delete(deleted);
  }
  OEP_RETURN_IF_ERROR(RecordAuditInBatch(
      store, AuditEvent{options.actor, "retention.apply", store.tenant(), "ok", AuditDetail(*result)}));
  return store.EndRetention(result->retention_id);
}

}  // namespace

Result<int64_t> ParseRetentionInterval(std::string_view name, std::string_view text) {
  if (text == "off") return int64_t{0};
  auto seconds = ParseRetentionDuration(name, text);
  if (!seconds.ok()) return Status::InvalidArgument(seconds.status().message() + "; or off");
  return seconds;
}

Result<RetentionPolicy> ParseRetentionPolicy(std::string_view older_than, std::string_view audit_older_than,
                                             std::string_view older_than_name, std::string_view audit_name) {
  RetentionPolicy p;
  auto payloads = ParseRetentionDuration(older_than_name, older_than);
  if (!payloads.ok()) return payloads.status();
  p.older_than_seconds = *payloads;
  if (!audit_older_than.empty()) {
    auto audit = ParseRetentionDuration(audit_name, audit_older_than);
    if (!audit.ok()) return audit.status();
    if (*audit < kMinAuditRetentionSeconds) {
      return Status::InvalidArgument(std::string(audit_name) + " \"" + std::string(audit_older_than) +
                                     "\": the audit log is kept at least 365d");
    }
    p.audit_older_than_seconds = *audit;
  }
  if (p.audit_older_than_seconds < p.older_than_seconds) {
    return Status::InvalidArgument(std::string(audit_name) + " (" + std::to_string(p.audit_older_than_seconds / 86400) +
                                   "d) is shorter than " + std::string(older_than_name) + " \"" +
                                   std::string(older_than) + "\": the audit log is kept at least as long as run data");
  }
  return p;
}

int64_t RetentionResult::total() const {
  int64_t n = 0;
  for (const auto& [table, count] : counts) n += count;
  return n;
}

std::string RetentionResult::Render() const {
  std::string out = "retention of tenant " + tenant + ": payloads before " + cutoff + ", audit records before " +
                    audit_cutoff + "\n";
  if (total() == 0) return out + "nothing to delete\n";
  out += dry_run ? "would delete " : "deleted ";
  out += std::to_string(total()) + " row(s)";
  std::string sep = ": ";
  for (const auto& [table, count] : counts) {
    out += sep + table + " " + std::to_string(count);
    sep = ", ";
  }
  if (dry_run) return out + " (dry run: nothing changed)\n";
  out += "; each left a tombstone with its content hash (retention " + retention_id + ")\n";
  if (!reclaimed) out += "note: readers kept the WAL from being truncated; deleted bytes leave it at the next checkpoint\n";
  return out;
}

void RetentionResult::ToJson(rapidjson::Value* out, rapidjson::Document::AllocatorType& a) const {
  out->SetObject();
  auto str = [&](const std::string& s) { return rapidjson::Value(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), a); };
  out->AddMember("tenant", str(tenant), a);
  out->AddMember("cutoff", str(cutoff), a);
  out->AddMember("audit_cutoff", str(audit_cutoff), a);
  out->AddMember("dry_run", dry_run, a);
  rapidjson::Value c(rapidjson::kObjectType);
  for (const auto& [table, count] : counts) c.AddMember(str(table), rapidjson::Value(count), a);
  out->AddMember("deleted", c, a);
  out->AddMember("total", rapidjson::Value(total()), a);
  if (!retention_id.empty()) out->AddMember("retention_id", str(retention_id), a);
}

Result<RetentionResult> ApplyRetention(Store& store, const RetentionOptions& options) {
  RetentionResult result;
  result.tenant = store.tenant();
  result.dry_run = options.dry_run;
  int64_t cutoff = options.now_unix_seconds - options.policy.older_than_seconds;
  int64_t audit_cutoff = options.now_unix_seconds - options.policy.audit_older_than_seconds;
  result.cutoff = FormatUtcSeconds(cutoff);
  result.audit_cutoff = FormatUtcSeconds(audit_cutoff);
  for (const auto& t : RetentionTables()) result.counts[std::string(t.table)] = 0;
  // A write collects under the batch's lock, so what it counts is what it deletes.
  if (!options.dry_run) OEP_RETURN_IF_ERROR(store.BeginBatch());
  auto rows = Candidates(store, cutoff * kNanos, audit_cutoff * kNanos);
  if (rows.ok()) {
    for (const auto& c : *rows) ++result.counts[c.table];
  }
  if (options.dry_run) return rows.ok() ? Result<RetentionResult>(result) : Result<RetentionResult>(rows.status());
  if (!rows.ok() || rows->empty()) {
    store.RollbackBatch();
    if (!rows.ok()) return rows.status();
    return result;
  }
  result.retention_id = "retention_" + NowUtcMicros();
  Status s = DeleteInBatch(store, *rows, options, &result);
  if (!s.ok()) {
    store.RollbackBatch();
    return s;
  }
  OEP_RETURN_IF_ERROR(store.CommitBatch());
  auto reclaimed = store.ReclaimDeleted();
  if (!reclaimed.ok()) return reclaimed.status();
  result.reclaimed = *reclaimed;
  return result;
}

}  // namespace oep
