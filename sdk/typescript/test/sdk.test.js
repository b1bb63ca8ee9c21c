// The Node SDK against a real `oep serve` (build/oep-serve) started by the tests.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import * as oep from "../src/index.js";
import { FaultProxy, OepServer, freePort } from "./server.js";

const FAST_RETRY = { maxAttempts: 6, baseSeconds: 0.02, capSeconds: 0.2 };
let server, release;
const clients = [];

function makeClient(endpoint, apiKey, options = {}) {
  const c = new oep.Client({ endpoint, apiKey, retry: FAST_RETRY, flushIntervalMs: 50, ...options });
  clients.push(c);
  return c;
}

before(async () => {
  server = await OepServer.start();
  release = await server.uploadManifest();
  await server.uploadPolicy("perms");
});

after(async () => {
  await Promise.all(clients.map((c) => c.shutdown(500)));
  await server.close();
});

describe("sessions", () => {
  test("a session is a finished run with one step per tool call and event", async () => {
    const c = makeClient(server.endpoint, server.keys.ingest);
    c.registerIntegration("@langchain/core", "1.4.0");
    let runId;
    await c.session({ name: "customer-support", userId: "u_123", release, tags: ["t1"] }, async (s) => {
      runId = s.runId;
      await s.tool("database_query", { order_id: 42 }, async (t) => t.result({ order: 42 }));
      s.logEvent({ type: "decision_trace", payload: { justification: "refund_policy_applied" } });
    });
    assert.ok(await c.flush(10000));
    const run = await server.run(runId);
    assert.equal(run.status, "finished");
    assert.equal(run.steps, 2);
    assert.deepEqual(run.metadata.sdk, { name: "oep-node", version: oep.VERSION });
    assert.deepEqual(run.metadata.frameworks, { "@langchain/core": "1.4.0" });
    assert.equal(run.metadata.user_id, "u_123");
    const [tool, trace] = await server.events(runId);
    assert.equal(tool.event_type, "tool_call.completed");
    assert.deepEqual(tool.payload, { args: { order_id: 42 }, result: { order: 42 } });
    assert.equal(trace.event_type, "log.decision_trace");
    assert.deepEqual([tool.checkpoint.sequence, trace.checkpoint.sequence], [1, 2]);
  });

  test("a session without a release refers to the unspecified one", async () => {
    const c = makeClient(server.endpoint, server.keys.ingest);
    const s = c.startSession({ name: "no-release" });
    s.logEvent({ type: "note", payload: { n: 1 } });
    s.finish();
    assert.ok(await c.flush(10000));
    const [event] = await server.events(s.runId);
    assert.equal(event.release_manifest_id, "rmf_unspecified");
  });

  test("the module API uses the current session across awaits", async () => {
    oep.configure({ endpoint: server.endpoint, apiKey: server.keys.ingest, retry: FAST_RETRY, flushIntervalMs: 50 });
    let runId;
    await oep.session({ name: "module-api", release }, async (s) => {
      runId = s.runId;
      await new Promise((r) => setTimeout(r, 5));
      assert.equal(oep.currentSession(), s);
      await oep.tool("lookup", { q: "x" }, async () => "found");
      oep.logEvent({ type: "note", payload: { n: 1 } });
    });
    oep.logEvent({ type: "outside" }); // no session: a no-op
    assert.ok(await oep.flush(10000));
    const events = await server.events(runId);
    assert.deepEqual(events.map((e) => e.event_type), ["tool_call.completed", "log.note"]);
    assert.equal(events[0].payload.result, "found");
    await oep.shutdown(1000);
  });

  test("a failing tool is a failed event and the error propagates", async () => {
    const c = makeClient(server.endpoint, server.keys.ingest);
    let runId;
    await assert.rejects(c.session({ name: "fails", release }, async (s) => {
      runId = s.runId;
      await s.tool("explode", {}, async () => { throw new TypeError("boom"); });
    }), TypeError);
    await c.flush(10000);
    const [tool, failed] = await server.events(runId);
    assert.equal(tool.event_type, "tool_call.failed");
    assert.equal(tool.payload.error.type, "TypeError");
    assert.equal(failed.event_type, "session.failed");
  });
});

