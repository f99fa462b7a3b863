"""A cache-only fast path for ``GET /v1/customers/{customer_id}/profile``.

When the presented key is in the service's key cache with the ``read`` scope (or ``admin``) and
the profile's rendered JSON is in the profile cache, this pure ASGI middleware answers at once,
without FastAPI's routing, dependency solving and response encoding (0.13 ms of app time per
request instead of 0.26 ms, measured in-process; figures in docs/api.md). Anything else (unknown or uncached key, a
missing scope, an uncached or unknown profile, another route) goes to the app unchanged, which
verifies the key with the store, fills the caches and answers the errors; so the fast path only
ever repeats an answer the app gave within the caches' TTLs. The access log still records the
request (that middleware is outside this one).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from cible.api.auth import allows
from cible.api.logs import presented_key
from cible.api.payloads import ID_MAX
from cible.services.live import LiveService, key_digest

PREFIX, SUFFIX = "/v1/customers/", "/profile"


@dataclass(frozen=True)
class _Route:
    path: str = PREFIX + "{customer_id}" + SUFFIX


ROUTE = _Route()


class CachedProfileMiddleware:
    def __init__(self, app: ASGIApp, service: LiveService) -> None:
        self.app = app
        self.service = service

    def cached_body(self, scope: Scope) -> bytes | None:
        path: str = scope["path"]
        if not (path.startswith(PREFIX) and path.endswith(SUFFIX)):
            return None
        customer_id = path[len(PREFIX) : -len(SUFFIX)]
        if not customer_id or "/" in customer_id or len(customer_id) > ID_MAX:
            return None
        key = presented_key(scope)
        if not key:
            return None
        hit, scopes = self.service.keys.get(key_digest(key))
        if not hit or scopes is None or not allows(scopes, "read"):
            return None
        hit, body = self.service.profiles.get(customer_id)
        return body if hit and isinstance(body, bytes) else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = None
        if scope["type"] == "http" and scope["method"] == "GET":
            body = self.cached_body(scope)
        if body is None:
            await self.app(scope, receive, send)
            return
        scope["route"] = ROUTE  # for the access log: the template, as the app would give
        headers = [
            (b"content-length", str(len(body)).encode()),
            (b"content-type", b"application/json"),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
