// oep SDK for Node.js (>= 20): sessions are runs of `oep serve` (POST /v1/runs), tool calls
// and logged events are agent-step events (POST /v1/runs/{id}/steps) sent by a background
// flush loop; finishing a session seals its run. The same guarantees as sdk/python:
// a byte-bounded buffer (overflow is reported as POST /v1/runs/{id}:drop with the count and
// sequence range), retry with full-jitter exponential backoff on connection errors and 5xx
// only, a flush before exit with a deadline, OEP_DISABLED=true (no timer, no listener, no
// I/O), a redaction hook before anything leaves the process, no reasoning capture unless
// enabled, SDK and framework versions per session, and a policy gate (POST /v1/decide).
// Plain ES modules with JSDoc types (src/index.d.ts for TypeScript users): no build step,
// so the code the tests run is the code that ships.
import { AsyncLocalStorage } from "node:async_hooks";
import { randomBytes } from "node:crypto";
import { Agent as httpAgent, request as httpRequest } from "node:http";
import { Agent as httpsAgent, request as httpsRequest } from "node:https";

export const VERSION = "0.1.0";
export const UNRELEASED = "rmf_unspecified";
export const REASONING_KEYS = new Set(["reasoning", "reasoning_content", "chain_of_thought", "thinking", "thoughts",
  "scratchpad"]);
export const CONTROL_RESERVE_BYTES = 64 * 1024;
const CREATE_BYTES = 512, FINISH_BYTES = 64;
const EVENT_TYPE = /^[a-z_]+\.[a-z_.]+$/;

const current = new AsyncLocalStorage();

/** @returns {boolean} OEP_DISABLED is 1, true, yes or on. */
export function disabledByEnv() {
  return ["1", "true", "yes", "on"].includes(String(process.env.OEP_DISABLED || "").trim().toLowerCase());
}

/** `kind` when it is already `<family>.<name>`, else "log.<kind>" in [a-z_.]. */
export function eventTypeOf(kind) {
  if (EVENT_TYPE.test(kind)) return kind;
  const name = String(kind).toLowerCase().replace(/[^a-z_.]/g, "_").replace(/^\.+|\.+$/g, "") || "event";
  return "log." + name;
}

/** `value` without REASONING_KEYS members at any depth (copies only what changes); the
 * removed paths are pushed to `removed`. */
export function stripReasoning(value, removed, path = "payload") {
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((v) => {
      const nv = stripReasoning(v, removed, path + "[]");
      changed ||= nv !== v;
      return nv;
    });
    return changed ? out : value;
  }
  if (value === null || typeof value !== "object" || value.constructor !== Object) return value;
  let out = null;
  for (const [k, v] of Object.entries(value)) {
    if (REASONING_KEYS.has(k)) {
      removed.push(path + "." + k);
      out ??= { ...value };
      delete out[k];
      continue;
    }
    const nv = stripReasoning(v, removed, path + "." + k);
    if (nv !== v) {
      out ??= { ...value };
      out[k] = nv;
    }
  }
  return out ?? value;
}

/** Full jitter: uniform in [0, min(cap, base * 2**attempt)] seconds. */
export function backoffDelay(attempt, base, cap, random = Math.random) {
  return random() * Math.min(cap, base * 2 ** attempt);
}

function dumps(value) {
  try {
    const text = JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
    return text === undefined ? "null" : text;
  } catch (e) {
    return JSON.stringify(String(value));
  }
}

const hex = (bytes) => randomBytes(bytes).toString("hex");

// The clients not shut down; one beforeExit listener flushes those holding anything (the
// event loop is empty then, so their unref'd timers no longer keep the process alive).
const liveClients = new Set();
function flushLiveClients() {
  for (const c of liveClients) if (c.bytes > 0 || c.withDrops.size > 0) c.shutdown();
}

export class PolicyDenied extends Error {
  constructor(decision) {
    super(`oep policy denied ${decision.tool}: ${decision.reason} (${decision.code})`);
    this.decision = decision;
  }
}

/** The policy wants a human approval first (a DecisionToken, once approvals exist). */
export class ApprovalRequired extends PolicyDenied {}

