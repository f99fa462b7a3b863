"""Kruskal-Wallis test of each feature across segments, with epsilon squared as the effect size.

The rank-based counterpart of :mod:`~cible.segmentation.validation.anova`, robust to the skewed
distributions of marketing features (revenue, frequency). ``H`` and its p-value come from
:func:`scipy.stats.kruskal` (tie-corrected); epsilon squared
``ε² = H / ((n² - 1) / (n + 1)) = H / (n - 1)`` (Tomczak & Tomczak, 2014) is in ``[0, 1]``.

Rows labelled -1 (noise) and missing values of a feature are left out of that feature's test;
non-numeric columns are skipped; a feature with a single distinct value gives NaN.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats

NOISE = -1
COLUMNS = ["feature", "h_stat", "p_value", "epsilon_squared", "n"]


@dataclass(frozen=True, eq=False)
class KruskalResult:
    """One row per feature: ``feature``, ``h_stat``, ``p_value``, ``epsilon_squared``, ``n`` (rows
    used), in the column order of the input. The frame is not to be modified."""

    table: pd.DataFrame
    n_segments: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready plain types (NaN as ``None``)."""
        records = []
        for row in self.table.to_dict(orient="records"):
            records.append(
                {
                    str(k): (
                        None
                        if isinstance(v, float) and np.isnan(v)
                        else (v.item() if isinstance(v, np.generic) else v)
                    )
                    for k, v in row.items()
                }
            )
        return {
            "test": "Kruskal-Wallis H (scipy.stats.kruskal)",
            "effect_size": "epsilon squared = H / ((n^2 - 1) / (n + 1))",
            "n_segments": self.n_segments,
            "features": records,
        }


def kruskal_by_feature(features: pd.DataFrame, labels: ArrayLike) -> KruskalResult:
    """Kruskal-Wallis H and epsilon squared of every numeric column of ``features``.

    ``labels`` are aligned with the rows of ``features`` by position. Neither input is modified.
    """
    lab = np.asarray(labels).astype(np.int64, copy=False)
    if lab.shape != (len(features),):
        raise ValueError(
            f"labels must have one value per row of features ({len(features)}), got {lab.shape}"
        )
    rows = []
    for column in features.columns:
        if not pd.api.types.is_numeric_dtype(features[column]):
            continue
        values = features[column].to_numpy(dtype=np.float64, na_value=np.nan)
        rows.append({"feature": str(column), **_kruskal(values, lab)})
    table = pd.DataFrame(rows, columns=COLUMNS).astype(
        {
            "feature": "object",
            "h_stat": "float64",
            "p_value": "float64",
            "epsilon_squared": "float64",
            "n": "int64",
        }
    )
    return KruskalResult(table=table, n_segments=len(np.unique(lab[lab != NOISE])))


def _kruskal(values: NDArray[np.float64], labels: NDArray[np.int64]) -> dict[str, float]:
    ok = (labels != NOISE) & np.isfinite(values)
    groups = [values[ok & (labels == s)] for s in np.unique(labels[ok])]
    n = int(ok.sum())
    if len(groups) < 2 or len(np.unique(values[ok])) < 2:
        return {"h_stat": np.nan, "p_value": np.nan, "epsilon_squared": np.nan, "n": n}
    res = stats.kruskal(*groups)
    h = float(res.statistic)
    return {
        "h_stat": h,
        "p_value": float(res.pvalue),
        "epsilon_squared": h / ((n**2 - 1) / (n + 1)),
        "n": n,
    }
