"""``cible publish``: the segmentation of a batch run into the profile store; ``cible store
export`` / ``cible store import``: a whole store to and from one JSON Lines file (backups, and
moves between SQLite and PostgreSQL; :mod:`cible.store.backup`).

Registered by :mod:`cible.cli.main` with :func:`register`, which hands over the CLI's own error
helper and console (this module imports nothing of ``cible.cli.main``: no import cycle)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from cible.cli.common import OnlinePrefixOpt, OnlineUrlOpt, StoreOpt
from cible.cli.progress import RichProgress

Errors = Callable[[Console], AbstractContextManager[None]]


def register(app: typer.Typer, errors: Errors, console: Callable[[], Console]) -> None:
    _register_backup(app, errors, console)

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
        mlflow: Annotated[
            str | None,
            typer.Option(
                "--mlflow",
                envvar="CIBLE_MLFLOW_TRACKING_URI",
                help="Also log the version to this MLflow tracking URI (cible[mlflow]), "
                "e.g. sqlite:///mlflow.db.",
            ),
        ] = None,
        experiment: Annotated[
            str, typer.Option("--mlflow-experiment", help="The MLflow experiment.")
        ] = "cible",
        online_store: OnlineUrlOpt = None,
        prefix: OnlinePrefixOpt = "cible:",
    ) -> None:
        """Publish the segmentation of a run as a new model version and load every profile.

        With an online store (``--online-store`` or CIBLE_ONLINE_STORE_URL), its copy is
        rebuilt from the store right after, so that Redis serves the new segments at once."""
        from cible.config import load_config
        from cible.lifecycle.tracking import MlflowTarget
        from cible.services.publish import publish_run

        cons = console()
        tracking = MlflowTarget(mlflow, experiment) if mlflow else None
        with errors(cons), RichProgress(cons) as bar:
            cfg = load_config(config) if config is not None else None
            result = publish_run(out, store, config=cfg, progress=bar, tracking=tracking)
        _print_published(cons, result, experiment)
        if online_store:
            with errors(cons):
                written, url = _rebuild_online(store, online_store, prefix)
            cons.print(
                f"Rebuilt the online store {escape(url)} under {escape(prefix)}: "
                f"{written:,} profiles",
                soft_wrap=True,
            )


def _print_published(cons: Console, result: Any, experiment: str) -> None:
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
    if result.mlflow_run_id is not None:
        cons.print(f"MLflow run {result.mlflow_run_id} in experiment {escape(experiment)}")


def _rebuild_online(store: str, online_store: str, prefix: str) -> tuple[int, str]:
    """Repopulate the Redis copy of ``store``: (profiles written, the Redis URL shown)."""
    from cible.cli.serve_commands import _open
    from cible.store.online import OnlineStore

    opened = _open(store)
    try:
        redis_copy = OnlineStore.open(online_store, prefix)
        try:
            return redis_copy.rebuild(opened), redis_copy.url
        finally:
            redis_copy.close()
    finally:
        opened.close()


def _register_backup(app: typer.Typer, errors: Errors, console: Callable[[], Console]) -> None:
    store_app = typer.Typer(name="store", help="Back up and restore a profile store.")
    app.add_typer(store_app)
    _register_online(store_app, errors, console)

    @store_app.command("export")
    def export(
        store: StoreOpt,
        out: Annotated[Path, typer.Option("--out", "-o", help="The JSON Lines file to write.")],
    ) -> None:
        """Write every table of the store to one file (it holds personal data: keep it safe)."""
        from cible.cli.serve_commands import _open
        from cible.store.backup import export_store

        cons = console()
        with errors(cons):
            opened = _open(store)
            try:
                with out.open("w", encoding="utf-8") as f:
                    counts = export_store(opened.engine, f)
            finally:
                opened.close()
        cons.print(
            f"Exported {sum(counts.values()):,} rows of {len(counts)} tables to {out}",
            soft_wrap=True,
        )

    @store_app.command("import")
    def import_(
        store: StoreOpt,
        in_: Annotated[Path, typer.Option("--in", "-i", help="A file of `cible store export`.")],
    ) -> None:
        """Load an export into a new, empty store (migrated first), in one transaction."""
        from cible.cli.serve_commands import _open
        from cible.store.backup import import_store

        cons = console()
        with errors(cons):
            opened = _open(store)
            try:
                counts = import_store(opened.engine, in_)
            finally:
                opened.close()
        cons.print(
            f"Imported {sum(counts.values()):,} rows of {len(counts)} tables from {in_}",
            soft_wrap=True,
        )


def _register_online(
    store_app: typer.Typer, errors: Errors, console: Callable[[], Console]
) -> None:
    @store_app.command("online-rebuild")
    def online_rebuild(
        store: StoreOpt,
        online_store: Annotated[
            str,
            typer.Option(
                "--online-store",
                help="Redis URL (redis://host:6379/0).",
                envvar="CIBLE_ONLINE_STORE_URL",
            ),
        ],
        prefix: OnlinePrefixOpt = "cible:",
    ) -> None:
        """Repopulate the Redis online store from the SQL store (its prefix cleared first)."""

        cons = console()
        with errors(cons):
            written, url = _rebuild_online(store, online_store, prefix)
        cons.print(
            f"Wrote {written:,} profiles to the online store {escape(url)} under {escape(prefix)}",
            soft_wrap=True,
        )
