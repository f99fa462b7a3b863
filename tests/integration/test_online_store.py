"""The Redis online store against the real Redis of .ci/services (127.0.0.1:6379): after a
stream through ``cible consume --online-store``, every profile read from Redis is the one read
from SQL, byte for byte as GET profile renders it; the service reads Redis first and falls back
to SQL; ``cible store online-rebuild`` repopulates it. Each test uses its own key prefix and
deletes only that prefix."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from cible.api.routes.customers import render_profile
from cible.cli.main import app
from cible.store import ProfileStore
from cible.store.online import OnlineStore
from tests.unit.api.conftest import make_app, publish_world

pytestmark = [pytest.mark.integration, pytest.mark.redis]
AS_OF = datetime(2024, 4, 1, tzinfo=UTC)


@pytest.fixture
def prefix(redis_url: str) -> Iterator[str]:
    name = f"cible-test-{uuid.uuid4().hex[:12]}:"
    yield name
    online = OnlineStore.open(redis_url, name)
    online.clear()
    online.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ProfileStore]:
    opened = ProfileStore.open(f"sqlite:///{tmp_path / 'store.db'}")
    publish_world(opened, 300)  # 300 customers, segments of 60, 60, 180
    yield opened
    opened.close()


def stream_file(path: Path, n: int) -> None:
    """``n`` events moving customers between segments (a big purchase for a prospect, a
    refund, new customers), one JSON per line."""
    lines = []
    for i in range(n):
        cid = f"C{(i * 7) % 400:05d}"  # 300 known customers and 100 new ones
        ts = (AS_OF - timedelta(days=1 + i % 20)).isoformat()
        kind = "purchase" if i % 3 else "page_view"
        event = {"event_id": f"s{i}", "customer_id": cid, "event_type": kind, "timestamp": ts}
        if kind == "purchase":
            event |= {"amount": 100 + i % 900, "order_id": f"SO{i}"}
        lines.append(json.dumps(event))
    path.write_text("\n".join(lines) + "\n")


def consume(store: ProfileStore, source: Path, redis_url: str, prefix: str) -> None:
    url = store.engine.url.render_as_string(hide_password=False)
    args = ["consume", "--store", url, "--bus-url", str(source), "--batch-size", "100"]
    args += ["--online-store", redis_url, "--online-prefix", prefix, "--output", ""]
    result = CliRunner().invoke(app, [*args, "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output


def all_ids(store: ProfileStore) -> list[str]:
    return sorted(store.memberships())


def test_redis_and_sql_reads_are_identical_after_a_stream(
    store: ProfileStore, tmp_path: Path, redis_url: str, prefix: str
) -> None:
    source = tmp_path / "events.jsonl"
    stream_file(source, 1_000)
    consume(store, source, redis_url, prefix)
    online = OnlineStore.open(redis_url, prefix)
    try:
        ids = all_ids(store)
        assert len(ids) == 400
        written = [c for c in ids if online.read(c) is not None]
        # every customer the stream touched is in Redis: 1,000 events over ids 0, 7, 14, ...
        touched = sorted({f"C{(i * 7) % 400:05d}" for i in range(1_000)})
        assert written == touched
        for cid in touched:
            sql, redis_profile = store.get_profile(cid), online.read(cid)
            assert sql is not None and redis_profile is not None
            assert render_profile(redis_profile) == render_profile(sql), cid
        memberships = store.memberships()
        for segment in (0, 1, 2):
            expected = {c for c in touched if memberships[c] == segment}
            assert online.members(segment) == expected
    finally:
        online.close()


def test_rebuild_repopulates_every_profile_from_sql(
    store: ProfileStore, redis_url: str, prefix: str
) -> None:
    url = store.engine.url.render_as_string(hide_password=False)
    online = OnlineStore.open(redis_url, prefix)
    try:
        online.client.hset(online.profile_key("stale"), mapping={"customer_id": "stale"})
        result = CliRunner().invoke(
            app,
            ["store", "online-rebuild", "--store", url, "--online-store", redis_url,
             "--prefix", prefix],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert "Wrote 300 profiles to the online store" in result.output
        assert online.read("stale") is None  # the prefix was cleared first
        for cid in all_ids(store):
            sql = store.get_profile(cid)
            assert sql is not None
            assert render_profile(online.read(cid)) == render_profile(sql)  # type: ignore[arg-type]
        assert len(online.members(2)) == 180
    finally:
        online.close()


def test_service_reads_redis_first_falls_back_and_writes_through(
    store: ProfileStore, redis_url: str, prefix: str
) -> None:
    key = store.create_api_key(["read", "write"])
    online = OnlineStore.open(redis_url, prefix)
    settings = {"online_store_url": redis_url, "online_store_prefix": prefix}
    try:
        online.rebuild(store)
        # mark the Redis copy of C00003: the service must answer it, not SQL's
        online.client.hset(online.profile_key("C00003"), "segment_name", "FromRedis")
        with TestClient(make_app(store, profile_cache_ttl_s=0, **settings)) as api:
            got = api.get("/v1/customers/C00003/profile", headers={"X-API-Key": key}).json()
            assert got["segment"]["name"] == "FromRedis"
            # a miss in Redis (a key deleted) is answered from SQL
            online.client.delete(online.profile_key("C00004"))
            got = api.get("/v1/customers/C00004/profile", headers={"X-API-Key": key}).json()
            assert got["segment"]["name"] == "Big"
            # a write through the service updates Redis after the SQL commit
            event = {
                "event_id": "w-new",
                "customer_id": "C00000",
                "event_type": "purchase",
                "timestamp": "2024-03-20T10:00:00+00:00",
                "amount": 900,
                "order_id": "ON1",
            }
            assert api.post("/v1/events", json=event, headers={"X-API-Key": key}).status_code == 200
        profile = online.read("C00000")
        assert profile is not None and profile.segment_name == "Big"
        assert "C00000" in online.members(2) and "C00000" not in online.members(0)
    finally:
        online.close()


def test_stitching_through_the_collector_removes_the_anonymous_copy(
    store: ProfileStore, redis_url: str, prefix: str
) -> None:
    key = store.create_api_key(["read", "write"])
    settings = {"online_store_url": redis_url, "online_store_prefix": prefix}
    online = OnlineStore.open(redis_url, prefix)
    order = {
        "type": "track",
        "event": "Order Completed",
        "anonymousId": "anon-r",
        "messageId": "r1",
        "timestamp": "2024-03-02T10:00:00Z",
        "properties": {"revenue": 60, "order_id": "R1"},
    }
    identify = {"type": "identify", "anonymousId": "anon-r", "userId": "user-r", "messageId": "r2"}
    try:
        with TestClient(make_app(store, **settings)) as api:
            api.post("/v1/batch", json={"batch": [order]}, headers={"X-API-Key": key})
            assert online.read("anon-r") is not None
            api.post("/v1/batch", json={"batch": [identify]}, headers={"X-API-Key": key})
        assert online.read("anon-r") is None
        user = online.read("user-r")
        assert user is not None and user.aggregates["frequency"] == 1
        assert online.members(1) >= {"user-r"} and "anon-r" not in online.members(1)
    finally:
        online.close()


def test_an_unreachable_redis_is_a_store_error_naming_it() -> None:
    from cible.store import StoreError

    with pytest.raises(StoreError, match=r"online store redis://:\*\*\*@127.0.0.1:1/0"):
        OnlineStore.open("redis://:secret@127.0.0.1:1/0")
