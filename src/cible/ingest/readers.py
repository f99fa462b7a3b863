"""Readers: any supported file -> an Arrow table of the source columns plus ``__row``.

``__row`` is the 1-based number of the data row in the file (the header is not counted; in a CSV
without multi-line quoted values row N stands on line N + 1; in Excel it is sheet row N + 1; in JSON
Lines it is line N). Rows that cannot be parsed at all (wrong number of CSV fields, broken JSON) are
returned as :class:`MalformedRow` so that every row read is accounted for.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from cible.config import SourceConfig
from cible.exceptions import EmptySourceError, SourceFormatError, SourceNotFoundError
from cible.ingest.detect import detect_delimiter, detect_encoding, read_sample_lines

ROW = "__row"
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
    row: int
    message: str
    text: str


@dataclass(frozen=True)
class RawSource:
    """What was read from one file: the parsed rows, the unparseable ones, and how it was read."""

    path: Path
    format: str
    table: pa.Table
    malformed: list[MalformedRow] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None

    @property
    def n_read(self) -> int:
        return self.table.num_rows + len(self.malformed)


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
    names = [str(n).strip().lstrip("\ufeff") for n in table.column_names]
    seen: set[str] = set()
    for n in names:
        if n in seen:
            raise SourceFormatError(f"{path}: column '{n}' appears twice in the header")
        if n == ROW:
            raise SourceFormatError(f"{path}: column name '{ROW}' is reserved")
        seen.add(n)
    return table.rename_columns(names)


def _with_rows(table: pa.Table, rows: list[int] | None = None) -> pa.Table:
    import numpy as np

    numbers = (
        np.asarray(rows, dtype="int64") if rows is not None else np.arange(1, table.num_rows + 1)
    )
    return table.append_column(ROW, pa.array(numbers, type=pa.int64()))


def _read_csv(path: Path, source: SourceConfig) -> RawSource:
    encoding = detect_encoding(path) if source.encoding == "auto" else source.encoding
    try:
        sample = read_sample_lines(path, encoding)
    except (UnicodeDecodeError, LookupError) as e:
        raise SourceFormatError(f"{path}: cannot be read as {encoding}: {e}") from e
    if source.delimiter == "auto":
        delimiter = detect_delimiter(sample)
        if delimiter is None:
            delimiter = ","  # a single-column file
    else:
        delimiter = "\t" if source.delimiter in ("\\t", "tab") else source.delimiter
    header = sample[0] if sample else ""
    bad: list[tuple[int, str, int, int]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad.append((row.number or -1, row.text, row.expected_columns, row.actual_columns))
        return "skip"

    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                encoding=encoding, use_threads=False, block_size=1 << 24
            ),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types=_all_strings(header, delimiter),
                strings_can_be_null=True,
                null_values=[""],
                quoted_strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as e:
        raise SourceFormatError(
            f"{path}: not a readable CSV ({encoding}, {delimiter!r}): {e}"
        ) from e
    table = _clean_names(table, path)
    malformed_rows = [line - 1 for line, *_ in bad]
    malformed = [
        MalformedRow(
            line - 1, f"expected {exp} fields separated by {delimiter!r}, found {act}", text
        )
        for line, text, exp, act in bad
    ]
    rows = _interleave(table.num_rows, malformed_rows)
    return RawSource(path, "csv", _with_rows(table, rows), malformed, encoding, delimiter)


def _csv_rows(text: str, delimiter: str) -> list[list[str]]:
    import csv

    return list(csv.reader([text], delimiter=delimiter))


def _all_strings(header: str, delimiter: str) -> dict[str, pa.DataType]:
    names = next(iter(_csv_rows(header.rstrip("\r\n"), delimiter)), [])
    return {n: pa.string() for n in names}


def _interleave(n_good: int, bad_rows: list[int]) -> list[int]:
    """Row numbers of the parsed rows, given the row numbers taken by the unparseable ones."""
    taken = set(bad_rows)
    rows: list[int] = []
    r = 1
    while len(rows) < n_good:
        if r not in taken:
            rows.append(r)
        r += 1
    return rows


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
    encoding = detect_encoding(path) if source.encoding == "auto" else source.encoding
    data = path.read_bytes()
    if encoding not in ("utf-8", "utf8"):
        data = data.decode(encoding).encode("utf-8")
    good: list[bytes] = []
    rows: list[int] = []
    malformed: list[MalformedRow] = []
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as e:
            msg = (
                f"not valid JSON: {e.msg} at char {e.pos}"
                if isinstance(e, json.JSONDecodeError)
                else str(e)
            )
            malformed.append(MalformedRow(number, msg, line[:200].decode("utf-8", "replace")))
            continue
        if not isinstance(obj, dict):
            malformed.append(
                MalformedRow(number, "a JSON line must hold an object", line[:200].decode())
            )
            continue
        good.append(line)
        rows.append(number)
    table = _arrow_from_json_lines(good)
    return RawSource(
        path, "jsonl", _with_rows(_clean_names(table, path), rows), malformed, encoding
    )


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


def _arrow_from_json_lines(lines: list[bytes]) -> pa.Table:
    if not lines:
        return pa.table({})
    body = b"\n".join(lines)
    try:
        table = _read_json_body(body, {})
        # Arrow turns ISO strings into naive UTC timestamps; keep them as text so the mapping's
        # formats and time zone decide what they mean.
        stamps = {f.name: pa.string() for f in table.schema if pa.types.is_timestamp(f.type)}
        if stamps:
            table = _read_json_body(body, stamps)
    except pa.ArrowInvalid:  # a field changes type between lines
        records = [json.loads(line) for line in lines]
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


def _columns_from_records(records: list[dict[str, object]]) -> pa.Table:
    """Columns in order of first appearance; a column whose values mix types becomes text."""
    names: dict[str, None] = {}
    for rec in records:
        names.update(dict.fromkeys(rec))
    columns: dict[str, pa.Array] = {}
    for name in names:
        values = [rec.get(name) for rec in records]
        kinds = {type(v) for v in values if v is not None}
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
