"""Readers: any supported file -> an Arrow table of the source columns plus ``__row``.

``__row`` is the 1-based number of the data record in the file, counting every record read (the
accepted and the damaged ones; the header and empty lines are not records). In a CSV without
multi-line quoted values or empty lines record N stands on line N + 1; in Excel it is sheet row
N + 1; in JSON Lines it is the line number N (empty lines are skipped but keep their number).
Records that cannot be parsed (wrong number of CSV fields, an unbalanced quote, broken JSON,
bytes the declared encoding cannot decode) are returned as :class:`MalformedRow` with the same
numbering and, in ``line``, the physical line they start on (1-based, the header is line 1), so
that every record read is accounted for: ``n_read = accepted + malformed``.

CSV and JSON Lines text is decoded line by line (:mod:`cible.ingest.decode`): UTF-8 first, then
one detected single-byte encoding for the lines that are not UTF-8 (``fallback_encoding``,
``fallback_lines``). CSV records are found by :mod:`cible.ingest.csvscan`: a stray or unclosed
quote damages only the record it is in, and reading resumes at the next line.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.json as pajson
import pyarrow.parquet as pq

from cible.config import SourceConfig
from cible.exceptions import EmptySourceError, SourceFormatError, SourceNotFoundError
from cible.ingest.csvscan import Lines, Scan, parse_record, read_body
from cible.ingest.decode import DecodedText, decode_text
from cible.ingest.detect import detect_delimiter
from cible.ingest.jsonscan import judge_lines

ROW = "__row"
WHITESPACE = "whitespace"
_BLANKS = re.compile(rb"[ \t]+")
_EDGE_TABS = re.compile(rb"^\t|\t(?=\r?\n)|\t(?=\r?\Z)", re.MULTILINE)
_SUFFIX_FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".xls": "excel",
}


@dataclass(frozen=True)
class MalformedRow:
    """A record that could not be parsed: its ``__row`` number, why (for CSV the message ends with
    ``(line N)``; in JSON Lines the row is the line), its text as read, and the physical line it
    starts on."""

    row: int
    message: str
    text: str
    line: int | None = None


@dataclass(frozen=True)
class RawSource:
    """What was read from one file: the parsed rows, the unparseable ones, and how it was read."""

    path: Path
    format: str
    table: pa.Table
    malformed: list[MalformedRow] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    fallback_encoding: str | None = None
    fallback_lines: int = 0

    @property
    def n_read(self) -> int:
        return self.table.num_rows + len(self.malformed)

    @property
    def schema(self) -> pa.Schema:
        return self.table.schema


def resolve_format(path: Path, declared: str) -> str:
    if declared != "auto":
        return declared
    fmt = _SUFFIX_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise SourceFormatError(
            f"{path}: cannot tell the format from the extension '{path.suffix}'; set 'format' to one"
            " of csv, parquet, jsonl, excel"
        )
    return fmt


def read_source(path: Path, source: SourceConfig) -> RawSource:
    """Read one source file; raises a :class:`SourceError` naming the file when it cannot be used."""
    if not path.is_file():
        raise SourceNotFoundError(f"source '{source.name}': file not found: {path}")
    if path.stat().st_size == 0:
        raise EmptySourceError(f"source '{source.name}': {path} is empty (0 bytes)")
    fmt = resolve_format(path, source.format)
    readers = {
        "csv": _read_csv,
        "parquet": _read_parquet,
        "jsonl": _read_jsonl,
        "excel": _read_excel,
    }
    raw = readers[fmt](path, source)
    if raw.n_read == 0:
        raise EmptySourceError(f"source '{source.name}': {path} has no data rows (header only)")
    return raw


def _clean_names(table: pa.Table, path: Path) -> pa.Table:
    names = _named([str(n).strip().lstrip("\ufeff") for n in table.column_names])
    _check_names(names, path)
    return table.rename_columns(names)


def _named(names: list[str]) -> list[str]:
    """An empty header (a pandas index column, ``,a,b``) or JSON key ``""`` cannot be quoted in
    SQL: it is named after its 1-based position, ``column_<N>``, and kept like any other."""
    taken = set(names)
    out = list(names)
    for i, n in enumerate(out):
        if not n:
            name, extra = f"column_{i + 1}", 1
            while name in taken:
                name, extra = f"column_{i + 1}_{extra}", extra + 1
            out[i] = name
            taken.add(name)
    return out


def _check_names(names: list[str], path: Path) -> None:
    seen: set[str] = set()
    for n in names:
        if n in seen:
            raise SourceFormatError(f"{path}: column '{n}' appears twice in the header")
        if n == ROW:
            raise SourceFormatError(f"{path}: column name '{ROW}' is reserved")
        seen.add(n)


def _with_rows(table: pa.Table, rows: list[int] | np.ndarray | None = None) -> pa.Table:
    numbers = (
        np.asarray(rows, dtype="int64") if rows is not None else np.arange(1, table.num_rows + 1)
    )
    return table.append_column(ROW, pa.array(numbers, type=pa.int64()))


def _decode(path: Path, source: SourceConfig) -> DecodedText:
    try:
        return decode_text(path.read_bytes(), source.encoding, source.fallback_encoding)
    except SourceFormatError as e:
        raise SourceFormatError(f"{path}: {e}") from e


def whitespace_as_tabs(data: bytes, source: SourceConfig) -> bytes:
    """With ``delimiter: whitespace``, whole lines of ``data`` with every run of spaces and tabs
    made one tab and those at the start and end of a line removed (lines keep their numbers);
    otherwise ``data`` itself."""
    if source.delimiter != WHITESPACE:
        return data
    return _EDGE_TABS.sub(b"", _BLANKS.sub(b"\t", data))


def _read_csv(path: Path, source: SourceConfig) -> RawSource:
    decoded = _decode(path, source)
    data = whitespace_as_tabs(decoded.data, source)
    lines = Lines.of(data)
    header, names, delimiter = csv_header(data, lines, source, path)
    scan = read_body(
        data, lines, header, names, delimiter, source.max_record_lines, decoded.undecodable
    )
    table, malformed = csv_rows(scan, 0, 0)
    return RawSource(
        path,
        "csv",
        table,
        malformed,
        decoded.encoding,
        delimiter,
        decoded.fallback_encoding,
        decoded.fallback_lines,
    )


def csv_rows(scan: Scan, row0: int, line0: int) -> tuple[pa.Table, list[MalformedRow]]:
    """The records of ``scan`` numbered: record N of the scan is row ``row0 + N``; its lines
    start at the file's 0-based line ``line0`` (a file read block by block)."""
    starts = np.sort(np.concatenate([scan.first_lines, [r.line for r in scan.damaged]]))
    malformed = [
        MalformedRow(
            row0 + int(np.searchsorted(starts, r.line)) + 1,
            f"{r.reason} (line {line0 + r.line + 1:,})",
            r.text,
            line0 + r.line + 1,
        )
        for r in scan.damaged
    ]
    rows = row0 + np.searchsorted(starts, scan.first_lines) + 1
    return _with_rows(scan.table, rows), malformed


