"""``cible experiment uplift``: uplift models from a randomised test, held-out evaluation, and the
audience of the customers with the highest expected incremental effect.

Writes ``uplift.json`` (the target model's held-out ``qini_coefficient`` and ``uplift_top_30``,
every model, the baseline and the difference), ``audience.csv`` (the members: customer id,
predicted uplift, rank), ``scores.csv`` (everyone scored) and ``uplift.html``.
Customers are identified by the ``unit`` column, or by ``row-<n>`` (1-based data row) without one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cible.config.experiments import UpliftConfig
from cible.exceptions import ExperimentError
from cible.experiments.cleaning import ROW, check_binary
from cible.experiments.uplift_run import UpliftResult, audience, design_matrix, fit_and_evaluate
from cible.services.experiment_data import read_columns
from cible.services.outputs import run_meta, staged, write_json


@dataclass(frozen=True)
class UpliftRun:
    result: UpliftResult
    rows_other_arms: int
    json_path: Path
    audience_path: Path


@dataclass(frozen=True, eq=False)
class UpliftData:
    """Everyone in the file (``ids``, design matrix ``x``) and the test rows (``used``: the
    treatment and control arms) with their outcome ``y`` and treatment flag ``t``."""

    ids: list[str]
    x: pd.DataFrame
    used: np.ndarray
    y: np.ndarray
    t: np.ndarray


def _check_numeric(frame: pd.DataFrame, columns: list[str], source: str) -> None:
    for c in columns:
        bad = frame[c].isna() | ~frame[c].map(lambda v: isinstance(v, int | float | np.number))
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            raise ExperimentError(
                f"{source} row {i + 1:,} column {c!r}: {frame[c].iloc[i]!r} is not a number"
            )


def load_uplift_data(cfg: UpliftConfig) -> UpliftData:
    """Read and check the columns of the ``uplift:`` section."""
    source = str(cfg.source.path)
    cols = [cfg.arm, cfg.outcome, *cfg.numeric, *cfg.categorical] + ([cfg.unit] if cfg.unit else [])
    frame = read_columns(cfg.source, cols)
    frame = frame.assign(**{ROW: np.arange(1, len(frame) + 1)})
    _check_numeric(frame, cfg.numeric, source)
    ids = frame[cfg.unit].astype(str).tolist() if cfg.unit else [f"row-{r}" for r in frame[ROW]]
    arms = frame[cfg.arm].astype(str)
    used = arms.isin([cfg.treatment, cfg.control]).to_numpy()
    for arm in (cfg.treatment, cfg.control):
        if not (arms == arm).any():
            raise ExperimentError(f"{source} column {cfg.arm!r}: no row with arm {arm!r}")
    check_binary(frame[used], [cfg.outcome], source)
    return UpliftData(
        ids=ids,
        x=design_matrix(frame, cfg.numeric, cfg.categorical),
        used=used,
        y=frame.loc[used, cfg.outcome].astype(int).to_numpy(),
        t=(arms[used] == cfg.treatment).astype(int).to_numpy(),
    )


def run_uplift(cfg: UpliftConfig, out_dir: Path) -> UpliftRun:
    from cible.reporting.uplift import render_uplift_report

    source = str(cfg.source.path)
    data = load_uplift_data(cfg)
    ids, x_all, used, y, t = data.ids, data.x, data.used, data.y, data.t
    specs: list[tuple[str, str]] = [(str(m.method), str(m.base)) for m in cfg.models]
    evaluations, fitted, (n_train, n_test, effect) = fit_and_evaluate(
        x_all[used], y, t, specs, test_size=cfg.test_size, seed=cfg.seed
    )
    aud, scores = audience(
        ids, fitted[cfg.target].predict(x_all.to_numpy(dtype=np.float64)), cfg.audience_fraction
    )
    result = UpliftResult(
        n_train, n_test, effect, evaluations, cfg.baseline, cfg.target, aud, scores
    )
    meta = run_meta(
        "uplift",
        source=Path(source).name,
        treatment=cfg.treatment,
        control=cfg.control,
        outcome=cfg.outcome,
    )
    with staged(out_dir) as path:
        body = result.to_dict()
        body["rows_other_arms"] = int((~used).sum())
        body["audience"]["file"] = "audience.csv"
        write_json(path("uplift.json"), {"meta": meta, **body})
        members = scores[scores["member"]].sort_values("rank")
        members[["customer_id", "predicted_uplift", "rank"]].to_csv(
            path("audience.csv"), index=False
        )
        scores.drop(columns="member").to_csv(path("scores.csv"), index=False)
        path("uplift.html").write_text(render_uplift_report(result, meta), encoding="utf-8")
    return UpliftRun(result, int((~used).sum()), out_dir / "uplift.json", out_dir / "audience.csv")
