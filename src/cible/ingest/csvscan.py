"""CSV records from the physical lines of a file, where damage stays inside the record it is in.

Quoting follows the rules of Python's ``csv`` module (Excel dialect): a quote opens a quoted
value only at the start of a field, ``""`` inside it is one quote, and the closing quote must be
followed by the delimiter or the end of the record; a quoted value may span lines. Unlike the
``csv`` module (which keeps a stray quote as text and, after an unclosed quote, swallows the rest
of the file into one field) and pyarrow (which reports the rest of the file as one bad row), a
damaged record here is quarantined on its own and reading resumes at the next line:

* a quote in the middle of an unquoted field, or text after a closing quote, quarantines that
  record (``unbalanced quote``);
* a quote still open at the end of a line joins the next lines until it closes; the joined lines
  are one record only if the record then parses into the header's number of fields within
  ``max_record_lines`` lines. Otherwise only the *first* line is quarantined (``unbalanced
  quote``) and scanning resumes at the line after it, so the following records are judged on
  their own;
* a record with another number of fields than the header is quarantined (``expected N fields``).

Empty lines are not records (inside a quoted value they are part of the value). Lines without a
quote, lone ``\\r`` or undecodable bytes (nearly all of them) are split column-wise by Arrow, with
quoting off since they hold no quote; the others are parsed here, in Python. The Arrow work runs
over one block of bytes and the Python scan over the few remaining lines, so both could be fed
chunk by chunk (an open record then carries over to the next chunk).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

QUOTE = '"'


@dataclass(frozen=True)
class Parsed:
    """One attempt at parsing record text: ``fields`` when complete, else what went wrong.

    ``status`` is ``ok``, ``open`` (a quote still open at the end), ``after_quote`` (text after a
    closing quote) or ``stray`` (a quote inside an unquoted field); ``field`` is the 1-based
    field concerned and ``pos`` the character offset of the problem."""

    status: str
    fields: list[str]
    field: int = 0
    pos: int = 0


def parse_record(text: str, delimiter: str) -> Parsed:
    """Split one record's text (without its line terminator) into fields."""
    fields: list[str] = []
    pos, n = 0, len(text)
    while True:
        if pos < n and text[pos] == QUOTE:
            start, parts, p = pos, [], pos + 1
            while True:
                q = text.find(QUOTE, p)
                if q < 0:
                    return Parsed("open", fields, len(fields) + 1, start)
                parts.append(text[p:q])
                if q + 1 < n and text[q + 1] == QUOTE:
                    parts.append(QUOTE)
                    p = q + 2
                    continue
                break
            fields.append("".join(parts))
            pos = q + 1
            if pos == n:
                return Parsed("ok", fields)
            if text[pos] != delimiter:
                return Parsed("after_quote", fields, len(fields), pos)
            pos += 1
            continue
        end = text.find(delimiter, pos)
        value = text[pos:] if end < 0 else text[pos:end]
        q = value.find(QUOTE)
        if q >= 0:
            return Parsed("stray", fields, len(fields) + 1, pos + q)
        fields.append(value)
        if end < 0:
            return Parsed("ok", fields)
        pos = end + 1


@dataclass(frozen=True)
class Record:
    """A record parsed in Python: its first line (0-based), its number of lines, and either its
    ``fields`` or, when it is damaged, ``reason`` and ``text`` (what is quarantined)."""

    line: int
    n_lines: int
    fields: list[str] | None = None
    reason: str | None = None
    text: str = ""


def _reason(p: Parsed, expected: int, delimiter: str) -> str:
    if p.status == "stray":
        return f"unbalanced quote: a quote inside the unquoted field {p.field}"
    if p.status == "after_quote":
        return f"unbalanced quote: text after the closing quote of field {p.field}"
    return f"expected {expected} fields separated by {delimiter!r}, found {len(p.fields)}"


