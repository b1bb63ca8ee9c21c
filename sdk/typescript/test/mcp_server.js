// A small MCP server on stdio, made with the real @modelcontextprotocol/sdk, for the
// mcp-proxy test: one tool that answers and one that fails.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";

const server = new McpServer({ name: "orders", version: "1.0.0" });
server.registerTool("get_order", { description: "an order's status", inputSchema: { order_id: z.number() } },
  async ({ order_id }) => ({ content: [{ type: "text", text: `order ${order_id}: shipped` }] }));
server.registerTool("cancel_order", { description: "always refuses", inputSchema: { order_id: z.number() } },
  async () => ({ content: [{ type: "text", text: "cancellation is not allowed" }], isError: true }));
await server.connect(new StdioServerTransport());
