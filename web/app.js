// The dashboard: hash routes (#/runs, #/runs/ID, #/decisions/ID, #/impact, #/diff,
// #/approvals, #/audit), each a page that calls the /v1 API. Text is always set with
// textContent (never parsed as HTML).
import { get, getDocument, getText, post, setCsrf, ApiError } from "/web/api.js";

const main = document.getElementById("main");
const DISCLAIMER = "Evidence support · Audit aid · Non-certifying";
let session = null;

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}
const link = (href, text) => el("a", { href }, text);
const disclaimer = () => el("div", { class: "disclaimer", "data-test": "disclaimer" }, DISCLAIMER);
const q = encodeURIComponent;

// Replaces `node`'s children by `nodes` (arrays flattened, null and undefined left out).
function fill(node, ...nodes) { node.replaceChildren(...nodes.flat(Infinity).filter((n) => n !== null && n !== undefined)); }
function show(...nodes) { fill(main, ...nodes); }
function fail(err) {
  const msg = err instanceof ApiError && err.status === 404 ? "Not found (or not in your tenant): " + err.message : String(err.message || err);
  show(el("h1", {}, "Error"), el("p", { class: "error", "data-test": "error" }, msg));
}

function kv(pairs) {
  const dl = el("dl", { class: "kv" });
  for (const [k, v] of pairs) dl.append(el("dt", {}, k), el("dd", {}, v === undefined || v === null || v === "" ? el("span", { class: "muted" }, "not recorded") : v));
  return dl;
}

// Redaction markers as ingest writes them (src/exposure: "oep:redacted:DETECTOR:sha256:HEX",
// a whole value or inside a string).
const REDACTION = /oep:redacted:[a-z_]*:sha256:[0-9a-f]{64}/g;
// `text` as nodes, its redaction markers in marked spans.
function withMarkers(text) {
  const nodes = [];
  const re = new RegExp(REDACTION.source, "g");
  let last = 0, m;
  while ((m = re.exec(text)) !== null) {
    nodes.push(text.slice(last, m.index), el("span", { class: "redacted", "data-test": "redaction", title: "redaction marker: the value was replaced at ingest" }, m[0]));
    last = m.index + m[0].length;
  }
  nodes.push(text.slice(last));
  return nodes;
}

// JSON with its redaction markers marked.
function jsonBlock(value) {
  return el("pre", { class: "json" }, withMarkers(JSON.stringify(value, null, 2)));
}

// ---- Runs -------------------------------------------------------------------------
// A run's duration_ms and cost_usd as shown ("—": not recorded).
function fmtDuration(ms) {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return ms + " ms";
  const s = ms / 1000;
  if (s < 60) return (Math.round(s * 10) / 10) + " s";
  const m = Math.floor(s / 60), h = Math.floor(m / 60);
  return h ? h + " h " + (m % 60) + " min" : m + " min " + Math.floor(s - 60 * m) + " s";
}
// "2026-12-03 06:28:39Z" of an RFC 3339 UTC time (the whole value is the cell's title).
const shortTime = (t) => (t || "").replace("T", " ").replace(/\.[0-9]+Z$/, "Z");
const fmtCost = (usd) => usd === null || usd === undefined ? "—" : "$" + usd.toFixed(4);

const RUN_FILTERS = ["since", "until", "status", "tool", "model", "tag", "release"];

async function runsPage(params) {
  const t0 = performance.now();
  const form = el("form", { class: "filters", id: "run-filters" });
  for (const name of RUN_FILTERS) {
    const input = name === "status"
      ? el("select", { name }, el("option", { value: "" }, "any"), el("option", { value: "open" }, "open"), el("option", { value: "finished" }, "finished"))
      : el("input", { name, placeholder: name === "since" || name === "until" ? "2026-01-01T00:00:00Z" : "", size: 14 });
    input.value = params.get(name) || "";
    form.append(el("label", {}, name, input));
  }
  form.append(el("button", { type: "submit" }, "Apply"));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const p = new URLSearchParams();
    for (const name of RUN_FILTERS) if (form.elements[name].value) p.set(name, form.elements[name].value);
    location.hash = "#/runs?" + p.toString();
  });
  const api = new URLSearchParams();
  for (const name of [...RUN_FILTERS, "cursor"]) if (params.get(name)) api.set(name, params.get(name));
  api.set("limit", "50");
  const data = await get("/v1/runs?" + api.toString());
  const table = el("table", { id: "runs" },
    el("tr", {}, ["Run", "Status", "Started", "Duration", "Steps", "Tool calls", "Denials", "Violations", "Cost", "Release", "Model", "Tags"]
      .map((h) => el("th", {}, h))));
  for (const r of data.runs) {
    const cell = (col, value, cls) => el("td", { "data-col": col, class: cls }, value);
    table.append(el("tr", { "data-run": r.run_id },
      cell("run", link("#/runs/" + r.run_id, r.run_id), "mono"),
      cell("status", r.status, r.status === "finished" ? "ok" : ""),
      el("td", { "data-col": "started", class: "nowrap", title: r.created_at }, shortTime(r.created_at)),
      cell("duration", fmtDuration(r.duration_ms), "num"), cell("steps", r.steps, "num"),
      cell("tool_calls", r.tool_calls, "num"), cell("denials", r.denials, r.denials ? "num bad" : "num"),
      cell("violations", r.violations ? link("#/runs/" + r.run_id, "⚑ " + r.violations) : "0", r.violations ? "num bad flagged" : "num"),
      cell("cost", fmtCost(r.cost_usd), "num"),
      cell("release", r.release_manifest_id || "", "mono wrap"),
      el("td", { "data-col": "model", class: "nowrap" }, r.model || "", r.agent ? el("div", { class: "muted", "data-col": "agent" }, r.agent) : null),
      cell("tags", (r.tags || []).join(", "), "nowrap")));
  }
  const pager = el("div", { class: "pager" }, el("span", { id: "run-count" }, data.runs.length + " runs on this page"));
  if (params.get("cursor")) pager.append(link("#/runs", "First page"));
  if (data.next_cursor) {
    const p = new URLSearchParams(params); p.set("cursor", data.next_cursor);
    pager.append(link("#/runs?" + p.toString(), "Next page"));
  }
  show(el("h1", {}, "Runs"), form, table, pager,
       el("p", { class: "muted" }, "Duration: first to last step event time. Cost: the steps' recorded budget (— when none is recorded). " +
          "Tool calls: steps with a policy decision; denials: those denied. Violations: what the monitors flagged (⚑)."));
  window.oepRenderMs = performance.now() - t0;
}

