"""Why a model scores what it scores: global importance, per-customer reasons, tree rules.

**Global ranking** - permutation importance (:func:`permutation_ranking`): how much the test ROC
AUC drops when one input column is shuffled, averaged over a few seeded repeats.

**Per-customer reasons** - occlusion against a background (:func:`occlusion_reasons`). Each
feature ``j`` has a small background of typical values taken from the training split: ``B``
evenly spaced quantiles for a number, the ``B`` most frequent categories (weighted by frequency)
for a category. For a customer ``x``, the effect of ``j`` is

    effect_j(x) = p(x) - sum_b w_b p(x with x_j := v_b)

the part of the score that this customer's own value of ``j`` explains compared with the
population's values (it counts as a reason when it raises the score's log-odds by more than
:data:`MIN_LOG_ODDS`, so that saturated scores near 0 or 1 keep their reasons). The candidates are the ``reason_features`` features ranked highest by
permutation importance (positive importance only); a customer's reasons are the candidates with
the largest positive effects, at most ``reasons`` of them, ties broken by the global ranking. A
customer whose values do not raise the score has no reason: the columns are empty.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.inspection import permutation_importance
from sklearn.pipeline import Pipeline

from cible.predict.balance import correct_prior
from cible.predict.model_inputs import is_numeric
from cible.predict.training_result import Importance

OCCLUSION_CHUNK = 4_000
BACKGROUND_SIZE = 5
MIN_LOG_ODDS = 1e-3  # smallest effect kept as a reason, on the log-odds scale (odds x 1.001)
_P_CLIP = 1e-15


def permutation_ranking(
    model: Any, X: pd.DataFrame, y: pd.Series, *, repeats: int, random_state: int
) -> list[Importance]:
    """Input columns by decreasing mean drop of ROC AUC when shuffled."""
    result = permutation_importance(
        model, X, y.to_numpy(), scoring="roc_auc", n_repeats=repeats, random_state=random_state
    )
    ranked = [
        Importance(str(c), float(m), float(s))
        for c, m, s in zip(X.columns, result.importances_mean, result.importances_std, strict=True)
    ]
    return sorted(ranked, key=lambda i: -i.mean)


Background = dict[str, tuple[list[Any], list[float]]]


def background_values(X: pd.DataFrame, size: int = BACKGROUND_SIZE) -> Background:
    """Per column, ``size`` typical values and their weights (summing to 1)."""
    out: Background = {}
    for col in X.columns:
        s = X[col].dropna()
        if s.empty:
            out[str(col)] = ([np.nan], [1.0])
        elif is_numeric(s):
            levels = (np.arange(size) + 0.5) / size
            values = np.quantile(s.to_numpy(dtype=np.float64), levels, method="inverted_cdf")
            out[str(col)] = ([float(v) for v in values], [1.0 / size] * size)
        else:
            counts = s.astype(str).value_counts(sort=True).head(size)
            weights = counts.to_numpy(dtype=np.float64) / float(counts.sum())
            out[str(col)] = ([str(v) for v in counts.index], [float(w) for w in weights])
    return out


def reason_candidates(ranking: list[Importance], limit: int) -> list[str]:
    return [i.feature for i in ranking if i.mean > 0][:limit]


def occlusion_effects(
    model: Any, X: pd.DataFrame, candidates: list[str], background: Background
) -> NDArray[np.float64]:
    """``(n_rows, n_candidates)``: score minus the mean score with that feature set to the
    background values (see the module docstring)."""
    effects = np.zeros((len(X), len(candidates)), dtype=np.float64)
    if not candidates:
        return effects
    for start in range(0, len(X), OCCLUSION_CHUNK):
        part = X.iloc[start : start + OCCLUSION_CHUNK]
        base = np.asarray(model.predict_proba(part)[:, 1], dtype=np.float64)
        copies, weights, owner = [], [], []
        for j, col in enumerate(candidates):
            values, w = background[col]
            for value, weight in zip(values, w, strict=True):
                occluded = part.copy()
                occluded[col] = pd.Series(
                    [value] * len(part), index=part.index, dtype=part[col].dtype
                )
                copies.append(occluded)
                weights.append(weight)
                owner.append(j)
        scores = model.predict_proba(pd.concat(copies, ignore_index=True))[:, 1]
        block = np.asarray(scores, dtype=np.float64).reshape(len(copies), len(part))
        expected = np.zeros((len(candidates), len(part)))
        np.add.at(expected, np.asarray(owner), block * np.asarray(weights)[:, None])
        effects[start : start + len(part)] = base[:, None] - expected.T
    return effects


def occlusion_reasons(
    model: Any,
    X: pd.DataFrame,
    candidates: list[str],
    background: Background,
    reasons: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Top ``reasons`` features per row (names, ``None`` when fewer) and their effects."""
    names = [f"reason_{i}" for i in range(1, reasons + 1)]
    labels = pd.DataFrame(None, index=X.index, columns=names, dtype=object)
    sizes = pd.DataFrame(np.nan, index=X.index, columns=names, dtype="float64")
    if not candidates or reasons == 0:
        return labels, sizes
    effects = occlusion_effects(model, X, candidates, background)
    order = np.argsort(-effects, axis=1, kind="stable")[:, :reasons]
    top = np.take_along_axis(effects, order, axis=1)
    # whether an effect counts is judged on the log-odds scale: near a score of 0 or 1 a real
    # effect is a tiny difference of probabilities (0.99999 against 0.9999), not noise
    base = np.asarray(model.predict_proba(X)[:, 1], dtype=np.float64)[:, None]
    gap = _logit(base) - _logit(base - top)
    cand = np.asarray(candidates, dtype=object)
    for k in range(min(reasons, len(candidates))):
        keep = gap[:, k] > MIN_LOG_ODDS
        chosen = cand[order[:, k]].copy()
        chosen[~keep] = None
        labels[names[k]] = chosen
        sizes[names[k]] = np.where(keep, top[:, k], np.nan)
    return labels, sizes


