"""Turning a feature table into model inputs: typed columns, imputation, scaling, encoding.

Numeric columns: median imputation with a missing-value indicator, then standardisation for the
models that need it (logistic regression, MLP); trees see the original units, so that a decision
tree's rules read ``recency_days <= 45.5``. Text/categorical columns: missing becomes its own
category, then one-hot encoding with rare categories (< ``MIN_CATEGORY_COUNT`` rows) pooled and
unseen categories mapped to that pool.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.feature_selection import RFE
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from cible.config.predict import FeatureSelectionConfig

MIN_CATEGORY_COUNT = 10


def is_numeric(s: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s))


def model_frame(X: pd.DataFrame) -> pd.DataFrame:
    """A copy with numeric columns as float64, booleans as 0/1 and every other column as text
    (object dtype, NaN for missing), the types the preprocessing expects."""
    out = {}
    for col in X.columns:
        s = X[col]
        if pd.api.types.is_bool_dtype(s) or is_numeric(s):
            out[col] = s.astype("float64")
        else:
            text = s.astype("string")
            out[col] = pd.Series(
                np.where(text.isna(), np.nan, text.astype(object)), index=X.index, dtype=object
            )
    return pd.DataFrame(out, index=X.index, columns=X.columns)


def make_preprocessor(X: pd.DataFrame, *, scaled: bool) -> ColumnTransformer:
    """The column transformer for ``X`` (a :func:`model_frame`)."""
    numeric = [str(c) for c in X.columns if is_numeric(X[c])]
    categorical = [str(c) for c in X.columns if str(c) not in set(numeric)]
    num_steps: list[object] = [SimpleImputer(strategy="median", add_indicator=True)]
    if scaled:
        num_steps.append(StandardScaler())
    cat = make_pipeline(
        SimpleImputer(strategy="constant", fill_value="(missing)"),
        OneHotEncoder(
            handle_unknown="infrequent_if_exist",
            min_frequency=MIN_CATEGORY_COUNT,
            sparse_output=False,
        ),
    )
    transformers = []
    if numeric:
        transformers.append(("num", make_pipeline(*num_steps), numeric))
    if categorical:
        transformers.append(("cat", cat, categorical))
    return ColumnTransformer(transformers, verbose_feature_names_out=False)


def make_selector(cfg: FeatureSelectionConfig, seed: int) -> RFE:
    """Recursive feature elimination ranked by a standardised logistic regression's coefficients;
    the selected columns keep their own units for the model after it."""
    ranker = Pipeline(
        [
            ("scale", StandardScaler()),
            ("lr", LogisticRegression(max_iter=2_000, class_weight="balanced", random_state=seed)),
        ]
    )
    return RFE(
        ranker,
        n_features_to_select=cfg.n_features,
        step=cfg.step,
        importance_getter="named_steps.lr.coef_",
    )


def make_pipeline_for(
    X: pd.DataFrame,
    model: object,
    *,
    scaled: bool,
    selection: FeatureSelectionConfig | None,
    seed: int,
) -> Pipeline:
    """``prep -> [select] -> model``: the step names the search and the explanations rely on."""
    steps: list[tuple[str, object]] = [("prep", make_preprocessor(X, scaled=scaled))]
    if selection is not None:
        steps.append(("select", make_selector(selection, seed)))
    steps.append(("model", model))
    return Pipeline(steps)
