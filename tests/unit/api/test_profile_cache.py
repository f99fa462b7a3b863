"""The profile cache in front of the store: writes through this process invalidate at once,
writes by another process (the consumer) show once announced (PostgreSQL) or after the TTL; the
cache-only fast path answers byte for byte what the app answers, and only to a key the app
already accepted for ``read``."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from tests.unit.api.conftest import Keys, Published, make_app


def live_event(event_id: str, customer_id: str) -> Any:
    from cible.store import LiveEvent

    return LiveEvent.parse(
        {
            "event_id": event_id,
            "customer_id": customer_id,
            "event_type": "purchase",
            "timestamp": datetime.now(UTC).isoformat(),
            "amount": 50.0,
            "order_id": f"O-{event_id}",
        }
    )


def _changed(client: TestClient, url: str, h: dict[str, str], before: bytes) -> bytes:
    """The answer once it differs from ``before`` (polled; at most 30 s on a loaded machine)."""
    deadline = time.monotonic() + 30
    while True:
        body = client.get(url, headers=h).content
        if body != before or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


def test_another_process_write_shows_when_announced_or_after_the_ttl(
    published: Published, keys: Keys
) -> None:
    customer_id = published.customer_ids[3]
    url, h = f"/v1/customers/{customer_id}/profile", {"X-API-Key": keys.read}
    postgresql = published.store.engine.dialect.name == "postgresql"
    with TestClient(make_app(published.store, profile_cache_ttl_s=3600)) as cached:
        service = cached.app.state.service  # type: ignore[attr-defined]
        first = cached.get(url, headers=h).content
        published.store.apply_events([live_event("other-process-1", customer_id)])
        if postgresql:  # the commit's NOTIFY drops the cached profile
            fresh = _changed(cached, url, h, first)
        else:  # SQLite has no change feed: stale within the TTL
            assert cached.get(url, headers=h).content == first
            service.profiles.clear()  # what the TTL's expiry does
            fresh = cached.get(url, headers=h).content
        assert fresh != first
    with TestClient(make_app(published.store, profile_cache_ttl_s=0)) as uncached:
        assert uncached.get(url, headers=h).content == fresh
        published.store.apply_events([live_event("other-process-2", customer_id)])
        assert uncached.get(url, headers=h).content != fresh


def test_a_write_through_the_api_invalidates_at_once(published: Published, keys: Keys) -> None:
    customer_id = published.customer_ids[4]
    url = f"/v1/customers/{customer_id}/profile"
    with TestClient(make_app(published.store, profile_cache_ttl_s=3600)) as c:
        first = c.get(url, headers={"X-API-Key": keys.read}).content
        body = {
            "event_id": "via-api-1",
            "customer_id": customer_id,
            "event_type": "purchase",
            "timestamp": datetime.now(UTC).isoformat(),
            "amount": 20.0,
            "order_id": "O-via-api-1",
        }
        assert c.post("/v1/events", json=body, headers={"X-API-Key": keys.write}).status_code == 200
        assert c.get(url, headers={"X-API-Key": keys.read}).content != first


def test_the_fast_path_answers_what_the_app_answers(published: Published, keys: Keys) -> None:
    customer_id = published.customer_ids[5]
    url = f"/v1/customers/{customer_id}/profile"
    with TestClient(make_app(published.store, profile_cache_ttl_s=3600)) as c:
        service = c.app.state.service  # type: ignore[attr-defined]
        slow = c.get(url, headers={"X-API-Key": keys.read})  # fills both caches
        hits = service.profiles.hits
        fast = c.get(url, headers={"Authorization": f"Bearer {keys.read}"})
        fast2 = c.get(url, headers={"X-API-Key": keys.read})
        assert service.profiles.hits > hits
        assert fast.status_code == fast2.status_code == slow.status_code == 200
        assert fast.content == fast2.content == slow.content
        assert fast.headers["content-type"] == slow.headers["content-type"] == "application/json"
        assert fast.headers["content-length"] == slow.headers["content-length"]
        # a cached profile is no way around auth
        assert c.get(url).status_code == 401
        assert c.get(url, headers={"X-API-Key": "cible-not-a-key"}).status_code == 401
        c.get("/v1/segments", headers={"X-API-Key": keys.write})  # caches the write-only key
        assert c.get(url, headers={"X-API-Key": keys.write}).status_code == 403
