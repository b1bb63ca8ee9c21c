"""The client: configuration, sessions, tool calls, logged events, the flush thread and the
policy gate. Everything on the caller's thread is memory work only (no I/O, no blocking
lock held across I/O), except `gate`, which must ask the server before a tool runs."""

import atexit
import contextvars
import itertools
import logging
import os
import platform
import threading
import time

from . import _events
from ._buffer import Buffer
from ._transport import Connection, post_with_retry

__version__ = "0.1.0"
log = logging.getLogger("oep")

_current = contextvars.ContextVar("oep_session", default=None)


class RetryPolicy:
    def __init__(self, max_attempts=8, base_seconds=0.2, cap_seconds=10.0):
        self.max_attempts = max_attempts
        self.base_seconds = base_seconds
        self.cap_seconds = cap_seconds


class Config:
    """What a client is made with; `from_env` reads OEP_ENDPOINT, OEP_API_KEY, OEP_DISABLED."""

    def __init__(self, endpoint="http://127.0.0.1:8080", api_key="", disabled=False, redact=None,
                 capture_reasoning=False, max_buffer_bytes=8 << 20, max_event_bytes=256 << 10,
                 batch_size=200, flush_interval=1.0, shutdown_timeout=5.0, request_timeout=10.0,
                 retry=None, policy=None, gate_on_error="deny"):
        if gate_on_error not in ("deny", "allow"):
            raise ValueError("gate_on_error: expected 'deny' or 'allow', found %r" % (gate_on_error,))
        self.endpoint = endpoint
        self.api_key = api_key
        self.disabled = disabled
        self.redact = redact  # redact(kind, data) -> data | None, kind "event" or "session"
        self.capture_reasoning = capture_reasoning
        self.max_buffer_bytes = max_buffer_bytes
        self.max_event_bytes = max_event_bytes
        self.batch_size = min(batch_size, 1000)  # the server's kMaxStepsPerBatch
        self.flush_interval = flush_interval
        self.shutdown_timeout = shutdown_timeout
        self.request_timeout = request_timeout
        self.retry = retry or RetryPolicy()
        self.policy = policy  # the default policy project of gate()
        self.gate_on_error = gate_on_error

    @staticmethod
    def from_env(**overrides):
        env = os.environ
        values = {
            "endpoint": env.get("OEP_ENDPOINT", "http://127.0.0.1:8080"),
            "api_key": env.get("OEP_API_KEY", ""),
            "disabled": disabled_by_env(),
            "policy": env.get("OEP_POLICY") or None,
        }
        values.update(overrides)
        if disabled_by_env():
            values["disabled"] = True  # the kill switch wins over code
        return Config(**values)


def disabled_by_env():
    return os.environ.get("OEP_DISABLED", "").strip().lower() in ("1", "true", "yes", "on")


class Stats:
    """Counters a caller may read (client.stats)."""

    def __init__(self):
        self.logged = 0      # events accepted into the buffer
        self.sent = 0        # events the server stored (or already had)
        self.dropped = 0     # events lost, each reported to the server as a drop when possible
        self.redacted = 0    # events the redaction hook suppressed (or failed on)
        self.rejected = 0    # requests the server refused (4xx)
        self.drop_records = 0  # drop entries the server recorded


class PolicyDenied(Exception):
    def __init__(self, decision):
        super().__init__("oep policy denied %s: %s (%s)" % (decision.tool, decision.reason, decision.code))
        self.decision = decision


class ApprovalRequired(PolicyDenied):
    """The policy wants a human approval first (a DecisionToken, once approvals exist)."""


class Decision:
    def __init__(self, tool, answer_doc, error=""):
        doc = answer_doc or {}
        self.tool = tool
        self.decision = doc.get("decision", "error")
        self.allowed = doc.get("allow") is True or self.decision == "allow"
        self.code = doc.get("decision_code", "")
        self.reason = doc.get("reason", error)
        self.rule = doc.get("matched_rule", "")
        self.policy = doc.get("policy", "")
        result = doc.get("result")
        self.result = result
        self.require_approval = not self.allowed and (
            (isinstance(result, dict) and result.get("require_approval") is True)
            or self.code.endswith("_NEEDS_APPROVAL"))
        self.error = error

    def enforce(self):
        """Raises ApprovalRequired or PolicyDenied unless allowed; returns self."""
        if self.allowed:
            return self
        raise (ApprovalRequired if self.require_approval else PolicyDenied)(self)


