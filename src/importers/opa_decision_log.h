// `oep import opa-decision-log FILE --manifest ID`: OPA decision-log events become permission
// packets, so a team that runs OPA can replay its production decisions under a candidate policy.
//
// Accepted files (gzip-compressed or not): a JSON array of events (the body OPA posts to a
// decision-log service), or JSON lines, each an event or a line of OPA's console logger
// (lines whose "msg" is not "Decision Log" are skipped). Each event maps to a packet:
//   packet_id  pder_opa_<decision_id>       decision_time  timestamp
//   opa_input  input                         nd_builtin_cache  nd_builtin_cache
//   decision   derived from result (a boolean, or an object with a boolean "allow")
//   opa_decision_log  every other member of the event, verbatim (result absent = undefined)
//   event_id, tool_call_id, trace_id, span_id, actor, tool, requested_action (input.action),
//   resource: from the event or its input where they carry them in oep's shape; otherwise
//   marked as not recorded (zero trace/span ids, "opa_dl_" ids, the decision path as tool).
// policy_bundle_version is the sha256 of the canonical "bundles" revisions object: the log
// names bundle revisions, not their bytes. Fields the logger erased or masked under /input
// make re-decisions of that packet evaluative (see DecisionLogInputRedactions).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <vector>

#include <rapidjson/document.h>

#include "ingest/ingest.h"
#include "store/store.h"

namespace oep {

struct OpaDecisionLogOptions {
  std::string manifest_id;  // the stored release manifest the decisions were made under
  std::string path;         // import only events for this decision path ("" = all)
  // The file's (decompressed) text is refused past this many bytes, and any one event past
  // kMaxRecordBytes, as soon as the stream passes them (memory is bounded by the limits).
  size_t max_total_bytes = size_t{1} << 30;
  // Redaction of the stored packets (nullptr: DefaultRedactionProfile()); must outlive the import.
  const RedactionProfile* redaction = nullptr;
  // Told now and then how many events are read, of `total` (0 while unknown: JSON lines).
  std::function<void(int64_t events, int64_t total)> progress;
};

struct OpaDecisionLogReport {
  IngestReport ingest;
  int64_t events = 0;          // decision-log events read
  int64_t imported = 0;        // stored as packets (new or already stored)
  int64_t other_paths = 0;     // skipped by --path
  int64_t other_lines = 0;     // console lines that are not decision-log events
  int64_t redacted = 0;        // packets whose input the logger erased or masked
};

// Why a logged decision's recorded input is not the input the policy saw: the members of
// the stored event (`opa_decision_log`) that say the logger erased or masked /input paths.
std::vector<std::string> DecisionLogInputRedactions(const rapidjson::Value& logged_event);

// One transaction: every event is imported or none is.
Result<OpaDecisionLogReport> ImportOpaDecisionLog(Store& store, const std::string& file,
                                                  const OpaDecisionLogOptions& options);
// The same for a decision log's (decompressed) text; `file` names it in errors and provenance.
Result<OpaDecisionLogReport> ImportOpaDecisionLogText(Store& store, std::string_view text, const std::string& file,
                                                      const OpaDecisionLogOptions& options);

}  // namespace oep
