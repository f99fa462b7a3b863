"""``cible versions list|show|rollback``: the published segment models of a profile store;
``cible refresh`` (drift, then re-score / retrain / alert) and ``cible check`` (a run's gate
before it is published).

``cli/main.py`` merges :data:`lifecycle_app` into the ``cible`` command (``app.add_typer``);
this module does not import ``cli.main`` (no import cycle)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cible.cli.common import StoreOpt
from cible.cli.common import cible_errors as _errors
from cible.cli.common import console as _console

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]

lifecycle_app = typer.Typer()
versions_app = typer.Typer(
    help="Published segment model versions: list, show, roll back.", no_args_is_help=True
)
lifecycle_app.add_typer(versions_app, name="versions")


@versions_app.command("list")
def list_command(store: StoreOpt, as_json: JsonOpt = False) -> None:
    """Every published version, oldest first; the active one is marked."""
    from cible.services.versions import list_versions

    console = _console()
    with _errors(console):
        versions = list_versions(store)
    if as_json:
        print(json.dumps([v.to_dict() for v in versions], indent=2))
        return
    if not versions:
        console.print("No segment model is published in this store yet (cible publish).")
        return
    table = Table("version", "active", "published (UTC)", "segments", "members", "artifact")
    for v in versions:
        artifact = v.sha256[:12] + (f" = v{v.same_artifact_as}" if v.same_artifact_as else "")
        table.add_row(
            str(v.version),
            "*" if v.active else "",
            v.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            str(len(v.segments)),
            f"{v.current_members:,}",
            artifact,
        )
    console.print(table)


@versions_app.command("show")
def show_command(
    version: Annotated[int, typer.Argument(help="The version number.")],
    store: StoreOpt,
    as_json: JsonOpt = False,
) -> None:
    """One version: its features, code version and segments (size at publish, members now)."""
    from cible.services.versions import show_version

    console = _console()
    with _errors(console):
        info = show_version(store, version)
    if as_json:
        print(json.dumps(info.to_dict(), indent=2))
        return
    same = f" (same artifact as v{info.same_artifact_as})" if info.same_artifact_as else ""
    console.print(
        f"Version {info.version}{' (active)' if info.active else ''}: published "
        f"{info.created_at.isoformat()} by cible {escape(info.cible_version)}, sha256 "
        f"{info.sha256}{same}\nFeatures: {escape(', '.join(info.features))}"
    )
    table = Table("segment", "name", "size at publish", "members now")
    for s in info.segments:
        table.add_row(
            str(s.segment_id), escape(s.name), f"{s.size_at_publish:,}", f"{s.current_members:,}"
        )
    console.print(table)
    if info.metadata:
        _print_metadata(console, info.metadata)
    else:
        console.print("No registry metadata (published before it was recorded, or not by publish).")


def _print_metadata(console: Console, meta: Mapping[str, Any]) -> None:
    """The registry metadata of ``cible publish`` (docs/lifecycle.md), one line per part."""
    params = meta.get("parameters") or {}
    metrics = meta.get("metrics") or {}
    window = meta.get("training_window") or {}
    code = meta.get("code_version") or {}
    refs = (meta.get("reference_distributions") or {}).get("features") or {}
    lines = [
        f"Parameters: {params.get('candidate')} {json.dumps(params.get('params', {}))}",
        "Metrics: " + ", ".join(f"{k}={v}" for k, v in metrics.items()),
        f"Training window: as of {window.get('as_of')}, events {window.get('first_event')} .. "
        f"{window.get('last_event')}",
        f"Code: trained by cible {code.get('trained_by')}, published by {code.get('published_by')}",
        "Feature schema: "
        + ", ".join(f"{f['name']} ({f['dtype']})" for f in meta.get("feature_schema") or []),
        "Reference histograms: "
        + ", ".join(f"{name} ({len(h['counts'])} bins)" for name, h in refs.items()),
    ]
    ids = meta.get("stable_ids")
    if ids is not None:
        lines.append(
            "Stable ids: "
            + ", ".join(f"{k} {len(ids.get(k) or [])}" for k in ("kept", "new", "vanished"))
            + f", split {len(ids.get('split') or {})}, merged {len(ids.get('merged') or {})}"
        )
    if meta.get("rolled_back_from") is not None:
        lines.append(f"Rolled back from version {meta['rolled_back_from']}")
    console.print(escape("\n".join(lines)), soft_wrap=True)


@versions_app.command("rollback")
def rollback_command(
    version: Annotated[int, typer.Argument(help="The version to make active again.")],
    store: StoreOpt,
) -> None:
    """Make an older version active again (re-published as a new version).

    Every profiled customer is re-scored with it; history rows for those who change segment."""
    from cible.services.versions import rollback_version

    console = _console()
    with _errors(console):
        result = rollback_version(store, version)
    console.print(
        f"Rolled back to version {result.rolled_back_to}: now active as version "
        f"{result.new_version} ({result.info.current_members:,} customers scored)"
    )


@lifecycle_app.command("refresh")
def refresh_command(
    config: Annotated[
        Path, typer.Option("--config", "-c", help="The refresh file (docs/lifecycle.md).")
    ],
    as_of: Annotated[
        datetime | None,
        typer.Option(
            help="The UTC day the re-scored features are computed at (default: today, i.e."
            " every whole day before it)."
        ),
    ] = None,
) -> None:
    """Measure drift, then re-score, retrain or alert by the policy (safe to run from cron)."""
    from datetime import UTC

    from cible.config.refresh import load_refresh_config
    from cible.services.refresh import run_refresh

    console = _console()
    with _errors(console):
        cfg = load_refresh_config(config)
        when = as_of.replace(tzinfo=UTC) if as_of is not None and as_of.tzinfo is None else as_of
        result = run_refresh(cfg, as_of=when)
    d = result.decision
    line = f"refresh: {d.action} ({escape(d.reason)})"
    if d.action == "rescore":
        line += f"; {result.scored:,} customers re-scored, {result.changed:,} changed segment"
    if result.new_version is not None:
        line += f"; published version {result.new_version}"
    console.print(line + f"; reports in {escape(str(cfg.path(cfg.out)))}")
    if result.alert is not None:
        a = result.alert
        console.print(
            f"alert delivered to the webhook (HTTP {a['status']})"
            if a["sent"]
            else f"[bold red]alert not delivered:[/bold red] {escape(str(a['error']))}",
            soft_wrap=True,
        )


@lifecycle_app.command("check")
def check_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="The folder of a `cible run`.")],
    min_stability: Annotated[
        float, typer.Option(help="Lowest mean bootstrap ARI of the segmentation.")
    ] = 0.75,
    min_segment_jaccard: Annotated[
        float, typer.Option(help="Lowest mean Jaccard of any one segment (Hennig: 0.5).")
    ] = 0.5,
    min_segment_share: Annotated[
        float, typer.Option(help="Smallest segment's lowest share of the customers.")
    ] = 0.02,
) -> None:
    """Check a run before publishing it: gates, stability, segment sizes (exit 1 if one fails)."""
    from cible.services.run_check import CheckThresholds, check_run

    console = _console()
    with _errors(console):
        result = check_run(
            out, CheckThresholds(min_stability, min_segment_jaccard, min_segment_share)
        )
    table = Table("check", "passed", "why")
    for c in result.checks:
        table.add_row(c.name, "yes" if c.passed else "[red]no[/red]", escape(c.reason))
    console.print(table)
    if not result.passed:
        names = ", ".join(c.name for c in result.failed())
        console.print(f"[red]the run fails {names}: do not publish it[/red]")
        raise typer.Exit(1)
    console.print(f"every check passed; written to {escape(str(out / 'check.json'))}")
