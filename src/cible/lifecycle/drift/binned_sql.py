"""Histograms counted where the data lives: a few aggregate queries per feature, no row leaves
the warehouse.

For the numeric features, one scan of the reference gives each one's non-null count, null count
and standard deviation; one query takes ``2 * bins - 1`` quantiles of each feature
(``quantile_disc``: real values) over one seeded sample of the reference: the even ones become the
bin edges (duplicates of tied values merged), the odd ones the bins' points. Then one scan per
population counts the rows of every bin of every feature (``histogram(x, edges)``). A
categorical feature is one ``GROUP BY`` per population.

The queries are written in the shared SQL dialect (DuckDB's) and translated by the warehouse.
On an engine other than DuckDB (:func:`is_portable`: the PostgreSQL warehouse) the quantiles are
taken over every row (no reservoir sample there) and each bin is counted as a cumulative
``sum(CASE WHEN x <= edge ...)``, which gives the same counts.
``relation`` is a table name or a parenthesised query (``(SELECT ... WHERE month = 12)``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import pyarrow as pa

from cible.exceptions import LifecycleError
from cible.lifecycle.drift.histogram import Histogram

DEFAULT_BINS = 20
"""Quantile bins of a numeric feature: fine enough that KS at the edges and the binned
Wasserstein distance see a 0.1-standard-deviation shift (docs/lifecycle.md), coarse enough that
PSI's small-sample bias stays low (about ``(bins - 1) * (1/n_ref + 1/n_cur)``)."""


EDGE_SAMPLE_ROWS = 50_000
"""Rows of the seeded reservoir sample the bin edges are taken from. The edges only choose where
the bins are; every row of both populations is then counted. 50,000 rows place each quantile
within about 0.002 of its level."""


class Queryable(Protocol):
    """What drift needs of a warehouse: run one query, get Arrow back."""

    def fetch_arrow(self, sql: str) -> pa.Table: ...


def quote(column: str) -> str:
    if not column or '"' in column:
        raise LifecycleError(f"column name {column!r} cannot be quoted: no empty name or '\"'")
    return f'"{column}"'


def _value(column: str) -> str:
    return f"CAST({quote(column)} AS DOUBLE)"


def _literal(values: Sequence[float]) -> str:
    return "[" + ", ".join(repr(float(v)) for v in values) + "]::DOUBLE[]"


def stats_sql(relation: str, columns: Sequence[str]) -> str:
    """Non-null count, null count and standard deviation of every column, one scan."""
    parts = []
    for i, column in enumerate(columns):
        x = _value(column)
        parts.append(f"count({x}) AS n{i}, count(*) - count({x}) AS z{i}, stddev_pop({x}) AS s{i}")
    return f"SELECT {', '.join(parts)} FROM {relation}"


def quantiles_sql(
    relation: str, columns: Sequence[str], bins: int, sample_rows: int, *, portable: bool = False
) -> str:
    """The ``2 * bins - 1`` quantiles of each column then its quartiles 0.25 and 0.75, over ONE
    seeded reservoir sample of ``sample_rows`` rows (all rows when there are fewer). ``portable``
    (an engine without DuckDB's reservoir sample): over every row."""
    levels = [*(j / (2 * bins) for j in range(1, 2 * bins)), 0.25, 0.75]
    picked = ", ".join(f"{_value(c)} AS x{i}" for i, c in enumerate(columns))
    sample = "" if portable else f" USING SAMPLE {int(sample_rows)} ROWS (reservoir, 7)"
    parts = ", ".join(f"quantile_disc(x{i}, {levels}) AS q{i}" for i in range(len(columns)))
    return f"SELECT {parts} FROM (SELECT {picked} FROM {relation}{sample}) AS sampled"


def histograms_sql(
    relation: str, edges: Mapping[str, Sequence[float]], *, portable: bool = False
) -> str:
    """Rows per bin of every column, one scan: DuckDB's ``histogram`` over its edges, or
    (``portable``) the cumulative count at each edge, ``sum(CASE WHEN x <= edge ...)``, which
    every engine runs."""
    parts = []
    for i, (c, e) in enumerate(edges.items()):
        x = _value(c)
        if portable:
            parts += [
                f"sum(CASE WHEN {x} <= {float(v)!r} THEN 1 ELSE 0 END) AS c{i}_{j}"
                for j, v in enumerate(e)
            ]
            parts.append(f"count({x}) AS n{i}")
        else:
            parts.append(f"histogram({x}, {_literal(e)}) AS h{i}")
        parts.append(f"count(*) - count({x}) AS z{i}")
    return f"SELECT {', '.join(parts)} FROM {relation}"


def _bin_counts(
    row: Mapping[str, Any], i: int, edges: Sequence[float], portable: bool
) -> tuple[int, ...]:
    if not portable:
        return _counts(row[f"h{i}"] or {}, edges)
    cumulative = [int(row[f"c{i}_{j}"] or 0) for j in range(len(edges))]
    cumulative.append(int(row[f"n{i}"] or 0))
    return tuple(int(b - a) for a, b in zip([0, *cumulative[:-1]], cumulative, strict=True))