// ---- Run timeline -----------------------------------------------------------------
// The timeline is the run's frames (GET /v1/runs/{id}/frames, src/frames/frames.h), one per
// chain entry in order: EVENT (a stored row; a step's event expands to its JSON), REDACTION,
// LOG_DROP and GAP, each with its warning code. Frames are served only from a chain that
// verifies: a 409 (one CHAIN_UNVERIFIED frame) is shown as that, never as a timeline. The
// steps (GET /v1/runs/{id}/steps) give the events' JSON.
async function runSteps(id) {
  const steps = [];
  let after = null;
  do {
    const page = await get("/v1/runs/" + q(id) + "/steps?limit=500" + (after !== null ? "&after=" + after : ""));
    steps.push(...page.steps);
    after = page.next_after;
  } while (after !== null && after !== undefined);
  return steps;
}

const CODE_MEANING = { "OEP-F001": "gap", "OEP-F002": "log drop", "OEP-F003": "redaction", "OEP-F004": "chain unverified",
                       "OEP-F005": "chain not sealed" };
const codeTag = (c) => c ? el("span", { class: "code", title: CODE_MEANING[c] || "" }, "[" + c + "]") : null;

// A step's EVENT frame: expandable to the event's JSON, its redaction markers and recorded
// evidence loss marked.
function stepItem(s, f) {
  const ev = s.event || {};
  const tool = ev.action && (ev.action.tool_name || ev.action.action_type);
  const loss = (ev.evidence_loss || []).length;
  const redactions = (JSON.stringify(ev).match(REDACTION) || []).length;
  return el("li", { "data-step": s.step, "data-frame": "EVENT" },
    el("details", {}, el("summary", {}, "step " + s.step + " · " + (ev.event_type || "step") + (tool ? " · " + tool : "") +
        (ev.checkpoint && ev.checkpoint.name ? " @ " + ev.checkpoint.name : "") + (ev.event_time ? " · " + ev.event_time : "") +
        (ev.permission_packet_ref ? " · decision " : ""), ev.permission_packet_ref ? link("#/decisions/" + ev.permission_packet_ref, ev.permission_packet_ref) : null,
        el("span", { class: "muted" }, " · chain entry " + f.seq),
        loss ? el("span", { class: "gap", "data-test": "step-loss" }, " · " + loss + " recorded evidence loss") : null,
        redactions ? el("span", { class: "redacted", "data-test": "step-redacted" }, " · " + redactions + " redacted") : null),
      loss ? el("ul", {}, ev.evidence_loss.map((l) => el("li", { class: "gap" }, (l.severity || "?") + " " + (l.field || "?") + ": " + (l.impact || "")))) : null,
      jsonBlock(ev)));
}

// The monitor violations (GET /v1/violations?run=ID, every page) by the ids they name.
async function runViolations(id) {
  const all = [];
  let after = "";
  do {
    const page = await get("/v1/violations?limit=500&run=" + q(id) + (after ? "&after=" + q(after) : ""));
    all.push(...page.violations);
    after = page.next_after;
  } while (after);
  const byId = new Map();
  for (const v of all) for (const ref of [...(v.event_ids || []), ...(v.decision_ids || [])]) byId.set(ref, [...(byId.get(ref) || []), v]);
  return { all, byId };
}

const violationText = (v) => v.severity + " · " + v.monitor + " (" + v.rule + "): " + v.message;

function violationsSection(violations) {
  if (!violations.all.length) return el("p", { class: "muted", id: "violations" }, "No monitor flagged this run.");
  return [el("h2", {}, "Monitor violations (" + violations.all.length + ")"),
          el("ul", { id: "violations" }, violations.all.map((v) => el("li", { class: "flagged", "data-violation": v.violation_id },
            "⚑ " + violationText(v) + ((v.event_ids || []).length + (v.decision_ids || []).length ? " — " + [...(v.event_ids || []), ...(v.decision_ids || [])].join(", ") : ""))))];
}

// One frame as a timeline item, marked when a monitor flagged its row.
function frameItem(f, stepOf, violations) {
  const item = frameNode(f, stepOf);
  const flagged = f.type === "EVENT" ? violations.byId.get(f.artifact_id) || [] : [];
  if (flagged.length) {
    item.classList.add("flagged-item");
    item.dataset.violations = String(flagged.length);
    item.append(el("div", { class: "flagged", "data-test": "frame-violation" }, flagged.map((v) => "⚑ " + violationText(v)).join("; ")));
  }
  return item;
}

