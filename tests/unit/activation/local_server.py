"""A tiny local HTTP server that records every request and can fail a share of them."""

from __future__ import annotations

import json
import random
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Behaviour:
    """``fail_share`` of requests fail with a 5xx: half before the body is applied, half after
    (the response is "lost": the receiver applied the batch but the sender sees an error)."""

    fail_share: float = 0.0
    seed: int = 0
    requests: list[Recorded] = field(default_factory=list)
    applied: dict[str, Any] = field(default_factory=dict)  # idempotency key -> body
    failures: int = 0

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)
        self.lock = threading.Lock()


class LocalServer:
    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        handler = _handler(behaviour)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> LocalServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _handler(b: Behaviour) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return None

        def _serve(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with b.lock:
                b.requests.append(Recorded(self.command, self.path, dict(self.headers), body))
                draw = b.random.random()
                key = self.headers.get("Idempotency-Key") or f"request-{len(b.requests)}"
                fail_before = draw < b.fail_share / 2
                fail_after = b.fail_share / 2 <= draw < b.fail_share
                if not fail_before and key not in b.applied:
                    b.applied[key] = body
                if fail_before or fail_after:
                    b.failures += 1
            status = 503 if fail_before else 500 if fail_after else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        do_POST = do_PUT = _serve

    return Handler
