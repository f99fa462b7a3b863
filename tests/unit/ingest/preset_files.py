"""Generated files of the real vendor schemas for the preset tests (column names and value
formats as the vendors document them): a GA4 BigQuery export as JSON Lines, a Shopify orders
CSV, a Mailchimp email-activity CSV and a HubSpot contacts CSV."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

GA4_DAY = datetime(2024, 3, 5, 12, 0, tzinfo=UTC)


def _micros(dt: datetime) -> str:
    return str(int(dt.timestamp() * 1_000_000))  # INT64 is a string in BigQuery's JSON


def _param(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return {"key": key, "value": {"string_value": value}}
    if isinstance(value, float):
        return {"key": key, "value": {"double_value": value}}
    return {"key": key, "value": {"int_value": str(value)}}


def ga4_row(
    name: str,
    pseudo: str,
    second: int,
    *,
    user_id: str | None = None,
    ecommerce: dict[str, Any] | None = None,
    items: list[dict[str, Any]] | None = None,
    params: dict[str, Any] | None = None,
    platform: str = "WEB",
) -> dict[str, Any]:
    """One row of events_YYYYMMDD with the export's own column names and nesting."""
    ts = GA4_DAY.replace(second=second % 60, minute=second // 60)
    base = {"ga_session_id": 1709640000, "page_location": "https://shop.example/p"}
    return {
        "event_date": ts.strftime("%Y%m%d"),
        "event_timestamp": _micros(ts),
        "event_name": name,
        "event_params": [_param(k, v) for k, v in {**base, **(params or {})}.items()],
        "event_previous_timestamp": None,
        "event_value_in_usd": None,
        "event_bundle_sequence_id": "1",
        "event_server_timestamp_offset": "512",
        "user_id": user_id,
        "user_pseudo_id": pseudo,
        "privacy_info": {
            "analytics_storage": "Yes",
            "ads_storage": "No",
            "uses_transient_token": "No",
        },
        "user_properties": [],
        "user_first_touch_timestamp": _micros(GA4_DAY),
        "user_ltv": {"revenue": 0.0, "currency": "EUR"},
        "device": {
            "category": "mobile" if platform != "WEB" else "desktop",
            "mobile_brand_name": "Apple",
            "operating_system": "iOS" if platform != "WEB" else "Macintosh",
            "language": "fr-fr",
            "web_info": {"browser": "Safari", "browser_version": "17.2"},
        },
        "geo": {
            "continent": "Europe",
            "country": "France",
            "region": "Ile-de-France",
            "city": "Paris",
        },
        "app_info": None,
        "traffic_source": {"name": "(direct)", "medium": "(none)", "source": "(direct)"},
        "stream_id": "4178129384",
        "platform": platform,
        "event_dimensions": None,
        "ecommerce": ecommerce,
        "items": items or [],
        "collected_traffic_source": None,
        "is_active_user": True,
    }


def ga4_file(path: Path) -> list[dict[str, Any]]:
    """12 events: the automatically collected ones, an e-commerce funnel ending in a purchase,
    a refund, a login with user_id, one custom event (quarantined) and one row without ids."""
    item = {
        "item_id": "SKU-42",
        "item_name": "Lamp",
        "item_category": "Home",
        "price": 59.9,
        "quantity": 2,
    }
    rows = [
        ga4_row("first_visit", "p1.1709", 0),
        ga4_row("session_start", "p1.1709", 1),
        ga4_row("page_view", "p1.1709", 2),
        ga4_row("user_engagement", "p1.1709", 3),
        ga4_row("scroll", "p1.1709", 4, params={"percent_scrolled": 90}),
        ga4_row("view_item", "p1.1709", 5, items=[item], params={"currency": "EUR"}),
        ga4_row("add_to_cart", "p1.1709", 6, items=[item], params={"currency": "EUR"}),
        ga4_row(
            "purchase",
            "p1.1709",
            7,
            items=[item],
            params={"currency": "EUR", "transaction_id": "T-1001", "value": 119.8},
            ecommerce={
                "total_item_quantity": "2",
                "purchase_revenue_in_usd": 129.4,
                "purchase_revenue": 119.8,
                "refund_value_in_usd": None,
                "refund_value": None,
                "shipping_value": 0.0,
                "tax_value": 19.97,
                "unique_items": "1",
                "transaction_id": "T-1001",
            },
        ),
        ga4_row(
            "refund",
            "p1.1709",
            8,
            params={"currency": "EUR"},
            ecommerce={
                "transaction_id": "T-1001",
                "refund_value": 59.9,
                "total_item_quantity": "1",
            },
        ),
        ga4_row("login", "p2.1710", 9, user_id="U-77", platform="IOS"),
        ga4_row("newsletter_popup_shown", "p1.1709", 10),
        ga4_row("page_view", "", 11),  # consent mode without an id: no customer
    ]
    rows[-1]["user_pseudo_id"] = None
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return rows


def ga4_parquet(path: Path) -> int:
    """The rows of :func:`ga4_file` as BigQuery writes them to Parquet: INT64 as integers,
    RECORD columns as STRUCT, REPEATED ones as LIST of STRUCT."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = ga4_file(path.with_suffix(".jsonl"))
    ecommerce_keys = ["total_item_quantity", "purchase_revenue", "refund_value", "transaction_id"]
    for r in rows:
        r["event_timestamp"] = int(r["event_timestamp"])
        r["event_params"] = [
            {"key": p["key"], "value": {
                "string_value": p["value"].get("string_value"),
                "int_value": int(p["value"]["int_value"]) if "int_value" in p["value"] else None,
                "double_value": p["value"].get("double_value"),
            }}
            for p in r["event_params"]
        ]  # fmt: skip
        r["user_properties"] = None
        if r["ecommerce"] is not None:
            e = {k: r["ecommerce"].get(k) for k in ecommerce_keys}
            if e["total_item_quantity"] is not None:
                e["total_item_quantity"] = int(e["total_item_quantity"])
            r["ecommerce"] = e
    pq.write_table(pa.Table.from_pylist(rows), path)
    return len(rows)


SHOPIFY_COLUMNS = [
    "Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Fulfilled at",
    "Accepts Marketing", "Currency", "Subtotal", "Shipping", "Taxes", "Total", "Discount Code",
    "Discount Amount", "Shipping Method", "Created at", "Lineitem quantity", "Lineitem name",
    "Lineitem price", "Lineitem compare at price", "Lineitem sku", "Lineitem requires shipping",
    "Lineitem taxable", "Lineitem fulfillment status", "Billing Name", "Billing Street",
    "Billing City", "Billing Zip", "Billing Country", "Billing Phone", "Notes", "Cancelled at",
    "Payment Method", "Refunded Amount", "Vendor", "Id", "Tags", "Risk Level", "Source",
    "Lineitem discount", "Phone", "Receipt Number",
]  # fmt: skip


def shopify_file(path: Path) -> int:
    """7 line items of 4 orders: a paid order of two lines, a refunded one, a voided one
    (quarantined), and a line with a quantity that is not a number (quarantined)."""

    def line(name: str, email: str, status: str, created: str, qty: str, title: str, price: str,
             sku: str, country: str = "FR") -> dict[str, str]:  # fmt: skip
        return {c: "" for c in SHOPIFY_COLUMNS} | {
            "Name": name, "Email": email, "Financial Status": status, "Currency": "EUR",
            "Created at": created, "Lineitem quantity": qty, "Lineitem name": title,
            "Lineitem price": price, "Lineitem sku": sku, "Billing Country": country,
            "Vendor": "Maison", "Accepts Marketing": "yes", "Id": name.strip("#") + "000",
        }  # fmt: skip

    rows = [
        line("#1001", "Ann@Example.com", "paid", "2024-03-01 10:15:30 +0100", "2", "Lamp", "59.90", "SKU-42"),
        line("#1001", "Ann@Example.com", "paid", "2024-03-01 10:15:30 +0100", "1", "Bulb", "4.50", "SKU-7"),
        line("#1002", "bob@example.com", "refunded", "2024-03-02 08:00:00 +0100", "1", "Chair", "120.00", "SKU-9"),
        line("#1003", "cy@example.com", "voided", "2024-03-03 09:00:00 +0100", "1", "Desk", "300.00", "SKU-1"),
        line("#1004", "dee@example.com", "paid", "2024-03-04 18:30:00 -0500", "3", "Mug", "8.00", "SKU-3", "US"),
        line("#1004", "dee@example.com", "paid", "2024-03-04 18:30:00 -0500", "two", "Tray", "12.00", "SKU-4", "US"),
        line("#1005", "ed@example.com", "partially_refunded", "2024-03-05 11:00:00 +0000", "1", "Rug", "80.00", "SKU-5"),
    ]  # fmt: skip
    for later in (1, 5):  # an order's second line: only the line-item columns and Name
        order_level = ("Email", "Financial Status", "Currency", "Created at", "Billing Country")
        rows[later] |= {c: "" for c in order_level}
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=SHOPIFY_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


MAILCHIMP_COLUMNS = [
    "campaign_id", "list_id", "list_is_active", "email_id", "email_address", "action", "type",
    "timestamp", "url", "ip",
]  # fmt: skip


def mailchimp_file(path: Path) -> int:
    """6 actions: three opens (one at +01:00), a click, a bounce and an abuse report (both
    quarantined: not customer behaviour)."""

    def act(email_id: str, email: str, action: str, ts: str, kind: str = "", url: str = "") -> dict[str, str]:  # fmt: skip
        return {"campaign_id": "42694e9e57", "list_id": "57afe96172", "list_is_active": "true",
                "email_id": email_id, "email_address": email, "action": action, "type": kind,
                "timestamp": ts, "url": url, "ip": "198.51.100.7"}  # fmt: skip

    rows = [
        act("a1", "Ann@Example.com", "open", "2024-03-06T09:12:44+00:00"),
        act("a1", "Ann@Example.com", "click", "2024-03-06T09:13:02+00:00", url="https://shop.example/spring"),
        act("b2", "bob@example.com", "open", "2024-03-06T10:00:00+01:00"),
        act("c3", "cy@example.com", "bounce", "2024-03-06T08:00:05+00:00", kind="hard"),
        act("d4", "dee@example.com", "abuse", "2024-03-06T11:00:00+00:00"),
        act("e5", "ed@example.com", "open", "2024-03-07T07:30:00+00:00"),
    ]  # fmt: skip
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=MAILCHIMP_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


HUBSPOT_COLUMNS = [
    "Record ID", "First Name", "Last Name", "Email", "Phone Number", "Street Address", "City",
    "Postal Code", "Country/Region", "Company Name", "Lifecycle Stage", "Contact owner",
    "Create Date", "Last Modified Date", "Marketing contact status",
    "Unsubscribed from all email",
]  # fmt: skip


def hubspot_file(path: Path) -> int:
    """4 contacts: two complete, one unsubscribed, one without a Record ID (quarantined)."""

    def contact(rid: str, first: str, last: str, email: str, created: str, optout: str) -> dict[str, str]:  # fmt: skip
        return {c: "" for c in HUBSPOT_COLUMNS} | {
            "Record ID": rid, "First Name": first, "Last Name": last, "Email": email,
            "Phone Number": "+33 6 12 34 56 78", "Street Address": "3 rue de la Paix",
            "City": "Paris", "Postal Code": "75002", "Country/Region": "France",
            "Company Name": "Acme SAS", "Lifecycle Stage": "customer", "Create Date": created,
            "Last Modified Date": created, "Marketing contact status": "Marketing contact",
            "Unsubscribed from all email": optout,
        }  # fmt: skip

    rows = [
        contact("51", "Ann", "Martin", "Ann@Example.com", "2023-05-04 14:12", "false"),
        contact("52", "Bob", "Durand", "bob@example.com", "2023-06-01 09:00", "true"),
        contact("53", "Cy", "Petit", "cy@example.com", "2023-07-15 18:45", ""),
        contact("", "Dee", "Roux", "dee@example.com", "2023-08-01 08:00", "false"),
    ]
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=HUBSPOT_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)
