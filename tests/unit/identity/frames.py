"""Hand-built inputs in the shape of the matcher's result (``find_duplicates``) and of canonical
customer rows as the warehouse returns them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
import pyarrow as pa

from cible.schemas.customers import CUSTOMERS_SCHEMA


def ts(year: int, month: int = 1, day: int = 1) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


def customers(rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """Canonical customer rows (every column of CUSTOMERS_SCHEMA, Arrow types -> pandas)."""
    full = [{"source": "crm", **row} for row in rows]
    return pa.Table.from_pylist(full, schema=CUSTOMERS_SCHEMA).to_pandas()


def clusters(*groups: Sequence[str]) -> pd.DataFrame:
    """One row per record; entity_id = smallest record id of its group."""
    rows = [
        {"record_id": r, "entity_id": min(group), "cluster_size": len(group)}
        for group in groups
        for r in group
    ]
    return pd.DataFrame(rows)


def pairs(*edges: tuple[str, str, float, bool] | tuple[str, str, float, bool, str]) -> pd.DataFrame:
    """Scored pairs ``(l, r, score, is_match[, rule])`` with l < r and two sim columns."""
    rows = []
    for edge in edges:
        left, right, score, match = edge[:4]
        rule = edge[4] if len(edge) == 5 else "fuzzy"
        rows.append(
            {
                "record_id_l": min(left, right),
                "record_id_r": max(left, right),
                "score": score,
                "is_match": match,
                "rule": rule,
                "sim_email": score,
                "sim_last_name": float("nan"),
            }
        )
    columns = ["record_id_l", "record_id_r", "score", "is_match", "rule", "sim_email"]
    return pd.DataFrame(rows, columns=[*columns, "sim_last_name"])


def family() -> pd.DataFrame:
    """Three records of one person (A, B, C) and one other person (D)."""
    return customers(
        [
            {
                "customer_id": "A",
                "source": "crm",
                "email": "ann@example.org",
                "first_name": "Ann",
                "last_name": "Martin",
                "city": "Lyon",
                "birth_date": date(1980, 5, 1),
                "created_at": ts(2020),
                "consent_email": True,
                "consent_push": True,
                "attributes": '{"tier": "gold"}',
            },
            {
                "customer_id": "B",
                "source": "web",
                "email": "ann@example.org",
                "phone": "+33612345678",
                "first_name": "Anne",
                "last_name": "Martin",
                "city": "Lyon",
                "created_at": ts(2022),
                "consent_email": False,
                "consent_sms": True,
                "attributes": "{}",
            },
            {
                "customer_id": "C",
                "source": "shop",
                "phone": "+33612345678",
                "first_name": "Anne",
                "last_name": "Martin-Durand",
                "city": "Paris",
                "created_at": ts(2021),
                "consent_email": True,
            },
            {
                "customer_id": "D",
                "source": "crm",
                "email": "dan@example.org",
                "first_name": "Dan",
                "created_at": None,
            },
        ]
    )


def family_clusters() -> pd.DataFrame:
    return clusters(["A", "B", "C"], ["D"])


def family_pairs() -> pd.DataFrame:
    """A-B exact (0.97), B-C fuzzy (0.81), A-D scored but not a match (0.12)."""
    return pairs(
        ("A", "B", 0.97, True, "exact:email+phone"),
        ("B", "C", 0.81, True),
        ("A", "D", 0.12, False),
    )
