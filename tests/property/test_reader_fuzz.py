"""Fuzzing of the ingestion readers with malformed CSV, JSON Lines, Parquet and Excel bytes.

Whatever the bytes, reading and mapping a file ends in one of two ways: a result where every
record read is either accepted or quarantined (``read == accepted + quarantined``, each
quarantined row with a reason), or a :class:`~cible.exceptions.CibleError` about the whole file
that names it. Any other exception (a traceback from a parser) fails the test. The budget is
fixed (``derandomize=True``: the same examples on every run, in CI too).
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from functools import cache
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cible.config import SourceConfig
from cible.exceptions import CibleError
from cible.ingest.engine import map_source
from cible.ingest.readers import read_source

FUZZ = settings(
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SOURCE = {
    "name": "fuzzed",
    "kind": "events",
    "types": {"qty": "float"},
    "fields": {
        "customer_id": "cid",
        "timestamp": "ts",
        "quantity": "qty",
        "event_type": {"value": "purchase"},
    },
}
GOOD_ROWS = [["C1", "2025-01-02 10:00:00", "1.5"], ["C2", "2025-01-03", "2"], ["C3", "x", "-1"]]


def outcome(data: bytes, suffix: str) -> str:
    """Read and map ``data`` written to a file with ``suffix``; "ok" or "refused" (CibleError),
    with the balance and the error's shape asserted."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"fuzz{suffix}"
        path.write_bytes(data)
        src = SourceConfig.model_validate({**SOURCE, "path": str(path)})
        try:
            raw = read_source(path, src)
            result = map_source(src, raw)
        except CibleError as e:
            assert path.name in str(e) or "'fuzzed'" in str(e), str(e)
            return "refused"
    assert result.read == raw.n_read
    assert result.accepted.num_rows + result.quarantine.num_rows == raw.n_read
    rows = result.quarantine.column("row").to_pylist()
    assert len(set(rows)) == len(rows)  # each record judged once
    reasons = result.quarantine.column("rule").to_pylist()
    assert all(isinstance(r, str) and r for r in reasons)
    return "ok"


noise = st.binary(max_size=64)
csv_piece = st.sampled_from(
    [b",", b";", b"\t", b'"', b'""', b"\n", b"\r\n", b"\r", b"\x00", b"\xff\xfe", b"\xe9",
     b"\xc3\x28", b"C1", b"2025-01-02", b"1e309", b"NaN", b"-", b" ", b"=cmd|' /C calc'!A0"]
)  # fmt: skip
csv_body = st.lists(st.one_of(csv_piece, noise), max_size=40).map(b"".join)


@settings(FUZZ, max_examples=80)
@given(body=csv_body, header=st.sampled_from([b"cid,ts,qty\n", b"cid;ts;qty\n", b"", b"cid\n"]))
def test_csv_never_crashes(body: bytes, header: bytes) -> None:
    assert outcome(header + body, ".csv") in ("ok", "refused")


@settings(FUZZ, max_examples=40)
@given(
    rows=st.lists(st.lists(st.text(max_size=6), min_size=0, max_size=5), min_size=1, max_size=12)
)
def test_csv_with_ragged_rows_balances_exactly(rows: list[list[str]]) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([["cid", "ts", "qty"], *GOOD_ROWS, *rows])
    assert outcome(buf.getvalue().encode("utf-8"), ".csv") == "ok"


def json_values(keys: st.SearchStrategy[str], ints: st.SearchStrategy[int]) -> st.SearchStrategy:
    return st.recursive(
        st.none() | st.booleans() | ints | st.floats() | st.text(max_size=8),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
        max_leaves=8,
    )


def json_lines(keys: st.SearchStrategy[str], ints: st.SearchStrategy[int]) -> st.SearchStrategy:
    value = json_values(keys, ints)
    return st.one_of(
        st.fixed_dictionaries(
            {"cid": value, "ts": value, "qty": value}, optional={"extra": value}
        ).map(lambda d: json.dumps(d).encode()),
        value.map(lambda v: json.dumps(v).encode()),  # not always an object
        noise,  # broken JSON, invalid UTF-8
        st.sampled_from([b"{", b'{"cid": "C1"', b'{"cid": NaN}', b"[" * 200, b'{"a":1}{"b":2}']),
    )


INT64 = st.integers(-(2**63), 2**63 - 1)
# well-formed keys and 64-bit integers; ANY adds empty keys and integers beyond 64 bits
SURVIVED = json_lines(st.text(min_size=1, max_size=4), INT64)
ANY = json_lines(st.text(max_size=4), st.integers() | st.just(2**64))


def jsonl(lines: list[bytes], crlf: bool) -> bytes:
    head = json.dumps({"cid": "C0", "ts": "2025-01-01", "qty": 1}).encode()
    return (b"\r\n" if crlf else b"\n").join([head, *lines])


