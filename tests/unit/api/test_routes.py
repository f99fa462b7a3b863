"""The routes against a real store with a published model: profile, events, customers,
segments, health and readiness, the store-unavailable mapping."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.unit.api.conftest import Keys, Published, make_app


@pytest.fixture
def api(published: Published) -> Any:
    with TestClient(make_app(published.store)) as c:
        yield c


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def event(event_id: str, customer_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "customer_id": customer_id,
        "event_type": "purchase",
        "timestamp": now_iso(),
        "amount": 100.0,
        "order_id": f"O-{event_id}",
        **extra,
    }


def test_health_is_ok_without_a_key(client: TestClient) -> None:
    r = client.get("/health")
    assert (r.status_code, r.json()) == (200, {"status": "ok"})


def test_ready_is_503_until_a_model_is_published(client: TestClient) -> None:
    r = client.get("/ready")
    assert r.status_code == 503
    assert r.json() == {
        "ready": False,
        "database": "ok",
        "model_version": None,
        "reason": "no segment model is published yet",
    }


def test_ready_once_published(api: TestClient) -> None:
    r = api.get("/ready")
    assert (r.status_code, r.json()) == (
        200,
        {"ready": True, "database": "ok", "model_version": 1, "reason": None},
    )


def test_an_unknown_customer_is_404(api: TestClient, keys: Keys) -> None:
    r = api.get("/v1/customers/nobody/profile", headers={"X-API-Key": keys.read})
    assert r.status_code == 404
    assert r.json() == {
        "error": "not_found",
        "message": "customer 'nobody' has no profile in the store",
        "fields": [],
    }


def test_profile_content_matches_the_store(
    api: TestClient, keys: Keys, published: Published
) -> None:
    customer_id = published.customer_ids[0]
    stored = published.store.get_profile(customer_id)
    assert stored is not None
    r = api.get(f"/v1/customers/{customer_id}/profile", headers={"X-API-Key": keys.read})
    assert r.status_code == 200
    body = r.json()
    assert body["customer_id"] == customer_id
    assert body["model_version"] == 1
    assert body["segment"] == {"segment_id": stored.segment_id, "name": stored.segment_name}
    assert set(body["features"]) == set(stored.features) and body["features"]
    assert [(h["segment_id"], h["model_version"], h["valid_to"]) for h in body["history"]] == [
        (stored.segment_id, 1, None)
    ]


def test_ingesting_events_updates_the_profile(
    api: TestClient, keys: Keys, published: Published
) -> None:
    customer_id = published.customer_ids[1]
    w, r = {"X-API-Key": keys.write}, {"X-API-Key": keys.read}
    before = api.get(f"/v1/customers/{customer_id}/profile", headers=r).json()
    first = api.post("/v1/events", json=event("live-1", customer_id), headers=w)
    assert first.status_code == 200
    assert first.json()["status"] == "applied"
    again = api.post("/v1/events", json=event("live-1", customer_id), headers=w)
    assert again.json() == {"event_id": "live-1", "status": "duplicate", "changes": []}
    after = api.get(f"/v1/customers/{customer_id}/profile", headers=r).json()
    assert after["aggregates"] != before["aggregates"]
    assert after["updated_at"] >= before["updated_at"]


def test_a_batch_reports_each_event(api: TestClient, keys: Keys, published: Published) -> None:
    customer_id = published.customer_ids[2]
    w = {"X-API-Key": keys.write}
    assert api.post("/v1/events", json=event("b-0", customer_id), headers=w).status_code == 200
    batch = [
        event("b-1", customer_id),
        event("b-0", customer_id),  # already processed
        {"event_id": "b-2", "customer_id": customer_id, "event_type": "teleport"},
        event("b-3", customer_id, event_type="page_view", amount=None, order_id=None),
    ]
    r = api.post("/v1/events/batch", json={"events": batch}, headers=w)
    assert r.status_code == 200
    body = r.json()
    assert (body["applied"], body["duplicates"], body["rejected"]) == (2, 1, 1)
    assert [(x["index"], x["event_id"], x["status"]) for x in body["results"]] == [
        (0, "b-1", "applied"),
        (1, "b-0", "duplicate"),
        (2, "b-2", "rejected"),
        (3, "b-3", "applied"),
    ]
    rejected = body["results"][2]
    assert rejected["field"] in ("event_type", "timestamp") and rejected["reason"]


def test_upsert_customers(api: TestClient, keys: Keys) -> None:
    w = {"X-API-Key": keys.write}
    r = api.put("/v1/customers/NEW-1", json={"city": "Lyon", "consent_email": True}, headers=w)
    assert (r.status_code, r.json()) == (200, {"written": 1})
    batch = {"customers": [{"customer_id": "NEW-2"}, {"customer_id": "NEW-3", "gender": "female"}]}
    r = api.post("/v1/customers/batch", json=batch, headers=w)
    assert (r.status_code, r.json()) == (200, {"written": 2})


def test_segments_with_their_sizes(api: TestClient, keys: Keys, published: Published) -> None:
    r = api.get("/v1/segments", headers={"X-API-Key": keys.read})
    assert r.status_code == 200
    body = r.json()
    assert body["model_version"] == 1
    assert {s["segment_id"]: s["size"] for s in body["segments"]} == published.sizes
    assert sum(published.sizes.values()) == len(published.customer_ids)
    assert all(s["name"] and s["model_version"] == 1 for s in body["segments"])


def test_the_store_unavailable_is_503(
    api: TestClient, keys: Keys, published: Published, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cible.store import StoreError

    def down(*args: object, **kwargs: object) -> None:
        raise StoreError("database at sqlite:///x.db is unreachable")

    monkeypatch.setattr(published.store, "list_segments", down)
    r = api.get("/v1/segments", headers={"X-API-Key": keys.read})
    assert r.status_code == 503
    assert r.headers["retry-after"] == "5"
    assert r.json() == {
        "error": "unavailable",
        "message": "the profile store is unavailable",
        "fields": [],
    }
    monkeypatch.setattr(published.store, "health", down)
    ready = api.get("/ready")
    assert ready.status_code == 503 and ready.json()["database"] == "unreachable"