export class Decision {
  constructor(tool, doc = {}, error = "") {
    this.tool = tool;
    this.decision = doc.decision ?? "error";
    this.allowed = doc.allow === true || this.decision === "allow";
    this.code = doc.decision_code ?? "";
    this.reason = doc.reason ?? error;
    this.rule = doc.matched_rule ?? "";
    this.policy = doc.policy ?? "";
    this.result = doc.result;
    this.requireApproval = !this.allowed && ((doc.result && doc.result.require_approval === true) ||
      this.code.endsWith("_NEEDS_APPROVAL"));
    this.error = error;
  }

  /** Throws ApprovalRequired or PolicyDenied unless allowed; returns this. */
  enforce() {
    if (this.allowed) return this;
    throw this.requireApproval ? new ApprovalRequired(this) : new PolicyDenied(this);
  }
}

/** Options, with the environment (OEP_ENDPOINT, OEP_API_KEY, OEP_POLICY, OEP_DISABLED) as defaults. */
export function configFromEnv(overrides = {}) {
  const config = {
    endpoint: process.env.OEP_ENDPOINT || "http://127.0.0.1:8080",
    apiKey: process.env.OEP_API_KEY || "",
    policy: process.env.OEP_POLICY || null,
    disabled: false,
    redact: null, // redact(kind, data) -> data | null; kind "event" or "session"
    captureReasoning: false,
    maxBufferBytes: 8 << 20,
    maxEventBytes: 256 << 10,
    batchSize: 200,
    flushIntervalMs: 1000,
    shutdownTimeoutMs: 5000,
    requestTimeoutMs: 10000,
    retry: { maxAttempts: 8, baseSeconds: 0.2, capSeconds: 10 },
    gateOnError: "deny",
    ...overrides,
  };
  if (disabledByEnv()) config.disabled = true; // the kill switch wins over code
  if (!["deny", "allow"].includes(config.gateOnError)) {
    throw new Error(`gateOnError: expected "deny" or "allow", found ${JSON.stringify(config.gateOnError)}`);
  }
  if (!/^https?:\/\/[^/]+/.test(config.endpoint)) {
    throw new Error(`oep endpoint: expected http(s)://host[:port], found ${JSON.stringify(config.endpoint)}`);
  }
  config.batchSize = Math.min(config.batchSize, 1000); // the server's steps per batch
  return config;
}

