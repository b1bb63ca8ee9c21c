"""HTTP to `oep serve`, with the retry rule: exponential backoff with full jitter on
connection errors and 5xx answers, never on 4xx (a 4xx is the request's fault and would
fail the same way again)."""

import http.client
import json
import random
import ssl
import urllib.parse


class Answer:
    """What the server said: `status` 0 means no answer (connection error)."""

    def __init__(self, status, body, error=""):
        self.status = status
        self.body = body
        self.error = error

    @property
    def ok(self):
        return 200 <= self.status < 300

    @property
    def retryable(self):
        return self.status == 0 or self.status >= 500

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def message(self):
        doc = self.json()
        if isinstance(doc, dict) and isinstance(doc.get("error"), dict):
            return str(doc["error"].get("message", ""))
        return self.error or self.body[:200]


class Connection:
    """One keep-alive connection (not thread-safe: one per thread)."""

    def __init__(self, endpoint, api_key, timeout):
        url = urllib.parse.urlsplit(endpoint)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError("oep endpoint: expected http(s)://host[:port], found %r" % endpoint)
        self._https = url.scheme == "https"
        self._host = url.hostname
        self._port = url.port or (443 if self._https else 80)
        self._prefix = url.path.rstrip("/")
        self._headers = {"Content-Type": "application/json", "User-Agent": "oep-python"}
        if api_key:
            self._headers["Authorization"] = "Bearer " + api_key
        self._timeout = timeout
        self._conn = None

    def _open(self):
        if self._https:
            return http.client.HTTPSConnection(
                self._host, self._port, timeout=self._timeout, context=ssl.create_default_context())
        return http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)

    def post(self, path, body):
        """One attempt; never raises for network trouble."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        try:
            if self._conn is None:
                self._conn = self._open()
            self._conn.request("POST", self._prefix + path, body=data, headers=self._headers)
            resp = self._conn.getresponse()
            text = resp.read().decode("utf-8", "replace")
            if resp.getheader("Connection", "").lower() == "close":
                self.close()
            return Answer(resp.status, text)
        except (OSError, http.client.HTTPException) as e:
            self.close()
            return Answer(0, "", "%s: %s" % (type(e).__name__, e))

    def close(self):
        if self._conn is not None:
            try:
                self._conn.close()
            except OSError:
                pass
            self._conn = None


def backoff_delay(attempt, base, cap, rng=random):
    """Full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
    return rng.uniform(0, min(cap, base * (2 ** attempt)))


def post_with_retry(conn, path, body, retry, sleep):
    """Posts until an answer that is not retryable, or `retry.max_attempts` attempts.

    `sleep(seconds)` returns False when the caller must stop waiting (shutdown deadline);
    the last answer is then returned as it is."""
    attempt = 0
    while True:
        answer = conn.post(path, body)
        attempt += 1
        if not answer.retryable or attempt >= retry.max_attempts:
            return answer
        if not sleep(backoff_delay(attempt - 1, retry.base_seconds, retry.cap_seconds)):
            return answer
