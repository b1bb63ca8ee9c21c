// The dashboard: hash routes (#/runs, #/runs/ID, #/decisions/ID, #/impact, #/diff,
// #/approvals, #/audit), each a page that calls the /v1 API. Text is always set with
// textContent (never parsed as HTML).
import { get, getText, post, setCsrf, ApiError } from "/web/api.js";

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
    el("tr", {}, ["Run", "Status", "Started", "Steps", "Release", "Model", "Agent", "Tags"].map((h) => el("th", {}, h))));
  for (const r of data.runs) {
    table.append(el("tr", { "data-run": r.run_id },
      el("td", { class: "mono" }, link("#/runs/" + r.run_id, r.run_id)),
      el("td", { class: r.status === "finished" ? "ok" : "" }, r.status),
      el("td", {}, r.created_at), el("td", {}, r.steps),
      el("td", { class: "mono" }, r.release_manifest_id || ""), el("td", {}, r.model || ""),
      el("td", {}, r.agent || ""), el("td", {}, (r.tags || []).join(", "))));
  }
  const pager = el("div", { class: "pager" }, el("span", { id: "run-count" }, data.runs.length + " runs on this page"));
  if (params.get("cursor")) pager.append(link("#/runs", "First page"));
  if (data.next_cursor) {
    const p = new URLSearchParams(params); p.set("cursor", data.next_cursor);
    pager.append(link("#/runs?" + p.toString(), "Next page"));
  }
  show(el("h1", {}, "Runs"), form, table, pager,
       el("p", { class: "muted" }, "Duration, cost, tool-call and denial counts are not in the run summary the store keeps; open a run for its steps."));
  window.oepRenderMs = performance.now() - t0;
}

// ---- Run timeline -----------------------------------------------------------------
// The run's steps (GET /v1/runs/{id}/steps) and the drop entries of its ledger chain (the
// "chain" of the run's JSON export: kind "drop" entries, placed after the step whose event
// precedes them on the chain).
async function runEvidence(id) {
  const steps = [];
  let after = null;
  do {
    const page = await get("/v1/runs/" + q(id) + "/steps?limit=500" + (after !== null ? "&after=" + after : ""));
    steps.push(...page.steps);
    after = page.next_after;
  } while (after !== null && after !== undefined);
  let chain = null, chainError = null;
  try { chain = (await get("/v1/runs/" + q(id) + "/export?format=json")).chain || []; } catch (e) { chainError = e.message; }
  return { steps, chain, chainError };
}

// The timeline items, in order: each step (expandable to its JSON, redaction markers and
// evidence loss marked), a gap wherever step numbers skip, and every recorded drop. One
// function, so that it can read frames instead when the server serves them.
function timelineItems({ steps, chain, chainError }) {
  const stepOfEvent = new Map(steps.map((s) => [(s.event || {}).event_id, s.step]));
  const dropsAfter = new Map();  // step number (0: before the first) -> drop payloads
  let lastStep = 0;
  for (const e of chain || []) {
    if (e.kind === "artifact" && e.artifact_table === "events" && stepOfEvent.has(e.artifact_id)) lastStep = stepOfEvent.get(e.artifact_id);
    if (e.kind === "drop") {
      if (!dropsAfter.has(lastStep)) dropsAfter.set(lastStep, []);
      dropsAfter.get(lastStep).push(Object.assign({ seq: e.seq }, e.payload || {}));
    }
  }
  const drop = (d) => el("li", { class: "drop", "data-test": "drop" }, "recorded drop (chain entry " + d.seq + "): " + d.count + " event(s) lost, the client's sequence " +
    d.first_seq + "–" + d.last_seq + (d.reason ? " — " + d.reason : ""));
  const items = [];
  if (chainError) items.push(el("li", { class: "gap", "data-test": "chain-unread" }, "recorded drops could not be read (" + chainError + "): the timeline may be incomplete"));
  for (const d of dropsAfter.get(0) || []) items.push(drop(d));
  let expected = 1;
  for (const s of steps) {
    if (s.step !== expected) items.push(el("li", { class: "gap", "data-test": "gap" }, "gap: steps " + expected + "–" + (s.step - 1) + " are not recorded"));
    expected = s.step + 1;
    const ev = s.event || {};
    const kind = ev.event_type || "step";
    const loss = (ev.evidence_loss || []).length;
    const redactions = (JSON.stringify(ev).match(REDACTION) || []).length;
    items.push(el("li", { "data-step": s.step },
      el("details", {}, el("summary", {}, "step " + s.step + " · " + kind + (ev.action && (ev.action.tool_name || ev.action.action_type) ? " · " + (ev.action.tool_name || ev.action.action_type) : "") +
        (ev.checkpoint && ev.checkpoint.name ? " @ " + ev.checkpoint.name : "") + (ev.event_time ? " · " + ev.event_time : "") +
        (ev.permission_packet_ref ? " · decision " : ""), ev.permission_packet_ref ? link("#/decisions/" + ev.permission_packet_ref, ev.permission_packet_ref) : null,
        loss ? el("span", { class: "gap", "data-test": "step-loss" }, " · " + loss + " recorded evidence loss") : null,
        redactions ? el("span", { class: "redacted", "data-test": "step-redacted" }, " · " + redactions + " redacted") : null),
        loss ? el("ul", {}, ev.evidence_loss.map((l) => el("li", { class: "gap" }, (l.severity || "?") + " " + (l.field || "?") + ": " + (l.impact || "")))) : null,
        jsonBlock(ev))));
    for (const d of dropsAfter.get(s.step) || []) items.push(drop(d));
  }
  const drops = [...dropsAfter.values()].reduce((n, l) => n + l.length, 0);
  return { items, drops };
}

async function runPage(id) {
  const t0 = performance.now();
  const [run, evidence] = await Promise.all([get("/v1/runs/" + q(id)), runEvidence(id)]);
  const { items, drops } = timelineItems(evidence);
  const list = el("ol", { id: "timeline", class: "timeline" }, items);
  const chain = run.evidence || {};
  const seal = chain.verified ? chain.class + " (" + chain.detail + ")" : "BROKEN: " + (chain.detail || "not classified");
  show(el("h1", {}, "Run ", el("span", { class: "mono", id: "run-id" }, run.run_id)), disclaimer(),
       kv([["Evidence class", el("span", { id: "evidence-class", class: chain.verified ? "" : "gap" }, seal)], ["Status", run.status], ["Started", run.created_at], ["Steps", String(run.steps)],
           ["Recorded drops", el("span", { id: "drop-count", class: drops ? "gap" : "" }, String(drops))],
           ["Chain", run.chain_id], ["Release", run.release_manifest_id], ["Model", run.model], ["Tags", (run.tags || []).join(", ")]]),
       el("p", {}, link("/v1/runs/" + q(id) + "/export?format=markdown", "Compliance export (Markdown)")),
       el("h2", {}, "Timeline (" + evidence.steps.length + " steps)"), list);
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
