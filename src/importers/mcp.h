// Model Context Protocol sessions as evidence: `oep import mcp FILE` reads a recording of the
// JSON-RPC messages between an MCP client and server, as `oep mcp-proxy --record FILE`
// writes it (src/mcp_proxy), and stores each `tools/call` as an agent-step event of one run.
//
// A recording is JSON Lines, one message per line as it crossed the proxy:
//   {"time": RFC 3339 with microseconds, "from": "client" | "server", "message": {JSON-RPC}}
// or, for a line that was not JSON, {"time", "from", "unparsed": text} (an oversized line:
// {"time", "from", "oversize": bytes, "sha256": of its bytes}); both are counted, not stored.
//
// The run is `run_id` (32 hex), else the first 32 hex digits of the SHA-256 of the first line,
// so a copy of the recording under another name imports as a no-op. Its agent is the client's
// `initialize` clientInfo.name. Each tools/call request, paired with the server's response of
// the same id, is one event:
//   event_id     "mcp_" + 24 hex of SHA-256(run id, request line)   span_id: 16 more of it
//   event_type   tool_call.completed | tool_call.failed (a JSON-RPC error or result.isError)
//                | tool_call.unanswered (no response in the recording)
//   action       {action_type: "mcp.tools_call", name: params.name}
//   outcome      {status: succeeded | failed | unanswered, summary?: the error message or the
//                first text content, at most 200 characters}
//   payload      {"mcp": {protocol_version, client, server (clientInfo / serverInfo), request_id,
//                arguments, result | error, request_time, response_time, duration_ms}}
//   release_manifest_id "rmf_unspecified" (stored when first needed)
// appended through the same path as POST /v1/runs/{id}/steps (validated, redacted by the
// default profile, hashed, chained). A bad line is InvalidArgument naming FILE:LINE and the
// JSON pointer, and nothing is stored. No permission packets are made: MCP carries no policy
// decision, and oep does not invent one.
#pragma once

#include <cstdint>
#include <string>

#include "store/store.h"
#include "util/status.h"

namespace oep {

struct McpImportReport {
  std::string run_id;
  int64_t messages = 0;           // JSON-RPC messages read
  int64_t tool_calls = 0;         // tools/call requests
  int64_t unanswered = 0;         // of them, without a response in the recording
  int64_t other_lines = 0;        // unparsed or oversized lines
  int64_t stored = 0, unchanged = 0;
  bool run_created = false;
  std::string Summary() const;
};

Result<McpImportReport> ImportMcpRecording(Store& store, const std::string& path, const std::string& run_id = "");

}  // namespace oep
