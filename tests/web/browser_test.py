#!/usr/bin/python3
"""The dashboard in a real headless browser (Debian chromium + chromium-driver, driven by
Debian's python3-selenium): a real `oep serve` on a loopback port over a generated store
(`oep demo` plus 10,000 runs posted to the API). Each page is opened and its key content
asserted; a filter applied, an approval given, the Markdown copy checked, CSRF and a
cross-tenant URL refused, the session kept across a server restart. Screenshots go to
BUILD/screenshots/. Render times are printed, not asserted.

usage: browser_test.py OEP_BINARY REPO_ROOT BUILD_DIR
"""
import http.client
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time

OEP, ROOT, BUILD = sys.argv[1], sys.argv[2], sys.argv[3]
RUNS = int(os.environ.get("OEP_WEB_TEST_RUNS", "10000"))
DENIED = "pder_oep_demo_write_file_0002"


def ensure_packages():
    missing = [p for p, f in (("chromium", "/usr/bin/chromium"), ("chromium-driver", "/usr/bin/chromedriver"))
               if not os.path.exists(f)]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("python3-selenium")
    if missing:
        if os.geteuid() != 0:
            sys.exit("missing Debian packages; run: sudo apt-get install -y " + " ".join(missing))
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq"] + missing, check=True,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))


