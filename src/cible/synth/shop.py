"""The e-commerce export ``orders.csv``: one row per order line, plus one row per returned line.

Orders are numbered in chronological order within a chunk (``O00000001``...). A return row repeats
``order_id``, ``line_no``, ``sku``, ``category``, ``quantity``, ``unit_price``, ``channel`` and
``device`` of the returned line, with ``status`` = ``returned`` and ``order_date`` = the return
date. Rows are sorted by date. Malformed rows are copies of real lines under a fresh ``order_id``
with one planted defect (see :data:`JUNK_KINDS`); they never change a true customer's history once
the rows that fail validation are set aside.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cible.synth import text_arrays
from cible.synth.activity import DEVICES, OrderLines, Returns
from cible.synth.catalogue import CATEGORIES, Catalogue
from cible.synth.personas import ORDER_CHANNELS

ORDER_COLUMNS = (
    "order_id",
    "line_no",
    "customer_id",
    "order_date",
    "sku",
    "category",
    "quantity",
    "unit_price",
    "status",
    "channel",
    "device",
)
JUNK_KINDS = (
    "quantity 'two'",
    "quantity '1,5'",
    "negative unit_price",
    "impossible order_date",
    "empty customer_id",
)
_BAD_DATES = ("2025-02-30 10:00:00", "2024-11-31 18:45:12", "2026-02-29 08:00:00")
_SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class OrderRows:
    """Rows of ``orders.csv`` before rendering; ``defect`` is 0 for a clean row, else 1 + the
    index of its kind in :data:`JUNK_KINDS`."""

    order_number: np.ndarray
    line_no: np.ndarray
    customer_number: np.ndarray
    seconds: np.ndarray
    sku: np.ndarray
    quantity: np.ndarray
    price_cents: np.ndarray
    returned: np.ndarray
    channel: np.ndarray
    device: np.ndarray
    defect: np.ndarray

    def __len__(self) -> int:
        return int(self.order_number.shape[0])

    def take(self, rows: np.ndarray) -> OrderRows:
        """The rows at positions ``rows``."""
        fields = dataclasses.fields(self)
        return OrderRows(**{f.name: getattr(self, f.name)[rows] for f in fields})


def order_rows(
    lines: OrderLines, returns: Returns, first_order: int, first_customer: int
) -> OrderRows:
    """Purchase and return rows of a chunk, orders numbered from ``first_order`` by date."""
    n_orders = int(lines.order.max()) + 1
    order_day = np.zeros(n_orders)
    order_day[lines.order] = lines.day
    rank = np.empty(n_orders, dtype=np.int64)
    rank[np.argsort(order_day, kind="stable")] = np.arange(n_orders)
    number = first_order + rank[lines.order]
    day = np.concatenate([lines.day, returns.day])
    every = np.concatenate([np.arange(lines.order.shape[0]), returns.line])
    rows = OrderRows(
        order_number=number[every],
        line_no=lines.line_no[every],
        customer_number=first_customer + lines.customer[every],
        seconds=np.floor(day * _SECONDS_PER_DAY).astype(np.int64),
        sku=lines.sku[every],
        quantity=lines.quantity[every],
        price_cents=lines.price_cents[every],
        returned=np.arange(every.shape[0]) >= lines.order.shape[0],
        channel=lines.channel[every],
        device=lines.device[every],
        defect=np.zeros(every.shape[0], dtype=np.int8),
    )
    return rows.take(np.lexsort((rows.returned, rows.line_no, rows.order_number, rows.seconds)))


def with_junk(
    rng: np.random.Generator, rows: OrderRows, n_junk: int, first_order: int
) -> OrderRows:
    """``rows`` plus ``n_junk`` malformed copies of random rows, each under a new order number
    from ``first_order``, placed next to their template (the kinds cycle through the list)."""
    template = rng.choice(len(rows), size=n_junk, replace=False)
    junk = rows.take(template)
    kind = np.arange(n_junk) % len(JUNK_KINDS) + 1
    junk = dataclasses.replace(
        junk,
        order_number=first_order + np.arange(n_junk),
        line_no=np.ones(n_junk, dtype=np.int64),
        returned=np.zeros(n_junk, dtype=bool),
        price_cents=np.where(kind == 3, -junk.price_cents, junk.price_cents),
        defect=kind.astype(np.int8),
    )
    order = np.argsort(np.concatenate([np.arange(len(rows)), template + 0.5]), kind="stable")
    both = {
        f.name: np.concatenate([getattr(rows, f.name), getattr(junk, f.name)])
        for f in dataclasses.fields(rows)
    }
    return OrderRows(**both).take(order)


def order_lines(rows: OrderRows, catalogue: Catalogue) -> pa.Array:
    """``,``-separated lines of ``orders.csv`` (without header)."""
    n = len(rows)
    defect = rows.defect
    customer = text_arrays.identifiers("C", rows.customer_number, 7)
    quantity = text_arrays.integers(rows.quantity)
    quantity = pc.if_else(pa.array(defect == 1), "two", quantity)
    quantity = pc.if_else(pa.array(defect == 2), '"1,5"', quantity)
    date = text_arrays.timestamps(rows.seconds, iso=False)
    bad_date = text_arrays.labels(_BAD_DATES, np.arange(n) % len(_BAD_DATES))
    fields = [
        text_arrays.identifiers("O", rows.order_number, 8),
        text_arrays.integers(rows.line_no),
        pc.if_else(pa.array(defect == 5), pa.nulls(n, pa.string()), customer),
        pc.if_else(pa.array(defect == 4), bad_date, date),
        text_arrays.identifiers("SKU-", catalogue.sku_number[rows.sku], 4),
        text_arrays.labels(CATEGORIES, catalogue.category[rows.sku]),
        quantity,
        text_arrays.decimals(rows.price_cents),
        text_arrays.labels(["completed", "returned"], rows.returned.astype(np.int64)),
        text_arrays.labels(ORDER_CHANNELS, rows.channel),
        text_arrays.labels(DEVICES, rows.device),
    ]
    return text_arrays.join(fields, ",")
