"""Agent-step events (events/schema/agent_step_event.v0.schema.json) built from what the
caller logged, and the caller-side scrubbing: reasoning removal and the redaction hook."""

import datetime
import json
import re

SCHEMA_VERSION = "oep.agent_step_event.v0"
# The release manifest id of events of a session started without `release`.
UNRELEASED = "rmf_unspecified"
# Payload members holding a model's reasoning; removed unless capture_reasoning is on.
REASONING_KEYS = frozenset(
    ["reasoning", "reasoning_content", "chain_of_thought", "thinking", "thoughts", "scratchpad"])
_EVENT_TYPE = re.compile(r"^[a-z_]+\.[a-z_.]+$")
_BAD_CHARS = re.compile(r"[^a-z_.]")


_TYPE_CACHE = {}


def event_type_of(kind):
    """`kind` when it already is `<family>.<name>`, else "log.<kind>" (lowercase, [a-z_.])."""
    cached = _TYPE_CACHE.get(kind)
    if cached is not None:
        return cached
    if _EVENT_TYPE.match(kind):
        out = kind
    else:
        out = "log." + (_BAD_CHARS.sub("_", kind.lower()).strip(".") or "event")
    if len(_TYPE_CACHE) < 4096:
        _TYPE_CACHE[kind] = out
    return out


_REASONING_MARKS = tuple('"%s":' % k for k in sorted(REASONING_KEYS))


def may_hold_reasoning(payload_json):
    """False when no REASONING_KEYS member can be in the JSON text (a fast C substring scan)."""
    for mark in _REASONING_MARKS:
        if mark in payload_json:
            return True
    return False


def strip_reasoning(value, removed, path="payload"):
    """`value` without REASONING_KEYS members at any depth; their paths appended to `removed`.
    Returns `value` itself when nothing was removed (no copy)."""
    if isinstance(value, dict):
        out = None
        for k, v in value.items():
            if k in REASONING_KEYS:
                removed.append(path + "." + str(k))
                if out is None:
                    out = {kk: vv for kk, vv in value.items() if kk not in REASONING_KEYS}
                continue
            nv = strip_reasoning(v, removed, path + "." + str(k))
            if nv is not v:
                if out is None:
                    out = {kk: vv for kk, vv in value.items() if kk not in REASONING_KEYS}
                out[k] = nv
        return value if out is None else out
    if isinstance(value, list):
        items = [strip_reasoning(v, removed, path + "[]") for v in value]
        return value if all(a is b for a, b in zip(items, value)) else items
    return value


_ENCODER = json.JSONEncoder(separators=(",", ":"), default=str)


def dumps(value):
    """Compact JSON; objects JSON does not know become their str()."""
    return _ENCODER.encode(value)


def utc_time(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Logged:
    """One logged event as the caller's thread leaves it: the payload already serialized."""

    __slots__ = ("session", "seq", "time", "event_type", "name", "status", "summary", "payload_json",
                 "tool_call_id", "duration_ms", "loss", "size")

    def __init__(self, session, seq, t, event_type, name, status, summary, payload_json, tool_call_id,
                 duration_ms, loss):
        self.session = session
        self.seq = seq
        self.time = t
        self.event_type = event_type
        self.name = name
        self.status = status
        self.summary = summary
        self.payload_json = payload_json
        self.tool_call_id = tool_call_id
        self.duration_ms = duration_ms
        self.loss = loss  # evidence_loss entries (reasoning removed, payload too large)
        self.size = len(payload_json) + len(name) + len(summary or "") + 200

    def event_json(self, span_id):
        s = self.session
        head = {
            "schema_version": SCHEMA_VERSION,
            "event_id": "evt_%s_%d" % (s.run_id, self.seq),
            "event_time": utc_time(self.time),
            "event_type": self.event_type,
            "release_manifest_id": s.release or UNRELEASED,
            "trace_id": s.run_id,
            "span_id": span_id,
            "parent_span_id": s.span_id,
            "checkpoint": {"name": self.name, "sequence": self.seq, "state": "after"},
            "actor": {"type": "agent", "id": s.name},
            "action": {"action_type": self.event_type.split(".", 1)[0], "name": self.name},
            "outcome": {"status": self.status},
            "evidence_loss": self.loss,
        }
        if self.summary:
            head["outcome"]["summary"] = self.summary
        if self.tool_call_id:
            head["tool_call_id"] = self.tool_call_id
        if self.duration_ms is not None:
            head["duration_ms"] = self.duration_ms
        text = dumps(head)
        return text[:-1] + ',"payload":' + self.payload_json + "}"
