"""Uplift models fitted on a randomised test: each predicts, per customer, the expected
incremental effect of the treatment ``P(y | x, treated) - P(y | x, control)``.

Estimators in the scikit-learn style (``__init__`` stores, ``fit(X, y, treatment)`` returns
``self``, fitted attributes end in ``_``, ``predict(X)`` gives the uplift):

- :class:`TLearner` (two models): one classifier per arm, uplift = difference of their
  probabilities;
- :class:`ClassTransformation` (a direct method; Jaskowski & Jaroszewicz, 2012): one classifier of
  ``z = 1`` when (treated and responded) or (control and did not respond); with both arms weighted
  to half the sample, ``uplift = 2 P(z = 1 | x) - 1``;
- :class:`XLearner` (Künzel et al., 2019): imputed individual effects ``y - μ₀(x)`` on the treated
  and ``μ₁(x) - y`` on the control, each regressed on ``x``, blended with the treated share.

Base learners are named: ``hgb`` (histogram gradient boosting, scikit-learn defaults),
``hgb_slow`` (a regularised boosting: learning rate 0.03, 300 iterations, leaves of >= 200
customers, depth 3), ``logistic`` (standardised logistic regression).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from cible.exceptions import ExperimentError

BaseName = Literal["hgb", "hgb_slow", "logistic"]
BASES: tuple[str, ...] = ("hgb", "hgb_slow", "logistic")
_SLOW: dict[str, Any] = {
    "learning_rate": 0.03,
    "max_iter": 300,
    "min_samples_leaf": 200,
    "max_depth": 3,
}


def classifier(name: str, seed: int = 0) -> ClassifierMixin:
    if name == "hgb":
        return HistGradientBoostingClassifier(random_state=seed)
    if name == "hgb_slow":
        return HistGradientBoostingClassifier(random_state=seed, **_SLOW)
    if name == "logistic":
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    raise ExperimentError(f"unknown base learner {name!r}; known: {', '.join(BASES)}")


def regressor(name: str, seed: int = 0) -> RegressorMixin:
    if name == "hgb":
        return HistGradientBoostingRegressor(random_state=seed)
    if name == "hgb_slow":
        return HistGradientBoostingRegressor(random_state=seed, **_SLOW)
    if name == "logistic":
        return make_pipeline(StandardScaler(), Ridge(alpha=1.0))
    raise ExperimentError(f"unknown base learner {name!r}; known: {', '.join(BASES)}")


def _checked(
    X: pd.DataFrame | np.ndarray, y: Any, treatment: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = np.asarray(X, dtype=np.float64)
    yy = np.asarray(y, dtype=np.float64)
    tt = np.asarray(treatment, dtype=np.float64)
    if x.ndim != 2 or not x.shape[0] == yy.size == tt.size:
        raise ExperimentError(f"X {x.shape}, y ({yy.size}) and treatment ({tt.size}) do not align")
    for name, v in (("y", yy), ("treatment", tt)):
        if not set(np.unique(v)) <= {0.0, 1.0}:
            raise ExperimentError(f"{name} must be 0/1")
    for arm in (0.0, 1.0):
        if np.unique(yy[tt == arm]).size < 2:
            raise ExperimentError(f"arm treatment={int(arm)} needs both outcomes 0 and 1 to fit")
    return x, yy, tt


class _UpliftBase(BaseEstimator):
    n_features_in_: int

    def _x(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        check_is_fitted(self)
        x = np.asarray(X, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.n_features_in_:
            raise ExperimentError(
                f"X has {x.shape[-1]} columns, the model was fitted on {self.n_features_in_}"
            )
        return x


class TLearner(_UpliftBase):
    def __init__(self, base: str = "hgb", seed: int = 0) -> None:
        self.base = base
        self.seed = seed

    def fit(self, X: Any, y: Any, treatment: Any) -> TLearner:
        x, yy, tt = _checked(X, y, treatment)
        self.n_features_in_ = x.shape[1]
        model = classifier(self.base, self.seed)
        self.control_model_ = clone(model).fit(x[tt == 0], yy[tt == 0])
        self.treated_model_ = clone(model).fit(x[tt == 1], yy[tt == 1])
        return self

    def predict(self, X: Any) -> np.ndarray:
        x = self._x(X)
        return np.asarray(
            self.treated_model_.predict_proba(x)[:, 1] - self.control_model_.predict_proba(x)[:, 1]
        )


class ClassTransformation(_UpliftBase):
    def __init__(self, base: str = "logistic", seed: int = 0) -> None:
        self.base = base
        self.seed = seed

    def fit(self, X: Any, y: Any, treatment: Any) -> ClassTransformation:
        x, yy, tt = _checked(X, y, treatment)
        self.n_features_in_ = x.shape[1]
        share = tt.mean()
        weight = np.where(tt == 1, 0.5 / share, 0.5 / (1 - share))
        z = (yy == tt).astype(np.int64)
        model = classifier(self.base, self.seed)
        step = model.steps[-1][0] + "__" if hasattr(model, "steps") else ""
        self.model_ = model.fit(x, z, **{f"{step}sample_weight": weight})
        return self

    def predict(self, X: Any) -> np.ndarray:
        return np.asarray(2.0 * self.model_.predict_proba(self._x(X))[:, 1] - 1.0)


class XLearner(_UpliftBase):
    def __init__(self, base: str = "hgb_slow", seed: int = 0) -> None:
        self.base = base
        self.seed = seed

    def fit(self, X: Any, y: Any, treatment: Any) -> XLearner:
        x, yy, tt = _checked(X, y, treatment)
        self.n_features_in_ = x.shape[1]
        c, t = tt == 0, tt == 1
        mu0 = clone(classifier(self.base, self.seed)).fit(x[c], yy[c])
        mu1 = clone(classifier(self.base, self.seed)).fit(x[t], yy[t])
        d1 = yy[t] - mu0.predict_proba(x[t])[:, 1]
        d0 = mu1.predict_proba(x[c])[:, 1] - yy[c]
        self.tau_treated_ = clone(regressor(self.base, self.seed)).fit(x[t], d1)
        self.tau_control_ = clone(regressor(self.base, self.seed)).fit(x[c], d0)
        self.treated_share_ = float(t.mean())
        return self

    def predict(self, X: Any) -> np.ndarray:
        x = self._x(X)
        g = self.treated_share_
        return np.asarray(g * self.tau_control_.predict(x) + (1 - g) * self.tau_treated_.predict(x))


class Blend(_UpliftBase):
    """The mean of the class-transformation and X-learner predictions on the same base: two
    direct methods whose errors are only partly correlated (the averaging cuts their variance)."""

    def __init__(self, base: str = "hgb_slow", seed: int = 0) -> None:
        self.base = base
        self.seed = seed

    def fit(self, X: Any, y: Any, treatment: Any) -> Blend:
        x, yy, tt = _checked(X, y, treatment)
        self.n_features_in_ = x.shape[1]
        self.members_ = (
            ClassTransformation(self.base, self.seed).fit(x, yy, tt),
            XLearner(self.base, self.seed).fit(x, yy, tt),
        )
        return self

    def predict(self, X: Any) -> np.ndarray:
        x = self._x(X)
        return np.asarray(np.mean([m.predict(x) for m in self.members_], axis=0))


METHODS: dict[str, type[_UpliftBase]] = {
    "t_learner": TLearner,
    "class_transformation": ClassTransformation,
    "x_learner": XLearner,
    "blend": Blend,
}


def make_model(method: str, base: str, seed: int = 0) -> _UpliftBase:
    if method not in METHODS:
        raise ExperimentError(f"unknown uplift method {method!r}; known: {', '.join(METHODS)}")
    if base not in BASES:
        raise ExperimentError(f"unknown base learner {base!r}; known: {', '.join(BASES)}")
    return METHODS[method](base=base, seed=seed)
