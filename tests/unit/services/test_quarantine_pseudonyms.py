"""quarantine.csv pseudonymised (``quality.pseudonymise_quarantine``): no value of the data in
it, the same HMAC as the pseudonymised exports, the operator's columns kept readable."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pytest

from cible.activation.pseudonym import pseudonymise
from cible.config import CibleConfig
from cible.config.activation import DEV_SECRET
from cible.ingest.engine import QUARANTINE_SCHEMA
from cible.services.ingest import ingest
from cible.services.quarantine import pseudonymised
from cible.warehouse.duckdb import DuckDBWarehouse

SECRET = b"k" * 32


def h(value: str, secret: bytes = SECRET) -> str:
    return pseudonymise(value, secret)


def test_values_records_and_quoted_values_in_messages_are_replaced() -> None:
    record = {"cid": "C1", "mail": "ann@example.org", "dob": "31/02/1990", "n": 3, "x": None}
    table = pa.Table.from_pylist(
        [
            {
                "source": "crm",
                "file": "c.csv",
                "row": 6,
                "column": "dob",
                "value": "31/02/1990",
                "rule": "invalid:birth_date",
                "message": "c.csv row 6 column 'dob': '31/02/1990' is not a date in format %d/%m/%Y",
                "record": json.dumps(record),
            },
            {
                "source": "crm",
                "file": "c.csv",
                "row": 9,
                "column": None,
                "value": "C9;ann@example.org;x;y",
                "rule": "malformed_row",
                "message": "c.csv row 9: expected 3 fields separated by ';', found 4 (line 10)",
                "record": None,
            },
        ],
        schema=QUARANTINE_SCHEMA,
    )
    out = pseudonymised(table, SECRET).to_pylist()
    assert table.column("value").to_pylist()[0] == "31/02/1990"  # the input is unchanged
    assert out[0]["value"] == h("31/02/1990")
    assert out[0]["message"] == (
        f"c.csv row 6 column 'dob': '{h('31/02/1990')}' is not a date in format %d/%m/%Y"
    )
    assert json.loads(out[0]["record"]) == {
        "cid": h("C1"),
        "mail": h("ann@example.org"),
        "dob": h("31/02/1990"),
        "n": h("3"),
        "x": None,
    }
    assert out[1]["value"] == h("C9;ann@example.org;x;y")
    assert out[1]["message"] == table.column("message").to_pylist()[1]  # holds no value
    assert out[1]["record"] is None
    kept = ("source", "file", "row", "column", "rule")
    assert [{k: r[k] for k in kept} for r in out] == [
        {k: r[k] for k in kept} for r in table.to_pylist()
    ]
    assert len(out[0]["value"]) == 64


@pytest.mark.parametrize("pseudonymise_quarantine", [False, True])
def test_ingest_writes_the_quarantine_as_configured(
    tmp_path: Path, pseudonymise_quarantine: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CIBLE_EXPORT_SECRET", raising=False)
    monkeypatch.setenv("CIBLE_ENVIRONMENT", "dev")
    data = tmp_path / "c.csv"
    data.write_text(
        "cid,mail,dob\nC1,ann@example.org,1990-01-02\n,bob@example.org,1991-02-03\n",
        encoding="utf-8",
    )
    config = CibleConfig.model_validate(
        {
            "sources": [
                {
                    "name": "crm",
                    "kind": "customers",
                    "path": str(data),
                    "fields": {"customer_id": "cid", "email": "mail", "birth_date": "dob"},
                }
            ],
            "quality": {"pseudonymise_quarantine": pseudonymise_quarantine},
        }
    )
    with DuckDBWarehouse(tmp_path / "w.duckdb") as wh:
        summary = ingest(config, wh, tmp_path)
    assert summary.sources[0].quarantined == 1
    text = (tmp_path / "quarantine.csv").read_text(encoding="utf-8")
    assert ("bob@example.org" in text) is not pseudonymise_quarantine
    [row] = list(csv.DictReader(text.splitlines()))
    assert (row["row"], row["column"], row["rule"]) == ("2", "cid", "required:customer_id")
    if pseudonymise_quarantine:
        secret = DEV_SECRET.encode()
        assert json.loads(row["record"])["mail"] == h("bob@example.org", secret)
        assert "1991-02-03" not in text
