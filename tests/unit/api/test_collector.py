"""The Segment-spec collector against a real store with a published model: every route, the
write key as basic auth, gzip bodies, identity stitching, the pixel and the signed CRM webhook."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cible.config.service import ServiceSettings
from cible.exceptions import ConfigError
from cible.services.collector import gzip_json
from cible.services.webhooks import PIXEL_GIF, signature
from tests.unit.api.conftest import Keys, Published, make_app

SECRET = "a-long-webhook-secret-0123"
TS = "2024-03-02T10:00:00Z"


@pytest.fixture
def api(published: Published) -> Any:
    with TestClient(make_app(published.store, webhook_secret=SECRET)) as c:
        yield c


def basic(key: str) -> dict[str, str]:
    """What the SDKs send: the write key as basic-auth username, an empty password."""
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def order(mid: str, who: dict[str, str], revenue: float = 500.0) -> dict[str, Any]:
    return {
        "type": "track",
        "event": "Order Completed",
        "messageId": mid,
        "timestamp": TS,
        "properties": {"order_id": f"O-{mid}", "revenue": revenue, "currency": "EUR"},
        **who,
    }


def profile(api: TestClient, keys: Keys, customer_id: str) -> dict[str, Any]:
    r = api.get(f"/v1/customers/{customer_id}/profile", headers={"X-API-Key": keys.read})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_track_order_completed_is_a_purchase(api: TestClient, keys: Keys) -> None:
    r = api.post("/v1/track", json=order("m1", {"userId": "U1"}), headers=basic(keys.write))
    assert r.status_code == 200
    body = r.json()
    assert (body["success"], body["applied"], body["rejected"]) == (True, 1, 0)
    assert body["results"][0]["message_id"] == "m1"
    assert body["changes"][0]["segment_name"] == "Big"
    p = profile(api, keys, "U1")
    assert p["aggregates"]["gross_micros"] == 500_000_000
    assert p["aggregates"]["frequency"] == 1


def test_refund_is_negative_and_a_repeated_message_is_a_duplicate(
    api: TestClient, keys: Keys
) -> None:
    api.post("/v1/track", json=order("m1", {"userId": "U1"}), headers=basic(keys.write))
    refund = {**order("m2", {"userId": "U1"}, 40.0), "event": "Order Refunded"}
    assert api.post("/v1/track", json=refund, headers=basic(keys.write)).json()["applied"] == 1
    again = api.post("/v1/track", json=refund, headers=basic(keys.write)).json()
    assert (again["applied"], again["duplicates"]) == (0, 1)
    assert profile(api, keys, "U1")["aggregates"]["refunded_micros"] == -40_000_000


@pytest.mark.parametrize(("kind", "channel"), [("page", "web"), ("screen", "app")])
def test_page_and_screen_are_page_views(
    api: TestClient, keys: Keys, published: Published, kind: str, channel: str
) -> None:
    msg = {"userId": "U2", "name": "Home", "messageId": f"{kind}-1", "timestamp": TS}
    r = api.post(f"/v1/{kind}", json=msg, headers=basic(keys.write))
    assert (r.status_code, r.json()["applied"]) == (200, 1)
    assert profile(api, keys, "U2")["segment"]["name"] == "Prospects"
    assert profile(api, keys, "U2")["aggregates"]["first_event"] == "2024-03-02T10:00:00+00:00"


def test_a_cible_event_type_is_accepted_as_a_track_name(api: TestClient, keys: Keys) -> None:
    msg = {"userId": "U3", "event": "cart_add", "messageId": "c1", "timestamp": TS}
    assert api.post("/v1/track", json=msg, headers=basic(keys.write)).json()["applied"] == 1


def test_an_unknown_track_name_is_422_naming_the_field(api: TestClient, keys: Keys) -> None:
    msg = {"userId": "U3", "event": "Video Played", "messageId": "v1", "timestamp": TS}
    r = api.post("/v1/track", json=msg, headers=basic(keys.write))
    assert r.status_code == 422
    assert r.json()["fields"][0]["field"] == "event"
    assert "'Video Played' is neither a Segment spec event" in r.json()["message"]


def test_identify_writes_traits_merged_over_the_stored_record(
    api: TestClient, keys: Keys, published: Published
) -> None:
    traits = {"email": "ann@example.com", "firstName": "Ann", "address": {"city": "Lyon"}}
    msg = {"userId": "U4", "traits": traits, "messageId": "i1"}
    assert api.post("/v1/identify", json=msg, headers=basic(keys.write)).status_code == 200
    group = {"userId": "U4", "groupId": "G1", "traits": {"name": "Acme"}, "messageId": "g1"}
    assert api.post("/v1/group", json=group, headers=basic(keys.write)).status_code == 200
    record = published.store.customer_records(["U4"])["U4"]
    assert (record["email"], record["first_name"], record["city"]) == (
        "ann@example.com",
        "Ann",
        "Lyon",
    )
    assert record["organisation"] == "Acme"
    assert record["source"] == "collector"


def test_an_invalid_trait_is_422(api: TestClient, keys: Keys) -> None:
    msg = {"userId": "U4", "traits": {"gender": "robot"}, "messageId": "i2"}
    r = api.post("/v1/identify", json=msg, headers=basic(keys.write))
    assert r.status_code == 422
    assert r.json()["fields"][0]["field"] == "traits.gender"


def test_events_before_identify_end_up_on_the_user(
    api: TestClient, keys: Keys, published: Published
) -> None:
    anon = {"anonymousId": "anon-1"}
    api.post("/v1/track", json=order("a1", anon, 30.0), headers=basic(keys.write))
    api.post("/v1/track", json=order("a2", anon, 20.0), headers=basic(keys.write))
    assert profile(api, keys, "anon-1")["segment"]["name"] == "Small"
    msg = {"userId": "user-1", "anonymousId": "anon-1", "traits": {}, "messageId": "i1"}
    r = api.post("/v1/identify", json=msg, headers=basic(keys.write))
    assert r.status_code == 200
    p = profile(api, keys, "user-1")
    assert (p["customer_id"], p["aggregates"]["frequency"]) == ("user-1", 2)
    assert p["aggregates"]["gross_micros"] == 50_000_000
    # later events sent with the anonymous id only land on the user too
    api.post("/v1/track", json=order("a3", anon, 500.0), headers=basic(keys.write))
    p = profile(api, keys, "user-1")
    assert p["aggregates"]["frequency"] == 3
    assert p["segment"]["name"] == "Big"
    assert profile(api, keys, "anon-1")["customer_id"] == "user-1"  # the alias resolves
    assert "anon-1" not in published.store.memberships()


def test_alias_stitches_previous_id(api: TestClient, keys: Keys, published: Published) -> None:
    api.post("/v1/track", json=order("p1", {"userId": "old-id"}, 50.0), headers=basic(keys.write))
    msg = {"previousId": "old-id", "userId": "new-id", "messageId": "al1"}
    assert api.post("/v1/alias", json=msg, headers=basic(keys.write)).status_code == 200
    assert profile(api, keys, "new-id")["aggregates"]["frequency"] == 1
    assert published.store.memberships()["new-id"] == 1


def test_an_anonymous_id_identified_as_a_second_user_is_refused(
    api: TestClient, keys: Keys
) -> None:
    api.post("/v1/track", json=order("x1", {"anonymousId": "anon-2"}), headers=basic(keys.write))
    first = {"userId": "u-a", "anonymousId": "anon-2", "messageId": "i1"}
    second = {"userId": "u-b", "anonymousId": "anon-2", "messageId": "i2"}
    api.post("/v1/identify", json=first, headers=basic(keys.write))
    r = api.post(
        "/v1/batch", json={"batch": [{**second, "type": "identify"}]}, headers=basic(keys.write)
    )
    result = r.json()["results"][0]
    assert (result["status"], result["field"]) == ("rejected", "anonymousId")
    assert result["message_id"] == "i2"
    assert "already merged into another customer" in result["reason"]
    assert profile(api, keys, "anon-2")["customer_id"] == "u-a"


def test_batch_gzip_in_any_order_with_a_bad_message(
    api: TestClient, keys: Keys, published: Published
) -> None:
    batch = [
        {"type": "identify", "userId": "user-9", "anonymousId": "anon-9", "messageId": "b0"},
        order("b1", {"anonymousId": "anon-9"}, 50.0),  # after the identify, same request
        {"type": "track", "event": "Nope", "userId": "user-9", "messageId": "b2"},
        {"type": "page", "anonymousId": "anon-9", "messageId": "b3", "timestamp": TS},
        "not an object",
    ]
    headers = {**basic(keys.write), "Content-Encoding": "gzip", "Content-Type": "application/json"}
    r = api.post("/v1/batch", content=gzip_json({"batch": batch}), headers=headers)
    assert r.status_code == 200
    body = r.json()
    assert (body["applied"], body["duplicates"], body["rejected"]) == (3, 0, 2)
    assert [x["status"] for x in body["results"]] == [
        "applied",
        "applied",
        "rejected",
        "applied",
        "rejected",
    ]
    assert body["results"][4]["field"] == "$"
    p = profile(api, keys, "user-9")
    assert p["aggregates"]["frequency"] == 1
    assert published.store.memberships()["user-9"] == 1


def test_bad_gzip_and_bad_json_are_422(api: TestClient, keys: Keys) -> None:
    headers = {**basic(keys.write), "Content-Encoding": "gzip"}
    r = api.post("/v1/batch", content=b"plain text", headers=headers)
    assert r.status_code == 422
    assert "Content-Encoding gzip but not gzip data" in r.json()["message"]
    r = api.post("/v1/batch", content=b"{", headers=basic(keys.write))
    assert (r.status_code, r.json()["fields"][0]["field"]) == (422, "body")
    r = api.post("/v1/batch", json={"messages": []}, headers=basic(keys.write))
    assert (r.status_code, r.json()["fields"][0]["field"]) == (422, "batch")


def test_a_gzip_bomb_is_refused(api: TestClient, keys: Keys) -> None:
    import gzip

    bomb = gzip.compress(b" " * (8 * 1024 * 1024 + 1))  # one byte past the limit
    headers = {**basic(keys.write), "Content-Encoding": "gzip"}
    r = api.post("/v1/batch", content=bomb, headers=headers)
    assert r.status_code == 422
    assert "more than 8,388,608 bytes once decompressed" in r.json()["message"]


def test_a_batch_over_batch_max_is_refused(published: Published, keys: Keys) -> None:
    with TestClient(make_app(published.store, batch_max=2)) as c:
        batch = [order(f"m{i}", {"userId": "U1"}) for i in range(3)]
        r = c.post("/v1/batch", json={"batch": batch}, headers=basic(keys.write))
        assert r.status_code == 422
        assert r.json()["message"] == "batch: 3 messages in one batch; at most 2"
        r = c.post("/v1/batch", json={"batch": batch[:2]}, headers=basic(keys.write))
        assert r.json()["applied"] == 2


@pytest.mark.parametrize(
    "path", ["/v1/track", "/v1/identify", "/v1/page", "/v1/batch", "/v1/alias"]
)
def test_auth_no_key_wrong_key_read_only_key(api: TestClient, keys: Keys, path: str) -> None:
    r = api.post(path, json={})
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == 'Basic realm="cible"'
    assert api.post(path, json={}, headers=basic("cible_nope_nope")).status_code == 401
    r = api.post(path, json={}, headers=basic(keys.read))
    assert r.status_code == 403
    assert r.json()["message"] == "this key's scopes ['read'] do not include 'write'"
    # an API key given the usual cible ways also works
    assert api.post(path, json={}, headers={"X-API-Key": keys.write}).status_code == 422


def test_pixel_returns_a_gif_and_records_the_open(api: TestClient, keys: Keys) -> None:
    query = {"writeKey": keys.write, "userId": "U5", "messageId": "px1", "campaign": "spring"}
    r = api.get("/v1/pixel.gif", params=query)
    assert r.status_code == 200
    assert (r.headers["content-type"], r.content) == ("image/gif", PIXEL_GIF)
    assert r.headers["cache-control"] == "no-store, max-age=0"
    assert r.content[:6] == b"GIF89a" and len(r.content) == 42
    assert profile(api, keys, "U5")["aggregates"]["events_30d"] == 1
    assert api.get("/v1/pixel.gif", params={"userId": "U5"}).status_code == 401
    assert api.get("/v1/pixel.gif", params={**query, "writeKey": keys.read}).status_code == 403


def crm(api: TestClient, body: dict[str, Any], sig: str | None) -> Any:
    raw = json.dumps(body).encode()
    headers = {} if sig is None else {"X-Cible-Signature": sig}
    return api.post("/v1/webhooks/crm", content=raw, headers=headers), raw


UPDATE = {
    "changes": [
        {"type": "contact.updated", "customer_id": "C00001", "fields": {"consent_email": False}}
    ]
}


def test_crm_webhook_signed_updates_the_record(api: TestClient, published: Published) -> None:
    raw = json.dumps(UPDATE).encode()
    r = api.post(
        "/v1/webhooks/crm", content=raw, headers={"X-Cible-Signature": signature(SECRET, raw)}
    )
    assert (r.status_code, r.json()["applied"]) == (200, 1)
    assert published.store.customer_records(["C00001"])["C00001"]["consent_email"] is False


def test_crm_webhook_merge(api: TestClient, keys: Keys, published: Published) -> None:
    body = {
        "changes": [{"type": "contact.merged", "customer_id": "C00002", "merged_ids": ["C00007"]}]
    }
    raw = json.dumps(body).encode()
    r = api.post(
        "/v1/webhooks/crm", content=raw, headers={"X-Cible-Signature": signature(SECRET, raw)}
    )
    assert r.status_code == 200
    # C00002 and C00007 each bought once for 500 (world_events): two orders now
    assert profile(api, keys, "C00002")["aggregates"]["frequency"] == 2
    assert profile(api, keys, "C00007")["customer_id"] == "C00002"


def test_crm_webhook_wrong_missing_or_tampered_signature_is_401(api: TestClient) -> None:
    raw = json.dumps(UPDATE).encode()
    r, _ = crm(api, UPDATE, None)
    assert r.status_code == 401
    assert r.json()["message"] == "missing or wrong X-Cible-Signature signature"
    assert crm(api, UPDATE, signature("another-secret-of-16+", raw))[0].status_code == 401
    assert crm(api, UPDATE, signature(SECRET, raw + b" "))[0].status_code == 401
    assert crm(api, UPDATE, signature(SECRET, raw)[:-1])[0].status_code == 401
    assert crm(api, UPDATE, "")[0].status_code == 401
    assert crm(api, UPDATE, signature(SECRET, raw))[0].status_code == 200


def test_crm_webhook_without_a_secret_is_409(client: TestClient) -> None:
    r = client.post("/v1/webhooks/crm", content=b"{}", headers={"X-Cible-Signature": "sha256=0"})
    assert r.status_code == 409
    assert "the CRM webhook is disabled: set CIBLE_WEBHOOK_SECRET" in r.json()["message"]


def test_crm_webhook_bad_change_is_422(api: TestClient) -> None:
    body = {"changes": [{"type": "contact.deleted", "customer_id": "C1"}]}
    raw = json.dumps(body).encode()
    r = api.post(
        "/v1/webhooks/crm", content=raw, headers={"X-Cible-Signature": signature(SECRET, raw)}
    )
    assert (r.status_code, r.json()["fields"][0]["field"]) == (422, "changes.0.type")


def prod(**kw: Any) -> ServiceSettings:
    base: dict[str, Any] = {
        "environment": "prod",
        "store_url": "sqlite:///x.db",
        "export_secret": "an-export-secret-long-enough",
        "api_key_secret": "an-api-key-secret-long-enough",
    }
    return ServiceSettings(**{**base, **kw})


def test_webhook_secret_boundaries_outside_dev() -> None:
    assert prod().check_safe().webhook_secret is None  # unset: webhook off, allowed
    assert prod(webhook_secret="x" * 16).check_safe() is not None  # exactly 16: accepted
    with pytest.raises(ConfigError, match="CIBLE_WEBHOOK_SECRET is shorter than 16 characters"):
        prod(webhook_secret="x" * 15).check_safe()
    with pytest.raises(ConfigError, match="CIBLE_WEBHOOK_SECRET"):
        prod(webhook_secret="changeme").check_safe()
    assert ServiceSettings(webhook_secret="short").check_safe() is not None  # dev: allowed


def test_the_basic_auth_write_key_is_what_logs_and_rate_limits_see(keys: Keys) -> None:
    from cible.api.logs import presented_key

    def scope(value: bytes) -> dict[str, Any]:
        return {"headers": [(b"authorization", value)]}

    header = basic(keys.write)["Authorization"].encode()
    assert presented_key(scope(header)) == keys.write
    assert presented_key(scope(b"Basic !!not-base64!!")) is None
    assert presented_key(scope(b"Basic " + base64.b64encode(b":password-only"))) is None
    assert presented_key(scope(b"Bearer abc")) == "abc"


def test_a_write_key_past_its_burst_is_rate_limited(published: Published, keys: Keys) -> None:
    # one token per 1,000 s: no refill between the three calls, however slow the machine
    with TestClient(make_app(published.store, rate_limit_per_s=0.001, rate_limit_burst=2)) as c:
        msg = {"userId": "U1", "event": "Signed Up", "timestamp": TS}
        codes = [
            c.post(
                "/v1/track", json={**msg, "messageId": f"r{i}"}, headers=basic(keys.write)
            ).status_code
            for i in range(3)
        ]
        assert codes == [200, 200, 429]
        # another write key has its own bucket
        other = published.store.create_api_key(["write"], name="w2")
        r = c.post("/v1/track", json={**msg, "messageId": "r9"}, headers=basic(other))
        assert r.status_code == 200
