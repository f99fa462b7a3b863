"""``cible publish``: the segmentation of a batch run into the profile store.

Registered by :mod:`cible.cli.main` with :func:`register`, which hands over the CLI's own error
helper and console (this module imports nothing of ``cible.cli.main``: no import cycle)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from cible.cli.progress import RichProgress

Errors = Callable[[Console], AbstractContextManager[None]]

StoreOpt = Annotated[
    str,
    typer.Option(
        "--store",
        help="Profile store URL: sqlite:///path/store.db or postgresql+psycopg://host:5432/db.",
        envvar="CIBLE_STORE_URL",
    ),
]


def register(app: typer.Typer, errors: Errors, console: Callable[[], Console]) -> None:
    @app.command("publish")
    def publish(
        out: Annotated[
            Path, typer.Option("--out", "-o", help="The folder of a `cible run` (or demo).")
        ],
        store: StoreOpt,
        config: Annotated[
            Path | None,
            typer.Option("--config", "-c", help="The run's cible.yaml (for its warehouse)."),
        ] = None,
    ) -> None:
        """Publish the segmentation of a run as a new model version and load every profile."""
        from cible.config import load_config
        from cible.services.publish import publish_run

        cons = console()
        with errors(cons), RichProgress(cons) as bar:
            cfg = load_config(config) if config is not None else None
            result = publish_run(out, store, config=cfg, progress=bar)
        cons.print(
            f"Published model version {result.version} to {escape(result.store_url)}: "
            f"{result.customers:,} customers, {result.aliases:,} aliases, {result.events:,} "
            f"events, {result.memberships:,} memberships at {result.as_of.isoformat()}; "
            f"{result.differ_from_batch:,} differ from the batch segments"
        )
        if result.segments is not None:
            s = result.segments
            cons.print(
                f"Segment ids matched to version {result.previous_version}: "
                f"kept {len(s['kept'])}, new {len(s['new'])}, vanished {len(s['vanished'])}, "
                f"split {len(s['split'])}, merged {len(s['merged'])}"
            )
            for part in ("new", "vanished"):
                for seg in s[part]:
                    cons.print(f"  {part}: {seg['id']} {escape(seg['name'])}")
        if result.migration_path is not None:
            cons.print(f"Migration matrix: {escape(str(result.migration_path))}")
