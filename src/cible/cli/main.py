"""The ``cible`` command line: thin wrappers over :mod:`cible.services`."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cible._version import __version__
from cible.cli.lifecycle_commands import lifecycle_app
from cible.cli.progress import RichProgress
from cible.cli.serve_commands import serve_app
from cible.cli.stream_commands import stream_app
from cible.exceptions import CibleError

app = typer.Typer(
    name="cible",
    help="Advanced audience segmentation for marketing: ingest, clean, describe, segment, act.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(serve_app)  # cible serve, cible keys (cli/serve_commands.py)
app.add_typer(stream_app)  # cible consume (cli/stream_commands.py)
app.add_typer(lifecycle_app)  # cible versions (cli/lifecycle_commands.py)

OutOpt = Annotated[
    Path, typer.Option("--out", "-o", help="Folder for results (created if absent).")
]
ConfigOpt = Annotated[
    Path, typer.Option("--config", "-c", help="The cible.yaml describing sources and settings.")
]
MIN_CUSTOMERS, MAX_CUSTOMERS = 1_000, 1_000_000


def _customers(value: int) -> int:
    if not MIN_CUSTOMERS <= value <= MAX_CUSTOMERS:
        raise typer.BadParameter(
            f"must be between {MIN_CUSTOMERS:,} and {MAX_CUSTOMERS:,}, got {value:,}"
        )
    return value


CustomersOpt = Annotated[
    int,
    typer.Option(
        callback=_customers, help="Customers in the generated world (1,000 to 1,000,000)."
    ),
]


def _console() -> Console:
    return Console(stderr=False, highlight=False)


@contextmanager
def _errors(console: Console, out: Path | None = None) -> Iterator[None]:
    """Every cible error becomes a readable message and exit code 2; nothing else is swallowed.

    With ``out``, whatever the failed command created in that folder is removed first
    (:func:`~cible.services.outputs.nothing_left_on_failure`). The message is printed as written:
    square brackets in a file name are not taken for console markup.
    """
    from cible.services.outputs import nothing_left_on_failure

    try:
        if out is None:
            yield
        else:
            with nothing_left_on_failure(out):
                yield
    except CibleError as e:
        console.print(f"[bold red]error:[/bold red] {escape(str(e))}", soft_wrap=True)
        raise typer.Exit(code=2) from e


def _version(value: bool) -> None:
    if value:
        print(f"cible {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """cible: segments a marketing team can trust and act on."""


def _generate_bar(bar: RichProgress, total: int) -> Callable[[int, int], None]:
    bar.start(f"Generating a world of {total:,} customers", total=total)

    def on_chunk(done: int, n: int) -> None:
        bar.update(done, n)

    return on_chunk


@app.command()
def generate(
    out: OutOpt,
    customers: CustomersOpt = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same files.")] = 42,
) -> None:
    """Write a synthetic e-commerce world with planted personas, duplicates and bad rows."""
    from cible.synth.generate import generate_world

    console = _console()
    with _errors(console, out), RichProgress(console) as bar:
        summary = generate_world(customers, seed, out, progress=_generate_bar(bar, customers))
        bar.done(f"{summary.n_order_rows + summary.n_web_event_rows:,} event rows")
    console.print(f"Files written to [bold]{escape(str(out))}[/bold] (truth in truth.csv).")


@app.command("ingest")
def ingest_cmd(config: ConfigOpt, out: OutOpt) -> None:
    """Ingest the configured sources into the warehouse; bad rows go to quarantine.csv."""
    from cible.config import load_config
    from cible.services.ingest import ingest
    from cible.warehouse.registry import open_warehouse

    console = _console()
    with _errors(console, out):
        cfg = load_config(config)
        wh = open_warehouse(cfg.warehouse, out.resolve())
        try:
            with RichProgress(console) as bar:
                summary = ingest(cfg, wh, out.resolve(), bar)
        finally:
            wh.close()
    _print_ingest(console, summary.as_dict())


def _print_ingest(console: Console, summary: dict[str, object]) -> None:
    table = Table(title="Ingestion", show_lines=False)
    for col in ("source", "read", "accepted", "quarantined", "new in warehouse"):
        table.add_column(col, justify="right" if col != "source" else "left")
    sources = summary["sources"]
    assert isinstance(sources, list)
    for s in sources:
        table.add_row(
            escape(str(s["name"])),
            f"{s['read']:,}",
            f"{s['accepted']:,}",
            f"{s['quarantined']:,}",
            f"{s['inserted']:,}",
        )
    console.print(table)
    for s in sources:
        for w in s.get("warnings", []):
            console.print(f"[yellow]warning:[/yellow] {escape(w['message'])}", soft_wrap=True)
        if s.get("fallback_lines"):
            console.print(
                f"{escape(str(s['name']))}: {s['fallback_lines']:,} line(s) not in "
                f"{s['encoding']}, decoded as {s['fallback_encoding']}"
            )


@app.command("quality")
def quality_cmd(config: ConfigOpt, out: OutOpt) -> None:
    """Read and standardise the sources (nothing loaded); write quality.json and quality.html."""
    from cible.config import load_config
    from cible.services.quality import run_quality

    console = _console()
    with _errors(console, out):
        cfg = load_config(config)
        with RichProgress(console) as bar:
            report = run_quality(cfg, out, bar)
    for s in report.sources:
        findings = f", {len(s.findings)} consistency finding(s)" if s.findings else ""
        console.print(f"{escape(s.source)}: {s.n_rows:,} rows, {len(s.columns)} columns{findings}")
    console.print(
        f"Data-quality report: [bold]{escape(str(out.resolve() / 'quality.html'))}[/bold]"
    )


@app.command()
def run(config: ConfigOpt, out: OutOpt) -> None:
    """Run the whole pipeline on your data: ingest -> features -> segment -> report."""
    from cible.config import load_config
    from cible.services.pipeline import run_configured
    from cible.warehouse.sparksession import stop_spark

    console = _console()
    with _errors(console, out):
        cfg = load_config(config)
        try:
            with RichProgress(console) as bar:
                result = run_configured(cfg, out, bar)
        finally:
            # a Spark session (local or Connect) ends with the command: MLlib models on a
            # Connect server are released while the session is still up, not at exit
            stop_spark()
    _print_ingest(console, result.ingest.as_dict())
    _print_result(console, result)


def _print_result(console: Console, result: object) -> None:
    from cible.services.pipeline import PipelineResult
    from cible.services.spark_pipeline import SparkPipelineResult

    assert isinstance(result, PipelineResult | SparkPipelineResult)
    seg = result.segmentation
    table = Table(
        title=f"Segments at {result.as_of.isoformat()} (k = {seg.chosen_k}, "
        f"silhouette {seg.silhouette:.3f})"
    )
    for col in ("id", "segment", "customers", "share"):
        table.add_column(col, justify="left" if col == "segment" else "right")
    for row in seg.profiles.itertuples():
        table.add_row(
            str(row.segment_id), str(row.segment_name), f"{row.size:,}", f"{row.share:.1%}"
        )
    console.print(table)
    steps = ", ".join(f"{k} {v:.1f}s" for k, v in result.seconds.items())
    console.print(f"Pipeline time {result.total_seconds:.1f}s ({steps})")
    for w in result.warnings:
        console.print(f"[yellow]warning:[/yellow] {escape(w)}", soft_wrap=True)
    console.print(f"Report: [bold]{escape(str(result.report))}[/bold]")


@app.command("dedup")
def dedup_cmd(
    config: ConfigOpt,
    out: OutOpt,
    incremental: Annotated[
        bool,
        typer.Option(
            "--incremental",
            help="Match only customers ingested since the last dedup in --out against the "
            "existing customers (no full re-run).",
        ),
    ] = False,
) -> None:
    """Find duplicate records and merge them: clusters.csv (+ golden.csv, merge_log.csv for
    ingested customers). With dedup.input in the config, a plain table is deduplicated."""
    from cible.config import load_config
    from cible.services.identity import run_dedup

    console = _console()
    with _errors(console, out):
        cfg = load_config(config)
        with RichProgress(console) as bar:
            result = run_dedup(cfg, out, bar, incremental=incremental)
    if result.ingest is not None:
        _print_ingest(console, result.ingest.as_dict())
    _print_identity(console, result.outcome.summary(), result.out_dir)


_CUSTOMER_LABELS = {
    "records": "customer records",
    "entities": "customers after merging",
    "merged_entities": "customers with merged records",
    "records_merged_away": "records merged away",
    "events_rekeyed": "events re-keyed",
}
_TABLE_LABELS = {
    "records": "records",
    "entities": "entities after merging",
    "merged_entities": "entities with merged records",
    "records_merged_away": "records merged away",
}


def _print_identity(console: Console, summary: dict[str, Any], out_dir: Path) -> None:
    customers = "events_rekeyed" in summary
    table = Table(title="Duplicate customers" if customers else "Duplicate records")
    table.add_column("")
    table.add_column("", justify="right")
    for key, label in (_CUSTOMER_LABELS if customers else _TABLE_LABELS).items():
        table.add_row(label, f"{summary[key]:,}")
    if summary.get("largest_entity") is not None:
        size = int(summary["largest_entity"])
        which = summary.get("largest_entity_id")
        share = (
            f" ({summary['largest_entity_share']:.2%})" if "largest_entity_share" in summary else ""
        )
        name = f"{escape(str(which))}: " if which is not None else ""
        table.add_row("largest entity", f"{name}{size:,} records{share}")
    console.print(table)
    for finding in summary.get("guard_findings", []):
        console.print(f"[yellow]warning:[/yellow] {escape(finding['message'])}", soft_wrap=True)
    what = "Clusters, golden records and merge log" if customers else "Clusters"
    console.print(f"{what} in [bold]{escape(str(out_dir))}[/bold]")


@app.command("undo-merge")
def undo_merge_cmd(
    config: ConfigOpt,
    out: OutOpt,
    record: Annotated[
        str | None, typer.Option(help="Detach this customer record from its entity.")
    ] = None,
    entity: Annotated[
        str | None, typer.Option(help="Split this entity back into its records.")
    ] = None,
) -> None:
    """Undo a merge made by `cible dedup`/`cible run` (the merge log records the undo)."""
    from cible.config import load_config
    from cible.services.identity import undo_identity

    console = _console()
    with _errors(console, out):
        outcome = undo_identity(load_config(config), out, record_id=record, entity_id=entity)
    _print_identity(console, outcome.summary(), out.resolve())


@app.command("calibrate")
def calibrate_cmd(
    reviewed: Annotated[
        Path, typer.Argument(help="review_sample.csv with its label column filled (1/0).")
    ],
    out: OutOpt,
    threshold: Annotated[
        float | None,
        typer.Option(help="The threshold in use, to compare with (default: the run's)."),
    ] = None,
    run: Annotated[
        Path | None,
        typer.Option(
            help="Folder of the `cible dedup` run (identity_pairs.parquet, dedup.json); "
            "default: the folder of the review sample."
        ),
    ] = None,
    truth: Annotated[
        Path | None,
        typer.Option(help="CSV of record_id, entity_id known to be right (adds cluster F1)."),
    ] = None,
) -> None:
    """Measure each match threshold on a labelled review sample: per pair and on entities
    after transitive closure; suggest the threshold with the best entity-level F1."""
    from cible.services.calibration import calibrate_threshold

    console = _console()
    with _errors(console, out):
        report = calibrate_threshold(reviewed, out, threshold, run_dir=run, truth=truth)
    suggested = report["suggested_threshold"]
    where = out.resolve() / "calibration.json"
    if suggested is None:
        console.print(
            f"No threshold can be suggested: no labelled pair. Details in {escape(str(where))}"
        )
        return
    console.print(_calibration_line("Suggested", report["at_suggested"], report))
    if report["at_current"] is not None:
        console.print(_calibration_line("Current", report["at_current"], report))
    if report["closure_grid"] is None:
        console.print(
            "Judged on single pairs only: identity_pairs.parquet of the run was not found "
            "(give --run)."
        )
    console.print(f"Details in {escape(str(where))}")


def _calibration_line(what: str, at: dict[str, Any], report: dict[str, Any]) -> str:
    line = (
        f"{what} threshold {at['threshold']:.2f}: pairs precision {_ratio(at['precision'])}, "
        f"recall {_ratio(at['recall'])}"
    )
    if "closure_f1" in at:
        line += (
            f"; entities precision {_ratio(at['closure_precision'])}, recall "
            f"{_ratio(at['closure_recall'])}, F1 {_ratio(at['closure_f1'])}"
        )
    if "pairwise_f1" in at:
        line += f"; truth pairwise F1 {_ratio(at['pairwise_f1'])}, cluster F1 "
        line += _ratio(at["cluster_f1"])
    return f"{line} ({report['labelled']:,} labelled pairs)"


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


@app.command()
def predict(config: ConfigOpt, out: OutOpt) -> None:
    """Train propensity / churn models from the predict: section, score customers, write a report."""
    from cible.config import load_config
    from cible.services.predict import run_predict

    console = _console()
    with _errors(console, out):
        cfg = load_config(config)
        with RichProgress(console) as bar:
            result = run_predict(cfg, out, bar)
    if result.ingest is not None:
        _print_ingest(console, result.ingest.as_dict())
    _print_predict(console, result)


def _print_predict(console: Console, result: object) -> None:
    from cible.services.predict import PredictRun

    assert isinstance(result, PredictRun)
    training = result.outcome.training
    table = Table(title=f"Models ({result.outcome.meta['target']})")
    for col in ("model", f"cv {training.scoring}", "test ROC AUC", "PR AUC", "F1", "seconds"):
        table.add_column(col, justify="left" if col == "model" else "right")
    for row in training.comparison():
        mark = " *" if row["chosen"] else ""
        table.add_row(
            f"{row['label']}{mark}",
            f"{row['cv_' + training.scoring]:.3f}",
            f"{row['roc_auc']:.3f}",
            f"{row['pr_auc']:.3f}",
            f"{row['f1']:.3f}",
            f"{row['fit_seconds']:.1f}",
        )
    console.print(table)
    console.print(f"* chosen: best cross-validated {training.scoring} on the training split")
    for note in result.outcome.warnings:
        console.print(f"[yellow]warning:[/yellow] {escape(note)}", soft_wrap=True)
    steps = ", ".join(f"{k} {v:.1f}s" for k, v in result.seconds.items())
    console.print(f"Predict time {result.total_seconds:.1f}s ({steps})")
    for path in result.files:
        console.print(f"Wrote [bold]{escape(str(path))}[/bold]")


@app.command()
def demo(
    out: OutOpt = Path("demo_out"),
    customers: CustomersOpt = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed of the generated world.")] = 42,
) -> None:
    """Generate a world, run the whole pipeline on it, and print where the report is."""
    from cible.services.demo import run_demo

    console = _console()
    with _errors(console, out), RichProgress(console) as bar:
        result = run_demo(
            out,
            customers=customers,
            seed=seed,
            progress=bar,
            on_generate=_generate_bar(bar, customers),
        )
    _print_ingest(console, result.pipeline.ingest.as_dict())
    _print_result(console, result.pipeline)
    console.print(f"Planted personas recovered: adjusted Rand index {result.persona_ari:.3f}")
    if result.duplicates is not None:
        d = result.duplicates
        console.print(
            f"Planted duplicate accounts found: precision {d['precision']:.3f}, "
            f"recall {d['recall']:.3f}, F1 {d['f1']:.3f}"
        )
    if result.store is not None:
        console.print(
            f"Profile store: {escape(result.store.store_url)} (model version "
            f"{result.store.version}); next: cible serve --store {escape(result.store.store_url)}"
        )


from cible.cli.store_commands import register as _register_store  # noqa: E402

_register_store(app, _errors, _console)

from cible.cli.experiment_commands import register as _register_experiments  # noqa: E402

_register_experiments(app, _errors, _console)  # cible experiment ..., cible cohorts


def entry() -> None:  # pragma: no cover - console-script shim
    sys.exit(app())


from cible.cli.activation_commands import register as _register_activation  # noqa: E402

_register_activation(app, _errors, _console)
