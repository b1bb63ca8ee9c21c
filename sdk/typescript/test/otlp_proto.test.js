// oep serve's OTLP/HTTP protobuf receiver (POST /v1/traces, application/x-protobuf) fed by
// the real OpenTelemetry JS SDK with @opentelemetry/exporter-trace-otlp-proto: the same
// spans exported as protobuf and as JSON (exporter-trace-otlp-http) store the same events.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { SpanStatusCode, context, trace } from "@opentelemetry/api";
import { OTLPTraceExporter as JsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtobufExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";

import { OepServer } from "./server.js";

let viaJson, viaProtobuf;
before(async () => { [viaJson, viaProtobuf] = [await OepServer.start(), await OepServer.start()]; });
after(async () => { await viaJson.close(); await viaProtobuf.close(); });

const TRACE_ID = "7a1f0c3e9b2d4f6a8c0e1b3d5f7a9c2e";

// The same ids on every run, so that both servers receive the same spans.
class FixedIds {
  constructor() { this.n = 0; }
  generateTraceId() { return TRACE_ID; }
  generateSpanId() { this.n += 1; return this.n.toString(16).padStart(16, "0"); }
}

// A GenAI agent run with fixed times, exported by `exporter` (one batch at the flush).
async function exportRun(exporter) {
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ "service.name": "support-bot" }),
    idGenerator: new FixedIds(), spanProcessors: [new BatchSpanProcessor(exporter)] });
  const tracer = provider.getTracer("oep-test");
  const t0 = [1764662400, 0];
  const at = (ms) => [1764662400 + Math.floor(ms / 1000), (ms % 1000) * 1e6];
  const agent = tracer.startSpan("invoke_agent support", { startTime: t0,
    attributes: { "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "support" } });
  const ctx = trace.setSpan(context.active(), agent);
  const chat = tracer.startSpan("chat gpt-4o", { startTime: at(10), attributes: { "gen_ai.operation.name": "chat",
    "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o", "gen_ai.request.temperature": 0.25,
    "gen_ai.usage.input_tokens": 120, "gen_ai.usage.output_tokens": 30,
    "gen_ai.response.finish_reasons": ["stop"], "app.cached": false } }, ctx);
  chat.addEvent("gen_ai.choice", { index: 0 }, at(200));
  chat.end(at(250));
  const tool = tracer.startSpan("execute_tool lookup_order", { startTime: at(260), attributes: {
    "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup_order", "gen_ai.tool.call.id": "call_1" } }, ctx);
  tool.setStatus({ code: SpanStatusCode.ERROR, message: "order service timed out" });
  tool.end(at(1260));
  agent.end(at(1300));
  await provider.forceFlush();
  await provider.shutdown();
}

test("GenAI spans exported as OTLP protobuf are stored as the same events as OTLP JSON", async () => {
  const headers = (s) => ({ authorization: `Bearer ${s.keys.ingest}` });
  await exportRun(new JsonExporter({ url: `${viaJson.endpoint}/v1/traces`, headers: headers(viaJson) }));
  await exportRun(new ProtobufExporter({ url: `${viaProtobuf.endpoint}/v1/traces`, headers: headers(viaProtobuf),
    compression: "gzip" }));

  const run = await viaProtobuf.run(TRACE_ID);
  assert.equal(run.agent, "support-bot");
  assert.equal(run.metadata.source, "otlp");
  const events = await viaProtobuf.events(TRACE_ID);
  assert.deepEqual(events.map((e) => e.event_type).sort(), ["agent.invoked", "llm.call", "tool_call.failed"]);
  const byType = (t) => events.find((e) => e.event_type === t);
  const llm = byType("llm.call");
  assert.equal(llm.budget.step_tokens, 150);
  assert.equal(llm.payload.gen_ai["request.temperature"], 0.25);
  assert.deepEqual(llm.payload.gen_ai["response.finish_reasons"], ["stop"]);
  assert.equal(llm.payload.attributes["app.cached"], false);
  assert.equal(llm.payload.span.duration_ms, 240);
  assert.equal(byType("tool_call.failed").outcome.summary, "order service timed out");
  assert.equal(byType("agent.invoked").parent_span_id, null);

  // Byte for byte what the JSON encoding of the same spans stored.
  assert.equal(JSON.stringify(events), JSON.stringify(await viaJson.events(TRACE_ID)));
});