def scan_special(
    line: Callable[[int], str],
    special: list[int],
    expected: int,
    delimiter: str,
    max_record_lines: int,
    undecodable: dict[int, str],
    stop: int | None = None,
) -> Iterator[Record]:
    """The records starting on the ``special`` lines (sorted 0-based indices; lines between two
    special lines hold no quote). ``line(i)`` is the text of line ``i`` without its ``\\n``.

    A record that starts on a special line and spans the lines up to another one consumes them:
    special lines inside it yield nothing. With ``stop``, only records starting before line
    ``stop`` are yielded (the special lines after it are only read to complete them)."""
    consumed_until = -1
    for k, first in enumerate(special):
        if stop is not None and first >= stop:
            break
        if first <= consumed_until:
            continue
        raw, last, nxt = line(first), first, k + 1
        opened: Parsed | None = None
        while True:
            p = parse_record(raw.removesuffix("\r"), delimiter)
            if p.status != "open":
                break
            opened = opened or p
            if nxt >= len(special) or special[nxt] - first + 1 > max_record_lines:
                break
            joined = special[nxt]
            raw = "\n".join([raw, *(line(i) for i in range(last + 1, joined + 1))])
            last, nxt = joined, nxt + 1
        first_text = line(first).removesuffix("\r")
        if opened is not None and (p.status != "ok" or len(p.fields) != expected):
            if last == first and p.status in ("stray", "after_quote"):
                yield Record(first, 1, reason=_reason(p, expected, delimiter), text=first_text)
                continue
            yield Record(
                first,
                1,
                reason=f"unbalanced quote: the quote opening field {opened.field} is not closed"
                " into a record of the header's fields",
                text=first_text,
            )
            continue
        bad_lines = [undecodable[i] for i in range(first, last + 1) if i in undecodable]
        n_lines = last - first + 1
        if bad_lines:
            yield Record(first, n_lines, reason=bad_lines[0], text=raw.removesuffix("\r"))
        elif p.status != "ok" or len(p.fields) != expected:
            yield Record(first, 1, reason=_reason(p, expected, delimiter), text=first_text)
        else:
            yield Record(first, n_lines, fields=p.fields)
        consumed_until = last


@dataclass(frozen=True)
class Lines:
    """Where the lines of a UTF-8 buffer start and end: ``end`` excludes the ``\\n`` and a
    ``\\r`` before it (``cr`` says whether there was one)."""

    start: np.ndarray
    end: np.ndarray
    cr: np.ndarray

    @classmethod
    def of(cls, data: bytes) -> Lines:
        buf = np.frombuffer(data, dtype=np.uint8)
        nl = np.flatnonzero(buf == 10)
        start = np.concatenate([[0], nl + 1]).astype(np.int64)
        end = np.concatenate([nl, [len(buf)]]).astype(np.int64)
        if start[-1] == len(buf):  # nothing after the last newline
            start, end = start[:-1], end[:-1]
        cr = (end > start) & (buf[np.maximum(end - 1, 0)] == 13) if len(buf) else end > start
        return cls(start, end - cr, cr)

    def __len__(self) -> int:
        return len(self.start)

    def count(self, data: bytes, byte: int) -> np.ndarray:
        """Occurrences of ``byte`` per line, its line terminator included."""
        hits = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == byte)
        stop = np.append(self.start[1:], len(data))
        return np.searchsorted(hits, stop) - np.searchsorted(hits, self.start)

    def text(self, data: bytes, i: int) -> str:
        """Line ``i`` with a ``\\r`` before its ``\\n`` kept (needed inside quoted values)."""
        s, e = int(self.start[i]), int(self.end[i]) + int(self.cr[i])
        return data[s:e].decode("utf-8")


@dataclass(frozen=True)
class Scan:
    """The records of a CSV body: the good ones (``table``, with each record's first line), the
    damaged ones, and the 0-based index of the header line."""

    table: pa.Table
    first_lines: np.ndarray
    damaged: list[Record]
    next_line: int = 0  # the first line not read into a record (where the next block starts)


