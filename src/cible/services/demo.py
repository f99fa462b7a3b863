"""Use case: the demo, a generated world run through the whole pipeline."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from cible.config import load_config
from cible.services.dedup import duplicate_agreement
from cible.services.pipeline import PipelineResult, persona_agreement, run_pipeline
from cible.services.progress import NullProgress, Progress
from cible.services.publish import PublishResult, publish_run
from cible.synth.generate import GenerateSummary, generate_world


@dataclass(frozen=True)
class DemoResult:
    world: GenerateSummary
    pipeline: PipelineResult
    config_path: Path
    persona_ari: float
    duplicates: dict[str, float] | None = None
    store: PublishResult | None = None  # the segmentation published to DIR/store.db


def write_demo_config(out_dir: Path) -> Path:
    """Copy the packaged demo configuration next to the generated data."""
    target = out_dir / "cible.yaml"
    with resources.as_file(resources.files("cible.demo") / "demo.yaml") as src:
        shutil.copyfile(src, target)
    return target


def run_demo(
    out_dir: Path,
    *,
    customers: int = 20_000,
    seed: int = 42,
    progress: Progress | None = None,
    on_generate: Callable[[int, int], None] | None = None,
) -> DemoResult:
    progress = progress or NullProgress()
    out_dir = out_dir.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    world = generate_world(customers, seed, out_dir / "data", progress=on_generate)
    for name in ("warehouse.duckdb", "store.db", "store.db-wal", "store.db-shm"):
        stale = out_dir / name
        if stale.exists():  # the demo starts from an empty warehouse and store every time
            stale.unlink()
    config_path = write_demo_config(out_dir)
    result = run_pipeline(load_config(config_path), out_dir, progress)
    truth = pd.read_csv(out_dir / "data" / "truth.csv", dtype=str, keep_default_na=False)
    truth = truth.replace({"": None})
    ari = persona_agreement(result.segmentation.assignments, truth)
    duplicates = (
        duplicate_agreement(result.identity.golden.id_map, truth)
        if result.identity is not None
        else None
    )
    store = publish_run(out_dir, f"sqlite:///{out_dir / 'store.db'}", progress=progress)
    return DemoResult(world, result, config_path, ari, duplicates, store)