class Answer {
  constructor(status, body, error = "") {
    this.status = status; // 0: no answer (connection error, timeout)
    this.body = body;
    this.error = error;
  }
  get ok() { return this.status >= 200 && this.status < 300; }
  get retryable() { return this.status === 0 || this.status >= 500; }
  json() {
    try { return JSON.parse(this.body); } catch { return null; }
  }
  message() {
    const doc = this.json();
    return doc?.error?.message ?? (this.error || String(this.body).slice(0, 200));
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class ToolCall {
  constructor(session, name, args) {
    this.session = session;
    this.name = name;
    this.args = args;
    this.value = undefined;
    this.hasResult = false;
    this.decision = null;
  }
  result(value) {
    this.value = value;
    this.hasResult = true;
    return value;
  }
}

export class Session {
  constructor(client, opts) {
    this.client = client;
    this.name = opts.name || "agent";
    this.release = opts.release || null;
    this.runId = opts.runId || hex(16);
    this.spanId = hex(8);
    this.user = { userId: opts.userId ?? null, tags: [...(opts.tags || [])], metadata: { ...(opts.metadata || {}) },
      frameworks: { ...(opts.frameworks || {}) } };
    this.seq = 0;
    this.drops = null; // [count, firstSeq, lastSeq, reason] not yet reported
    this.run = { created: false, dead: false, nextStep: 1 };
    this.finished = false;
  }

  nextSeq() { return ++this.seq; }

  /** One event: type "decision_trace" becomes event_type "log.decision_trace". */
  logEvent({ type, payload = null, name = null, status = "recorded", summary = null }) {
    this.client._log(this, eventTypeOf(type), name ?? type, payload, status, summary);
  }

  /** Runs `fn(t)` as one tool call: a tool_call event at the end, failed (and rethrown)
   * when `fn` throws. With `policy` or `gateInput`, the gate is asked first. */
  async tool(name, args, fn, { policy = null, gateInput = null } = {}) {
    const t = new ToolCall(this, name, args);
    const seq = this.nextSeq();
    const callId = `tc_${this.runId.slice(0, 12)}_${seq}`;
    if (policy !== null || gateInput !== null) {
      t.decision = (await this.gate(name, gateInput ?? { tool: { name }, args }, policy)).enforce();
    }
    const start = performance.now();
    const record = (error) => {
      const payload = { args };
      if (t.hasResult) payload.result = t.value;
      if (error) payload.error = { type: error?.name ?? typeof error, message: String(error?.message ?? error) };
      this.client._log(this, error ? "tool_call.failed" : "tool_call.completed", name, payload,
        error ? "failed" : "succeeded", error ? `${payload.error.type}: ${payload.error.message}` : null, callId,
        Math.round((performance.now() - start) * 1000) / 1000, seq);
    };
    try {
      const out = await fn(t);
      if (!t.hasResult && out !== undefined) t.result(out);
      record(null);
      return out;
    } catch (e) {
      record(e);
      throw e;
    }
  }

  gate(tool, input, policy = null, query = null) {
    return this.client.gate(tool, input, policy, query, this);
  }

  finish() {
    if (this.finished) return;
    this.finished = true;
    this.client._closeSession(this);
  }
}

class NullSession {
  runId = null;
  logEvent() {}
  async tool(name, args, fn) { return fn(new ToolCall(null, name, args)); }
  async gate(tool) { return new Decision(tool, { decision: "allow", allow: true, reason: "oep disabled" }); }
  finish() {}
}
const NULL_SESSION = new NullSession();

export class Client {
  /** @param {object} [options] see configFromEnv */
  constructor(options = {}) {
    this.config = configFromEnv(options);
    this.disabled = this.config.disabled;
    this.stats = { logged: 0, sent: 0, dropped: 0, redacted: 0, rejected: 0, dropRecords: 0 };
    this.integrations = {};
    if (this.disabled) return; // the kill switch: no buffer, no timer, no listener, no I/O
    this.items = [];
    this.bytes = 0;
    this.withDrops = new Set();
    this.flushing = null;
    this.closing = false;
    this.deadline = null;
    this.timer = setInterval(() => this._kick(), this.config.flushIntervalMs);
    this.timer.unref();
    liveClients.add(this);
    if (liveClients.size === 1) process.on("beforeExit", flushLiveClients);
  }

  get bufferedBytes() { return this.disabled ? 0 : this.bytes; }

  /** An integration (e.g. "@langchain/core" "1.4.0") named in the metadata of later sessions. */
  registerIntegration(name, version) { this.integrations[name] = version; }

  startSession(opts = {}) {
    if (this.disabled) return NULL_SESSION;
    const s = new Session(this, opts);
    if (!this._put(["create", s], CREATE_BYTES, true)) s.run.dead = true;
    return s;
  }

  /** Runs `fn(session)` inside a session that is current for oep.tool / oep.logEvent. */
  async session(opts, fn) {
    const s = this.startSession(opts);
    try {
      return await current.run(s, () => fn(s));
    } catch (e) {
      s.logEvent({ type: "session.failed", payload: { error: e?.name, message: String(e?.message ?? e) },
        status: "failed", summary: `${e?.name}: ${e?.message ?? e}` });
      throw e;
    } finally {
      s.finish();
    }
  }

  _closeSession(s) { this._put(["finish", s], FINISH_BYTES, true); }

  _put(item, size, control = false) {
    const limit = this.config.maxBufferBytes + (control ? CONTROL_RESERVE_BYTES : 0);
    if (this.bytes + size > limit) return false;
    this.bytes += size;
    item.size = size;
    this.items.push(item);
    if (control || this.items.length >= this.config.batchSize) this._kick();
    return true;
  }

  _scrub(eventType, name, payload, summary) {
    const loss = [];
    if (!this.config.captureReasoning && payload !== null && typeof payload === "object") {
      const removed = [];
      payload = stripReasoning(payload, removed);
      for (const field of removed) {
        loss.push({ field, impact: "reasoning not captured (captureReasoning is off)", severity: "informational" });
      }
    }
    if (this.config.redact) {
      let data;
      try {
        data = this.config.redact("event", { eventType, name, payload, summary });
      } catch (e) {
        console.error(`oep: redaction hook failed; event suppressed: ${e}`);
        data = null;
      }
      if (!data) return null;
      ({ name = name, payload = null, summary = null } = data);
    }
    return { name, payload, summary, loss };
  }

  _log(s, eventType, name, payload, status, summary, callId = null, durationMs = null, seq = null) {
    if (s.finished) return;
    seq ??= s.nextSeq();
    const scrubbed = this._scrub(eventType, name, payload, summary);
    if (scrubbed === null) {
      this.stats.redacted++;
      return;
    }
    let payloadJson = dumps(scrubbed.payload);
    if (payloadJson.length > this.config.maxEventBytes) {
      scrubbed.loss.push({ field: "payload", severity: "degrading",
        impact: `payload of ${payloadJson.length} bytes not captured (maxEventBytes ${this.config.maxEventBytes})` });
      payloadJson = "null";
    }
    const item = { s, seq, time: Date.now(), eventType, name: String(scrubbed.name), status, summary: scrubbed.summary,
      payloadJson, callId, durationMs, loss: scrubbed.loss };
    const size = payloadJson.length + item.name.length + (item.summary?.length ?? 0) + 200;
    if (s.run.dead || !this._put(item, size)) {
      this._noteDrop(s, seq, seq, 1, `sdk buffer full (maxBufferBytes ${this.config.maxBufferBytes})`);
      return;
    }
    this.stats.logged++;
  }

  _noteDrop(s, first, last, count, reason, counted = false) {
    if (!counted) this.stats.dropped += count;
    if (s.drops === null) {
      s.drops = [count, first, last, reason];
      this.withDrops.add(s);
    } else {
      s.drops[0] += count;
      s.drops[1] = Math.min(s.drops[1], first);
      s.drops[2] = Math.max(s.drops[2], last);
    }
  }

  // -- the gate: asked before a tool runs (the caller awaits the answer)
  async gate(tool, input, policy = null, query = null, session = null) {
    if (this.disabled) return NULL_SESSION.gate(tool);
    const project = policy ?? this.config.policy;
    if (!project) throw new Error("oep gate: no policy project (pass policy or set OEP_POLICY)");
    const request = { policy: { project }, input: input ?? { tool: { name: tool } } };
    if (query) request.query = query;
    const answer = await this._postWithRetry("/v1/decide", dumps(request), false);
    let decision;
    if (answer.ok) {
      decision = new Decision(tool, answer.json());
    } else {
      const allow = this.config.gateOnError === "allow";
      decision = new Decision(tool, { decision: allow ? "allow" : "deny", allow, decision_code: "OEP_GATE_UNAVAILABLE" },
        `oep gate unavailable (${answer.status || "no answer"}): ${answer.message()}`);
    }
    session?.logEvent({ type: "policy.decision", name: tool, status: decision.allowed ? "allowed" : "denied",
      payload: { tool, policy: decision.policy || project, decision: decision.decision, allow: decision.allowed,
        decision_code: decision.code, reason: decision.reason } });
    return decision;
  }

  // -- HTTP: node:http(s) with the client's own keep-alive agent, closed by shutdown
  _postOnce(path, body) {
    const url = new URL(this.config.endpoint.replace(/\/$/, "") + path);
    const https = url.protocol === "https:";
    this.agent ??= new (https ? httpsAgent : httpAgent)({ keepAlive: true, maxSockets: 2 });
    const headers = { "content-type": "application/json", "user-agent": "oep-node",
      "content-length": Buffer.byteLength(body) };
    if (this.config.apiKey) headers.authorization = `Bearer ${this.config.apiKey}`;
    return new Promise((resolve) => {
      const req = (https ? httpsRequest : httpRequest)(url, { method: "POST", headers, agent: this.agent,
        timeout: this.config.requestTimeoutMs }, (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve(new Answer(res.statusCode, Buffer.concat(chunks).toString("utf8"))));
        res.on("error", (e) => resolve(new Answer(0, "", `${e.name}: ${e.code ?? e.message}`)));
      });
      req.on("timeout", () => req.destroy(new Error("request timed out")));
      req.on("error", (e) => resolve(new Answer(0, "", `${e.name}: ${e.code ?? e.message}`)));
      req.end(body);
    });
  }

  async _postWithRetry(path, body, countRejects = true) {
    const { maxAttempts, baseSeconds, capSeconds } = this.config.retry;
    for (let attempt = 0; ; ) {
      const answer = await this._postOnce(path, body);
      attempt++;
      if (!answer.retryable || attempt >= maxAttempts) {
        if (!answer.ok && !answer.retryable && countRejects) {
          this.stats.rejected++;
          console.warn(`oep: ${path} refused (${answer.status}): ${answer.message()}`);
        }
        return answer;
      }
      let ms = backoffDelay(attempt - 1, baseSeconds, capSeconds) * 1000;
      if (this.deadline !== null) {
        const left = this.deadline - Date.now();
        if (left <= 0) return answer;
        ms = Math.min(ms, left);
      }
      await sleep(ms);
    }
  }

  // -- the flush loop
  _kick() {
    if (this.disabled || this.flushing) return this.flushing;
    this.flushing = this._drain().finally(() => { this.flushing = null; });
    return this.flushing;
  }

  async _drain() {
    while (this.items.length > 0 || this._unsentDrops()) {
      if (this.deadline !== null && Date.now() >= this.deadline) return;
      const batch = this.items.splice(0, this.config.batchSize);
      try {
        await this._send(batch);
        await this._sendDrops();
      } finally {
        for (const item of batch) this.bytes -= item.size;
      }
    }
  }

  _unsentDrops() {
    for (const s of this.withDrops) if (s.run.created && !s.run.dead) return true;
    return false;
  }

  async _send(items) {
    for (let i = 0; i < items.length;) {
      const item = items[i];
      if (Array.isArray(item)) {
        const [kind, s] = item;
        if (kind === "create") await this._createRun(s);
        else {
          await this._sendSessionDrops(s);
          if (s.run.created) await this._postWithRetry(`/v1/runs/${s.runId}:finish`, "{}");
        }
        i++;
        continue;
      }
      let j = i;
      while (j < items.length && !Array.isArray(items[j]) && items[j].s === item.s) j++;
      await this._sendSteps(item.s, items.slice(i, j));
      i = j;
    }
  }

  async _createRun(s) {
    let user = s.user;
    if (this.config.redact) {
      try {
        user = this.config.redact("session", { ...user }) || { tags: [], metadata: {}, frameworks: {} };
      } catch (e) {
        console.error(`oep: redaction hook failed on a session; its user fields are left out: ${e}`);
        user = { tags: [], metadata: {}, frameworks: {} };
      }
    }
    const metadata = { ...(user.metadata || {}), sdk: { name: "oep-node", version: VERSION },
      runtime: { node: process.versions.node } };
    const frameworks = { ...this.integrations, ...(user.frameworks || {}) };
    if (Object.keys(frameworks).length) metadata.frameworks = frameworks;
    if (user.userId) metadata.user_id = String(user.userId);
    const body = { run_id: s.runId, agent: s.name.slice(0, 256), metadata };
    if (s.release) body.release_manifest_id = s.release;
    else if (!this.unspecifiedStored) { // the manifest events without a release refer to
      const made = await this._postWithRetry("/v1/releases/unspecified", "{}");
      this.unspecifiedStored = made.ok;
      if (!made.ok) {
        s.run.dead = !made.retryable;
        return;
      }
    }
    if (user.tags?.length) body.tags = user.tags.slice(0, 32).map((t) => String(t).slice(0, 64));
    const answer = await this._postWithRetry("/v1/runs", dumps(body));
    if (answer.ok) s.run.created = true;
    else s.run.dead = !answer.retryable;
  }

  _eventJson(item) {
    const s = item.s;
    const head = {
      schema_version: "oep.agent_step_event.v0",
      event_id: `evt_${s.runId}_${item.seq}`,
      event_time: new Date(item.time).toISOString(),
      event_type: item.eventType,
      release_manifest_id: s.release || UNRELEASED,
      trace_id: s.runId,
      span_id: hex(8),
      parent_span_id: s.spanId,
      checkpoint: { name: item.name, sequence: item.seq, state: "after" },
      actor: { type: "agent", id: s.name },
      action: { action_type: item.eventType.split(".")[0], name: item.name },
      outcome: { status: item.status },
      evidence_loss: item.loss,
    };
    if (item.summary) head.outcome.summary = item.summary;
    if (item.callId) head.tool_call_id = item.callId;
    if (item.durationMs !== null) head.duration_ms = item.durationMs;
    return JSON.stringify(head).slice(0, -1) + ',"payload":' + item.payloadJson + "}";
  }

  async _sendSteps(s, items) {
    if (!s.run.created && !s.run.dead) await this._createRun(s); // the server was down at the start
    const seqs = items.map((i) => i.seq);
    const first = Math.min(...seqs), last = Math.max(...seqs);
    if (!s.run.created) {
      this._noteDrop(s, first, last, items.length, "run not created on the server");
      return;
    }
    const steps = items.map((it, k) => `{"step":${s.run.nextStep + k},"event":${this._eventJson(it)}}`).join(",");
    const answer = await this._postWithRetry(`/v1/runs/${s.runId}/steps`, `{"steps":[${steps}]}`);
    if (answer.ok) {
      s.run.nextStep += items.length;
      this.stats.sent += items.length;
      return;
    }
    this._noteDrop(s, first, last, items.length,
      answer.status ? `server refused the batch (${answer.status})` : "server unreachable");
  }

  async _sendDrops() {
    for (const s of [...this.withDrops]) if (s.run.created || s.run.dead) await this._sendSessionDrops(s);
  }

  async _sendSessionDrops(s) {
    const d = s.drops;
    if (d === null) return;
    if (s.run.dead) { // nowhere to record it
      s.drops = null;
      this.withDrops.delete(s);
      return;
    }
    if (!s.run.created) return;
    s.drops = null;
    this.withDrops.delete(s);
    const body = dumps({ count: d[0], first_seq: d[1], last_seq: d[2], reason: d[3].slice(0, 256) });
    const answer = await this._postWithRetry(`/v1/runs/${s.runId}:drop`, body);
    if (answer.ok) this.stats.dropRecords++;
    else if (answer.retryable) this._noteDrop(s, d[1], d[2], d[0], d[3], true);
  }

  /** Resolves true once everything buffered so far was handled (sent or given up). */
  async flush(timeoutMs = this.config.shutdownTimeoutMs) {
    if (this.disabled) return true;
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (this.bytes === 0 && !this._unsentDrops() && !this.flushing) return true;
      let timer;
      const timeout = new Promise((r) => { timer = setTimeout(r, Math.max(1, end - Date.now())); });
      await Promise.race([this._kick() ?? sleep(5), timeout]);
      clearTimeout(timer); // a pending timer would keep the process alive
    }
    return this.bytes === 0;
  }

