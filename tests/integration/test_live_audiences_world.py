"""Live audiences against the batch: on a demo run, the store's profiles of every customer
recomputed by the stream path (Python rules, :class:`LiveAudiences`) give the members that
``cible audience`` finds with SQL in the warehouse at the same now; and ``cible consume
--audiences`` notifies a customer whose events take him into an audience."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cible.cli.main import app
from cible.services.audiences import build_audiences, load_plan
from cible.services.demo import run_demo
from cible.services.live_audiences import LiveAudiences
from cible.store import ProfileStore

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "audiences.yaml"
pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    run_demo(out, customers=1_000, seed=3)
    return out


def test_stream_members_equal_the_batch_sql_members(demo: Path, tmp_path: Path) -> None:
    plan = load_plan(EXAMPLE)
    outcome = build_audiences(plan, demo)
    batch = {a.name: a.members for a in outcome.audiences if a.members}
    assert set(batch) == {"vip_recent", "lapsing", "new_customers"}
    shutil.copy(demo / "store.db", tmp_path / "store.db")
    with ProfileStore.open(f"sqlite:///{tmp_path / 'store.db'}") as store:
        notes = LiveAudiences(plan).update(store, sorted(outcome.rows), outcome.now)
        assert store.audience_members() == batch
    channels = {a.name: len(a.channels) for a in plan.audiences}
    assert len(notes) == sum(len(m) * channels[name] for name, m in batch.items())
    assert {n.kind for n in notes} == {"audience.entered"}


def test_consume_with_audiences_notifies_the_customer_who_enters(
    demo: Path, tmp_path: Path
) -> None:
    plan = load_plan(EXAMPLE)
    now = build_audiences(plan, demo).now
    shutil.copy(demo / "store.db", tmp_path / "store.db")
    day = (now - timedelta(days=1, hours=14)).isoformat()
    events = [
        {
            "event_id": f"live-{i}",
            "customer_id": "LIVE-1",
            "event_type": "purchase",
            "timestamp": day,
            "amount": "600",
            "order_id": f"LO-{i}",
        }
        for i in range(2)
    ]
    source = tmp_path / "events.jsonl"
    source.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'store.db'}"
    args = ["consume", "--store", url, "--bus-url", str(source), "--as-of", now.isoformat()]
    result = CliRunner().invoke(app, [*args, "--audiences", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    notes = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    # 1200 >= 1000 and an order within 60 days: vip_recent, exclusive, on its two channels
    assert [
        (n["kind"], n["customer_id"], n["audience"], n["channel"])
        for n in notes
        if n["kind"].startswith("audience.")
    ] == [
        ("audience.entered", "LIVE-1", "vip_recent", "email"),
        ("audience.entered", "LIVE-1", "vip_recent", "push"),
    ]
    stopped = [json.loads(x) for x in result.stderr.splitlines() if "consumer stopped" in x]
    assert stopped[0]["audience_notified"] == 2
    with ProfileStore.open(url) as store:
        assert store.pending_audience_notifications() == []
