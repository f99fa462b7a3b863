"""``cible audience``: the members of every audience of a plan over the profiles of a run.

The profile relation of a run (one row per customer): the features of ``features.parquet``, the
segment of ``segments.parquet`` and the first/last order and first event before the run's as_of,
from the warehouse events. It is registered in the run's warehouse and each rule runs there as
SQL (:func:`cible.activation.rule_sql`, translated by the backend); the same rows are evaluated
in Python (:func:`cible.activation.evaluate`) and both member lists are compared: a difference
stops with an error. Then suppression lists and the waterfall."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cible.activation.evaluate import evaluate
from cible.activation.plan import AudiencePlan, parse_plan
from cible.activation.rule_sql import rule_sql
from cible.activation.waterfall import AudienceMembers, waterfall
from cible.config import CibleConfig
from cible.config.files import read_yaml
from cible.exceptions import ActivationError, SourceNotFoundError
from cible.services.publish import open_run_warehouse, run_as_of
from cible.warehouse import Warehouse

RELATION = "cible_audience_profiles"
_TIMES = (
    "SELECT customer_id, min(CASE WHEN event_type = 'purchase' THEN timestamp END) AS first_order,"
    " max(CASE WHEN event_type = 'purchase' THEN timestamp END) AS last_order,"
    " min(timestamp) AS first_event FROM events WHERE timestamp < {as_of} GROUP BY customer_id"
)


@dataclass(frozen=True)
class AudienceOutcome:
    now: datetime
    profiles: int
    audiences: list[AudienceMembers]
    sql_python_agree: dict[str, int]  # audience -> members found by both paths
    rows: dict[str, dict[str, Any]]  # customer id -> profile (exported fields)

    def members(self, name: str) -> frozenset[str]:
        for a in self.audiences:
            if a.name == name:
                return a.members
        raise ActivationError(f"no audience {name!r}")


def load_plan(path: Path) -> AudiencePlan:
    if not path.exists():
        raise SourceNotFoundError(f"audience plan {path} does not exist")
    return parse_plan(read_yaml(path), base=path.parent)


def read_suppression(path: Path) -> frozenset[str]:
    """Customer ids of a suppression file: one per line, or a ``customer_id`` column."""
    if not path.exists():
        raise SourceNotFoundError(f"suppression list {path} does not exist")
    with path.open(encoding="utf-8", newline="") as f:
        rows = [r for r in csv.reader(f) if r]
    if rows and "customer_id" in rows[0]:
        col = rows[0].index("customer_id")
        return frozenset(r[col].strip() for r in rows[1:] if len(r) > col and r[col].strip())
    return frozenset(r[0].strip() for r in rows if r[0].strip())


def run_profiles(out_dir: Path, config: CibleConfig | None = None) -> tuple[Any, datetime]:
    """The profile relation of the run in ``out_dir`` (Arrow) and the run's as_of (UTC)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    for name in ("features.parquet", "segments.parquet"):
        if not (out_dir / name).exists():
            raise SourceNotFoundError(f"{out_dir / name} is missing: run `cible run` first")
    as_of = datetime.combine(run_as_of(out_dir), datetime.min.time(), tzinfo=UTC)
    features = pq.read_table(out_dir / "features.parquet")
    segments = pq.read_table(out_dir / "segments.parquet").select(
        ["customer_id", "segment_id", "segment_name"]
    )
    segments = segments.rename_columns(["customer_id", "segment_id", "segment"])
    wh = open_run_warehouse(out_dir, config)
    try:
        times = wh.fetch_arrow(_TIMES.format(as_of=wh.dialect.timestamp_literal(as_of)))
    finally:
        wh.close()
    key = pa.string()
    features, segments, times = (
        t.set_column(
            t.schema.get_field_index("customer_id"), "customer_id", t["customer_id"].cast(key)
        )
        for t in (features, segments, times)
    )
    table = features.join(segments, "customer_id", join_type="left outer")
    table = table.join(times, "customer_id", join_type="left outer")
    columns = {}
    for name in table.column_names:
        col = table[name].combine_chunks()
        if pa.types.is_floating(col.type) or pa.types.is_integer(col.type):
            col = col.cast(pa.float64())
            col = pc.if_else(pc.is_nan(col), pa.scalar(None, pa.float64()), col)
        elif pa.types.is_timestamp(col.type):
            col = col.cast(pa.timestamp("us"))  # the UTC wall time, no zone
        elif pa.types.is_large_string(col.type):
            col = col.cast(pa.string())
        columns[name] = col
    return pa.table(columns).sort_by("customer_id"), as_of


def build_audiences(
    plan: AudiencePlan,
    out_dir: Path,
    *,
    now: datetime | None = None,
    config: CibleConfig | None = None,
) -> AudienceOutcome:
    """Every audience of ``plan`` over the run in ``out_dir`` at ``now`` (default: its as_of)."""
    table, as_of = run_profiles(out_dir, config)
    when = now or as_of
    rows = {r["customer_id"]: r for r in table.to_pylist()}
    wh = open_run_warehouse(out_dir, config)
    try:
        qualified = qualified_in_warehouse(wh, plan, table, rows, when)
    finally:
        wh.close()
    lists = {k: read_suppression(p) for k, p in plan.suppression_lists.items()}
    members = waterfall(plan.audiences, qualified, lists)
    agree = {name: len(ids) for name, ids in qualified.items()}
    return AudienceOutcome(when, len(rows), members, agree, rows)


def qualified_in_warehouse(
    wh: Warehouse,
    plan: AudiencePlan,
    table: Any,
    rows: Mapping[str, Mapping[str, Any]],
    when: datetime,
) -> dict[str, frozenset[str]]:
    """Who qualifies for each audience: the profile relation ``table`` registered in ``wh``,
    each rule run there as SQL (shared dialect, translated by the backend) and checked against
    :func:`evaluate` on ``rows``; an :class:`ActivationError` when the two differ."""
    qualified: dict[str, frozenset[str]] = {}
    wh.register(RELATION, table)
    try:
        for a in plan.audiences:
            sql = rule_sql(a.rule, RELATION, when, "duckdb")
            by_sql = frozenset(wh.fetch_arrow(sql)["customer_id"].to_pylist())
            by_python = frozenset(c for c, p in rows.items() if evaluate(a.rule, p, when))
            if by_sql != by_python:
                raise ActivationError(
                    f"audience {a.name!r}: SQL and Python disagree on "
                    f"{len(by_sql ^ by_python):,} customers"
                )
            qualified[a.name] = by_sql
    finally:
        wh.unregister(RELATION)
    return qualified


def summary(outcome: AudienceOutcome) -> dict[str, Any]:
    """The JSON of ``cible audience`` (counts only: no customer id)."""
    return {
        "now": outcome.now.isoformat(),
        "profiles": outcome.profiles,
        "audiences": [
            {
                "name": a.name,
                "qualified": a.qualified,
                "suppressed": a.suppressed,
                "taken_by_earlier_exclusive": a.taken_earlier,
                "members": len(a.members),
                "sql_equals_python": outcome.sql_python_agree.get(a.name) == a.qualified,
            }
            for a in outcome.audiences
        ],
    }


def exported_fields(
    rows: Mapping[str, Mapping[str, Any]], fields: tuple[str, ...]
) -> dict[str, dict[str, Any]]:
    """The exported values of each customer (timestamps in ISO 8601)."""
    out = {}
    for cid, row in rows.items():
        values = {}
        for f in fields:
            v = row.get(f)
            values[f] = v.isoformat() if isinstance(v, datetime) else v
        out[cid] = values
    return out
