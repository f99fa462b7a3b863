"""Class imbalance: balanced sample weights, then probabilities corrected back to the base rate.

Weighting each class by ``n / (2 n_class)`` makes the model fit as if both classes were equally
frequent, which keeps a rare class from being ignored, but its probabilities then describe that
balanced world: they are too high for the rare class. Bayes' rule gives the way back (prior
correction, King & Zeng 2001): for a model of the balanced world with probability ``p'``,

    logit(p) = logit(p') + log(pi / (1 - pi))

where ``pi`` is the positive rate of the training data. The ranking (ROC AUC) is unchanged; log-loss
and Brier score are computed on the corrected probabilities.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.pipeline import Pipeline
from sklearn.utils import get_tags
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d

_EPS = 1e-12


class BalancedClassifier(ClassifierMixin, BaseEstimator):
    """Fit ``estimator`` (a classifier or a :class:`~sklearn.pipeline.Pipeline` ending in one)
    with balanced sample weights when ``balance`` is true, and return probabilities corrected to
    the observed rate of the positive class (the second of the two sorted labels). Binary only.
    """

    def __init__(self, estimator: Any = None, balance: bool = True) -> None:
        self.estimator = estimator
        self.balance = balance

    def fit(self, X: Any, y: Any) -> BalancedClassifier:
        if y is None:
            raise ValueError("requires y to be passed, but the target y is None")
        target = column_or_1d(y, warn=True)
        check_classification_targets(target)
        classes = np.unique(target)
        if len(classes) != 2:
            raise ValueError(
                f"Only binary classification is supported; got {len(classes)} class(es)"
            )
        self.classes_ = classes
        self.estimator_ = clone(self.estimator)
        if self.balance:
            weights = compute_sample_weight("balanced", target)
            self.estimator_.fit(X, target, **{self._weight_param(): weights})
            rate = float(np.mean(target == classes[1]))
            self.logit_shift_ = float(np.log(rate / (1.0 - rate)))
        else:
            self.estimator_.fit(X, target)
            self.logit_shift_ = 0.0
        if hasattr(self.estimator_, "n_features_in_"):
            self.n_features_in_ = self.estimator_.n_features_in_
        if hasattr(self.estimator_, "feature_names_in_"):
            self.feature_names_in_ = self.estimator_.feature_names_in_
        return self

    def _weight_param(self) -> str:
        if isinstance(self.estimator, Pipeline):
            return f"{self.estimator.steps[-1][0]}__sample_weight"
        return "sample_weight"

    def predict_proba(self, X: Any) -> NDArray[np.float64]:
        check_is_fitted(self, "estimator_")
        raw = np.asarray(self.estimator_.predict_proba(X)[:, 1], dtype=np.float64)
        p = correct_prior(raw, self.logit_shift_)
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> NDArray[Any]:
        positive = self.predict_proba(X)[:, 1] >= 0.5
        return np.asarray(self.classes_[positive.astype(int)])

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        if self.estimator is not None:
            inner = get_tags(self.estimator).input_tags
            tags.input_tags.sparse = inner.sparse
            tags.input_tags.allow_nan = inner.allow_nan
        return tags


def correct_prior(p: NDArray[np.float64], logit_shift: float) -> NDArray[np.float64]:
    """Shift probabilities by ``logit_shift`` on the logit scale (0: unchanged)."""
    if logit_shift == 0.0:
        return p.copy()
    q = np.clip(p, _EPS, 1.0 - _EPS)
    logit = np.log(q / (1.0 - q)) + logit_shift
    return np.asarray(1.0 / (1.0 + np.exp(-logit)), dtype=np.float64)