function frameNode(f, stepOf) {
  const entry = "chain entry " + f.seq;
  if (f.type === "EVENT") {
    const s = f.artifact_table === "events" ? stepOf.get(f.artifact_id) : undefined;
    if (s) return stepItem(s, f);
    const id = f.artifact_table === "decisions" ? link("#/decisions/" + f.artifact_id, f.artifact_id) : el("span", { class: "mono" }, f.artifact_id);
    return el("li", { "data-frame": "EVENT", "data-table": f.artifact_table }, f.artifact_table + " ", id,
      f.tool ? " · " + f.tool : "", f.outcome ? el("span", { class: f.outcome === "deny" ? "bad" : "ok" }, " · " + f.outcome + (f.matched_rule ? " (" + f.matched_rule + ")" : "")) : null,
      f.time ? " · " + f.time : "", el("span", { class: "muted" }, " · " + entry));
  }
  if (f.type === "REDACTION") {
    return el("li", { class: "redaction", "data-frame": "REDACTION" }, "redacted value: " + f.artifact_id + " " + f.pointer + " (" + f.detector + "), hash of the removed value ",
      el("span", { class: "mono wrap" }, f.redacted_hash), " · " + entry + " ", codeTag(f.warning_code));
  }
  if (f.type === "LOG_DROP") {
    return el("li", { class: "drop", "data-frame": "LOG_DROP" }, "recorded drop: " + (f.count === null ? "an unknown number of" : f.count) + " event(s) lost" +
      (f.reason ? " — " + f.reason : "") + " · " + entry + " ", codeTag(f.warning_code));
  }
  if (f.type === "GAP") {
    const range = f.missing_first_seq !== undefined ? "sequence " + f.missing_first_seq + "–" + f.missing_last_seq + " not recorded" : "a recorded break in continuity";
    return el("li", { class: "gap", "data-frame": "GAP" }, "gap: " + range + (f.reason ? " — " + f.reason : "") + " · " + entry + " ", codeTag(f.warning_code));
  }
  return el("li", { class: "gap", "data-frame": f.type }, "frame of unknown type " + f.type + " · " + entry);
}

// The refusal of a chain that does not verify: why, and which entries.
function unverifiedSection(doc) {
  const f = (doc.frames || [])[0] || {};
  return el("div", { class: "error", id: "chain-unverified", "data-test": "chain-unverified" },
    el("strong", {}, "CHAIN UNVERIFIED "), codeTag(f.warning_code || "OEP-F004"),
    el("p", {}, "The run's ledger chain does not verify, so its timeline is not shown: " + (f.reason || (doc.chain || {}).failure || "no reason given")),
    el("p", {}, "First failing chain entry: " + (f.failed_seq === undefined ? "?" : f.failed_seq) + "; affected entries: " + (f.affected_seqs || []).join(", ")),
    el("p", {}, "Run `oep verify` on the store; nothing on this page is evidence until it does."));
}

async function runPage(id) {
  const t0 = performance.now();
  const [run, frames, steps, violations] = await Promise.all([get("/v1/runs/" + q(id)), getDocument("/v1/runs/" + q(id) + "/frames", [409]),
                                                             runSteps(id), runViolations(id)]);
  const doc = frames.body;
  const chain = run.evidence || {};
  const served = frames.status === 200 && doc.served;
  const fc = doc.chain || {};
  // The chain's class (links, hashes, seal) unless the frames found a row it covers edited.
  const verified = chain.verified && served;
  const seal = verified ? chain.class + " (" + chain.detail + ")" : "BROKEN: " + (served ? chain.detail || "not classified" : fc.failure || "the chain does not verify");
  const count = (type) => (doc.frames || []).filter((f) => f.type === type).length;
  const header = kv([["Evidence class", el("span", { id: "evidence-class", class: verified ? "" : "bad" }, seal)],
    ["Frames", el("span", { id: "frames-state", class: served ? "" : "bad" }, served ? "served from a verified chain (" + fc.entries + " entries, " +
      (fc.sealed ? "sealed" : "not sealed [OEP-F005]") + ")" : "NOT SERVED: the chain does not verify [OEP-F004]")],
    ["Status", run.status], ["Started", run.created_at], ["Steps", String(run.steps)],
    ["Recorded drops", el("span", { id: "drop-count", class: count("LOG_DROP") ? "gap" : "" }, served ? String(count("LOG_DROP")) : "unknown")],
    ["Gaps", el("span", { id: "gap-count", class: count("GAP") ? "gap" : "" }, served ? String(count("GAP")) : "unknown")],
    ["Redactions", el("span", { id: "redaction-count" }, served ? String(count("REDACTION")) : "unknown")],
    ["Chain", run.chain_id], ["Release", run.release_manifest_id], ["Model", run.model], ["Tags", (run.tags || []).join(", ")]]);
  const nodes = [el("h1", {}, "Run ", el("span", { class: "mono", id: "run-id" }, run.run_id)), disclaimer(), header,
                 el("p", {}, link("/v1/runs/" + q(id) + "/export?format=markdown", "Compliance export (Markdown)"))];
  if (served) {
    const stepOf = new Map(steps.map((s) => [s.event_id, s]));
    nodes.push(el("h2", {}, "Timeline (" + doc.frames.length + " frames, " + steps.length + " steps)"),
               el("ol", { id: "timeline", class: "timeline" }, doc.frames.map((f) => frameItem(f, stepOf, violations))));
  } else {
    nodes.push(unverifiedSection(doc));
  }
  nodes.splice(4, 0, violationsSection(violations));
  show(...nodes);
  window.oepRenderMs = performance.now() - t0;
}

// ---- Decision ---------------------------------------------------------------------
// The page reads the replay record (playbooks/schema/decision_replay.v0) of GET
// /v1/decisions/{id}, plus its chain_evidence (the run's chain classified by the server).
const body = (entry) => (entry && entry.body) || null;
const absent = (v) => v === undefined || v === null || v === "";
const dig = (v) => absent(v) ? el("span", { class: "muted" }, "not recorded") : el("span", { class: "mono wrap" }, v);
const LAYER_ORDER = ["model", "prompt", "tool_schema", "policy", "workflow", "rollout", "eval", "data_state"];

