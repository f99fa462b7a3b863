"""Rate limits per key (token bucket, 429 + Retry-After at exactly the burst boundary), security
headers on every response, CORS closed unless origins are configured."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from cible.api.guard import TokenBuckets
from cible.store import ProfileStore
from tests.unit.api.conftest import Keys, make_app


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_exactly_the_burst_then_refills_at_the_rate() -> None:
    clock = Clock()
    buckets = TokenBuckets(2.0, 3, clock=clock)
    assert [buckets.take("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("k") == pytest.approx(0.5)  # one token comes back in 1 / 2 s
    clock.now += 0.25  # half a token: still refused, a quarter second to go
    assert buckets.take("k") == pytest.approx(0.25)
    clock.now += 0.25  # exactly one token
    assert buckets.take("k") == 0.0
    assert buckets.take("k") == pytest.approx(0.5)
    assert buckets.take("other") == 0.0  # buckets are per identity
    clock.now += 60  # refill is capped at the burst
    assert [buckets.take("k") for _ in range(4)][-1] > 0


def test_bucket_table_is_bounded() -> None:
    buckets = TokenBuckets(1.0, 1, max_buckets=10, clock=Clock())
    for i in range(25):
        buckets.take(f"k{i}")
    assert len(buckets) == 10


@pytest.mark.parametrize(("rate", "burst"), [(0.0, 1), (1.0, 0)])
def test_bucket_refuses_a_zero_rate_or_burst(rate: float, burst: int) -> None:
    with pytest.raises(ValueError, match="must be > 0"):
        TokenBuckets(rate, burst)


def test_the_api_answers_429_on_the_request_after_the_burst(
    store: ProfileStore, keys: Keys
) -> None:
    # 0.001/s: no token comes back within the test
    app = make_app(store, rate_limit_per_s=0.001, rate_limit_burst=3)
    with TestClient(app) as c:
        read = {"X-API-Key": keys.read}
        statuses = [c.get("/v1/segments", headers=read).status_code for _ in range(3)]
        assert statuses == [200, 200, 200]
        r = c.get("/v1/segments", headers=read)
        assert r.status_code == 429
        assert r.headers["retry-after"] == "1000"
        assert r.json() == {
            "error": "rate_limited",
            "message": "rate limit of 0.001/s (burst 3) reached for this key: retry in 1000 s",
            "fields": [],
        }
        assert r.headers["x-content-type-options"] == "nosniff"
        # another key has its own bucket; open routes are not limited
        assert c.get("/v1/segments", headers={"X-API-Key": keys.admin}).status_code == 200
        assert [c.get("/health").status_code for _ in range(5)] == [200] * 5
        # keyless callers share a bucket per address: the 4th gets 429, not 401
        assert [c.get("/v1/segments").status_code for _ in range(4)] == [401, 401, 401, 429]


def test_no_rate_limit_by_default(client: TestClient, keys: Keys) -> None:
    read = {"X-API-Key": keys.read}
    assert {client.get("/v1/segments", headers=read).status_code for _ in range(60)} == {200}


EXPECTED_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "content-security-policy": "frame-ancestors 'none'",
    "referrer-policy": "no-referrer",
}


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/health", False),
        ("/docs", False),
        ("/openapi.json", False),
        ("/v1/segments", False),
        ("/v1/segments", True),
        ("/v1/customers/nobody/profile", True),
        ("/nowhere", False),
    ],
)
def test_security_headers_on_every_response(
    client: TestClient, keys: Keys, path: str, key: bool
) -> None:
    r = client.get(path, headers={"X-API-Key": keys.admin} if key else {})
    assert {h: r.headers.get(h) for h in EXPECTED_HEADERS} == EXPECTED_HEADERS
    assert "strict-transport-security" not in r.headers  # plain http
    assert (r.headers.get("cache-control") == "no-store") is path.startswith("/v1/")


def test_hsts_over_https(store: ProfileStore) -> None:
    with TestClient(make_app(store), base_url="https://testserver") as c:
        r = c.get("/health")
    assert r.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


def test_security_headers_on_the_cached_fast_path(client: TestClient, published: object) -> None:
    key = published.store.create_api_key(["read"], name="fast")  # type: ignore[attr-defined]
    first = client.get("/v1/customers/C00001/profile", headers={"X-API-Key": key})
    again = client.get("/v1/customers/C00001/profile", headers={"X-API-Key": key})
    assert first.status_code == again.status_code == 200
    assert again.headers["x-frame-options"] == "DENY"
    assert again.headers["cache-control"] == "no-store"


def test_cors_is_closed_by_default(client: TestClient) -> None:
    r = client.options(
        "/v1/segments",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in r.headers


def test_cors_allows_only_the_configured_origins(store: ProfileStore) -> None:
    app = make_app(store, cors_origins=("https://app.example",))
    with TestClient(app) as c:
        preflight = {"Access-Control-Request-Method": "GET"}
        ok = c.options("/v1/segments", headers={"Origin": "https://app.example", **preflight})
        bad = c.options("/v1/segments", headers={"Origin": "https://evil.example", **preflight})
    assert ok.headers["access-control-allow-origin"] == "https://app.example"
    assert "access-control-allow-origin" not in bad.headers
