"""The Python SDK against a real `oep serve` (build/oep-serve) started by the tests."""

import os
import socket
import subprocess
import sys
import threading
import time
import unittest
from unittest import mock

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import oep  # noqa: E402
from oep import _transport  # noqa: E402
from oep._buffer import CONTROL_RESERVE_BYTES, Buffer  # noqa: E402
from oep_server import FaultProxy, OepServer, free_port  # noqa: E402

FAST_RETRY = oep.RetryPolicy(max_attempts=6, base_seconds=0.02, cap_seconds=0.2)


def make_client(endpoint, key, **options):
    options.setdefault("retry", FAST_RETRY)
    options.setdefault("flush_interval", 0.05)
    return oep.Client(oep.Config(endpoint=endpoint, api_key=key, **options))


class ServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = OepServer()
        cls.addClassCleanup(cls.server.close)
        cls.release = cls.server.upload_manifest()

    def client(self, **options):
        c = make_client(self.server.endpoint, self.server.keys["ingest"], **options)
        self.addCleanup(c.shutdown, 2)
        return c


class SessionTest(ServerTest):
    def test_a_session_is_a_finished_run_with_one_step_per_tool_call_and_event(self):
        c = self.client()
        c.register_integration("langchain", "0.3.1")
        with c.session(name="customer-support", user_id="u_123", release=self.release, tags=["t1"]) as s:
            with s.tool("database_query", args={"order_id": 42}) as t:
                t.result({"order": 42, "total": 9.5})
            s.log_event(type="decision_trace", payload={"inputs": {"a": 1}, "justification": "refund_policy_applied"})
        self.assertTrue(c.flush(10))
        run = self.server.run(s.run_id)
        self.assertEqual(run["status"], "finished")
        self.assertEqual(run["steps"], 2)
        self.assertEqual(run["agent"], "customer-support")
        self.assertEqual(run["release_manifest_id"], self.release)
        self.assertEqual(run["tags"], ["t1"])
        meta = run["metadata"]
        self.assertEqual(meta["sdk"], {"name": "oep-python", "version": oep.__version__})
        self.assertEqual(meta["frameworks"], {"langchain": "0.3.1"})
        self.assertEqual(meta["user_id"], "u_123")
        tool, trace = self.server.events(s.run_id)
        self.assertEqual(tool["event_type"], "tool_call.completed")
        self.assertEqual(tool["action"]["name"], "database_query")
        self.assertEqual(tool["payload"], {"args": {"order_id": 42}, "result": {"order": 42, "total": 9.5}})
        self.assertEqual(tool["outcome"]["status"], "succeeded")
        self.assertEqual(tool["trace_id"], s.run_id)
        self.assertEqual(trace["event_type"], "log.decision_trace")
        self.assertEqual(trace["payload"]["justification"], "refund_policy_applied")
        self.assertEqual([tool["checkpoint"]["sequence"], trace["checkpoint"]["sequence"]], [1, 2])

    def test_a_session_without_a_release_refers_to_the_unspecified_one(self):
        c = self.client()
        with c.session(name="no-release") as s:
            s.log_event(type="note", payload={"n": 1})
        self.assertTrue(c.flush(10))
        (event,) = self.server.events(s.run_id)
        self.assertEqual(event["release_manifest_id"], "rmf_unspecified")
        self.assertIsNone(self.server.run(s.run_id)["release_manifest_id"])

    def test_the_module_api_uses_the_current_session(self):
        oep.configure(endpoint=self.server.endpoint, api_key=self.server.keys["ingest"], retry=FAST_RETRY,
                      flush_interval=0.05)
        self.addCleanup(oep.shutdown, 2)
        with oep.session(name="module-api", release=self.release) as s:
            self.assertIs(oep.current_session(), s)
            with oep.tool("lookup", args={"q": "x"}) as t:
                t.result("found")
            oep.log_event(type="note", payload={"n": 1})
        self.assertIsNone(oep.current_session())
        oep.log_event(type="outside", payload={})  # no session: a no-op
        self.assertTrue(oep.flush(10))
        self.assertEqual([e["event_type"] for e in self.server.events(s.run_id)], ["tool_call.completed", "log.note"])

    def test_events_from_many_threads_are_all_stored_once(self):
        c = self.client(batch_size=7)
        with c.session(name="threads", release=self.release) as s:
            def work(k):
                for i in range(50):
                    s.log_event(type="tick", payload={"thread": k, "i": i, "obj": object()})  # str() for unknown types
            threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        self.assertTrue(c.flush(20))
        events = self.server.events(s.run_id)
        self.assertEqual(len(events), 200)
        self.assertEqual(sorted(e["checkpoint"]["sequence"] for e in events), list(range(1, 201)))
        self.assertEqual({(e["payload"]["thread"], e["payload"]["i"]) for e in events},
                         {(k, i) for k in range(4) for i in range(50)})
        self.assertTrue(events[0]["payload"]["obj"].startswith("<object object"))
        self.assertEqual(self.server.run(s.run_id)["steps"], 200)

    def test_a_failing_tool_is_a_failed_event_and_the_exception_propagates(self):
        c = self.client()
        with self.assertRaises(KeyError):
            with c.session(name="fails", release=self.release) as s:
                with s.tool("explode", args={}):
                    raise KeyError("missing")
        c.flush(10)
        tool, failed = self.server.events(s.run_id)
        self.assertEqual(tool["event_type"], "tool_call.failed")
        self.assertEqual(tool["outcome"]["status"], "failed")
        self.assertEqual(tool["payload"]["error"]["type"], "KeyError")
        self.assertEqual(failed["event_type"], "session.failed")
        self.assertEqual(self.server.run(s.run_id)["status"], "finished")


