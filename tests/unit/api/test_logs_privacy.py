"""The service's own log lines: one JSON line per request with the route template, and never a
customer's e-mail or phone, even after upserting them and reading the profile."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.unit.api.conftest import Keys, make_app

EMAIL = "ann.martin@example.org"
PHONE = "+33612345678"


def test_email_and_phone_never_reach_the_logs(
    published: Any, keys: Keys, capsys: pytest.CaptureFixture[str]
) -> None:
    customer_id = published.customer_ids[0]
    with TestClient(make_app(published.store, log_level="debug")) as c:
        w = {"X-API-Key": keys.write}
        body = {"email": EMAIL, "phone": PHONE, "first_name": "Ann", "last_name": "Martin"}
        assert c.put(f"/v1/customers/{customer_id}", json=body, headers=w).status_code == 200
        batch = {"customers": [{"customer_id": "C-new-1", "email": EMAIL, "phone": PHONE}]}
        assert c.post("/v1/customers/batch", json=batch, headers=w).status_code == 200
        bad = {"email": EMAIL, "gender": "robot"}
        assert c.put(f"/v1/customers/{customer_id}", json=bad, headers=w).status_code == 422
        r = c.get(f"/v1/customers/{customer_id}/profile", headers={"X-API-Key": keys.read})
        assert r.status_code == 200
        assert EMAIL not in r.text and PHONE not in r.text
    err = capsys.readouterr().err
    lines = [json.loads(x) for x in err.splitlines() if x.startswith("{")]
    requests = [x for x in lines if x.get("logger") == "cible.api.access"]
    assert [(x["method"], x["route"], x["status"]) for x in requests] == [
        ("PUT", "/v1/customers/{customer_id}", 200),
        ("POST", "/v1/customers/batch", 200),
        ("PUT", "/v1/customers/{customer_id}", 422),
        ("GET", "/v1/customers/{customer_id}/profile", 200),
    ]
    assert {x["key"] for x in requests} == {k.split("_")[1] for k in (keys.write, keys.read)}
    assert all(isinstance(x["duration_ms"], float) for x in requests)
    for needle in (EMAIL, "ann.martin", PHONE, PHONE[1:], "612345678", "Martin", customer_id):
        assert needle not in err, needle


def test_an_unmatched_path_is_logged_without_its_text(
    store: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    with TestClient(make_app(store)) as c:
        assert c.get("/v2/ann.martin@example.org").status_code == 404
        assert c.get("/v1/customers/ann.martin@example.org").status_code == 405  # PUT only
        assert c.get("/openapi.json").status_code == 200
    err = capsys.readouterr().err
    routes = [
        (x["route"], x["status"])
        for x in map(json.loads, (line for line in err.splitlines() if line.startswith("{")))
        if x.get("logger") == "cible.api.access"
    ]
    assert routes == [
        ("(unmatched)", 404),
        ("/v1/customers/{customer_id}", 405),
        ("/openapi.json", 200),
    ]
    assert "ann.martin" not in err
