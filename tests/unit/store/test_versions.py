"""The version registry on SQLite: list, show, rollback (a re-publication of the older model)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from cible.cli.main import app
from cible.store import ProfileStore, StoreError
from cible.store import tables as t
from cible.store.versions import VersionRegistry
from tests.unit.store.fakes import ThresholdModel, at, ev

AS_OF = datetime(2024, 4, 1, tzinfo=UTC)
runner = CliRunner()


@pytest.fixture
def url(tmp_path: Path) -> str:
    """A store with three buyers (60, 150, 500) under v1 (threshold 100), then v2 (200)."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with ProfileStore.open(url) as store:
        store.apply_events(
            [
                ev("e1", "a", at(1), "purchase", "60", "o1"),
                ev("e2", "b", at(1), "purchase", "500", "o2"),
                ev("e3", "c", at(1), "purchase", "150", "o3"),
            ],
            as_of=AS_OF,
        )
        assert store.publish(ThresholdModel(100.0)) == 1
        assert store.memberships() == {"a": 1, "b": 2, "c": 2}
        assert store.publish(ThresholdModel(200.0)) == 2
        assert store.memberships() == {"a": 1, "b": 2, "c": 1}
    return url


def _registry(store: ProfileStore) -> VersionRegistry:
    return VersionRegistry(store.engine, store.url)


def test_list_and_show_read_models_segments_and_current_members(url: str) -> None:
    with ProfileStore.open(url) as store:
        versions = _registry(store).list()
        assert [(v.version, v.active, v.current_members) for v in versions] == [
            (1, False, 0),
            (2, True, 3),
        ]
        v2 = _registry(store).show(2)
    assert [(s.segment_id, s.name, s.size_at_publish, s.current_members) for s in v2.segments] == [
        (0, "Prospects", 0, 0),
        (1, "Small", 2, 2),
        (2, "Big", 1, 1),
    ]
    assert v2.same_artifact_as is None and v2.cible_version == "test"
    assert "frequency" in v2.features and len(v2.sha256) == 64


def test_rollback_republishes_the_old_artifact_and_rescores_every_customer(url: str) -> None:
    with ProfileStore.open(url) as store:
        registry = _registry(store)
        v1 = registry.show(1)
        assert registry.rollback(1) == 3
        v3 = registry.show(3)
        assert store.memberships() == {"a": 1, "b": 2, "c": 2}  # c is Big again, as under v1
        assert store.health()["model_version"] == 3
        model = store.current_model()
        assert isinstance(model, ThresholdModel) and model.threshold == 100.0
        with store.engine.connect() as conn:
            h = t.membership_history.c
            moves = conn.execute(
                sa.select(h.segment_id, h.model_version, h.valid_to.is_(None))
                .where(h.customer_id == "c")
                .order_by(h.id)
            ).all()
    assert (v3.sha256, v3.same_artifact_as, v3.active) == (v1.sha256, 1, True)
    assert [(s.segment_id, s.size_at_publish) for s in v3.segments] == [(0, 0), (1, 1), (2, 2)]
    # c: Big under v1, Small under v2, Big again under v3; only the last row is open
    assert [tuple(r) for r in moves][-2:] == [(1, 2, False), (2, 3, True)]


def test_rollback_refuses_the_active_and_an_unknown_version(url: str) -> None:
    with ProfileStore.open(url) as store:
        registry = _registry(store)
        with pytest.raises(StoreError, match="version 2 is already the active version"):
            registry.rollback(2)
        with pytest.raises(StoreError, match=r"version 9: it does not exist \(versions 1\.\.2"):
            registry.rollback(9)
        with pytest.raises(StoreError, match="version 9 does not exist"):
            registry.show(9)
        assert [v.version for v in registry.list()] == [1, 2]  # nothing written


