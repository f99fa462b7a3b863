"""Calibrate the match threshold from a labelled review sample.

For each threshold ``t`` of a grid, a pair counts as predicted "same person" when
``score >= t``; precision, recall and F1 are measured against the reviewer's labels. Recall is
relative to the pairs labelled 1 *in the sample*: true duplicates scored outside the sampled band
are not counted, so it is not the recall over all duplicates. The suggested threshold maximises
F1; ties go to the higher precision, and thresholds that still tie (they give the same
predictions, a run of the grid between two labelled scores) are resolved by the middle of the
run, as far as possible from the labelled scores on either side.

With the candidate pairs of the run (``pairs``: ``identity_pairs.parquet``), every threshold is
also judged on entities after transitive closure (:mod:`~cible.identity.closure_calibration`):
the labelled pairs by whether their records end in one entity, and, with a ``truth``, pairwise
and exact-cluster F1 over all records. The suggested threshold then maximises the entity-level F1
(``pairwise_f1`` with a truth, else ``closure_f1``), the level users judge; the pair-level
suggestion stays in ``suggested_pair_threshold``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cible.exceptions import ReviewFileError
from cible.identity.closure_calibration import ClosureGrid
from cible.identity.clustering import ClusteringRule

RECALL_NOTE = (
    "recall is relative to the pairs labelled 1 in the review sample; duplicates scored outside "
    "the sampled band are not counted"
)
DEFAULT_GRID: tuple[float, ...] = tuple(round(i / 100, 2) for i in range(101))
GRID_COLUMNS: tuple[str, ...] = ("threshold", "tp", "fp", "fn", "tn", "precision", "recall", "f1")


def _num(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


@dataclass(frozen=True)
class CalibrationReport:
    """Precision / recall / F1 of a threshold grid on a labelled sample, and the suggestion."""

    source: str
    n_rows: int
    n_labelled: int
    n_unlabelled: int
    n_positive: int
    n_negative: int
    grid: pd.DataFrame  # GRID_COLUMNS, one row per threshold
    suggested_threshold: float | None  # None when no pair is labelled 1
    scores: np.ndarray = field(repr=False)  # scores of the labelled pairs
    labels: np.ndarray = field(repr=False)  # their labels (1 same person, 0 different)
    current_threshold: float | None = None
    note: str = RECALL_NOTE
    score_range: tuple[float, float] = field(default=(math.nan, math.nan))
    closure: pd.DataFrame | None = None  # one row per threshold, entity-level metrics
    suggested_pair_threshold: float | None = None
    basis: str = "pairs"  # what the suggestion maximises: pairs, closure_f1 or pairwise_f1
    closure_grid: ClosureGrid | None = field(default=None, repr=False)

    def at(self, threshold: float) -> dict[str, float | int | None]:
        """Counts and metrics at ``threshold`` (any value, not only grid points), with the
        entity-level ones when the candidate pairs were given."""
        out = metrics_at(self.scores, self.labels, threshold)
        if self.closure_grid is not None:
            out |= {k: _json(v) for k, v in self.closure_grid.at(threshold).items()}
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: NaN becomes ``None``."""
        rows = [
            {c: (_num(v) if isinstance(v, float) else int(v)) for c, v in row.items()}
            for row in self.grid[list(GRID_COLUMNS)].to_dict(orient="records")
        ]
        return {
            "source": self.source,
            "rows": self.n_rows,
            "labelled": self.n_labelled,
            "unlabelled": self.n_unlabelled,
            "positive": self.n_positive,
            "negative": self.n_negative,
            "score_range": [_num(self.score_range[0]), _num(self.score_range[1])],
            "note": self.note,
            "suggested_threshold": self.suggested_threshold,
            "at_suggested": None
            if self.suggested_threshold is None
            else self.at(self.suggested_threshold),
            "current_threshold": self.current_threshold,
            "at_current": None
            if self.current_threshold is None
            else self.at(self.current_threshold),
            "suggested_pair_threshold": self.suggested_pair_threshold,
            "suggestion_basis": self.basis,
            "grid": rows,
            "closure_grid": None if self.closure is None else _records(self.closure),
            "clustering": None
            if self.closure_grid is None
            else self.closure_grid.clustering.as_dict(),
        }


