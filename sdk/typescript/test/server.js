// A real `oep serve` (build/oep-serve) on a loopback port for the SDK tests, a fault
// injecting proxy in front of it, and reads of what the server stored. The build folder is
// $OEP_BUILD_DIR, else <repo>/build; the tests fail when the binaries are missing.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, unlinkSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const BUILD = process.env.OEP_BUILD_DIR || path.join(REPO, "build");
export const OEP = path.join(BUILD, "oep");
const OEP_SERVE = path.join(BUILD, "oep-serve");

/** One HTTP request without keep-alive (an idle kept-alive socket would hold up the server's stop). */
export function httpRequest(url, { method = "GET", headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const oep = (...args) => execFileSync(OEP, args, { encoding: "utf8" });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function freePort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

export class OepServer {
  static async start(port = 0) {
    for (const b of [OEP, OEP_SERVE]) {
      if (!existsSync(b)) throw new Error(`${b} is missing: run \`make build\` (or set OEP_BUILD_DIR)`);
    }
    const s = new OepServer();
    s.dir = mkdtempSync(path.join(tmpdir(), "oep-sdk-ts-"));
    s.state = path.join(s.dir, "s.sqlite");
    oep("tenant", "create", "acme", "--state-path", s.state);
    s.keys = {};
    for (const role of ["ingest", "viewer", "admin"]) {
      s.keys[role] = oep("key", "create", "--tenant", "acme", "--role", role, "--state-path", s.state).trim()
        .split("\n").at(-1);
    }
    await s.listen(port);
    return s;
  }

  async listen(port = 0) {
    const portFile = path.join(this.dir, "port");
    if (existsSync(portFile)) unlinkSync(portFile);
    const log = openSync(path.join(this.dir, "serve.log"), "a");
    this.proc = spawn(OEP_SERVE, ["serve", "--state-path", this.state, "--listen", `127.0.0.1:${port}`,
      "--port-file", portFile], { stdio: ["ignore", "ignore", log] });
    let exited = false;
    this.proc.on("exit", () => { exited = true; });
    for (const end = Date.now() + 30000; Date.now() < end;) {
      const text = existsSync(portFile) ? readFileSync(portFile, "utf8").trim() : "";
      if (text) {
        this.port = Number(text);
        return;
      }
      if (exited) throw new Error("oep serve exited: " + readFileSync(path.join(this.dir, "serve.log"), "utf8"));
      await sleep(10);
    }
    throw new Error("oep serve did not listen within 30 s");
  }

  get endpoint() { return `http://127.0.0.1:${this.port}`; }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return;
    const done = new Promise((r) => this.proc.on("exit", r));
    this.proc.kill("SIGTERM");
    await done;
  }

  async close() {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  async request(method, p, body = undefined, role = "viewer") {
    const res = await httpRequest(this.endpoint + p, { method, body,
      headers: { authorization: `Bearer ${this.keys[role]}`, "content-type": "application/json" } });
    return { status: res.status, json: res.text ? JSON.parse(res.text) : null };
  }

  async run(runId) {
    const r = await this.request("GET", `/v1/runs/${runId}`);
    return r.status === 200 ? r.json : null;
  }

  async events(runId) {
    const r = await this.request("GET", `/v1/runs/${runId}/steps?limit=500`);
    return r.status === 200 ? r.json.steps.map((s) => s.event) : [];
  }

  async uploadManifest() {
    const text = readFileSync(path.join(REPO, "manifest/examples/code_review_demo_release.v0.json"), "utf8");
    const r = await this.request("POST", "/v1/artifacts", text, "ingest");
    if (r.status !== 200) throw new Error(JSON.stringify(r.json));
    return JSON.parse(text).manifest_id;
  }

  async uploadPolicy(project = "perms") {
    const text = readFileSync(path.join(REPO, "permissions/policy/tool_permissions.rego"), "utf8");
    const r = await this.request("POST", `/v1/policies?project=${project}`, text, "admin");
    if (r.status !== 201 && r.status !== 200) throw new Error(JSON.stringify(r.json));
  }

  /** The payloads of the drop entries of the run's chain, read from the store file. */
  drops(runId) {
    const out = execFileSync("sqlite3", ["-readonly", this.state,
      `SELECT payload FROM ledger WHERE kind = 'drop' AND chain_id LIKE '%run:${runId}' ORDER BY seq`],
    { encoding: "utf8" });
    return out.split("\n").filter(Boolean).map((l) => JSON.parse(l));
  }
}

/** Answers 503 to the first `failFirst` requests whose path contains `failPath`, then
 * forwards to `targetPort`; records every request's path. */
export class FaultProxy {
  static async start(targetPort, failFirst = 0, failPath = "") {
    const p = new FaultProxy();
    p.seen = [];
    p.failLeft = failFirst;
    p.server = http.createServer(async (req, res) => {
      const chunks = [];
      for await (const c of req) chunks.push(c);
      p.seen.push(req.url);
      if (p.failLeft > 0 && req.url.includes(failPath)) {
        p.failLeft--;
        res.writeHead(503, { "content-type": "application/json" }).end('{"error":{"message":"injected"}}');
        return;
      }
      const headers = { ...req.headers };
      delete headers.host;
      delete headers.connection;
      const up = await httpRequest(`http://127.0.0.1:${targetPort}${req.url}`, { method: req.method, headers,
        body: chunks.length ? Buffer.concat(chunks) : undefined });
      res.writeHead(up.status, { "content-type": "application/json" }).end(up.text);
    });
    await new Promise((r) => p.server.listen(0, "127.0.0.1", r));
    p.port = p.server.address().port;
    return p;
  }

  get endpoint() { return `http://127.0.0.1:${this.port}`; }
  count(fragment) { return this.seen.filter((u) => u.includes(fragment)).length; }
  close() {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(r));
  }
}
