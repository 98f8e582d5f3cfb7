"""What crosses the wire: a loopback HTTP/1.1 proxy that counts every request and the bytes of
each response, where no client library can misreport them. Optionally it waits before
forwarding each request (latency, for benchmarks: this kernel has no ``netem``).

The proxy follows each connection's messages (request heads, ``Content-Length`` or chunked
bodies, bodiless answers to ``HEAD``), so it sees requests one by one even on kept-alive
connections. Used by the S3 tests and by ``benches/cloud.py``.

Example:
    >>> with CountingProxy("127.0.0.1", port) as proxy:  # doctest: +SKIP
    ...     ...  # point the client at proxy.endpoint
    ...     print(proxy.kinds(), proxy.body_bytes())
"""

from __future__ import annotations

import collections
import contextlib
import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any, Self

__all__ = ["CountingProxy", "Exchange", "LoopbackProxy", "s3_kind"]


@dataclass
class Exchange:
    """One request and its response, as seen on the wire."""

    method: str
    target: str
    headers: dict[str, str]
    status: int = 0
    body_bytes: int = 0
    """Bytes of the response body."""
    wire_bytes: int = 0
    """Bytes of the whole response (status line, headers, body)."""
    sent_bytes: int = 0
    """Bytes of the whole request."""
    sent_body_bytes: int = 0
    """Bytes of the request body."""

    @property
    def path(self) -> str:
        return urllib.parse.urlsplit(self.target).path

    @property
    def query(self) -> dict[str, list[str]]:
        return urllib.parse.parse_qs(urllib.parse.urlsplit(self.target).query, True)


def s3_kind(exchange: Exchange) -> str:
    """The kind of an S3 request, named as ``zarrbridge.IoStats.requests`` names them."""
    method, query = exchange.method, exchange.query
    if method == "HEAD":
        return "head"
    if method == "PUT":
        return "put"
    if method == "DELETE" or (method == "POST" and "delete" in query):
        return "delete"
    if method == "GET" and ("list-type" in query or exchange.path.strip("/").count("/") == 0):
        return "list"
    if method == "GET":
        return "get_range" if "range" in exchange.headers else "get"
    return method.lower()


class _Reader:
    """Splits one direction of a connection into HTTP messages, fed as bytes arrive."""

    def __init__(self, requests: bool) -> None:
        self.requests = requests
        self.buffer = bytearray()
        self.state = "head"
        self.remaining = 0
        self.heads: list[tuple[str, dict[str, str]]] = []  # heads read, not yet taken
        self.finished: list[tuple[str, int, int]] = []  # (first line, body, wire bytes)
        self.line = ""
        self.body = 0
        self.wire = 0
        self.bodiless: collections.deque[bool] = collections.deque()

    def feed(self, data: bytes) -> None:
        self.buffer += data
        self.wire += len(data)
        while self._step():
            pass

    def _done(self) -> None:
        extra = len(self.buffer)  # bytes of the next message, already counted in `wire`
        self.finished.append((self.line, self.body, self.wire - extra))
        self.wire = extra
        self.body = 0
        self.state = "head"

    def _step(self) -> bool:
        if self.state == "head":
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return False
            lines = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
            del self.buffer[: end + 4]
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            self.heads.append((lines[0], headers))
            self.line = lines[0]
            no_body = False
            if not self.requests:
                status = int(lines[0].split()[1])
                no_body = (
                    (self.bodiless.popleft() if self.bodiless else False)
                    or status
                    in (
                        204,
                        304,
                    )
                    or 100 <= status < 200
                )
            if "chunked" in headers.get("transfer-encoding", "").lower() and not no_body:
                self.state = "chunk-size"
            else:
                self.remaining = 0 if no_body else int(headers.get("content-length", "0"))
                self.state = "body"
            return True
        if self.state == "body":
            take = min(self.remaining, len(self.buffer))
            del self.buffer[:take]
            self.remaining -= take
            self.body += take
            if self.remaining == 0:
                self._done()
                return True
            return False
        if self.state == "chunk-size":
            end = self.buffer.find(b"\r\n")
            if end < 0:
                return False
            size = int(bytes(self.buffer[:end]).split(b";")[0], 16)
            del self.buffer[: end + 2]
            self.remaining = size
            self.state = "chunk-data" if size else "trailer"
            return True
        if self.state == "chunk-data":
            take = min(self.remaining, len(self.buffer))
            del self.buffer[:take]
            self.remaining -= take
            self.body += take
            if self.remaining == 0:
                self.remaining = 2  # the CRLF after the data
                self.state = "chunk-end"
            return take > 0
        if self.state == "chunk-end":
            take = min(self.remaining, len(self.buffer))
            del self.buffer[:take]
            self.remaining -= take
            if self.remaining == 0:
                self.state = "chunk-size"
                return True
            return False
        # trailer: lines until an empty one
        end = self.buffer.find(b"\r\n")
        if end < 0:
            return False
        del self.buffer[: end + 2]
        if end == 0:
            self._done()
        return True


