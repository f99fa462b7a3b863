"""Parity of the live store with the batch run (issue 12, point 6).

A generated world goes through the batch pipeline; then ALL its events are replayed through
``apply_events``, shuffled, in batches, with their ingested (pre-merge) customer ids, on a fresh
store holding only the published model, the customer records and the aliases, at the batch run's
as_of. Every profile must equal ``features.parquet`` (exact for counts, 1e-9 relative for floats)
and every membership the model's own predict on the batch features. On SQLite and PostgreSQL."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from cible.config import FEATURE_NAMES, load_config
from cible.segmentation.model_artifact import SegmentModel
from cible.services.demo import write_demo_config
from cible.services.pipeline import run_pipeline
from cible.services.publish import alias_pairs, customer_rows, open_run_warehouse, publish_run
from cible.store import LiveEvent, ProfileStore
from cible.synth.generate import generate_world
from tests.contract.test_store import BACKENDS, dispose, open_store

pytestmark = pytest.mark.integration
COUNTS = ("frequency", "events_30d", "events_90d")
BATCH = 1000  # a predict call costs ~0.15 s whatever the batch size: fewer, larger batches


@dataclass(frozen=True)
class Run:
    out: Path
    as_of: date
    features: pd.DataFrame
    segments: pd.DataFrame
    model: SegmentModel
    events: list[LiveEvent]
    customers: list[dict[str, object]]
    aliases: list[tuple[str, str]]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    out = tmp_path_factory.mktemp("parity")
    generate_world(1_000, 11, out / "data")
    path = write_demo_config(out)
    data = yaml.safe_load(path.read_text("utf-8"))
    seg = data.setdefault("segmentation", {})
    seg["selection"] = {**seg.get("selection", {}), "algorithms": ["kmeans"]}
    seg["maps"] = {"tsne": False}
    seg["validation"] = {**seg.get("validation", {}), "bootstrap": 0}
    path.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    config = load_config(path)
    result = run_pipeline(config, out)
    wh = open_run_warehouse(out, config)
    try:
        original = "coalesce(original_customer_id, customer_id)"
        names = wh.fetch_arrow("SELECT * FROM events LIMIT 0").column_names
        who = original if "original_customer_id" in names else "customer_id"
        rows = wh.fetch_arrow(
            f"SELECT event_id, {who} AS customer_id, event_type, timestamp, order_id, amount "
            "FROM events"
        ).to_pylist()
        customers, aliases = customer_rows(wh), alias_pairs(wh)
    finally:
        wh.close()
    events = [LiveEvent.model_validate(r) for r in rows]
    return Run(
        out=out,
        as_of=result.as_of,
        features=pd.read_parquet(out / "features.parquet").set_index("customer_id"),
        segments=pd.read_parquet(out / "segments.parquet").set_index("customer_id"),
        model=SegmentModel.load(out / "segment_model.joblib"),
        events=events,
        customers=customers,
        aliases=aliases,
    )


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ProfileStore]:
    s, schema = open_store(request.param, tmp_path)
    try:
        yield s
    finally:
        dispose(s, schema)


def assert_features_equal(store: ProfileStore, expected: pd.DataFrame) -> None:
    got = pd.DataFrame.from_dict(
        {c: store.get_profile(c).features for c in expected.index},  # type: ignore[union-attr]
        orient="index",
    )[list(FEATURE_NAMES)].astype("float64")
    for name in FEATURE_NAMES:
        a, b = got[name].to_numpy(), expected[name].to_numpy()
        assert np.array_equal(np.isnan(a), np.isnan(b)), name
        if name in COUNTS:
            assert np.array_equal(a[~np.isnan(a)], b[~np.isnan(b)]), name
        else:
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=0, equal_nan=True, err_msg=name)


def test_replayed_stream_equals_the_batch_run(run: Run, store: ProfileStore) -> None:
    store.publish(run.model)
    store.load_history(customer_rows=run.customers, alias_pairs=run.aliases)
    events = run.events[:]
    random.Random(3).shuffle(events)
    as_of = datetime(run.as_of.year, run.as_of.month, run.as_of.day, tzinfo=UTC)
    applied = 0
    for start in range(0, len(events), BATCH):
        applied += store.apply_events(events[start : start + BATCH], as_of=as_of).applied
    assert applied == len(events)
    # customers known only by their record have no event to trigger an update: refresh them
    eventless = sorted(set(run.features.index) - {e.customer_id for e in run.events})
    store.refresh_profiles(as_of, [c for c in eventless if c in run.features.index])
    assert_features_equal(store, run.features)
    expected = pd.Series(run.model.predict(run.features), index=run.features.index)
    current = store.memberships()
    with_events = sorted(set(run.features.index) - set(eventless))
    assert {c: current[c] for c in with_events} == expected[with_events].to_dict()
    # k-means: the model's predict gives the batch labels back
    assert (expected != run.segments.loc[expected.index, "segment_id"]).sum() == 0
    again = store.apply_events(events[:BATCH], as_of=as_of)
    assert (again.applied, again.duplicates, again.changes) == (0, BATCH, [])


def test_publish_loads_the_run_like_the_batch(run: Run, store: ProfileStore) -> None:
    url = store.engine.url.render_as_string(hide_password=False)
    schema = None
    if store.engine.dialect.name == "postgresql":
        with store.engine.connect() as conn:
            schema = conn.exec_driver_sql("SELECT current_schema()").scalar()
    result = publish_run(run.out, url, schema=schema)
    assert (result.version, result.differ_from_batch) == (1, 0)
    assert result.events == len(run.events) and result.aliases == len(run.aliases)
    assert_features_equal(store, run.features)
    again = publish_run(run.out, url, schema=schema)
    assert again.version == 2 and again.differ_from_batch == 0
    assert store.apply_events(run.events[:BATCH]).applied == 0  # the run's events: processed


def test_cible_publish_command(run: Run, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cible.cli.main import app

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    done = CliRunner().invoke(app, ["publish", "--out", str(run.out), "--store", url])
    assert done.exit_code == 0, done.output
    text = " ".join(done.output.split())  # the console wraps long lines
    assert "Published model version 1" in text
    assert f"{len(run.features):,} memberships at {run.as_of.isoformat()}; 0 differ" in text
    empty = tmp_path / "empty"
    empty.mkdir()
    failed = CliRunner().invoke(app, ["publish", "--out", str(empty), "--store", url])
    assert failed.exit_code == 2
    assert "segment_model.joblib does not exist" in " ".join(failed.output.split())


def test_cible_publish_rebuilds_the_online_store(run: Run, tmp_path: Path, redis_url: str) -> None:
    """After a CLI publish with --online-store, Redis serves the new version's segments (it
    kept the old ones until an online-rebuild before)."""
    import uuid

    from typer.testing import CliRunner

    from cible.api.routes.customers import render_profile
    from cible.cli.main import app
    from cible.store.online import OnlineStore

    url = f"sqlite:///{tmp_path / 'online.db'}"
    prefix = f"cible-test-{uuid.uuid4().hex[:8]}:"
    online = OnlineStore.open(redis_url, prefix)
    try:
        online.client.hset(online.profile_key("stale"), mapping={"customer_id": "stale"})
        args = ["publish", "--out", str(run.out), "--store", url]
        done = CliRunner().invoke(
            app, [*args, "--online-store", redis_url, "--online-prefix", prefix]
        )
        assert done.exit_code == 0, done.output
        text = " ".join(done.output.split())
        n = len(run.features)
        assert f"under {prefix}: {n:,} profiles" in text
        assert online.read("stale") is None  # the prefix was cleared first
        store = ProfileStore.open(url)
        try:
            for cid in sorted(run.features.index.astype(str))[:25]:
                sql = store.get_profile(cid)
                assert sql is not None
                assert render_profile(online.read(cid)) == render_profile(sql)  # type: ignore[arg-type]
                assert sql.model_version == 1
        finally:
            store.close()
    finally:
        online.clear()
        online.close()
