"""Validation errors: 422 with ``fields: [{field, reason}]`` naming each bad field and the rule;
the rejected values are never echoed back."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.unit.api.conftest import Keys, make_app

EVENT = {
    "event_id": "ev-1",
    "customer_id": "C1",
    "event_type": "purchase",
    "timestamp": "2026-06-01T10:00:00+00:00",
    "amount": 12.5,
    "order_id": "O1",
}


def fields(body: dict[str, Any]) -> dict[str, str]:
    return {f["field"]: f["reason"] for f in body["fields"]}


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"event_id": None}, "body.event_id", "Field required"),
        ({"event_type": "teleport"}, "body.event_type", "'teleport' is not one of purchase, "),
        ({"timestamp": "2026-06-01T10:00:00"}, "body.timestamp", "a naive timestamp is refused"),
        ({"timestamp": "yesterday"}, "body.timestamp", "Input should be a valid datetime"),
        ({"amount": "12,5"}, "body.amount", "str is not a finite decimal amount"),
        ({"colour": "red"}, "body.colour", "Extra inputs are not permitted"),
    ],
)
def test_a_bad_event_is_422_naming_the_field(
    client: TestClient, keys: Keys, change: dict[str, Any], field: str, reason: str
) -> None:
    event = {k: v for k, v in {**EVENT, **change}.items() if v is not None}
    r = client.post("/v1/events", json=event, headers={"X-API-Key": keys.write})
    assert r.status_code == 422
    body = r.json()
    assert body["error"] == "invalid"
    assert list(fields(body)) == [field]
    assert reason in fields(body)[field]


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({"gender": "robot"}, "body.gender", "Input should be 'female', 'male', 'other' or"),
        ({"birth_date": "31/02/1990"}, "body.birth_date", "valid date"),
        ({"consent_email": "maybe"}, "body.consent_email", "valid boolean"),
        ({"shoe_size": 42}, "body.shoe_size", "Extra inputs are not permitted"),
    ],
)
def test_a_bad_customer_is_422_naming_the_field(
    client: TestClient, keys: Keys, body: dict[str, Any], field: str, reason: str
) -> None:
    r = client.put("/v1/customers/C1", json=body, headers={"X-API-Key": keys.write})
    assert r.status_code == 422
    assert list(fields(r.json())) == [field]
    assert reason in fields(r.json())[field]


def test_a_rejected_email_is_not_echoed(client: TestClient, keys: Keys) -> None:
    email = "x" * 400 + "@example.com"
    r = client.put("/v1/customers/C1", json={"email": email}, headers={"X-API-Key": keys.write})
    assert r.status_code == 422
    assert list(fields(r.json())) == ["body.email"]
    assert "example.com" not in r.text


@pytest.mark.parametrize(("limit", "status"), [(0, 422), (1001, 422), ("ten", 422)])
def test_page_size_outside_1_to_1000_is_422(
    client: TestClient, keys: Keys, limit: object, status: int
) -> None:
    r = client.get(f"/v1/segments/1/members?limit={limit}", headers={"X-API-Key": keys.read})
    assert r.status_code == status
    assert list(fields(r.json())) == ["query.limit"]


def test_a_batch_over_the_limit_is_422_naming_it(store: Any, keys: Keys) -> None:
    with TestClient(make_app(store, batch_max=2)) as c:
        events = [{**EVENT, "event_id": f"e{i}"} for i in range(3)]
        r = c.post("/v1/events/batch", json={"events": events}, headers={"X-API-Key": keys.write})
        assert r.status_code == 422
        assert fields(r.json()) == {"events": "3 events in one batch; at most 2"}
        customers = [{"customer_id": f"C{i}"} for i in range(3)]
        r = c.post(
            "/v1/customers/batch", json={"customers": customers}, headers={"X-API-Key": keys.write}
        )
        assert fields(r.json()) == {"customers": "3 customers in one batch; at most 2"}
        # exactly at the limit: accepted
        r = c.post(
            "/v1/customers/batch",
            json={"customers": customers[:2]},
            headers={"X-API-Key": keys.write},
        )
        assert r.status_code == 200 and r.json() == {"written": 2}


def test_a_body_that_is_not_json_is_422(client: TestClient, keys: Keys) -> None:
    r = client.post(
        "/v1/events",
        content=b"{not json",
        headers={"X-API-Key": keys.write, "Content-Type": "application/json"},
    )
    assert r.status_code == 422
    assert r.json()["error"] == "invalid"


def test_text_that_no_database_can_store_is_422(client: TestClient, keys: Keys) -> None:
    """A NUL character or a lone surrogate (PostgreSQL refuses both) is a client error naming
    the field, never a 503 from the store."""
    w = {"X-API-Key": keys.write}
    r = client.put("/v1/customers/C1", json={"city": "Ly\x00on"}, headers=w)
    assert fields(r.json()) == {"body.city": "Value error, contains a NUL character"}
    lone = b'{"last_name": "\\udaa1x"}'  # JSON escape of a lone surrogate
    r = client.put(
        "/v1/customers/C1", content=lone, headers={**w, "Content-Type": "application/json"}
    )
    assert fields(r.json()) == {  # pydantic's JSON parser refuses it first
        "body.last_name": "Input should be a valid string, unable to parse raw data as a unicode "
        "string"
    }
    r = client.post("/v1/events", json={**EVENT, "event_id": "e\x00"}, headers=w)
    assert r.status_code == 422 and list(fields(r.json())) == ["body.event_id"]
    r = client.get("/v1/customers/a%00b/profile", headers={"X-API-Key": keys.read})
    assert fields(r.json()) == {"path.customer_id": "Value error, contains a NUL character"}
    batch = {"events": [{**EVENT, "event_id": "ok-1"}, {**EVENT, "event_id": "bad\x00"}]}
    r = client.post("/v1/events/batch", json=batch, headers=w)
    assert [(x["status"], x["field"], x["reason"]) for x in r.json()["results"]] == [
        ("applied", None, None),
        ("rejected", "event_id", "Value error, contains a NUL character"),
    ]
