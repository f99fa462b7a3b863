from __future__ import annotations

from pathlib import Path

import pytest

from cible.config import SourceConfig, load_config
from cible.exceptions import ConfigError, MissingColumnError
from cible.ingest.engine import map_source
from cible.ingest.readers import read_source
from tests.conftest import ORDERS_CSV, WriteConfig, orders_source


def _map(tmp_path: Path, write_config: WriteConfig, csv: str = ORDERS_CSV, **kw: object):  # type: ignore[no-untyped-def]
    (tmp_path / "orders.csv").write_text(csv)
    cfg = load_config(write_config({"sources": [orders_source(**kw)]}))
    src = cfg.sources[0]
    return map_source(src, read_source(cfg.source_path(src), src))


def test_every_row_is_accepted_or_quarantined_with_its_reason(
    tmp_path: Path, write_config: WriteConfig
) -> None:
    r = _map(tmp_path, write_config)
    assert r.read == 9
    assert r.accepted.num_rows + r.quarantine.num_rows == 9
    q = r.quarantine.to_pandas().set_index("row")
    assert q.loc[2, "rule"] == "duplicate_row"
    assert q.loc[2, "message"] == "orders.csv row 2: identical to row 1"
    assert q.loc[3, "rule"] == "required:customer_id"
    assert (
        q.loc[3, "message"]
        == "orders.csv row 3 column 'customer_id': customer_id is required but missing"
    )
    assert q.loc[4, "rule"] == "invalid:timestamp"
    assert q.loc[4, "value"] == "2025-02-30 10:00:00"
    assert q.loc[4, "message"] == (
        "orders.csv row 4 column 'order_date': '2025-02-30 10:00:00' is not a timestamp"
    )
    assert q.loc[5, "rule"] == "type:float"
    assert q.loc[5, "message"] == "orders.csv row 5 column 'qty': 'two' is not a number"
    assert q.loc[7, "rule"] == "zero_price"
    assert q.loc[7, "column"] == "price"
    assert q.loc[7, "value"] == "0"
    assert q.loc[8, "rule"] == "malformed_row"
    assert q.loc[8, "message"] == (
        "orders.csv row 8: expected 6 fields separated by ',', found 7 (line 9)"
    )
    assert '"qty":"two"' in q.loc[5, "record"].replace(" ", "")
    assert r.rule_counts == {
        "duplicate_row": 1,
        "invalid:timestamp": 1,
        "malformed_row": 1,
        "required:customer_id": 1,
        "type:float": 1,
        "zero_price": 1,
    }


def test_accepted_rows_are_canonical(tmp_path: Path, write_config: WriteConfig) -> None:
    r = _map(tmp_path, write_config)
    acc = r.accepted.to_pandas()
    assert list(acc["customer_id"]) == ["C1", "C3", "C2"]
    assert list(acc["event_type"]) == ["purchase", "refund", "purchase"]
    assert list(acc["amount"]) == [7.0, -4.0, 6.0]
    assert list(acc["source"]) == ["orders"] * 3
    assert str(acc["timestamp"].iloc[2]) == "2025-02-04 11:30:00+00:00"
    assert acc["event_id"].str.len().eq(32).all()


def test_event_ids_are_stable_across_runs(tmp_path: Path, write_config: WriteConfig) -> None:
    first = _map(tmp_path, write_config).accepted.column("event_id").to_pylist()
    second = _map(tmp_path, write_config).accepted.column("event_id").to_pylist()
    assert first == second


def test_keep_duplicate_rows_gives_distinct_ids(tmp_path: Path, write_config: WriteConfig) -> None:
    r = _map(tmp_path, write_config, on_duplicate_rows="keep")
    ids = r.accepted.column("event_id").to_pylist()
    assert r.accepted.num_rows == 4
    assert len(set(ids)) == 4


