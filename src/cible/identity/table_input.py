"""A plain table of records to deduplicate (``dedup.input``): read as text, checked, named.

Every cell is read as text (``dtype=str``): ids such as ``007`` and postcodes such as ``0800``
keep their zeros, and nothing is converted before the matcher's own standardisers. Values are
trimmed (``strip``), the empty string and ``missing_values`` are missing. Column names are
trimmed too (Febrl headers carry a space after each comma).

The checks name the file, the column and the value: the id column must exist, be filled and be
unique; every column the matching configuration reads must exist (the message says which setting
names it). Rows are numbered from 1 as data rows (in a CSV, row N is on line N + 1).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cible.config.dedup import DedupInput
from cible.config.matching import MatchingConfig
from cible.exceptions import (
    DedupError,
    MissingColumnError,
    SourceFormatError,
    SourceNotFoundError,
)

_SUFFIXES = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".xls": "excel",
}


def table_format(path: Path, declared: str) -> str:
    """``declared``, or the format the suffix of ``path`` stands for."""
    if declared != "auto":
        return declared
    kind = _SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise SourceFormatError(
            f"{path}: cannot tell the format from the suffix '{path.suffix}'; set "
            "dedup.input.format to csv, parquet or excel"
        )
    return kind


def _read_raw(path: Path, spec: DedupInput, kind: str) -> pd.DataFrame:
    missing = ["", *spec.missing_values]
    if kind == "csv":
        return pd.read_csv(
            path,
            sep=spec.delimiter,
            encoding=spec.encoding,
            dtype=str,
            keep_default_na=False,
            na_values=missing,
            skipinitialspace=spec.skipinitialspace,
        )
    if kind == "excel":
        sheet = 0 if spec.sheet is None else spec.sheet
        return pd.read_excel(
            path, sheet_name=sheet, dtype=str, keep_default_na=False, na_values=missing
        )
    return pd.read_parquet(path)


def _cell(value: object, strip: bool, missing: frozenset[str]) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    text = str(value).strip() if strip else str(value)
    return None if text == "" or text in missing else text


def _as_text(frame: pd.DataFrame, spec: DedupInput) -> pd.DataFrame:
    """Object columns of ``str`` or ``None``, trimmed when ``strip``; names trimmed."""
    missing = frozenset(spec.missing_values)
    columns = {
        str(c).strip(): np.array(
            [_cell(v, spec.strip, missing) for v in frame.iloc[:, i].tolist()], dtype=object
        )
        for i, c in enumerate(frame.columns)
    }
    if len(columns) < frame.shape[1]:
        names = [str(c).strip() for c in frame.columns]
        repeated = sorted({c for c in names if names.count(c) > 1})
        raise SourceFormatError(f"column name(s) {repeated} appear more than once")
    return pd.DataFrame(columns, index=pd.RangeIndex(len(frame)))


def read_table(path: Path, spec: DedupInput) -> pd.DataFrame:
    """The table at ``path`` as text (see the module); unreadable files raise a
    :class:`~cible.exceptions.SourceError` naming the file."""
    if not path.is_file():
        raise SourceNotFoundError(f"dedup.input: file not found: {path}")
    kind = table_format(path, spec.format)
    try:
        frame = _read_raw(path, spec, kind)
    except (ValueError, OSError, UnicodeDecodeError, ImportError) as e:
        raise SourceFormatError(f"{path}: cannot read it as {kind}: {e}") from e
    except Exception as e:  # openpyxl and pyarrow raise many unrelated types for a corrupt file
        raise SourceFormatError(f"{path}: cannot read it as {kind}: {e}") from e
    return records_as_text(frame, spec, path)


def records_as_text(frame: pd.DataFrame, spec: DedupInput, path: Path) -> pd.DataFrame:
    """A table already read, as :func:`read_table` returns it (every cell text or ``None``, see
    the module); ``path`` names it in errors. Shared by :func:`read_table` and
    :func:`cible.dedup`; ``frame`` is not modified."""
    if frame.empty:
        raise SourceFormatError(f"{path}: the table has no data row")
    try:
        return _as_text(frame, spec)
    except SourceFormatError as e:
        raise SourceFormatError(f"{path}: {e}") from e


def column_origins(config: MatchingConfig) -> dict[str, str]:
    """Every column the matching reads -> the first setting that names it."""
    origins: dict[str, str] = {}
    for i, f in enumerate(config.fields):
        origins.setdefault(f.column, f"dedup.matching.fields[{i}].column")
    for i, key in enumerate(config.exact_keys):
        for part in key:
            origins.setdefault(part, f"dedup.matching.exact_keys[{i}]")
    for i, rule in enumerate(config.blocking):
        for k in rule.keys:
            origins.setdefault(k.column, f"dedup.matching.blocking[{i}].keys")
    return origins


def check_records(frame: pd.DataFrame, path: Path, config: MatchingConfig) -> None:
    """The id column exists, is filled and unique; every matching column exists."""
    id_column = config.id_column
    columns = list(frame.columns)
    if id_column is None or id_column not in frame.columns:
        raise MissingColumnError(
            f"{path}: id column {id_column!r} (dedup.input.id_column) is not in the table; "
            f"columns: {columns}"
        )
    ids = frame[id_column]
    empty = np.flatnonzero(ids.isna().to_numpy())
    if len(empty):
        raise DedupError(
            f"{path} row {int(empty[0]) + 1}: id column '{id_column}' is empty "
            f"({len(empty)} row(s) without id); every record needs an id"
        )
    repeated = ids[ids.duplicated(keep=False)]
    if len(repeated):
        value = repeated.iloc[0]
        rows = (np.flatnonzero((ids == value).to_numpy()) + 1).tolist()
        raise DedupError(
            f"{path}: id column '{id_column}' value {value!r} appears on rows "
            f"{', '.join(str(r) for r in rows[:5])}; record ids must be unique "
            f"({repeated.nunique()} id(s) repeat)"
        )
    for column, origin in column_origins(config).items():
        if column not in frame.columns:
            raise MissingColumnError(
                f"{path}: column {column!r} named in {origin} is not in the table; "
                f"columns: {columns}"
            )


def read_records(path: Path, spec: DedupInput, config: MatchingConfig) -> pd.DataFrame:
    """Read and check the table of records (:func:`read_table`, :func:`check_records`)."""
    frame = read_table(path, spec)
    check_records(frame, path, config)
    return frame
