// `oep replay <decision_id>`: a read-only join of one permission decision with the
// evidence around it. The record validates against playbooks/schema/decision_replay.v0.
#pragma once

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

// A readable summary of a replay record, for pasting into an incident document.
std::string RenderReplayHuman(const rapidjson::Value& record);

}  // namespace oep