def is_portable(reader: object) -> bool:
    """Whether ``reader`` is not DuckDB: its ``dialect.name`` (a :class:`WarehouseReader`), a
    reader without dialect being DuckDB's SQL."""
    return str(getattr(getattr(reader, "dialect", None), "name", "duckdb")) != "duckdb"


IQR_PER_SD = 1.3489795003921634
"""Interquartile range of a normal distribution in standard deviations."""


def robust_scale(q25: float, q75: float, sd: float) -> float:
    """The reference spread the Wasserstein distance is divided by: ``IQR / 1.349`` (the
    standard deviation of a normal with that IQR, robust to the few huge orders of a spend
    feature, whose standard deviation they dominate), or the standard deviation when the IQR is
    0 (a count that is mostly one value)."""
    iqr = q75 - q25
    return iqr / IQR_PER_SD if iqr > 0 else sd


def edges_and_points(quantiles: Sequence[float]) -> tuple[list[float], list[float]]:
    """Bin edges (the even-level quantiles, ties merged) and one point per bin: the median of
    the odd-level quantiles inside the bin, else its upper edge (the last bin: its lower one)."""
    q = [float(v) for v in quantiles]
    edges = sorted(set(q[1::2]))
    centres = np.asarray(q[0::2])
    bounds = [-math.inf, *edges, math.inf]
    points = []
    for lo, hi in itertools.pairwise(bounds):
        inside = centres[(centres > lo) & (centres <= hi)]
        points.append(float(np.median(inside)) if inside.size else (hi if hi < math.inf else lo))
    return edges, points


def _counts(mapping: Any, edges: Sequence[float]) -> tuple[int, ...]:
    """Counts per bin from the ``histogram`` map (Arrow gives ``(boundary, count)`` pairs;
    the boundary of the last bin is infinity, bins without row may be absent)."""
    items = dict(mapping)
    index = {float(e): i for i, e in enumerate(edges)}
    counts = [0] * (len(edges) + 1)
    for key, n in items.items():
        counts[index.get(float(key), len(edges))] += int(n)
    return tuple(counts)


def numeric_histograms(
    reader: Queryable,
    reference: str,
    current: str,
    columns: Sequence[str],
    bins: int = DEFAULT_BINS,
    sample_rows: int = EDGE_SAMPLE_ROWS,
) -> dict[str, tuple[Histogram, Histogram]]:
    """Reference and current histograms of each of ``columns`` over the reference's quantile
    bins: one scan for the reference statistics, one for the sample the quantiles are taken
    from, one per population for the counts."""
    if bins < 2:
        raise LifecycleError(f"bins={bins}: give 2 or more")
    if not columns:
        return {}
    portable = is_portable(reader)
    stats = reader.fetch_arrow(stats_sql(reference, columns)).to_pylist()[0]
    quantiles = reader.fetch_arrow(
        quantiles_sql(reference, columns, bins, sample_rows, portable=portable)
    )
    edges: dict[str, list[float]] = {}
    points: dict[str, list[float]] = {}
    scales: dict[str, float] = {}
    for i, column in enumerate(columns):
        if not stats[f"n{i}"]:
            raise LifecycleError(f"feature {column!r}: the reference has no non-null value")
        *levels, q25, q75 = quantiles.column(f"q{i}")[0].as_py()
        edges[column], points[column] = edges_and_points(levels)
        scales[column] = robust_scale(float(q25), float(q75), float(stats[f"s{i}"] or 0.0))
    counted = [
        reader.fetch_arrow(histograms_sql(relation, edges, portable=portable)).to_pylist()[0]
        for relation in (reference, current)
    ]
    out = {}
    for i, column in enumerate(columns):
        ref, cur = (
            Histogram(
                counts=_bin_counts(row, i, edges[column], portable),
                edges=tuple(edges[column]),
                points=tuple(points[column]),
                scale=scales[column],
                nulls=int(row[f"z{i}"]),
            )
            for row in counted
        )
        out[column] = (ref, cur)
    return out


def categorical_histograms(
    reader: Queryable, reference: str, current: str, column: str
) -> tuple[Histogram, Histogram]:
    """Rows per category (as text) of ``column`` in both populations, over the union of the
    categories seen."""
    found: list[dict[str | None, int]] = []
    for relation in (reference, current):
        sql = (
            f"SELECT CAST({quote(column)} AS VARCHAR) AS v, count(*) AS n FROM {relation} "
            "GROUP BY 1"
        )
        found.append({r["v"]: int(r["n"]) for r in reader.fetch_arrow(sql).to_pylist()})
    labels = tuple(sorted({k for f in found for k in f if k is not None}))
    ref, cur = (
        Histogram(
            counts=tuple(f.get(label, 0) for label in labels), labels=labels, nulls=f.get(None, 0)
        )
        for f in found
    )
    return ref, cur
