"""Vectorised text rendering: numbers, ids, dates and whole lines as Arrow string arrays.

Formatting a million timestamps one by one in Python takes seconds; here digits are written into
a (rows x width) byte matrix from a two-digit lookup table and the matrix becomes an Arrow string
array without a copy. Lines are joined with :func:`pyarrow.compute.binary_join_element_wise` and
written straight from the Arrow data buffer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cible.synth.personas import WINDOW_START

Part = str | tuple[np.ndarray, int]
"""A piece of a fixed-width field: an ASCII literal, or (non-negative integers, zero-padded width)."""

_EPOCH = date(1970, 1, 1)
_SECONDS_PER_DAY = 86_400


def _two_digits() -> np.ndarray:
    """(100, 2) table of the ASCII digits of 00..99."""
    tens, units = np.divmod(np.arange(100), 10)
    return (np.stack([tens, units], axis=1) + ord("0")).astype(np.uint8)


def _put_digits(
    out: np.ndarray, column: int, values: np.ndarray, width: int, table: np.ndarray
) -> None:
    """Write ``values`` zero-padded on ``width`` digits into ``out[:, column:column + width]``."""
    remaining = values.astype(np.int64)
    end = column + width
    while end > column:
        size = min(2, end - column)
        remaining, pair = np.divmod(remaining, 100 if size == 2 else 10)
        out[:, end - size : end] = table[pair, 2 - size :]
        end -= size


def fixed_width(n: int, parts: Sequence[Part]) -> pa.Array:
    """``n`` strings of the same width assembled from literals and zero-padded integers."""
    widths = [len(p) if isinstance(p, str) else p[1] for p in parts]
    out = np.empty((n, sum(widths)), dtype=np.uint8)
    table = _two_digits()
    column = 0
    for part, width in zip(parts, widths, strict=True):
        if isinstance(part, str):
            out[:, column : column + width] = np.frombuffer(part.encode("ascii"), dtype=np.uint8)
        else:
            _put_digits(out, column, part[0], width, table)
        column += width
    offsets = np.arange(0, n * out.shape[1] + 1, out.shape[1], dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(out))


def identifiers(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """``prefix`` + zero-padded numbers, e.g. ``C0000042``."""
    return fixed_width(numbers.shape[0], [prefix, (numbers, width)])


def _civil(days_since_epoch: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day) of day numbers counted from 1970-01-01."""
    d = days_since_epoch.astype("datetime64[D]")
    year = d.astype("datetime64[Y]").astype(np.int64) + 1970
    month = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (d - d.astype("datetime64[M]")).astype(np.int64) + 1
    return year, month, day


def window_day_to_epoch_day(window_day: np.ndarray) -> np.ndarray:
    """Day number since 1970-01-01 of days counted from the window start."""
    return np.floor(window_day).astype(np.int64) + (WINDOW_START - _EPOCH).days


def timestamps(seconds: np.ndarray, iso: bool) -> pa.Array:
    """Seconds since the window start as ``YYYY-MM-DD HH:MM:SS`` or, when ``iso``, as
    ``YYYY-MM-DDTHH:MM:SSZ``."""
    days, second_of_day = np.divmod(seconds.astype(np.int64), _SECONDS_PER_DAY)
    year, month, day = _civil(days + (WINDOW_START - _EPOCH).days)
    hour, rest = np.divmod(second_of_day, 3600)
    minute, second = np.divmod(rest, 60)
    parts: list[Part] = [(year, 4), "-", (month, 2), "-", (day, 2), "T" if iso else " "]
    parts += [(hour, 2), ":", (minute, 2), ":", (second, 2)]
    return fixed_width(seconds.shape[0], [*parts, "Z"] if iso else parts)


def french_dates(days_since_epoch: np.ndarray) -> pa.Array:
    """Day numbers since 1970-01-01 as ``dd/mm/yyyy``."""
    year, month, day = _civil(days_since_epoch)
    return fixed_width(days_since_epoch.shape[0], [(day, 2), "/", (month, 2), "/", (year, 4)])


def decimals(cents: np.ndarray) -> pa.Array:
    """Amounts in cents as text with two decimals and a dot: ``-1234`` -> ``-12.34``."""
    units, fraction = np.divmod(np.abs(cents.astype(np.int64)), 100)
    signed = np.where(cents < 0, -units, units)
    text_units = pc.cast(pa.array(signed), pa.string())
    text_units = pc.if_else(pa.array((cents < 0) & (units == 0)), "-0", text_units)
    return join([text_units, fixed_width(cents.shape[0], [(fraction, 2)])], ".")


def integers(values: np.ndarray) -> pa.Array:
    """Integers as decimal text."""
    return pc.cast(pa.array(values.astype(np.int64)), pa.string())


def labels(names: Sequence[str], codes: np.ndarray) -> pa.Array:
    """Strings picked by code; a negative code gives a null (written as an empty field)."""
    codes = np.asarray(codes, dtype=np.int64)
    return pc.take(pa.array(list(names), pa.string()), pa.array(codes, mask=codes < 0))


def join(columns: Sequence[pa.Array | str], separator: str) -> pa.Array:
    """Join columns (arrays or scalar strings) row by row; nulls become empty fields."""
    return pc.binary_join_element_wise(
        *columns, separator, null_handling="replace", null_replacement=""
    )


def write_lines(handle: BinaryIO, lines: pa.Array) -> None:
    """Write each string of ``lines`` followed by a line feed, in UTF-8."""
    if len(lines) == 0:
        return
    text = pc.binary_join_element_wise(lines, "\n", "")
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int32)
    start, stop = int(offsets[text.offset]), int(offsets[text.offset + len(text)])
    handle.write(memoryview(text.buffers()[2])[start:stop])


def interleave(rng: np.random.Generator, rows: pa.Array, extra: pa.Array) -> pa.Array:
    """``rows`` in their order with the ``extra`` rows inserted at random positions."""
    keys = np.concatenate(
        [np.arange(len(rows), dtype=np.float64), rng.uniform(0, len(rows), len(extra))]
    )
    return pc.take(pa.concat_arrays([rows, extra]), pa.array(np.argsort(keys, kind="stable")))