def test_timezone_and_formats(tmp_path: Path, write_config: WriteConfig) -> None:
    csv = "order_id,customer_id,order_date,qty,price,status\nO1,C1,02/01/2025 10:00,1,1,completed\n"
    fields = dict(orders_source()["fields"])  # type: ignore[arg-type]
    fields["timestamp"] = {
        "column": "order_date",
        "format": "%d/%m/%Y %H:%M",
        "timezone": "Europe/Paris",
    }
    r = _map(tmp_path, write_config, csv=csv, fields=fields)
    assert str(r.accepted.to_pandas()["timestamp"].iloc[0]) == "2025-01-02 09:00:00+00:00"


def test_unknown_event_type_is_quarantined(tmp_path: Path, write_config: WriteConfig) -> None:
    fields = dict(orders_source()["fields"])  # type: ignore[arg-type]
    fields["event_type"] = {"value": "purchased"}
    r = _map(tmp_path, write_config, fields=fields, rules=[])
    q = r.quarantine.to_pandas()
    assert q.loc[q["rule"] == "allowed:event_type", "row"].tolist() == [1, 6, 7, 9]
    assert "'purchased' is not one of purchase, refund" in q["message"].iloc[-1]


def test_negative_purchase_amount_is_quarantined(tmp_path: Path, write_config: WriteConfig) -> None:
    csv = "order_id,customer_id,order_date,qty,price,status\nO1,C1,2025-01-02,1,-3,completed\n"
    r = _map(tmp_path, write_config, csv=csv)
    q = r.quarantine.to_pandas()
    assert q["rule"].tolist() == ["amount_sign:purchase"]
    assert (
        q["message"].iloc[0]
        == "orders.csv row 1 column 'amount': a purchase must have amount >= 0, got -3.0"
    )


def test_duplicate_customer_key(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("id,email\nA,a@x.fr\nB,b@x.fr\nA,other@x.fr\n")
    src = SourceConfig.model_validate(
        {
            "name": "crm",
            "kind": "customers",
            "path": str(path),
            "fields": {"customer_id": "id", "email": "email"},
        }
    )
    r = map_source(src, read_source(path, src))
    q = r.quarantine.to_pandas()
    assert q["rule"].tolist() == ["duplicate_key:customer_id"]
    assert (
        q["message"].iloc[0]
        == "c.csv row 3 column 'customer_id': customer_id 'A' already seen at row 1"
    )


def test_mapped_column_absent_names_file_and_column(
    tmp_path: Path, write_config: WriteConfig
) -> None:
    fields = dict(orders_source()["fields"])  # type: ignore[arg-type]
    fields["quantity"] = "qty_missing"
    with pytest.raises(
        MissingColumnError,
        match=r"source 'orders' \(.*orders\.csv\): mapped column\(s\) "
        r"'qty_missing' \(for field 'quantity'\) not in the file; columns found",
    ):
        _map(tmp_path, write_config, fields=fields)


def test_bad_sql_in_a_rule_is_named(tmp_path: Path, write_config: WriteConfig) -> None:
    rules = [{"name": "broken", "when": "no_such_col = 1", "quarantine": "x"}]
    with pytest.raises(ConfigError, match=r"rule 'broken' when 'no_such_col = 1' is not valid SQL"):
        _map(tmp_path, write_config, rules=rules)


def test_offsets_win_over_the_source_timezone(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text(
        '{"id": "a", "u": "C1", "ts": "2026-03-01T10:00:00+02:00"}\n'
        '{"id": "b", "u": "C1", "ts": "2026-03-01 10:00:00"}\n'
        '{"id": "c", "u": "C1", "ts": "2026-03-01T10:00:00Z"}\n'
    )
    src = SourceConfig.model_validate(
        {
            "name": "web",
            "kind": "events",
            "path": str(path),
            "fields": {
                "event_id": "id",
                "customer_id": "u",
                "event_type": {"value": "page_view"},
                "timestamp": {"column": "ts", "timezone": "Europe/Paris"},
            },
        }
    )
    r = map_source(src, read_source(path, src))
    stamps = [str(t) for t in r.accepted.to_pandas()["timestamp"]]
    assert stamps == [
        "2026-03-01 08:00:00+00:00",
        "2026-03-01 09:00:00+00:00",
        "2026-03-01 10:00:00+00:00",
    ]
