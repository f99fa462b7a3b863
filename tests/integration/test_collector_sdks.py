"""The official Segment (``segment-analytics-python``) and RudderStack (``rudder-sdk-python``)
clients, unchanged, pointed at ``cible serve`` on a free port of 127.0.0.1: their track, page,
identify and alias calls land in the profiles (the SDKs' HTTP, basic-auth write key and gzip
included). The SDKs are installed by ``make setup-test`` from requirements/sdk-test.txt."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from cible.api import create_app
from cible.config.service import ServiceSettings
from cible.store import ProfileStore
from tests.unit.store.fakes import ThresholdModel

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str, ProfileStore]]:
    """(base URL, write key, store) of a live server with the threshold model published."""
    store = ProfileStore.open(f"sqlite:///{tmp_path / 'store.db'}")
    store.publish(ThresholdModel())
    key = store.create_api_key(["read", "write"], name="sdk")
    # no profile cache: each read after an SDK call sees the store
    app = create_app(ServiceSettings(profile_cache_ttl_s=0), store=store)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield base, key, store
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        store.close()


def profile(base: str, key: str, customer_id: str) -> dict[str, Any]:
    r = httpx.get(f"{base}/v1/customers/{customer_id}/profile", headers={"X-API-Key": key})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def run_journey(client: Any, prefix: str) -> None:
    """An anonymous visitor browses and buys, then signs up (identify with both ids)."""
    anon, user = f"{prefix}-anon", f"{prefix}-user"
    when = datetime(2024, 3, 2, 10, tzinfo=UTC)
    client.page(anonymous_id=anon, name="Home", timestamp=when)
    client.track(
        anonymous_id=anon,
        event="Order Completed",
        properties={"order_id": f"{prefix}-O1", "revenue": 120.5, "currency": "EUR"},
        timestamp=when,
    )
    client.identify(
        user_id=user,
        anonymous_id=anon,
        traits={"email": f"{prefix}@example.com", "firstName": "Ann"},
    )
    client.track(
        user_id=user,
        event="Order Completed",
        properties={"order_id": f"{prefix}-O2", "revenue": 400, "currency": "EUR"},
        timestamp=when,
    )
    client.alias(previous_id=f"{prefix}-crm-7", user_id=user)
    client.flush()


def check_profile(base: str, key: str, store: ProfileStore, prefix: str) -> None:
    p = profile(base, key, f"{prefix}-user")
    assert p["customer_id"] == f"{prefix}-user"
    assert p["aggregates"]["frequency"] == 2  # the anonymous order and the identified one
    assert p["aggregates"]["gross_micros"] == 520_500_000
    assert p["segment"]["name"] == "Big"
    assert profile(base, key, f"{prefix}-anon")["customer_id"] == f"{prefix}-user"
    record = store.customer_records([f"{prefix}-user"])[f"{prefix}-user"]
    assert (record["email"], record["first_name"]) == (f"{prefix}@example.com", "Ann")


def test_segment_analytics_python(served: tuple[str, str, ProfileStore]) -> None:
    from segment.analytics import Client

    base, key, store = served
    errors: list[Exception] = []
    client = Client(
        write_key=key, host=base, sync_mode=True, gzip=True, on_error=lambda e, b: errors.append(e)
    )
    run_journey(client, "seg")
    assert errors == []
    check_profile(base, key, store, "seg")


def test_rudder_sdk_python(served: tuple[str, str, ProfileStore]) -> None:
    from rudderstack.analytics import Client

    base, key, store = served
    errors: list[Exception] = []
    client = Client(
        write_key=key, host=base, sync_mode=True, on_error=lambda e, b: errors.append(e)
    )  # the RudderStack SDK gzips by default
    run_journey(client, "rud")
    assert errors == []
    check_profile(base, key, store, "rud")


def test_a_read_only_key_is_refused_by_the_sdk(served: tuple[str, str, ProfileStore]) -> None:
    from segment.analytics import Client
    from segment.analytics.request import APIError

    base, _, store = served
    read_only = store.create_api_key(["read"], name="ro")
    client = Client(write_key=read_only, host=base, sync_mode=True, max_retries=0)
    with pytest.raises(APIError) as caught:
        client.track(user_id="U", event="Signed Up")
    assert caught.value.status == 403
