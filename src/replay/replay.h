// `oep replay <decision_id>`: a read-only join of one permission decision with the
// evidence around it. The record validates against playbooks/schema/decision_replay.v0.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "store/store.h"
#include "util/status.h"

namespace oep {

inline constexpr std::string_view kReplaySchemaPath = "playbooks/schema/decision_replay.v0.schema.json";

// The replay record of `decision_id`. NotFound (naming the closest stored ids) when the
// store holds no such decision. Missing joined evidence is reported in the record's
// "evidence" and "join_issues", never an error.
Result<rapidjson::Document> ReplayDecision(Store& store, std::string_view decision_id);

// The ledger chain a decision's evidence is on, as the verifier classified it (replay
// reads; it does not verify: the caller classifies the chain and passes the result).
struct ChainEvidence {
  std::string chain_id;
  std::string evidence_class;  // AUTHORITATIVE | PARTIAL_AUTHORITATIVE | NON_AUTHORITATIVE; "" when broken
  std::string detail;          // "9 entries, unsealed", or why the chain is broken
};

struct IncidentViewOptions {
  bool full_input = false;            // the whole OPA input instead of a summary
  std::optional<ChainEvidence> chain;  // nullopt: not classified
  size_t width = 80;                  // columns of the human view
};

// The incident view of a replay record: verdict, rule and reason first; the OPA input; the
// release layers; the event and every span of its trace (the decision's marked); reviews
// and approvals; the reconstruction packet's verdict with its missing and stale evidence;
// the chain's evidence class. What an imported decision's log did not record reads "not
// recorded". Strings from policies and inputs are escaped (control characters, bidi
// overrides, invalid UTF-8 never reach the terminal raw).
std::string RenderReplayHuman(const rapidjson::Value& record, const IncidentViewOptions& options);
// The same facts as markdown, to paste into an incident document.
std::string RenderReplayMarkdown(const rapidjson::Value& record, const IncidentViewOptions& options);

}  // namespace oep
