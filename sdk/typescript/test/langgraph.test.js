// The LangGraph.js integration: a small graph of the real @langchain/langgraph and
// @langchain/core packages, with core's fake chat model (no network), recorded by the oep
// callback handler into a real `oep serve`.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { END, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { z } from "zod";

import { Client } from "../src/index.js";
import { OepCallbackHandler, TESTED_VERSIONS, checkFrameworkVersions, installedVersion, registerLangChain }
  from "../src/langchain.js";
import { OepServer } from "./server.js";

let server, release, client;

before(async () => {
  server = await OepServer.start();
  release = await server.uploadManifest();
  client = new Client({ endpoint: server.endpoint, apiKey: server.keys.ingest, flushIntervalMs: 50,
    retry: { maxAttempts: 6, baseSeconds: 0.02, capSeconds: 0.2 } });
  registerLangChain(client, () => {});
});

after(async () => {
  await client.shutdown(1000);
  await server.close();
});

const lookupOrder = tool(async ({ order_id }) => JSON.stringify({ order_id, status: "shipped" }),
  { name: "lookup_order", description: "look an order up", schema: z.object({ order_id: z.number() }) });
const refund = tool(async () => { throw new Error("refunds are closed"); },
  { name: "refund", description: "refund an order", schema: z.object({ order_id: z.number() }) });

// START -> agent (LLM) -> tools (lookup_order) -> respond (LLM) -> END
function supportGraph(model) {
  return new StateGraph(MessagesAnnotation)
    .addNode("agent", async (state, config) => ({ messages: [await model.invoke(state.messages, config)] }))
    .addNode("tools", async (_state, config) => ({
      messages: [new AIMessage(await lookupOrder.invoke({ order_id: 42 }, config))],
    }))
    .addNode("respond", async (state, config) => ({ messages: [await model.invoke(state.messages, config)] }))
    .addEdge(START, "agent")
    .addEdge("agent", "tools")
    .addEdge("tools", "respond")
    .addEdge("respond", END)
    .compile();
}

test("the tested framework versions are the installed ones, and others are warned about", () => {
  assert.equal(installedVersion("@langchain/core"), TESTED_VERSIONS["@langchain/core"][0]);
  assert.equal(installedVersion("@langchain/langgraph"), TESTED_VERSIONS["@langchain/langgraph"][0]);
  const quiet = [];
  assert.deepEqual(checkFrameworkVersions((m) => quiet.push(m)).warnings, []);
  const warned = [];
  const { warnings } = checkFrameworkVersions((m) => warned.push(m), { "@langchain/core": ["0.3.0"] });
  assert.equal(warnings.length, 1);
  assert.match(warned[0], /@langchain\/core 1\.4\.0 is not a version .* tested with \(0\.3\.0\)/);
});

test("a graph run records LLM calls, the tool call and each node transition", async () => {
  const model = new FakeListChatModel({ responses: ["let me look order 42 up", "order 42 has shipped"] });
  const s = client.startSession({ name: "support-graph", release });
  const handler = new OepCallbackHandler({ session: s, warn: () => {} });
  const out = await supportGraph(model).invoke({ messages: [new HumanMessage("where is order 42?")] },
    { callbacks: [handler] });
  s.finish();
  assert.equal(out.messages.at(-1).content, "order 42 has shipped");
  assert.ok(await client.flush(10000));
  const events = await server.events(s.runId);
  const kinds = events.map((e) => `${e.event_type}:${e.action.name}`);
  assert.deepEqual(kinds.filter((k) => k.startsWith("graph.node")),
    ["graph.node:agent", "graph.node:tools", "graph.node:respond"]);
  const llm = events.filter((e) => e.event_type === "llm.call");
  assert.equal(llm.length, 2);
  assert.equal(llm[0].payload.node, "agent");
  assert.deepEqual(llm[0].payload.input, [{ role: "human", content: "where is order 42?" }]);
  assert.equal(llm[0].payload.output[0].content, "let me look order 42 up");
  assert.equal(llm[1].payload.output[0].content, "order 42 has shipped");
  const [toolEvent] = events.filter((e) => e.event_type === "tool_call.completed");
  assert.equal(toolEvent.action.name, "lookup_order");
  assert.equal(toolEvent.payload.node, "tools");
  assert.match(JSON.stringify(toolEvent.payload.result), /shipped/);
  // The order of the chain is the order things happened in.
  assert.ok(kinds.indexOf("llm.call:" + llm[0].action.name) < kinds.indexOf("graph.node:agent"));
  assert.ok(kinds.indexOf("graph.node:agent") < kinds.indexOf("tool_call.completed:lookup_order"));
  const run = await server.run(s.runId);
  assert.equal(run.status, "finished");
  assert.equal(run.metadata.frameworks["@langchain/core"], "1.4.0");
  assert.equal(run.metadata.frameworks["@langchain/langgraph"], "1.7.3");
  assert.equal(run.metadata.frameworks["oep-langchain-handler"], "0.1.0");
});

test("tool and node errors are recorded as failed events", async () => {
  const graph = new StateGraph(MessagesAnnotation)
    .addNode("refunder", async (_state, config) => ({
      messages: [new AIMessage(await refund.invoke({ order_id: 42 }, config))],
    }))
    .addEdge(START, "refunder")
    .addEdge("refunder", END)
    .compile();
  const s = client.startSession({ name: "failing-graph", release });
  const handler = new OepCallbackHandler({ session: s, warn: () => {} });
  await assert.rejects(graph.invoke({ messages: [new HumanMessage("refund 42")] }, { callbacks: [handler] }),
    /refunds are closed/);
  s.finish();
  await client.flush(10000);
  const events = await server.events(s.runId);
  const failedTool = events.find((e) => e.event_type === "tool_call.failed");
  assert.equal(failedTool.action.name, "refund");
  assert.equal(failedTool.outcome.status, "failed");
  assert.match(failedTool.outcome.summary, /refunds are closed/);
  const failedNode = events.find((e) => e.event_type === "graph.node_failed");
  assert.equal(failedNode.action.name, "refunder");
});

test("reasoning in model output is left out unless captureReasoning is on", async () => {
  const s = client.startSession({ name: "reasoning", release });
  const handler = new OepCallbackHandler({ session: s, warn: () => {} });
  const message = new AIMessage({ content: [{ type: "reasoning", reasoning: "secret plan" }, { type: "text", text: "hi" }],
    additional_kwargs: { reasoning_content: "more secret plan" } });
  handler.handleChatModelStart({ id: ["fake"] }, [[new HumanMessage("hello")]], "run-1", undefined, {}, [], {}, "fake");
  handler.handleLLMEnd({ generations: [[{ text: "hi", message }]] }, "run-1");
  s.finish();
  await client.flush(10000);
  const [e] = await server.events(s.runId);
  assert.ok(!JSON.stringify(e).includes("secret plan"));
  assert.deepEqual(e.payload.output[0].content, [{ type: "text", text: "hi" }].map((b) => b.text));
  assert.equal(e.payload.omitted.length, 2);
});