class RedactionTest(ServerTest):
    def test_the_redaction_hook_runs_before_anything_leaves(self):
        seen = []

        def redact(kind, data):
            seen.append(kind)
            if kind == "session":
                data.pop("user_id", None)
                return data
            if data["name"] == "secret_tool":
                return None
            payload = dict(data["payload"])
            payload["args"] = {"card": "****"}
            data["payload"] = payload
            return data

        c = self.client(redact=redact)
        with c.session(name="redacted", user_id="u_private", release=self.release) as s:
            with s.tool("charge", args={"card": "4111111111111111"}) as t:
                t.result("ok")
            with s.tool("secret_tool", args={}) as t:
                t.result("hidden")
        c.flush(10)
        events = self.server.events(s.run_id)
        self.assertEqual(len(events), 1)
        self.assertEqual(events[0]["payload"]["args"], {"card": "****"})
        self.assertNotIn("4111", str(events))
        self.assertNotIn("user_id", self.server.run(s.run_id)["metadata"])
        self.assertEqual(c.stats.redacted, 1)
        self.assertIn("session", seen)

    def test_a_failing_hook_suppresses_the_event(self):
        def redact(kind, data):
            if kind == "event":
                raise RuntimeError("hook bug")
            return data

        c = self.client(redact=redact)
        with c.session(name="hook-fails", release=self.release) as s:
            with self.assertLogs("oep", "ERROR"):
                s.log_event(type="note", payload={"secret": "s3cr3t"})
        c.flush(10)
        self.assertEqual(self.server.events(s.run_id), [])
        self.assertEqual(c.stats.redacted, 1)

    def test_reasoning_is_not_captured_unless_enabled(self):
        payload = {"answer": 42, "reasoning": "first I thought...", "steps": [{"thinking": "hmm", "x": 1}]}
        off = self.client()
        with off.session(name="no-reasoning", release=self.release) as s1:
            s1.log_event(type="llm.call", payload=payload)
        on = self.client(capture_reasoning=True)
        with on.session(name="reasoning", release=self.release) as s2:
            s2.log_event(type="llm.call", payload=payload)
        off.flush(10)
        on.flush(10)
        (e1,) = self.server.events(s1.run_id)
        self.assertEqual(e1["payload"], {"answer": 42, "steps": [{"x": 1}]})
        self.assertEqual(sorted(x["field"] for x in e1["evidence_loss"]),
                         ["payload.reasoning", "payload.steps[].thinking"])
        self.assertIn("first I thought", str(payload))  # the caller's object is untouched
        (e2,) = self.server.events(s2.run_id)
        self.assertEqual(e2["payload"], payload)
        self.assertEqual(e2["evidence_loss"], [])

    def test_an_oversized_payload_is_replaced_and_the_loss_recorded(self):
        c = self.client(max_event_bytes=1000)
        with c.session(name="big", release=self.release) as s:
            s.log_event(type="blob", payload={"data": "x" * 5000})
        c.flush(10)
        (e,) = self.server.events(s.run_id)
        self.assertIsNone(e["payload"])
        self.assertEqual(e["evidence_loss"][0]["severity"], "degrading")


