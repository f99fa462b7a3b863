"""Segment composition: is a categorical attribute (country, channel) independent of the segment?

A chi-square test of independence (:func:`scipy.stats.chi2_contingency`, no Yates correction) on
the segment x category contingency table, with Cramér's V
``sqrt(chi2 / (n * (min(rows, columns) - 1)))`` as the effect size (0: segments have the same
composition, 1: the category determines the segment).

Rare categories: the chi-square approximation needs expected counts of at least 5 (Cochran's
rule). A category is *rare* when any of its expected counts ``segment size * category size / n``
is below ``min_expected``; rare categories are merged into one category ``"other"`` (an existing
category of that name is merged with them). Segments are never merged, so a very small segment
makes the rule strict and can merge most categories: small segments are flagged by
:mod:`~cible.segmentation.validation.warnings`. Missing values form the category ``"(missing)"``.
Rows labelled -1 (noise) are left out. With fewer than two segments or two categories left the
test is undefined and its statistics are NaN.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from cible.segmentation.validation._json import json_float

NOISE = -1
OTHER = "other"
MISSING = "(missing)"


@dataclass(frozen=True, eq=False)
class CompositionResult:
    """Chi-square test of independence between segment and one categorical column.

    Attributes
    ----------
    column: name of the categorical column.
    chi2, p_value, dof: the test (NaN / 0 when undefined).
    cramers_v: effect size in ``[0, 1]``.
    n: rows tested (noise excluded).
    table: counts, one row per segment (index), one column per category after merging; not to be
        modified.
    merged: the rare categories merged into ``"other"``.
    """

    column: str
    chi2: float
    p_value: float
    dof: int
    cramers_v: float
    n: int
    table: pd.DataFrame
    merged: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready plain types (NaN as ``None``)."""
        return {
            "column": self.column,
            "test": "chi-square test of independence (scipy.stats.chi2_contingency)",
            "chi2": json_float(self.chi2),
            "p_value": json_float(self.p_value),
            "dof": self.dof,
            "cramers_v": json_float(self.cramers_v),
            "n": self.n,
            "merged_into_other": list(self.merged),
            "categories": [str(c) for c in self.table.columns],
            "table": [
                {"segment": int(seg), "counts": [int(v) for v in row]}
                for seg, row in zip(self.table.index, self.table.to_numpy(), strict=True)
            ],
        }


def composition_test(
    labels: ArrayLike, category: pd.Series, min_expected: float = 5.0
) -> CompositionResult:
    """Chi-square test of independence between the segments and ``category``.

    ``category`` is aligned with ``labels`` by position (its index is ignored). Categories with an
    expected count below ``min_expected`` in any segment are merged into ``"other"`` (see the
    module docstring). Neither input is modified.
    """
    lab = np.asarray(labels).astype(np.int64, copy=False)
    if lab.shape != (len(category),):
        raise ValueError(
            f"labels must have one value per row of '{category.name}' ({len(category)}), "
            f"got {lab.shape}"
        )
    values = category.astype("object").where(category.notna(), MISSING).astype(str).to_numpy()
    keep = lab != NOISE
    table = pd.crosstab(pd.Series(lab[keep], name="segment"), pd.Series(values[keep]))
    table, merged = _merge_rare(table, min_expected)
    table.columns.name = None
    n = int(table.to_numpy().sum())
    name = str(category.name) if category.name is not None else "category"
    if table.shape[0] < 2 or table.shape[1] < 2:
        return CompositionResult(name, np.nan, np.nan, 0, np.nan, n, table, merged)
    chi2, p, dof, _ = stats.chi2_contingency(table.to_numpy(), correction=False)
    v = float(np.sqrt(chi2 / (n * (min(table.shape) - 1))))
    return CompositionResult(name, float(chi2), float(p), int(dof), v, n, table, merged)


def _merge_rare(table: pd.DataFrame, min_expected: float) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Merge the categories with an expected count below ``min_expected`` into ``"other"``."""
    n = table.to_numpy().sum()
    if n == 0:
        return table, ()
    smallest_segment = table.sum(axis=1).min()
    expected_min = smallest_segment * table.sum(axis=0) / n
    rare = [str(c) for c in table.columns[expected_min.to_numpy() < min_expected] if c != OTHER]
    if not rare:
        return table, ()
    kept = [c for c in table.columns if c not in rare and c != OTHER]
    other = table[[c for c in table.columns if c in rare or c == OTHER]].sum(axis=1)
    merged = table[kept].assign(**{OTHER: other})
    return merged, tuple(sorted(rare))