function table(id, headers, rows) {
  const t = el("table", { id }, el("tr", {}, headers.map((h) => el("th", {}, h))));
  for (const r of rows) t.append(r);
  return t;
}

function releaseSection(r) {
  const m = r.manifest;
  if (!m) return [el("p", { class: "gap", id: "release-missing" }, "Release " + ((body(r.permission_packet) || {}).release_manifest_id || "?") + ": MISSING from the store")];
  const layers = m.layer_bindings || {};
  const names = [...LAYER_ORDER.filter((n) => n in layers), ...Object.keys(layers).filter((n) => !LAYER_ORDER.includes(n))];
  const rows = names.map((n) => {
    const l = layers[n] || {};
    const nr = l.binding_status === "not_recorded";
    return el("tr", { "data-layer": n }, el("td", {}, n), el("td", {}, nr ? "not recorded" : (l.name || "") + (l.version ? "@" + l.version : "")),
      el("td", {}, nr ? dig(null) : dig(l.digest)), el("td", { class: l.binding_status === "resolved" ? "ok" : "" }, l.binding_status || "not recorded"));
  });
  const rel = m.release || {};
  return [kv([["Manifest", el("span", { class: "mono" }, m.manifest_id)], ["Manifest digest", dig(m.digest)],
              ["Release", [rel.name, rel.version].filter(Boolean).join(" ") + (rel.status ? " (" + rel.status + ")" : "")],
              ["Previous", m.previous_manifest_id]]),
          table("layers", ["Layer", "Name@version", "Digest", "Binding"], rows)];
}

function eventSection(r) {
  const ev = body(r.event);
  if (!ev) return [el("p", { class: "gap", id: "event-missing" }, "Event: MISSING from the store")];
  const cp = ev.checkpoint || {};
  const losses = (ev.evidence_loss || []).map((l) => el("li", { class: "gap", "data-test": "evidence-loss" },
    "Evidence loss (" + (l.severity || "?") + ") " + (l.field || "?") + ": " + (l.impact || "")));
  return [kv([["Event", el("span", { class: "mono", id: "event-id" }, ev.event_id)], ["Type", ev.event_type], ["Time", ev.event_time],
              ["Checkpoint", cp.name ? cp.name + " #" + cp.sequence + " (" + cp.state + ")" : null],
              ["Outcome", ev.outcome ? ev.outcome.status + ": " + (ev.outcome.summary || "") : null], ["Digest", dig(r.event.digest)]]),
          losses.length ? el("ul", {}, losses) : null,
          el("details", {}, el("summary", {}, "event JSON"), jsonBlock(ev))];
}

// The trace's spans as a tree (indented by depth), the decision's span marked.
function spanSection(r) {
  const t = r.trace;
  if (!t) return [el("p", { class: "gap", id: "trace-missing" }, "Trace: MISSING from the store")];
  const mine = (body(r.permission_packet) || {}).span_id;
  const spans = t.spans || (t.span ? [t.span] : []);
  const byId = new Map(spans.map((s) => [s.span_id, s]));
  const depth = (s) => { let d = 0, p = s.parent_span_id; while (p && byId.has(p) && d < 32) { d++; p = byId.get(p).parent_span_id; } return d; };
  const rows = spans.map((s) => {
    const isMine = s.span_id === mine;
    return el("tr", { "data-span": s.span_id, class: isMine ? "mine" : null, "data-mine": isMine ? "true" : null },
      el("td", {}, isMine ? "→" : ""), el("td", { class: "mono" }, s.span_id),
      el("td", {}, el("span", { class: "indent-" + Math.min(depth(s), 8) }, s.name || "")), el("td", {}, s.status || ""),
      el("td", {}, s.event_id ? el("span", { class: "mono" }, s.event_id) : ""));
  });
  const marked = spans.some((s) => s.span_id === mine);
  return [kv([["Trace", el("span", { class: "mono", id: "trace-id" }, t.trace_id)], ["Status", t.status], ["Spans", String(t.span_count)],
              ["From – to", (t.started_at || "?") + " – " + (t.ended_at || "?")], ["Digest", dig(t.digest)]]),
          table("spans", ["", "Span", "Name", "Status", "Event"], rows),
          el("p", { class: marked ? "muted" : "gap", id: "span-note" }, marked ? "→ marks the span of this decision (" + mine + ")" : "the decision's span " + mine + " is not in the trace")];
}

function reviewSection(r) {
  const rows = (r.human_reviews || []).map((v) => el("tr", { "data-review": v.event_id },
    el("td", { class: "mono" }, v.event_id), el("td", { class: ((v.action || {}).outcome || "") === "approved" ? "ok" : "bad" }, (v.action || {}).outcome || v.event_type || ""),
    el("td", {}, ((v.reviewer || {}).display_name || (v.reviewer || {}).id || "") + " (" + (((v.reviewer || {}).authority || {}).role || "?") + ")"),
    el("td", {}, v.event_time || "")));
  const packet = body(r.permission_packet) || {};
  const out = [];
  if (r.eval) out.push(kv([["Eval", r.eval.eval_id + ": " + r.eval.status + (r.eval.summary ? " — " + r.eval.summary : "")]]));
  out.push(rows.length ? table("reviews", ["Review", "Outcome", "Reviewer (role)", "Time"], rows) : el("p", { class: "muted", id: "reviews" }, "no human review stored"));
  out.push(kv([["Approval", packet.approval_capture ? el("span", { id: "approval" }, JSON.stringify(packet.approval_capture)) : el("span", { id: "approval", class: "muted" }, "none recorded in the permission packet")],
               ["Credential", packet.scoped_credential_lifetime ? "scoped, lifetime " + packet.scoped_credential_lifetime : null]]));
  return out;
}

