"""oep: evidence from running agents, sent to `oep serve`.

    import oep
    with oep.session(name="customer-support", user_id="u_123", release="rmf_...") as s:
        with oep.tool("database_query", args={"order_id": 42}) as t:
            t.result(db.fetch_order(42))
        oep.log_event(type="decision_trace", payload={"justification": "refund_policy_applied"})

A session is a run (POST /v1/runs); each tool call and logged event is one agent-step
event (POST /v1/runs/{id}/steps), sent by a background thread; leaving the session
finishes the run (the server seals its chain). Configuration: `oep.configure(...)` or the
environment (OEP_ENDPOINT, OEP_API_KEY, OEP_POLICY; OEP_DISABLED=true turns every call into
a no-op with no thread and no I/O). Standard library only.
"""

import threading

from ._client import (ApprovalRequired, Client, Config, Decision, PolicyDenied, RetryPolicy, Session, ToolCall,
                      NULL_SESSION, _current, __version__)

__all__ = ["configure", "session", "tool", "log_event", "gate", "flush", "shutdown", "current_session", "client",
           "register_integration", "Client", "Config", "RetryPolicy", "Decision", "PolicyDenied", "ApprovalRequired",
           "Session", "ToolCall", "__version__"]

_default = None
_default_lock = threading.Lock()


def configure(**options):
    """Replaces the default client (the previous one is flushed and stopped). Options are
    Config's; OEP_DISABLED=true in the environment still wins."""
    global _default
    with _default_lock:
        old, _default = _default, Client(Config.from_env(**options))
    if old is not None:
        old.shutdown()
    return _default


def client():
    """The default client, made from the environment on first use."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Client(Config.from_env())
    return _default


def session(name=None, user_id=None, release=None, tags=None, metadata=None, frameworks=None, run_id=None):
    return client().session(name, user_id, release, tags, metadata, frameworks, run_id)


def current_session():
    """The session of the innermost `with oep.session(...)` in this context, or None."""
    return _current.get()


def tool(name, args=None, policy=None, gate_input=None):
    """A tool call of the current session (a no-op outside one)."""
    s = _current.get()
    if s is None:
        return NULL_SESSION.tool(name, args)
    return s.tool(name, args, policy, gate_input)


def log_event(type, payload=None, name=None, status="recorded", summary=None):
    """One event of the current session (a no-op outside one)."""
    s = _current.get()
    if s is not None:
        s.log_event(type, payload, name=name, status=status, summary=summary)


def gate(tool, input=None, policy=None, query=None):
    """Asks the server's policy for a decision on `tool` before running it (see Decision)."""
    s = _current.get()
    if s is not None:
        return s.gate(tool, input, policy, query)
    return client().gate(tool, input, policy, query)


def register_integration(name, version):
    client().register_integration(name, version)


def flush(timeout=None):
    return client().flush(timeout)


def shutdown(timeout=None):
    if _default is not None:
        _default.shutdown(timeout)