def csv_header(
    data: bytes, lines: Lines, source: SourceConfig, path: Path
) -> tuple[int, list[str], str]:
    """The header line (0-based index; -1 for a file without header, whose column names are
    ``source.columns``), the column names and the delimiter of a CSV text."""
    nonempty = np.flatnonzero(lines.end > lines.start)
    if not len(nonempty):
        raise EmptySourceError(f"source '{source.name}': {path} holds no header line")
    header = int(nonempty[0])
    if source.delimiter == WHITESPACE:
        delimiter = "\t"  # runs of blanks were made one tab by whitespace_as_tabs
    elif source.delimiter == "auto":
        sample = [lines.text(data, int(i)) for i in nonempty[:50]]
        delimiter = detect_delimiter(sample) or ","  # None: a single-column file
    else:
        delimiter = "\t" if source.delimiter in ("\\t", "tab") else source.delimiter
    if source.columns is not None:
        return -1, [c.strip() for c in source.columns], delimiter
    head = parse_record(lines.text(data, header).removesuffix("\r"), delimiter)
    if head.status != "ok":
        raise SourceFormatError(
            f"{path}: the header line {header + 1} is not a CSV record ({head.status} quote in "
            f"field {head.field}, delimiter {delimiter!r})"
        )
    names = _named([n.strip().lstrip("\ufeff") for n in head.fields])
    _check_names(names, path)
    return header, names, delimiter


def _read_parquet(path: Path, source: SourceConfig) -> RawSource:
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as e:
        raise SourceFormatError(f"{path}: not a readable Parquet file: {e}") from e
    return RawSource(path, "parquet", _with_rows(_clean_names(table, path)))


