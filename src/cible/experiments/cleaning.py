"""Before an analysis: remove the rows that cannot be analysed, and count every one removed.

1. rows whose arm and a consistency column disagree (``consistency``: control shown the new page,
   treatment the old one) are assignment or logging errors;
2. repeated units (same id on several rows): ``keep_first`` keeps the first row of each unit in
   file order, ``drop_all`` removes every row of a repeated unit, ``refuse`` is an error naming
   the rows.

Rows with an arm outside the plan, a missing arm, or an outcome that is not 0/1 are errors naming
the file, row (1-based, header excluded) and column: never silently dropped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cible.exceptions import ExperimentError
from cible.experiments._result import plain

ROW = "_row"


@dataclass(frozen=True)
class CleaningSummary:
    rows_read: int
    mismatched_removed: int
    duplicate_rows_removed: int
    duplicate_units: int
    rows_analysed: int
    duplicate_policy: str

    def to_dict(self) -> dict[str, Any]:
        return plain(self)


def _first_bad(frame: pd.DataFrame, bad: pd.Series, source: str, column: str, rule: str) -> None:
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        value = frame[column].iloc[i]
        value = value.item() if isinstance(value, np.generic) else value
        raise ExperimentError(
            f"{source} row {int(frame[ROW].iloc[i]):,} column {column!r}: {value!r} {rule} "
            f"({int(bad.sum()):,} such rows)"
        )


def check_binary(frame: pd.DataFrame, columns: Sequence[str], source: str) -> None:
    """Every value of ``columns`` is 0 or 1 (booleans accepted)."""
    for c in columns:
        values = pd.to_numeric(
            frame[c].astype("object").replace({True: 1, False: 0}), errors="coerce"
        )
        _first_bad(frame, ~values.isin([0, 1]), source, c, "is not 0 or 1")


def clean(
    frame: pd.DataFrame,
    *,
    source: str,
    unit: str | None,
    arm: str,
    arms: Sequence[str],
    consistency: tuple[str, Mapping[str, str]] | None,
    duplicates: str,
) -> tuple[pd.DataFrame, CleaningSummary]:
    """The analysable rows (a new frame, with the 1-based file row in ``_row``) and the counts."""
    data = frame.assign(**{ROW: np.arange(1, len(frame) + 1)})
    data[arm] = data[arm].astype("object")
    _first_bad(data, data[arm].isna(), source, arm, "is missing: every row needs an arm")
    _first_bad(
        data,
        ~data[arm].astype(str).isin(list(arms)),
        source,
        arm,
        f"is not a planned arm {list(arms)}",
    )
    data[arm] = data[arm].astype(str)
    mismatched = 0
    if consistency is not None:
        column, expected = consistency
        ok = data[column].astype(str).to_numpy() == data[arm].map(dict(expected)).to_numpy()
        mismatched = int((~ok).sum())
        data = data[ok]
    dup_rows = dup_units = 0
    if unit is not None:
        repeated = data[unit].duplicated(keep=False)
        dup_units = int(data.loc[repeated, unit].nunique())
        if duplicates == "refuse" and repeated.any():
            rows = data.loc[repeated, ROW].head(2).tolist()
            raise ExperimentError(
                f"{source}: unit {unit!r} repeated (first at rows {rows[0]:,} and {rows[1]:,}); "
                "set duplicates: keep_first or drop_all"
            )
        drop = data[unit].duplicated(keep="first") if duplicates == "keep_first" else repeated
        dup_rows = int(drop.sum())
        data = data[~drop]
    summary = CleaningSummary(
        rows_read=len(frame),
        mismatched_removed=mismatched,
        duplicate_rows_removed=dup_rows,
        duplicate_units=dup_units,
        rows_analysed=len(data),
        duplicate_policy=duplicates,
    )
    return data.reset_index(drop=True), summary
