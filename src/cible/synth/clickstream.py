"""The tracking export ``web_events.jsonl``: one JSON object per line, sorted by time.

Keys, in this order: ``id`` (``W000000001``...), ``user`` (a ``client_id``), ``type``
(``page_view``, ``product_view``, ``cart_add``, ``email_open``, ``email_click``), ``ts``
(``YYYY-MM-DDTHH:MM:SSZ``), ``channel`` (``web``, ``app``, ``email``), ``device`` (``desktop``,
``mobile``, ``tablet``), ``product`` (a SKU or ``null``), ``category`` (a category or ``null``).
Lines are exactly what :func:`json.dumps` writes with ``ensure_ascii=False``. Malformed lines are
copies of real events with one planted defect (see :data:`JUNK_KINDS`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cible.synth import text_arrays
from cible.synth.activity import DEVICES, WebEvents
from cible.synth.catalogue import CATEGORIES, Catalogue
from cible.synth.engagement import WEB_CHANNELS, WEB_TYPES

JUNK_KINDS = ("truncated line", "unknown type 'pageview??'", "user key missing", "user null")
_SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class EventRows:
    """Events before rendering, ``customer`` holding account numbers; ``defect`` is 0 for a
    clean event, else 1 + the index of its kind in :data:`JUNK_KINDS`."""

    customer: np.ndarray
    seconds: np.ndarray
    kind: np.ndarray
    channel: np.ndarray
    device: np.ndarray
    sku: np.ndarray
    category: np.ndarray
    defect: np.ndarray

    def __len__(self) -> int:
        return int(self.customer.shape[0])

    def take(self, rows: np.ndarray) -> EventRows:
        """The events at positions ``rows``."""
        fields = dataclasses.fields(self)
        return EventRows(**{f.name: getattr(self, f.name)[rows] for f in fields})


def event_rows(events: WebEvents, customer_number: np.ndarray) -> EventRows:
    """Events with ``customer_number[events.customer]`` as user, sorted by time then user."""
    rows = EventRows(
        customer=customer_number[events.customer],
        seconds=np.floor(events.day * _SECONDS_PER_DAY).astype(np.int64),
        kind=events.kind,
        channel=events.channel,
        device=events.device,
        sku=events.sku,
        category=events.category,
        defect=np.zeros(events.customer.shape[0], dtype=np.int8),
    )
    return rows.take(np.lexsort((rows.customer, rows.seconds)))


def with_junk(rng: np.random.Generator, rows: EventRows, n_junk: int) -> EventRows:
    """``rows`` plus ``n_junk`` malformed copies of random events placed next to their template
    (the kinds cycle through :data:`JUNK_KINDS`)."""
    template = rng.choice(len(rows), size=n_junk, replace=False)
    junk = dataclasses.replace(
        rows.take(template), defect=(np.arange(n_junk) % len(JUNK_KINDS) + 1).astype(np.int8)
    )
    order = np.argsort(np.concatenate([np.arange(len(rows)), template + 0.5]), kind="stable")
    both = {
        f.name: np.concatenate([getattr(rows, f.name), getattr(junk, f.name)])
        for f in dataclasses.fields(rows)
    }
    return EventRows(**both).take(order)


def _quoted_or_null(values: pa.Array) -> pa.Array:
    """JSON text of optional strings: ``"value"`` or ``null``."""
    return pc.fill_null(pc.binary_join_element_wise('"', values, '"', ""), "null")


def event_lines(
    rng: np.random.Generator, rows: EventRows, first_id: int, catalogue: Catalogue
) -> pa.Array:
    """JSON lines of ``web_events.jsonl`` (without line feeds), ids numbered from ``first_id``."""
    n = len(rows)
    has_sku = rows.sku >= 0
    sku = text_arrays.identifiers("SKU-", catalogue.sku_number[np.where(has_sku, rows.sku, 0)], 4)
    user = text_arrays.join(
        ['"user": "', text_arrays.identifiers("C", rows.customer, 7), '", '], ""
    )
    user = pc.if_else(pa.array(rows.defect == 3), "", user)
    user = pc.if_else(pa.array(rows.defect == 4), '"user": null, ', user)
    kind = pc.if_else(
        pa.array(rows.defect == 2), "pageview??", text_arrays.labels(WEB_TYPES, rows.kind)
    )
    parts = [
        '{"id": "',
        text_arrays.identifiers("W", first_id + np.arange(n), 9),
        '", ',
        user,
        '"type": "',
        kind,
        '", "ts": "',
        text_arrays.timestamps(rows.seconds, iso=True),
        '", "channel": "',
        text_arrays.labels(WEB_CHANNELS, rows.channel),
        '", "device": "',
        text_arrays.labels(DEVICES, rows.device),
        '", "product": ',
        _quoted_or_null(pc.if_else(pa.array(has_sku), sku, pa.nulls(n, pa.string()))),
        ', "category": ',
        _quoted_or_null(text_arrays.labels(CATEGORIES, rows.category)),
        "}",
    ]
    lines = text_arrays.join(parts, "")
    truncated = np.flatnonzero(rows.defect == 1)
    if truncated.shape[0] == 0:
        return lines
    cut = rng.uniform(0.2, 0.9, size=len(truncated))
    whole = pc.take(lines, pa.array(truncated)).to_pylist()
    short = [line[: int(len(line) * c)] for line, c in zip(whole, cut, strict=True)]
    mask = np.zeros(n, dtype=bool)
    mask[truncated] = True
    return pc.replace_with_mask(lines, pa.array(mask), pa.array(short, pa.string()))
