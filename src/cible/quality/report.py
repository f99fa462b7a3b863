"""The data-quality report: compute -> :class:`QualityReport` (typed) -> render elsewhere.

* :func:`quality_report` measures a pandas frame (one source): per column missing, invalid
  (from the ``invalid`` flags, e.g. what standardisation could not read) and distinct counts, top
  values (patterns only for personal data), numeric outliers (robust z-score and IQR), impossible
  dates, and consistency findings (:mod:`cible.quality.consistency`).
* Ingestion measures each source the same way inside its DuckDB query
  (:func:`cible.quality.report_measures.profile_table`); :func:`build_report` assembles the sources, checks
  the thresholds (:func:`find_breaches`) and :func:`with_imputation` adds the share of each
  segmentation feature filled by the preprocessor's imputer.

Rates are shares of rows: ``missing_rate = missing / rows``, ``invalid_rate = invalid / rows``.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Collection, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from cible.quality.report_measures import ColumnSpec, ProfileOptions, profile_table
from cible.quality.results import (
    Breach,
    ColumnKind,
    ImputationShare,
    Measure,
    QualityReport,
    SourceQuality,
)
from cible.quality.standardize_names import standardize_gender
from cible.schemas.customers import CUSTOMER_FIELDS, GENDERS
from cible.schemas.events import EVENT_FIELDS

if TYPE_CHECKING:  # config imports cible.quality: a runtime import would be circular
    from cible.config import QualityThresholds

PERSONAL_FIELDS: frozenset[str] = frozenset(s.name for s in CUSTOMER_FIELDS if s.personal)
IDENTIFIERS: frozenset[str] = frozenset({"customer_id", "event_id", "order_id"})
CANONICAL_FIELDS: frozenset[str] = frozenset(s.name for s in (*CUSTOMER_FIELDS, *EVENT_FIELDS))


def quality_report(
    frame: pd.DataFrame,
    *,
    source: str = "frame",
    personal: Collection[str] = (),
    invalid: Mapping[str, pd.Series] | None = None,
    roles: Mapping[str, str] | None = None,
    thresholds: QualityThresholds | None = None,
    reference_date: dt.date | None = None,
    top_n: int = 5,
) -> QualityReport:
    """Measure every column of ``frame`` (not modified) as one source.

    ``personal``: columns whose values must never be shown (canonical personal fields, e.g.
    ``email`` or ``birth_date``, are personal anyway); ``invalid``: per column, a series aligned on
    the frame giving the reason a value is invalid (e.g. the ``reason`` of
    :func:`~cible.quality.standardize_series`), missing where valid; ``roles``: column -> the
    canonical field it holds, when the name differs (``{"sexe": "gender"}``); a column's role
    decides the special checks (``gender``: canonical values; ``birth_date``: ages; identifiers:
    no consistency check). Numeric columns are measured as numbers, datetime columns as dates.
    Row numbers in examples are 1-based positions in the frame.
    """
    start = time.perf_counter()
    roles = dict(roles or {})
    invalid = dict(invalid or {})
    unknown = sorted((set(invalid) | set(roles) | set(personal)) - {str(c) for c in frame.columns})
    if unknown:
        raise ValueError(f"quality_report: {unknown} are not columns of the frame")
    ref = reference_date or dt.date.today()
    table, specs = _frame_table(frame, set(personal), invalid, roles)
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("__frame", table)
        quality = profile_table(
            con, "__frame", specs, ProfileOptions(ref, top_n), source=source, kind="frame"
        )
    finally:
        con.close()
    return build_report(
        [quality], thresholds, reference_date=ref, seconds=time.perf_counter() - start
    )


def _kind(series: pd.Series) -> ColumnKind:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "timestamp"
    sample = series.dropna()
    if len(sample) and all(isinstance(v, dt.date) for v in sample.head(100)):
        return "date"
    return "text"


def _as_arrow(series: pd.Series, kind: ColumnKind) -> pa.Array:
    if kind == "text":
        values = [None if _missing(v) else str(v) for v in series.tolist()]
        return pa.array(values, type=pa.string())
    if kind == "date":
        return pa.array([None if _missing(v) else v for v in series.tolist()], type=pa.date32())
    return pa.Array.from_pandas(series)


def _missing(v: object) -> bool:
    try:
        return bool(pd.isna(v))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False


def _frame_table(
    frame: pd.DataFrame,
    personal: set[str],
    invalid: Mapping[str, pd.Series],
    roles: Mapping[str, str],
) -> tuple[pa.Table, list[ColumnSpec]]:
    arrays: dict[str, pa.Array] = {"__row": pa.array(np.arange(1, len(frame) + 1))}
    specs: list[ColumnSpec] = []
    for i, name in enumerate(str(c) for c in frame.columns):
        series = frame.iloc[:, i]
        kind = _kind(series)
        col = f"c{i}"
        arrays[col] = _as_arrow(series, kind)
        raw = (
            f"NULLIF(TRIM(CAST(c{i} AS VARCHAR)), '')"
            if kind == "text"
            else f"CAST(c{i} AS VARCHAR)"
        )
        flag = None
        if name in invalid:
            reasons = invalid[name].reindex(frame.index)
            arrays[f"i{i}"] = pa.array(
                [None if _missing(v) else str(v) for v in reasons.tolist()], type=pa.string()
            )
            flag = f"i{i}"
        role = roles.get(name, name if name in CANONICAL_FIELDS else None)
        gender = role == "gender"
        specs.append(
            ColumnSpec(
                name=name,
                raw=raw,
                kind=kind,
                typed=col if kind in ("number", "date", "timestamp") else None,
                invalid=flag,
                personal=name in personal or role in PERSONAL_FIELDS,
                role=role,
                canonical=standardize_gender if gender else None,
                canonical_values=frozenset(GENDERS) if gender else frozenset(),
                identifier=role in IDENTIFIERS,
            )
        )
    return pa.table(arrays), specs


def find_breaches(
    sources: Collection[SourceQuality], thresholds: QualityThresholds | None
) -> tuple[Breach, ...]:
    """Every column whose missing or invalid rate is above its allowed maximum (the column's own
    key, else ``default``; no key: no limit)."""
    if thresholds is None:
        return ()
    limits: dict[Measure, Mapping[str, float]] = {
        "missing_rate": thresholds.max_missing_rate,
        "invalid_rate": thresholds.max_invalid_rate,
    }
    breaches: list[Breach] = []
    for s in sources:
        for c in s.columns:
            for measure, table in limits.items():
                key = c.name if c.name in table else "default"
                if key not in table:
                    continue
                measured = c.missing_rate if measure == "missing_rate" else c.invalid_rate
                if measured > table[key]:
                    breaches.append(Breach(s.source, c.name, measure, measured, table[key], key))
    return tuple(breaches)


def build_report(
    sources: Collection[SourceQuality],
    thresholds: QualityThresholds | None = None,
    *,
    reference_date: dt.date | None = None,
    seconds: float = 0.0,
) -> QualityReport:
    """The report of ``sources`` with the breaches of ``thresholds``."""
    return QualityReport(
        sources=tuple(sources),
        breaches=find_breaches(sources, thresholds),
        reference_date=None if reference_date is None else reference_date.isoformat(),
        seconds=seconds,
    )


def imputation_shares(missing: pd.DataFrame) -> tuple[ImputationShare, ...]:
    """Shares read from a :func:`~cible.segmentation.imputation.missing_report` frame (index:
    feature; ``n_missing``, ``n_rows``, ``imputed`` and ``method`` columns)."""
    return tuple(
        ImputationShare(
            feature=str(feature),
            method=str(row["method"]),
            n_rows=int(row["n_rows"]),
            n_imputed=int(row["n_missing"]) if bool(row["imputed"]) else 0,
        )
        for feature, row in missing.iterrows()
    )


def with_imputation(report: QualityReport, missing: pd.DataFrame | None) -> QualityReport:
    """``report`` with the imputation shares of a fitted segmentation (``None``: not run)."""
    if missing is None:
        return report
    return replace(report, imputation=imputation_shares(missing))
