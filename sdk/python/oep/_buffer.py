"""The bounded buffer between the caller's threads and the flush thread.

Contract: `put` never blocks and never lets the buffered bytes pass `max_bytes` (control
operations may use a small reserve above it, so that a run can still be created and
finished when events are being dropped). Bytes are released only once the flush thread is
done with an item (sent or given up), so in-flight items count against the limit too.
"""

import collections
import threading

CONTROL_RESERVE_BYTES = 64 * 1024


class Buffer:
    def __init__(self, max_bytes, wake_at=1):
        self.max_bytes = max_bytes
        self.wake_at = wake_at  # the taker is woken at this many items, or by a control item
        self._items = collections.deque()
        self._bytes = 0
        self._lock = threading.Lock()
        self._ready = threading.Condition(self._lock)

    def put(self, item, size, control=False):
        """Appends `item` of `size` bytes; False (nothing stored) when it does not fit."""
        limit = self.max_bytes + (CONTROL_RESERVE_BYTES if control else 0)
        with self._lock:
            if self._bytes + size > limit:
                return False
            self._bytes += size
            self._items.append(item)
            if len(self._items) == self.wake_at or control:
                self._ready.notify()
            return True

    def take(self, max_items, timeout):
        """Up to `max_items` items, oldest first, waiting at most `timeout` for the first."""
        with self._lock:
            if not self._items and timeout > 0:
                self._ready.wait(timeout)
            out = []
            while self._items and len(out) < max_items:
                out.append(self._items.popleft())
            return out

    def release(self, size):
        with self._lock:
            self._bytes -= size

    def wake(self):
        with self._lock:
            self._ready.notify_all()

    def pending(self):
        with self._lock:
            return len(self._items)

    def buffered_bytes(self):
        with self._lock:
            return self._bytes