class DeliveryTest(ServerTest):
    def test_5xx_is_retried_with_backoff_until_stored(self):
        proxy = FaultProxy(self.server.port, fail_first=3, fail_path="/steps")
        self.addCleanup(proxy.close)
        c = make_client(proxy.endpoint, self.server.keys["ingest"])
        self.addCleanup(c.shutdown, 2)
        with c.session(name="retried", release=self.release) as s:
            for i in range(5):
                s.log_event(type="tick", payload={"i": i})
        self.assertTrue(c.flush(10))
        self.assertEqual([e["payload"]["i"] for e in self.server.events(s.run_id)], [0, 1, 2, 3, 4])
        self.assertEqual(proxy.fail_left, 0)  # the three 503s were answered, and retried past
        self.assertGreaterEqual(proxy.count("/steps"), 4)
        self.assertEqual(c.stats.dropped, 0)

    def test_4xx_is_never_retried(self):
        proxy = FaultProxy(self.server.port)
        self.addCleanup(proxy.close)
        c = make_client(proxy.endpoint, self.server.keys["ingest"])
        self.addCleanup(c.shutdown, 2)
        with c.session(name="bad-release", release="rmf_not_stored") as s:
            s.log_event(type="tick", payload={})
        c.flush(5)
        self.assertEqual(proxy.count("/v1/runs"), 1)  # the refused create, once; nothing after it
        self.assertIsNone(self.server.run(s.run_id))
        self.assertEqual(c.stats.rejected, 1)
        self.assertEqual(c.stats.dropped, 1)

    def test_a_wrong_key_is_a_4xx_and_not_retried(self):
        proxy = FaultProxy(self.server.port)
        self.addCleanup(proxy.close)
        c = make_client(proxy.endpoint, "oep_wrong_key")
        self.addCleanup(c.shutdown, 2)
        with c.session(name="unauthorized", release=self.release):
            pass
        c.flush(5)
        self.assertEqual(proxy.count("/v1/runs"), 1)

    def test_overflow_drops_events_and_the_chain_records_the_loss(self):
        port = free_port()  # nothing listens yet: the flush thread retries the run's creation
        c = make_client("http://127.0.0.1:%d" % port, self.server.keys["ingest"], max_buffer_bytes=4000,
                        retry=oep.RetryPolicy(max_attempts=1000, base_seconds=0.05, cap_seconds=0.1))
        self.addCleanup(c.shutdown, 2)
        s = c.session(name="overflow", release=self.release)
        s.__enter__()
        for i in range(60):
            s.log_event(type="tick", payload={"i": i, "pad": "p" * 50})
            self.assertLessEqual(c._buffer.buffered_bytes(), 4000 + CONTROL_RESERVE_BYTES)
        kept, dropped = c.stats.logged, c.stats.dropped
        self.assertGreater(dropped, 0)
        self.assertEqual(kept + dropped, 60)
        self.server.stop()  # the same store, now served on the port the client uses
        try:
            self.server.start(port)
            s.__exit__(None, None, None)
            self.assertTrue(c.flush(15))
            events = self.server.events(s.run_id)
            self.assertEqual(len(events), kept)
            self.assertEqual([e["checkpoint"]["sequence"] for e in events], list(range(1, kept + 1)))
            (drop,) = self.server.drops(s.run_id)
            self.assertEqual(drop["count"], dropped)
            self.assertEqual((drop["first_seq"], drop["last_seq"]), (kept + 1, 60))
            self.assertIn("buffer full", drop["reason"])
            self.assertEqual(self.server.run(s.run_id)["status"], "finished")
        finally:
            self.server.stop()
            self.server.start()

    def test_shutdown_gives_up_at_its_deadline(self):
        c = make_client("http://127.0.0.1:%d" % free_port(), self.server.keys["ingest"],
                        retry=oep.RetryPolicy(max_attempts=10 ** 6, base_seconds=0.05, cap_seconds=0.5))
        with c.session(name="never-sent") as s:
            s.log_event(type="tick", payload={})
        start = time.time()
        c.shutdown(0.5)
        self.assertLess(time.time() - start, 2.0)
        self.assertFalse(c._thread.is_alive())

    def test_exit_flushes_what_is_buffered(self):
        script = (
            "import oep\n"
            "oep.configure(endpoint=%r, api_key=%r, flush_interval=60)\n"
            "s = oep.session(name='at-exit', release=%r)\n"
            "s.__enter__()\n"
            "for i in range(3): oep.log_event(type='tick', payload={'i': i})\n"
            "print(s.run_id)\n" % (self.server.endpoint, self.server.keys["ingest"], self.release))
        env = dict(os.environ, PYTHONPATH=os.path.join(os.path.dirname(__file__), ".."))
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        run_id = out.stdout.strip()
        # Fewer events than a batch and a 60 s interval: only the exit flush can have sent them.
        self.assertEqual(len(self.server.events(run_id)), 3)
        self.assertEqual(self.server.run(run_id)["status"], "open")


