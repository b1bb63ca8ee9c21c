#include "audit/audit.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>

#include <rapidjson/document.h>

#include "crypto/sha256.h"
#include "json/json.h"
#include "ledger/ledger.h"

namespace oep {

std::string NowUtcMicros() {
  auto now = std::chrono::system_clock::now();
  return FormatUtcMicros(std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count());
}

std::string FormatUtcMicros(int64_t micros) {
  std::time_t secs = static_cast<std::time_t>(micros / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char date[24], buf[40];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf, sizeof buf, "%s.%06dZ", date, static_cast<int>(micros % 1000000));
  return buf;
}

Status RecordAuditInBatch(Store& store, const AuditEvent& event) {
  // Ids order by time; the counter separates records of one microsecond.
  static std::atomic<uint64_t> counter{0};
  AuditRecord r;
  r.at = NowUtcMicros();
  char suffix[24];
  std::snprintf(suffix, sizeof suffix, "_%08llx", static_cast<unsigned long long>(counter++ & 0xffffffff));
  r.audit_id = r.at + suffix;
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  auto add = [&](const char* name, const std::string& value) {
    doc.AddMember(rapidjson::StringRef(name), rapidjson::Value(value.c_str(), static_cast<rapidjson::SizeType>(value.size()), a), a);
  };
  add("audit_id", r.audit_id);
  add("at", r.at);
  add("tenant", store.tenant());
  add("actor", event.actor);
  add("action", event.action);
  add("target", event.target);
  add("outcome", event.outcome);
  if (!event.detail.empty()) add("detail", event.detail);
  r.body = json::CanonicalText(doc);
  r.digest = crypto::Sha256Digest(r.body);
  r.source = "audit:" + event.action;
  LedgerAppender ledger(store);
  auto entry = ledger.NextEntryId();
  if (!entry.ok()) return entry.status();
  OEP_RETURN_IF_ERROR(store.PutAuditRecord(r, *entry));
  return ledger.AppendArtifact("audit", "audit_log", r.audit_id, ContentHashOfDigest(r.digest), r.source);
}

Status RecordAudit(Store& store, const AuditEvent& event) {
  OEP_RETURN_IF_ERROR(store.BeginBatch());
  Status s = RecordAuditInBatch(store, event);
  if (!s.ok()) {
    store.RollbackBatch();
    return s;
  }
  return store.CommitBatch();
}

}  // namespace oep