  /** Flushes with a deadline, then stops the timer and the exit listener. Idempotent. */
  async shutdown(timeoutMs = this.config.shutdownTimeoutMs) {
    if (this.disabled || this.closing) return;
    this.closing = true;
    clearInterval(this.timer);
    liveClients.delete(this);
    if (liveClients.size === 0) process.off("beforeExit", flushLiveClients);
    this.deadline = Date.now() + timeoutMs;
    await this.flush(timeoutMs);
    this.agent?.destroy();
    const lost = this.items.filter((i) => !Array.isArray(i)).length;
    if (lost > 0) {
      this.stats.dropped += lost;
      console.warn(`oep: shutdown deadline passed; ${lost} events not sent`);
    }
  }
}

// -- the default client and the module API
let defaultClient = null;

/** Replaces the default client (the previous one is flushed and stopped). */
export function configure(options = {}) {
  const old = defaultClient;
  defaultClient = new Client(options);
  if (old) old.shutdown();
  return defaultClient;
}

/** The default client, made from the environment on first use. */
export function client() {
  defaultClient ??= new Client();
  return defaultClient;
}

export const session = (opts, fn) => client().session(opts, fn);
export const startSession = (opts) => client().startSession(opts);
/** The session of the innermost oep.session in this async context, or undefined. */
export const currentSession = () => current.getStore();

/** A tool call of the current session (outside one, `fn` just runs). */
export function tool(name, args, fn, options) {
  return (current.getStore() ?? NULL_SESSION).tool(name, args, fn, options);
}

/** One event of the current session (a no-op outside one). */
export function logEvent(event) {
  current.getStore()?.logEvent(event);
}

export function gate(tool, input, policy = null, query = null) {
  const s = current.getStore();
  return s ? s.gate(tool, input, policy, query) : client().gate(tool, input, policy, query);
}

export const registerIntegration = (name, version) => client().registerIntegration(name, version);
export const flush = (timeoutMs) => client().flush(timeoutMs);
export const shutdown = (timeoutMs) => (defaultClient ? defaultClient.shutdown(timeoutMs) : Promise.resolve());
