"""The registry metadata (migration 0003_lifecycle) on SQLite and PostgreSQL: recorded, read
back as JSON, carried by a rollback, and the segment ids ever used."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cible.store import ProfileStore
from cible.store.versions import VersionRegistry
from tests.contract.test_store import AS_OF, BACKENDS, dispose, open_store
from tests.unit.store.fakes import ThresholdModel, at, ev

META = {
    "parameters": {"candidate": "kmeans(n_clusters=2)", "params": {"n_clusters": 2}},
    "metrics": {"silhouette": 0.25, "passed_all_gates": True},
    "reference_distributions": {"features": {"monetary": {"counts": [3, 0, 1], "nulls": 0}}},
    "training_window": {"as_of": "2024-04-01", "first_event": "2024-03-01T00:00:00+00:00"},
    "stable_ids": None,
}


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ProfileStore]:
    s, schema = open_store(request.param, tmp_path)
    try:
        yield s
    finally:
        dispose(s, schema)


def test_metadata_round_trips_and_a_rollback_carries_it(store: ProfileStore) -> None:
    store.apply_events(
        [ev("e1", "a", at(1), "purchase", "60", "o1"), ev("e2", "b", at(1), "purchase", "500")],
        as_of=AS_OF,
    )
    assert store.publish(ThresholdModel(100.0)) == 1
    assert store.publish(ThresholdModel(1000.0)) == 2
    registry = VersionRegistry(store.engine, store.url)
    registry.set_metadata(1, META)
    assert registry.show(1).metadata == META
    assert registry.show(2).metadata is None
    assert registry.rollback(1) == 3
    assert registry.show(3).metadata == {**META, "rolled_back_from": 1}
    assert registry.segment_ids_ever() == {0, 1, 2}
    assert store.memberships() == {"a": 1, "b": 2}


def test_migration_0003_downgrades_and_upgrades_on_both_backends(store: ProfileStore) -> None:
    from importlib.resources import files

    import sqlalchemy as sa
    from alembic import command
    from alembic.config import Config

    assert store.publish(ThresholdModel(100.0)) == 1
    VersionRegistry(store.engine, store.url).set_metadata(1, META)
    config = Config()
    config.set_main_option("script_location", str(files("cible.store") / "migrations"))
    with store.engine.connect() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0002_activation")
        conn.commit()
        assert "metadata" not in {c["name"] for c in sa.inspect(conn).get_columns("segment_models")}
        command.upgrade(config, "head")
        conn.commit()
        assert "metadata" in {c["name"] for c in sa.inspect(conn).get_columns("segment_models")}
    assert VersionRegistry(store.engine, store.url).show(1).metadata is None
