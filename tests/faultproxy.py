"""A fault-injecting loopback HTTP/1.1 proxy for the fault suite: put it between the library and
moto, choose a fault, and count what reached it.

Faults (``proxy.fault = ...``, changeable at any time, applied per request):

- ``"pass"``: forward the request and relay the whole response.
- ``"stall"``: read the request and never answer (the connection stays open).
- ``"drip"``: relay the response one byte every ``drip_interval`` seconds.
- ``"reset"``: relay the first ``reset_after`` bytes of the response, then reset the connection
  (``SO_LINGER`` 0: the client sees ``ECONNRESET`` mid-body).
- ``"error"``: answer ``503 Slow Down`` (S3's throttling answer) for the next ``errors_left``
  requests, then forward.

``requests`` counts the requests that reached the proxy (method and path), which no client
library can misreport; ``forwarded`` those that reached the server. A refused connection is a
port nobody listens on: :func:`closed_port`.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time

from wire import LoopbackProxy, _Reader

__all__ = ["FaultProxy", "closed_port"]

_SLOW_DOWN = (
    b"HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: 93\r\n\r\n"
    b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>\n"
    b"\n\n\n\n"
)


def closed_port() -> int:
    """A loopback port with no listener (connecting is refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class FaultProxy(LoopbackProxy):
    """See the module docstring."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(host, port)
        self.fault = "pass"
        self.drip_interval = 0.05
        self.reset_after = 64
        self.errors_left = 0
        self.requests: list[tuple[str, str]] = []
        self.forwarded = 0

    def count(self, method: str | None = None) -> int:
        with self._lock:
            return sum(1 for m, _ in self.requests if method in (None, m))

    def _connected(self, client: socket.socket) -> None:
        with self._lock:
            self._sockets.append(client)
        threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        reader = _Reader(True)
        raw = bytearray()
        try:
            while not self._closing.is_set():
                data = client.recv(1 << 16)
                if not data:
                    return
                raw += data
                reader.feed(data)
                while reader.finished:
                    line, _, wire = reader.finished.pop(0)
                    request, raw = bytes(raw[:wire]), raw[wire:]
                    method, target = ([*line.split(" "), "", ""])[:2]
                    with self._lock:
                        self.requests.append((method, target))
                    if not self._answer(client, method, request):
                        return
                reader.heads.clear()
        except OSError:
            return
        finally:
            with contextlib.suppress(OSError):
                client.close()

    def _answer(self, client: socket.socket, method: str, request: bytes) -> bool:
        """Handle one request; False when the connection is finished."""
        fault = self.fault
        if fault == "stall":
            self._closing.wait()
            return False
        if fault == "error":
            with self._lock:
                failing = self.errors_left > 0
                self.errors_left -= failing
            if failing:
                client.sendall(_SLOW_DOWN)
                return True
        response = self._forward(method, request)
        if fault == "drip":
            for i in range(len(response)):
                if self._closing.is_set():
                    return False
                client.sendall(response[i : i + 1])
                time.sleep(self.drip_interval)
            return True
        if fault == "reset":
            client.sendall(response[: self.reset_after])
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            client.close()
            return False
        client.sendall(response)
        return True

    def _forward(self, method: str, request: bytes) -> bytes:
        with socket.create_connection(self.upstream, timeout=30) as server:
            server.sendall(request)
            reader = _Reader(False)
            reader.bodiless.append(method == "HEAD")
            response = bytearray()
            while not reader.finished:
                data = server.recv(1 << 16)
                if not data:
                    break
                response += data
                reader.feed(data)
        with self._lock:
            self.forwarded += 1
        return bytes(response)
