// `oep replay run RUN_ID` and GET /v1/runs/{id}/frames: a run reconstructed as ordered frames
// from its ledger chain "run:<RUN_ID>", one per chain entry in sequence order:
//   EVENT      an artifact entry: the stored row (table, id, content hash) and what it says
//              (time; tool and outcome for a decision)
//   REDACTION  a value of that row stored as a redaction marker: its JSON pointer, detector
//              and the SHA-256 of the removed value (never the value)  [OEP-F003]
//   LOG_DROP   a drop entry: how many events were lost, why                 [OEP-F002]
//              A row retention deleted is an EVENT frame with status "tombstoned", its
//              content hash (the tombstone's, which must be the entry's), deleted_at and
//              retention_id, content_checked false                        [OEP-F006]
//   GAP        a missing sequence range (a drop entry's first_seq..last_seq) or a recorded
//              break in continuity; never smoothed over                     [OEP-F001]
// Frames are served only from a chain that verifies: sequence, links, entry hashes and seal
// (ClassifyChain) and each covered row's bytes against its entry's content hash. Otherwise
// the only frame is CHAIN_UNVERIFIED [OEP-F004] saying why, with the affected entries (the
// failing one and every later one). An unsealed chain is served with warning OEP-F005.
#pragma once

#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "keys/keys.h"
#include "store/store.h"
#include "util/status.h"

namespace oep {

inline constexpr std::string_view kRunFramesSchemaPath = "playbooks/schema/run_frames.v0.schema.json";

// NotFound when the run has no chain. Deterministic: a function of the store's bytes.
Result<rapidjson::Document> RunFrames(Store& store, const std::string& run_id, const TrustedKeys& trusted);

std::string RenderFramesHuman(const rapidjson::Value& report);
// One JSON line for the run (without its frames), then one line per frame.
std::string RenderFramesJsonl(const rapidjson::Value& report);

}  // namespace oep
