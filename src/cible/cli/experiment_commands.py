"""``cible experiment assign|analyze|uplift`` and ``cible cohorts``: thin wrappers over
:mod:`cible.services.experiments`, :mod:`cible.services.uplift` and
:mod:`cible.services.cohorts`.

Registered by :mod:`cible.cli.main` with :func:`register`, which hands over the CLI's own error
helper (``errors(console, out)``) and console: no import of ``cible.cli.main``, no cycle."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

Errors = Callable[[Console, Path | None], AbstractContextManager[None]]

OutOpt = Annotated[
    Path, typer.Option("--out", "-o", help="Folder for results (created if absent).")
]
ConfigOpt = Annotated[Path, typer.Option("--config", "-c", help="The experiment file (YAML).")]


def _p(value: float) -> str:
    return f"{value:.2e}" if value < 1e-4 else f"{value:.4f}"


def register(app: typer.Typer, errors: Errors, console: Callable[[], Console]) -> None:
    experiment = typer.Typer(
        name="experiment",
        help="A/B tests: assign, analyse, uplift targeting.",
        no_args_is_help=True,
    )
    app.add_typer(experiment)
    _register_assign(experiment, errors, console)
    _register_analyze(experiment, errors, console)
    _register_uplift(experiment, errors, console)
    _register_cohorts(app, errors, console)


def _register_assign(
    experiment: typer.Typer, errors: Errors, console: Callable[[], Console]
) -> None:
    @experiment.command("assign")
    def assign_cmd(
        customers: Annotated[
            Path, typer.Option("--customers", help="CSV/Parquet with a customer id column.")
        ],
        experiment_id: Annotated[
            str, typer.Option("--experiment-id", help="Seeds the hash: same id, same arms.")
        ],
        out: OutOpt,
        arms: Annotated[
            str, typer.Option("--arms", help="Arms and weights: control=1,treatment=1.")
        ] = "control=1,treatment=1",
        holdout: Annotated[
            float, typer.Option("--holdout", help="Share kept out of every arm, in [0, 1).")
        ] = 0.0,
        id_column: Annotated[str, typer.Option("--id-column")] = "customer_id",
        stratify: Annotated[
            str | None,
            typer.Option("--stratify", help="Segment column: split each segment to plan."),
        ] = None,
    ) -> None:
        """Assign every customer to an arm (sha256 of experiment and customer id), with a holdout."""
        from cible.config.experiments import ExperimentSource
        from cible.experiments.assignment import AssignmentPlan
        from cible.services.experiments import parse_arms, run_assign

        cons = console()
        with errors(cons, out):
            plan = AssignmentPlan(experiment_id, parse_arms(arms), holdout)
            run = run_assign(ExperimentSource(path=customers), id_column, plan, out, stratify)
        total: dict[str, int] = {}
        for counts in run.counts.values():
            for arm, n in counts.items():
                total[arm] = total.get(arm, 0) + n
        cons.print(
            f"Assigned: {', '.join(f'{escape(a)} {n:,}' for a, n in total.items())} -> {escape(str(run.csv_path))}"
        )


def _register_analyze(
    experiment: typer.Typer, errors: Errors, console: Callable[[], Console]
) -> None:
    @experiment.command("analyze")
    def analyze_cmd(config: ConfigOpt, out: OutOpt) -> None:
        """Analyse a finished A/B test: z, chi-square, Welch, bootstrap, Bayes, CUPED, SRM, power,
        mSPRT, Holm/BH, per-segment table; writes analysis.json and report.html."""
        from cible.config.experiments import load_analyze_config
        from cible.services.experiments import run_analyze

        cons = console()
        with errors(cons, out):
            run = run_analyze(load_analyze_config(config), out)
        r = run.result
        c = r.cleaning
        cons.print(
            f"Rows read {c.rows_read:,}; removed {c.mismatched_removed:,} mismatched and "
            f"{c.duplicate_rows_removed:,} repeated; analysed {c.rows_analysed:,}"
        )
        if r.srm.mismatch:
            cons.print(f"[bold red]sample-ratio mismatch[/bold red] (p = {_p(r.srm.p_value)})")
        for cmp in r.comparisons:
            z = cmp.ztest
            cons.print(
                f"{escape(cmp.outcome)} {escape(cmp.arm)}: {z.rate_treatment:.2%} vs control {z.rate_control:.2%}, "
                f"p = {_p(z.p_value)} (Holm {_p(cmp.p_holm)}, BH {_p(cmp.p_bh)})"
            )
        cons.print(f"Results: {escape(str(run.json_path))}, {escape(str(run.report_path))}")


def _register_uplift(
    experiment: typer.Typer, errors: Errors, console: Callable[[], Console]
) -> None:
    @experiment.command("uplift")
    def uplift_cmd(config: ConfigOpt, out: OutOpt) -> None:
        """Fit uplift models on a randomised test, evaluate them on a held-out split, and write
        the audience of the top customers by predicted uplift."""
        from cible.config.experiments import load_uplift_config
        from cible.services.uplift import run_uplift

        cons = console()
        with errors(cons, out):
            run = run_uplift(load_uplift_config(config), out)
        r = run.result
        cons.print(f"Held-out: {r.n_test:,} customers, average effect {r.average_effect_test:+.2%}")
        for e in r.evaluations:
            cons.print(
                f"  {escape(e.model)}: Qini {e.qini_coefficient:.4f}, top 10% {e.uplift_top_10:+.2%}, top 30% {e.uplift_top_30:+.2%}"
            )
        cons.print(
            f"Audience: {escape(r.audience.rule)}, {r.audience.members:,} members -> {escape(str(run.audience_path))}"
        )


def _register_cohorts(app: typer.Typer, errors: Errors, console: Callable[[], Console]) -> None:
    @app.command("cohorts")
    def cohorts_cmd(
        out: OutOpt,
        orders: Annotated[
            Path | None,
            typer.Option("--orders", help="CSV of orders (else the warehouse of --config)."),
        ] = None,
        config: Annotated[
            Path | None, typer.Option("--config", "-c", help="cible.yaml of a run (its warehouse).")
        ] = None,
        run_dir: Annotated[
            Path | None,
            typer.Option("--run", help="The --out folder of that run (default: --out)."),
        ] = None,
        customer_column: Annotated[str, typer.Option("--customer-column")] = "customer_id",
        date_column: Annotated[str, typer.Option("--date-column")] = "order_date",
        amount_column: Annotated[str, typer.Option("--amount-column")] = "amount",
        date_format: Annotated[
            str | None, typer.Option("--date-format", help="e.g. %d/%m/%Y %H:%M")
        ] = None,
    ) -> None:
        """Acquisition-month cohorts: retention and revenue matrices with heatmaps."""
        from cible.services.cohorts import run_cohorts_csv, run_cohorts_warehouse

        cons = console()
        if (orders is None) == (config is None):
            raise typer.BadParameter("give exactly one of --orders or --config")
        with errors(cons, out):
            if orders is not None:
                run = run_cohorts_csv(
                    orders,
                    out,
                    customer=customer_column,
                    date=date_column,
                    amount=amount_column,
                    date_format=date_format,
                )
            else:
                from cible.config import load_config

                assert config is not None
                run = run_cohorts_warehouse(load_config(config).warehouse, run_dir or out, out)
        cons.print(
            f"{len(run.result.sizes):,} cohorts, {int(run.result.sizes.sum()):,} customers from "
            f"{run.orders:,} orders ({run.orders_without_customer:,} without customer id, not in a cohort) "
            f"-> {escape(str(run.json_path))}"
        )
