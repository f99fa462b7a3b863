"""Explain segments in business terms: surrogate decision rules and feature importance.

:func:`surrogate_rules` fits a shallow decision tree that predicts the segment from the features in
their original units and reads each leaf as a rule ("recency_days <= 30 and frequency > 4"). The
tree *approximates* the segmentation: its **fidelity** (accuracy against the segment labels) says
how far the rules can be trusted. Thresholds are rounded to the fewest significant digits that
still split the training values exactly like the tree's threshold (any value between the two
nearest training values on either side gives the same rule on the data), so "frequency <= 4.5"
reads "frequency <= 4" for an integer feature, "refund_rate <= 0.013" reads "refund_rate <= 0"
when no customer lies between 0 and 0.026, and the fidelity is unchanged by the rounding.

:func:`permutation_importance_by_feature` measures how much each feature matters for telling the
segments apart: the drop in accuracy of a random forest that predicts the segment when the
feature's values are shuffled.

Rows labelled -1 (noise) are left out of both. Only numeric (and boolean) columns are used;
missing values are allowed (scikit-learn trees route them to one side of each split; a rule says
"or missing" where that matters).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier

NOISE = -1
IMPORTANCE_SAMPLE = 20_000

# (feature index, "<=" or ">", threshold, missing values follow this branch)
_Condition = tuple[int, str, float, bool]


@dataclass(frozen=True)
class SegmentRule:
    """One leaf of the surrogate tree.

    ``support``: share of all (non-noise) rows in the leaf; ``purity``: share of the leaf's rows
    that belong to ``segment``; ``coverage``: share of the segment's rows in the leaf.
    """

    segment: int
    rule: str
    n_rows: int
    support: float
    purity: float
    coverage: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready plain types."""
        return {
            "segment": self.segment,
            "rule": self.rule,
            "n_rows": self.n_rows,
            "support": self.support,
            "purity": self.purity,
            "coverage": self.coverage,
        }


