// `oep import agentops-els FILE`: an AgentOps Replay ELS session log (verify/els_verify.h
// says the format) as one run, keeping its hash chain and evidence class.
//
// The log is verified first (ElsChain); one that fails (an edited event, a broken link, a
// sequence gap, an event after the seal, ...) is refused whole, naming each failure's line
// and reason, and nothing is stored: the store keeps only chains that verified.
//   run          run_id = the session id when it is a UUID (its 32 hex digits), else the
//                first 32 hex digits of its SHA-256; agent = the first event's
//                payload.agent_id or payload.agent ("agentops" when neither); tags
//                ["agentops-els"]; metadata {source: "agentops-els", session_id, envelope}
//   each event   one agent-step event, the next step of the run:
//     event_id   "els_<run_id>_<n>" (n: the event's position in the log, 1, 2, ...)
//     event_type llm.call (LLM_CALL), llm.response (LLM_RESPONSE), tool_call.requested
//                (TOOL_CALL), tool_call.completed (TOOL_RESULT), session.started / ended,
//                evidence.log_drop, evidence.chain_sealed, evidence.chain_broken, else
//                els.<type in lower case>
//     span_id    the first 16 hex digits of its event_hash; trace_id the run id
//     checkpoint {name: "agentops-els", sequence: n, state: its event_hash} (frames show n)
//     links      {els_prev_hash, els_event_hash}: the chain, visible on every step
//     evidence_loss  a LOG_DROP's lost_count (degrading), a CHAIN_BROKEN (blocking)
//     evidence_status  {els_hash: "present"}, or "declared" when the default redaction
//                will erase a credential value of it (its hash can then not be recomputed
//                from the store; its links still are)
//     payload    {"els": the event exactly as logged, "evidence_class": the log's class
//                (on the CHAIN_SEAL event: final, nothing may follow a seal)}
// Importing the same log again stores nothing; a longer log of the same session (more
// events after the stored ones) appends the new events. Conflict when the stored events of
// the session differ from the log's (another event_hash at the same position).
// `oep verify` re-verifies every imported chain from the stored steps (CheckStoredEls).
#pragma once

#include <cstdint>
#include <string>

#include "store/store.h"
#include "util/status.h"
#include "verify/els_verify.h"

namespace oep {

struct ElsImportReport {
  ElsReport chain;
  std::string run_id;
  int64_t stored = 0, unchanged = 0;
  bool run_created = false;
  std::string Summary() const;
};

Result<ElsImportReport> ImportAgentOpsEls(Store& store, const std::string& path);

}  // namespace oep