describe("scrubbing", () => {
  test("the redaction hook runs before anything leaves; a failing hook suppresses the event", async () => {
    const redact = (kind, data) => {
      if (kind === "session") return { ...data, userId: null };
      if (data.name === "secret_tool") return null;
      if (data.name === "buggy") throw new Error("hook bug");
      return { ...data, payload: { ...data.payload, args: { card: "****" } } };
    };
    const c = makeClient(server.endpoint, server.keys.ingest, { redact });
    const s = c.startSession({ name: "redacted", userId: "u_private", release });
    await s.tool("charge", { card: "4111111111111111" }, async () => "ok");
    await s.tool("secret_tool", {}, async () => "hidden");
    await s.tool("buggy", {}, async () => "x");
    s.finish();
    await c.flush(10000);
    const events = await server.events(s.runId);
    assert.equal(events.length, 1);
    assert.deepEqual(events[0].payload.args, { card: "****" });
    assert.ok(!JSON.stringify(events).includes("4111"));
    assert.equal((await server.run(s.runId)).metadata.user_id, undefined);
    assert.equal(c.stats.redacted, 2);
  });

  test("reasoning is not captured unless enabled", async () => {
    const payload = { answer: 42, reasoning: "first I thought", steps: [{ thinking: "hmm", x: 1 }] };
    const off = makeClient(server.endpoint, server.keys.ingest);
    const on = makeClient(server.endpoint, server.keys.ingest, { captureReasoning: true });
    const s1 = off.startSession({ name: "no-reasoning", release });
    s1.logEvent({ type: "llm.call", payload });
    s1.finish();
    const s2 = on.startSession({ name: "reasoning", release });
    s2.logEvent({ type: "llm.call", payload });
    s2.finish();
    await off.flush(10000);
    await on.flush(10000);
    const [e1] = await server.events(s1.runId);
    assert.deepEqual(e1.payload, { answer: 42, steps: [{ x: 1 }] });
    assert.deepEqual(e1.evidence_loss.map((l) => l.field).sort(), ["payload.reasoning", "payload.steps[].thinking"]);
    assert.equal(payload.reasoning, "first I thought"); // the caller's object is untouched
    const [e2] = await server.events(s2.runId);
    assert.deepEqual(e2.payload, payload);
  });
});

describe("delivery", () => {
  test("5xx is retried with backoff until stored", async () => {
    const proxy = await FaultProxy.start(server.port, 3, "/steps");
    const c = makeClient(proxy.endpoint, server.keys.ingest);
    const s = c.startSession({ name: "retried", release });
    for (let i = 0; i < 5; i++) s.logEvent({ type: "tick", payload: { i } });
    s.finish();
    assert.ok(await c.flush(10000));
    assert.deepEqual((await server.events(s.runId)).map((e) => e.payload.i), [0, 1, 2, 3, 4]);
    assert.equal(proxy.failLeft, 0); // the three 503s were answered, and retried past
    assert.ok(proxy.count("/steps") >= 4);
    assert.equal(c.stats.dropped, 0);
    await proxy.close();
  });

  test("4xx is never retried", async () => {
    const proxy = await FaultProxy.start(server.port);
    const c = makeClient(proxy.endpoint, server.keys.ingest);
    const s = c.startSession({ name: "bad-release", release: "rmf_not_stored" });
    s.logEvent({ type: "tick" });
    s.finish();
    await c.flush(5000);
    assert.equal(proxy.count("/v1/runs"), 1);
    assert.equal(await server.run(s.runId), null);
    assert.equal(c.stats.rejected, 1);
    assert.equal(c.stats.dropped, 1);
    await proxy.close();
  });

  test("overflow drops events and the chain records the loss", async () => {
    const port = await freePort();
    const c = makeClient(`http://127.0.0.1:${port}`, server.keys.ingest, { maxBufferBytes: 4000,
      retry: { maxAttempts: 1000, baseSeconds: 0.05, capSeconds: 0.1 } });
    const s = c.startSession({ name: "overflow", release });
    for (let i = 0; i < 60; i++) {
      s.logEvent({ type: "tick", payload: { i, pad: "p".repeat(50) } });
      assert.ok(c.bufferedBytes <= 4000 + oep.CONTROL_RESERVE_BYTES);
    }
    const { logged: kept, dropped } = c.stats;
    assert.ok(dropped > 0);
    assert.equal(kept + dropped, 60);
    // Idle keep-alive sockets of the other clients would hold up the server's stop.
    await Promise.all(clients.filter((o) => o !== c).map((o) => o.shutdown(500)));
    await server.stop();
    await server.listen(port); // the same store, now on the port the client retries
    try {
      s.finish();
      assert.ok(await c.flush(15000));
      const events = await server.events(s.runId);
      assert.equal(events.length, kept);
      assert.deepEqual(events.map((e) => e.checkpoint.sequence), Array.from({ length: kept }, (_, i) => i + 1));
      const [drop, ...more] = server.drops(s.runId);
      assert.equal(more.length, 0);
      assert.equal(drop.count, dropped);
      assert.deepEqual([drop.first_seq, drop.last_seq], [kept + 1, 60]);
      assert.equal((await server.run(s.runId)).status, "finished");
    } finally {
      await server.stop();
      await server.listen();
    }
  });

  test("shutdown gives up at its deadline", async () => {
    const c = makeClient(`http://127.0.0.1:${await freePort()}`, "k",
      { retry: { maxAttempts: 1e6, baseSeconds: 0.05, capSeconds: 0.5 } });
    const s = c.startSession({ name: "never-sent" });
    s.logEvent({ type: "tick" });
    const start = Date.now();
    await c.shutdown(500);
    assert.ok(Date.now() - start < 2000);
  });

  test("the end of the process flushes what is buffered", () => {
    const sdk = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../src/index.js");
    const script = `import * as oep from ${JSON.stringify(sdk)};
      oep.configure({ endpoint: ${JSON.stringify(server.endpoint)}, apiKey: ${JSON.stringify(server.keys.ingest)},
                      flushIntervalMs: 60000 });
      const s = oep.startSession({ name: "at-exit", release: ${JSON.stringify(release)} });
      for (let i = 0; i < 3; i++) s.logEvent({ type: "tick", payload: { i } });
      console.log(s.runId);`;
    const runId = execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" }).trim();
    return server.events(runId).then((events) => assert.equal(events.length, 3));
  });
});

