"""Which lines of a JSON Lines text are JSON objects, judged in DuckDB rather than line by line.

The rule is Python's: a line is a record when ``json.loads`` reads it as an object (blank lines
are skipped, the others are malformed with ``json.loads``'s message). Calling ``json.loads`` on
every line cost most of the reading time of a large file (issue 24), so the lines are first
judged together by DuckDB's ``json_valid`` (yyjson, C speed); ``json.loads`` only reads the lines
that DuckDB rejects, that do not start with ``{``, or that hold what yyjson accepts and Python
does not (a trailing comma before ``}`` or ``]``, ``NaN``/``Inf`` spellings: :data:`LENIENT`
finds them anywhere in the line, inside strings too, which only sends more lines to Python;
DuckDB's RE2 is about 6 times faster than Python's ``re`` here).
What yyjson accepts otherwise is standard JSON, which ``json.loads`` accepts too, so the verdict
of every line is the one ``json.loads`` gives.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa

from cible.ingest.sql import lit

# what yyjson (as DuckDB configures it) reads and json.loads refuses (RE2 syntax)
LENIENT = r",\s*[}\]]|[:,\[]\s*[-+]?\s*(?i:nan|inf)"


@dataclass(frozen=True)
class JsonLines:
    """The verdict on the lines of a text: ``body``, the object lines (``\\r`` removed) joined
    by ``\\n``; ``numbers``, their 1-based line numbers; ``bad``, (line number, message, text)
    of the malformed ones, in line order."""

    body: bytes
    numbers: np.ndarray
    bad: list[tuple[int, str, str]]


def _line_bounds(data: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start, end (without ``\\n`` nor a ``\\r`` before it) and ``\\r`` flag of every line, as
    ``data.split(b"\\n")`` cuts them."""
    buf = np.frombuffer(data, dtype=np.uint8)
    nl = np.flatnonzero(buf == 10)
    start = np.concatenate([[0], nl + 1]).astype(np.int64)
    end = np.concatenate([nl, [len(buf)]]).astype(np.int64)
    cr = (end > start) & (buf[np.maximum(end - 1, 0)] == 13) if len(buf) else end > start
    return start, end - cr, cr


def _plain_objects(data: bytes, start: np.ndarray) -> np.ndarray:
    """Whether each line (from its start to the next one's) starts with ``{``, is valid JSON for
    DuckDB and holds nothing :data:`LENIENT` finds."""
    offsets = np.append(start, len(data)).astype(np.int64)
    lines = pa.LargeStringArray.from_buffers(len(start), pa.py_buffer(offsets), pa.py_buffer(data))
    with duckdb.connect() as con:
        con.register("__json_lines", pa.table({"l": lines}))
        ok = con.sql(
            "SELECT coalesce(starts_with(l, '{') AND json_valid(l) "
            f"AND NOT regexp_matches(l, {lit(LENIENT)}), false) AS ok FROM __json_lines"
        ).to_arrow_table()
    return np.asarray(ok.column("ok").to_numpy(zero_copy_only=False), dtype=bool)


def _python_verdict(line: bytes) -> str | None:
    """``None`` when ``json.loads`` reads ``line`` as an object, else the message."""
    try:
        obj = json.loads(line)
    except ValueError as e:
        return (
            f"not valid JSON: {e.msg} at char {e.pos}"
            if isinstance(e, json.JSONDecodeError)
            else str(e)
        )
    return None if isinstance(obj, dict) else "a JSON line must hold an object"


def judge_lines(data: bytes, first_line: int, undecodable: dict[int, str]) -> JsonLines:
    """The lines of ``data``, the first being the file's 0-based line ``first_line``;
    ``undecodable`` maps file-wide 0-based line indices to why they could not be decoded."""
    if not data:
        return JsonLines(b"", np.zeros(0, dtype=np.int64), [])
    start, end, cr = _line_bounds(data)
    good = _plain_objects(data, start)
    good[list(i - first_line for i in undecodable if 0 <= i - first_line < len(start))] = False
    bad: list[tuple[int, str, str]] = []
    for i in np.flatnonzero(~good & (end > start)).tolist():  # the per-line reader's verdict
        line = data[int(start[i]) : int(end[i])]
        if not line.strip():
            continue
        message = undecodable.get(first_line + i) or _python_verdict(line)
        if message is None:
            good[i] = True
        else:
            bad.append((first_line + i + 1, message, line.decode("utf-8")))
    numbers = np.arange(first_line + 1, first_line + 1 + len(start))
    return JsonLines(_joined(data, start, end, cr, good), numbers[good], bad)


def _joined(
    data: bytes, start: np.ndarray, end: np.ndarray, cr: np.ndarray, keep: np.ndarray
) -> bytes:
    """The lines ``keep`` without their ``\\r``, joined by ``\\n``: runs of consecutive kept
    lines without ``\\r`` are one slice of ``data``."""
    idx = np.flatnonzero(keep)
    if not len(idx):
        return b""
    if cr[idx].any():
        return b"\n".join(data[int(start[i]) : int(end[i])] for i in idx.tolist())
    breaks = np.flatnonzero(np.diff(idx) != 1)
    first = np.concatenate([[idx[0]], idx[breaks + 1]])
    last = np.concatenate([idx[breaks], [idx[-1]]])
    return b"\n".join(
        data[int(start[a]) : int(end[b])]
        for a, b in zip(first.tolist(), last.tolist(), strict=True)
    )
