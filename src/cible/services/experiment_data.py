"""Reading the file of an experiment: the columns a section names, or an error naming the file
and what is missing."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from cible.config.experiments import ExperimentSource
from cible.exceptions import MissingColumnError, SourceFormatError, SourceNotFoundError


def read_columns(source: ExperimentSource, columns: Sequence[str]) -> pd.DataFrame:
    """The named columns (each once, in the order given) of the CSV or Parquet file."""
    path = Path(source.path)
    if not path.is_file():
        raise SourceNotFoundError(f"experiment data not found: {path}")
    wanted = list(dict.fromkeys(columns))
    fmt = (
        source.format
        if source.format != "auto"
        else ("parquet" if path.suffix == ".parquet" else "csv")
    )
    try:
        if fmt == "parquet":
            header = list(pd.read_parquet(path).columns)
        else:
            header = list(pd.read_csv(path, nrows=0).columns)
    except (ValueError, OSError) as e:
        raise SourceFormatError(f"{path}: cannot be read as {fmt}: {e}") from e
    missing = [c for c in wanted if c not in header]
    if missing:
        raise MissingColumnError(f"{path}: no column {missing}; the file has {header}")
    if fmt == "parquet":
        return pd.read_parquet(path, columns=wanted)
    return pd.read_csv(path, usecols=wanted)[wanted]
