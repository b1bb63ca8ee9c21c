"""A real `oep serve` (build/oep-serve) on a loopback port for the SDK tests, a fault
injecting HTTP proxy in front of it, and reads of what the server stored.

The build folder is $OEP_BUILD_DIR, else <repo>/build; the tests fail (not skip) when the
binaries are missing: run `make build` first."""

import http.client
import http.server
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BUILD = os.environ.get("OEP_BUILD_DIR") or os.path.join(REPO, "build")
OEP = os.path.join(BUILD, "oep")
OEP_SERVE = os.path.join(BUILD, "oep-serve")
POLICY = os.path.join(REPO, "permissions", "policy", "tool_permissions.rego")
MANIFEST = os.path.join(REPO, "manifest", "examples", "code_review_demo_release.v0.json")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ""


def run_oep(*args):
    r = subprocess.run([OEP] + list(args), capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("oep %s: %s" % (" ".join(args), r.stderr))
    return r.stdout


class OepServer:
    """`oep-serve serve` on a scratch store with tenant "acme" and ingest, viewer and admin keys."""

    def __init__(self, port=0):
        for binary in (OEP, OEP_SERVE):
            if not os.access(binary, os.X_OK):
                raise RuntimeError("%s is missing: run `make build` (or set OEP_BUILD_DIR)" % binary)
        self.dir = tempfile.mkdtemp(prefix="oep-sdk-test-")
        self.state = os.path.join(self.dir, "s.sqlite")
        run_oep("tenant", "create", "acme", "--state-path", self.state)
        self.keys = {}
        for role in ("ingest", "viewer", "admin"):
            out = run_oep("key", "create", "--tenant", "acme", "--role", role, "--state-path", self.state)
            self.keys[role] = out.strip().splitlines()[-1]
        self.port = 0
        self._proc = None
        self.start(port)

    def start(self, port=0):
        port_file = os.path.join(self.dir, "port")
        if os.path.exists(port_file):
            os.remove(port_file)
        log = open(os.path.join(self.dir, "serve.log"), "ab")
        self._proc = subprocess.Popen(
            [OEP_SERVE, "serve", "--state-path", self.state, "--listen", "127.0.0.1:%d" % port, "--port-file",
             port_file], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)
        log.close()
        end = time.time() + 30
        while time.time() < end:
            text = _read(port_file)
            if text.strip():
                self.port = int(text)
                return
            if self._proc.poll() is not None:
                raise RuntimeError("oep serve exited: " + _read(os.path.join(self.dir, "serve.log")))
            time.sleep(0.01)
        raise RuntimeError("oep serve did not listen within 30 s")

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    def stop(self):
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            self._proc.wait(30)
        self._proc = None

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- reads and admin calls over HTTP
    def request(self, method, path, body=None, role="viewer"):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Authorization": "Bearer " + self.keys[role], "Content-Type": "application/json"}
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        text = resp.read().decode()
        conn.close()
        return resp.status, (json.loads(text) if text else None)

    def run(self, run_id):
        status, doc = self.request("GET", "/v1/runs/" + run_id)
        return doc if status == 200 else None

    def events(self, run_id):
        status, doc = self.request("GET", "/v1/runs/%s/steps?limit=500" % run_id)
        if status != 200:
            return []
        return [s["event"] for s in doc["steps"]]

    def upload_policy(self, project="perms"):
        with open(POLICY) as f:
            status, doc = self.request("POST", "/v1/policies?project=" + project, f.read(), role="admin")
        assert status in (200, 201), doc

    def upload_manifest(self):
        with open(MANIFEST) as f:
            status, doc = self.request("POST", "/v1/artifacts", f.read(), role="ingest")
        assert status == 200, doc
        return json.loads(_read(MANIFEST))["manifest_id"]

    def drops(self, run_id):
        """The payloads of the drop entries of the run's chain, read from the store file."""
        db = sqlite3.connect("file:%s?mode=ro" % self.state, uri=True)
        try:
            rows = db.execute("SELECT payload FROM ledger WHERE kind = 'drop' AND chain_id LIKE ? ORDER BY seq",
                              ("%run:" + run_id,)).fetchall()
        finally:
            db.close()
        return [json.loads(r[0]) for r in rows]


class FaultProxy:
    """An HTTP proxy on loopback that answers 503 to the first `fail_first` requests whose
    path contains `fail_path`, then forwards everything to `target_port`. It records each
    request's method and path."""

    def __init__(self, target_port, fail_first=0, fail_path=""):
        self.target_port = target_port
        self.fail_left = fail_first
        self.fail_path = fail_path
        self.seen = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _relay(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with proxy._lock:
                    proxy.seen.append((self.command, self.path))
                    fail = proxy.fail_left > 0 and proxy.fail_path in self.path
                    if fail:
                        proxy.fail_left -= 1
                if fail:
                    self._answer(503, b'{"error":{"code":"unavailable","message":"injected"}}')
                    return
                conn = http.client.HTTPConnection("127.0.0.1", proxy.target_port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                conn.request(self.command, self.path, body=body or None, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                conn.close()
                self._answer(resp.status, data)

            def _answer(self, status, data):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = _relay
            do_POST = _relay

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    def count(self, fragment):
        with self._lock:
            return sum(1 for _, p in self.seen if fragment in p)

    def close(self):
        self._server.shutdown()
        self._server.server_close()
