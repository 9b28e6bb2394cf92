"""A stand-in for the remote dossier service (R-DOS-4) on the loopback: a real HTTP server
whose switches make it answer 404, 500, something that is not JSON, a record that does
not parse, or too slowly; it counts every request."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from tests.factories import agent_json
from tests.harness import free_port

PREFIX = "/dossiers/"


class FakeDossierService:
    """What the fake service knows and how it misbehaves; it counts every request."""

    def __init__(self) -> None:
        self.dossiers: dict[str, dict[str, Any]] = {}
        self.mode = "ok"  # ok | 404 | 500 | not_json | bad_record | slow
        self.delay = 1.0
        self.requests: list[str] = []
        self.release = threading.Event()  # cuts a slow answer short at teardown
        self.url = ""

    def add(self, **overrides: Any) -> dict[str, Any]:
        data = agent_json(**overrides)
        self.dossiers[data["cgos_number"]] = data
        return data


class _Handler(BaseHTTPRequestHandler):
    server: Any

    def do_GET(self) -> None:  # noqa: N802
        fake: FakeDossierService = self.server.fake
        fake.requests.append(self.path)
        mode = fake.mode
        if mode == "slow":
            fake.release.wait(fake.delay)
        if mode == "500":
            return self._send(500, b'{"error": "panne"}')
        if mode == "not_json":
            return self._send(200, b"<html>Maintenance</html>")
        number = unquote(self.path[len(PREFIX) :]) if self.path.startswith(PREFIX) else ""
        data = fake.dossiers.get(number)
        if mode == "404" or data is None:
            return self._send(404, b'{"error": "inconnu"}')
        if mode == "bad_record":
            data = {**data, "region": "Atlantide"}
        return self._send(200, json.dumps(data).encode())

    def _send(self, status: int, body: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the store gave up waiting (timeout test)

    def log_message(self, *_args: Any) -> None:
        pass


@contextmanager
def serve_dossiers() -> Iterator[FakeDossierService]:
    """The stand-in serving on a free loopback port until the block ends."""
    fake = FakeDossierService()
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _Handler)
    server.fake = fake  # type: ignore[attr-defined]
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield fake
    finally:
        fake.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
