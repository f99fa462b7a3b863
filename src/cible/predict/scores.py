"""Scores per customer, in plain columns a segmentation or an activation rule can use.

For a score named ``s`` (e.g. ``purchase_propensity``), :func:`score_customers` returns, indexed
by ``customer_id``:

* ``s``: the probability from the chosen model (float in [0, 1]);
* ``s_flag``: ``s >= threshold`` (the threshold chosen on out-of-fold training data);
* ``s_decile``: 1 for the 10% highest scores ... 10 for the lowest;
* ``s_reason_1`` .. ``s_reason_k``: the features raising this customer's score most (occlusion,
  see :mod:`cible.predict.model_explanations`), empty when none does;
* ``s_reason_1_text`` .. ``s_reason_k_text``: the same reasons with the customer's value and the
  direction, for people: ``Contract = Month-to-month raises churn risk``.

:func:`join_scores` joins several such tables (propensity, churn risk, CLV...) into the one
``scores`` table stored with the profile.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from cible.predict.model_explanations import occlusion_reasons, reason_candidates
from cible.predict.model_inputs import model_frame
from cible.predict.training_result import TrainingResult


def score_customers(
    result: TrainingResult,
    X: pd.DataFrame,
    name: str,
    *,
    reasons: int = 3,
    reason_features: int = 8,
) -> pd.DataFrame:
    """Scores, flag, decile and reasons of the chosen model for every row of ``X``."""
    with threadpool_limits(1):  # see train_models: oversubscribed OpenMP is slower here
        return _score(result, X, name, reasons, reason_features)


def _score(
    result: TrainingResult, X: pd.DataFrame, name: str, reasons: int, reason_features: int
) -> pd.DataFrame:
    frame = model_frame(X[result.feature_names])
    model = result.estimators[result.best]
    score = result.predict_proba(X)
    threshold = result.report().threshold
    out = pd.DataFrame(index=X.index.rename("customer_id"))
    out[name] = score
    out[f"{name}_flag"] = score >= threshold
    out[f"{name}_decile"] = score_deciles(score)
    candidates = reason_candidates(result.permutation, reason_features)
    labels, sizes = occlusion_reasons(model, frame, candidates, result.background, reasons)
    for col in labels.columns:
        out[f"{name}_{col}"] = labels[col].astype("string").to_numpy()
    for col in labels.columns:
        texts = reason_texts(labels[col], sizes[col], frame, name.replace("_", " "))
        out[f"{name}_{col}_text"] = texts.astype("string").to_numpy()
    return out


def format_value(value: object) -> str:
    """A feature value as people read it: ``2``, ``70.35``, ``0.0012``, ``Month-to-month``,
    ``missing``."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return "missing"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}" if abs(int(value)) >= 10_000 else str(int(value))
    if isinstance(value, float | np.floating):
        v = float(value)
        if v.is_integer() and abs(v) < 1e15:
            return format_value(int(v))
        return f"{v:.4g}" if abs(v) < 1e4 else f"{v:,.0f}"
    return str(value)


def reason_texts(
    features: pd.Series, effects: pd.Series, frame: pd.DataFrame, score_words: str
) -> pd.Series:
    """``<feature> = <this row's value> raises|lowers <score words>`` for each row with a reason
    (the direction is the sign of the occlusion effect), missing otherwise."""
    texts = pd.Series(pd.NA, index=features.index, dtype="object")
    for i, (feature, effect) in enumerate(
        zip(features.to_numpy(), effects.to_numpy(), strict=True)
    ):
        if feature is None or pd.isna(feature):
            continue
        verb = "raises" if effect > 0 else "lowers"
        value = format_value(frame[feature].iloc[i])
        texts.iloc[i] = f"{feature} = {value} {verb} {score_words}"
    return texts


def score_deciles(score: np.ndarray) -> np.ndarray:
    """Decile of each score, 1 = highest (ties in input order), as int64."""
    order = np.argsort(-np.asarray(score, dtype=np.float64), kind="stable")
    deciles = np.empty(len(order), dtype=np.int64)
    for i, part in enumerate(np.array_split(order, 10), start=1):
        deciles[part] = i
    return deciles


def score_histogram(score: np.ndarray, bins: int = 40) -> tuple[list[float], list[int]]:
    """Counts of scores in ``bins`` equal-width bins of [0, 1]: (left edges, counts)."""
    counts, edges = np.histogram(np.asarray(score, dtype=np.float64), bins=bins, range=(0.0, 1.0))
    return [float(e) for e in edges[:-1]], [int(c) for c in counts]


def join_scores(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """One table from several score tables indexed by ``customer_id`` (outer join; a customer
    missing from one table has empty cells there). Column names must not repeat."""
    if not parts:
        raise ValueError("join_scores needs at least one score table")
    seen: set[str] = set()
    for part in parts:
        if not part.index.is_unique:
            raise ValueError("a score table has a customer_id more than once")
        clash = sorted(seen & {str(c) for c in part.columns})
        if clash:
            raise ValueError(f"score column(s) {clash} appear in more than one score table")
        seen |= {str(c) for c in part.columns}
    out = parts[0]
    for part in parts[1:]:
        out = out.join(part, how="outer")
    return out.rename_axis("customer_id").sort_index()
