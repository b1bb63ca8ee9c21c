// `oep audit tools`: who used which tool, from the stored permission decisions.
// A decision counts as approved when its approval_capture.outcome is "approved", as
// break-glass when its decision.decision_code is "break_glass" or its matched rule names
// break_glass (the packet schema has no dedicated member).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "store/store.h"
#include "util/status.h"

namespace oep {

struct ToolUse {
  std::string actor, tool;
  int64_t calls = 0, allowed = 0, denied = 0, approved = 0, break_glass = 0;
  std::string first_use, last_use;  // decision_time, as recorded
};

// True when a permission packet records a break-glass decision (see above).
bool IsBreakGlass(const rapidjson::Value& packet);

// Adds one permission packet to `uses` (sorted by actor then tool).
void CountToolUse(const rapidjson::Value& packet, std::vector<ToolUse>* uses);

// Every decision of the store's tenant whose decision_time is at or after `since` (RFC 3339;
// "" = all). InvalidArgument for a bad `since`.
Result<std::vector<ToolUse>> AuditToolUse(Store& store, const std::string& since);

// A table at most 80 columns wide.
std::string RenderToolUse(const std::vector<ToolUse>& uses);

void ToolUseToJson(const std::vector<ToolUse>& uses, rapidjson::Value* out, rapidjson::Document::AllocatorType& a);

}  // namespace oep
