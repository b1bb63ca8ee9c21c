// `oep mcp-proxy --record FILE -- SERVER_COMMAND [ARGS...]`: sits between an MCP client and an
// MCP server that speak JSON-RPC over stdio (newline-delimited messages). The client starts
// the proxy as if it were the server; the proxy starts the server, forwards every byte both
// ways unchanged and as soon as it arrives, and appends each line to FILE in the recording
// format `oep import mcp` reads (importers/mcp.h). The recording is a side channel: a full
// disk or a bad line never breaks the session (the first recording error is reported on
// stderr once).
#pragma once

#include <string>
#include <vector>

#include "util/status.h"

namespace oep {

struct McpProxyOptions {
  std::string record_path;           // appended to, created with mode 0600
  std::vector<std::string> command;  // the server: argv[0] is looked up on PATH
};

// Runs until the server closes its stdout and exits; returns its exit status (128 + signal
// when killed). Errors: the recording cannot be opened, the server cannot be started.
Result<int> RunMcpProxy(const McpProxyOptions& options);

}  // namespace oep