// The reconstruction packet's verdict, each piece of evidence with its status, and what is
// missing or stale named.
function reconstructionSection(r) {
  const rc = r.reconstruction;
  if (!rc) return [el("p", { class: "gap", id: "reconstruction-verdict" }, "no reconstruction packet stored")];
  const st = rc.reconstruction_status;
  const verdict = st === "ready" ? "sufficient" : st === "blocked" ? "insufficient (blocked)" : st;
  const summary = Object.entries(rc.evidence_summary || {});
  const named = (status) => summary.filter(([, v]) => (v || {}).status === status).map(([k]) => k);
  const missing = named("missing"), stale = named("stale");
  const rows = summary.map(([k, v]) => el("tr", { "data-piece": k, class: ["missing", "stale"].includes((v || {}).status) ? "gap" : null },
    el("td", {}, k), el("td", {}, (v || {}).status || ""), el("td", { class: "mono wrap" }, (v || {}).ref || "")));
  return [el("p", { id: "reconstruction-verdict", class: st === "ready" ? "ok" : "gap" }, "Reconstruction " + rc.packet_id + ": " + verdict),
          kv([["Missing", el("span", { id: "recon-missing" }, missing.length ? missing.join(", ") : "none")],
              ["Stale", el("span", { id: "recon-stale" }, stale.length ? stale.join(", ") : "none")],
              ["Limitations", (rc.open_limitations || []).length ? el("ul", { id: "limitations" }, rc.open_limitations.map((l) => el("li", {}, typeof l === "string" ? l : JSON.stringify(l)))) : "none"]]),
          table("evidence-summary", ["Evidence", "Status", "Ref"], rows)];
}

async function decisionPage(id) {
  const t0 = performance.now();
  const r = await get("/v1/decisions/" + q(id));
  const d = r.decision || {};
  const p = r.policy || {};
  const copy = el("button", { id: "copy-md", type: "button" }, "Copy as Markdown");
  const out = el("pre", { id: "markdown", hidden: true });
  copy.addEventListener("click", async () => {
    const md = await getText("/v1/decisions/" + q(id) + "/markdown");
    out.textContent = md;
    out.hidden = false;
    try { await navigator.clipboard.writeText(md); copy.textContent = "Copied"; } catch (e) { copy.textContent = "Shown below (clipboard unavailable)"; }
  });
  const chain = r.chain_evidence || {};
  const chainText = chain.verified ? chain.class + " (" + chain.detail + ")" : "BROKEN: " + (chain.detail || "not classified");
  const pieces = Object.entries(r.evidence || {}).map(([k, v]) => el("span", { class: v === "present" ? "piece ok" : v === "missing" ? "piece bad" : "piece muted", "data-piece": k }, k + " " + v.replace("_", " ")));
  const tool = r.tool || {}, act = r.requested_action || {}, res = r.resource || {};
  show(el("h1", {}, "Decision ", el("span", { class: "mono", id: "decision-id" }, r.decision_id)), disclaimer(),
       el("p", { id: "verdict", class: d.allow ? "allow" : "deny" }, d.allow ? "ALLOWED" : "DENIED"),
       kv([["Rule", el("span", { class: "mono", id: "rule" }, d.matched_rule || "")], ["Code", d.decision_code], ["Reason", d.reason],
           ["Time", r.decision_time], ["Actor", r.actor && [r.actor.type, r.actor.display_name || r.actor.id].filter(Boolean).join(" ")],
           ["Tool", tool.name ? tool.name + (tool.operation ? " (" + tool.operation + ")" : "") + (tool.version ? " " + tool.version : "") : null],
           ["Action", [act.action_type, act.name].filter(Boolean).join(": ")],
           ["Resource", [res.type, res.id].filter(Boolean).join(" ") + (res.mutable === true ? " (mutable)" : res.mutable === false ? " (immutable)" : "")],
           ["Policy", [p.policy_id, p.policy_version].filter(Boolean).join(" ") + (p.package ? " (" + p.package + ")" : "")],
           ["Bundle", dig(p.bundle_digest)],
           ["Evidence class", el("span", { id: "evidence-class", class: chain.verified ? "" : "gap" }, (chain.chain_id ? chain.chain_id + ": " : "") + chainText)],
           ["Evidence", el("span", { id: "evidence-pieces" }, pieces)],
           ["Join issues", el("span", { id: "join-issues", class: (r.join_issues || []).length ? "gap" : "" }, (r.join_issues || []).length ? r.join_issues.join("; ") : "none")]]),
       el("p", {}, copy, " ", link("#/impact?decision=" + q(id), "Counterfactual…")), out,
       el("h2", {}, "Release layers"), releaseSection(r),
       el("h2", {}, "OPA input"), body(r.opa_input) ? jsonBlock(body(r.opa_input)) : el("p", { class: "gap" }, "OPA input: MISSING from the store"),
       el("h2", {}, "Event"), eventSection(r),
       el("h2", {}, "Span and neighbours"), spanSection(r),
       el("h2", {}, "Reviews and approvals"), reviewSection(r),
       el("h2", {}, "Reconstruction"), reconstructionSection(r));
  window.oepRenderMs = performance.now() - t0;
}

