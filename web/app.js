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

function show(...nodes) { main.replaceChildren(...nodes); }
function fail(err) {
  const msg = err instanceof ApiError && err.status === 404 ? "Not found (or not in your tenant): " + err.message : String(err.message || err);
  show(el("h1", {}, "Error"), el("p", { class: "error", "data-test": "error" }, msg));
}

function kv(pairs) {
  const dl = el("dl", { class: "kv" });
  for (const [k, v] of pairs) dl.append(el("dt", {}, k), el("dd", {}, v === undefined || v === null || v === "" ? el("span", { class: "muted" }, "not recorded") : v));
  return dl;
}

// JSON with redaction markers ({"redacted": ...} objects or "[REDACTED...]" strings) marked.
function jsonBlock(value) {
  const pre = el("pre", { class: "json" });
  const text = JSON.stringify(value, null, 2);
  const re = /("\[REDACTED[^"]*\]"|"redacted[a-z_]*"\s*:)/g;
  let last = 0, m;
  while ((m = re.exec(text)) !== null) {
    pre.append(text.slice(last, m.index), el("span", { class: "redacted", "data-test": "redaction" }, m[0]));
    last = m.index + m[0].length;
  }
  pre.append(text.slice(last));
  return pre;
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
async function runPage(id) {
  const t0 = performance.now();
  const run = await get("/v1/runs/" + q(id));
  const steps = [];
  let after = null;
  do {
    const page = await get("/v1/runs/" + q(id) + "/steps?limit=500" + (after !== null ? "&after=" + after : ""));
    steps.push(...page.steps);
    after = page.next_after;
  } while (after !== null && after !== undefined);
  const list = el("ol", { id: "timeline", class: "timeline" });
  let expected = 1;
  for (const s of steps) {
    if (s.step !== expected) list.append(el("li", { class: "gap", "data-test": "gap" }, "gap: steps " + expected + "–" + (s.step - 1) + " are not recorded"));
    expected = s.step + 1;
    const ev = s.event || {};
    const kind = ev.event_type || "step";
    const loss = (ev.evidence_loss || []).length;
    list.append(el("li", { "data-step": s.step },
      el("details", {}, el("summary", {}, "step " + s.step + " · " + kind + (ev.action && ev.action.tool_name ? " · " + ev.action.tool_name : "") +
        (ev.permission_packet_ref ? " · decision " : ""), ev.permission_packet_ref ? link("#/decisions/" + ev.permission_packet_ref, ev.permission_packet_ref) : null,
        loss ? el("span", { class: "gap" }, " · " + loss + " recorded evidence loss") : null),
        jsonBlock(ev))));
  }
  const chain = run.evidence || {};
  const seal = chain.verified ? chain.class + " (" + chain.detail + ")" : "BROKEN: " + (chain.detail || "not classified");
  show(el("h1", {}, "Run ", el("span", { class: "mono", id: "run-id" }, run.run_id)), disclaimer(),
       kv([["Evidence class", el("span", { id: "evidence-class", class: chain.verified ? "" : "gap" }, seal)], ["Status", run.status], ["Started", run.created_at], ["Steps", String(run.steps)],
           ["Chain", run.chain_id], ["Release", run.release_manifest_id], ["Model", run.model], ["Tags", (run.tags || []).join(", ")]]),
       el("p", {}, link("/v1/runs/" + q(id) + "/export?format=markdown", "Compliance export (Markdown)")),
       el("h2", {}, "Timeline (" + steps.length + " steps)"), list);
  window.oepRenderMs = performance.now() - t0;
}

// ---- Decision ---------------------------------------------------------------------
async function decisionPage(id) {
  const t0 = performance.now();
  const r = await get("/v1/decisions/" + q(id));
  const d = r.decision || {};
  const layers = el("table", { id: "layers" }, el("tr", {}, el("th", {}, "Layer"), el("th", {}, "Binding")));
  for (const [name, b] of Object.entries((r.manifest && r.manifest.layer_bindings) || {})) {
    layers.append(el("tr", {}, el("td", {}, name), el("td", { class: "mono" }, b.digest || b.version || JSON.stringify(b))));
  }
  const copy = el("button", { id: "copy-md", type: "button" }, "Copy as Markdown");
  const out = el("pre", { id: "markdown", hidden: true });
  copy.addEventListener("click", async () => {
    const md = await getText("/v1/decisions/" + q(id) + "/markdown");
    out.textContent = md;
    out.hidden = false;
    try { await navigator.clipboard.writeText(md); copy.textContent = "Copied"; } catch (e) { copy.textContent = "Shown below (clipboard unavailable)"; }
  });
  const evidence = Object.entries(r.evidence || {}).map(([k, v]) => k + ": " + v).join(" · ");
  show(el("h1", {}, "Decision ", el("span", { class: "mono", id: "decision-id" }, r.decision_id)), disclaimer(),
       el("p", { id: "verdict", class: d.allow ? "allow" : "deny" }, d.allow ? "ALLOWED" : "DENIED"),
       kv([["Rule", el("span", { class: "mono", id: "rule" }, d.matched_rule || "")], ["Code", d.decision_code], ["Reason", d.reason],
           ["Time", r.decision_time], ["Actor", r.actor && (r.actor.display_name || r.actor.id)], ["Evidence", evidence],
           ["Join issues", (r.join_issues || []).length ? (r.join_issues || []).map((j) => typeof j === "string" ? j : JSON.stringify(j)).join("; ") : "none"]]),
       el("p", {}, copy, " ", link("#/impact?decision=" + q(id), "Counterfactual…")), out,
       el("h2", {}, "Release layers"), layers,
       el("h2", {}, "OPA input"), jsonBlock(r.opa_input === undefined ? null : r.opa_input),
       el("h2", {}, "Event"), jsonBlock(r.event || null),
       el("h2", {}, "Span and neighbours"), jsonBlock(r.trace || r.span || null),
       el("h2", {}, "Reviews and approvals"), jsonBlock({ human_reviews: r.human_reviews || [], approvals: r.approvals || [] }),
       el("h2", {}, "Reconstruction"), jsonBlock(r.reconstruction || r.reconstruction_packet || null));
  window.oepRenderMs = performance.now() - t0;
}

