"""A partner's webhook receiver on 127.0.0.1 (http.server in a thread): it checks each
request's signature the way docs/ARCHITECTURE.md tells partners to, and answers from a
script of status codes (or hangs, to test the timeout)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    headers: Any  # case-insensitive (http.client.HTTPMessage)
    body: bytes
    signed: bool

    @property
    def event(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    secret: str = ""
    script: list[int | float] = field(default_factory=list)  # int: status; float: hang (s)
    default: int = 200
    received: list[Received] = field(default_factory=list)

    def verify(self, header: str, body: bytes) -> bool:
        """A partner's check: t recent, v1 = HMAC-SHA256(secret, "t.body") in hex."""
        items = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
        if not items.get("t", "").isdigit() or abs(time.time() - int(items["t"])) > 300:
            return False
        mac = hmac.new(self.secret.encode(), items["t"].encode() + b"." + body, hashlib.sha256)
        return hmac.compare_digest(mac.hexdigest(), items.get("v1", ""))

    @property
    def events(self) -> list[dict[str, Any]]:
        return [r.event for r in self.received]


@contextmanager
def serve_webhooks(path: str = "/hooks") -> Iterator[Receiver]:
    receiver = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            answer = receiver.script.pop(0) if receiver.script else receiver.default
            signed = receiver.verify(self.headers.get("X-CGOS-Signature", ""), body)
            receiver.received.append(Received(self.headers, body, signed))
            if isinstance(answer, float):
                time.sleep(answer)
                answer = 200
            try:
                self.send_response(answer)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except OSError:
                pass  # the store gave up waiting (its timeout): nobody to answer

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