def _read_jsonl(path: Path, source: SourceConfig) -> RawSource:
    """Each line is checked with ``json.loads`` (to number the bad ones); the good lines are then
    parsed column-wise by Arrow, or, if their types conflict between lines, built column by column
    with mixed columns as text."""
    decoded = _decode(path, source)
    table, malformed = jsonl_rows(decoded.data, 0, decoded.undecodable, path)
    return RawSource(
        path,
        "jsonl",
        table,
        malformed,
        decoded.encoding,
        None,
        decoded.fallback_encoding,
        decoded.fallback_lines,
    )


def jsonl_rows(
    data: bytes, first_line: int, undecodable: dict[int, str], path: Path
) -> tuple[pa.Table, list[MalformedRow]]:
    """The rows (with ``__row``, the line number) and the malformed lines of the JSON Lines text
    ``data`` whose first line has the 0-based index ``first_line`` in the file (a line is a row
    when ``json.loads`` reads it as an object: see :mod:`cible.ingest.jsonscan`)."""
    judged = judge_lines(data, first_line, undecodable)
    malformed = [MalformedRow(n, message, text, n) for n, message, text in judged.bad]
    table = _arrow_from_json_lines(judged.body)
    return _with_rows(_clean_names(table, path), judged.numbers), malformed


def _read_json_body(body: bytes, as_text: dict[str, pa.DataType]) -> pa.Table:
    return pajson.read_json(
        io.BytesIO(body),
        read_options=pajson.ReadOptions(block_size=1 << 26),
        parse_options=pajson.ParseOptions(
            newlines_in_values=False,
            explicit_schema=pa.schema(list(as_text.items())) if as_text else None,
            unexpected_field_behavior="infer",
        ),
    )


def _arrow_from_json_lines(body: bytes) -> pa.Table:
    """The object lines ``body`` (joined by ``\\n``) as columns."""
    if not body:
        return pa.table({})
    try:
        table = _read_json_body(body, {})
        # Arrow turns ISO strings into naive UTC timestamps; keep them as text so the mapping's
        # formats and time zone decide what they mean.
        stamps = {f.name: pa.string() for f in table.schema if pa.types.is_timestamp(f.type)}
        if stamps:
            table = _read_json_body(body, stamps)
    except pa.ArrowInvalid:  # a field changes type between lines
        records = [json.loads(line) for line in body.split(b"\n")]
        return _columns_from_records([{k: _scalar(v) for k, v in r.items()} for r in records])
    nested = [
        i
        for i, f in enumerate(table.schema)
        if pa.types.is_struct(f.type) or pa.types.is_list(f.type)
    ]
    for i in nested:  # nested values are kept as JSON text, like the fallback does
        col = table.column(i).to_pylist()
        text = [None if v is None else json.dumps(v, ensure_ascii=False) for v in col]
        table = table.set_column(i, table.schema[i].name, pa.array(text, type=pa.string()))
    return table


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _columns_from_records(records: list[dict[str, object]]) -> pa.Table:
    """Columns in order of first appearance; a column whose values mix types becomes text."""
    names: dict[str, None] = {}
    for rec in records:
        names.update(dict.fromkeys(rec))
    columns: dict[str, pa.Array] = {}
    for name in names:
        values = [rec.get(name) for rec in records]
        kinds = {type(v) for v in values if v is not None}
        if kinds == {int} and any(
            isinstance(v, int) and not _INT64_MIN <= v <= _INT64_MAX for v in values
        ):
            kinds = {int, str}  # beyond 64 bits: kept exactly, as text
        if (kinds <= {int, float} and kinds != {int, float}) or kinds <= {str} or kinds <= {bool}:
            columns[name] = pa.array(values)
        elif kinds <= {int, float}:
            columns[name] = pa.array([None if v is None else float(v) for v in values])  # type: ignore[arg-type]
        else:
            columns[name] = pa.array(
                [None if v is None else str(v) for v in values], type=pa.string()
            )
    return pa.table(columns) if columns else pa.table({})


def _scalar(v: object) -> object:
    return json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v


def _read_excel(path: Path, source: SourceConfig) -> RawSource:
    sheet = 0 if source.sheet is None else source.sheet
    try:
        frame = pd.read_excel(path, sheet_name=sheet, dtype=str, keep_default_na=False)
    except ValueError as e:
        raise SourceFormatError(f"{path}: cannot read sheet {sheet!r}: {e}") from e
    except Exception as e:  # openpyxl raises many unrelated types for a corrupt workbook
        raise SourceFormatError(f"{path}: not a readable Excel workbook: {e}") from e
    frame = frame.replace({"": None})
    frame.columns = [str(c) for c in frame.columns]
    table = pa.Table.from_pandas(frame.astype(object), preserve_index=False)
    return RawSource(path, "excel", _with_rows(_clean_names(table, path)))
