"""Re-key events to surviving customer ids, reversibly.

``original_customer_id`` keeps the id an event was ingested with (empty when the event was never
re-keyed). The map is applied to that original id, so re-keying again with the ``id_map`` of a
result after an undo moves the detached record's events back: re-keying is idempotent and
reversible. The warehouse does the same in SQL: :meth:`cible.warehouse.Warehouse.rekey_customers`.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from cible.exceptions import IdentityResolutionError

ORIGINAL_ID = "original_customer_id"


def id_mapping(id_map: pd.DataFrame | pd.Series | Mapping[str, str]) -> pd.Series:
    """``record_id -> surviving_id`` as a Series, from an id map frame, a Series or a dict."""
    if isinstance(id_map, pd.DataFrame):
        missing = [c for c in ("record_id", "surviving_id") if c not in id_map.columns]
        if missing:
            raise IdentityResolutionError(
                f"id_map has no column(s) {missing}; it needs record_id and surviving_id"
            )
        series = pd.Series(
            id_map["surviving_id"].astype(str).to_numpy(),
            index=id_map["record_id"].astype(str),
        )
    elif isinstance(id_map, pd.Series):
        series = id_map.astype(str)
        series.index = series.index.astype(str)
    else:
        series = pd.Series(dict(id_map), dtype="str")
    repeated = series.index[series.index.duplicated()]
    if len(repeated):
        raise IdentityResolutionError(f"id_map: record id {repeated[0]!r} is mapped more than once")
    return series


def rekey_events(
    events: pd.DataFrame, id_map: pd.DataFrame | pd.Series | Mapping[str, str]
) -> pd.DataFrame:
    """A copy of ``events`` whose ``customer_id`` is the surviving id of its original customer.

    ``id_map``: the ``id_map`` of a :class:`~cible.identity.GoldenResult` (or any
    ``record_id -> surviving_id`` mapping). Customers absent from it keep their id.
    ``original_customer_id`` is added (or kept): the ingested id when the event was re-keyed,
    empty otherwise. ``events`` is not modified.
    """
    if "customer_id" not in events.columns:
        raise IdentityResolutionError(
            f"events have no column 'customer_id' (columns: {list(events.columns)})"
        )
    mapping = id_mapping(id_map)
    out = events.copy()
    current = out["customer_id"].astype(str)
    original = out[ORIGINAL_ID].fillna(current) if ORIGINAL_ID in out.columns else current
    original = original.astype(str)
    target = original.map(mapping)
    target = target.where(target.notna(), original)
    out["customer_id"] = target
    out[ORIGINAL_ID] = original.where(original != target)
    return out
