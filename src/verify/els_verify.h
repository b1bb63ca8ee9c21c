// `oep verify --agentops-els FILE`: AgentOps Replay ELS session logs (v1.0 envelope
// {seq, event_type, session_id, timestamp, payload, prev_hash, event_hash}, and the older
// envelope with event_id and no seq). event_hash is the hex SHA-256 of the RFC 8785 form of
// the event without event_hash; prev_hash links to the previous event_hash (64 "0" first).
// Evidence class: a CHAIN_SEAL without LOG_DROP or CHAIN_BROKEN is AUTHORITATIVE_EVIDENCE,
// with either PARTIAL_AUTHORITATIVE_EVIDENCE, no seal NON_AUTHORITATIVE_EVIDENCE.
#pragma once

#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "store/store.h"
#include "util/status.h"

namespace oep {

struct ElsReport {
  int64_t events = 0;
  std::string envelope;        // "v1.0" or "legacy"
  std::string evidence_class;  // AUTHORITATIVE_EVIDENCE, PARTIAL_..., NON_AUTHORITATIVE_EVIDENCE
  std::string last_hash;       // the last event's event_hash
  std::vector<std::string> failures;  // "line 5, seq 5: ...", in order
  std::vector<std::string> notes;     // facts that are not failures (e.g. unverifiable HMAC)
  bool ok() const { return failures.empty(); }
  std::string Render() const;
};

// The checks of one session log, fed its events in order (from a file, or as stored).
class ElsChain {
 public:
  // Checks `event` (an object), the `line`-th of the log, against the events before it;
  // its event_hash is taken as given (not recomputed) unless `check_hash`.
  void Add(const rapidjson::Value& event, int64_t line, bool check_hash = true);
  // The report of the events added so far.
  ElsReport Finish() const;

 private:
  ElsReport r_;
  std::string prev_hash_ = std::string(64, '0');
  int64_t expected_seq_ = 1;
  bool sealed_ = false, dropped_ = false, broken_ = false;
};

// Verifies one session log. IOError / InvalidArgument for an unreadable file or a line
// that is not a JSON object; tampering is reported in the result, not as an error.
Result<ElsReport> VerifyAgentOpsEls(const std::string& path);

// Runs imported by `oep import agentops-els` (importers/agentops_els.h) carry this tag;
// each step's payload.els is the logged event, and evidence_status.els_hash "declared"
// marks one whose stored form was redacted.
inline constexpr const char* kElsRunTag = "agentops-els";

// Every imported session re-verified from its stored steps, in step order, through
// ElsChain; the class each chain has now is compared with the one its steps recorded. A
// session some of whose events retention deleted is not re-verified (the ledger still
// checks the deleted events' hashes): it is listed in `classes` as such.
struct StoredElsCheck {
  int64_t runs = 0, events = 0, tombstoned = 0;
  std::vector<std::string> failures;  // "run <id>: line N, seq N: ..."
  std::vector<std::string> classes;   // "<run id> <evidence class>", in run order
};
Result<StoredElsCheck> CheckStoredEls(Store& store);

}  // namespace oep
