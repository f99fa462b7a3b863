"""Activation on a small demo run: the example plan's audiences (SQL in the warehouse equal to
Python on every profile), exports that respect consent in the store, and an erasure that leaves
no trace of the customer in the store, the warehouse, the export state or the run's files."""

from __future__ import annotations

import csv
import json
import re
import shutil
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from cible.config.activation import ActivationSettings
from cible.exceptions import NotFoundError
from cible.services.audiences import build_audiences, load_plan
from cible.services.demo import run_demo
from cible.services.erase import erase_customer
from cible.services.exports import run_export
from cible.store import ProfileStore

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "audiences.yaml"
pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("demo")
    run_demo(out, customers=1_000, seed=3)
    plans = tmp_path_factory.mktemp("plan")
    shutil.copy(EXAMPLE, plans / "audiences.yaml")
    shutil.copy(EXAMPLE.parent / "suppress_example.csv", plans / "suppress_example.csv")
    return out, plans / "audiences.yaml"


def _exported_ids(path: Path) -> list[str]:
    if path.suffix == ".csv":
        return [r["id"] for r in csv.DictReader(path.open(encoding="utf-8"))]
    return pq.read_table(path)["id"].to_pylist()


def test_example_plan_exports_only_consented_customers(demo: tuple[Path, Path]) -> None:
    run, plan_path = demo
    plan = load_plan(plan_path)
    outcome = build_audiences(plan, run)  # raises if SQL and Python disagree on anyone
    assert outcome.profiles == 1_000
    assert all(outcome.sql_python_agree[a.name] == a.qualified for a in outcome.audiences)
    assert all(a.qualified > 0 for a in outcome.audiences)
    settings = ActivationSettings(environment="dev", export_secret="k" * 32)
    with ProfileStore.open(f"sqlite:///{run / 'store.db'}") as store:
        with store.engine.connect() as conn:
            granted = {
                (c, ch)
                for c, ch in conn.execute(
                    sa.text("SELECT customer_id, channel FROM consents WHERE granted")
                )
            }
        results = {
            e.name: run_export(plan, e.name, outcome, store, settings, base_dir=run / "activation")
            for e in plan.exports
        }
    email = plan.export("vip_email_csv")
    ids = _exported_ids(run / "activation" / str(email.path))
    assert len(ids) == results["vip_email_csv"].entered > 0
    assert all((c, "email") in granted for c in ids)
    members = outcome.members("vip_recent")
    assert results["vip_email_csv"].without_consent == len(
        {c for c in members if (c, "email") not in granted}
    )
    # pseudonymised exports hide the ids
    sms_ids = _exported_ids(run / "activation" / str(plan.export("lapsing_sms_parquet").path))
    assert sms_ids and all(re.fullmatch(r"[0-9a-f]{64}", i) for i in sms_ids)


def _victims(run: Path) -> dict[str, str]:
    """Two customers in an export's state: one whose id is in quarantine.csv, one with a
    merged-away record (its duplicate account)."""
    with sqlite3.connect(run / "store.db") as con:
        merged = {r[0] for r in con.execute("SELECT customer_id FROM customer_aliases")}
        exported = {r[0] for r in con.execute("SELECT customer_id FROM export_members")}
    text = (run / "quarantine.csv").read_text(encoding="utf-8")
    quarantined = {t for t in re.findall(r"C\d{7}", text) if t in exported}
    return {
        "quarantine.csv": sorted(quarantined)[0],
        "s.customer_aliases": sorted(merged & exported)[0],
    }


def _rows_mentioning(rows: Iterable[Sequence[object]], pattern: re.Pattern[str]) -> int:
    return sum(any(isinstance(v, str) and pattern.search(v) for v in row) for row in rows)


def _mentions(run: Path, ids: set[str]) -> dict[str, int]:
    """Rows or files that mention any of ``ids``, in the store, the warehouse and the run."""
    alternatives = "|".join(map(re.escape, ids))
    pattern = re.compile(rf"(?<![A-Za-z0-9_-])(?:{alternatives})(?![A-Za-z0-9_-])")
    found: dict[str, int] = {}
    with sqlite3.connect(run / "store.db") as con:
        for (table,) in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
        ).fetchall():
            found[f"s.{table}"] = _rows_mentioning(con.execute(f'SELECT * FROM "{table}"'), pattern)
    wh = duckdb.connect(str(run / "warehouse.duckdb"), read_only=True)
    for (table,) in wh.execute("SELECT table_name FROM information_schema.tables").fetchall():
        found[f"w.{table}"] = _rows_mentioning(
            wh.execute(f'SELECT * FROM "{table}"').fetchall(), pattern
        )
    wh.close()
    files = [*run.iterdir(), *(run / "activation").iterdir()]
    for path in files:
        if path.suffix == ".csv":
            found[path.name] = len(pattern.findall(path.read_text(encoding="utf-8")))
        if path.suffix == ".parquet":
            rows = [tuple(r.values()) for r in pq.read_table(path).to_pylist()]
            found[path.name] = _rows_mentioning(rows, pattern)
    return {k: n for k, n in found.items() if n}