// ---- Counterfactual and impact ----------------------------------------------------
// The policy: a stored version (GET /v1/policies), an uploaded file (a .rego module, else a
// .tar.gz bundle sent as base64) or Rego text; as POST /v1/policies' re-decisions take it.
function base64Of(bytes) {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

async function chosenPolicy(select, file, rego) {
  if (select.value) return { policy: JSON.parse(select.value), label: select.selectedOptions[0].textContent };
  const f = file.files && file.files[0];
  if (f) {
    if (/\.rego$/i.test(f.name)) return { policy: { rego: await f.text() }, label: f.name };
    return { policy: { bundle_base64: base64Of(new Uint8Array(await f.arrayBuffer())) }, label: f.name };
  }
  if (rego.value.trim()) return { policy: { rego: rego.value }, label: "the Rego text" };
  throw new Error("choose a stored policy, upload a .rego or .tar.gz bundle, or paste Rego");
}

// The recorded decision and the counterfactual one, field by field, differences marked.
function sideBySide(r) {
  const o = r.original || {}, c = r.counterfactual || {};
  const fmt = (v) => v === undefined || v === null ? "—" : Array.isArray(v) ? v.join(", ") : typeof v === "object" ? JSON.stringify(v) : String(v);
  const rows = ["decision", "allow", "decision_code", "matched_rules", "rationale", "policy_bundle_version"].map((k) => {
    const changed = fmt(o[k]) !== fmt(c[k]);
    return el("tr", { "data-field": k, class: changed ? "changed" : null }, el("td", {}, k),
      el("td", { class: "mono wrap" }, fmt(o[k])), el("td", { class: "mono wrap" }, fmt(c[k])), el("td", {}, changed ? "changed" : "same"));
  });
  const d = r.diff || {};
  return [el("p", { id: "transition", class: d.decision_changed ? "gap" : "ok" }, "Transition: " + (d.transition || "unchanged") +
            (d.decision_changed ? "" : " (the decision does not change)")),
          table("side-by-side", ["Field", "Recorded", "Counterfactual", ""], rows),
          el("p", { class: "muted" }, "Engine " + ((r.engine || {}).version || "?") + " · query " + (r.query || "?") + " (" + (r.query_source || "?") + ") · " +
             ((r.replay_metadata || {}).replay_class || "") + " replay")];
}

// The impact report of a POST /v1/impact reply (a saved run holds it as "report").
const reportOf = (r) => (r && (r.report || r)) || {};

// The counts of each transition over every decision.
function impactCounts(r) {
  const t = reportOf(r).counts || {};
  return table("impact-counts", ["Transition", "Decisions"], Object.entries(t).map(([k, v]) =>
    el("tr", { "data-count": k }, el("td", {}, k.replaceAll("_", " ")), el("td", {}, String(v)))));
}

async function impactPage(params) {
  const policies = await get("/v1/policies").catch(() => ({ policies: [] }));
  const select = el("select", { name: "version" }, el("option", { value: "" }, "(upload or paste below)"));
  for (const p of policies.policies || []) select.append(el("option", { value: JSON.stringify({ project: p.project, version: p.version }) }, p.project + " v" + p.version + " (" + p.digest.slice(0, 15) + "…)"));
  const file = el("input", { type: "file", name: "bundle", accept: ".rego,.tar.gz,.tgz,application/gzip" });
  const rego = el("textarea", { name: "rego", rows: 8, cols: 80, placeholder: "package oep.permissions\n..." });
  const decision = el("input", { name: "decision", size: 40, value: params.get("decision") || "" });
  const save = el("input", { type: "checkbox", name: "save" });
  const out = el("div", { id: "impact-result" });
  const run = async (ev) => {
    ev.preventDefault();
    fill(out, el("p", {}, "Running…"));
    try {
      const chosen = await chosenPolicy(select, file, rego);
      if (decision.value) {
        const r = await post("/v1/decisions/" + q(decision.value) + ":counterfactual", { policy: chosen.policy });
        fill(out, el("h2", {}, "Side by side: ", link("#/decisions/" + q(decision.value), decision.value), " under " + chosen.label), sideBySide(r),
                            el("details", {}, el("summary", {}, "counterfactual record JSON"), jsonBlock(r)));
      } else {
        const body = { policy: chosen.policy }; if (save.checked) body.save = true;
        const r = await post("/v1/impact", body);
        fill(out, el("h2", {}, "Impact of " + chosen.label), impactCounts(r), impactChart(r), el("h3", {}, "Changed decisions"), flippedLinks(r),
                            el("details", {}, el("summary", {}, "impact report JSON"), jsonBlock(r)));
      }
    } catch (e) { fill(out, el("p", { class: "error" }, e.message)); }
  };
  show(el("h1", {}, "Counterfactual and impact"), disclaimer(),
       el("form", { class: "filters", onsubmit: run }, el("label", {}, "stored policy", select), el("label", {}, "or upload .rego / .tar.gz", file),
          el("label", {}, "decision (empty: all)", decision), el("label", {}, "save the run", save), el("button", { type: "submit" }, "Run")),
       el("label", { class: "block" }, "or Rego text (used when no stored policy or file is chosen)", rego), out);
}

// The report's example decisions of each transition (report.examples), each a link.
function flippedLinks(r) {
  const ul = el("ul", { id: "flipped" });
  for (const [transition, ids] of Object.entries(reportOf(r).examples || {})) {
    for (const id of ids) ul.append(el("li", {}, transition + ": ", link("#/decisions/" + id, id)));
  }
  return ul.children.length ? ul : el("p", { class: "muted" }, "none");
}

// Bars of the transitions (allow→deny, ...) of the report's counts, in plain SVG.
function impactChart(r) {
  const t = reportOf(r).counts || {};
  const entries = ["allow_to_deny", "deny_to_allow", "to_undefined", "other_changes", "unchanged", "errors"].map((k) => [k, t[k] || 0]);
  const max = Math.max(1, ...entries.map(([, v]) => v));
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("width", "520"); svg.setAttribute("height", String(24 * entries.length + 8)); svg.setAttribute("id", "transitions");
  entries.forEach(([k, v], i) => {
    const label = document.createElementNS(ns, "text"); label.setAttribute("x", "0"); label.setAttribute("y", String(24 * i + 16)); label.textContent = k;
    const bar = document.createElementNS(ns, "rect"); bar.setAttribute("x", "160"); bar.setAttribute("y", String(24 * i + 4));
    bar.setAttribute("width", String(Math.round(300 * v / max))); bar.setAttribute("height", "16"); bar.setAttribute("fill", "#0b57d0"); bar.setAttribute("data-k", k);
    const n = document.createElementNS(ns, "text"); n.setAttribute("x", String(166 + Math.round(300 * v / max))); n.setAttribute("y", String(24 * i + 16)); n.textContent = String(v);
    svg.append(label, bar, n);
  });
  return svg;
}

// ---- Run diff ---------------------------------------------------------------------
// GET /v1/diff (playbooks/schema/run_diff.v0) as one table per category.
const fmtValue = (v) => v === undefined ? "—" : typeof v === "string" ? v : JSON.stringify(v);

function changesTable(id, changes) {
  if (!changes || !changes.length) return el("p", { class: "muted", id }, "no differences");
  return table(id, ["Field", "Change", "Run A", "Run B"], changes.map((c) => el("tr", { class: "change-" + c.change.split(" ")[0] },
    el("td", { class: "mono" }, c.pointer), el("td", {}, c.change),
    el("td", { class: "mono wrap" }, c.change.includes("redacted") ? el("span", { class: "redacted" }, "redacted") : withMarkers(fmtValue(c.a))),
    el("td", { class: "mono wrap" }, c.change.includes("redacted") ? el("span", { class: "redacted" }, "redacted") : withMarkers(fmtValue(c.b))))));
}

function diffView(d) {
  const ra = (d.runs || {}).a || {}, rb = (d.runs || {}).b || {};
  const sum = d.summary || {};
  const runRow = (k, f) => el("tr", {}, el("td", {}, k), el("td", { class: "mono" }, f(ra)), el("td", { class: "mono" }, f(rb)));
  const tc = d.tool_calls || {};
  const steps = (tc.steps || []).map((s) => el("tr", { "data-op": s.op, class: "op-" + s.op },
    el("td", {}, s.op), el("td", {}, s.call), el("td", {}, s.a_step === undefined ? "—" : String(s.a_step)), el("td", {}, s.b_step === undefined ? "—" : String(s.b_step)),
    el("td", {}, (s.changes || []).length ? changesTable(null, s.changes) : "")));
  const dec = (x) => x ? (x.allow ? "allow" : "deny") + " · " + x.matched_rule + " · " + x.decision_id : "no decision";
  const decisions = (d.policy_decisions || []).map((p) => el("tr", {}, el("td", {}, p.call),
    el("td", { class: "mono wrap" }, dec(p.a)), el("td", { class: "mono wrap" }, dec(p.b)), el("td", {}, (p.changed || []).join(", "))));
  const cd = d.cost_duration || {};
  const totals = ["steps", "tool_calls", "denials", "cost_usd", "tokens", "duration_ms"].map((k) => {
    const a = (cd.a || {})[k], b = (cd.b || {})[k];
    return el("tr", { class: fmtValue(a) !== fmtValue(b) ? "changed" : null }, el("td", {}, k), el("td", {}, fmtValue(a)), el("td", {}, fmtValue(b)));
  });
  return [el("p", { id: "diff-verdict", class: d.identical ? "ok" : "gap" }, d.identical ? "The runs are identical (profile " + d.profile.name + ")" :
            sum.total + " differences (profile " + (d.profile || {}).name + ")"),
          table("diff-summary", ["Category", "Differences"], ["prompt_stack", "model", "tool_calls", "policy_decisions", "metadata", "cost_duration"].map((k) =>
            el("tr", { "data-category": k }, el("td", {}, k.replace("_", " ")), el("td", {}, String(sum[k] || 0))))),
          el("h2", {}, "Runs"), table("diff-runs", ["", "Run A", "Run B"], [runRow("run", (r) => r.run_id || ""), runRow("source", (r) => r.source || ""),
            runRow("status", (r) => r.status || ""), runRow("steps", (r) => String(r.steps)), runRow("release", (r) => (r.release_manifest_id || "none") + (r.release_manifest_stored ? "" : " (not stored)"))]),
          el("h2", {}, "Prompt stack"), changesTable("diff-prompt", d.prompt_stack),
          el("h2", {}, "Model"), changesTable("diff-model", d.model),
          el("h2", {}, "Tool calls (" + tc.alignment + ": " + ["same", "changed", "inserted", "deleted", "moved"].map((k) => tc[k] + " " + k).join(", ") + ")"),
          steps.length ? table("diff-tools", ["Op", "Call", "A step", "B step", "Changes"], steps) : el("p", { class: "muted" }, "no differences"),
          el("h2", {}, "Policy decisions"), decisions.length ? table("diff-decisions", ["Call", "Run A", "Run B", "Changed"], decisions) : el("p", { class: "muted" }, "no differences"),
          el("h2", {}, "Metadata and tags"), changesTable("diff-metadata", d.metadata),
          el("h2", {}, "Cost and duration"), table("diff-cost", ["", "Run A", "Run B"], totals),
          el("details", {}, el("summary", {}, "diff record JSON"), jsonBlock(d))];
}

async function diffPage(params) {
  const a = el("input", { name: "runA", size: 36, value: params.get("runA") || "" });
  const b = el("input", { name: "runB", size: 36, value: params.get("runB") || "" });
  const form = el("form", { class: "filters" }, el("label", {}, "run A", a), el("label", {}, "run B", b), el("button", { type: "submit" }, "Compare"));
  form.addEventListener("submit", (ev) => { ev.preventDefault(); location.hash = "#/diff?runA=" + q(a.value) + "&runB=" + q(b.value); });
  const nodes = [el("h1", {}, "Run diff"), disclaimer(), form];
  if (params.get("runA") && params.get("runB")) {
    const d = await get("/v1/diff?runA=" + q(params.get("runA")) + "&runB=" + q(params.get("runB")));
    nodes.push(el("div", { id: "diff" }, diffView(d)));
  }
  show(...nodes);
}

// ---- Approvals --------------------------------------------------------------------
async function approvalsPage(params) {
  const status = params.get("status") || "pending";
  const data = await get("/v1/approvals?status=" + q(status));
  const canDecide = session.role === "approver" || session.role === "admin";
  const table = el("table", { id: "approvals" }, el("tr", {}, ["Request", "Run", "Step", "Tool", "Risk", "Action", "Status", ""].map((h) => el("th", {}, h))));
  for (const r of data.approvals) {
    const reason = el("input", { placeholder: "reason", size: 18, name: "reason" });
    const decide = (verb) => async () => {
      try { await post("/v1/approvals/" + q(r.request_id) + ":" + verb, { reason: reason.value }); route(); }
      catch (e) { alert(e.message); }
    };
    table.append(el("tr", { "data-request": r.request_id },
      el("td", { class: "mono" }, r.request_id), el("td", { class: "mono" }, link("#/runs/" + r.run_id, r.run_id.slice(0, 12) + "…")),
      el("td", {}, r.step), el("td", {}, r.tool), el("td", {}, r.risk), el("td", {}, r.action_summary),
      el("td", {}, r.status + (r.decided_by ? " by " + r.decided_by : "") + (r.reason ? ": " + r.reason : "")),
      el("td", {}, r.status === "pending" && canDecide ? [reason, el("button", { type: "button", class: "approve", onclick: decide("approve") }, "Approve"),
                                                          el("button", { type: "button", class: "deny", onclick: decide("deny") }, "Deny")] : "")));
  }
  const tabs = el("p", {}, ["pending", "approved", "denied", "break_glass"].map((s) => [link("#/approvals?status=" + s, s), " "]));
  show(el("h1", {}, "Approvals (" + status + ")"), tabs, canDecide ? "" : el("p", { class: "muted" }, "Your role (" + session.role + ") may not decide."), table);
}

// ---- Audit log --------------------------------------------------------------------
async function auditPage(params) {
  const data = await get("/v1/audit?limit=100" + (params.get("after") ? "&after=" + q(params.get("after")) : ""));
  const table = el("table", { id: "audit" }, el("tr", {}, ["Time", "Actor", "Action", "Target", "Outcome", "Detail"].map((h) => el("th", {}, h))));
  for (const r of data.records) table.append(el("tr", {}, el("td", {}, r.at || ""), el("td", {}, r.actor || ""),
    el("td", {}, r.action || ""), el("td", { class: "mono wrap" }, r.target || ""), el("td", {}, r.outcome || ""),
    el("td", { class: "wrap" }, r.detail || "")));
  const pager = el("div", { class: "pager" }, data.next_after ? link("#/audit?after=" + q(data.next_after), "Next page") : "");
  show(el("h1", {}, "Audit log"), disclaimer(), table, pager);
}

// ---- Sign-in and routing ----------------------------------------------------------
function signInPage() {
  const key = el("input", { type: "password", name: "api_key", id: "api-key", placeholder: "oep_…", autocomplete: "off" });
  const msg = el("p", { class: "error", hidden: true, id: "signin-error" });
  const form = el("form", { class: "signin", id: "signin" }, el("h1", {}, "Sign in to oep"), el("label", {}, "API key (", el("code", {}, "oep key create"), ")"), key,
                  el("button", { type: "submit" }, "Sign in"), msg);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const res = await fetch("/web/session", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ api_key: key.value }) });
    if (!res.ok) { msg.hidden = false; msg.textContent = "Sign-in refused: unknown or revoked API key"; return; }
    await start();
  });
  show(form);
}