class _RunState:
    """What the flush thread knows of one session's run (touched by the flush thread only,
    except `drops`, which is under the client's lock)."""

    def __init__(self):
        self.created = False
        self.dead = False       # the server refused the run: its events cannot be stored
        self.warned = False     # its creation failure was logged
        self.next_step = 1


class Session:
    def __init__(self, client, name, user_id, release, tags, metadata, frameworks, run_id):
        self._client = client
        self.name = name or "agent"
        self.release = release
        self.run_id = run_id or os.urandom(16).hex()
        self.span_id = os.urandom(8).hex()
        self._user = {"user_id": user_id, "tags": list(tags or []), "metadata": dict(metadata or {}),
                      "frameworks": dict(frameworks or {})}
        self._seq = itertools.count(1)  # next() is atomic under the GIL
        self._drops = None  # [count, first_seq, last_seq, reason] not yet reported
        self._token = None
        self.run = _RunState()
        self.finished = False

    # -- context manager
    def __enter__(self):
        self._client._open_session(self)
        self._token = _current.set(self)
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.log_event("session.failed", {"error": exc_type.__name__, "message": str(exc)},
                           status="failed", summary="%s: %s" % (exc_type.__name__, exc))
        if self._token is not None:
            _current.reset(self._token)
            self._token = None
        self.finish()
        return False

    def finish(self):
        if not self.finished:
            self.finished = True
            self._client._close_session(self)

    # -- events
    def next_seq(self):
        return next(self._seq)

    def log_event(self, type, payload=None, name=None, status="recorded", summary=None):
        self._client._log(self, _events.event_type_of(type), name or type, payload, status, summary)

    def tool(self, name, args=None, policy=None, gate_input=None):
        return ToolCall(self, name, args, policy, gate_input)

    def gate(self, tool, input=None, policy=None, query=None):
        return self._client.gate(tool, input, policy, query, session=self)

    def run_metadata(self):
        return self._user


class ToolCall:
    """`with session.tool(name, args) as t: t.result(value)`: one tool_call event at exit,
    failed (and the exception re-raised) when the body raises. With `policy`, the gate is
    asked first and the body does not run unless allowed."""

    def __init__(self, session, name, args, policy, gate_input):
        self._session = session
        self.name = name
        self.args = args
        self._policy = policy
        self._gate_input = gate_input
        self._result = None
        self._has_result = False
        self._start = 0.0
        self._seq = None
        self.call_id = None
        self.decision = None

    def result(self, value):
        self._result = value
        self._has_result = True
        return value

    def __enter__(self):
        self._start = time.time()
        if self._session is not None:
            self._seq = self._session.next_seq()
            self.call_id = "tc_%s_%d" % (self._session.run_id[:12], self._seq)
            if self._policy is not None or self._gate_input is not None:
                gate_input = self._gate_input if self._gate_input is not None else {
                    "tool": {"name": self.name}, "args": self.args}
                self.decision = self._session.gate(self.name, gate_input, self._policy).enforce()
        return self

    def __exit__(self, exc_type, exc, tb):
        if self._session is None:
            return False
        payload = {"args": self.args}
        if self._has_result:
            payload["result"] = self._result
        if exc_type is not None:
            payload["error"] = {"type": exc_type.__name__, "message": str(exc)}
        status = "failed" if exc_type is not None else "succeeded"
        summary = "%s: %s" % (exc_type.__name__, exc) if exc_type is not None else None
        duration = round((time.time() - self._start) * 1000.0, 3)
        self._session._client._log(self._session, "tool_call.completed" if exc_type is None else "tool_call.failed",
                                   self.name, payload, status, summary, self.call_id, duration, self._seq)
        return False


class _NullSession:
    """What a disabled client hands out: every call is a no-op."""

    run_id = None
    name = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def finish(self):
        pass

    def log_event(self, *a, **k):
        pass

    def tool(self, name, args=None, policy=None, gate_input=None):
        return ToolCall(None, name, args, None, None)

    def gate(self, tool, input=None, policy=None, query=None):
        return Decision(tool, {"decision": "allow", "allow": True, "reason": "oep disabled"})


NULL_SESSION = _NullSession()


