"""The fitted preparation of a segment model as plain numpy operations, for live scoring.

scikit-learn validates its input at every step: a ``ColumnTransformer`` of 9 single-column
pipelines costs about 15 ms per call whatever the number of rows, which is most of the time of
a small batch in the live store. When the preparation is the usual shape -- a ``Pipeline`` of a
``ColumnTransformer`` (one column per pipeline of ``SimpleImputer``, :class:`Winsorizer`,
:class:`Log1pTransformer`, ``StandardScaler`` / ``MinMaxScaler`` / ``RobustScaler``), then the
:class:`~cible.segmentation.weighting.FeatureWeighter` -- :func:`compile_preparation` turns it into
the same floating-point operations, in the same order, on arrays of the same layout, using the
fitted attributes. The result is checked to be bit-for-bit equal to the fitted preparation on a
probe (missing, negative, zero, small, huge values) before it is used; any other shape, or any
difference, gives None and the fitted preparation runs as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

from cible.segmentation.transformers import Log1pTransformer, Winsorizer
from cible.segmentation.weighting import FeatureWeighter

Column = NDArray[np.float64]
Step = Callable[[Column], Column]
Prepare = Callable[[pd.DataFrame], NDArray[np.float64]]


def _imputer(step: SimpleImputer) -> Step | None:
    fill = np.asarray(step.statistics_, dtype=np.float64)
    missing = step.missing_values
    if step.add_indicator or fill.shape != (1,) or np.isnan(fill[0]):
        return None
    if not (isinstance(missing, float) and np.isnan(missing)):
        return None
    value = fill[0]

    def impute(x: Column) -> Column:
        out = x.copy()
        out[np.isnan(out)] = value
        return out

    return impute


def _scaler(step: Any) -> Step | None:
    if isinstance(step, StandardScaler):
        mean = step.mean_[0] if step.with_mean else None
        scale = step.scale_[0] if step.with_std else None
        return _shift_scale(mean, scale)
    if isinstance(step, RobustScaler):
        center = step.center_[0] if step.with_centering else None
        spread = step.scale_[0] if step.with_scaling else None
        return _shift_scale(center, spread)
    if isinstance(step, MinMaxScaler) and not step.clip:
        factor, offset = step.scale_[0], step.min_[0]
        return lambda x: x * factor + offset
    return None


def _shift_scale(shift: Any, scale: Any) -> Step:
    def apply(x: Column) -> Column:
        out = x if shift is None else x - shift
        return out if scale is None else out / scale

    return apply


def _step(step: Any) -> Step | None:
    if isinstance(step, SimpleImputer):
        return _imputer(step)
    if isinstance(step, Winsorizer):
        low, high = step.lower_bounds_[0], step.upper_bounds_[0]
        return lambda x: np.clip(x, low, high)
    if isinstance(step, Log1pTransformer):
        return lambda x: np.log1p(np.clip(x, 0.0, None))
    return _scaler(step)


def _column_steps(transformer: ColumnTransformer) -> list[tuple[str, list[Step]]] | None:
    """(input column, its steps) for every output column, in output order; None otherwise."""
    if transformer.remainder != "drop" or transformer.sparse_output_:
        return None
    out = []
    for _name, pipe, columns in transformer.transformers_:
        if pipe == "drop" or (isinstance(columns, list) and not columns):
            continue
        if not isinstance(pipe, Pipeline) or not isinstance(columns, list) or len(columns) != 1:
            return None
        steps = [_step(s) for _, s in pipe.steps if s != "passthrough"]
        if any(s is None for s in steps):
            return None
        out.append((str(columns[0]), [s for s in steps if s is not None]))
    return out


def _unwrap(prepare: Any) -> ColumnTransformer | None:
    while isinstance(prepare, Pipeline) and len(prepare.steps) == 1:
        prepare = prepare.steps[0][1]
    return prepare if isinstance(prepare, ColumnTransformer) else None


def _build(preparation: Any) -> Prepare | None:
    steps = getattr(preparation, "steps", None)
    if not steps or len(steps) != 2 or not isinstance(steps[1][1], FeatureWeighter):
        return None
    transformer = _unwrap(steps[0][1])
    plan = _column_steps(transformer) if transformer is not None else None
    if not plan:
        return None
    factors = np.asarray(steps[1][1].factors_, dtype=np.float64)
    if factors.shape != (len(plan),):
        return None

    def prepare(data: pd.DataFrame) -> NDArray[np.float64]:
        columns = []
        for name, column_steps in plan:
            x = np.ascontiguousarray(data[name].to_numpy(dtype=np.float64))
            for step in column_steps:
                x = step(x)
            columns.append(x)
        out: NDArray[np.float64] = np.column_stack(columns) * factors
        return out

    return prepare


def probe(columns: Sequence[str], rows: int = 257) -> pd.DataFrame:
    """Feature values that exercise every branch: missing, negative, zero, tiny, huge."""
    rng = np.random.default_rng(20240601)
    specials = np.array([np.nan, 0.0, -1.0, -0.5, 1e-12, 0.5, 1.0, 2.0, 1e6, 1e12, -1e6])
    values = np.exp(rng.normal(0.0, 3.0, size=(rows, len(columns))))
    values *= np.where(rng.random(values.shape) < 0.1, -1.0, 1.0)
    values[rng.random(values.shape) < 0.1] = np.nan
    values[: len(specials), :] = specials[:, None]
    return pd.DataFrame(values, columns=list(columns))


def compile_preparation(
    preparation: Any, columns: Sequence[str], reference: Prepare
) -> Prepare | None:
    """The numpy version of ``preparation`` (fed the DataFrame of ``columns``) when it equals
    ``reference`` (the fitted preparation's own output) bit for bit on :func:`probe`."""
    fast = _build(preparation)
    if fast is None:
        return None
    sample = probe(columns)
    try:
        same = np.array_equal(fast(sample), reference(sample), equal_nan=True)
    except (ValueError, TypeError, KeyError):
        return None
    return fast if same else None
