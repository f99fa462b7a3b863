"""``export_store`` / ``import_store``: a populated store goes SQLite -> PostgreSQL -> SQLite with
every table equal row for row, and a damaged or misplaced import is refused."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from cible.store import ProfileStore, StoreError
from cible.store import tables as t
from cible.store.backup import export_store, import_store
from tests.conftest import fresh_schema_name
from tests.unit.api.conftest import STORE_PG_URL, drop_schema, publish_world

NOW = datetime(2024, 4, 2, 9, 30, 15, 123456, tzinfo=UTC)


def populated(path: Path) -> ProfileStore:
    store = ProfileStore.open(f"sqlite:///{path}")
    publish_world(store, 50)
    store.create_api_key(["read", "write"], name="backup-test")
    with store.engine.begin() as conn:  # the tables the world leaves empty, filled by hand
        for table in t.metadata.sorted_tables:
            if conn.execute(sa.select(table).limit(1)).first() is None:
                conn.execute(sa.insert(table), [_row(table)])
    return store


def _row(table: sa.Table) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for c in table.columns:
        kind = c.type
        if isinstance(kind, t.UTCDateTime):
            values[c.name] = NOW
        elif isinstance(kind, sa.Date):
            values[c.name] = NOW.date()
        elif isinstance(kind, sa.Boolean):
            values[c.name] = True
        elif isinstance(kind, sa.Integer):
            values[c.name] = 7
        elif isinstance(kind, sa.JSON):
            values[c.name] = {"k": [1, 2.5, "é"]}
        elif isinstance(kind, sa.LargeBinary):
            values[c.name] = b"\x00\xff"
        else:
            values[c.name] = "C00001" if "customer" in c.name else "x"
    return values


def dump(store: ProfileStore) -> dict[str, list[tuple[Any, ...]]]:
    with store.engine.connect() as conn:
        return {
            tb.name: sorted(tuple(r) for r in conn.execute(sa.select(tb)))
            for tb in t.metadata.sorted_tables
        }


@pytest.fixture
def pg_store() -> Iterator[ProfileStore]:
    schema = fresh_schema_name()
    store = ProfileStore.open(STORE_PG_URL, schema=schema)
    try:
        yield store
    finally:
        store.close()
        drop_schema(schema)


@pytest.mark.postgresql
def test_sqlite_to_postgresql_and_back_keeps_every_row(
    tmp_path: Path, pg_store: ProfileStore
) -> None:
    source = populated(tmp_path / "a.db")
    rows = dump(source)
    assert all(rows.values()), [name for name, r in rows.items() if not r]  # every table filled
    backup = tmp_path / "a.jsonl"
    with backup.open("w", encoding="utf-8") as f:
        counts = export_store(source.engine, f)
    assert counts == {name: len(r) for name, r in rows.items()}
    assert import_store(pg_store.engine, backup) == counts
    assert dump(pg_store) == rows

    again = tmp_path / "b.jsonl"
    with again.open("w", encoding="utf-8") as f:
        export_store(pg_store.engine, f)
    target = ProfileStore.open(f"sqlite:///{tmp_path / 'b.db'}")
    assert import_store(target.engine, again) == counts
    assert dump(target) == rows
    assert again.read_text(encoding="utf-8") == backup.read_text(encoding="utf-8")
    # the sequences moved past the imported ids: a new key gets the next id
    pg_store.create_api_key(["read"], name="after-import")
    with pg_store.engine.connect() as conn:
        ids = [r.id for r in conn.execute(sa.select(t.api_keys.c.id).order_by(t.api_keys.c.id))]
    assert ids[-1] == ids[-2] + 1
    source.close()
    target.close()


def test_a_round_trip_on_sqlite_and_the_refusals(tmp_path: Path) -> None:
    source = populated(tmp_path / "a.db")
    backup = tmp_path / "a.jsonl"
    with backup.open("w", encoding="utf-8") as f:
        export_store(source.engine, f)
    with pytest.raises(StoreError, match=r"the target store is not empty \(tables \["):
        import_store(source.engine, backup)
    lines = backup.read_text(encoding="utf-8").splitlines()
    cut = tmp_path / "cut.jsonl"
    cut.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    empty = ProfileStore.open(f"sqlite:///{tmp_path / 'b.db'}")
    with pytest.raises(StoreError, match="incomplete export"):
        import_store(empty.engine, cut)
    assert dump(empty) == {tb.name: [] for tb in t.metadata.sorted_tables}  # rolled back
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"format": "other"}\n', encoding="utf-8")
    with pytest.raises(StoreError, match="not a cible store export"):
        import_store(empty.engine, bad)
    assert import_store(empty.engine, backup)["api_keys"] == 1
    assert dump(empty) == dump(source)
    source.close()
    empty.close()


def test_the_export_header_names_the_revision_and_every_table(tmp_path: Path) -> None:
    import json

    store = ProfileStore.open(f"sqlite:///{tmp_path / 'a.db'}")
    out = io.StringIO()
    assert set(export_store(store.engine, out)) == {tb.name for tb in t.metadata.sorted_tables}
    lines = out.getvalue().splitlines()
    header = json.loads(lines[0])
    assert (header["format"], header["version"], header["revision"]) == (
        "cible-store",
        1,
        "0005_centroid_state",
    )
    assert json.loads(lines[-1]) == {"end": dict.fromkeys(header["tables"], 0)}
    store.close()


def test_cli_export_then_import(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cible.cli.main import app

    source = populated(tmp_path / "a.db")
    expected = dump(source)
    source.close()
    runner = CliRunner()
    out = tmp_path / "backup.jsonl"
    a, b = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    r = runner.invoke(app, ["store", "export", "--store", a, "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert " ".join(r.output.split()) == f"Exported 305 rows of 19 tables to {out}"
    r = runner.invoke(app, ["store", "import", "--store", b, "--in", str(out)])
    assert r.exit_code == 0, r.output
    with ProfileStore.open(b) as target:
        assert dump(target) == expected
    r = runner.invoke(app, ["store", "import", "--store", b, "--in", str(out)])
    assert r.exit_code == 2
    assert "the target store is not empty" in r.output