@settings(FUZZ, max_examples=60)
@given(lines=st.lists(SURVIVED, min_size=1, max_size=15), crlf=st.booleans())
def test_jsonl_never_crashes(lines: list[bytes], crlf: bool) -> None:
    assert outcome(jsonl(lines, crlf), ".jsonl") in ("ok", "refused")


@settings(FUZZ, max_examples=60)
@given(lines=st.lists(ANY, min_size=1, max_size=15), crlf=st.booleans())
def test_jsonl_with_empty_keys_and_big_integers_never_crashes(
    lines: list[bytes], crlf: bool
) -> None:
    assert outcome(jsonl(lines, crlf), ".jsonl") in ("ok", "refused")


def _raw(tmp_path: Path, data: bytes, suffix: str) -> pa.Table:
    path = tmp_path / f"f{suffix}"
    path.write_bytes(data)
    src = SourceConfig.model_validate({**SOURCE, "path": str(path)})
    return read_source(path, src).table


def test_jsonl_empty_key_is_named_after_its_position(tmp_path: Path) -> None:
    # found by the fuzzing: a column named "" made the mapping SQL fail in DuckDB
    data = b'{"cid": "C0", "ts": "2025-01-01", "qty": 1}\n{"": null}\n'
    assert outcome(data, ".jsonl") == "ok"
    names = _raw(tmp_path, data, ".jsonl").column_names
    assert sorted(names) == ["__row", "cid", "column_4", "qty", "ts"]
    assert names.index("column_4") == 3  # the fourth column of the table


def test_csv_empty_header_is_named_after_its_position(tmp_path: Path) -> None:
    # what pandas' to_csv writes for its index; column_1 is taken, so the empty one is column_1_1
    data = b",cid,column_1,ts,qty\n0,C1,a,2025-01-01,1\n"
    assert outcome(data, ".csv") == "ok"
    table = _raw(tmp_path, data, ".csv")
    assert table.column_names == ["column_1_1", "cid", "column_1", "ts", "qty", "__row"]
    assert table.column("column_1_1").to_pylist() == ["0"]


def test_jsonl_integer_beyond_64_bits_is_kept_exactly_as_text(tmp_path: Path) -> None:
    # found by the fuzzing: pa.array raised OverflowError on 2**64
    data = (
        b'{"cid": "C0", "ts": "2025-01-01", "qty": 1}\n'
        b'{"cid": "C1", "ts": [], "qty": 18446744073709551616}\n'
    )
    assert outcome(data, ".jsonl") == "ok"
    qty = _raw(tmp_path, data, ".jsonl").column("qty")
    assert qty.to_pylist() == ["1", "18446744073709551616"]
    edge = b'{"cid": "C0", "ts": "2025-01-01", "qty": 9223372036854775807}\n'
    assert _raw(tmp_path, edge, ".jsonl").column("qty").to_pylist() == [2**63 - 1]  # int64 max


def test_a_big_integer_alone_is_read() -> None:
    data = b'{"cid": "C0", "ts": "2025-01-01", "qty": 18446744073709551616}\n'
    assert outcome(data, ".jsonl") == "ok"


@cache
def valid_parquet() -> bytes:
    table = pa.table(
        {"cid": [r[0] for r in GOOD_ROWS], "ts": [r[1] for r in GOOD_ROWS], "qty": [1.5, 2, -1]}
    )
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


@cache
def valid_xlsx() -> bytes:
    import pandas as pd

    sink = io.BytesIO()
    pd.DataFrame(GOOD_ROWS, columns=["cid", "ts", "qty"]).to_excel(sink, index=False)
    return sink.getvalue()


def damaged(base: bytes) -> st.SearchStrategy[bytes]:
    """``base`` truncated, with bytes overwritten, or with noise inserted."""
    n = len(base)
    cut = st.integers(1, n - 1).map(lambda i: base[:i])
    flip = st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, 255)), min_size=1, max_size=8)
    flipped = flip.map(lambda fs: _overwrite(base, fs))
    inserted = st.tuples(st.integers(0, n), noise).map(lambda t: base[: t[0]] + t[1] + base[t[0] :])
    return st.one_of(cut, flipped, inserted, noise.filter(bool))


def _overwrite(base: bytes, flips: list[tuple[int, int]]) -> bytes:
    out = bytearray(base)
    for i, b in flips:
        out[i] = b
    return bytes(out)


def test_the_undamaged_files_are_read_whole() -> None:
    assert outcome(valid_parquet(), ".parquet") == "ok"
    assert outcome(valid_xlsx(), ".xlsx") == "ok"


@settings(FUZZ, max_examples=50)
@given(data=st.deferred(lambda: damaged(valid_parquet())))
def test_damaged_parquet_never_crashes(data: bytes) -> None:
    assert outcome(data, ".parquet") in ("ok", "refused")


@settings(FUZZ, max_examples=25)
@given(data=st.deferred(lambda: damaged(valid_xlsx())))
def test_damaged_excel_never_crashes(data: bytes) -> None:
    assert outcome(data, ".xlsx") in ("ok", "refused")
