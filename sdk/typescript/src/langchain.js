// A LangChain.js / LangGraph.js callback handler that records, into one oep session, every
// LLM call (model, messages, output text, token usage), tool invocation, graph node
// transition (LangGraph's langgraph_node / langgraph_step metadata) and error.
//
//   registerLangChain(client);  // once: framework versions into each session's metadata
//   const handler = new OepCallbackHandler({ session });
//   await graph.invoke(input, { callbacks: [handler] });
//
// It is pinned to the framework versions it was tested with (TESTED_VERSIONS); on others it
// warns once and goes on. Reasoning in model output (reasoning_content, reasoning/thinking
// content blocks) is left out unless the client's captureReasoning is on; the client's
// scrubbing and redaction hook apply as to any event.
import { createRequire } from "node:module";
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";

export const TESTED_VERSIONS = { "@langchain/core": ["1.4.0"], "@langchain/langgraph": ["1.7.3"] };
export const HANDLER_VERSION = "0.1.0";
const REASONING_BLOCKS = new Set(["reasoning", "thinking", "redacted_thinking"]);
const require = createRequire(import.meta.url);
let warned = false;

/** The installed version of `name`, or null when it is not installed. */
export function installedVersion(name) {
  try {
    return require(`${name}/package.json`).version;
  } catch {
    return null;
  }
}

/** The installed framework versions, and a warning for each untested one (printed once per process). */
export function checkFrameworkVersions(warn = (m) => console.warn(m), testedVersions = TESTED_VERSIONS) {
  const versions = {}, warnings = [];
  for (const [name, tested] of Object.entries(testedVersions)) {
    const v = installedVersion(name);
    if (v === null) continue;
    versions[name] = v;
    if (!tested.includes(v)) {
      warnings.push(`oep: ${name} ${v} is not a version the oep LangChain handler was tested with ` +
        `(${tested.join(", ")}); recording goes on, but check the events`);
    }
  }
  if (!warned || testedVersions !== TESTED_VERSIONS) for (const w of warnings) warn(w);
  if (testedVersions === TESTED_VERSIONS) warned ||= warnings.length > 0;
  return { versions, warnings };
}

/** Names the installed LangChain packages and this handler in the metadata of the
 * client's later sessions (call it before starting the sessions the handler records;
 * a session's metadata is sent when it starts). Returns the versions. */
export function registerLangChain(client, warn) {
  const { versions } = checkFrameworkVersions(warn);
  if (!client.disabled) {
    for (const [n, v] of Object.entries(versions)) client.registerIntegration(n, v);
    client.registerIntegration("oep-langchain-handler", HANDLER_VERSION);
  }
  return versions;
}

// The text of a message's content without reasoning blocks (unless kept).
function contentOf(message, keepReasoning, removed) {
  const c = message?.content;
  if (typeof c === "string") return c;
  if (!Array.isArray(c)) return c ?? null;
  return c.filter((b) => {
    if (b && REASONING_BLOCKS.has(b.type) && !keepReasoning) {
      removed.push(b.type);
      return false;
    }
    return true;
  }).map((b) => (typeof b === "string" ? b : b.text ?? b));
}

function messageOf(m, keepReasoning, removed) {
  const out = { role: typeof m?._getType === "function" ? m._getType() : m?.role ?? "unknown",
    content: contentOf(m, keepReasoning, removed) };
  if (m?.tool_calls?.length) out.tool_calls = m.tool_calls.map((t) => ({ name: t.name, args: t.args, id: t.id }));
  if (keepReasoning && m?.additional_kwargs?.reasoning_content) out.reasoning_content = m.additional_kwargs.reasoning_content;
  else if (m?.additional_kwargs?.reasoning_content) removed.push("reasoning_content");
  return out;
}

function usageOf(output) {
  const u = output?.llmOutput?.tokenUsage ?? output?.llmOutput?.usage;
  if (u) return u;
  const m = output?.generations?.[0]?.[0]?.message;
  return m?.usage_metadata ?? null;
}

const errorOf = (err) => ({ type: err?.name ?? typeof err, message: String(err?.message ?? err) });

export class OepCallbackHandler extends BaseCallbackHandler {
  name = "oep";

  /** @param {{session: import("./index.js").Session, warn?: (m: string) => void}} options */
  constructor({ session, warn } = {}) {
    // Awaited handlers: every event is logged before the graph call returns, so none
    // arrives after its session finished. The handlers themselves do no I/O.
    super({ _awaitHandler: true });
    this.awaitHandlers = true;
    if (!session) throw new Error("OepCallbackHandler: expected { session } (an oep session)");
    this.session = session;
    this.runs = new Map(); // LangChain run id -> what its start said
    if (session.client) registerLangChain(session.client, warn);
  }