def test_erasure_leaves_no_trace(demo: tuple[Path, Path]) -> None:
    run, _ = demo  # runs after the export test: the export state exists
    for place, victim in _victims(run).items():
        with sqlite3.connect(run / "store.db") as con:
            query = "SELECT record_id FROM customer_aliases WHERE customer_id = ?"
            ids = {victim} | {r[0] for r in con.execute(query, [victim])}
        before = _mentions(run, ids)
        expected = {place, "s.customers", "s.consents", "s.export_members", "w.events"}
        expected |= {"w.customers", "features.parquet", "segments.parquet", "golden.csv"}
        assert expected <= set(before), place
        receipt, path = erase_customer(victim, run, f"sqlite:///{run / 'store.db'}")
        assert _mentions(run, ids) == {}
        text = path.read_text(encoding="utf-8")
        assert not any(i in text for i in ids)  # the receipt holds no personal data
        assert json.loads(text)["rows_deleted"] == receipt["rows_deleted"] > 0
        assert receipt["places"]["store.consents"] == 3  # email, sms, push
        with pytest.raises(NotFoundError, match="nothing to erase"):  # a second erasure
            erase_customer(victim, run, f"sqlite:///{run / 'store.db'}")


def test_the_commands_on_the_demo_run(demo: tuple[Path, Path]) -> None:
    from typer.testing import CliRunner

    from cible.cli.main import app

    run, plan = demo
    runner = CliRunner()
    result = runner.invoke(app, ["audience", "--plan", str(plan), "--out", str(run)])
    assert result.exit_code == 0, result.output
    data = json.loads((run / "activation" / "audiences.json").read_text(encoding="utf-8"))
    assert [a["name"] for a in data["audiences"]] == ["vip_recent", "lapsing", "new_customers"]
    assert all(a["sql_equals_python"] for a in data["audiences"])
    store = f"sqlite:///{run / 'store.db'}"
    args = ["export", "--plan", str(plan), "--out", str(run), "--store", store]
    result = runner.invoke(app, [*args, "--name", "new_push_full"])
    assert result.exit_code == 0, result.output
    (exported,) = json.loads((run / "activation" / "exports.json").read_text(encoding="utf-8"))
    assert exported["export_name"] == "new_push_full" and exported["entered"] == exported["members"]
    with sqlite3.connect(run / "store.db") as con:
        (victim,) = con.execute("SELECT customer_id FROM customers ORDER BY 1 LIMIT 1").fetchone()
    result = runner.invoke(
        app, ["erase", "--customer", victim, "--out", str(run), "--store", store]
    )
    assert result.exit_code == 0, result.output
    assert "Erased:" in result.output and victim not in result.output


def test_erasure_reaches_the_redis_copy_and_the_command(
    demo: tuple[Path, Path], redis_url: str
) -> None:
    """The online store (a cache of profiles) keeps nothing of an erased customer: its profile
    key and its entry in its segment's member set go; the others stay."""
    import uuid

    from typer.testing import CliRunner

    from cible.cli.main import app
    from cible.store.online import OnlineStore

    run, _ = demo
    store_url = f"sqlite:///{run / 'store.db'}"
    prefix = f"cible-test-{uuid.uuid4().hex[:8]}:"
    online = OnlineStore.open(redis_url, prefix)
    try:
        with ProfileStore.open(store_url) as store:
            written = online.rebuild(store)
            with store.engine.connect() as conn:
                victim, keep = conn.execute(
                    sa.text("SELECT customer_id FROM profiles ORDER BY customer_id DESC LIMIT 2")
                ).scalars()
        profile = online.read(victim)
        assert profile is not None and profile.segment_id is not None
        assert victim in online.members(profile.segment_id)
        result = CliRunner().invoke(
            app,
            ["erase", "--customer", victim, "--out", str(run), "--store", store_url,
             "--online-store", redis_url, "--online-prefix", prefix],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert victim not in result.output
        assert online.read(victim) is None
        assert victim not in online.members(profile.segment_id)
        assert online.read(keep) is not None
        remaining = sum(1 for _ in online.client.scan_iter(match=f"{prefix}profile:*"))
        assert remaining == written - 1
        receipts = sorted(
            (run / "erasure_receipts").glob("*.json"), key=lambda p: p.stat().st_mtime
        )
        assert (
            json.loads(receipts[-1].read_text(encoding="utf-8"))["places"]["online.profiles"] == 1
        )
    finally:
        online.clear()
        online.close()
