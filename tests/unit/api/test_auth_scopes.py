"""The scope checks themselves, on a small app built in the test (so the dependencies are made
while the test runs): each scope against each route scope, the key headers and their order, the
write key of the collector (basic auth, headers, ``?writeKey=``/``?key=``), the key cache, and the
scope of nested dependencies."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from cible.api.auth import (
    CHALLENGE,
    WRITE_KEY_CHALLENGE,
    Principal,
    allows,
    api_routes,
    require,
    require_write_key,
    route_scope,
)
from cible.services.live import key_digest

KEYS = {
    "cible_r1_secret": frozenset({"read"}),
    "cible_w1_secret": frozenset({"write"}),
    "cible_a1_secret": frozenset({"admin"}),
    "cible_rw1_secret": frozenset({"read", "write"}),
}


class Cache:
    def __init__(self, cached: dict[str, frozenset[str] | None]) -> None:
        self.cached = cached

    def get(self, digest: str) -> tuple[bool, frozenset[str] | None]:
        if digest in self.cached:
            return True, self.cached[digest]
        return False, None


class Service:
    def __init__(self, cached: dict[str, frozenset[str] | None] | None = None) -> None:
        self.keys = Cache(cached or {})
        self.verified: list[str] = []

    def verify_key(self, key: str) -> frozenset[str] | None:
        self.verified.append(key)
        return KEYS.get(key)


def _app(service: Service) -> TestClient:
    app = FastAPI()
    app.state.service = service

    def show(p: Principal) -> dict[str, Any]:
        return {"key_id": p.key_id, "scopes": sorted(p.scopes)}

    for scope in ("read", "write", "admin"):
        dep = require(scope)

        def endpoint(p: Principal = dep) -> dict[str, Any]:
            return show(p)

        app.add_api_route(f"/{scope}", endpoint, methods=["GET"])

    with_query, headers_only = require_write_key(query=True), require_write_key()

    def collector(p: Principal = with_query) -> dict[str, Any]:
        return show(p)

    def no_query(p: Principal = headers_only) -> dict[str, Any]:
        return show(p)

    app.add_api_route("/collect", collector, methods=["GET"])
    app.add_api_route("/collect-headers", no_query, methods=["GET"])
    return TestClient(app)


@pytest.mark.parametrize(
    ("scopes", "expected"),
    [
        (set(), [False, False, False]),
        ({"read"}, [True, False, False]),
        ({"write"}, [False, True, False]),
        ({"read", "write"}, [True, True, False]),
        ({"admin"}, [True, True, True]),
    ],
)
def test_allows_each_scope_and_admin_implies_every_other(
    scopes: set[str], expected: list[bool]
) -> None:
    assert [allows(frozenset(scopes), s) for s in ("read", "write", "admin")] == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("key", "codes"),
    [
        ("cible_r1_secret", [200, 403, 403]),
        ("cible_w1_secret", [403, 200, 403]),
        ("cible_rw1_secret", [200, 200, 403]),
        ("cible_a1_secret", [200, 200, 200]),
        ("cible_zz_unknown", [401, 401, 401]),
    ],
)
def test_each_key_on_each_route_scope(key: str, codes: list[int]) -> None:
    client = _app(Service())
    got = [client.get(f"/{s}", headers={"X-API-Key": key}).status_code for s in KEYS_ORDER]
    assert got == codes
    got = [
        client.get(f"/{s}", headers={"Authorization": f"Bearer {key}"}).status_code
        for s in KEYS_ORDER
    ]
    assert got == codes


KEYS_ORDER = ("read", "write", "admin")


def test_the_principal_carries_the_key_id_and_its_scopes_and_401_the_challenge() -> None:
    client = _app(Service())
    r = client.get("/read", headers={"Authorization": "Bearer cible_rw1_secret"})
    assert r.json() == {"key_id": "rw1", "scopes": ["read", "write"]}
    r = client.get("/admin", headers={"X-API-Key": "cible_a1_secret"})
    assert r.json() == {"key_id": "a1", "scopes": ["admin"]}
    missing = client.get("/read")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == CHALLENGE["WWW-Authenticate"]
    unknown = client.get("/read", headers={"X-API-Key": "nope"})
    assert unknown.status_code == 401
    assert unknown.headers["www-authenticate"] == CHALLENGE["WWW-Authenticate"]
    forbidden = client.get("/admin", headers={"X-API-Key": "cible_r1_secret"})
    assert forbidden.status_code == 403
    assert "www-authenticate" not in forbidden.headers
    assert "['read'] do not include 'admin'" in forbidden.text


def test_x_api_key_wins_over_bearer_and_an_empty_header_is_no_key() -> None:
    client = _app(Service())
    both = {"X-API-Key": "cible_a1_secret", "Authorization": "Bearer cible_r1_secret"}
    assert client.get("/admin", headers=both).json()["key_id"] == "a1"
    assert client.get("/read", headers={"X-API-Key": ""}).status_code == 401


def test_a_cached_key_is_not_verified_again_and_a_cached_revocation_is_401() -> None:
    service = Service(
        {key_digest("cible_c1_cached"): frozenset({"read"}), key_digest("cible_r1_secret"): None}
    )
    client = _app(service)
    assert client.get("/read", headers={"X-API-Key": "cible_c1_cached"}).json() == {
        "key_id": "c1",
        "scopes": ["read"],
    }
    assert client.get("/read", headers={"X-API-Key": "cible_r1_secret"}).status_code == 401
    assert service.verified == []
    assert client.get("/read", headers={"X-API-Key": "cible_w1_secret"}).status_code == 403
    assert service.verified == ["cible_w1_secret"]


def _basic(user: str, password: str = "") -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_the_write_key_from_basic_auth_headers_and_the_query() -> None:
    client = _app(Service())
    assert client.get("/collect", headers=_basic("cible_w1_secret")).json()["key_id"] == "w1"
    assert (
        client.get("/collect", headers={"X-API-Key": "cible_rw1_secret"}).json()["key_id"] == "rw1"
    )
    bearer = {"Authorization": "Bearer cible_a1_secret"}
    assert client.get("/collect", headers=bearer).json()["key_id"] == "a1"
    assert client.get("/collect?writeKey=cible_w1_secret").json()["key_id"] == "w1"
    assert client.get("/collect?key=cible_a1_secret").json()["key_id"] == "a1"
    assert client.get("/collect?writeKey=cible_w1_secret&key=cible_a1_secret").json() == {
        "key_id": "w1",
        "scopes": ["write"],
    }
    # basic auth wins over the header, the header over the query
    over = _basic("cible_w1_secret") | {"X-API-Key": "cible_a1_secret"}
    assert client.get("/collect", headers=over).json()["key_id"] == "w1"
    header_first = client.get(
        "/collect?writeKey=cible_a1_secret", headers={"X-API-Key": "cible_w1_secret"}
    )
    assert header_first.json()["key_id"] == "w1"
    read_only = client.get("/collect", headers=_basic("cible_r1_secret"))
    assert read_only.status_code == 403
    none = client.get("/collect")
    assert none.status_code == 401
    assert none.headers["www-authenticate"] == WRITE_KEY_CHALLENGE["WWW-Authenticate"]
    # without query=True the query string is not read
    assert client.get("/collect-headers?writeKey=cible_w1_secret").status_code == 401
    assert client.get("/collect-headers", headers=_basic("cible_w1_secret")).status_code == 200


def test_route_scope_reads_nested_dependencies_after_unscoped_ones() -> None:
    app = FastAPI()

    def plain() -> int:
        return 1

    admin = require("admin")

    def outer(p: Principal = admin) -> Principal:
        return p

    app.add_api_route("/open", plain, methods=["GET"])
    app.add_api_route(
        "/listed", plain, methods=["GET"], dependencies=[require("write"), Depends(plain)]
    )
    app.add_api_route("/nested", plain, methods=["GET"], dependencies=[Depends(outer)])
    app.add_api_route("/collect", plain, methods=["GET"], dependencies=[require_write_key()])
    scopes = {r.path: route_scope(r) for r in api_routes(app.routes)}
    assert scopes == {"/open": None, "/listed": "write", "/nested": "admin", "/collect": "write"}
