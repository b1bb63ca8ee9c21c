// oep serve's OTLP/HTTP JSON receiver (POST /v1/traces) fed by the real OpenTelemetry JS SDK
// (@opentelemetry/sdk-trace-base with @opentelemetry/exporter-trace-otlp-http).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { SpanStatusCode, context, trace } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";

import { OepServer } from "./server.js";

let server;
before(async () => { server = await OepServer.start(); });
after(async () => { await server.close(); });

test("GenAI spans exported by the OpenTelemetry SDK become a run and its steps", async () => {
  const exporter = new OTLPTraceExporter({ url: `${server.endpoint}/v1/traces`,
    headers: { authorization: `Bearer ${server.keys.ingest}` } });
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ "service.name": "support-bot" }),
    spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer("oep-test");
  const agent = tracer.startSpan("invoke_agent support", { attributes: { "gen_ai.operation.name": "invoke_agent" } });
  const ctx = trace.setSpan(context.active(), agent);
  const chat = tracer.startSpan("chat gpt-4o", { attributes: { "gen_ai.operation.name": "chat",
    "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o", "gen_ai.response.model": "gpt-4o-2024-08-06",
    "gen_ai.usage.input_tokens": 120, "gen_ai.usage.output_tokens": 30 } }, ctx);
  chat.end();
  const tool = tracer.startSpan("execute_tool lookup_order", { attributes: { "gen_ai.operation.name": "execute_tool",
    "gen_ai.tool.name": "lookup_order", "gen_ai.tool.call.id": "call_1" } }, ctx);
  tool.setStatus({ code: SpanStatusCode.ERROR, message: "order service timed out" });
  tool.end();
  agent.end();
  await provider.forceFlush();
  await provider.shutdown();

  const runId = agent.spanContext().traceId;
  const run = await server.run(runId);
  assert.equal(run.agent, "support-bot");
  assert.equal(run.metadata.source, "otlp");
  const events = await server.events(runId);
  // SimpleSpanProcessor exports each span as it ends, in requests that may arrive in any order.
  assert.deepEqual(events.map((e) => e.event_type).sort(), ["agent.invoked", "llm.call", "tool_call.failed"]);
  const byType = (t) => events.find((e) => e.event_type === t);
  const [llm, failed, invoked] = [byType("llm.call"), byType("tool_call.failed"), byType("agent.invoked")];
  assert.equal(llm.payload.gen_ai["request.model"], "gpt-4o");
  assert.equal(llm.budget.step_tokens, 150);
  assert.equal(llm.parent_span_id, agent.spanContext().spanId);
  assert.equal(llm.release_manifest_id, "rmf_unspecified");
  assert.equal(failed.action.name, "lookup_order");
  assert.equal(failed.tool_call_id, "call_1");
  assert.equal(failed.outcome.summary, "order service timed out");
  assert.equal(invoked.span_id, agent.spanContext().spanId);
  assert.equal(invoked.parent_span_id, null);
});
