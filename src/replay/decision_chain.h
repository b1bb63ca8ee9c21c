// The evidence class of the chain a replayed decision is on, for the incident views of the
// CLI (`oep replay`) and the server (`GET /v1/decisions/{id}/markdown`).
#pragma once

#include <rapidjson/document.h>

#include "keys/keys.h"
#include "replay/replay.h"
#include "store/store.h"

namespace oep {

// Classifies the chain `chain_id` from its own entries, its seal judged against `trusted`
// only; the rows the entries cover are `oep verify --chain`'s to check. Never fails: a chain
// that cannot be read or is broken is described in `detail` with an empty evidence class.
ChainEvidence ClassifyChainEvidence(Store& store, const std::string& chain_id, const TrustedKeys& trusted);

// ClassifyChainEvidence of the chain of `record`'s run (a ReplayDecision record).
ChainEvidence ClassifyDecisionChain(Store& store, const rapidjson::Value& record, const TrustedKeys& trusted);

}  // namespace oep