describe("gate", () => {
  const input = (op, tool) => ({ actor: { type: "agent", id: "a" }, tool: { name: tool, operation: op },
    resource: { mutable: false } });

  test("an allowed tool runs and a write needs approval", async () => {
    const c = makeClient(server.endpoint, server.keys.ingest, { policy: "perms" });
    const ran = [];
    const s = c.startSession({ name: "gated", release });
    await s.tool("read_diff", {}, async () => ran.push("read"), { gateInput: input("read", "read_diff") });
    await assert.rejects(
      s.tool("write_file", {}, async () => ran.push("write"), { gateInput: input("write", "write_file") }),
      (e) => e instanceof oep.ApprovalRequired && e.decision.code === "DENY_WRITE_NEEDS_APPROVAL");
    s.finish();
    assert.deepEqual(ran, ["read"]);
    await c.flush(10000);
    const events = await server.events(s.runId);
    assert.deepEqual(events.map((e) => [e.event_type, e.outcome.status]), [["policy.decision", "allowed"],
      ["tool_call.completed", "succeeded"], ["policy.decision", "denied"]]);
  });

  test("the gate denies when the server cannot answer unless told otherwise", async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const retry = { maxAttempts: 2, baseSeconds: 0.01, capSeconds: 0.01 };
    const closed = makeClient(dead, "k", { policy: "perms", retry });
    const d = await closed.gate("read_diff", input("read", "read_diff"));
    assert.equal(d.allowed, false);
    assert.equal(d.code, "OEP_GATE_UNAVAILABLE");
    assert.throws(() => d.enforce(), oep.PolicyDenied);
    const opened = makeClient(dead, "k", { policy: "perms", retry, gateOnError: "allow" });
    assert.equal((await opened.gate("read_diff", {})).allowed, true);
  });
});

describe("kill switch", () => {
  test("OEP_DISABLED=true: no timer, no exit listener, no I/O; calls are no-ops", async () => {
    const listener = net.createServer();
    let connections = 0;
    listener.on("connection", (sock) => { connections++; sock.destroy(); });
    await new Promise((r) => listener.listen(0, "127.0.0.1", r));
    process.env.OEP_DISABLED = "true";
    const listeners = process.listenerCount("beforeExit");
    try {
      const c = oep.configure({ endpoint: `http://127.0.0.1:${listener.address().port}`, apiKey: "k", policy: "p" });
      assert.equal(c.disabled, true);
      assert.equal(c.timer, undefined);
      c._postOnce = () => { throw new Error("I/O while disabled"); };
      const out = await oep.session({ name: "off" }, async (s) => {
        assert.equal(s.runId, null);
        const v = await oep.tool("t", { a: 1 }, async () => 7);
        oep.logEvent({ type: "x" });
        assert.equal((await oep.gate("t", {})).allowed, true);
        return v;
      });
      assert.equal(out, 7);
      assert.ok(await oep.flush(100));
      await oep.shutdown(100);
      assert.equal(process.listenerCount("beforeExit"), listeners);
    } finally {
      delete process.env.OEP_DISABLED;
    }
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(connections, 0);
    await new Promise((r) => listener.close(r));
  });
});

describe("units", () => {
  test("backoff is jittered, exponential and capped", () => {
    for (let a = 0; a < 12; a++) {
      for (let k = 0; k < 50; k++) {
        const d = oep.backoffDelay(a, 0.1, 2.0);
        assert.ok(d >= 0 && d <= Math.min(2.0, 0.1 * 2 ** a));
      }
    }
    assert.ok(new Set(Array.from({ length: 20 }, () => oep.backoffDelay(5, 0.1, 2.0))).size > 10);
  });

  test("event types follow the schema's pattern", () => {
    assert.equal(oep.eventTypeOf("tool_call.completed"), "tool_call.completed");
    assert.equal(oep.eventTypeOf("decision_trace"), "log.decision_trace");
    assert.equal(oep.eventTypeOf("My-Event 2"), "log.my_event__");
  });

  test("a bad endpoint or gate mode is a clear error", () => {
    assert.throws(() => new oep.Client({ endpoint: "ftp://x" }), /expected http\(s\):\/\/host/);
    assert.throws(() => new oep.Client({ gateOnError: "maybe" }), /gateOnError: expected "deny" or "allow"/);
  });
});
