"""API keys with scopes: ``read``, ``write``, ``admin`` (admin implies the others).

A key comes in ``X-API-Key: <key>`` or ``Authorization: Bearer <key>``. Missing or unknown:
401 with ``WWW-Authenticate``; known but without the route's scope: 403. Each protected route
declares its scope with ``dependencies=[require("read")]``; :func:`route_scope` reads it back
(the auth table test walks the app's routes with it, so no route can be left unprotected).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, HTTPException, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from fastapi.security import (
    APIKeyHeader,
    HTTPAuthorizationCredentials,
    HTTPBasic,
    HTTPBasicCredentials,
    HTTPBearer,
)

from cible.services.live import LiveService, key_digest, key_id

Scope = Literal["read", "write", "admin"]
SCOPES: tuple[Scope, ...] = ("read", "write", "admin")
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="cible", ApiKey header="X-API-Key"'}

_api_key = APIKeyHeader(
    name="X-API-Key", auto_error=False, scheme_name="ApiKey", description="an API key"
)
_bearer = HTTPBearer(auto_error=False, scheme_name="Bearer", description="the same API key")
_basic = HTTPBasic(
    auto_error=False,
    scheme_name="WriteKey",
    description="the Segment SDKs' write key: an API key as the basic-auth username, no password",
)


@dataclass(frozen=True)
class Principal:
    key_id: str  # the key's public id (cible_<id>_<secret>): safe to log
    scopes: frozenset[str]


def allows(scopes: frozenset[str], needed: Scope) -> bool:
    return needed in scopes or "admin" in scopes


def service_of(request: Request) -> LiveService:
    service: LiveService = request.app.state.service
    return service


def require(needed: Scope) -> Any:
    """A FastAPI dependency that lets through only a key with the ``needed`` scope."""

    async def check(
        request: Request,
        api_key: Annotated[str | None, Security(_api_key)],
        bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    ) -> Principal:
        key = api_key or (bearer.credentials if bearer is not None else None)
        return await _principal(request, key, needed, CHALLENGE)

    check.required_scope = needed  # type: ignore[attr-defined]
    return Depends(check)


async def _principal(
    request: Request, key: str | None, needed: Scope, challenge: dict[str, str]
) -> Principal:
    if not key:
        raise HTTPException(401, "an API key is required (X-API-Key header)", challenge)
    service = service_of(request)
    hit, scopes = service.keys.get(key_digest(key))
    if not hit:
        scopes = await run_in_threadpool(service.verify_key, key)
    if scopes is None:
        raise HTTPException(401, "unknown or revoked API key", challenge)
    if not allows(scopes, needed):
        raise HTTPException(403, f"this key's scopes {sorted(scopes)} do not include '{needed}'")
    return Principal(key_id(key), scopes)


WRITE_KEY_CHALLENGE = {"WWW-Authenticate": 'Basic realm="cible"'}


def require_write_key(*, query: bool = False) -> Any:
    """The collector's dependency: a key with the ``write`` scope given as Segment's SDKs give
    their write key (HTTP basic auth, the key as username), or as any cible route takes it;
    with ``query``, also ``?writeKey=`` (a tracking pixel cannot send headers)."""

    async def check(
        request: Request,
        basic: Annotated[HTTPBasicCredentials | None, Security(_basic)],
        api_key: Annotated[str | None, Security(_api_key)],
        bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    ) -> Principal:
        key = (basic.username if basic is not None else None) or api_key
        key = key or (bearer.credentials if bearer is not None else None)
        if query and not key:
            key = request.query_params.get("writeKey") or request.query_params.get("key")
        return await _principal(request, key, "write", WRITE_KEY_CHALLENGE)

    check.required_scope = "write"  # type: ignore[attr-defined]
    return Depends(check)


def api_routes(routes: Iterable[Any]) -> list[APIRoute]:
    """Every APIRoute under ``routes`` (``app.routes``), included routers walked (FastAPI keeps
    them as included-router entries whose ``original_router`` holds the routes, prefixed)."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif getattr(route, "original_router", None) is not None:
            found += api_routes(route.original_router.routes)
    return found


def route_scope(route: APIRoute) -> Scope | None:
    """The scope a route requires (``None``: open route)."""
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        scope: Scope | None = getattr(dep.call, "required_scope", None)
        if scope is not None:
            return scope
        stack.extend(dep.dependencies)
    return None
