"""The warehouse as it was just before a cutoff: the only door through which features are built.

:class:`PointInTimeView` is a :class:`~cible.warehouse.base.WarehouseReader` (nothing else: it
has no method that writes) whose ``events``
are the events with ``timestamp < cutoff`` and whose ``customers`` are the records created before
the cutoff (or with no creation date). Every query sent through it is rewritten so that the names
``events`` and ``customers`` resolve to those restricted relations (SQL common table expressions
shadow the tables), so a feature query written for the whole warehouse - such as
:func:`cible.features.feature_sql` - cannot read a later event, whatever date it is asked for.

:func:`point_in_time_features` is the training entry point: asked for features at a date after
the cutoff, it raises :class:`~cible.exceptions.LeakageError` instead of answering.

Known limit: a customer record is a snapshot (the warehouse keeps the latest version of each
record), so customer attributes changed after the cutoff are seen as they are now. The features
of cible are computed from events only; ``created_at`` decides whether a record exists yet.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pandas as pd
import pyarrow as pa

from cible.exceptions import LeakageError, WarehouseError
from cible.warehouse.base import ArrowReader, WarehouseReader

_WITH = re.compile(r"^\s*WITH\s+", re.IGNORECASE)
_RECURSIVE = re.compile(r"^\s*WITH\s+RECURSIVE\b", re.IGNORECASE)


def midnight_utc(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


class PointInTimeView(ArrowReader):
    """Read-only view of ``warehouse`` restricted to what was known before ``cutoff`` (midnight
    UTC). It does not own the underlying connection: :meth:`close` leaves it open."""

    cutoff: date
    _inner: WarehouseReader

    def __init__(self, warehouse: WarehouseReader, cutoff: date) -> None:
        if isinstance(warehouse, PointInTimeView):  # a view of a view: the earlier cutoff wins
            cutoff = min(cutoff, warehouse.cutoff)
            warehouse = warehouse._inner
        self._inner = warehouse
        self.cutoff = cutoff
        self.dialect = warehouse.dialect
        t = self.dialect.timestamp_literal(midnight_utc(cutoff))
        self._prefix = (
            f"events AS (SELECT * FROM events WHERE timestamp < {t}), "
            f"customers AS (SELECT * FROM customers WHERE created_at IS NULL OR created_at < {t})"
        )

    def restrict(self, sql: str) -> str:
        """``sql`` with ``events`` and ``customers`` bound to their point-in-time versions."""
        if _RECURSIVE.match(sql):
            raise WarehouseError("a point-in-time view does not run WITH RECURSIVE queries")
        match = _WITH.match(sql)
        if match:
            return f"WITH {self._prefix}, {sql[match.end() :]}"
        return f"WITH {self._prefix} {sql}"

    def fetch_arrow(self, sql: str) -> pa.Table:
        return self._inner.fetch_arrow(self.restrict(sql))

    def close(self) -> None:
        """The wrapped warehouse stays open: whoever opened it closes it."""


def point_in_time_features(
    warehouse: WarehouseReader, cutoff: date, as_of: date | None = None
) -> pd.DataFrame:
    """Prediction features of every customer known before ``cutoff``, computed at ``as_of``
    (default: the cutoff) over :class:`PointInTimeView` ``(warehouse, cutoff)``.

    Raises :class:`~cible.exceptions.LeakageError` when ``as_of`` is after ``cutoff``: features
    at a later date would be computed over the label window.
    """
    from cible.predict.features import build_predict_features

    as_of = as_of or cutoff
    if as_of > cutoff:
        raise LeakageError(
            f"features asked for at {as_of.isoformat()}, after the cutoff {cutoff.isoformat()}: "
            "they would see events of the label window; use a date on or before the cutoff"
        )
    return build_predict_features(PointInTimeView(warehouse, cutoff), as_of)
