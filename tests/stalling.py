"""A loopback endpoint that accepts connections and never answers: a dead server as clients meet
it (the connection succeeds, no byte ever comes back). ``release()`` makes it answer every
request, pending and new, with ``404 Not Found`` (a missing key: a chunk reads as its fill
value), so a test can show the client recovers. With ``answer_after=s`` it is a slow server
instead: each request is answered ``200 OK`` (empty body) ``s`` seconds after it arrived.

Usable from a test (``with StallingServer() as server``) and from a child process (run this file
as a script: it prints the URL and stalls until killed).
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
from types import TracebackType
from typing import Any

import numpy as np

NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"

# A 4-element uint8 array with one chunk, whose metadata is given to zarrbridge directly (no
# read), so that the first request a test makes is the chunk's, and it stalls.
ARRAY_METADATA: dict[str, Any] = {
    "zarr_format": 3,
    "node_type": "array",
    "shape": [4],
    "data_type": "uint8",
    "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4]}},
    "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
    "fill_value": 0,
    "codecs": [{"name": "bytes"}],
    "attributes": {},
}


class StallingServer:
    def __init__(self, answer_after: float | None = None) -> None:
        self._answer_after = answer_after
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._released = threading.Event()
        self._closed = threading.Event()
        self.connections = 0
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self._conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        arrived = time.monotonic()
        try:
            conn.recv(65536)  # the request (its start is enough: it is never parsed)
            if self._answer_after is not None:
                conn.settimeout(0.05)
                while time.monotonic() - arrived < self._answer_after:
                    with contextlib.suppress(TimeoutError):
                        if not conn.recv(65536):  # drain the body meanwhile
                            break
                conn.sendall(OK)
                return
            while not self._released.wait(0.05):
                if self._closed.is_set():
                    return
            conn.sendall(NOT_FOUND)
        except OSError:
            pass
        finally:
            conn.close()

    def release(self) -> None:
        """Answer every request from now on (pending ones included)."""
        self._released.set()

    def close(self) -> None:
        self._closed.set()
        self._listener.close()
        with self._lock:
            for conn in self._conns:
                with contextlib.suppress(OSError):
                    conn.close()

    def __enter__(self) -> StallingServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def stalled_array(url: str, **client_options: Any) -> Any:
    """An array over ``url`` whose one chunk read goes to the server (no metadata read)."""
    import zarrbridge as zb

    store = zb.Store.from_url(
        url, client_options={"allow_http": True, **client_options}, retry_config={"max_retries": 0}
    )
    return zb.Array(store, "a", ARRAY_METADATA)


def fill_value_chunk() -> np.ndarray[Any, Any]:
    return np.zeros(4, dtype="uint8")


if __name__ == "__main__":
    server = StallingServer()
    print(server.url, flush=True)
    sys.stdin.read()  # until the parent closes our stdin or kills us
