"""``cible audience``, ``cible export`` and ``cible erase``: thin over the services
(:mod:`cible.services.audiences`, :mod:`cible.services.exports`, :mod:`cible.services.erase`).

Registered by :mod:`cible.cli.main` with :func:`register`. Outputs are counts only: no customer
identifier is printed."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from cible.cli.common import OnlinePrefixOpt, OnlineUrlOpt

if TYPE_CHECKING:
    from cible.config import CibleConfig

Errors = Callable[[Console], AbstractContextManager[None]]
PlanOpt = Annotated[Path, typer.Option("--plan", "-p", help="The audience plan (YAML).")]
RunOpt = Annotated[Path, typer.Option("--out", "-o", help="The folder of a `cible run` (or demo).")]
StoreOpt = Annotated[
    str,
    typer.Option(
        "--store", help="Profile store URL (consents, export state).", envvar="CIBLE_STORE_URL"
    ),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="The run's cible.yaml (for its warehouse; default DuckDB)."
    ),
]
NowOpt = Annotated[
    datetime | None,
    typer.Option("--now", help="Evaluate at this UTC time (default: the run's as_of)."),
]


def register(app: typer.Typer, errors: Errors, console: Callable[[], Console]) -> None:
    app.command("audience")(_audience(errors, console))
    app.command("export")(_export(errors, console))
    app.command("erase")(_erase(errors, console))


def _audience(errors: Errors, console: Callable[[], Console]) -> Callable[..., None]:
    def audience(plan: PlanOpt, out: RunOpt, now: NowOpt = None, config: ConfigOpt = None) -> None:
        """Members of every audience of a plan (SQL in the warehouse, checked in Python)."""
        from cible.services.audiences import build_audiences, load_plan, summary
        from cible.services.outputs import write_json

        cons = console()
        with errors(cons):
            outcome = build_audiences(load_plan(plan), out, now=_utc(now), config=_config(config))
            data = summary(outcome)
            (out / "activation").mkdir(parents=True, exist_ok=True)
            write_json(out / "activation" / "audiences.json", data)
        table = Table(
            "audience", "qualified", "suppressed", "taken earlier", "members", "SQL = Python"
        )
        for a in data["audiences"]:
            table.add_row(
                a["name"],
                f"{a['qualified']:,}",
                f"{a['suppressed']:,}",
                f"{a['taken_by_earlier_exclusive']:,}",
                f"{a['members']:,}",
                "yes" if a["sql_equals_python"] else "NO",
            )
        cons.print(table)
        cons.print(f"{data['profiles']:,} profiles at {data['now']}; JSON in {out / 'activation'}")

    return audience


def _export(errors: Errors, console: Callable[[], Console]) -> Callable[..., None]:
    def export(
        plan: PlanOpt,
        out: RunOpt,
        store: StoreOpt,
        name: Annotated[
            list[str] | None, typer.Option("--name", "-n", help="Export(s) to run (default: all).")
        ] = None,
        now: NowOpt = None,
        config: ConfigOpt = None,
    ) -> None:
        """Run exports of a plan: consent, caps, delta against the last run, then the target."""
        from cible.config.activation import ActivationSettings
        from cible.services.audiences import build_audiences, load_plan
        from cible.services.exports import result_json, run_export
        from cible.services.outputs import write_json
        from cible.store import ProfileStore

        cons = console()
        with errors(cons):
            p = load_plan(plan)
            outcome = build_audiences(p, out, now=_utc(now), config=_config(config))
            settings = ActivationSettings()
            names = name or [e.name for e in p.exports]
            with ProfileStore.open(store) as st:
                results = [
                    run_export(p, n, outcome, st, settings, base_dir=out / "activation")
                    for n in names
                ]
            (out / "activation").mkdir(parents=True, exist_ok=True)
            write_json(
                out / "activation" / "exports.json", [result_json(r, outcome.now) for r in results]
            )
        table = Table(
            "export", "target", "channel", "members", "entered", "left", "no consent", "capped"
        )
        for r in results:
            table.add_row(
                r.export_name,
                r.target,
                r.channel,
                f"{r.members:,}",
                f"{r.entered:,}",
                f"{r.left:,}",
                f"{r.without_consent:,}",
                f"{r.capped:,}",
            )
        cons.print(table)

    return export


def _erase(errors: Errors, console: Callable[[], Console]) -> Callable[..., None]:
    def erase(
        customer: Annotated[str, typer.Option("--customer", help="The customer id to erase.")],
        out: RunOpt,
        store: StoreOpt,
        config: ConfigOpt = None,
        online_store: OnlineUrlOpt = None,
        prefix: OnlinePrefixOpt = "cible:",
    ) -> None:
        """Erase a customer from the store, the warehouse, export state, the Redis online copy
        (with --online-store or CIBLE_ONLINE_STORE_URL) and the run's files; write an erasure
        receipt without personal data."""
        from cible.services.erase import erase_customer
        from cible.store.online import OnlineStore

        cons = console()
        with errors(cons):
            online = OnlineStore.open(online_store, prefix) if online_store else None
            try:
                receipt, path = erase_customer(customer, out, store, _config(config), online)
            finally:
                if online is not None:
                    online.close()
        cons.print(
            f"Erased: {receipt['rows_deleted']:,} rows in {len(receipt['places'])} places; "
            f"receipt {path}"
        )

    return erase


def _config(path: Path | None) -> CibleConfig | None:
    from cible.config import load_config

    return load_config(path) if path is not None else None


def _utc(value: datetime | None) -> datetime | None:
    from datetime import UTC

    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