const ROUTES = [
  [/^#\/runs\/([^/?]+)$/, (m) => runPage(m[1])],
  [/^#\/decisions\/([^/?]+)$/, (m) => decisionPage(m[1])],
  [/^#\/runs(\?.*)?$/, (m, p) => runsPage(p)],
  [/^#\/impact(\?.*)?$/, (m, p) => impactPage(p)],
  [/^#\/diff(\?.*)?$/, (m, p) => diffPage(p)],
  [/^#\/approvals(\?.*)?$/, (m, p) => approvalsPage(p)],
  [/^#\/audit(\?.*)?$/, (m, p) => auditPage(p)],
];

async function route() {
  if (!session) return;
  const hash = location.hash || "#/runs";
  const qi = hash.indexOf("?");
  const params = new URLSearchParams(qi >= 0 ? hash.slice(qi + 1) : "");
  for (const a of document.querySelectorAll("nav a")) a.classList.toggle("active", hash.startsWith(a.getAttribute("href")));
  document.body.dataset.ready = "";
  try {
    const r = ROUTES.find(([re]) => re.test(hash));
    const m = r && hash.match(r[0]);
    if (!r) show(el("h1", {}, "Unknown page"), el("p", {}, link("#/runs", "Runs")));
    else await r[1](m, params);
  } catch (e) { fail(e); }
  document.body.dataset.ready = hash;
}

async function start() {
  const res = await fetch("/web/session");
  if (!res.ok) { session = null; document.getElementById("signout").hidden = true; document.getElementById("who").textContent = ""; signInPage(); document.body.dataset.ready = "signin"; return; }
  session = await res.json();
  setCsrf(session.csrf_token);
  document.getElementById("who").textContent = session.tenant + " · " + session.role;
  document.getElementById("signout").hidden = false;
  await route();
}

document.getElementById("signout").addEventListener("click", async () => { await post("/web/session:delete"); session = null; location.hash = ""; start(); });
window.addEventListener("hashchange", route);
start();
