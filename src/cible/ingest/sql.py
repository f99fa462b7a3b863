"""Small helpers to write DuckDB SQL safely from configuration values."""

from __future__ import annotations

import pyarrow as pa


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: str) -> str:
    """A quoted SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def lit_list(values: list[str]) -> str:
    return "[" + ", ".join(lit(v) for v in values) + "]"


def text(expr: str, dtype: pa.DataType | None) -> str:
    """``expr`` as trimmed text, ``NULL`` when empty; integral floats print without ``.0``
    (a customer id 17850.0 read from a float column is the text '17850')."""
    if dtype is not None and pa.types.is_floating(dtype):
        return (
            f"CASE WHEN {expr} = floor({expr}) AND abs({expr}) < 1e15 "
            f"THEN CAST(CAST({expr} AS BIGINT) AS VARCHAR) ELSE CAST({expr} AS VARCHAR) END"
        )
    return f"NULLIF(TRIM(CAST({expr} AS VARCHAR)), '')"
