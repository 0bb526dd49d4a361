"""The loopback judge server under load: a throughput limit and exact in-flight counts.

``LoadTestServer`` is :class:`tests.support.testserver.JudgeTestServer` (same answers, faults,
``usage``, log) that processes at most ``slots`` requests at once -- the rest wait, as in a
serving engine's queue -- and counts the requests in flight when each one arrives, overall
(``max_inflight``) and per requested model (``max_inflight_by_model``: give each client its own
model name to see each client's bound). A request counts from its arrival until it is answered
or its client hangs up; a connection whose client has hung up is recognized at the next arrival
(its FIN is already in the kernel), not whenever its handler thread next runs. A request whose
client hung up while it waited for a slot is dropped (logged with status None). In ``log``, ``t``
is when the server starts on a request (it got a slot).
"""

from __future__ import annotations

import hashlib
import io
import json
import select
import socket
import threading
import time
from collections import defaultdict
from typing import Any

from tests.support.testserver import JudgeTestServer, _Handler


def hung_up(conn: socket.socket) -> bool:
    """The client closed this connection (no pipelining: readable while a request is pending = closed)."""
    try:
        readable, _, _ = select.select([conn], [], [], 0)
        return bool(readable) and not conn.recv(1, socket.MSG_PEEK)
    except (OSError, ValueError):
        return True


class _LoadHandler(_Handler):
    owner: LoadTestServer

    def do_POST(self) -> None:
        srv = self.owner
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        stream, self.rfile = self.rfile, io.BytesIO(raw)  # the base handler reads the body again
        try:
            model = str(json.loads(raw or b"{}").get("model"))
        except ValueError:
            model = "?"
        with srv._lock:
            srv._active += 1
            srv._open = {c: m for c, m in srv._open.items() if not hung_up(c)}
            srv._open[self.connection] = model
            srv.max_inflight = max(srv.max_inflight, len(srv._open))
            mine = sum(m == model for m in srv._open.values())
            srv.max_inflight_by_model[model] = max(srv.max_inflight_by_model[model], mine)
        try:
            with srv.slots:
                if hung_up(self.connection):  # its client gave up while it queued: dropped, as an engine does
                    self._dropped(raw)
                else:
                    self._post()
        finally:
            self.rfile = stream  # the connection's next request (keep-alive)
            with srv._lock:
                srv._open.pop(self.connection, None)
                srv._active -= 1
                srv._lock.notify_all()

    def _dropped(self, raw: bytes) -> None:
        with self.owner._lock:
            self.owner.requests += 1
        try:
            messages = json.loads(raw).get("messages")
        except ValueError:
            messages = None
        call = hashlib.sha256(json.dumps(messages).encode()).hexdigest()[:16]
        self._record({"t": time.monotonic(), "call": call, "fault": None, "status": None})


class LoadTestServer(JudgeTestServer):
    handler = _LoadHandler

    def __init__(self, *args: Any, slots: int = 4, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.slots = threading.BoundedSemaphore(slots)
        self._open: dict[socket.socket, str] = {}  # connections with a request in flight -> its model
        self._active = 0  # handlers between a request's arrival and its answer (or drop) being logged
        self._lock = threading.Condition(self._lock)
        self.max_inflight_by_model: dict[str, int] = defaultdict(int)

    def settle(self, timeout: float = 30.0) -> None:
        """Wait until every request that arrived is answered or dropped, and logged.

        A client that timed out has moved on while the server may still be on its request, so
        ``requests`` and ``log`` are read only after this.
        """
        with self._lock:
            if not self._lock.wait_for(lambda: self._active == 0, timeout):
                raise TimeoutError(f"{self._active} request(s) still being handled after {timeout} s")
