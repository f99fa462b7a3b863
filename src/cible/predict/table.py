"""Table mode: a labelled set from a plain table (one row per customer, a label column).

Used for data that is not an event log (a CRM extract, a campaign file). The table is read as is;
text columns whose every non-blank value is a number become numeric (blank strings are missing,
the ``TotalCharges`` trap of the IBM Telco set); ``missing_values`` lists further text read as
missing. Text columns unique on every row of a table of more than 20 rows (ids, e-mails) cannot
generalise and are dropped.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cible.config.predict import TableConfig
from cible.exceptions import MissingColumnError, PredictError, SourceFormatError
from cible.predict.labels import LABEL_NAME, LabelledSet, check_two_classes
from cible.predict.splits import time_values

TRUE_LABELS = frozenset({"1", "1.0", "true", "yes", "y", "t", "oui"})
FALSE_LABELS = frozenset({"0", "0.0", "false", "no", "n", "f", "non"})


def read_table(path: Path, table: TableConfig) -> pd.DataFrame:
    """The raw table (CSV or Parquet), text cells kept as text."""
    kind = table.format
    if kind == "auto":
        kind = "parquet" if path.suffix.lower() in (".parquet", ".pq") else "csv"
    if not path.is_file():
        from cible.exceptions import SourceNotFoundError

        raise SourceNotFoundError(f"predict.table: file not found: {path}")
    try:
        if kind == "parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path, sep=table.delimiter, keep_default_na=False, na_values=[""])
    except (ValueError, OSError, UnicodeDecodeError) as e:
        raise SourceFormatError(f"predict.table: cannot read {path} as {kind}: {e}") from e


def numeric_text_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy where text columns holding only numbers (and blanks) are numeric."""
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            continue
        text = s.astype("string").str.strip()
        text = text.where(text != "")
        numbers = pd.to_numeric(text, errors="coerce")
        if text.notna().any() and numbers.notna().sum() == text.notna().sum():
            out[col] = numbers.astype("float64")
    return out


def label_from_column(values: pd.Series, positive: str | None, column: str) -> pd.Series:
    """0/1 label: ``positive`` when given, else yes/no, true/false or 1/0 spellings."""
    if values.isna().any():
        rows = [int(i) + 1 for i in np.flatnonzero(values.isna().to_numpy())[:5]]
        raise PredictError(
            f"label column '{column}' is empty on {int(values.isna().sum()):,} row(s) "
            f"(first data rows {rows}); every row needs a label"
        )
    text = values.astype("string").str.strip()
    if positive is not None:
        if not (text == positive).any():
            seen = sorted(text.unique().tolist())[:10]
            raise PredictError(
                f"label column '{column}': no row has the positive value {positive!r}; "
                f"values seen: {seen}"
            )
        return (text == positive).astype("int64").rename(LABEL_NAME)
    lower = text.str.lower()
    unknown = sorted(set(lower.unique().tolist()) - TRUE_LABELS - FALSE_LABELS)
    if unknown:
        raise PredictError(
            f"label column '{column}': values {unknown[:10]} are not yes/no, true/false or 1/0; "
            "set predict.positive to the value of the positive class"
        )
    return lower.isin(TRUE_LABELS).astype("int64").rename(LABEL_NAME)


def table_labelled_set(
    frame: pd.DataFrame,
    table: TableConfig,
    label_column: str,
    positive: str | None,
    split_column: str | None = None,
) -> LabelledSet:
    """Features and label from a raw table (``frame`` is not modified). ``split_column`` (the
    clock of a time split) is read as each row's time and is not a feature."""
    named = [
        label_column,
        *table.drop_columns,
        *([table.id_column] if table.id_column else []),
        *([split_column] if split_column else []),
    ]
    missing = [c for c in dict.fromkeys(named) if c not in frame.columns]
    if missing:
        raise MissingColumnError(
            f"predict.table: column(s) {missing} not in the table; columns: {list(frame.columns)}"
        )
    data = frame.replace(list(table.missing_values), np.nan) if table.missing_values else frame
    if table.id_column:
        ids = data[table.id_column].astype("string").str.strip()
        if ids.isna().any() or not ids.is_unique:
            raise PredictError(
                f"predict.table: id column '{table.id_column}' must be filled and unique per row"
            )
    else:
        ids = pd.Series([str(i + 1) for i in range(len(data))], dtype="string")
    y = label_from_column(data[label_column], positive, label_column)
    X = numeric_text_columns(data.drop(columns=list(dict.fromkeys(named))))
    X = X.drop(columns=_unique_text_columns(X))
    if X.shape[1] == 0:
        raise PredictError("predict.table: no feature column is left once the label is removed")
    index = pd.Index(ids.to_numpy(dtype=object), name="customer_id")
    X.index, y.index = index, index
    check_two_classes(y, f"column '{label_column}'")
    times = time_values(data[split_column], split_column) if split_column else None
    return LabelledSet(X, y, f"'{label_column}' = {positive or 'yes/true/1'}", times=times)


def _unique_text_columns(X: pd.DataFrame) -> list[str]:
    return [
        str(c)
        for c in X.columns
        if not pd.api.types.is_numeric_dtype(X[c]) and len(X) > 20 and X[c].nunique() == len(X)
    ]