@dataclass(frozen=True, eq=False)
class RulesResult:
    """Surrogate decision rules of a segmentation.

    Attributes
    ----------
    fidelity: accuracy of the tree against the segment labels, on all (non-noise) rows.
    fidelity_by_segment: share of each segment's rows the tree assigns to that segment.
    rules: per segment, the rules of the leaves predicting it, by decreasing support (a segment
        no leaf predicts has an empty list).
    feature_names: the columns the tree used.
    max_depth, min_samples_leaf: the tree's settings.
    n_rows: rows fitted.
    """

    fidelity: float
    fidelity_by_segment: dict[int, float]
    rules: dict[int, list[SegmentRule]]
    feature_names: tuple[str, ...]
    max_depth: int
    min_samples_leaf: int
    n_rows: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready plain types."""
        return {
            "method": "surrogate decision tree",
            "fidelity": self.fidelity,
            "max_depth": self.max_depth,
            "min_samples_leaf": self.min_samples_leaf,
            "n_rows": self.n_rows,
            "features": list(self.feature_names),
            "segments": [
                {
                    "segment": s,
                    "fidelity": self.fidelity_by_segment[s],
                    "rules": [r.to_dict() for r in self.rules[s]],
                }
                for s in sorted(self.rules)
            ],
        }


def surrogate_rules(
    features: pd.DataFrame,
    labels: ArrayLike,
    max_depth: int = 4,
    min_samples_leaf: int | None = None,
    random_state: int = 0,
) -> RulesResult:
    """Readable rules per segment from a decision tree predicting ``labels`` from ``features``.

    ``min_samples_leaf`` defaults to ``max(5, n // 200)`` (0.5% of the rows), so that every rule
    describes a group of some size. ``labels`` align with the rows of ``features`` by position.
    Neither input is modified.
    """
    data, y, names = _numeric(features, labels)
    n = len(y)
    leaf_min = max(5, n // 200) if min_samples_leaf is None else min_samples_leaf
    tree = DecisionTreeClassifier(
        max_depth=max_depth, min_samples_leaf=leaf_min, random_state=random_state
    ).fit(data, y)
    predicted = tree.predict(data)
    segments = np.unique(y)
    fidelity_by_segment = {int(s): float(np.mean(predicted[y == s] == s)) for s in segments}
    leaf_of_row = tree.apply(data)
    rules: dict[int, list[SegmentRule]] = {int(s): [] for s in segments}
    seg_sizes = {int(s): int(np.sum(y == s)) for s in segments}
    for leaf, conditions in _leaf_paths(tree):
        in_leaf = leaf_of_row == leaf
        segment = int(tree.classes_[int(np.argmax(tree.tree_.value[leaf][0]))])
        size = int(in_leaf.sum())
        hits = int(np.sum(y[in_leaf] == segment))
        rules[segment].append(
            SegmentRule(
                segment=segment,
                rule=_render(conditions, data, names),
                n_rows=size,
                support=size / n,
                purity=hits / size,
                coverage=hits / seg_sizes[segment],
            )
        )
    for segment_rules in rules.values():
        segment_rules.sort(key=lambda r: (-r.support, r.rule))
    return RulesResult(
        fidelity=float(np.mean(predicted == y)),
        fidelity_by_segment=fidelity_by_segment,
        rules=rules,
        feature_names=tuple(names),
        max_depth=max_depth,
        min_samples_leaf=leaf_min,
        n_rows=n,
    )


def permutation_importance_by_feature(
    features: pd.DataFrame,
    labels: ArrayLike,
    random_state: int = 0,
    n_repeats: int = 5,
    sample: int = IMPORTANCE_SAMPLE,
) -> pd.DataFrame:
    """How much each feature matters for telling the segments apart.

    A :class:`~sklearn.ensemble.RandomForestClassifier` (100 trees, depth 8) predicts the segment
    from the features on a seeded sample of at most ``sample`` rows; 25% of the sample is held out
    and scikit-learn's permutation importance (:func:`permutation_drops`) measures, on it, the
    mean drop in accuracy over ``n_repeats`` shuffles of each feature. Returns ``feature``, ``importance_mean``,
    ``importance_std``, by decreasing importance. Neither input is modified.
    """
    data, y, names = _numeric(features, labels)
    rng = np.random.default_rng(random_state)
    if len(y) > sample:
        rows = np.sort(rng.choice(len(y), size=sample, replace=False))
        data, y = data[rows], y[rows]
    _, class_counts = np.unique(y, return_counts=True)
    stratify = y if class_counts.min() >= 2 else None
    X_train, X_test, y_train, y_test = train_test_split(
        data, y, test_size=0.25, random_state=random_state, stratify=stratify
    )
    forest = RandomForestClassifier(
        n_estimators=100, max_depth=8, n_jobs=1, random_state=random_state
    ).fit(X_train, y_train)
    drops = permutation_drops(forest, X_test, y_test, n_repeats, random_state)
    frame = pd.DataFrame(
        {
            "feature": names,
            "importance_mean": drops.mean(axis=1),
            "importance_std": drops.std(axis=1),
        }
    )
    return frame.sort_values(
        ["importance_mean", "feature"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)


def permutation_drops(
    estimator: Any, X: NDArray[np.float64], y: NDArray[np.int64], n_repeats: int, random_state: int
) -> NDArray[np.float64]:
    """The drops in accuracy of :func:`sklearn.inspection.permutation_importance` (features x
    repeats), with its shuffles, from one ``predict`` over every shuffled copy stacked.

    scikit-learn predicts each shuffled copy on its own: with a 100-tree forest, 46 calls of
    ~100 per-tree dispatches each (3 s of a 4,372-customer run); the stacked copies give the
    same predictions, row by row, in one call. The shuffles are scikit-learn's: one seed drawn
    from ``random_state``, a fresh ``RandomState(seed)`` per feature, ``n_repeats`` successive
    in-place shuffles of that feature's column.
    """
    seed = np.random.RandomState(random_state).randint(np.iinfo(np.int32).max + 1)
    baseline = float(np.mean(estimator.predict(X) == y))
    copies = []
    for col in range(X.shape[1]):
        rng = np.random.RandomState(seed)
        permuted, order = X.copy(), np.arange(X.shape[0])
        for _ in range(n_repeats):
            rng.shuffle(order)
            permuted[:, col] = permuted[order, col]
            copies.append(permuted.copy())
    predicted = np.asarray(estimator.predict(np.vstack(copies))).reshape(len(copies), -1)
    scores = (predicted == y[None, :]).mean(axis=1).reshape(X.shape[1], n_repeats)
    return np.asarray(baseline - scores, dtype=np.float64)


def _numeric(
    features: pd.DataFrame, labels: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.int64], list[str]]:
    """Numeric columns as floats and the labels, noise rows removed."""
    lab = np.asarray(labels).astype(np.int64, copy=False)
    if lab.shape != (len(features),):
        raise ValueError(
            f"labels must have one value per row of features ({len(features)}), got {lab.shape}"
        )
    names = [str(c) for c in features.columns if pd.api.types.is_numeric_dtype(features[c])]
    if not names:
        raise ValueError("features have no numeric column to explain the segments with")
    keep = lab != NOISE
    if len(np.unique(lab[keep])) < 2:
        raise ValueError("explaining segments needs at least two segments (noise excluded)")
    columns = [c for c in features.columns if str(c) in names]
    data = features.loc[:, columns].to_numpy(dtype=np.float64, na_value=np.nan)[keep]
    if np.isinf(data).any():
        raise ValueError("features contain infinite values; only finite values or NaN are allowed")
    return data, lab[keep], names


def _leaf_paths(tree: DecisionTreeClassifier) -> list[tuple[int, list[_Condition]]]:
    """Every leaf with the conditions on the path from the root, depth first, left first."""
    t = tree.tree_
    missing_left = getattr(t, "missing_go_to_left", np.zeros(t.node_count, dtype=bool))
    out: list[tuple[int, list[_Condition]]] = []
    stack: list[tuple[int, list[_Condition]]] = [(0, [])]
    while stack:
        node, path = stack.pop()
        left, right = int(t.children_left[node]), int(t.children_right[node])
        if left == right:  # a leaf
            out.append((node, path))
            continue
        f, thr, go_left = int(t.feature[node]), float(t.threshold[node]), bool(missing_left[node])
        stack.append((right, [*path, (f, ">", thr, not go_left)]))
        stack.append((left, [*path, (f, "<=", thr, go_left)]))
    return out


def _render(conditions: list[_Condition], data: NDArray[np.float64], names: list[str]) -> str:
    """``"a <= 3 and 2 < b <= 7"``: one clause per feature, in order of first use."""
    if not conditions:
        return "all customers"
    clauses = []
    for f in dict.fromkeys(c[0] for c in conditions):
        mine = [c for c in conditions if c[0] == f]
        column = data[:, f]
        uppers = [c[2] for c in mine if c[1] == "<="]
        lowers = [c[2] for c in mine if c[1] == ">"]
        hi = _fmt(_nice_threshold(min(uppers), column)) if uppers else None
        lo = _fmt(_nice_threshold(max(lowers), column)) if lowers else None
        name = names[f]
        feature, is_indicator, value = name.partition(" = ")  # a category indicator (0 / 1)
        if is_indicator:
            clause = f"{feature} = {value}" if lo is not None else f"{feature} != {value}"
        elif lo is not None and hi is not None:
            clause = f"{lo} < {name} <= {hi}"
        elif hi is not None:
            clause = f"{name} <= {hi}"
        else:
            clause = f"{name} > {lo}"
        if np.isnan(column).any() and all(c[3] for c in mine):
            clause = f"({clause} or {name} is missing)"
        clauses.append(clause)
    return " and ".join(clauses)


def _nice_threshold(threshold: float, column: NDArray[np.float64]) -> float:
    """The value with the fewest significant digits, nearest ``threshold``, that splits the
    training values of ``column`` exactly as ``threshold`` does (0 whenever it does)."""
    values = column[~np.isnan(column)]
    below = values[values <= threshold]
    above = values[values > threshold]
    if not len(below) or not len(above):
        return threshold
    lo, hi = float(below.max()), float(above.min())
    if lo <= 0.0 < hi:
        return 0.0  # "refund_rate <= 0": none at all
    scale = 10.0 ** math.floor(math.log10(abs(threshold)))
    for digits in range(16):
        step = scale / 10**digits
        candidates = {
            float(f"{math.floor(threshold / step) * step:.12g}"),
            float(f"{math.ceil(threshold / step) * step:.12g}"),
        }
        valid = [c for c in candidates if lo <= c < hi]
        if valid:
            return min(valid, key=lambda c: (abs(c - threshold), c))
    return threshold


def _fmt(value: float) -> str:
    return f"{value:.12g}"
