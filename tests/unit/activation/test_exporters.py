"""Exporters against a local server: the webhook delivers every record exactly once to a server
that fails 30% of requests; HubSpot and SFMC connectors send the documented paths and bodies."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import httpx
import pyarrow.parquet as pq
import pytest

from cible.activation.exporters.connectors import hubspot_list, sfmc_rows
from cible.activation.exporters.files import write_csv, write_parquet
from cible.activation.exporters.http import RetryPolicy
from cible.activation.exporters.records import build_batch
from cible.activation.exporters.webhook import post_webhook
from cible.exceptions import ExportError
from tests.unit.activation.local_server import Behaviour, LocalServer

SECRET = b"a-test-secret-of-32-characters!!"
FAST = RetryPolicy(attempts=30, initial_seconds=0.001, max_seconds=0.01)


def _batch(n_entered: int, n_left: int = 0, run: int = 1):
    entered = [f"C{i:05d}" for i in range(n_entered)]
    left = [f"L{i:05d}" for i in range(n_left)]
    fields = {c: {"monetary": float(i)} for i, c in enumerate(entered)}
    return build_batch(
        export_name="winback_hook",
        audience="winback",
        channel="email",
        entered=entered,
        left=left,
        full=False,
        fields=fields,
        secret=None,
        run_number=run,
    )


def test_webhook_delivers_every_record_exactly_once_when_30_percent_of_requests_fail() -> None:
    batch = _batch(1_000, 37)
    behaviour = Behaviour(fail_share=0.30, seed=7)
    with LocalServer(behaviour) as server, httpx.Client() as client:
        n = post_webhook(
            batch, f"{server.url}/hook", secret=SECRET, batch_size=25, client=client, policy=FAST
        )
    assert n == 42  # ceil(1,037 / 25)
    assert behaviour.failures > 0.2 * len(behaviour.requests)  # the server did fail, often
    assert len(behaviour.requests) == 42 + behaviour.failures
    delivered = [
        r["id"] for body in behaviour.applied.values() for r in json.loads(body)["records"]
    ]
    assert len(delivered) == 1_037
    assert sorted(delivered) == sorted(r["id"] for r in batch.records)  # each exactly once
    # every request is signed with the HMAC of its exact body and keyed per batch
    for req in behaviour.requests:
        expected = "sha256=" + hmac.new(SECRET, req.body, hashlib.sha256).hexdigest()
        assert req.headers["X-Cible-Signature"] == expected
        assert req.headers["Idempotency-Key"].startswith(batch.run_key)
    assert len({r.headers["Idempotency-Key"] for r in behaviour.requests}) == 42


def test_a_retried_run_reuses_its_keys_so_the_receiver_dedups() -> None:
    behaviour = Behaviour()
    with LocalServer(behaviour) as server, httpx.Client() as client:
        for _ in range(2):  # the same run sent twice (a crash before the state was saved)
            post_webhook(_batch(10), server.url, secret=SECRET, batch_size=4, client=client)
    assert len(behaviour.requests) == 6 and len(behaviour.applied) == 3


def test_a_server_that_always_fails_raises_after_the_attempts() -> None:
    behaviour = Behaviour(fail_share=1.0)
    policy = RetryPolicy(attempts=3, initial_seconds=0.001, max_seconds=0.002)
    with (
        LocalServer(behaviour) as server,
        httpx.Client() as client,
        pytest.raises(ExportError, match="still failing after 3 attempts"),
    ):
        post_webhook(
            _batch(3), server.url, secret=SECRET, batch_size=10, client=client, policy=policy
        )
    assert len(behaviour.requests) == 3


def test_a_4xx_is_refused_at_once() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(401))
    with httpx.Client(transport=transport) as client, pytest.raises(ExportError, match="HTTP 401"):
        post_webhook(_batch(3), "http://x/hook", secret=SECRET, batch_size=10, client=client)


def test_hubspot_adds_the_entered_and_removes_the_left() -> None:
    behaviour = Behaviour()
    with LocalServer(behaviour) as server, httpx.Client() as client:
        n = hubspot_list(_batch(5, 2), server.url, "123", token="tok", batch_size=3, client=client)
    assert n == 3
    assert [(r.method, r.path) for r in behaviour.requests] == [
        ("PUT", "/crm/v3/lists/123/memberships/add"),
        ("PUT", "/crm/v3/lists/123/memberships/add"),
        ("PUT", "/crm/v3/lists/123/memberships/remove"),
    ]
    assert behaviour.requests[0].json() == ["C00000", "C00001", "C00002"]
    assert behaviour.requests[2].json() == ["L00000", "L00001"]
    assert {r.headers["Authorization"] for r in behaviour.requests} == {"Bearer tok"}


def test_sfmc_upserts_rows_with_the_audience_flag() -> None:
    behaviour = Behaviour()
    with LocalServer(behaviour) as server, httpx.Client() as client:
        n = sfmc_rows(
            _batch(2, 1), server.url, "DE_WINBACK", token="t", batch_size=10, client=client
        )
    assert n == 1
    (req,) = behaviour.requests
    assert (req.method, req.path) == ("PUT", "/data/v1/async/dataextensions/key:DE_WINBACK/rows")
    assert req.json() == {
        "items": [
            {"SubscriberKey": "C00000", "InAudience": True, "monetary": 0.0},
            {"SubscriberKey": "C00001", "InAudience": True, "monetary": 1.0},
            {"SubscriberKey": "L00000", "InAudience": False},
        ]
    }


def test_csv_and_parquet_files(tmp_path: Path) -> None:
    batch = _batch(2, 1)
    assert write_csv(batch, tmp_path / "a.csv") == 3
    assert (tmp_path / "a.csv").read_text().splitlines() == [
        "id,change,monetary",
        "C00000,entered,0.0",
        "C00001,entered,1.0",
        "L00000,left,",
    ]
    assert write_parquet(batch, tmp_path / "a.parquet") == 3
    table = pq.read_table(tmp_path / "a.parquet")
    assert table.to_pydict() == {
        "id": ["C00000", "C00001", "L00000"],
        "change": ["entered", "entered", "left"],
        "monetary": [0.0, 1.0, None],
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "a.parquet"]
