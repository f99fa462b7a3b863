"""Exports end to end on a SQLite profile store: consent (property test), delta state kept in
the store, frequency caps, pseudonyms, and a failed delivery that records nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cible.activation.delta import plan_export
from cible.activation.evaluate import evaluate
from cible.activation.plan import parse_plan
from cible.activation.pseudonym import pseudonymise
from cible.activation.rules import parse_rule
from cible.activation.waterfall import AudienceMembers
from cible.config.activation import ActivationSettings
from cible.exceptions import ConfigError, ExportError
from cible.services.audiences import AudienceOutcome
from cible.services.exports import run_export
from cible.store import ProfileStore
from cible.store import exports as state
from cible.store import tables as t
from tests.contract.test_store import BACKENDS, dispose, open_store

NOW = datetime(2026, 7, 1, tzinfo=UTC)
DEV = ActivationSettings(environment="dev", export_secret="s" * 32)


def _plan(tmp: Path, **export: Any) -> Any:
    return parse_plan(
        {
            "frequency_caps": {"email": {"max": 1, "days": 7}},
            "audiences": [
                {"name": "a", "channels": ["email", "sms"], "rule": {"field": "monetary", ">": 0}}
            ],
            "exports": [
                {
                    "name": "e",
                    "audience": "a",
                    "channel": "email",
                    "target": "csv",
                    "path": str(tmp / "e.csv"),
                    **export,
                }
            ],
        }
    )


def _outcome(members: set[str], now: datetime = NOW) -> AudienceOutcome:
    rows = {c: {"customer_id": c, "monetary": 1.0} for c in members}
    return AudienceOutcome(
        now, len(rows), [AudienceMembers("a", len(members), 0, 0, frozenset(members))], {}, rows
    )


def _consent(store: ProfileStore, granted: dict[str, bool], channel: str = "email") -> None:
    with store.engine.begin() as conn:
        conn.execute(t.consents.delete())
        if not granted:
            return
        conn.execute(
            t.consents.insert(),
            [
                {"customer_id": c, "channel": channel, "granted": g, "at": NOW, "source": "test"}
                for c, g in granted.items()
            ],
        )


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ProfileStore]:
    """A fresh store on SQLite and on PostgreSQL (its own schema, dropped after)."""
    s, schema = open_store(request.param, tmp_path)
    try:
        yield s
    finally:
        dispose(s, schema)


def test_delta_runs_keep_their_state_in_the_store(store: ProfileStore, tmp_path: Path) -> None:
    plan = _plan(tmp_path, fields=["monetary"])
    _consent(store, {"C1": True, "C2": True, "C3": True, "C4": False})
    first = run_export(plan, "e", _outcome({"C1", "C2", "C4"}), store, DEV, base_dir=tmp_path)
    assert (first.members, first.entered, first.left, first.without_consent) == (2, 2, 0, 1)
    assert (tmp_path / "e.csv").read_text().splitlines() == [
        "id,change,monetary",
        "C1,entered,1.0",
        "C2,entered,1.0",
    ]
    # 8 days later (the cap of 1 per 7 days is free again): C1 leaves, C3 enters
    later = NOW + timedelta(days=8)
    second = run_export(plan, "e", _outcome({"C2", "C3"}, later), store, DEV, base_dir=tmp_path)
    assert (second.members, second.entered, second.left) == (2, 1, 1)
    assert (tmp_path / "e.csv").read_text().splitlines() == [
        "id,change,monetary",
        "C3,entered,1.0",
        "C1,left,",
    ]
    assert state.previous_members(store.engine, "e") == {"C2", "C3"}
    assert [(r.members, r.entered, r.left) for r in state.runs(store.engine, "e")] == [
        (2, 2, 0),
        (2, 1, 1),
    ]


def test_frequency_cap_at_the_limit(store: ProfileStore, tmp_path: Path) -> None:
    plan = _plan(tmp_path, mode="full")
    _consent(store, {"C1": True})
    assert run_export(plan, "e", _outcome({"C1"}), store, DEV, base_dir=tmp_path).entered == 1
    # 7 days later exactly: the contact at NOW is inside [now - 7 d, now]: capped
    at_cap = run_export(
        plan, "e", _outcome({"C1"}, NOW + timedelta(days=7)), store, DEV, base_dir=tmp_path
    )
    assert (at_cap.entered, at_cap.capped) == (0, 1)
    # 1 µs later the contact is out of the window
    after = NOW + timedelta(days=7, microseconds=1)
    assert (
        run_export(plan, "e", _outcome({"C1"}, after), store, DEV, base_dir=tmp_path).entered == 1
    )


def test_pseudonymised_export_and_secret_refused_outside_dev(
    store: ProfileStore, tmp_path: Path
) -> None:
    plan = _plan(tmp_path, pseudonymise=True)
    _consent(store, {"C1": True})
    run_export(plan, "e", _outcome({"C1"}), store, DEV, base_dir=tmp_path)
    text = (tmp_path / "e.csv").read_text()
    assert "C1" not in text and pseudonymise("C1", b"s" * 32) in text
    for secret in ("", "changeme", "short-secret"):
        prod = ActivationSettings(environment="prod", export_secret=secret)
        with pytest.raises(ConfigError, match="CIBLE_EXPORT_SECRET"):
            run_export(plan, "e", _outcome({"C1"}), store, prod, base_dir=tmp_path)
    ok = ActivationSettings(environment="prod", export_secret="x" * 16)
    assert ok.secret() == b"x" * 16


def test_a_failed_delivery_records_nothing(store: ProfileStore, tmp_path: Path) -> None:
    import httpx

    plan = parse_plan(
        {
            "audiences": [
                {"name": "a", "channels": ["email"], "rule": {"field": "monetary", ">": 0}}
            ],
            "exports": [
                {
                    "name": "w",
                    "audience": "a",
                    "channel": "email",
                    "target": "webhook",
                    "url": "http://x",
                }
            ],
        }
    )
    _consent(store, {"C1": True})
    client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(400)))
    with pytest.raises(ExportError):
        run_export(plan, "w", _outcome({"C1"}), store, DEV, base_dir=tmp_path, client=client)
    assert state.previous_members(store.engine, "w") == frozenset()
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.contacts)).scalar() == 0


IDS = [f"C{i}" for i in range(12)]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    granted=st.sets(st.sampled_from(IDS)),
    previous=st.sets(st.sampled_from(IDS)),
    monetary=st.lists(
        st.one_of(st.none(), st.sampled_from([0.0, 1.0, 5.0])), min_size=12, max_size=12
    ),
    bound=st.sampled_from([0.0, 1.0, 5.0]),
    op=st.sampled_from(["<", "<=", ">", ">=", "=", "!="]),
    negate=st.booleans(),
    full=st.booleans(),
)
def test_no_customer_without_consent_is_ever_exported(
    granted: set[str],
    previous: set[str],
    monetary: list[float | None],
    bound: float,
    op: str,
    negate: bool,
    full: bool,
) -> None:
    raw: dict[str, Any] = {"field": "monetary", op: bound}
    rule = parse_rule({"not": raw} if negate else raw, "rule")
    members = {
        c for c, m in zip(IDS, monetary, strict=True) if evaluate(rule, {"monetary": m}, NOW)
    }
    # previous: anyone exported before, including customers who withdrew consent since
    p = plan_export(members, granted, previous, {}, None, full=full)
    assert p.entered <= granted and p.current <= granted
    assert p.current == members & granted
    assert p.entered == (p.current if full else p.current - previous)
    # removals only (identifier only), never a membership record
    assert p.left == (frozenset() if full else previous - p.current)
    assert not (p.left & p.entered)


def test_the_migrations_build_exactly_the_declared_tables(store: ProfileStore) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), t.metadata) == []


@pytest.fixture(scope="module")
def one_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProfileStore]:
    s = ProfileStore.open(f"sqlite:///{tmp_path_factory.mktemp('st') / 'store.db'}")
    yield s
    s.close()


RULE_LEAVES = st.builds(
    lambda op, bound: {"field": "monetary", op: bound},
    st.sampled_from(["<", "<=", ">", ">=", "=", "!="]),
    st.sampled_from([0.0, 1.0, 5.0]),
)
RULE_TREES = st.recursive(
    RULE_LEAVES,
    lambda inner: st.one_of(
        st.builds(lambda xs: {"and": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda xs: {"or": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda x: {"not": x}, inner),
    ),
    max_leaves=4,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    consents=st.dictionaries(st.sampled_from(IDS), st.booleans()),
    monetary=st.lists(
        st.one_of(st.none(), st.sampled_from([0.0, 1.0, 5.0])), min_size=12, max_size=12
    ),
    rules=st.lists(RULE_TREES, min_size=2, max_size=2),
    channel=st.sampled_from(["email", "sms", "push", "ads"]),
)
def test_end_to_end_exports_never_hold_a_customer_without_consent(
    one_store: ProfileStore,
    tmp_path_factory: pytest.TempPathFactory,
    consents: dict[str, bool],
    monetary: list[float | None],
    rules: list[dict[str, Any]],
    channel: str,
) -> None:
    """Random consents (granted, refused or absent) on a random channel, two successive runs of a
    delta export with random rules: every id the files hold as a member has consent."""
    import csv
    import uuid

    folder = tmp_path_factory.mktemp("e2e")
    name = f"e{uuid.uuid4().hex[:8]}"
    _consent(one_store, consents, channel)
    granted = {c for c, g in consents.items() if g}
    rows = {c: {"customer_id": c, "monetary": m} for c, m in zip(IDS, monetary, strict=True)}
    for i, raw in enumerate(rules):
        plan = parse_plan(
            {
                "audiences": [{"name": "a", "channels": [channel], "rule": raw}],
                "exports": [
                    {
                        "name": name,
                        "audience": "a",
                        "channel": channel,
                        "target": "csv",
                        "path": f"run{i}.csv",
                    }
                ],
            }
        )
        rule = plan.audiences[0].rule
        members = frozenset(c for c, p in rows.items() if evaluate(rule, p, NOW))
        outcome = AudienceOutcome(
            NOW, 12, [AudienceMembers("a", len(members), 0, 0, members)], {}, rows
        )
        previous = state.previous_members(one_store.engine, name)
        run_export(plan, name, outcome, one_store, DEV, base_dir=folder)
        with (folder / f"run{i}.csv").open(encoding="utf-8") as f:
            sent = [r["id"] for r in csv.DictReader(f) if r["change"] != "left"]
        assert set(sent) <= granted
        assert set(sent) == (members & granted) - previous


def test_webhook_delta_runs_through_a_failing_server(store: ProfileStore, tmp_path: Path) -> None:
    """Two delta runs, pseudonymised, to a server failing 30% of requests: each run's entered
    and left records arrive exactly once, and the second run sends only the difference."""
    import json

    import httpx

    from cible.activation.exporters.http import RetryPolicy
    from tests.unit.activation.local_server import Behaviour, LocalServer

    behaviour = Behaviour(fail_share=0.3, seed=1)
    fast = RetryPolicy(attempts=40, initial_seconds=0.001, max_seconds=0.005)
    ids = [f"C{i:04d}" for i in range(300)]
    _consent(store, {c: i % 10 != 0 for i, c in enumerate(ids)})  # every 10th refused
    with LocalServer(behaviour) as server, httpx.Client() as client:
        plan = parse_plan(
            {
                "audiences": [
                    {"name": "a", "channels": ["email"], "rule": {"field": "monetary", ">": 0}}
                ],
                "exports": [
                    {
                        "name": "hook",
                        "audience": "a",
                        "channel": "email",
                        "target": "webhook",
                        "url": f"{server.url}/in",
                        "pseudonymise": True,
                        "batch_size": 16,
                    }
                ],
            }
        )
        for members in (set(ids[:200]), set(ids[100:])):
            run_export(
                plan,
                "hook",
                _outcome(members),
                store,
                DEV,
                base_dir=tmp_path,
                client=client,
                policy=fast,
            )
    assert behaviour.failures > 0
    records = [r for b in behaviour.applied.values() for r in json.loads(b)["records"]]
    pseudo = {pseudonymise(c, b"s" * 32): c for c in ids}
    entered = [pseudo[r["id"]] for r in records if r["change"] == "entered"]
    left = [pseudo[r["id"]] for r in records if r["change"] == "left"]
    consented = {c for i, c in enumerate(ids) if i % 10 != 0}
    assert sorted(entered) == sorted(consented & set(ids[:200])) + sorted(
        consented & set(ids[200:])
    )
    assert sorted(left) == sorted(consented & set(ids[:100]))
    assert len(entered) == len(set(entered))  # nobody twice


def test_store_erasure_removes_every_row_of_the_customer_and_its_records(
    store: ProfileStore, tmp_path: Path
) -> None:
    plan = _plan(tmp_path)
    _consent(store, {"C1": True, "C2": True})
    run_export(plan, "e", _outcome({"C1", "C2"}), store, DEV, base_dir=tmp_path)
    with store.engine.begin() as conn:
        conn.execute(t.customer_aliases.insert(), [{"record_id": "R9", "customer_id": "C1"}])
        conn.execute(t.processed_events.insert(), [
            {"event_id": "E1", "customer_id": "R9", "processed_at": NOW},
            {"event_id": "E2", "customer_id": "C2", "processed_at": NOW},
        ])  # fmt: skip
    ids = state.aliases_of(store.engine, "C1")
    assert ids == {"C1", "R9"}
    deleted = state.erase_customer(store.engine, ids)
    assert {k: n for k, n in deleted.items() if n} == {
        "customer_aliases": 1,
        "processed_events": 1,
        "consents": 1,
        "export_members": 1,
        "contacts": 1,
    }
    assert state.previous_members(store.engine, "e") == {"C2"}
    assert state.granted(store.engine, "email") == {"C2"}
