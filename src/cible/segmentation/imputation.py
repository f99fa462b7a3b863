"""Imputers for the segmentation features, and a report of what was imputed.

:func:`make_imputer` maps a :class:`~cible.config.FeaturePrep` ``impute`` value to a scikit-learn
transformer:

* ``"median"`` / ``"most_frequent"``: :class:`~sklearn.impute.SimpleImputer` (univariate);
* ``"knn"``: :class:`ScaledKNNImputer`, the mean of the ``n_neighbors`` nearest rows. Distances are
  computed on z-scores (``(x - mean) / std`` with statistics that ignore missing values), not on raw
  values: otherwise a column in euros (spread ~1,000) would drown a rate in [0, 1] and "nearest"
  would mean "nearest in spend". The imputed value is mapped back to the original unit.
  Distances use :func:`~sklearn.metrics.pairwise.nan_euclidean_distances` (coordinates missing in
  either row are skipped and the sum rescaled);
* ``"iterative"``: :class:`~sklearn.impute.IterativeImputer` with a
  :class:`~sklearn.linear_model.BayesianRidge` per column (each column with missing values is
  regressed on the others, round robin, until the imputations settle; at most 25 rounds), seeded;
  returned as a pipeline ``copy -> iterative`` (see :func:`make_imputer`);
* ``"none"``: the identity (missing values are left for a later step to refuse).

Every imputer keeps columns that are entirely missing (``keep_empty_features=True``) so that the
output has the columns of the input.

Multivariate imputers (knn, iterative) need the other features as context: in the segmentation
preprocessor :class:`MultivariateImputer` fills the chosen columns of a frame from the numeric
features (not from identifiers or other columns of the frame), before the per-feature steps run.
The context is the raw feature values (before winsorising and ``log1p``), z-scored for knn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin, clone
from sklearn.experimental import enable_iterative_imputer  # noqa: F401  (enables the import below)
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer
from sklearn.linear_model import BayesianRidge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils import Tags
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

ImputerKind = Literal["none", "median", "most_frequent", "knn", "iterative"]
IMPUTER_KINDS: tuple[ImputerKind, ...] = ("none", "median", "most_frequent", "knn", "iterative")
MultivariateKind = Literal["knn", "iterative"]
MULTIVARIATE_KINDS: tuple[MultivariateKind, ...] = ("knn", "iterative")


def make_imputer(
    kind: ImputerKind, *, n_neighbors: int = 5, random_state: int = 0
) -> BaseEstimator:
    """A new, unfitted imputer (a transformer) for ``kind`` (see the module docstring).

    ValueError on another kind. ``"iterative"`` is a :class:`~sklearn.pipeline.Pipeline` whose
    ``"iterative"`` step is the :class:`~sklearn.impute.IterativeImputer`.
    """
    if kind == "none":
        return FunctionTransformer(feature_names_out="one-to-one")
    if kind in ("median", "most_frequent"):
        return SimpleImputer(strategy=kind, keep_empty_features=True)
    if kind == "knn":
        return ScaledKNNImputer(n_neighbors=n_neighbors)
    if kind == "iterative":
        # IterativeImputer(keep_empty_features=True) writes into its validated input, which is a
        # read-only view for a pandas (copy-on-write) frame: a copying step comes first.
        return Pipeline(
            [
                ("copy", FunctionTransformer(_writable_copy, feature_names_out="one-to-one")),
                (
                    "iterative",
                    IterativeImputer(
                        estimator=BayesianRidge(),
                        max_iter=25,
                        tol=1e-3,
                        random_state=random_state,
                        keep_empty_features=True,
                    ),
                ),
            ]
        )
    raise ValueError(f"unknown imputer {kind!r}; allowed: {list(IMPUTER_KINDS)}")


class ScaledKNNImputer(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """:class:`~sklearn.impute.KNNImputer` on z-scores, mapped back to the original units.

    Fitted attributes: ``mean_`` and ``scale_`` (NaN-ignoring mean and population standard deviation
    per column; a constant or empty column gets mean 0 / scale 1), ``imputer_`` (the KNNImputer
    fitted on the z-scores), ``n_features_in_`` and, for frames, ``feature_names_in_``.
    """

    def __init__(self, n_neighbors: int = 5) -> None:
        self.n_neighbors = n_neighbors

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def fit(self, X: Any, y: Any = None) -> ScaledKNNImputer:
        values = validate_data(self, X, ensure_all_finite="allow-nan", dtype=np.float64)
        observed = ~np.isnan(values)
        counts = observed.sum(axis=0)
        filled = np.where(observed, values, 0.0)
        mean = np.divide(
            filled.sum(axis=0), counts, out=np.zeros(values.shape[1]), where=counts > 0
        )
        centred = np.where(observed, values - mean, 0.0)
        var = np.divide(
            (centred**2).sum(axis=0), counts, out=np.zeros(values.shape[1]), where=counts > 0
        )
        scale = np.sqrt(var)
        self.mean_ = mean
        self.scale_ = np.where(scale > 0.0, scale, 1.0)
        self.imputer_ = KNNImputer(n_neighbors=self.n_neighbors, keep_empty_features=True).fit(
            (values - self.mean_) / self.scale_
        )
        return self

    def transform(self, X: Any) -> NDArray[np.float64]:
        check_is_fitted(self, "imputer_")
        values = validate_data(
            self, X, ensure_all_finite="allow-nan", dtype=np.float64, reset=False
        )
        z = self.imputer_.transform((values - self.mean_) / self.scale_)
        out: NDArray[np.float64] = z * self.scale_ + self.mean_
        # Observed values come back exactly, not through a round trip in floating point.
        return np.where(np.isnan(values), out, values)


class MultivariateImputer(TransformerMixin, BaseEstimator):
    """Fill ``columns`` of a DataFrame with a knn or iterative imputer over a numeric context.

    The context (the columns the imputer sees: distances for knn, regressors for iterative) is
    ``columns`` plus ``context``, or every numeric column of the frame when ``context`` is None.
    ``columns=None`` fills every column of the context.

    The other columns are returned unchanged (their missing values are left to their own steps);
    the output is a new DataFrame with the input's index and the columns seen in ``fit``, in their
    ``fit`` order (``transform`` accepts them in any order, and refuses a different set).

    A numeric array (not a frame) is accepted too, as scikit-learn's estimator checks require:
    its columns are named by position (``columns`` and ``context`` then hold integers), every
    column is numeric, and the output is an array.

    Fitted attributes: ``n_features_in_``, ``feature_names_in_`` (for frames), ``context_`` (the
    numeric columns the imputer sees, in frame order), ``columns_`` (the columns it fills) and
    ``imputer_``.
    """

    def __init__(
        self,
        columns: Sequence[str | int] | None = None,
        kind: MultivariateKind = "knn",
        context: Sequence[str | int] | None = None,
        n_neighbors: int = 5,
        random_state: int = 0,
    ) -> None:
        self.columns = columns
        self.context = context
        self.kind = kind
        self.n_neighbors = n_neighbors
        self.random_state = random_state

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def fit(self, X: Any, y: Any = None) -> MultivariateImputer:
        if self.kind not in MULTIVARIATE_KINDS:
            raise ValueError(
                f"MultivariateImputer: kind must be one of {list(MULTIVARIATE_KINDS)}, "
                f"got {self.kind!r}"
            )
        frame = self._as_frame(X, reset=True)
        names = [str(c) for c in frame.columns]
        wanted = None if self.columns is None else [str(c) for c in self.columns]
        unknown = sorted(set(wanted or []) - set(names))
        if unknown:
            raise ValueError(f"MultivariateImputer: columns {unknown} are not in the frame {names}")
        numeric = [c for c in names if pd.api.types.is_numeric_dtype(frame[c])]
        context_names = None if self.context is None else [str(c) for c in self.context]
        if context_names is not None:
            absent = sorted(set(context_names) - set(names))
            if absent:
                raise ValueError(f"MultivariateImputer: context {absent} are not in the frame")
        seen = set(numeric if context_names is None else context_names) | set(wanted or [])
        context = [c for c in names if c in seen]
        not_numeric = sorted(set(context) - set(numeric))
        if not_numeric:
            raise ValueError(
                f"MultivariateImputer: columns {not_numeric} are not numeric; "
                "impute categorical features with most_frequent"
            )
        self.names_in_ = names
        self.context_ = context
        self.columns_ = list(context) if wanted is None else [c for c in names if c in wanted]
        imputer = make_imputer(
            self.kind, n_neighbors=self.n_neighbors, random_state=self.random_state
        )
        self.imputer_ = clone(imputer).fit(_context_values(frame, context))
        return self

    def _as_frame(self, X: Any, *, reset: bool) -> pd.DataFrame:
        """A frame (its names recorded by ``validate_data`` at ``fit``; at ``transform`` the
        caller compares them, in any order), or an array validated and turned into a frame with
        its positions (as strings) for column names."""
        if isinstance(X, pd.DataFrame):
            if reset:
                validate_data(self, X, skip_check_array=True)
            return X
        values = validate_data(
            self, X, reset=reset, dtype=np.float64, ensure_all_finite="allow-nan"
        )
        return pd.DataFrame(values, columns=[str(i) for i in range(values.shape[1])])

    def transform(self, X: Any) -> Any:
        check_is_fitted(self, "imputer_")
        frame = self._as_frame(X, reset=False)
        expected = self.names_in_
        given = [str(c) for c in frame.columns]
        if sorted(given) != sorted(expected):
            raise ValueError(
                "MultivariateImputer.transform: columns differ from those seen in fit "
                f"(missing: {sorted(set(expected) - set(given))}, "
                f"unexpected: {sorted(set(given) - set(expected))}); expected {expected}"
            )
        frame = frame.set_axis(given, axis=1)
        out = frame.loc[:, expected].copy()
        if self.columns_:
            filled = self.imputer_.transform(_context_values(frame, self.context_))
            for column in self.columns_:
                out[column] = filled[:, self.context_.index(column)]
        if isinstance(X, pd.DataFrame):
            return out.set_axis(list(X.columns[[given.index(c) for c in expected]]), axis=1)
        return out.to_numpy(dtype=np.float64)

    def get_feature_names_out(self, input_features: Any = None) -> NDArray[np.object_]:
        check_is_fitted(self, "imputer_")
        if hasattr(self, "feature_names_in_"):
            return np.asarray(list(self.feature_names_in_), dtype=object)
        return np.asarray([f"x{i}" for i in range(self.n_features_in_)], dtype=object)


def _context_values(frame: pd.DataFrame, context: list[str]) -> NDArray[np.float64]:
    """The context columns as a float array; no rows (or an infinite value) is refused."""
    values: NDArray[np.float64] = check_array(
        frame[context].to_numpy(dtype=np.float64, copy=True),
        ensure_all_finite="allow-nan",
        ensure_min_features=0,
        input_name="MultivariateImputer context",
    )
    return values


def missing_report(
    frame: pd.DataFrame,
    imputed_columns: list[str] | None = None,
    methods: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Missing values per column, and how many of them an imputer fills.

    Returns one row per column of ``frame`` (index ``column``, in frame order) with ``n_missing``,
    ``missing_rate`` (``n_missing / n_rows``; 0 for an empty frame), ``imputed`` (the column is in
    ``imputed_columns``; ``None`` means every column is imputed) and ``imputed_share`` (the share of
    the column's values that are imputed rather than observed: ``missing_rate`` when imputed,
    else 0), ``n_rows`` and ``method`` (the imputer of the column from ``methods``, e.g. from
    :func:`~cible.segmentation.transformers.imputation_methods`; ``"none"`` when not imputed,
    ``"imputed"`` when imputed without a known method). The input frame is not modified.
    """
    names = [str(c) for c in frame.columns]
    chosen = set(names) if imputed_columns is None else {str(c) for c in imputed_columns}
    unknown = sorted(chosen - set(names))
    if unknown:
        raise ValueError(f"missing_report: imputed_columns {unknown} are not columns of the frame")
    n_rows = len(frame)
    n_missing = frame.isna().sum(axis=0).to_numpy(dtype=np.int64)
    rate = n_missing / n_rows if n_rows else np.zeros(len(names))
    imputed = np.array([c in chosen for c in names], dtype=bool)
    report = pd.DataFrame(
        {
            "n_missing": n_missing,
            "missing_rate": rate.astype(np.float64),
            "imputed": imputed,
            "imputed_share": np.where(imputed, rate, 0.0).astype(np.float64),
            "n_rows": np.full(len(names), n_rows, dtype=np.int64),
            "method": [(methods or {}).get(c, "imputed") if c in chosen else "none" for c in names],
        },
        index=pd.Index(names, name="column"),
    )
    return report


def _writable_copy(X: Any) -> NDArray[np.float64]:
    return np.array(X, dtype=np.float64, copy=True)