def _logit(p: NDArray[np.float64]) -> NDArray[np.float64]:
    q = np.clip(p, _P_CLIP, 1.0 - _P_CLIP)
    return np.asarray(np.log(q) - np.log1p(-q), dtype=np.float64)


def fitted_pipeline(model: Any) -> Pipeline | None:
    inner = getattr(model, "estimator_", model)
    return inner if isinstance(inner, Pipeline) else None


def model_input_names(pipe: Pipeline) -> list[str]:
    """Column names as the final model sees them (after encoding and selection)."""
    return [str(n) for n in pipe[:-1].get_feature_names_out()]


def tree_rules(model: Any) -> str | None:
    """The decision tree as one text rule per leaf, highest probability first (``None`` for
    other models): ``IF recency_days <= 45.5 AND frequency > 2.5 THEN p = 0.81 (412 rows)``.
    Thresholds are in the features' own units; ``p`` is the leaf's positive rate, corrected to
    the observed base rate when the tree was fitted with balanced weights."""
    pipe = fitted_pipeline(model)
    if pipe is None or not hasattr(pipe[-1], "tree_"):
        return None
    tree = pipe[-1].tree_
    names = model_input_names(pipe)
    shift = float(getattr(model, "logit_shift_", 0.0))
    rules: list[tuple[float, int, str]] = []

    def walk(node: int, path: list[str]) -> None:
        left, right = int(tree.children_left[node]), int(tree.children_right[node])
        if left == right:  # a leaf
            value = np.asarray(tree.value[node][0], dtype=np.float64)
            p = float(correct_prior(np.array([value[1] / value.sum()]), shift)[0])
            n = int(tree.n_node_samples[node])
            rules.append(
                (p, n, f"IF {' AND '.join(path) or 'always'} THEN p = {p:.3f} ({n:,} rows)")
            )
            return
        name, cut = names[int(tree.feature[node])], float(tree.threshold[node])
        walk(left, [*path, f"{name} <= {cut:.4g}"])
        walk(right, [*path, f"{name} > {cut:.4g}"])

    walk(0, [])
    rules.sort(key=lambda r: (-r[0], -r[1]))
    return "\n".join(r[2] for r in rules)


def impurity_importances(model: Any, top: int = 20) -> list[Importance] | None:
    """The model's own ``feature_importances_`` (trees, forests, boosting), highest first."""
    pipe = fitted_pipeline(model)
    if pipe is None or not hasattr(pipe[-1], "feature_importances_"):
        return None
    values = np.asarray(pipe[-1].feature_importances_, dtype=np.float64)
    if values.sum() > 0:
        values = values / values.sum()
    ranked = sorted(zip(model_input_names(pipe), values, strict=True), key=lambda pair: -pair[1])[
        :top
    ]
    return [Importance(name, float(v), 0.0) for name, v in ranked]


def selected_inputs(model: Any) -> list[str] | None:
    """Columns kept by recursive feature elimination (``None`` without selection)."""
    pipe = fitted_pipeline(model)
    if pipe is None or "select" not in pipe.named_steps:
        return None
    names = np.asarray(pipe["prep"].get_feature_names_out())
    return [str(n) for n in names[pipe["select"].get_support()]]