class LoopbackProxy:
    """A listener on a free loopback port in front of ``host:port``: the plumbing shared by
    :class:`CountingProxy` and the fault suite's ``FaultProxy``. A subclass handles each
    accepted connection in :meth:`_connected` (and registers its sockets in ``_sockets`` so
    :meth:`close` closes them)."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._closing = threading.Event()
        self._sockets: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self._closing.set()
        self._thread.join(timeout=5)
        self._listener.close()
        with self._lock:
            for s in self._sockets:
                with contextlib.suppress(OSError):
                    s.close()

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._connected(client)

    def _connected(self, client: socket.socket) -> None:
        raise NotImplementedError


class CountingProxy(LoopbackProxy):
    """A loopback proxy to ``host:port`` recording every :class:`Exchange`, optionally
    waiting ``delay`` seconds before forwarding each request."""

    def __init__(self, host: str, port: int, *, delay: float = 0.0) -> None:
        super().__init__(host, port)
        self.delay = delay
        self.exchanges: list[Exchange] = []
        self.raw_in = 0  # bytes from the server to the client
        self.raw_out = 0  # bytes from the client to the server

    def reset(self) -> None:
        """Forget what was recorded so far."""
        with self._lock:
            self.exchanges.clear()
            self.raw_in = self.raw_out = 0

    def kinds(self) -> dict[str, int]:
        """Requests by S3 kind (see :func:`s3_kind`)."""
        with self._lock:
            return dict(collections.Counter(s3_kind(e) for e in self.exchanges))

    def body_bytes(self) -> int:
        """Bytes of response bodies received by the client."""
        with self._lock:
            return sum(e.body_bytes for e in self.exchanges)

    def _connected(self, client: socket.socket) -> None:
        try:
            server = socket.create_connection(self.upstream)
        except OSError:
            client.close()
            return
        for s in (client, server):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            self._sockets += [client, server]
        pending: collections.deque[Exchange] = collections.deque()
        requests, responses = _Reader(True), _Reader(False)
        threading.Thread(
            target=self._pipe,
            args=(client, server, requests, responses, pending, True),
            daemon=True,
        ).start()
        threading.Thread(
            target=self._pipe,
            args=(server, client, requests, responses, pending, False),
            daemon=True,
        ).start()

    def _pipe(
        self,
        src: socket.socket,
        dst: socket.socket,
        requests: _Reader,
        responses: _Reader,
        pending: collections.deque[Exchange],
        outbound: bool,
    ) -> None:
        unsent: collections.deque[Exchange] = collections.deque()
        try:
            while True:
                data = src.recv(1 << 16)
                if not data:
                    break
                new = 0
                with self._lock:
                    if outbound:
                        requests.feed(data)
                        self.raw_out += len(data)
                        for line, headers in requests.heads:
                            method, target = ([*line.split(" "), "", ""])[:2]
                            exchange = Exchange(method, target, headers)
                            responses.bodiless.append(method == "HEAD")
                            pending.append(exchange)
                            unsent.append(exchange)
                            self.exchanges.append(exchange)
                            new += 1
                        requests.heads.clear()
                        for _, body, wire in requests.finished:
                            if unsent:
                                exchange = unsent.popleft()
                                exchange.sent_bytes, exchange.sent_body_bytes = wire, body
                        requests.finished.clear()
                    else:
                        responses.feed(data)
                        self.raw_in += len(data)
                        responses.heads.clear()
                        for line, body, wire in responses.finished:
                            if pending:
                                exchange = pending.popleft()
                                exchange.status = int(line.split()[1])
                                exchange.body_bytes, exchange.wire_bytes = body, wire
                        responses.finished.clear()
                if new and self.delay:
                    time.sleep(self.delay)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
