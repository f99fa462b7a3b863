"""Alembic upgrade and downgrade on a populated store, on SQLite and PostgreSQL: the head goes
down to 0001 and up again without touching the rows of the 0001 tables (on the 0001 columns);
0001 goes down to nothing; the migrated schema equals the tables' metadata."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from cible.store import ProfileStore
from cible.store import tables as t
from cible.store.backup import revision
from cible.store.db import downgrade, upgrade
from tests.conftest import fresh_schema_name
from tests.unit.api.conftest import STORE_PG_URL, drop_schema
from tests.unit.store.test_backup import dump, populated

HEAD = "0005_centroid_state"
# tables created after 0001 (0002_activation, 0004_live_audiences, 0005_centroid_state): dropped
# by a downgrade to 0001
ACTIVATION = {
    "export_members",
    "export_runs",
    "contacts",
    "audience_members",
    "audience_notifications",
    "centroid_state",
}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ProfileStore]:
    """A populated store (every table has rows) on each backend."""
    source = populated(tmp_path / "source.db")
    if request.param == "sqlite":
        yield source
        source.close()
        return
    from cible.store.backup import export_store, import_store

    backup = tmp_path / "b.jsonl"
    with backup.open("w", encoding="utf-8") as f:
        export_store(source.engine, f)
    source.close()
    schema = fresh_schema_name()
    pg = ProfileStore.open(STORE_PG_URL, schema=schema)
    import_store(pg.engine, backup)
    try:
        yield pg
    finally:
        pg.close()
        drop_schema(schema)


def tables_of(store: ProfileStore) -> set[str]:
    return set(sa.inspect(store.engine).get_table_names()) - {"alembic_version"}


def at(store: ProfileStore) -> str | None:
    with store.engine.connect() as conn:
        return revision(conn)


def schema_diff(store: ProfileStore) -> list[Any]:
    with store.engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), t.metadata))


def test_downgrade_and_upgrade_a_populated_store(store: ProfileStore) -> None:
    before = dump(store)
    assert all(before.values())
    assert at(store) == HEAD
    assert schema_diff(store) == []

    downgrade(store.engine, "0001")
    assert at(store) == "0001"
    assert tables_of(store) == set(before) - ACTIVATION
    with store.engine.connect() as conn:
        for name in set(before) - ACTIVATION:
            table = t.metadata.tables[name]
            kept = {c["name"] for c in sa.inspect(conn).get_columns(name)}
            cols = [c for c in table.columns if c.name in kept]
            rows = sorted(tuple(r) for r in conn.execute(sa.select(*cols)))
            index = [i for i, c in enumerate(table.columns) if c.name in kept]
            assert rows == sorted(tuple(r[i] for i in index) for r in before[name]), name
    # 0003_lifecycle's column is gone from segment_models, the 0001 columns are all there
    assert "metadata" not in {
        c["name"] for c in sa.inspect(store.engine).get_columns("segment_models")
    }

    upgrade(store.engine)
    assert at(store) == HEAD
    after = dump(store)
    meta = [c.name for c in t.segment_models.columns].index("metadata")

    def without_metadata(name: str, rows: list[Any]) -> list[Any]:
        if name != "segment_models":
            return rows
        return [tuple(None if i == meta else v for i, v in enumerate(r)) for r in rows]

    assert {n: r for n, r in after.items() if n not in ACTIVATION} == {
        n: without_metadata(n, r) for n, r in before.items() if n not in ACTIVATION
    }
    assert all(after[n] == [] for n in ACTIVATION)  # what the downgrade dropped is gone
    assert schema_diff(store) == []

    downgrade(store.engine, "base")
    assert at(store) is None
    assert tables_of(store) == set()
    upgrade(store.engine)
    assert tables_of(store) == set(before)
    assert all(rows == [] for rows in dump(store).values())
