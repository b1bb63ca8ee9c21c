// OpenTelemetry traces in OTLP's JSON encoding (POST /v1/traces on oep serve, `oep import otlp FILE`;
// the protobuf encoding is read into the same JSON first, see importers/otlp_protobuf.h)
// (ExportTraceServiceRequest: resourceSpans[].scopeSpans[].spans[]; trace and span ids as
// hex strings, times as nanosecond strings, attributes as {key, value: AnyValue}).
//
// Each trace is a run (created when new: agent = the resource's service.name, metadata
// {"source": "otlp"}), each span one agent-step event of it, appended after the run's last
// step through the same path as POST /v1/runs/{id}/steps (validated, hashed, chained):
//   event_id     "otel_<trace_id>_<span_id>" (a span already stored is skipped: exporters retry)
//   event_type   llm.call (gen_ai.operation.name chat | text_completion | generate_content |
//                embeddings), tool_call.completed | tool_call.failed (execute_tool),
//                agent.invoked (invoke_agent | create_agent), otel.span otherwise
//   action       {action_type: the operation or the span kind, name: the span name}
//   outcome      {status: succeeded | failed (status.code 2) | recorded, summary?: status.message}
//   budget       {step_tokens: gen_ai.usage.input_tokens + output_tokens} when present
//   tool_call_id gen_ai.tool.call.id;  release_manifest_id: the resource's
//                oep.release_manifest_id, else "rmf_unspecified" (stored when first needed)
//   payload      {"span": {name, kind, start/end time, duration_ms}, "gen_ai": {the gen_ai.*
//                attributes without the prefix}, "attributes": the others, "resource": ...}
// A request with any bad span is InvalidArgument naming its JSON pointer, and nothing of it
// is stored (every event is validated first; each trace is then stored in its own
// transactions).
#pragma once

#include <cstdint>
#include <string>

#include <rapidjson/document.h>

#include "store/store.h"
#include "util/status.h"

namespace oep {

struct OtlpReport {
  int64_t requests = 0, spans = 0;
  int64_t stored = 0, unchanged = 0;  // spans stored now, spans already stored (retries)
  int64_t runs_created = 0;
  std::string Summary() const;
};

// One ExportTraceServiceRequest into the store's tenant; `source` names it in the ledger.
Result<OtlpReport> ImportOtlpRequest(Store& store, const rapidjson::Value& request, const std::string& source);

// `oep import otlp FILE`: one request in OTLP's binary protobuf encoding (read by
// importers/otlp_protobuf.h), one JSON request, or JSON Lines of requests (what an
// OpenTelemetry Collector's file exporter writes); gzip-compressed or not (decompressed as a
// stream up to 256 MiB). The encoding is told by content: a file holding a byte below 0x20
// other than tab, LF and CR is protobuf (JSON text never holds one), else JSON. Errors
// name the file and line (JSON) or the field's JSON pointer and byte offset (protobuf).
// Every request of the file is checked before the first is stored.
Result<OtlpReport> ImportOtlpFile(Store& store, const std::string& path);

}  // namespace oep