def read_body(
    data: bytes,
    lines: Lines,
    header: int,
    names: list[str],
    delimiter: str,
    max_record_lines: int,
    undecodable: dict[int, str],
    stop: int | None = None,
) -> Scan:
    """Every record after line ``header`` of ``data`` (UTF-8): see the module docstring.

    With ``stop`` (reading a file block by block), only the records starting before line
    ``stop`` are read; the lines after it (at least ``max_record_lines`` of them unless the file
    ends) only complete a quoted value still open, and :attr:`Scan.next_line` says where the
    next block must start."""
    n, expected = len(lines), len(names)
    stop = n if stop is None else min(stop, n)
    body = np.arange(n) > header
    empty = lines.end == lines.start
    quotes = lines.count(data, ord(QUOTE))
    lone_cr = lines.count(data, 13) > lines.cr
    special_mask = body & ~empty & ((quotes > 0) | lone_cr)
    special_mask[[i for i in undecodable if i > header]] = True
    special = np.flatnonzero(special_mask).tolist()
    parsed = list(
        scan_special(
            lambda i: lines.text(data, i),
            special,
            expected,
            delimiter,
            max_record_lines,
            undecodable,
            stop,
        )
    )
    consumed = np.zeros(n, dtype=bool)
    next_line = stop
    for r in parsed:
        if r.n_lines > 1:
            consumed[r.line + 1 : r.line + r.n_lines] = True
            next_line = max(next_line, r.line + r.n_lines)
    simple = np.flatnonzero(body & ~empty & ~special_mask & ~consumed & (np.arange(n) < stop))
    simple_table, ragged = _arrow_split(_cut(data, lines, simple), names, delimiter)
    damaged = [r for r in parsed if r.fields is None]
    for k, found in ragged:
        i = int(simple[k])
        damaged.append(
            Record(
                i,
                1,
                reason=f"expected {expected} fields separated by {delimiter!r}, found {found}",
                text=lines.text(data, i).removesuffix("\r"),
            )
        )
    first_lines = np.delete(simple, [k for k, _ in ragged])
    good_parsed = [r for r in parsed if r.fields is not None]
    table, first_lines = _with_parsed(simple_table, first_lines, good_parsed, names)
    damaged.sort(key=lambda r: r.line)
    return Scan(table, first_lines, damaged, next_line)


def _with_parsed(
    table: pa.Table, first_lines: np.ndarray, parsed: list[Record], names: list[str]
) -> tuple[pa.Table, np.ndarray]:
    """The simple rows and the well-formed special records together, in line order."""
    if not parsed:
        return table, first_lines
    values = [r.fields or [] for r in parsed]
    extra = pa.table(
        [pa.array([v[j] or None for v in values], pa.string()) for j in range(len(names))],
        names=names,
    )
    extra_lines = np.asarray([r.line for r in parsed], dtype=np.int64)
    first_lines = np.concatenate([first_lines, extra_lines])
    order = np.argsort(first_lines, kind="stable")
    return pa.concat_tables([table, extra]).take(pa.array(order)), first_lines[order]


def _cut(data: bytes, lines: Lines, keep: np.ndarray) -> bytes:
    """The bytes of the lines ``keep`` (sorted indices), each ending with a newline."""
    if not len(keep):
        return b""
    if keep[-1] - keep[0] + 1 == len(keep) and keep[-1] == len(lines) - 1:
        return data[int(lines.start[keep[0]]) :]  # one run to the end of the file
    breaks = np.flatnonzero(np.diff(keep) != 1)
    run_first = np.concatenate([[keep[0]], keep[breaks + 1]])
    run_last = np.concatenate([keep[breaks], [keep[-1]]])
    parts = []
    for a, b in zip(run_first.tolist(), run_last.tolist(), strict=True):
        end = int(lines.start[b + 1]) if b + 1 < len(lines) else len(data)
        chunk = data[int(lines.start[a]) : end]
        parts.append(chunk if chunk.endswith(b"\n") else chunk + b"\n")
    return b"".join(parts)


def _arrow_split(
    body: bytes, names: list[str], delimiter: str
) -> tuple[pa.Table, list[tuple[int, int]]]:
    """Split quote-free lines by ``delimiter`` (``""`` is null): the table of the lines with
    ``len(names)`` fields, and ``(index, fields)`` of the other lines (0-based within ``body``)."""
    if not body:
        return pa.table([pa.array([], pa.string()) for _ in names], names=names), []
    internal = [f"c{j}" for j in range(len(names))]
    ragged: list[tuple[int, int]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        if row.number is None or row.number < 1:  # only known when reading on one thread
            raise RuntimeError(f"pyarrow did not number the invalid CSV row {row.text!r}")
        ragged.append((row.number - 1, row.actual_columns))
        return "skip"

    table = pacsv.read_csv(
        io.BytesIO(body),
        read_options=pacsv.ReadOptions(
            column_names=internal, use_threads=False, block_size=1 << 24
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=delimiter,
            quote_char=False,
            newlines_in_values=False,
            ignore_empty_lines=False,
            invalid_row_handler=on_invalid,
        ),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(internal, pa.string()),
            strings_can_be_null=True,
            null_values=[""],
        ),
    )
    return table.rename_columns(names), ragged
