"""Files of a resolution shared by both routes (ingested customers, plain table).

``identity_model.json`` (the trained Fellegi-Sunter parameters, for incremental matching),
``identity_pairs.parquet`` (every scored candidate pair, ids and score only: what ``cible
calibrate`` re-clusters at each threshold) and ``review_sample.csv`` (pairs for a human to label:
personal data).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cible.config import DedupConfig
from cible.exceptions import DedupError, IdentityResolutionError
from cible.identity import FellegiSunter, MatchResult, export_review_sample

MODEL_FILE = "identity_model.json"
PAIRS_FILE = "identity_pairs.parquet"
PAIR_FILE_COLUMNS: tuple[str, ...] = ("record_id_l", "record_id_r", "score", "rule")


def model_to_dict(model: FellegiSunter) -> dict[str, Any]:
    """A fitted Fellegi-Sunter model as JSON-ready parameters (for incremental matching later)."""
    return {
        "params": {
            k: (list(v) if isinstance(v, tuple) else v) for k, v in model.get_params().items()
        },
        "m": [np.asarray(a).tolist() for a in model.m_],
        "u": [np.asarray(a).tolist() for a in model.u_],
        "lambda": float(model.lambda_),
        "n_iter": int(model.n_iter_),
        "converged": bool(model.converged_),
    }


def model_from_dict(data: dict[str, Any]) -> FellegiSunter:
    """The fitted model saved by :func:`model_to_dict`."""
    params = dict(data["params"])
    if params.get("n_levels") is not None:
        params["n_levels"] = tuple(params["n_levels"])
    model = FellegiSunter(**params)
    model.m_ = [np.asarray(a, dtype=float) for a in data["m"]]
    model.u_ = [np.asarray(a, dtype=float) for a in data["u"]]
    model.lambda_ = float(data["lambda"])
    model.n_iter_ = int(data["n_iter"])
    model.converged_ = bool(data["converged"])
    model.n_levels_ = tuple(len(a) for a in model.m_)
    model.n_features_in_ = len(model.m_)
    return model


def write_pairs(match: MatchResult, target: Path) -> None:
    """The scored candidate pairs (ids, score, rule) for ``cible calibrate``."""
    match.pairs[list(PAIR_FILE_COLUMNS)].to_parquet(target, index=False)


def write_review(
    config: DedupConfig,
    match: MatchResult,
    records: pd.DataFrame,
    path: Callable[[str], Path],
) -> None:
    """``review_sample.csv`` when ``review_sample`` is set: stratified over the score range, or
    the band around the threshold (``review_strategy``)."""
    if not config.review_sample:
        return
    stratified = config.review_strategy == "stratified"
    try:
        export_review_sample(
            match.pairs,
            records,
            path("review_sample.csv"),
            n=config.review_sample,
            threshold=None if stratified else match.threshold,
            width=config.review_width,
            bins=config.review_bins if stratified else None,
        )
    except IdentityResolutionError as e:
        raise DedupError(f"review sample: {e}") from e
