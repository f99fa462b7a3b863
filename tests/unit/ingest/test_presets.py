"""The ingest presets shipped with cible (``sources: [{preset: ga4, path: ...}]``), each run on a
generated file of the vendor's real schema (tests/unit/ingest/preset_files.py): every physical
record is accepted or quarantined (read = accepted + quarantined, with the generated row count
as read) and specific mapped values are checked."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from cible.config import load_config
from cible.config.presets import apply_preset, preset_names
from cible.exceptions import ConfigError
from cible.ingest.engine import SourceResult, map_source
from cible.ingest.readers import read_source
from cible.services.ingest import ingest
from cible.warehouse.duckdb import DuckDBWarehouse
from tests.conftest import WriteConfig
from tests.unit.ingest import preset_files as pf


def run_preset(
    tmp_path: Path, write_config: WriteConfig, preset: str, file: str, make: Callable[[Path], Any]
) -> tuple[SourceResult, pd.DataFrame, pd.DataFrame, int]:
    made = make(tmp_path / file)
    rows = made if isinstance(made, int) else len(made)
    cfg = load_config(write_config({"sources": [{"preset": preset, "path": file}]}))
    src = cfg.sources[0]
    result = map_source(src, read_source(cfg.source_path(src), src))
    accepted = result.accepted_table().to_pandas()
    quarantine = result.quarantine.to_pandas().set_index("row")
    return result, accepted, quarantine, rows


def test_the_four_presets_are_shipped() -> None:
    assert preset_names() == ["ga4", "hubspot_contacts", "mailchimp_activity", "shopify_orders"]


def test_ga4_bigquery_export(tmp_path: Path, write_config: WriteConfig) -> None:
    result, ok, q, rows = run_preset(tmp_path, write_config, "ga4", "events.jsonl", pf.ga4_file)
    assert (rows, result.read) == (12, 12)
    assert (len(ok), len(q)) == (10, 2)
    assert result.read == len(ok) + len(q)
    # GA4's own events are mapped, never quarantined
    assert list(ok["event_type"]) == [
        "page_view",  # first_visit
        "page_view",  # session_start
        "page_view",
        "page_view",  # user_engagement
        "page_view",  # scroll
        "product_view",  # view_item
        "cart_add",
        "purchase",
        "refund",
        "login",
    ]
    props = [json.loads(p)["event_name"] for p in ok["properties"]]
    assert props[:2] == ["first_visit", "session_start"]
    purchase = ok[ok["event_type"] == "purchase"].iloc[0]
    assert (purchase["order_id"], purchase["amount"], purchase["currency"]) == (
        "T-1001",
        119.8,
        "EUR",
    )
    assert (purchase["quantity"], purchase["product_id"], purchase["category"]) == (
        2.0,
        "SKU-42",
        "Home",
    )
    assert (purchase["customer_id"], purchase["device"], purchase["location"]) == (
        "p1.1709",
        "desktop",
        "France",
    )
    assert purchase["timestamp"] == pd.Timestamp(datetime(2024, 3, 5, 12, 0, 7, tzinfo=UTC))
    refund = ok[ok["event_type"] == "refund"].iloc[0]
    assert (refund["amount"], refund["order_id"]) == (-59.9, "T-1001")
    login = ok[ok["event_type"] == "login"].iloc[0]
    assert (login["customer_id"], login["channel"], login["device"]) == ("U-77", "app", "mobile")
    assert set(ok["channel"]) == {"web", "app"}
    assert q.loc[11, "rule"] == "standardize:event_type"
    assert q.loc[11, "message"] == (
        "events.jsonl row 11 column 'event_name': 'newsletter_popup_shown': not in the category "
        "mapping"
    )
    assert q.loc[12, "rule"] == "required:customer_id"


def test_ga4_bigquery_export_as_parquet(tmp_path: Path, write_config: WriteConfig) -> None:
    """The same events exported to Parquet (STRUCT and LIST columns, INT64 as integers) map to
    the same canonical rows, the format taken from the extension."""
    result, ok, q, rows = run_preset(
        tmp_path, write_config, "ga4", "events.parquet", pf.ga4_parquet
    )
    assert (rows, result.read, len(ok), len(q)) == (12, 12, 10, 2)
    assert result.format == "parquet"
    purchase = ok[ok["event_type"] == "purchase"].iloc[0]
    assert (purchase["order_id"], purchase["amount"], purchase["currency"]) == (
        "T-1001",
        119.8,
        "EUR",
    )
    assert (purchase["quantity"], purchase["product_id"], purchase["device"]) == (
        2.0,
        "SKU-42",
        "desktop",
    )
    assert ok[ok["event_type"] == "refund"].iloc[0]["amount"] == -59.9
    assert list(q["rule"]) == ["standardize:event_type", "required:customer_id"]


def test_shopify_orders_csv(tmp_path: Path, write_config: WriteConfig) -> None:
    result, ok, q, rows = run_preset(
        tmp_path, write_config, "shopify_orders", "orders_export.csv", pf.shopify_file
    )
    assert (rows, result.read, len(ok), len(q)) == (7, 7, 5, 2)
    lines = ok.set_index("product_id")
    # the second line of #1001 has only its line-item columns: the order's are read by Name
    assert lines.loc["SKU-7", "customer_id"] == "ann@example.com"
    assert (lines.loc["SKU-7", "currency"], lines.loc["SKU-7", "location"]) == ("EUR", "FR")
    assert lines.loc["SKU-42", "amount"] == pytest.approx(119.8)  # 2 x 59.90
    assert lines.loc["SKU-42", "timestamp"] == pd.Timestamp("2024-03-01 09:15:30", tz="UTC")
    assert (lines.loc["SKU-9", "event_type"], lines.loc["SKU-9", "amount"]) == ("refund", -120.0)
    assert lines.loc["SKU-5", "event_type"] == "refund"  # partially_refunded
    assert lines.loc["SKU-3", "timestamp"] == pd.Timestamp("2024-03-04 23:30:00", tz="UTC")
    assert set(ok["order_id"]) == {"#1001", "#1002", "#1004", "#1005"}
    assert q.loc[4, "rule"] == "voided_order"
    assert q.loc[6, "rule"] == "type:float"
    assert q.loc[6, "message"] == (
        "orders_export.csv row 6 column 'Lineitem quantity': 'two' is not a number"
    )


def test_mailchimp_activity(tmp_path: Path, write_config: WriteConfig) -> None:
    result, ok, q, rows = run_preset(
        tmp_path, write_config, "mailchimp_activity", "activity.csv", pf.mailchimp_file
    )
    assert (rows, result.read, len(ok), len(q)) == (6, 6, 4, 2)
    assert list(ok["event_type"]) == ["email_open", "email_click", "email_open", "email_open"]
    assert list(ok["customer_id"]) == [
        "ann@example.com",
        "ann@example.com",
        "bob@example.com",
        "ed@example.com",
    ]
    assert set(ok["channel"]) == {"email"}
    assert ok["timestamp"].iloc[2] == pd.Timestamp("2024-03-06 09:00:00", tz="UTC")  # +01:00
    click = json.loads(ok["properties"].iloc[1])
    assert (click["campaign_id"], click["url"]) == ("42694e9e57", "https://shop.example/spring")
    assert q.loc[4, "message"] == (
        "activity.csv row 4 column 'action': 'bounce': not in the category mapping"
    )
    assert q.loc[5, "rule"] == "standardize:event_type"  # abuse


def test_hubspot_contacts(tmp_path: Path, write_config: WriteConfig) -> None:
    result, ok, q, rows = run_preset(
        tmp_path, write_config, "hubspot_contacts", "contacts.csv", pf.hubspot_file
    )
    assert (rows, result.read, len(ok), len(q)) == (4, 4, 3, 1)
    by_id = ok.set_index("customer_id")
    assert by_id.loc["51", "email"] == "ann@example.com"  # standardised (lower-cased)
    assert by_id.loc["51", "phone"] == "+33612345678"
    assert (by_id.loc["51", "organisation"], by_id.loc["51", "country"]) == ("Acme SAS", "France")
    assert by_id.loc["51", "created_at"] == pd.Timestamp("2023-05-04 14:12", tz="UTC")
    assert by_id.loc["51", "consent_email"] == True  # noqa: E712 - unsubscribed 'false'
    assert by_id.loc["52", "consent_email"] == False  # noqa: E712 - unsubscribed 'true'
    assert pd.isna(by_id.loc["53", "consent_email"])  # not said
    assert q.loc[4, "rule"] == "required:customer_id"


def test_all_four_presets_through_ingest(tmp_path: Path, write_config: WriteConfig) -> None:
    pf.ga4_file(tmp_path / "ga4.jsonl")
    pf.shopify_file(tmp_path / "orders.csv")
    pf.mailchimp_file(tmp_path / "activity.csv")
    pf.hubspot_file(tmp_path / "contacts.csv")
    sources = [
        {"preset": "ga4", "path": "ga4.jsonl"},
        {"preset": "shopify_orders", "path": "orders.csv", "name": "shop"},
        {"preset": "mailchimp_activity", "path": "activity.csv"},
        {"preset": "hubspot_contacts", "path": "contacts.csv", "name": "crm"},
    ]
    out = tmp_path / "out"
    with DuckDBWarehouse(out / "w.duckdb") as wh:
        ingest(load_config(write_config({"sources": sources})), wh, out)
        assert wh.count("events") == 10 + 5 + 4
        assert wh.count("customers") == 3
    data = json.loads((out / "ingest_summary.json").read_text())
    got = {s["name"]: (s["read"], s["accepted"], s["quarantined"]) for s in data["sources"]}
    assert got == {
        "ga4": (12, 10, 2),
        "shop": (7, 5, 2),
        "mailchimp_activity": (6, 4, 2),
        "crm": (4, 3, 1),
    }


def test_an_entry_overrides_and_extends_its_preset() -> None:
    entry = {
        "preset": "shopify_orders",
        "path": "x.csv",
        "name": "eu_shop",
        "fields": {"channel": {"value": "store"}, "properties": None},
        "rules": [{"name": "test_orders", "when": "Tags = 'test'", "quarantine": "test order"}],
    }
    merged = apply_preset(entry)
    assert (merged["name"], merged["kind"], merged["path"]) == ("eu_shop", "events", "x.csv")
    assert merged["fields"]["channel"] == {"value": "store"}
    assert "properties" not in merged["fields"]
    assert merged["fields"]["order_id"] == "Name"  # the preset's own, kept
    assert [r["name"] for r in merged["rules"]] == ["refunded_order", "voided_order", "test_orders"]
    assert merged["types"] == {"Lineitem quantity": "float", "Lineitem price": "float"}


def test_an_unknown_preset_lists_the_shipped_ones(write_config: WriteConfig) -> None:
    with pytest.raises(ConfigError, match="unknown preset 'ga3'; available: ga4, hubspot_contacts"):
        load_config(write_config({"sources": [{"preset": "ga3", "path": "x.jsonl"}]}))