ensure_packages()
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service as ChromeService  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def oep(*args):
    r = subprocess.run([OEP, *args], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("oep %s: %s" % (" ".join(args), r.stderr))
    return r.stdout


class Api:
    def __init__(self, port, key):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.key = key

    def call(self, method, path, body=None, raw=None):
        headers = {"Authorization": "Bearer " + self.key}
        if body is not None:
            headers["Content-Type"] = "application/json"
            raw = json.dumps(body)
        try:
            self.conn.request(method, path, body=raw, headers=headers)
            r = self.conn.getresponse()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            self.conn.close()  # the server ended an idle keep-alive connection: once more on a new one
            self.conn.request(method, path, body=raw, headers=headers)
            r = self.conn.getresponse()
        text = r.read().decode()
        return r.status, text


def step_event(run_id, step):
    with open(os.path.join(ROOT, "events/examples/code_review_demo_read_step.v0.json")) as f:
        ev = json.load(f)
    ev["event_id"] = "evt_%s_%d" % (run_id[-8:], step)
    ev["trace_id"] = run_id
    ev["checkpoint"]["sequence"] = step
    ev.pop("permission_packet_ref", None)
    ev.pop("tool_call_id", None)
    return ev


def main():
    work = tempfile.mkdtemp(prefix="oep-web-")
    shots = os.path.join(BUILD, "screenshots")
    os.makedirs(shots, exist_ok=True)
    state = os.path.join(work, "s.db")
    oep("demo", "--state-path", state)
    admin = oep("key", "create", "--tenant", "default", "--role", "admin", "--state-path", state).strip().splitlines()[-1]
    oep("tenant", "create", "other", "--state-path", state)
    other = oep("key", "create", "--tenant", "other", "--role", "admin", "--state-path", state).strip().splitlines()[-1]
    port_file = os.path.join(work, "port")
    monitors = ["--monitor", os.path.join(ROOT, "permissions/policy/monitors")]
    server = subprocess.Popen([OEP, "serve", "--state-path", state, "--listen", "127.0.0.1:0", "--port-file", port_file] + monitors,
                              stderr=open(os.path.join(work, "serve.log"), "w"))
    driver = None
    try:
        for _ in range(200):
            if os.path.exists(port_file) and open(port_file).read().strip():
                break
            time.sleep(0.05)
        port = int(open(port_file).read())
        base = "http://127.0.0.1:%d" % port
        api = Api(port, admin)

        t0 = time.monotonic()
        first = None
        for i in range(RUNS):
            run_id = "%032x" % (0xabc000000 + i)
            first = first or run_id
            body = {"run_id": run_id, "model": "model-%s" % "abc"[i % 3], "tags": ["batch-%d" % (i % 5)],
                    "release_manifest_id": "rmf_oep_code_review_demo_v0"}
            status, text = api.call("POST", "/v1/runs", body)
            assert status == 201, text
        print("posted %d runs in %.1f s" % (RUNS, time.monotonic() - t0), flush=True)
        # The first run's figures: two decisions (step 1's found by its event id, step 2's by
        # permission_packet_ref, denied), step costs 0.02 + 0.03 + 0.01, 63.5 s from first to last event.
        with open(os.path.join(ROOT, "permissions/examples/code_review_demo_write_denied.v0.json")) as f:
            packet = json.load(f)
        first_events = [step_event(first, s) for s in (1, 2, 3)]
        for ev, when, cost in zip(first_events, ("2026-11-01T09:15:02Z", "2026-11-01T11:15:04.25+02:00", "2026-11-01T09:16:05.5Z"),
                                  (0.02, 0.03, 0.01)):
            ev["event_time"], ev["budget"] = when, {"step_cost_usd": cost}
        for n, allow in ((1, True), (2, False)):
            p = dict(packet, packet_id="pder_web_figures_%d" % n, event_id=first_events[n - 1]["event_id"], trace_id=first,
                     decision=dict(packet["decision"], allow=allow, matched_rule=packet["decision"]["matched_rule"] if not allow else "allow_read"))
            status, text = api.call("POST", "/v1/artifacts", p)
            assert status == 200, text
        first_events[1]["permission_packet_ref"] = "pder_web_figures_2"
        status, text = api.call("POST", "/v1/runs/%s/steps" % first,
                                {"steps": [{"step": s, "event": first_events[s - 1]} for s in (1, 2, 3)]})
        assert status == 200, text
        second = "%032x" % (0xabc000001)
        # A finished run: sealed with the server's key, which the server trusts as server.
        sealed = "%032x" % (0xabc000002)
        status, text = api.call("POST", "/v1/runs/%s/steps" % sealed, {"steps": [{"step": 1, "event": step_event(sealed, 1)}]})
        assert status == 200, text
        status, text = api.call("POST", "/v1/runs/%s:finish" % sealed, {})
        assert status == 200, text
        status, text = api.call("POST", "/v1/approvals",
                                {"run_id": first, "step": 3, "tool": "write_file", "action_summary": "write the fix",
                                 "risk": "high", "payload_sha256": "sha256:" + "a" * 64})
        assert status == 201, text
        request_id = json.loads(text)["request_id"]
        # A run with a redacted value in step 2 and a recorded drop between steps 2 and 3.
        lossy = "%032x" % (0xabc000003)
        marker = "oep:redacted:email:sha256:" + "b" * 64
        events = [step_event(lossy, s) for s in (1, 2, 3)]
        events[1]["action"]["name"] = marker  # redacted before it was sent: a whole-value marker
        events[2]["budget"]["run_cost_usd"] = 6.0  # past the over_budget monitor's cap (5 USD)
        status, text = api.call("POST", "/v1/runs/%s/steps" % lossy, {"steps": [{"step": s, "event": events[s - 1]} for s in (1, 2)]})
        assert status == 200, text
        status, text = api.call("POST", "/v1/runs/%s:drop" % lossy, {"count": 3, "first_seq": 3, "last_seq": 5, "reason": "queue full"})
        assert status == 201, text
        status, text = api.call("POST", "/v1/runs/%s/steps" % lossy, {"steps": [{"step": 3, "event": events[2]}]})
        assert status == 200, text
        # A run whose chain no longer verifies: its step's stored event edited behind the server's
        # back (the append-only triggers dropped and restored in the same transaction).
        broken = "%032x" % (0xabc000004)
        broken_event = step_event(broken, 1)
        status, text = api.call("POST", "/v1/runs/%s/steps" % broken, {"steps": [{"step": 1, "event": broken_event}]})
        assert status == 200, text
        db = sqlite3.connect(state, isolation_level=None)
        db.execute("BEGIN IMMEDIATE")
        triggers = db.execute("SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = 'events'").fetchall()
        for name, _ in triggers:
            db.execute('DROP TRIGGER "%s"' % name)
        assert db.execute("UPDATE events SET body = body || ' ' WHERE event_id = ?", (broken_event["event_id"],)).rowcount == 1
        for _, sql in triggers:
            db.execute(sql)
        db.execute("COMMIT")
        db.close()
        # A stored policy version, a .rego file and a .tar.gz bundle of the same module.
        rego_path = os.path.abspath(os.path.join(ROOT, "permissions/policy/counterfactual/workflow_step_bound.rego"))
        with open(rego_path) as f:
            rego = f.read()
        status, text = api.call("POST", "/v1/policies?project=bound", raw=rego)
        assert status == 201, text
        bundle_path = os.path.join(work, "bound.tar.gz")
        with tarfile.open(bundle_path, "w:gz", format=tarfile.USTAR_FORMAT) as tar:
            tar.add(rego_path, arcname="oep/permissions/bound.rego")
        replay = json.loads(oep("replay", DENIED, "--output-format", "json", "--state-path", state))

        options = webdriver.ChromeOptions()
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000"):
            options.add_argument(a)
        options.binary_location = "/usr/bin/chromium"
        driver = webdriver.Chrome(service=ChromeService(executable_path="/usr/bin/chromedriver"), options=options)
        wait = WebDriverWait(driver, 20, poll_frequency=0.02)

        def ready(hash_):
            wait.until(lambda d: d.execute_script("return document.body.dataset.ready") == hash_)

        def shot(name):
            driver.save_screenshot(os.path.join(shots, name + ".png"))

        def tall_shot(name):  # the whole page: the window as tall as the document, then back
            height = driver.execute_script("return document.documentElement.scrollHeight")
            driver.set_window_size(1280, min(max(height, 1000), 6000))
            shot(name)
            driver.set_window_size(1280, 1000)

        def text_of(css):
            return driver.find_element(By.CSS_SELECTOR, css).text

        def go(hash_):
            driver.execute_script("location.hash = arguments[0]", hash_)
            ready(hash_)

        # Security headers on the page itself.
        c = http.client.HTTPConnection("127.0.0.1", port)
        c.request("GET", "/")
        r = c.getresponse()
        r.read()
        csp = r.getheader("Content-Security-Policy") or ""
        check("script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp, "strict CSP: " + csp)
        check(r.getheader("X-Content-Type-Options") == "nosniff", "X-Content-Type-Options: nosniff")

        driver.get(base + "/#/runs")
        ready("signin")
        shot("01-signin")
        driver.find_element(By.ID, "api-key").send_keys("oep_not_a_key")
        driver.find_element(By.CSS_SELECTOR, "#signin button").click()
        wait.until(lambda d: d.find_element(By.ID, "signin-error").is_displayed())
        check("refused" in text_of("#signin-error"), "a wrong key is refused")
        driver.find_element(By.ID, "api-key").clear()
        driver.find_element(By.ID, "api-key").send_keys(admin)
        driver.find_element(By.CSS_SELECTOR, "#signin button").click()
        ready("#/runs")
        cookie = driver.get_cookie("oep_session")
        check(cookie is not None and cookie.get("httpOnly") and cookie.get("sameSite") == "Strict", "session cookie HttpOnly SameSite=Strict")
        check(driver.execute_script("return document.cookie") == "", "the session cookie is not readable from JavaScript")

        # Runs: 50 a page out of RUNS, a filter, the next page.
        rows = driver.find_elements(By.CSS_SELECTOR, "#runs tr[data-run]")
        check(len(rows) == 50, "runs page shows 50 runs (found %d)" % len(rows))
        check("50 runs on this page" in text_of("#run-count"), "run count shown")
        # The known run's figures, as the API lists them and as its steps and decisions recorded them.
        status, text = api.call("GET", "/v1/runs?limit=50")
        listed = {r["run_id"]: r for r in json.loads(text)["runs"]}
        want = {"tool_calls": 2, "denials": 1, "cost_usd": 0.06, "duration_ms": 63500}
        check({k: listed[first][k] for k in want} == want, "GET /v1/runs: the first run's figures %s" % {k: listed[first].get(k) for k in want})
        cells = {td.get_attribute("data-col"): td.text for td in driver.find_elements(By.CSS_SELECTOR, "#runs tr[data-run='%s'] td" % first)}
        check((cells["tool_calls"], cells["denials"], cells["cost"], cells["duration"]) == ("2", "1", "$0.0600", "1 min 3 s"),
              "runs page: the first run's tool calls, denials, cost and duration %s" % cells)
        check("bad" in driver.find_element(By.CSS_SELECTOR, "#runs tr[data-run='%s'] td[data-col=denials]" % first).get_attribute("class"),
              "a run with denials has them marked")
        cells = {td.get_attribute("data-col"): td.text for td in driver.find_elements(By.CSS_SELECTOR, "#runs tr[data-run='%s'] td" % second)}
        check((cells["tool_calls"], cells["denials"], cells["cost"], cells["duration"]) == ("0", "0", "—", "—"),
              "runs page: a run without steps shows no cost or duration %s" % cells)
        # Monitor violations: the lossy run's are counted and flagged, a run without any shows 0.
        status, text = api.call("GET", "/v1/violations?run=%s&limit=500" % lossy)
        lossy_violations = json.loads(text)["violations"]
        over_budget = [v for v in lossy_violations if v["monitor"] == "monitors.over_budget"]
        check(status == 200 and over_budget and over_budget[0]["event_ids"] == [events[2]["event_id"]],
              "the over_budget monitor flagged the lossy run's step 3: %s" % [v["monitor"] for v in lossy_violations])
        check(listed[lossy]["violations"] == len(lossy_violations) and listed[first]["violations"] == 0,
              "GET /v1/runs counts each run's violations (%d)" % listed[lossy]["violations"])
        flagged = driver.find_element(By.CSS_SELECTOR, "#runs tr[data-run='%s'] td[data-col=violations]" % lossy)
        check(flagged.text == "⚑ %d" % len(lossy_violations) and "flagged" in flagged.get_attribute("class"),
              "runs page: the lossy run's violations are marked: " + flagged.text)
        check(driver.find_element(By.CSS_SELECTOR, "#runs tr[data-run='%s'] td[data-col=violations]" % first).text == "0",
              "runs page: a run without violations shows 0")
        status, text = api.call("GET", "/v1/diff?runA=%s&runB=%s" % (first, sealed))
        cd = json.loads(text)["cost_duration"]["a"]
        check({k: cd[k] for k in want} == want, "the run diff counts the first run the same: %s" % cd)
        shot("02-runs")
        form = driver.find_element(By.ID, "run-filters")
        form.find_element(By.NAME, "model").send_keys("model-b")
        form.find_element(By.CSS_SELECTOR, "button").click()
        ready("#/runs?model=model-b")
        models = [td.text for td in driver.find_elements(By.CSS_SELECTOR, "#runs tr[data-run] td[data-col=model]")]
        check(len(models) == 50 and set(models) == {"model-b"}, "model filter applied (%d rows, %s)" % (len(models), set(models)))
        shot("03-runs-filtered")
        driver.find_element(By.LINK_TEXT, "Next page").click()
        wait.until(lambda d: "cursor=" in (d.execute_script("return document.body.dataset.ready") or ""))
        model_b = len([i for i in range(RUNS) if i % 3 == 1])
        second_page = driver.find_elements(By.CSS_SELECTOR, "#runs tr[data-run]")
        check(len(second_page) == min(50, model_b - 50), "next page has %d runs (found %d)" % (min(50, model_b - 50), len(second_page)))

        # Run timeline.
        go("#/runs/" + first)
        check(text_of("#run-id") == first, "run page names the run")
        check(len(driver.find_elements(By.CSS_SELECTOR, "#timeline li[data-step]")) == 3, "timeline has the 3 steps")
        status, text = api.call("GET", "/v1/runs/%s/frames" % first)
        frames = json.loads(text)["frames"]
        shown = [li.get_attribute("data-frame") for li in driver.find_elements(By.CSS_SELECTOR, "#timeline > li")]
        check(status == 200 and shown == [f["type"] for f in frames], "the timeline is the run's frames in order: %s" % shown)
        check(text_of("#frames-state").startswith("served from a verified chain") and "not sealed [OEP-F005]" in text_of("#frames-state"),
              "the frames' chain state: " + text_of("#frames-state"))
        check("Evidence support · Audit aid · Non-certifying" in text_of("main"), "disclaimer on the run page")
        driver.find_element(By.CSS_SELECTOR, "#timeline li[data-step='2'] summary").click()
        check(second[:4] and "trace_id" in text_of("#timeline li[data-step='2'] pre"), "a step expands to its JSON")
        check(text_of("#evidence-class").startswith("NON_AUTHORITATIVE (") and "unsealed" in text_of("#evidence-class"),
              "an open run's chain is classified: " + text_of("#evidence-class"))
        shot("04-run-timeline")
        go("#/runs/" + sealed)
        check(text_of("#evidence-class").startswith("AUTHORITATIVE (") and "sealed by trusted server key" in text_of("#evidence-class"),
              "a run sealed by the server's own key is AUTHORITATIVE: " + text_of("#evidence-class"))

        # Recorded drops and redaction markers on the timeline.
        go("#/runs/" + lossy)
        check(text_of("#drop-count") == "1" and text_of("#gap-count") == "1" and text_of("#redaction-count") == "1",
              "the run page counts the recorded drop, its gap and the redaction")
        order = [li.get_attribute("data-step") or li.get_attribute("data-frame")
                 for li in driver.find_elements(By.CSS_SELECTOR, "#timeline > li")]
        check(order == ["EVENT", "1", "2", "REDACTION", "LOG_DROP", "GAP", "3"],
              "frames in chain order: the run record, steps 1-2, the redaction in step 2, the drop and its gap, step 3: %s" % order)
        drop = text_of("#timeline li[data-frame=LOG_DROP]")
        check("3 event(s) lost" in drop and "queue full" in drop and "[OEP-F002]" in drop, "the LOG_DROP frame names its count, reason and code: " + drop)
        gap = text_of("#timeline li[data-frame=GAP]")
        check("sequence 3–5 not recorded" in gap and "[OEP-F001]" in gap, "the GAP frame names the missing range and its code: " + gap)
        redaction = text_of("#timeline li[data-frame=REDACTION]")
        check("/action/name" in redaction and "email" in redaction and "b" * 64 in redaction and "[OEP-F003]" in redaction,
              "the REDACTION frame names the pointer, detector and hash: " + redaction)
        check(len(driver.find_elements(By.CSS_SELECTOR, "#timeline li[data-step='2'] [data-test=step-redacted]")) == 1 and
              not driver.find_elements(By.CSS_SELECTOR, "#timeline li[data-step='1'] [data-test=step-redacted]"),
              "the step holding a redaction marker is marked, the others are not")
        marks = driver.find_elements(By.CSS_SELECTOR, "#timeline li[data-step='3'] [data-test=frame-violation]")
        check(len(marks) == 1 and "monitors.over_budget" in marks[0].text and "high" in marks[0].text,
              "timeline: step 3 is flagged by the over_budget monitor: " + (marks[0].text if marks else "none"))
        check(len(driver.find_elements(By.CSS_SELECTOR, "#violations li[data-violation]")) == len(lossy_violations),
              "the run page lists each of the run's %d violations" % len(lossy_violations))
        check(not driver.find_elements(By.CSS_SELECTOR, "#timeline li[data-step='1'] [data-test=frame-violation]"), "an unflagged step is not marked")
        shot("04b-run-drops-redaction")
        driver.find_element(By.CSS_SELECTOR, "#timeline li[data-step='2'] summary").click()
        marks = driver.find_elements(By.CSS_SELECTOR, "#timeline li[data-step='2'] pre [data-test=redaction]")
        check(len(marks) == 1 and marks[0].text == marker, "the marker is marked inside the JSON")
        shot("04c-run-redaction-expanded")
        go("#/runs/" + first)
        check(text_of("#drop-count") == "0" and not driver.find_elements(By.CSS_SELECTOR, "#timeline li.drop"), "a run without drops shows none")

        # A chain that does not verify: the 409 is shown as such, not as a timeline.
        status, text = api.call("GET", "/v1/runs/%s/frames" % broken)
        check(status == 409 and json.loads(text)["frames"][0]["type"] == "CHAIN_UNVERIFIED", "the API refuses the broken run's frames (%d)" % status)
        go("#/runs/" + broken)
        unverified = text_of("#chain-unverified")
        check("CHAIN UNVERIFIED" in unverified and "[OEP-F004]" in unverified and broken_event["event_id"] in unverified and
              "content hash" in unverified, "the unverified chain is named with its reason: " + unverified)
        check(not driver.find_elements(By.CSS_SELECTOR, "#timeline"), "no timeline is drawn from an unverified chain")
        check(text_of("#frames-state").startswith("NOT SERVED") and text_of("#drop-count") == "unknown", "the header says the frames were not served")
        check(text_of("#evidence-class").startswith("BROKEN: ") and "content hash" in text_of("#evidence-class"),
              "the evidence class is BROKEN with the reason: " + text_of("#evidence-class"))
        shot("04d-run-unverified")

        # Decision, and the Markdown copy (the server's renderer, as `oep replay` uses).
        go("#/decisions/" + DENIED)
        check(text_of("#decision-id") == DENIED, "decision page names the decision")
        check(text_of("#verdict") == "DENIED", "the denial is shown")
        check(text_of("#rule") == "deny_write_without_approval", "the decision's rule is shown")
        check("Evidence support · Audit aid · Non-certifying" in text_of("main"), "disclaimer on the decision page")
        layers = {tr.get_attribute("data-layer"): [td.text for td in tr.find_elements(By.TAG_NAME, "td")]
                  for tr in driver.find_elements(By.CSS_SELECTOR, "#layers tr[data-layer]")}
        want = replay["manifest"]["layer_bindings"]
        check(set(layers) == set(want) and all(layers[k][2] == want[k]["digest"] and layers[k][3] == want[k]["binding_status"] for k in want),
              "the release layers with their digests: %s" % sorted(layers))
        check(text_of("#event-id") == replay["event"]["body"]["event_id"], "the decision's event is shown")
        spans = driver.find_elements(By.CSS_SELECTOR, "#spans tr[data-span]")
        mine = driver.find_elements(By.CSS_SELECTOR, "#spans tr[data-mine=true]")
        check(len(spans) == replay["trace"]["span_count"] == 3 and len(mine) == 1 and
              mine[0].get_attribute("data-span") == replay["permission_packet"]["body"]["span_id"] and mine[0].text.startswith("→"),
              "the span and its neighbours, the decision's span marked")
        review = replay["human_reviews"][0]
        check(review["action"]["outcome"] in text_of("#reviews tr[data-review='%s']" % review["event_id"]), "the human review is shown")
        check("none recorded" in text_of("#approval"), "no approval in the packet is said so")
        rc = replay["reconstruction"]
        check(text_of("#reconstruction-verdict") == "Reconstruction %s: %s" % (rc["packet_id"], rc["reconstruction_status"]),
              "the reconstruction verdict: " + text_of("#reconstruction-verdict"))
        missing = sorted(k for k, v in rc["evidence_summary"].items() if v["status"] == "missing")
        check(missing and text_of("#recon-missing") == ", ".join(missing) and text_of("#recon-stale") == "none",
              "what is missing (%s) and stale is named" % text_of("#recon-missing"))
        check(len(driver.find_elements(By.CSS_SELECTOR, "#evidence-summary tr[data-piece]")) == len(rc["evidence_summary"]), "every piece of the reconstruction")
        status, dtext = api.call("GET", "/v1/decisions/" + DENIED)
        ce = json.loads(dtext)["chain_evidence"]
        check(ce["class"] == "NON_AUTHORITATIVE" and text_of("#evidence-class") == "%s: %s (%s)" % (ce["chain_id"], ce["class"], ce["detail"]),
              "the chain's evidence class: " + text_of("#evidence-class"))
        tall_shot("05-decision")
        driver.find_element(By.ID, "copy-md").click()
        wait.until(lambda d: d.find_element(By.ID, "markdown").is_displayed())
        md = driver.find_element(By.ID, "markdown").get_attribute("textContent")
        status, served = api.call("GET", "/v1/decisions/%s/markdown" % DENIED)
        check(status == 200 and md == served, "the copied Markdown is the server's")
        server_pub = os.path.join(work, "server.pub.pem")
        oep("keys", "export", "--key", state + ".server-key.pem", "--out", server_pub)
        cli = oep("replay", DENIED, "--output-format", "markdown", "--state-path", state, "--trusted-key", "server=" + server_pub)
        check(DENIED in md and "deny_write_without_approval" in md and served == cli,
              "the Markdown is `oep replay --output-format markdown --trusted-key server=...`'s, byte for byte")
        check("NON_AUTHORITATIVE" in md and ce["detail"] in md, "the Markdown names the chain's evidence class as the page does")
        shot("05b-decision-markdown")

        # Counterfactual of the decision: pasted Rego, a stored version, a .tar.gz upload; impact of a .rego upload.
        def run_impact(done_css):
            driver.find_element(By.CSS_SELECTOR, "main form button").click()
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, done_css + ", #impact-result .error"))
            errors = driver.find_elements(By.CSS_SELECTOR, "#impact-result .error")
            check(not errors, "no error: " + (errors[0].text if errors else ""))

        def side_by_side():
            return {tr.get_attribute("data-field"): [td.text for td in tr.find_elements(By.TAG_NAME, "td")]
                    for tr in driver.find_elements(By.CSS_SELECTOR, "#side-by-side tr[data-field]")}

        go("#/impact?decision=" + DENIED)
        driver.execute_script("document.querySelector('textarea[name=rego]').value = arguments[0]", rego)
        run_impact("#side-by-side")
        rows = side_by_side()
        check(rows.get("allow") == ["allow", "false", "true", "changed"] and rows.get("decision")[1:3] == ["deny", "allow"],
              "side by side: recorded deny, counterfactual allow: %s" % rows.get("allow"))
        check(rows.get("matched_rules", [""] * 3)[1] == "deny_write_without_approval" and "deny->allow" in text_of("#transition"),
              "the recorded rule and the transition: " + text_of("#transition"))
        tall_shot("06-counterfactual")
        driver.execute_script("document.querySelector('textarea[name=rego]').value = ''")
        Select(driver.find_element(By.NAME, "version")).select_by_visible_text(
            [o.text for o in driver.find_elements(By.CSS_SELECTOR, "select[name=version] option") if o.text.startswith("bound v1")][0])
        run_impact("#side-by-side")
        check("bound v1" in text_of("#impact-result h2") and side_by_side().get("allow", [""] * 3)[2] == "true", "a stored policy version: " + text_of("#impact-result h2"))
        Select(driver.find_element(By.NAME, "version")).select_by_index(0)
        driver.find_element(By.NAME, "bundle").send_keys(bundle_path)
        run_impact("#side-by-side")
        check("bound.tar.gz" in text_of("#impact-result h2") and side_by_side().get("allow", [""] * 3)[2] == "true",
              "an uploaded .tar.gz bundle: " + text_of("#impact-result h2"))
        driver.find_element(By.NAME, "bundle").clear()
        driver.find_element(By.NAME, "bundle").send_keys(rego_path)
        driver.find_element(By.NAME, "decision").clear()
        driver.find_element(By.NAME, "save").click()
        run_impact("#impact-counts")
        status, itext = api.call("POST", "/v1/impact", {"policy": {"rego": rego}})
        counts = json.loads(itext)["counts"]  # unsaved: the report itself
        shown = {tr.get_attribute("data-count"): tr.find_elements(By.TAG_NAME, "td")[1].text
                 for tr in driver.find_elements(By.CSS_SELECTOR, "#impact-counts tr[data-count]")}
        check(shown == {k: str(v) for k, v in counts.items()} and counts.get("deny_to_allow", 0) > 0,
              "an uploaded .rego over every decision: the counts %s" % shown)
        check("workflow_step_bound.rego" in text_of("#impact-result h2"), "the impact names the uploaded file")
        bars = {b.get_attribute("data-k"): int(b.get_attribute("width")) for b in driver.find_elements(By.CSS_SELECTOR, "#transitions rect")}
        check(bars.get("deny_to_allow", 0) > 0 and bars.get("allow_to_deny") == 0, "transitions chart: one deny→allow bar, %s" % bars)
        check(driver.find_elements(By.CSS_SELECTOR, "#flipped a[href='#/decisions/%s']" % DENIED), "the flipped decision is a link")
        tall_shot("06b-impact")

        # Run diff.
        go("#/diff?runA=%s&runB=%s" % (first, lossy))
        status, dtext = api.call("GET", "/v1/diff?runA=%s&runB=%s" % (first, lossy))
        diff = json.loads(dtext)
        summary = {tr.get_attribute("data-category"): tr.find_elements(By.TAG_NAME, "td")[1].text
                   for tr in driver.find_elements(By.CSS_SELECTOR, "#diff-summary tr[data-category]")}
        check(summary == {k: str(v) for k, v in diff["summary"].items() if k != "total"} and not diff["identical"],
              "run diff: the counts per category %s" % summary)
        ops = [tr.get_attribute("data-op") for tr in driver.find_elements(By.CSS_SELECTOR, "#diff-tools > tbody > tr[data-op], #diff-tools > tr[data-op]")]
        check(ops == [st["op"] for st in diff["tool_calls"]["steps"]], "run diff: a row per differing step %s" % ops)
        marked = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#diff-tools .redacted")]
        check(marked and all(m in ("redacted", marker) for m in marked), "run diff: the redacted value is marked %s" % marked)
        check(text_of("#diff-runs").count(first) == 1 and lossy in text_of("#diff-runs"), "run diff names both runs")
        tall_shot("07-diff")

        # CSRF: a state-changing call without the token is refused.
        status = driver.execute_async_script(
            "const done = arguments[0]; fetch('/v1/approvals/%s:approve', {method: 'POST', headers: {'Content-Type': 'application/json'},"
            " body: '{\"reason\":\"x\"}'}).then(r => done(r.status));" % request_id)
        check(status == 403, "a POST without the CSRF token is refused (%s)" % status)

        # Approvals: approve with a reason.
        go("#/approvals")
        row = driver.find_element(By.CSS_SELECTOR, "#approvals tr[data-request='%s']" % request_id)
        shot("08-approvals")
        row.find_element(By.NAME, "reason").send_keys("reviewed the diff")
        row.find_element(By.CSS_SELECTOR, "button.approve").click()
        wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, "#approvals tr[data-request='%s']" % request_id))
        go("#/approvals?status=approved")
        check("reviewed the diff" in text_of("#approvals tr[data-request='%s']" % request_id), "approval recorded with its reason")
        shot("09-approvals-approved")

        # Audit log (admin).
        go("#/audit")
        check(len(driver.find_elements(By.CSS_SELECTOR, "#audit tr")) > 1, "audit log has records")
        check("approval.approve" in text_of("#audit") and "reviewed the diff" in text_of("#audit"), "the approval is in the audit log")
        check(driver.find_element(By.CSS_SELECTOR, "#audit tr:nth-child(2) td").text.startswith("20"), "audit records show their time")
        shot("10-audit")

        # Render times with RUNS runs (median of 5; printed, not asserted).
        def timed(hash_):
            figures = []
            for _ in range(5):
                go("#/approvals")
                go(hash_)
                figures.append(driver.execute_script("return window.oepRenderMs"))
            return sorted(figures)[2]
        print("FIGURE runs page render (fetch + DOM) with %d runs: median %.1f ms" % (RUNS, timed("#/runs")), flush=True)
        print("FIGURE decision page render (fetch + DOM): median %.1f ms" % timed("#/decisions/" + DENIED), flush=True)
        print("FIGURE run timeline render from frames (fetch + DOM): median %.1f ms" % timed("#/runs/" + lossy), flush=True)
        driver.get(base + "/#/runs")
        ready("#/runs")
        loads = []
        for _ in range(3):
            t = time.monotonic()
            driver.refresh()  # a full reload of #/runs: module scripts, session, first page
            ready("#/runs")
            loads.append((time.monotonic() - t) * 1000)
        print("FIGURE runs page full reload (navigation to rendered): median %.1f ms" % sorted(loads)[1], flush=True)

        # The server restarts on the same port: the session (a signed cookie) still works.
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        os.unlink(port_file)
        server = subprocess.Popen([OEP, "serve", "--state-path", state, "--listen", "127.0.0.1:%d" % port, "--port-file", port_file] + monitors,
                                  stderr=open(os.path.join(work, "serve2.log"), "w"))
        for _ in range(200):
            if os.path.exists(port_file) and open(port_file).read().strip():
                break
            time.sleep(0.05)
        driver.refresh()
        ready("#/runs")
        check(len(driver.find_elements(By.CSS_SELECTOR, "#runs tr[data-run]")) == 50, "after a server restart the session still works")
        go("#/decisions/" + DENIED)
        check(text_of("#verdict") == "DENIED", "after a restart the decision page opens")

        # Sign out; then the other tenant cannot open this tenant's decision or run.
        driver.find_element(By.ID, "signout").click()
        ready("signin")
        check(driver.execute_async_script("const d = arguments[0]; fetch('/v1/runs').then(r => d(r.status));") == 401,
              "signed out: the API refuses the old session")
        driver.find_element(By.ID, "api-key").send_keys(other)
        driver.find_element(By.CSS_SELECTOR, "#signin button").click()
        ready("#/runs")
        check(len(driver.find_elements(By.CSS_SELECTOR, "#runs tr[data-run]")) == 0, "the other tenant sees no runs")
        go("#/decisions/" + DENIED)
        refused = text_of("[data-test=error]")
        check("Not found" in refused, "cross-tenant decision URL refused (404)")
        shot("11-cross-tenant")
        go("#/decisions/pder_stored_nowhere_0001")
        nowhere = text_of("[data-test=error]")
        check(refused.replace(DENIED, "ID") == nowhere.replace("pder_stored_nowhere_0001", "ID"),
              "the cross-tenant text is the text of an id stored nowhere: " + refused)
        check(work not in refused and "s.db" not in refused and "default" not in refused, "the refusal names no store path and no other tenant")
        go("#/runs/" + first)
        refused = text_of("[data-test=error]")
        check("Not found" in refused and work not in refused, "cross-tenant run URL refused (404): " + refused)
    finally:
        if driver:
            driver.quit()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print("%d failed: %s" % (len(failures), failures))
        sys.exit(1)
    print("all browser checks passed; screenshots in " + shots)


main()
