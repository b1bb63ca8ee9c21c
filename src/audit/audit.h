// The append-only audit log: every admin action and every denied request, one canonical
// JSON record each, stored in the audit_log table and covered by the tenant's ledger
// chain "audit" (so `oep verify --chain` checks it like any evidence).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/store.h"
#include "util/status.h"

namespace oep {

struct AuditEvent {
  std::string actor;    // "key:<key id>", "cli", or "anonymous"
  std::string action;   // e.g. "tenant.create", "key.create", "request.denied"
  std::string target;   // what the action was on (a tenant, key id, request path)
  std::string outcome;  // "ok", or why it was denied
  std::string detail;   // optional free text
};

// Appends `event` to the audit log of the store's scoped tenant in its own transaction,
// at the current time.
Status RecordAudit(Store& store, const AuditEvent& event);

// The same inside the caller's open batch (the audited action commits with it).
Status RecordAuditInBatch(Store& store, const AuditEvent& event);

// Current UTC time in RFC 3339 with microseconds ("2026-12-02T03:04:05.123456Z").
std::string NowUtcMicros();
// The same form of `unix_micros` microseconds since the epoch.
std::string FormatUtcMicros(int64_t unix_micros);

}  // namespace oep
