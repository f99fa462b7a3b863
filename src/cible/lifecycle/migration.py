"""The migration matrix: how many customers moved from which segment to which between two
label assignments (two model versions, or the same model at two dates).

Customers present in only one assignment are counted as coming from / going to ``None``
(entered / left). The matrix is a typed result; :func:`cible.reporting.lifecycle.migration_sankey`
draws it as a Sankey chart.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cible.exceptions import LifecycleError

OUTSIDE = -1
"""The row/column label of customers absent from one of the two assignments."""


@dataclass(frozen=True)
class MigrationMatrix:
    """``counts``: rows the ``before`` segment, columns the ``after`` one (``OUTSIDE`` = -1 for
    a customer in only one assignment)."""

    counts: pd.DataFrame

    @property
    def total(self) -> int:
        return int(self.counts.to_numpy().sum())

    def _cells(self) -> list[tuple[int, int, int]]:
        values = self.counts.to_numpy(dtype="int64")
        rows = [int(v) for v in self.counts.index]
        cols = [int(v) for v in self.counts.columns]
        return [
            (a, b, int(values[i, j]))
            for i, a in enumerate(rows)
            for j, b in enumerate(cols)
            if values[i, j] > 0
        ]

    @property
    def moved(self) -> int:
        """Customers in both assignments whose segment changed."""
        return sum(n for a, b, n in self._cells() if a != b and OUTSIDE not in (a, b))

    def flow(self, before: int | None, after: int | None) -> int:
        """Customers from ``before`` to ``after`` (``None``: outside)."""
        a = OUTSIDE if before is None else before
        b = OUTSIDE if after is None else after
        return sum(n for x, y, n in self._cells() if (x, y) == (a, b))

    def moves(self) -> list[dict[str, int | None]]:
        """Every non-zero cell, largest first (``None`` for outside)."""
        cells = sorted(self._cells(), key=lambda c: (-c[2], c[0], c[1]))
        return [
            {
                "from": None if a == OUTSIDE else a,
                "to": None if b == OUTSIDE else b,
                "customers": n,
            }
            for a, b, n in cells
        ]

    def to_dict(self) -> dict[str, object]:
        def label(v: object) -> int | None:
            return None if int(str(v)) == OUTSIDE else int(str(v))

        return {
            "from": [label(v) for v in self.counts.index],
            "to": [label(v) for v in self.counts.columns],
            "counts": self.counts.to_numpy(dtype="int64").tolist(),
            "total": self.total,
            "moved": self.moved,
            "moves": self.moves(),
        }


def migration_matrix(before: pd.Series, after: pd.Series) -> MigrationMatrix:
    """Customers per (segment in ``before``, segment in ``after``); both are customer id ->
    segment id."""
    for name, labels in (("before", before), ("after", after)):
        if labels.index.has_duplicates:
            dup = labels.index[labels.index.duplicated()][0]
            raise LifecycleError(f"{name}: customer {dup!r} has more than one segment")
        if labels.isna().any():
            raise LifecycleError(f"{name}: {int(labels.isna().sum())} customers have no segment")
    ids = before.index.union(after.index)
    a = before.reindex(ids).fillna(OUTSIDE).astype("int64")
    b = after.reindex(ids).fillna(OUTSIDE).astype("int64")
    counts = pd.crosstab(a.rename("before"), b.rename("after"))
    counts = counts.reindex(
        index=sorted(counts.index), columns=sorted(counts.columns), fill_value=0
    )
    return MigrationMatrix(counts.astype("int64"))
