"""Auth as a table test generated from the app's own routes: for every route but /health and
/ready, no key -> 401, a wrong key -> 401, a key without the route's scope -> 403, the right
scope -> neither."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from cible.api.auth import api_routes, route_scope
from tests.unit.api.conftest import Keys

# the CRM webhook is authenticated by its HMAC signature, not an API key (test_collector.py)
OPEN = {"/health", "/ready", "/v1/webhooks/crm"}
PATH_VALUES = {"customer_id": "C-auth-1", "segment_id": "1"}
EXPECTED_SCOPES = {
    ("POST", "/v1/events"): "write",
    ("POST", "/v1/events/batch"): "write",
    ("PUT", "/v1/customers/{customer_id}"): "write",
    ("POST", "/v1/customers/batch"): "write",
    ("GET", "/v1/customers/{customer_id}/profile"): "read",
    ("GET", "/v1/segments"): "read",
    ("GET", "/v1/segments/{segment_id}/members"): "read",
    ("POST", "/v1/models"): "admin",
    **{("POST", f"/v1/{kind}"): "write" for kind in ("track", "identify", "page", "screen")},
    **{("POST", f"/v1/{kind}"): "write" for kind in ("group", "alias", "batch")},
    ("GET", "/v1/pixel.gif"): "write",
}


def protected_routes(client: TestClient) -> list[tuple[str, str, str | None]]:
    rows = []
    for route in api_routes(client.app.routes):  # type: ignore[attr-defined]
        if route.path not in OPEN:
            for method in sorted(route.methods):
                rows.append((method, route.path, route_scope(route)))
    return rows


def call(client: TestClient, method: str, template: str, headers: dict[str, str]) -> int:
    path = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES[m.group(1)], template)
    body = {} if method in ("POST", "PUT") else None
    return client.request(method, path, json=body, headers=headers).status_code


def test_every_route_declares_its_scope(client: TestClient) -> None:
    found = {(m, p): s for m, p, s in protected_routes(client)}
    assert found == EXPECTED_SCOPES


def test_auth_table(client: TestClient, keys: Keys) -> None:
    cases = {
        "no key": lambda scope: {},
        "wrong key": lambda scope: {"X-API-Key": "cible-not-a-key"},
        "wrong bearer": lambda scope: {"Authorization": "Bearer cible-not-a-key"},
        "lacking scope": lambda scope: {"X-API-Key": keys.lacking(scope)},
        "right scope": lambda scope: {"X-API-Key": keys.for_scope(scope)},
        "right scope, bearer": lambda scope: {"Authorization": f"Bearer {keys.for_scope(scope)}"},
        "admin": lambda scope: {"X-API-Key": keys.admin},
    }
    expected, actual = [], []
    for method, path, scope in protected_routes(client):
        assert scope is not None, f"{method} {path} has no scope"
        for case, headers in cases.items():
            status = call(client, method, path, headers(scope))
            want = {"no key": 401, "wrong key": 401, "wrong bearer": 401, "lacking scope": 403}
            row = (method, path, case)
            expected.append((*row, want.get(case, "allowed")))
            actual.append((*row, status if status in (401, 403) else "allowed"))
    assert len(actual) == len(EXPECTED_SCOPES) * len(cases)
    assert actual == expected


def test_401_carries_a_challenge_and_the_error_shape(client: TestClient) -> None:
    r = client.get("/v1/segments")
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith('Bearer realm="cible"')
    assert r.json() == {
        "error": "unauthorized",
        "message": "an API key is required (X-API-Key header)",
        "fields": [],
    }
    r = client.get("/v1/segments", headers={"X-API-Key": "nope"})
    assert r.json()["message"] == "unknown or revoked API key"


def test_403_names_the_missing_scope(client: TestClient, keys: Keys) -> None:
    r = client.post("/v1/models", json={"run_dir": "x"}, headers={"X-API-Key": keys.read_write})
    assert r.status_code == 403
    assert r.json()["message"] == "this key's scopes ['read', 'write'] do not include 'admin'"


@pytest.mark.parametrize("path", sorted(OPEN))
def test_health_and_ready_need_no_key(client: TestClient, path: str) -> None:
    if path == "/v1/webhooks/crm":
        assert client.post(path, content=b"{}").status_code == 409  # no secret configured
        return
    assert client.get(path).status_code in (200, 503)


# routes anyone may call: liveness/readiness and the documentation of the API (no data in them)
PUBLIC = {
    "/health",
    "/ready",
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/v1/webhooks/crm",  # HMAC-signed (test_collector.py)
}


def all_routes(routes: list[object]) -> list[object]:
    """Every route object of the app, whatever its class (APIRoute, starlette Route, Mount...),
    included routers walked: a route added any other way than a FastAPI router is seen too."""
    found: list[object] = []
    for route in routes:
        inner = getattr(route, "original_router", None) or getattr(route, "app", None)
        sub = getattr(inner, "routes", None)
        if sub is not None and not hasattr(route, "endpoint"):
            found += all_routes(list(sub))
        else:
            found.append(route)
    return found


def test_every_route_of_the_app_is_public_by_name_or_declares_a_scope(client: TestClient) -> None:
    from fastapi.routing import APIRoute

    unscoped = []
    for route in all_routes(list(client.app.routes)):  # type: ignore[attr-defined]
        path = getattr(route, "path", repr(route))
        if path in PUBLIC:
            continue
        if not isinstance(route, APIRoute) or route_scope(route) is None:
            unscoped.append(path)
    assert unscoped == []
    paths = {getattr(r, "path", "") for r in all_routes(list(client.app.routes))}  # type: ignore[attr-defined]
    assert paths >= PUBLIC  # the allow-list names real routes, nothing stale


def test_a_new_route_without_a_scope_fails_the_table(client: TestClient) -> None:
    app = client.app

    @app.get("/v1/forgotten")  # type: ignore[attr-defined,misc]
    def forgotten() -> dict[str, str]:
        return {}

    try:
        with pytest.raises(AssertionError):
            test_every_route_of_the_app_is_public_by_name_or_declares_a_scope(client)
        with pytest.raises(AssertionError):
            test_every_route_declares_its_scope(client)
    finally:
        app.router.routes.pop()  # type: ignore[attr-defined]