def _json(value: object) -> object:
    if isinstance(value, float | np.floating):
        return _num(float(value))
    if isinstance(value, np.integer):
        return int(value)
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    return [{str(c): _json(v) for c, v in row.items()} for row in frame.to_dict(orient="records")]


def metrics_at(scores: np.ndarray, labels: np.ndarray, threshold: float) -> dict[str, Any]:
    """Confusion counts, precision, recall and F1 (``None`` when undefined) at ``threshold``."""
    predicted = scores >= threshold
    tp = int(np.sum(predicted & (labels == 1)))
    fp = int(np.sum(predicted & (labels == 0)))
    fn = int(np.sum(~predicted & (labels == 1)))
    tn = int(np.sum(~predicted & (labels == 0)))
    precision = tp / (tp + fp) if tp + fp else math.nan
    recall = tp / (tp + fn) if tp + fn else math.nan
    f1 = math.nan if tp + fn == 0 else 2 * tp / (2 * tp + fp + fn)
    return {
        "threshold": float(threshold),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "precision": _num(precision),
        "recall": _num(recall),
        "f1": _num(f1),
    }


def _read(reviewed: Path | str | pd.DataFrame) -> tuple[pd.DataFrame, str, int]:
    """The frame, its name for messages, and the offset from position to the reported row."""
    if isinstance(reviewed, pd.DataFrame):
        return reviewed, "reviewed sample", 0
    path = Path(reviewed)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError as e:
        raise ReviewFileError(f"reviewed sample {path} does not exist") from e
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise ReviewFileError(f"reviewed sample {path} is not a readable CSV: {e}") from e
    return frame, path.name, 2  # line 1 is the header


def _label(value: object) -> int | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool):
        return int(value)
    text = str(value).strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        return -1
    return int(number) if number in (0.0, 1.0) else -1


def _parse(frame: pd.DataFrame, name: str, offset: int) -> tuple[np.ndarray, np.ndarray, int]:
    scores, labels, n_rows, _ = _parse_rows(frame, name, offset)
    return scores, labels, n_rows


def _parse_rows(
    frame: pd.DataFrame, name: str, offset: int
) -> tuple[np.ndarray, np.ndarray, int, np.ndarray]:
    missing = [c for c in ("score", "label") if c not in frame.columns]
    if missing:
        raise ReviewFileError(
            f"{name} has no column(s) {missing}; it needs 'score' and 'label' "
            f"(columns found: {list(frame.columns)})"
        )
    where = "line" if offset else "row"
    labels = np.array([_label(v) for v in frame["label"].tolist()], dtype=object)
    labelled = np.array([v is not None for v in labels], dtype=bool)
    bad = np.flatnonzero(labelled & (labels == -1))
    if len(bad):
        raise ReviewFileError(
            f"{name} {where} {bad[0] + offset}: label {frame['label'].iloc[bad[0]]!r} is not 0 or "
            "1 (1 = same person, 0 = different; leave it empty to skip the pair)"
        )
    scores = pd.to_numeric(frame["score"], errors="coerce").to_numpy(dtype="float64")
    out = np.flatnonzero(labelled & ~((scores >= 0.0) & (scores <= 1.0)))  # NaN is out too
    if len(out):
        raise ReviewFileError(
            f"{name} {where} {out[0] + offset}: score {frame['score'].iloc[out[0]]!r} is not a "
            "number in [0, 1]"
        )
    return scores[labelled], labels[labelled].astype(np.int64), len(frame), labelled


