"""Real servers on 127.0.0.1 for the store tests: moto (S3) and wsgidav (WebDAV), each in its
own process (so their Python never runs in the test process), plus a tiny hostile HTTP server
that answers 503 then 403 and echoes the request's credentials back in its error body.
"""

from __future__ import annotations

import http.server
import shutil
import socket
import subprocess
import sys
import sysconfig
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest

ACCESS_KEY = "AKIATESTKEY0000"
SECRET_KEY = "test-secret-key"
REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server for {url} exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server at {url} did not come up in {timeout} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass(frozen=True)
class S3Server:
    endpoint: str

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
        )

    def new_bucket(self) -> str:
        name = f"zb-{uuid.uuid4().hex[:20]}"
        self.client().create_bucket(Bucket=name)
        return name

    def options(self) -> dict[str, Any]:
        """zarrbridge / obstore options that reach this server."""
        return {
            "config": {
                "endpoint": self.endpoint,
                "access_key_id": ACCESS_KEY,
                "secret_access_key": SECRET_KEY,
                "region": REGION,
                "virtual_hosted_style_request": False,
            },
            "client_options": {"allow_http": True},
        }


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(endpoint, process)
        yield S3Server(endpoint)
    finally:
        stop(process)


@dataclass(frozen=True)
class WebDavServer:
    url: str
    root: Path

    def new_dir(self) -> tuple[str, Path]:
        """A fresh directory on the server: its URL and its local path."""
        name = uuid.uuid4().hex[:12]
        (self.root / name).mkdir()
        return f"{self.url}/{name}", self.root / name


@pytest.fixture(scope="session")
def webdav_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDavServer]:
    # The script sits beside this interpreter; a fresh pyenv may have no shim for it on PATH.
    script = Path(sysconfig.get_path("scripts")) / "wsgidav"
    wsgidav = str(script) if script.exists() else shutil.which("wsgidav")
    if wsgidav is None:
        pytest.fail("wsgidav is not installed (it is a test dependency: pip install -e .[test])")
    root = tmp_path_factory.mktemp("webdav")
    port = free_port()
    process = subprocess.Popen(
        [
            wsgidav,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--root",
            str(root),
            "--auth",
            "anonymous",
            "--server",
            "cheroot",
            "-q",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + "/", process)
        yield WebDavServer(url, root)
    finally:
        stop(process)


class _EchoingHandler(http.server.BaseHTTPRequestHandler):
    """503 for the first request of each path, then 403 with the request's credentials
    (Authorization header, query string) echoed in the body: a server that leaks secrets into
    error messages, as real ones do in XML error documents."""

    seen: ClassVar[set[str]] = set()

    def _answer(self) -> None:
        first = self.path not in self.seen
        self.seen.add(self.path)
        status = 503 if first else 403
        body = (
            f"<Error><Code>AccessDenied</Code><Path>{self.path}</Path>"
            f"<Authorization>{self.headers.get('Authorization', '')}</Authorization>"
            f"<Token>{self.headers.get('x-amz-security-token', '')}</Token></Error>"
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_HEAD = do_DELETE = do_POST = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def hostile_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _EchoingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
