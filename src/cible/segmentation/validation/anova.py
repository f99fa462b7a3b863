"""One-way ANOVA of each feature across segments, with eta squared as the effect size.

For every numeric column of ``features`` (original units), the segments are the groups:
``F`` and its p-value come from :func:`scipy.stats.f_oneway`; eta squared
``η² = SS_between / SS_total`` is the share of the feature's variance explained by the segments
(Cohen's rough reading: 0.01 small, 0.06 medium, 0.14 large).

With thousands of customers nearly every p-value is tiny: read η², not p. Rows labelled -1 (noise)
and missing values of a feature are left out of that feature's test. Non-numeric columns are
skipped. A feature that is constant gives NaN.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats

NOISE = -1
COLUMNS = ["feature", "f_stat", "p_value", "eta_squared", "n"]


@dataclass(frozen=True, eq=False)
class AnovaResult:
    """One row per feature: ``feature``, ``f_stat``, ``p_value``, ``eta_squared``, ``n`` (rows
    used), in the column order of the input. The frame is not to be modified."""

    table: pd.DataFrame
    n_segments: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready plain types (NaN as ``None``)."""
        return {
            "test": "one-way ANOVA (scipy.stats.f_oneway)",
            "effect_size": "eta squared = SS_between / SS_total",
            "n_segments": self.n_segments,
            "features": _records(self.table),
        }


def anova_by_feature(features: pd.DataFrame, labels: ArrayLike) -> AnovaResult:
    """One-way ANOVA and eta squared of every numeric column of ``features`` across segments.

    ``labels`` are aligned with the rows of ``features`` by position. Neither input is modified.
    """
    lab = _check(features, labels)
    rows = []
    for column in features.columns:
        if not pd.api.types.is_numeric_dtype(features[column]):
            continue
        groups = _groups(features[column].to_numpy(dtype=np.float64, na_value=np.nan), lab)
        rows.append({"feature": str(column), **_anova(groups)})
    table = pd.DataFrame(rows, columns=COLUMNS).astype(
        {
            "feature": "object",
            "f_stat": "float64",
            "p_value": "float64",
            "eta_squared": "float64",
            "n": "int64",
        }
    )
    return AnovaResult(table=table, n_segments=len(np.unique(lab[lab != NOISE])))


def _anova(groups: list[NDArray[np.float64]]) -> dict[str, float]:
    n = int(sum(len(g) for g in groups))
    values = np.concatenate(groups) if groups else np.empty(0)
    ss_total = float(np.sum((values - values.mean()) ** 2)) if n else 0.0
    if len(groups) < 2 or n <= len(groups) or ss_total == 0.0:
        return {"f_stat": np.nan, "p_value": np.nan, "eta_squared": np.nan, "n": n}
    grand = values.mean()
    ss_between = float(sum(len(g) * (g.mean() - grand) ** 2 for g in groups))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # all groups constant: F is infinite, p is 0
        res = stats.f_oneway(*groups)
    return {
        "f_stat": float(res.statistic),
        "p_value": float(res.pvalue),
        "eta_squared": ss_between / ss_total,
        "n": n,
    }


def _check(features: pd.DataFrame, labels: ArrayLike) -> NDArray[np.int64]:
    lab = np.asarray(labels).astype(np.int64, copy=False)
    if lab.shape != (len(features),):
        raise ValueError(
            f"labels must have one value per row of features ({len(features)}), got {lab.shape}"
        )
    return lab


def _groups(values: NDArray[np.float64], labels: NDArray[np.int64]) -> list[NDArray[np.float64]]:
    """Finite values of each segment (noise excluded), segments with at least one value."""
    ok = (labels != NOISE) & np.isfinite(values)
    return [values[ok & (labels == s)] for s in np.unique(labels[ok])]


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for row in table.to_dict(orient="records"):
        out.append(
            {
                str(k): (None if isinstance(v, float) and np.isnan(v) else _plain(v))
                for k, v in row.items()
            }
        )
    return out


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
