"""Invariants of ingestion on arbitrary input: nothing is lost, nothing is counted twice."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cible.config import SourceConfig
from cible.ingest.engine import map_source
from cible.ingest.readers import read_source

cell = st.one_of(
    st.just(""),
    st.sampled_from(["C1", "C2", "2025-01-02 10:00:00", "2025-02-30", "two", "-3", "0", "1.5"]),
    st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=8),
)
row = st.lists(cell, min_size=3, max_size=5)  # 4 columns expected: some rows are malformed

SOURCE = {
    "name": "s",
    "kind": "events",
    "types": {"qty": "float"},
    "fields": {
        "customer_id": "cid",
        "timestamp": "ts",
        "quantity": "qty",
        "amount": {"expr": "qty * 2"},
        "event_type": {"value": "purchase"},
    },
}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(row, min_size=1, max_size=25))
def test_read_equals_accepted_plus_quarantined(tmp_path: Path, rows: list[list[str]]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["cid", "ts", "qty", "note"])
    writer.writerows(rows)
    path = tmp_path / "e.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    src = SourceConfig.model_validate({**SOURCE, "path": str(path), "delimiter": ","})
    result = map_source(src, read_source(path, src))
    n_records = len(list(csv.reader(io.StringIO(buf.getvalue())))) - 1
    assert result.read == n_records
    assert result.accepted.num_rows + result.quarantine.num_rows == n_records
    quarantined_rows = result.quarantine.column("row").to_pylist()
    assert len(set(quarantined_rows)) == len(quarantined_rows)  # each row judged once
    assert all(1 <= r <= n_records for r in quarantined_rows)
    assert sum(result.rule_counts.values()) == result.quarantine.num_rows


CUSTOMERS = {
    "name": "c",
    "kind": "customers",
    "fields": {"customer_id": "cid", "email": "mail", "birth_date": "dob", "gender": "sex"},
}


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(row, min_size=1, max_size=25),
    on_invalid=st.sampled_from(["quarantine", "null", "keep"]),
)
def test_standardised_customers_balance_and_only_standard_values(
    tmp_path: Path, rows: list[list[str]], on_invalid: str
) -> None:
    from cible.config import StandardizeConfig
    from cible.quality import standardize_date, standardize_email
    from cible.schemas import GENDERS

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["cid", "mail", "dob", "sex"])
    writer.writerows(rows)
    path = tmp_path / "c.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    src = SourceConfig.model_validate({**CUSTOMERS, "path": str(path), "delimiter": ","})
    standardize = StandardizeConfig.model_validate({"on_invalid": on_invalid})
    result = map_source(src, read_source(path, src), standardize)
    n_records = len(list(csv.reader(io.StringIO(buf.getvalue())))) - 1
    assert result.accepted.num_rows + result.quarantine.num_rows == result.read == n_records
    # missing -> 'unknown'; an unreadable gender is nulled (null), quarantined, or kept and then
    # refused by the allowed-values check (keep): never anything but a canonical value or NULL
    genders = set(result.accepted.column("gender").to_pylist())
    assert genders <= set(GENDERS) | ({None} if on_invalid == "null" else set())
    if on_invalid != "keep":  # accepted values are standardised values (a fixed point)
        for email in result.accepted.column("email").drop_null().to_pylist():
            assert standardize_email(email).value == email
        for day in result.accepted.column("birth_date").drop_null().to_pylist():
            assert standardize_date(day.isoformat()).value == day.isoformat()
    _nothing_erased(rows, result, {"email": 1, "birth_date": 2, "gender": 3})


def _nothing_erased(rows: list[list[str]], result: object, fields: dict[str, int]) -> None:
    """Every non-blank cell of an accepted record is in its field or kept in ``raw_values``."""
    import json

    from cible.ingest.engine import SourceResult

    assert isinstance(result, SourceResult)
    quarantined = set(result.quarantine.column("row").to_pylist())
    accepted_rows = [r for i, r in enumerate(rows, start=1) if i not in quarantined]
    records = result.accepted.to_pylist()
    assert len(accepted_rows) == len(records)
    for cells, record in zip(accepted_rows, records, strict=True):
        raw = json.loads(record["raw_values"]) if record["raw_values"] else {}
        for name, position in fields.items():
            cell = cells[position].strip()
            if cell and record[name] is None:
                assert name in raw, (name, cells, record)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(row, min_size=1, max_size=25))
def test_unstandardised_customers_erase_nothing(tmp_path: Path, rows: list[list[str]]) -> None:
    """Standardisation off: values that cannot be typed or are not allowed are kept raw and the
    records accepted (only identical rows, missing or repeated ids and malformed rows go)."""
    from cible.config import StandardizeConfig

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["cid", "mail", "dob", "sex"])
    writer.writerows(rows)
    path = tmp_path / "c.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    src = SourceConfig.model_validate({**CUSTOMERS, "path": str(path), "delimiter": ","})
    result = map_source(src, read_source(path, src), StandardizeConfig(auto=False))
    assert result.accepted.num_rows + result.quarantine.num_rows == result.read
    assert set(result.rule_counts) <= {
        "duplicate_row",
        "required:customer_id",
        "duplicate_key:customer_id",
        "malformed_row",
    }
    _nothing_erased(rows, result, {"email": 1, "birth_date": 2, "gender": 3})


value = st.text(alphabet=st.sampled_from(list('ab,"\n é€')), max_size=6)
DAMAGES = ["unclosed", "stray", "after_quote"]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    records=st.lists(st.lists(value, min_size=3, max_size=3), min_size=1, max_size=20),
    damage=st.dictionaries(st.integers(0, 19), st.sampled_from(DAMAGES), max_size=4),
)
def test_quote_damage_stays_in_its_record(
    tmp_path: Path, records: list[list[str]], damage: dict[int, str]
) -> None:
    """Random CSV (quoted values with delimiters, quotes and newlines) with random quote damage:
    every record read is accepted or quarantined, and every undamaged one-line record is
    accepted unchanged."""
    records = [[f"K{i}", *r] for i, r in enumerate(records)]  # a unique key per record
    text_lines = ["k,x,y,z"]
    damaged_keys: set[str] = set()
    for i, rec in enumerate(records):
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow(rec)
        lines = buf.getvalue().removesuffix("\n").split("\n")
        kind = damage.get(i)
        if kind is not None:
            damaged_keys.add(rec[0])
            lines = {
                "unclosed": [f'{rec[0]},"open', *lines[1:]] if len(lines) == 1 else [lines[0]],
                "stray": [f'{rec[0]},a"b,c,d'],
                "after_quote": [f'{rec[0]},"a"b,c,d'],
            }[kind]
        text_lines += lines
    body = "\n".join(text_lines) + "\n"
    path = tmp_path / "q.csv"
    path.write_text(body, encoding="utf-8")
    src = SourceConfig.model_validate(
        {
            "name": "q",
            "kind": "customers",
            "path": str(path),
            "delimiter": ",",
            "fields": {"customer_id": "k"},
        }
    )
    raw = read_source(path, src)
    assert raw.n_read == raw.table.num_rows + len(raw.malformed)
    accepted = {
        row[0]: [v or "" for v in row[1:]]
        for row in zip(
            *(raw.table.column(c).to_pylist() for c in ("k", "x", "y", "z")), strict=True
        )
    }
    # a record with multi-line values can be swallowed by an unclosed quote before it; one-line
    # records are damaged only by their own quote
    for rec in records:
        one_line = not any("\n" in v for v in rec)
        if rec[0] not in damaged_keys and one_line:
            assert accepted.get(rec[0]) == rec[1:], rec
    for m in raw.malformed:
        assert m.line is not None and 2 <= m.line <= len(text_lines)
    result = map_source(src, raw)
    assert result.read == raw.n_read == result.accepted.num_rows + result.quarantine.num_rows
    if not damage:
        assert raw.malformed == []
        assert raw.n_read == len(records)
