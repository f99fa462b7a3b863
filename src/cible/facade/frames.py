"""Data frames in: pandas, polars or Arrow, one code path through narwhals.

Every facade function (:mod:`cible.facade.steps`) turns its input into a pandas frame here, the
frame the pipeline code reads, and checks what every step needs: a non-empty table holding the
columns the call names. The caller's frame is never modified (a pandas frame is copied).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from cible.exceptions import EmptySourceError, MissingColumnError, SourceFormatError


def to_pandas(frame: Any, what: str) -> pd.DataFrame:
    """``frame`` (pandas, polars, pyarrow or any eager frame narwhals knows) as a new pandas
    frame with a fresh ``RangeIndex``; ``what`` names the call in errors (``cible.segment()``)."""
    import narwhals.stable.v2 as nw

    if isinstance(frame, pd.DataFrame):
        out = frame.reset_index(drop=True)  # a new frame: the caller's is never modified
    else:
        try:
            native = nw.from_native(frame, eager_only=True)
        except TypeError as e:
            raise SourceFormatError(
                f"{what}: a pandas, polars or Arrow data frame is needed, got "
                f"{type(frame).__module__}.{type(frame).__name__}"
            ) from e
        out = native.to_pandas()
    if len(out) == 0:
        raise EmptySourceError(f"{what}: the frame has no row (columns: {list(out.columns)})")
    return out


def check_columns(frame: pd.DataFrame, needed: dict[str, Iterable[str]], what: str) -> None:
    """Every column of ``needed`` (why -> the columns, e.g. ``"named in features"``) is in
    ``frame``; the error names the first column missing, why it is needed and the frame's
    columns."""
    for why, columns in needed.items():
        for column in columns:
            if column not in frame.columns:
                raise MissingColumnError(
                    f"{what}: column {column!r} ({why}) is not in the frame; "
                    f"columns: {[str(c) for c in frame.columns]}"
                )