  get keepReasoning() {
    return Boolean(this.session.client?.config?.captureReasoning);
  }

  _start(runId, info) {
    this.runs.set(runId, { ...info, t0: performance.now() });
  }

  _end(runId) {
    const info = this.runs.get(runId);
    this.runs.delete(runId);
    if (!info) return { durationMs: null };
    return { ...info, durationMs: Math.round((performance.now() - info.t0) * 1000) / 1000 };
  }

  _log(type, name, payload, status, summary = null) {
    this.session.logEvent({ type, name, payload, status, summary });
  }

  // -- LLM calls
  handleChatModelStart(llm, messages, runId, _parent, extra, _tags, metadata, runName) {
    const removed = [];
    this._start(runId, {
      model: runName ?? llm?.id?.at?.(-1) ?? "chat_model",
      input: (messages?.[0] ?? []).map((m) => messageOf(m, this.keepReasoning, removed)),
      params: extra?.invocation_params ?? null,
      node: metadata?.langgraph_node ?? null,
    });
  }

  handleLLMStart(llm, prompts, runId, _parent, extra, _tags, metadata, runName) {
    this._start(runId, { model: runName ?? llm?.id?.at?.(-1) ?? "llm", input: prompts,
      params: extra?.invocation_params ?? null, node: metadata?.langgraph_node ?? null });
  }

  handleLLMEnd(output, runId) {
    const info = this._end(runId);
    const removed = [];
    const generations = (output?.generations ?? []).flat().map((g) =>
      g.message ? messageOf(g.message, this.keepReasoning, removed) : { content: g.text });
    const payload = { model: info.model, node: info.node, input: info.input, output: generations,
      token_usage: usageOf(output), duration_ms: info.durationMs };
    if (removed.length) payload.omitted = removed.map((r) => `${r} (captureReasoning is off)`);
    this._log("llm.call", info.model ?? "llm", payload, "succeeded");
  }

  handleLLMError(err, runId) {
    const info = this._end(runId);
    this._log("llm.failed", info.model ?? "llm", { model: info.model, node: info.node, error: errorOf(err) }, "failed",
      `${errorOf(err).type}: ${errorOf(err).message}`);
  }

  // -- tools
  handleToolStart(tool, input, runId, _parent, _tags, metadata, runName, toolCallId) {
    this._start(runId, { tool: runName ?? tool?.name ?? tool?.id?.at?.(-1) ?? "tool", input, toolCallId,
      node: metadata?.langgraph_node ?? null });
  }

  handleToolEnd(output, runId) {
    const info = this._end(runId);
    const content = output?.content !== undefined ? output.content : output;
    this._log("tool_call.completed", info.tool ?? "tool",
      { args: info.input, result: content, tool_call_id: info.toolCallId ?? null, node: info.node,
        duration_ms: info.durationMs }, "succeeded");
  }

  handleToolError(err, runId) {
    const info = this._end(runId);
    this._log("tool_call.failed", info.tool ?? "tool", { args: info.input, error: errorOf(err), node: info.node },
      "failed", `${errorOf(err).type}: ${errorOf(err).message}`);
  }

  // -- graph nodes: LangGraph runs each node as a chain with langgraph_node in its metadata
  handleChainStart(_chain, _inputs, runId, _runType, _tags, metadata, runName) {
    const node = metadata?.langgraph_node;
    if (node === undefined || (runName !== undefined && runName !== node)) return; // not a node's own run
    if (/^__.*__$/.test(node)) return; // LangGraph's own __start__ / __end__
    this._start(runId, { node, step: metadata.langgraph_step ?? null, triggers: metadata.langgraph_triggers ?? null });
  }

  handleChainEnd(_outputs, runId) {
    if (!this.runs.has(runId)) return;
    const info = this._end(runId);
    this._log("graph.node", info.node, { node: info.node, step: info.step, triggers: info.triggers,
      duration_ms: info.durationMs }, "succeeded");
  }

  handleChainError(err, runId) {
    if (!this.runs.has(runId)) return;
    const info = this._end(runId);
    this._log("graph.node_failed", info.node, { node: info.node, step: info.step, error: errorOf(err) }, "failed",
      `${errorOf(err).type}: ${errorOf(err).message}`);
  }
}
