"""Two pure ASGI middlewares that guard every response: per-key rate limits and security headers.

:class:`RateLimitMiddleware` keeps one token bucket per presented API key (keyed by the key's
SHA-256, so a caller who knows only a key's public id cannot drain its owner's bucket) and, for a
request without a key, per client address. A bucket holds ``burst`` tokens and refills at
``rate_per_s``; a request takes one token, and one that finds less than a whole token gets
``429 rate_limited`` with ``Retry-After`` (whole seconds, rounded up) before the app, the store
or the key check see it. The table of buckets is bounded (least recently used dropped first), so
a flood of made-up keys costs memory only up to ``max_buckets``. The limit is per process: with
N worker processes a key gets up to N times the rate.

:class:`SecurityHeadersMiddleware` adds to every response (errors, 429s and the cache-only fast
path included): ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY`` and
``Content-Security-Policy: frame-ancestors 'none'`` (no page may frame the docs or the API),
``Referrer-Policy: no-referrer``, ``Cache-Control: no-store`` on ``/v1`` answers (they hold personal
data: no shared cache may keep them), and ``Strict-Transport-Security`` when the request came over
https (behind a proxy: run uvicorn with ``--proxy-headers`` so that the scheme is known).
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections import OrderedDict
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cible.api.logs import presented_key

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"referrer-policy", b"no-referrer"),
)
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
NO_STORE = (b"cache-control", b"no-store")


class TokenBuckets:
    """Token buckets by identity, refilled lazily from a monotonic ``clock``."""

    def __init__(
        self,
        rate_per_s: float,
        burst: int,
        *,
        max_buckets: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError(f"rate {rate_per_s}/s and burst {burst} must be > 0 and >= 1")
        self.rate = rate_per_s
        self.burst = float(burst)
        self.max_buckets = max_buckets
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # id -> tokens, t

    def take(self, identity: str) -> float:
        """0.0 when ``identity`` may go on (one token taken), else the seconds until it may."""
        now = self.clock()
        tokens, last = self._buckets.pop(identity, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate
        self._buckets[identity] = (tokens, now)
        if len(self._buckets) > self.max_buckets:
            self._buckets.popitem(last=False)
        return wait

    def __len__(self) -> int:
        return len(self._buckets)


def _identity(scope: Scope) -> str:
    key = presented_key(scope)
    if key:
        return "key:" + hashlib.sha256(key.encode("utf-8")).hexdigest()
    client = scope.get("client")
    return f"addr:{client[0] if client else '?'}"


class RateLimitMiddleware:
    """429 with ``Retry-After`` once a key (or a keyless client) has used its burst."""

    def __init__(self, app: ASGIApp, buckets: TokenBuckets) -> None:
        self.app = app
        self.buckets = buckets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        wait = self.buckets.take(_identity(scope))
        if wait <= 0.0:
            await self.app(scope, receive, send)
            return
        retry = max(1, math.ceil(wait))
        body = json.dumps(
            {
                "error": "rate_limited",
                "message": f"rate limit of {self.buckets.rate:g}/s (burst "
                f"{self.buckets.burst:g}) reached for this key: retry in {retry} s",
                "fields": [],
            }
        ).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(retry).encode()),
        ]
        await send({"type": "http.response.start", "status": 429, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class SecurityHeadersMiddleware:
    """Adds the security headers to every HTTP response start."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = list(SECURITY_HEADERS)
        if scope.get("scheme") == "https":
            extra.append(HSTS)
        if str(scope.get("path", "")).startswith("/v1/"):
            extra.append(NO_STORE)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", ())}
                added = [h for h in extra if h[0] not in present]
                message = {**message, "headers": [*message.get("headers", ()), *added]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
