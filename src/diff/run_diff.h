// `oep diff RUN_A RUN_B`: what differs between two agent runs, by category — prompt stack,
// tool calls (aligned step sequences: inserted, deleted, moved, changed), model
// configuration, policy decisions, metadata and tags, cost and duration.
//
// A run is the agent-step events of one trace id: the steps of a run posted to `oep serve`
// (in step order, with the run's tags, model, agent and metadata), else the stored events
// with that trace id (ordered by checkpoint sequence, event time, event id). Its release
// manifest gives the prompt and model layers.
//
// The result validates against playbooks/schema/run_diff.v0.schema.json; it is a pure
// function of the two runs' stored evidence and the profile, so its canonical JSON is
// byte-identical run after run. Redacted values (redaction markers, see
// redaction/redaction_marker.h) are compared by hash and never shown.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "store/store.h"
#include "util/status.h"

namespace oep {

inline constexpr std::string_view kRunDiffSchemaPath = "playbooks/schema/run_diff.v0.schema.json";
// A run with more steps is refused (the alignment is quadratic in the differing middle).
inline constexpr size_t kMaxDiffSteps = 100000;

// Fields a diff does not compare. Each entry is a member name, ignored at any depth
// ("event_time"), or a JSON pointer from the compared document's root whose segments may
// be "*" ("/budget/run_cost_usd", "/links/*").
struct DiffProfile {
  std::string name;
  std::string source;  // "built-in" or the profile file's path
  std::vector<std::string> ignore;
};

// The built-in profiles, by name: "default" (identifiers that differ between any two runs,
// timestamps, durations and request ids) and "strict" (identifiers only).
std::vector<std::string> BuiltinDiffProfileNames();

// A built-in profile by name, else a profile file: {"name": string, "extends"?: a built-in
// name, "ignore": [string]}. InvalidArgument naming the file and JSON pointer otherwise.
Result<DiffProfile> ResolveDiffProfile(const std::string& name_or_file);

// The diff record. NotFound when a run id names neither a stored run nor any stored event.
Result<rapidjson::Document> DiffRuns(Store& store, const std::string& run_a, const std::string& run_b,
                                     const DiffProfile& profile);

// Readable renderings of a diff record (for terminals, and to paste into documents).
std::string RenderRunDiffHuman(const rapidjson::Value& diff);
std::string RenderRunDiffMarkdown(const rapidjson::Value& diff);

}  // namespace oep