def test_cli_versions_list_show_rollback(url: str) -> None:
    listed = runner.invoke(app, ["versions", "list", "--store", url, "--json"])
    assert listed.exit_code == 0, listed.output
    assert [(v["version"], v["active"]) for v in json.loads(listed.output)] == [
        (1, False),
        (2, True),
    ]
    table = runner.invoke(app, ["versions", "list", "--store", url])
    assert table.exit_code == 0 and "*" in table.output
    shown = runner.invoke(app, ["versions", "show", "2", "--store", url])
    assert shown.exit_code == 0 and "Version 2 (active)" in shown.output and "Small" in shown.output
    rolled = runner.invoke(app, ["versions", "rollback", "1", "--store", url])
    assert rolled.exit_code == 0, rolled.output
    assert "Rolled back to version 1: now active as version 3 (3 customers scored)" in rolled.output
    again = runner.invoke(app, ["versions", "rollback", "3", "--store", url])
    assert again.exit_code == 2 and "already the active version" in again.output
    v3 = json.loads(runner.invoke(app, ["versions", "show", "3", "--store", url, "--json"]).output)
    assert v3["same_artifact_as"] == 1


def test_an_empty_store_lists_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    out = runner.invoke(app, ["versions", "list", "--store", url])
    assert out.exit_code == 0 and "No segment model is published" in out.output
    rolled = runner.invoke(app, ["versions", "rollback", "1", "--store", url])
    assert rolled.exit_code == 2 and "none is published" in rolled.output


META = {
    "parameters": {"candidate": "kmeans(n_clusters=2)", "params": {"n_clusters": 2}},
    "metrics": {"silhouette": 0.5},
    "training_window": {"as_of": "2024-04-01", "first_event": None, "last_event": None},
    "code_version": {"trained_by": "test", "published_by": "test"},
    "feature_schema": [{"name": "monetary", "dtype": "float64"}],
    "reference_distributions": {"features": {"monetary": {"counts": [1, 2, 0]}}},
    "stable_ids": {"kept": [{"id": 1, "name": "Small"}], "new": [], "vanished": []},
}


def test_metadata_is_recorded_shown_and_carried_by_a_rollback(url: str) -> None:
    with ProfileStore.open(url) as store:
        registry = _registry(store)
        assert registry.show(2).metadata is None  # published without metadata
        registry.set_metadata(1, META)
        assert registry.show(1).metadata == META
        assert registry.show(1).to_dict()["metadata"] == META
        with pytest.raises(StoreError, match=r"metadata of version 7: versions 1\.\.2"):
            registry.set_metadata(7, META)
        assert registry.rollback(1) == 3
        assert registry.show(3).metadata == {**META, "rolled_back_from": 1}
        assert registry.segment_ids_ever() == {0, 1, 2}
    shown = runner.invoke(app, ["versions", "show", "3", "--store", url])
    assert shown.exit_code == 0, shown.output
    for line in (
        'Parameters: kmeans(n_clusters=2) {"n_clusters": 2}',
        "Metrics: silhouette=0.5",
        "Reference histograms: monetary (3 bins)",
        "Stable ids: kept 1, new 0, vanished 0, split 0, merged 0",
        "Rolled back from version 1",
    ):
        assert line in shown.output
    bare = runner.invoke(app, ["versions", "show", "2", "--store", url])
    assert "No registry metadata" in bare.output


def test_migration_0003_downgrades_and_upgrades_again(url: str) -> None:
    from importlib.resources import files

    from alembic import command
    from alembic.config import Config

    with ProfileStore.open(url) as store:
        _registry(store).set_metadata(1, META)
        config = Config()
        config.set_main_option("script_location", str(files("cible.store") / "migrations"))
        with store.engine.connect() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0002_activation")
            conn.commit()
            columns = {c["name"] for c in sa.inspect(conn).get_columns("segment_models")}
            assert "metadata" not in columns and "sha256" in columns
            assert conn.execute(sa.text("SELECT count(*) FROM segment_models")).scalar() == 2
            command.upgrade(config, "head")
            conn.commit()
            columns = {c["name"] for c in sa.inspect(conn).get_columns("segment_models")}
            assert "metadata" in columns
        assert _registry(store).show(1).metadata is None  # the downgrade dropped it