// ---- Counterfactual and impact ----------------------------------------------------
async function impactPage(params) {
  const policies = await get("/v1/policies").catch(() => ({ policies: [] }));
  const select = el("select", { name: "version" }, el("option", { value: "" }, "(upload below)"));
  for (const p of policies.policies || []) select.append(el("option", { value: JSON.stringify({ project: p.project, version: p.version }) }, p.project + " v" + p.version));
  const rego = el("textarea", { name: "rego", rows: 8, cols: 80, placeholder: "package oep.permissions\n..." });
  const decision = el("input", { name: "decision", size: 40, value: params.get("decision") || "" });
  const save = el("input", { type: "checkbox", name: "save" });
  const out = el("div", { id: "impact-result" });
  const policyOf = () => select.value ? { policy: JSON.parse(select.value) } : { policy: { rego: rego.value } };
  const run = async (ev) => {
    ev.preventDefault();
    out.replaceChildren(el("p", {}, "Running…"));
    try {
      if (decision.value) {
        const r = await post("/v1/decisions/" + q(decision.value) + ":counterfactual", policyOf());
        out.replaceChildren(el("h2", {}, "Side by side"), el("div", { class: "cols" },
          el("div", {}, el("h3", {}, "Recorded"), jsonBlock(r.recorded || r.original || null)),
          el("div", {}, el("h3", {}, "Counterfactual"), jsonBlock(r.counterfactual || r))));
      } else {
        const body = policyOf(); if (save.checked) body.save = true;
        const r = await post("/v1/impact", body);
        out.replaceChildren(el("h2", {}, "Impact"), impactChart(r), el("h3", {}, "Changed decisions"), flippedLinks(r), jsonBlock(r));
      }
    } catch (e) { out.replaceChildren(el("p", { class: "error" }, e.message)); }
  };
  show(el("h1", {}, "Counterfactual and impact"), disclaimer(),
       el("form", { class: "filters", onsubmit: run }, el("label", {}, "stored policy", select), el("label", {}, "decision (empty: all)", decision),
          el("label", {}, "save the run", save), el("button", { type: "submit" }, "Run")),
       el("label", { class: "block" }, "or a Rego policy (used when no stored policy is chosen)", rego), out);
}

// The report's example decisions of each transition (report.examples), each a link.
function flippedLinks(r) {
  const ul = el("ul", { id: "flipped" });
  for (const [transition, ids] of Object.entries((r.report && r.report.examples) || {})) {
    for (const id of ids) ul.append(el("li", {}, transition + ": ", link("#/decisions/" + id, id)));
  }
  return ul.children.length ? ul : el("p", { class: "muted" }, "none");
}

// Bars of the transitions (allow→deny, ...) of the report's counts, in plain SVG.
function impactChart(r) {
  const t = (r.report && r.report.counts) || {};
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
async function diffPage(params) {
  const a = el("input", { name: "runA", size: 34, value: params.get("runA") || "" });
  const b = el("input", { name: "runB", size: 34, value: params.get("runB") || "" });
  const form = el("form", { class: "filters" }, el("label", {}, "run A", a), el("label", {}, "run B", b), el("button", { type: "submit" }, "Compare"));
  form.addEventListener("submit", (ev) => { ev.preventDefault(); location.hash = "#/diff?runA=" + q(a.value) + "&runB=" + q(b.value); });
  const nodes = [el("h1", {}, "Run diff"), disclaimer(), form];
  if (params.get("runA") && params.get("runB")) {
    const d = await get("/v1/diff?runA=" + q(params.get("runA")) + "&runB=" + q(params.get("runB")));
    nodes.push(el("div", { id: "diff" }, jsonBlock(d)));
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
