// `oep mcp-proxy` between the real @modelcontextprotocol/sdk client and server (stdio), then
// `oep import mcp` of its recording: each tools/call an agent-step event of one run.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

import { OEP } from "./server.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));

test("an MCP session through oep mcp-proxy is recorded and imports as a run", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "oep-mcp-"));
  try {
    const rec = path.join(dir, "session.jsonl");
    const transport = new StdioClientTransport({ command: OEP,
      args: ["mcp-proxy", "--record", rec, "--", process.execPath, path.join(HERE, "mcp_server.js")] });
    const client = new Client({ name: "support-agent", version: "0.1.0" });
    await client.connect(transport);
    const tools = await client.listTools();
    assert.deepEqual(tools.tools.map((t) => t.name).sort(), ["cancel_order", "get_order"]);
    const ok = await client.callTool({ name: "get_order", arguments: { order_id: 42 } });
    assert.equal(ok.content[0].text, "order 42: shipped");
    const refused = await client.callTool({ name: "cancel_order", arguments: { order_id: 42 } });
    assert.equal(refused.isError, true);
    await client.close();

    const lines = readFileSync(rec, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    assert.ok(lines.some((l) => l.from === "client" && l.message.method === "tools/call"));
    assert.ok(lines.some((l) => l.from === "server" && l.message.result && l.message.result.serverInfo));

    const state = path.join(dir, "s.sqlite");
    execFileSync(OEP, ["demo", "--state-path", state]);
    const out = execFileSync(OEP, ["import", "mcp", rec, "--state-path", state], { encoding: "utf8" });
    assert.match(out, /2 tools\/call \(0 unanswered\): 2 stored, 0 already stored, new run/);
    const events = execFileSync(OEP, ["dump", "--state-path", state], { encoding: "utf8" }).trim().split("\n")
      .map((l) => JSON.parse(l)).filter((r) => r.table === "events" && r.body.includes("mcp.tools_call"))
      .map((r) => JSON.parse(r.body))
      .sort((a, b) => a.payload.mcp.request_time.localeCompare(b.payload.mcp.request_time));  // dump order is by id
    assert.deepEqual(events.map((e) => [e.action.name, e.event_type, e.actor.id]), [
      ["get_order", "tool_call.completed", "support-agent"],
      ["cancel_order", "tool_call.failed", "support-agent"],
    ]);
    assert.equal(events[0].payload.mcp.server.name, "orders");
    assert.equal(events[0].outcome.summary, "order 42: shipped");
    execFileSync(OEP, ["verify", "--chain", "--state-path", state]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
