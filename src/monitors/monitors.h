// Monitors: Rego policies evaluated over ingested evidence. A monitor is a folder (or one
// .rego file) of modules and data files, loaded as `oep rego eval --data` loads them; every
// package that defines `violation` (a set of strings or objects) or `deny` (a set of
// messages), as conftest and gatekeeper write them, is a monitor of that name.
//
// The input a monitor sees is one batch:
//   {"events": [agent-step events], "decisions": [tool permission packets],
//    "drops": [{"run_id", "count", "first_seq", "last_seq", "reason"}]}
// with the artifacts as stored. A `violation` object may carry "msg" (its message),
// "severity" (low|medium|high|critical, default medium), "run_id", "event_ids",
// "decision_ids" and "details"; a string is a message alone.
//
// Each result becomes a violation record (permissions/schema/monitor_violation.v0): the
// monitor, its policy version (sha256 over its files' paths and bytes), the rule, the
// message, severity and offending ids; its id is derived from those, so the same finding
// over the same evidence is stored once. Records are append-only artifacts on the store's
// ledger chain, in the scoped tenant.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "rego/value.h"
#include "store/store.h"
#include "util/status.h"

namespace oep {

class Ingester;

class MonitorSet {
 public:
  // Loads every path (a folder or a .rego file); InvalidArgument "<path>: ..." when one
  // does not exist, does not compile (the Rego error with file and line) or defines no
  // violation/deny rule.
  static Result<std::unique_ptr<MonitorSet>> Load(const std::vector<std::string>& paths);
  ~MonitorSet();

  struct Monitor;
  const std::vector<std::unique_ptr<Monitor>>& monitors() const { return monitors_; }
  // The monitors' names (their packages), in load order.
  std::vector<std::string> Names() const;

 private:
  MonitorSet() = default;
  std::vector<std::unique_ptr<Monitor>> monitors_;
};

// The monitors of a server by tenant. Specs: "PATH" (a folder or .rego file, for every
// tenant) or "TENANT=PATH" (for that tenant only; TENANT as ValidateTenantName takes it, else
// the whole spec is a path). A tenant's set is the every-tenant paths then its own, in the
// order given, loaded once; two monitors of one name in a tenant's set are refused.
class TenantMonitors {
 public:
  // InvalidArgument as MonitorSet::Load's, prefixed "TENANT: " for a tenant's own set.
  static Result<TenantMonitors> Load(const std::vector<std::string>& specs);
  // The monitors of `tenant`; nullptr when none apply.
  const MonitorSet* For(std::string_view tenant) const;
  bool empty() const { return !all_ && own_.empty(); }

 private:
  std::unique_ptr<MonitorSet> all_;  // tenants without paths of their own
  std::map<std::string, std::unique_ptr<MonitorSet>, std::less<>> own_;
};

struct ViolationFinding {
  std::string monitor, policy_version, rule, message, severity, run_id;
  std::vector<std::string> event_ids, decision_ids;
  std::string details_json;  // "" when none
};

// Every finding of every monitor over `input` (the batch object above), in monitor order
// and then the sets' order. An evaluation error (a runaway policy, a conflict) is
// InvalidArgument naming the monitor; a malformed violation object names its member.
Result<std::vector<ViolationFinding>> EvaluateMonitors(const MonitorSet& monitors, const rapidjson::Value& input);
// The same over the input as a Rego value.
Result<std::vector<ViolationFinding>> EvaluateMonitors(const MonitorSet& monitors, const rego::Value& input);

// The violation records (oep.monitor_violation.v0 documents) of the findings not stored in
// the scoped tenant yet, each once, stamped with the current time.
Result<std::vector<rapidjson::Document>> NewViolationRecords(Store& store, const std::vector<ViolationFinding>& findings);
// Stores NewViolationRecords in one batch of the scoped tenant; returns what was new (a
// finding already stored is unchanged).
Result<std::vector<rapidjson::Document>> StoreViolations(Store& store, const std::vector<ViolationFinding>& findings,
                                                         const std::string& source);

// Evaluates the monitors over the events and tool permission packets `ingester` inserted
// (it must have been told KeepInserted before its records were added) and the drops it
// records (`drops`: payloads, each with its run_id), and adds the new violation records
// to its batch, to be committed with it; returns them. Nothing is added when a monitor
// fails (its error is returned) or a record would not validate.
Result<std::vector<rapidjson::Document>> MonitorBatch(const MonitorSet& monitors, Store& store, Ingester& ingester,
                                                      const std::string& source,
                                                      const std::vector<const rapidjson::Value*>& drops = {});

// The batch input for `events` / `decisions` ids as they are stored (ids not stored are
// skipped) and `drops` as given.
Result<rapidjson::Document> BatchInput(Store& store, const std::vector<std::string>& event_ids,
                                       const std::vector<std::string>& decision_ids,
                                       const std::vector<std::string>& drop_payloads_json);

// Evaluates the monitors over stored history, one run at a time (the run's events and
// the decisions they reference, then the events without a run), storing nothing: what the
// monitors would have flagged before they are enabled.
Result<std::vector<ViolationFinding>> TestMonitorsOnHistory(Store& store, const MonitorSet& monitors);

struct ViolationFilter {
  std::string monitor, severity, run_id, since;  // "" = any; since: created_at >= (RFC 3339)
};
// Stored violations of the scoped tenant, oldest first (by created_at, then id), after
// `after` (an id, "" = from the start), at most `limit`. InvalidArgument for a bad severity.
Result<std::vector<StoredArtifact>> ListViolations(Store& store, const ViolationFilter& filter, const std::string& after,
                                                   int limit);

// low | medium | high | critical
bool IsSeverity(const std::string& s);

}  // namespace oep