class GateTest(ServerTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server.upload_policy("perms")

    def gate_input(self, op, tool):
        return {"actor": {"type": "agent", "id": "a"}, "tool": {"name": tool, "operation": op},
                "resource": {"mutable": False}}

    def test_an_allowed_tool_runs_and_a_write_needs_approval(self):
        c = self.client(policy="perms")
        ran = []
        with c.session(name="gated", release=self.release) as s:
            with s.tool("read_diff", args={}, gate_input=self.gate_input("read", "read_diff")) as t:
                ran.append("read")
                t.result("diff")
            self.assertEqual(t.decision.code, "ALLOW_READ_ONLY")
            with self.assertRaises(oep.ApprovalRequired) as denied:
                with s.tool("write_file", args={}, gate_input=self.gate_input("write", "write_file")):
                    ran.append("write")
            self.assertEqual(denied.exception.decision.code, "DENY_WRITE_NEEDS_APPROVAL")
        self.assertEqual(ran, ["read"])
        c.flush(10)
        types = [(e["event_type"], e["outcome"]["status"]) for e in self.server.events(s.run_id)]
        self.assertEqual(types, [("policy.decision", "allowed"), ("tool_call.completed", "succeeded"),
                                 ("policy.decision", "denied")])  # the denied tool never ran

    def test_the_gate_denies_when_the_server_cannot_answer_unless_told_otherwise(self):
        dead = "http://127.0.0.1:%d" % free_port()
        closed = make_client(dead, "k", policy="perms", retry=oep.RetryPolicy(2, 0.01, 0.01))
        self.addCleanup(closed.shutdown, 0.2)
        d = closed.gate("read_diff", self.gate_input("read", "read_diff"))
        self.assertFalse(d.allowed)
        self.assertEqual(d.code, "OEP_GATE_UNAVAILABLE")
        with self.assertRaises(oep.PolicyDenied):
            d.enforce()
        opened = make_client(dead, "k", policy="perms", gate_on_error="allow", retry=oep.RetryPolicy(2, 0.01, 0.01))
        self.addCleanup(opened.shutdown, 0.2)
        self.assertTrue(opened.gate("read_diff", {}).allowed)

    def test_an_unknown_policy_project_denies_without_retrying(self):
        proxy = FaultProxy(self.server.port)
        self.addCleanup(proxy.close)
        c = make_client(proxy.endpoint, self.server.keys["ingest"], policy="no_such_project")
        self.addCleanup(c.shutdown, 2)
        d = c.gate("read_diff", self.gate_input("read", "read_diff"))
        self.assertFalse(d.allowed)
        self.assertIn("404", d.reason)
        self.assertEqual(proxy.count("/v1/decide"), 1)


class DisabledTest(unittest.TestCase):
    def test_the_kill_switch_makes_every_call_a_no_op_without_thread_or_io(self):
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.settimeout(0.3)
        self.addCleanup(listener.close)
        endpoint = "http://127.0.0.1:%d" % listener.getsockname()[1]
        threads = threading.active_count()
        with mock.patch.dict(os.environ, {"OEP_DISABLED": "true"}), \
                mock.patch.object(_transport.Connection, "post", side_effect=AssertionError("I/O")):
            c = oep.configure(endpoint=endpoint, api_key="k", policy="perms")
            self.assertTrue(c.disabled)
            with oep.session(name="off") as s:
                with oep.tool("t", args={"a": 1}) as t:
                    t.result(1)
                oep.log_event(type="x", payload={})
                self.assertTrue(oep.gate("t", {}).allowed)
            self.assertIsNone(s.run_id)
            self.assertTrue(oep.flush(1))
            oep.shutdown(1)
        self.assertEqual(threading.active_count(), threads)
        with self.assertRaises(socket.timeout):
            listener.accept()

    def test_config_from_env_reads_the_switch(self):
        for value, disabled in (("true", True), ("1", True), ("TRUE", True), ("false", False), ("", False)):
            with mock.patch.dict(os.environ, {"OEP_DISABLED": value}):
                self.assertEqual(oep.Config.from_env().disabled, disabled, value)


class UnitTest(unittest.TestCase):
    def test_backoff_is_jittered_exponential_and_capped(self):
        import random
        rng = random.Random(7)
        for attempt in range(12):
            for _ in range(50):
                d = _transport.backoff_delay(attempt, 0.1, 2.0, rng)
                self.assertGreaterEqual(d, 0)
                self.assertLessEqual(d, min(2.0, 0.1 * 2 ** attempt))
        self.assertGreater(len({round(_transport.backoff_delay(5, 0.1, 2.0, rng), 6) for _ in range(20)}), 10)

    def test_the_buffer_refuses_what_passes_its_limit(self):
        b = Buffer(100)
        self.assertTrue(b.put("a", 60))
        self.assertFalse(b.put("b", 60))
        self.assertTrue(b.put("c", 40))
        self.assertTrue(b.put("ctl", 500, control=True))  # control items use the reserve
        self.assertFalse(b.put("ctl2", CONTROL_RESERVE_BYTES, control=True))
        self.assertEqual(b.take(10, 0), ["a", "c", "ctl"])
        self.assertEqual(b.buffered_bytes(), 600)  # released only when the sender is done
        b.release(600)
        self.assertEqual(b.buffered_bytes(), 0)

    def test_event_types_are_normalized_to_the_schema_pattern(self):
        from oep._events import event_type_of
        self.assertEqual(event_type_of("tool_call.completed"), "tool_call.completed")
        self.assertEqual(event_type_of("decision_trace"), "log.decision_trace")
        self.assertEqual(event_type_of("My-Event 2"), "log.my_event__")

    def test_a_bad_endpoint_is_a_clear_error(self):
        with self.assertRaises(ValueError) as e:
            _transport.Connection("ftp://x", "", 1)
        self.assertIn("expected http(s)://host", str(e.exception))


if __name__ == "__main__":
    unittest.main()
