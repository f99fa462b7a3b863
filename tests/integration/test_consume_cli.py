"""``cible consume --bus inprocess``: a JSON-lines file into the demo's SQLite store, end to end."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cible.cli.main import app
from tests.integration.stream_world import live_world, with_malformed

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from cible.services.demo import run_demo

    folder = tmp_path_factory.mktemp("demo")
    run_demo(folder, customers=1000, seed=42)
    return folder


def test_a_jsonl_file_is_applied_with_dead_letters_and_notifications(
    demo_run: Path, tmp_path: Path
) -> None:
    from cible.store import ProfileStore

    shutil.copy(demo_run / "store.db", tmp_path / "store.db")
    world = live_world(tmp_path / "live", customers=1000, seed=9, limit=3_000)
    bodies, planted = with_malformed(world.messages, 6, seed=3)
    source = tmp_path / "events.jsonl"
    source.write_bytes(b"\n".join(bodies) + b"\n")
    url = f"sqlite:///{tmp_path / 'store.db'}"
    args = ["consume", "--store", url, "--bus-url", str(source), "--batch-size", "250"]
    result = CliRunner().invoke(app, [*args, "--as-of", world.as_of_datetime.isoformat()])
    assert result.exit_code == 0, result.output
    stopped = [
        json.loads(line) for line in result.stderr.splitlines() if "consumer stopped" in line
    ]
    assert stopped[0]["received"] == 3_006
    assert (stopped[0]["applied"], stopped[0]["dead_lettered"]) == (3_000, 6)
    notes = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(notes) == stopped[0]["notified"] > 0
    assert {n["kind"] for n in notes} <= {"segment.entered", "segment.exited"}
    dead = [
        json.loads(line) for line in (tmp_path / "events.jsonl.dead.jsonl").read_text().splitlines()
    ]
    assert [d["message"].encode() for d in dead] == [b for b in bodies if b in planted]
    assert all(": " in d["reason"] for d in dead)
    store = ProfileStore.open(url)
    try:
        model = store.current_model()
        assert model is not None
        expected = model.predict(world.features)
        for (cid, row), segment in zip(world.features.iterrows(), expected, strict=True):
            profile = store.get_profile(str(cid))
            assert profile is not None
            got = [
                np.nan if profile.features[k] is None else profile.features[k] for k in row.index
            ]
            np.testing.assert_allclose(got, row.to_numpy(), rtol=1e-9, atol=1e-6)
            assert profile.segment_id == int(segment)
    finally:
        store.close()
    again = CliRunner().invoke(app, [*args, "--as-of", world.as_of_datetime.isoformat()])
    replay = [json.loads(line) for line in again.stderr.splitlines() if "consumer stopped" in line]
    assert (replay[0]["applied"], replay[0]["duplicates"]) == (0, 3_000)  # idempotent replay
