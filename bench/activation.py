"""Audience rules on random profiles: SQL in DuckDB (batch) against :func:`evaluate` in Python
(one profile at a time, the stream path), same rules, same profiles, same run.

    python bench/activation.py [--profiles 200000] [--seed 0]

The rules are those of examples/audiences.yaml; the profiles draw every field at random with
10% missing values. Both paths must select the same members (checked). Prints the seconds of
each path and the profiles per second of the Python one.
Last lines: one JSON object per rule, {"bench": "activation", "audience": ..., ...}
(bench/_emit.py).
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa

from _emit import emit  # bench/ is the script folder on sys.path
from cible.activation.evaluate import evaluate
from cible.activation.plan import parse_plan
from cible.activation.rule_sql import rule_sql
from cible.config.files import read_yaml

NOW = datetime(2026, 7, 1, tzinfo=UTC)
PLAN = Path(__file__).resolve().parents[1] / "examples" / "audiences.yaml"


def _profiles(n: int, seed: int) -> list[dict[str, object]]:
    rng = random.Random(seed)

    def maybe(value: object) -> object:
        return None if rng.random() < 0.1 else value

    return [
        {
            "customer_id": f"C{i:07d}",
            "monetary": maybe(rng.uniform(0, 3000)),
            "frequency": maybe(float(rng.randint(0, 12))),
            "recency_days": maybe(rng.uniform(0, 500)),
            "refund_rate": maybe(rng.random()),
            "tenure_days": maybe(rng.uniform(0, 900)),
            "last_order": maybe(NOW - timedelta(seconds=rng.uniform(0, 400 * 86400))),
            "first_order": maybe(NOW - timedelta(seconds=rng.uniform(400, 900) * 86400)),
        }
        for i in range(n)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profiles", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    plan = parse_plan(read_yaml(PLAN), base=PLAN.parent)
    rows = _profiles(args.profiles, args.seed)
    naive = [
        {**r, **{k: r[k] and r[k].replace(tzinfo=None) for k in ("last_order", "first_order")}}  # type: ignore[attr-defined]
        for r in rows
    ]
    table = pa.Table.from_pylist(naive)
    con = duckdb.connect()
    con.execute("SET threads = 1")
    con.register("profiles", table)
    for audience in plan.audiences:
        t0 = time.perf_counter()
        sql_ids = [r[0] for r in con.execute(rule_sql(audience.rule, "profiles", NOW)).fetchall()]
        sql_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        py_ids = [r["customer_id"] for r in rows if evaluate(audience.rule, r, NOW)]
        py_s = time.perf_counter() - t0
        assert sql_ids == py_ids, audience.name
        print(
            f"{audience.name}: {len(sql_ids):,} of {len(rows):,}; SQL {sql_s:.3f} s, "
            f"Python {py_s:.3f} s ({len(rows) / py_s:,.0f} profiles/s)"
        )
        emit(
            "activation",
            audience=audience.name,
            profiles=len(rows),
            members=len(sql_ids),
            sql_seconds=sql_s,
            python_seconds=py_s,
            python_profiles_per_second=len(rows) / py_s,
            same_members=True,
        )


if __name__ == "__main__":
    main()
