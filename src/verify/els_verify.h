// `oep verify --agentops-els FILE`: AgentOps Replay ELS session logs (v1.0 envelope
// {seq, event_type, session_id, timestamp, payload, prev_hash, event_hash}, and the older
// envelope with event_id and no seq). event_hash is the hex SHA-256 of the RFC 8785 form of
// the event without event_hash; prev_hash links to the previous event_hash (64 "0" first).
#pragma once

#include <string>
#include <vector>

#include "util/status.h"

namespace oep {

struct ElsReport {
  int64_t events = 0;
  std::string envelope;        // "v1.0" or "legacy"
  std::string evidence_class;  // AUTHORITATIVE_EVIDENCE, PARTIAL_..., NON_AUTHORITATIVE_EVIDENCE
  std::vector<std::string> failures;  // "seq 5: ...", in file order
  std::vector<std::string> notes;     // facts that are not failures (e.g. unverifiable HMAC)
  bool ok() const { return failures.empty(); }
  std::string Render() const;
};

// Verifies one session log. IOError / InvalidArgument for an unreadable file or a line
// that is not a JSON object; tampering is reported in the result, not as an error.
Result<ElsReport> VerifyAgentOpsEls(const std::string& path);

}  // namespace oep
