// Agent runs posted to `oep serve`: a run is created, receives numbered steps in atomic
// batches (each step an agent-step event validated and hashed by the server, appended to
// the run's chain), and is finished by sealing that chain with the server's key.
//
// POST /v1/runs body: {"run_id"?: 32 lowercase hex (the run's trace id; generated when
//   absent), "release_manifest_id"?, "model"?, "agent"?, "tags"?: [string], "metadata"?: {}}
// POST /v1/runs/{id}/steps body: {"steps": [{"step": N, "event": <agent-step event>,
//   "digest"?: ignored (the server computes every hash)}]}, steps consecutive.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "store/store.h"
#include "util/status.h"

namespace oep {

class Ingester;

struct RedactionProfile;

inline constexpr size_t kMaxStepsPerBatch = 1000;

struct CreatedRun {
  RunSummary run;
  bool created = false;  // false: the same run was already stored (a retry)
};

// InvalidArgument naming the JSON pointer and what was expected; Conflict when the run id
// is stored with other content. Nothing is written unless everything is valid.
Result<CreatedRun> CreateRun(Store& store, const rapidjson::Value& body, const std::string& source);

struct StepOutcome {
  int64_t step = 0;
  std::string event_id, digest;  // the server's digest of the stored event
  bool inserted = false;         // false: already stored identically (a retry)
};

// One atomic batch. NotFound for an unknown run; Conflict for a finished run, a sequence
// gap, or a step number stored with other content; InvalidArgument for bad input. Each
// event is redacted with `redaction` (nullptr: DefaultRedactionProfile()) before it is
// validated and hashed. `before_commit`, when given, sees the batch (its ingester keeps
// what it inserted) and may add to it: what it adds commits with the steps; an error it
// returns leaves nothing stored.
Result<std::vector<StepOutcome>> AppendSteps(Store& store, const std::string& run_id, const rapidjson::Value& body,
                                             const std::string& source, const RedactionProfile* redaction = nullptr,
                                             const std::function<Status(Ingester&)>& before_commit = {});

// Events recorded elsewhere (OTLP spans, MCP tool calls) as the next steps of run `run_id`:
// the run is created when new (with `agent` and metadata.source `origin`); events whose id is
// already stored are skipped, as an exporter's retries are; the rest are appended in order,
// in batches of at most kMaxStepsPerBatch, each event redacted by AppendSteps' default.
struct RunEventsOutcome {
  int64_t stored = 0, unchanged = 0;
  bool run_created = false;
};
Result<RunEventsOutcome> AppendRunEvents(Store& store, const std::string& run_id, const std::string& agent,
                                         const std::string& origin, const std::vector<const rapidjson::Value*>& events,
                                         const std::string& source);

struct FinishedRun {
  RunSummary run;
  bool sealed_now = false;  // false: it was already finished
};

// Seals the run's chain with the Ed25519 key at `server_key_path` ("server" authority).
Result<FinishedRun> FinishRun(Store& store, const std::string& run_id, const std::string& server_key_path);

// The run as the API returns it.
void RunToJson(const RunSummary& run, rapidjson::Value* out, rapidjson::Document::AllocatorType& a);

// The release manifest id of evidence that names no release, and storing that manifest
// (fixed content, the same in every tenant and store: every layer not recorded) unless the
// store's tenant has it; true when it was stored now.
inline constexpr const char* kUnspecifiedRelease = "rmf_unspecified";
Result<bool> EnsureUnspecifiedRelease(Store& store);

// True for 32 lowercase hex digits.
bool IsRunId(std::string_view id);

}  // namespace oep
