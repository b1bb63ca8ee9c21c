#!/usr/bin/env python3
"""Benchmarks of the Python SDK against a real build/oep-serve (figures only, no assertions).

  caller overhead  time on the caller's thread per oep.log_event / oep.tool call, while the
                   flush thread sends to the server (target: < 5 us per logged event)
  ingest           8 concurrent SDK clients (separate processes), each one session of
                   EVENTS events: events stored per second, wall time until all are flushed

Usage: python3 bench/sdk_python_bench.py [EVENTS]   (default 20000 per client)
"""

import json
import os
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "sdk", "python"))
sys.path.insert(0, os.path.join(ROOT, "sdk", "python", "tests"))

import oep  # noqa: E402
from oep_server import OepServer  # noqa: E402

CLIENT = r"""
import sys, time
sys.path.insert(0, %(sdk)r)
import oep
c = oep.Client(oep.Config(endpoint=%(endpoint)r, api_key=%(key)r, max_buffer_bytes=512 << 20, batch_size=1000,
                          flush_interval=0.05))
s = c.session(name="bench-%(i)d", release=%(release)r)
s.__enter__()
t0 = time.perf_counter()
for i in range(%(events)d):
    s.log_event("tick", {"i": i, "tool": "lookup", "ok": True})
t1 = time.perf_counter()
s.finish()
assert c.flush(600), "not flushed"
t2 = time.perf_counter()
print(c.stats.sent, c.stats.dropped, t1 - t0, t2 - t0)
"""


PAYLOAD = {"inputs": {"order_id": 42}, "outputs": {"refund": True}, "justification": "refund_policy_applied"}


def per_event_us(client, n, release):
    s = client.session(name="bench-overhead", release=release)
    s.__enter__()
    for i in range(1000):  # warm up
        s.log_event("decision_trace", PAYLOAD)
    c0, t0 = time.thread_time_ns(), time.perf_counter_ns()
    for i in range(n):
        s.log_event("decision_trace", PAYLOAD)
    c1, t1 = time.thread_time_ns(), time.perf_counter_ns()
    for i in range(n // 4):
        with s.tool("database_query", {"order_id": i}) as t:
            t.result({"order": i})
    c2, t2 = time.thread_time_ns(), time.perf_counter_ns()
    s.finish()
    # (wall, CPU of the caller's thread) per log_event, then per tool call, in microseconds
    return ((t1 - t0) / n / 1000, (c1 - c0) / n / 1000, (t2 - t1) / (n // 4) / 1000, (c2 - c1) / (n // 4) / 1000)


def json_us(n):
    t0 = time.thread_time_ns()
    for i in range(n):
        json.dumps(PAYLOAD)
    return (time.thread_time_ns() - t0) / n / 1000


def caller_overhead(server, release, n=100000):
    def client(**o):
        return oep.Client(oep.Config(endpoint=server.endpoint, api_key=server.keys["ingest"],
                                     max_buffer_bytes=512 << 20, **o))
    # The flush thread idle while the caller logs (it wakes at 10^6 items or after 600 s).
    idle = client(batch_size=1000, flush_interval=600)
    idle._buffer.wake_at = 10 ** 6
    quiet = per_event_us(idle, n, release)
    idle.flush(600)
    idle.shutdown(5)
    # The flush thread sending batches to oep-serve at the same time (it competes for the GIL).
    busy = client(batch_size=1000, flush_interval=0.05)
    sending = per_event_us(busy, n, release)
    flushed = busy.flush(600)
    busy.shutdown(5)
    os.environ["OEP_DISABLED"] = "true"
    off = oep.Client()
    del os.environ["OEP_DISABLED"]
    ds = off.session(name="off")
    t0 = time.perf_counter_ns()
    for i in range(n):
        ds.log_event("decision_trace", PAYLOAD)
    disabled = (time.perf_counter_ns() - t0) / n / 1000
    print("caller overhead on the caller's thread (Python %s, %d events; load average %.1f on %d cores):"
          % (sys.version.split()[0], n, os.getloadavg()[0], os.cpu_count()))
    print("  (wall time; CPU time of the caller's thread, which leaves out waiting for the GIL and the CPU)")
    print("  oep.log_event, flush thread idle     %6.2f us wall, %6.2f us CPU per event (target < 5 us)" % quiet[:2])
    print("  oep.log_event, flush thread sending  %6.2f us wall, %6.2f us CPU per event" % sending[:2])
    print("  with oep.tool(...) + t.result, idle  %6.2f us wall, %6.2f us CPU per call" % quiet[2:])
    print("  OEP_DISABLED log_event               %6.2f us wall per event" % disabled)
    print("  for scale: json.dumps of the payload %6.2f us CPU" % json_us(n))
    print("  sent %d, dropped %d, flushed: %s" % (busy.stats.sent + idle.stats.sent,
                                                  busy.stats.dropped + idle.stats.dropped, flushed))


def ingest(server, release, clients=8, events=20000):
    script_args = {"sdk": os.path.join(ROOT, "sdk", "python"), "endpoint": server.endpoint,
                   "key": server.keys["ingest"], "release": release, "events": events}
    start = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", CLIENT % dict(script_args, i=i)], stdout=subprocess.PIPE,
                              text=True) for i in range(clients)]
    outs = [p.communicate()[0].split() for p in procs]
    wall = time.perf_counter() - start
    sent = sum(int(o[0]) for o in outs)
    dropped = sum(int(o[1]) for o in outs)
    print("server ingest: %d concurrent SDK clients (processes) x %d events, one session each:" % (clients, events))
    print("  stored %d events (dropped %d) in %.2f s wall: %.0f events/s" % (sent, dropped, wall, sent / wall))
    print("  per client: logging took %.3f s median, logging + flush %.2f s median"
          % (sorted(float(o[2]) for o in outs)[clients // 2], sorted(float(o[3]) for o in outs)[clients // 2]))


def main():
    events = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    server = OepServer()
    try:
        release = server.upload_manifest()
        caller_overhead(server, release)
        ingest(server, release, events=events)
    finally:
        server.close()


if __name__ == "__main__":
    main()