def _suggest(
    grid: pd.DataFrame, f1_column: str = "f1", precision_column: str = "precision"
) -> float | None:
    f1 = grid[f1_column].to_numpy(dtype="float64")
    if np.all(np.isnan(f1)):
        return None
    best = grid[np.isclose(f1, np.nanmax(f1), rtol=0, atol=1e-12)]
    precision = best[precision_column].to_numpy(dtype="float64")
    if not np.all(np.isnan(precision)):
        best = best[np.isclose(precision, np.nanmax(precision), rtol=0, atol=1e-12)]
    thresholds = np.sort(best["threshold"].to_numpy(dtype="float64"))
    return float(thresholds[(len(thresholds) - 1) // 2])


def calibrate(
    reviewed: Path | str | pd.DataFrame,
    *,
    thresholds: Sequence[float] = DEFAULT_GRID,
    current_threshold: float | None = None,
    pairs: pd.DataFrame | None = None,
    truth: pd.Series | None = None,
    clustering: ClusteringRule | None = None,
) -> CalibrationReport:
    """Read a labelled review sample (the CSV of
    :func:`~cible.identity.review.export_review_sample`, or a frame with ``score`` and
    ``label``) and measure each threshold of ``thresholds``. Unlabelled rows are ignored and
    counted; a label other than 0/1 or a bad score raises :class:`ReviewFileError` naming the row.
    With ``pairs`` (every scored candidate pair of the run) thresholds are also judged on
    entities after transitive closure, and with ``truth`` (record id -> true entity) on all
    record pairs and exact clusters (see the module). ``clustering`` is how the run made
    entities (``dedup.json``'s ``matcher.clustering``; connected components when not given):
    the entities are re-made the same way at every threshold.
    """
    if not len(thresholds):
        raise ReviewFileError("thresholds is empty: give the grid of thresholds to measure")
    frame, name, offset = _read(reviewed)
    scores, labels, n_rows, labelled = _parse_rows(frame, name, offset)
    if not len(labels):
        raise ReviewFileError(
            f"{name}: none of its {n_rows} rows is labelled; write 1 (same person) or 0 "
            "(different) in the 'label' column"
        )
    grid = pd.DataFrame([metrics_at(scores, labels, t) for t in thresholds])
    grid = grid.astype({"precision": "float64", "recall": "float64", "f1": "float64"})
    pair_suggestion = _suggest(grid)
    closure, closure_grid, suggested, basis = None, None, pair_suggestion, "pairs"
    if pairs is not None:
        closure_grid = _closure_grid(frame[labelled], name, labels, pairs, truth, clustering)
        closure = closure_grid.grid(thresholds)
        basis = "pairwise_f1" if truth is not None else "closure_f1"
        precision = "pairwise_precision" if truth is not None else "closure_precision"
        suggested = _suggest(closure, basis, precision)
    return CalibrationReport(
        source=name,
        n_rows=n_rows,
        n_labelled=len(labels),
        n_unlabelled=n_rows - len(labels),
        n_positive=int((labels == 1).sum()),
        n_negative=int((labels == 0).sum()),
        grid=grid[list(GRID_COLUMNS)],
        suggested_threshold=suggested,
        scores=scores,
        labels=labels,
        current_threshold=current_threshold,
        score_range=(float(scores.min()), float(scores.max())),
        closure=closure,
        suggested_pair_threshold=pair_suggestion,
        basis=basis,
        closure_grid=closure_grid,
    )


def _closure_grid(
    rows: pd.DataFrame,
    name: str,
    labels: np.ndarray,
    pairs: pd.DataFrame,
    truth: pd.Series | None,
    clustering: ClusteringRule | None = None,
) -> ClosureGrid:
    missing = [c for c in ("record_id_l", "record_id_r") if c not in rows.columns]
    if missing:
        raise ReviewFileError(
            f"{name} has no column(s) {missing}: judging thresholds on entities needs the ids "
            "of both records of each labelled pair"
        )
    labelled = rows[["record_id_l", "record_id_r"]].assign(label=labels)
    if "weight" in rows.columns:
        weight = pd.to_numeric(rows["weight"], errors="coerce")
        if weight.isna().any() or (weight <= 0).any():
            bad = int(np.flatnonzero((weight.isna() | (weight <= 0)).to_numpy())[0])
            raise ReviewFileError(
                f"{name}: weight '{rows['weight'].iloc[bad]}' of labelled pair {bad + 1} is not "
                "a positive number"
            )
        labelled = labelled.assign(weight=weight.to_numpy())
    return ClosureGrid(pairs, labelled, truth, clustering)