_CREATE_BYTES, _FINISH_BYTES = 512, 64


def _size_of(item):
    """The bytes `item` holds in the buffer."""
    if isinstance(item, tuple):
        return _CREATE_BYTES if item[0] == "create" else _FINISH_BYTES
    return item.size


class Client:
    def __init__(self, config=None):
        self.config = config or Config.from_env()
        self.stats = Stats()
        self.disabled = self.config.disabled
        self._integrations = {}
        self._lock = threading.Lock()
        self._with_drops = []  # sessions with drops not yet reported
        self._unspecified_stored = False  # POST /v1/releases/unspecified answered
        self._buffer = None
        self._thread = None
        self._closing = threading.Event()
        self._deadline = None
        if self.disabled:
            return  # the kill switch: no buffer, no thread, no I/O
        self._buffer = Buffer(self.config.max_buffer_bytes, self.config.batch_size)
        self._thread = threading.Thread(target=self._flush_loop, name="oep-flush", daemon=True)
        self._thread.start()
        atexit.register(self.shutdown)

    # -- caller side
    def register_integration(self, name, version):
        """An integration (e.g. "langchain" "0.3.1") named in the metadata of later sessions."""
        self._integrations[name] = version

    def session(self, name=None, user_id=None, release=None, tags=None, metadata=None, frameworks=None,
                run_id=None):
        if self.disabled:
            return NULL_SESSION
        return Session(self, name, user_id, release, tags, metadata, frameworks, run_id)

    def _open_session(self, s):
        if not self._buffer.put(("create", s), _CREATE_BYTES, control=True):
            s.run.dead = True
            log.warning("oep: buffer full; session %s is not recorded", s.run_id)

    def _close_session(self, s):
        if not self._buffer.put(("finish", s), _FINISH_BYTES, control=True):
            log.warning("oep: buffer full; session %s is left open", s.run_id)

    def _scrub(self, event_type, name, payload, summary):
        """The redaction hook, serialization and reasoning removal: (name, summary, payload
        JSON, evidence_loss), or None when the event must not leave the process."""
        hook = self.config.redact
        if hook is not None:
            try:
                data = hook("event", {"event_type": event_type, "name": name, "payload": payload, "summary": summary})
            except Exception:  # a failing hook must not let the unredacted event out
                log.exception("oep: redaction hook failed; event suppressed")
                data = None
            if data is None:
                return None
            name, payload, summary = data.get("name", name), data.get("payload"), data.get("summary")
        payload_json = _events.dumps(payload)
        loss = []
        if not self.config.capture_reasoning and _events.may_hold_reasoning(payload_json):
            removed = []
            payload_json = _events.dumps(_events.strip_reasoning(payload, removed))
            for path in removed:
                loss.append({"field": path, "impact": "reasoning not captured (capture_reasoning is off)",
                             "severity": "informational"})
        return name, summary, payload_json, loss

    def _log(self, session, event_type, name, payload, status, summary, call_id=None, duration_ms=None, seq=None):
        if session.finished:
            log.warning("oep: event %s logged after its session finished; ignored", event_type)
            return
        if seq is None:
            seq = session.next_seq()
        scrubbed = self._scrub(event_type, name, payload, summary)
        if scrubbed is None:
            self.stats.redacted += 1
            return
        name, summary, payload_json, loss = scrubbed
        if len(payload_json) > self.config.max_event_bytes:
            loss.append({"field": "payload", "impact": "payload of %d bytes not captured (max_event_bytes %d)"
                         % (len(payload_json), self.config.max_event_bytes), "severity": "degrading"})
            payload_json = "null"
        item = _events.Logged(session, seq, time.time(), event_type, str(name), status, summary, payload_json,
                              call_id, duration_ms, loss)
        if session.run.dead or not self._buffer.put(item, item.size):
            self._note_drop(session, seq, seq, 1, "sdk buffer full (max_buffer_bytes %d)" % self.config.max_buffer_bytes)
            return
        self.stats.logged += 1

    def _note_drop(self, session, first, last, count, reason, counted=False):
        """Adds lost events to the session's unreported drop (`counted`: already in stats)."""
        with self._lock:
            if not counted:
                self.stats.dropped += count
            d = session._drops
            if d is None:
                session._drops = [count, first, last, reason]
                self._with_drops.append(session)
            else:
                d[0] += count
                d[1] = min(d[1], first)
                d[2] = max(d[2], last)

    # -- the policy gate (on the caller's thread: the answer is needed before the tool runs)
    def gate(self, tool, input=None, policy=None, query=None, session=None):
        if self.disabled:
            return NULL_SESSION.gate(tool)
        project = policy or self.config.policy
        if not project:
            raise ValueError("oep gate: no policy project (pass policy= or set OEP_POLICY)")
        request = {"policy": {"project": project}, "input": input if input is not None else {"tool": {"name": tool}}}
        if query:
            request["query"] = query
        conn = Connection(self.config.endpoint, self.config.api_key, self.config.request_timeout)
        try:
            answer = post_with_retry(conn, "/v1/decide", _events.dumps(request), self.config.retry,
                                     lambda s: (time.sleep(min(s, 1.0)), True)[1])
        finally:
            conn.close()
        if answer.ok:
            decision = Decision(tool, answer.json())
        else:
            err = "oep gate unavailable (%s): %s" % (answer.status or "no answer", answer.message())
            allow = self.config.gate_on_error == "allow"
            decision = Decision(tool, {"decision": "allow" if allow else "deny", "allow": allow,
                                       "decision_code": "OEP_GATE_UNAVAILABLE"}, err)
        if session is not None:
            session.log_event("policy.decision", {"tool": tool, "policy": decision.policy or project,
                                                  "decision": decision.decision, "allow": decision.allowed,
                                                  "decision_code": decision.code, "reason": decision.reason},
                              name=tool, status="allowed" if decision.allowed else "denied")
        return decision

    # -- shutdown
    def flush(self, timeout=None):
        """Waits until everything buffered so far was handled (sent or given up)."""
        if self.disabled:
            return True
        end = time.time() + (self.config.shutdown_timeout if timeout is None else timeout)
        while time.time() < end:
            if self._buffer.buffered_bytes() == 0 and not self._with_drops:
                return True
            self._buffer.wake()
            time.sleep(0.005)
        return False

    def shutdown(self, timeout=None):
        """Flushes with a deadline, then stops the flush thread. Idempotent."""
        if self.disabled or self._closing.is_set():
            return
        timeout = self.config.shutdown_timeout if timeout is None else timeout
        self._deadline = time.time() + timeout
        self._closing.set()
        self._buffer.wake()
        self._thread.join(timeout + 0.5)
        try:
            atexit.unregister(self.shutdown)
        except Exception:
            pass

    # -- the flush thread
    def _sleep(self, seconds):
        """Backoff sleep; False once the shutdown deadline makes waiting pointless."""
        if self._deadline is not None:
            left = self._deadline - time.time()
            if left <= 0:
                return False
            time.sleep(min(seconds, left))
            return True
        self._closing.wait(seconds)  # shutdown cuts a backoff short; retries then run under its deadline
        return True

    def _past_deadline(self):
        return self._deadline is not None and time.time() >= self._deadline

    def _flush_loop(self):
        conn = Connection(self.config.endpoint, self.config.api_key, self.config.request_timeout)
        try:
            while True:
                closing = self._closing.is_set()
                items = self._buffer.take(self.config.batch_size, 0 if closing else self.config.flush_interval)
                self._send(conn, items)
                self._send_drops(conn)
                if closing and (not items or self._past_deadline()):
                    if self._past_deadline():
                        self._abandon()
                    return
        except Exception:  # the flush thread must never take the process down
            log.exception("oep: flush thread stopped")
        finally:
            conn.close()

    def _abandon(self):
        left = self._buffer.take(1 << 30, 0)
        lost = sum(1 for i in left if isinstance(i, _events.Logged))
        for i in left:
            self._buffer.release(_size_of(i))
        if lost:
            self.stats.dropped += lost
            log.warning("oep: shutdown deadline passed; %d events not sent", lost)

    def _send(self, conn, items):
        i = 0
        while i < len(items):
            item = items[i]
            if isinstance(item, tuple):
                kind, s = item
                if kind == "create":
                    self._create_run(conn, s)
                else:
                    self._send_session_drops(conn, s)
                    self._finish_run(conn, s)
                self._buffer.release(_size_of(item))
                i += 1
                continue
            j = i
            while j < len(items) and isinstance(items[j], _events.Logged) and items[j].session is item.session:
                j += 1
            self._send_steps(conn, item.session, items[i:j])
            for it in items[i:j]:
                self._buffer.release(it.size)
            i = j

    def _post(self, conn, path, body):
        answer = post_with_retry(conn, path, body, self.config.retry, self._sleep)
        if not answer.ok and not answer.retryable:
            self.stats.rejected += 1
            log.warning("oep: %s refused (%d): %s", path, answer.status, answer.message())
        return answer

    def _create_run(self, conn, s):
        user = s.run_metadata()
        hook = self.config.redact
        if hook is not None:
            try:
                user = hook("session", dict(user)) or {"tags": [], "metadata": {}, "frameworks": {}}
            except Exception:
                log.exception("oep: redaction hook failed on a session; its user fields are left out")
                user = {"tags": [], "metadata": {}, "frameworks": {}}
        frameworks = dict(self._integrations)
        frameworks.update(user.get("frameworks") or {})
        metadata = dict(user.get("metadata") or {})
        metadata["sdk"] = {"name": "oep-python", "version": __version__}
        metadata["runtime"] = {"python": platform.python_version()}
        if frameworks:
            metadata["frameworks"] = frameworks
        if user.get("user_id"):
            metadata["user_id"] = str(user["user_id"])
        body = {"run_id": s.run_id, "agent": s.name[:256], "metadata": metadata}
        if s.release:
            body["release_manifest_id"] = s.release
        elif not self._unspecified_stored:  # the manifest events without a release refer to
            made = self._post(conn, "/v1/releases/unspecified", "{}")
            self._unspecified_stored = made.ok
            if not made.ok:
                if not s.run.warned:
                    s.run.warned = True
                    log.warning("oep: the unspecified release could not be stored (%s): %s",
                                made.status or "no answer", made.message())
                s.run.dead = not made.retryable
                return
        if user.get("tags"):
            body["tags"] = [str(t)[:64] for t in user["tags"]][:32]
        answer = self._post(conn, "/v1/runs", _events.dumps(body))
        if answer.ok:
            s.run.created = True
        else:
            s.run.dead = not answer.retryable
            if not s.run.warned:  # once per session: a server that is down is retried every batch
                s.run.warned = True
                log.warning("oep: run %s not created (%s): %s", s.run_id, answer.status or "no answer",
                            answer.message())

    def _send_steps(self, conn, s, items):
        if not s.run.created and not s.run.dead:  # the server was down when the session began
            self._create_run(conn, s)
        if not s.run.created:
            self._note_drop(s, min(i.seq for i in items), max(i.seq for i in items), len(items),
                            "run not created on the server")
            return
        first_step = s.run.next_step
        steps = ",".join('{"step":%d,"event":%s}' % (first_step + k, it.event_json(os.urandom(8).hex()))
                         for k, it in enumerate(items))
        answer = self._post(conn, "/v1/runs/%s/steps" % s.run_id, '{"steps":[' + steps + "]}")
        if answer.ok:
            s.run.next_step += len(items)
            self.stats.sent += len(items)
            return
        reason = ("server refused the batch (%d)" % answer.status) if answer.status else "server unreachable"
        self._note_drop(s, min(i.seq for i in items), max(i.seq for i in items), len(items), reason)

    def _send_drops(self, conn):
        with self._lock:
            pending = list(self._with_drops)
        for s in pending:
            if s.run.created:
                self._send_session_drops(conn, s)

    def _send_session_drops(self, conn, s):
        with self._lock:
            d = s._drops
            if d is None or not s.run.created or s.run.dead:
                if d is not None and s.run.dead:
                    s._drops = None
                    self._with_drops.remove(s)
                return
            s._drops = None
            self._with_drops.remove(s)
        body = {"count": d[0], "first_seq": d[1], "last_seq": d[2], "reason": d[3][:256]}
        answer = self._post(conn, "/v1/runs/%s:drop" % s.run_id, _events.dumps(body))
        if answer.ok:
            self.stats.drop_records += 1
        elif answer.retryable:  # keep it for the next round
            self._note_drop(s, d[1], d[2], d[0], d[3], counted=True)

    def _finish_run(self, conn, s):
        if s.run.created:
            self._post(conn, "/v1/runs/%s:finish" % s.run_id, "{}")
