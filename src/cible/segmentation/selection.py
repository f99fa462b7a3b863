"""Automatic selection of a segmentation: a grid of algorithms and parameters, scored and gated.

Every candidate is fitted on the same seeded *fit sample* (at most ``selection.fit_sample`` rows;
algorithms assign the other rows with their ``predict``) and scored on the same seeded *score
sample* (at most ``silhouette_sample`` rows), so candidates are compared on equal terms and the
cost does not grow with the square of the number of customers.

Scores (noise points, label -1, are left out of the scores and counted in ``noise_share``):

- silhouette (higher is better, -1..1), Davies-Bouldin (lower is better, >= 0),
  Calinski-Harabasz (higher is better).

Gates (``segmentation.selection.gates``), all required for a candidate to be eligible:

- ``min_segment_share``: every segment holds at least this share of customers (default 2%);
- ``max_segments``: at most this many segments (default 12);
- ``max_noise_share``: at most this share of noise (density methods; default 20%);
- ``max_largest_share``: no segment above this share (default 60%).

The rule that picks the winner (:data:`SELECTION_RULE`): among eligible candidates, the highest
*noise-adjusted* silhouette (silhouette of the assigned customers x share assigned: a density
method cannot win by leaving the hard customers out); candidates within ``TIE_TOLERANCE`` of it are
tied, and the tie goes to the lowest noise share, the lowest Davies-Bouldin index, then fewer
segments. When no candidate passes every gate, the candidates failing the fewest gates are
considered instead, with the same rule, and the result says so.

With ``segmentation.forward.use_in_selection`` (:class:`ForwardPreference`, measured by
:mod:`cible.segmentation.forward` on the data before a holdout cutoff), ``tiebreak`` orders the
tied candidates by the ROC AUC of their segments on next-period purchase first, and ``gate`` adds
the gate ``forward_auc_at_least_rfm``: that AUC at least the RFM-quintile segmentation's, and
``best`` picks the highest AUC among the eligible candidates with no more segments than RFM's.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.base import BaseEstimator
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score
from threadpoolctl import threadpool_limits

from cible.config import GatesConfig, SegmentationConfig
from cible.cpu_threads import compute_threads
from cible.exceptions import SegmentationError
from cible.segmentation.selection_forward import ForwardPreference
from cible.segmentation.selection_mixed import (
    NumericColumns,
    inner,
    is_mixed,
    numeric_part,
    score_distances,
)
from cible.segmentation.selection_scores import (
    keep_diagnostics,
    scorable,
    silhouette_from_distances,
    silhouettes_from_distances,  # noqa: F401 (imported from here by callers and tests)
    with_silhouettes,
)

TIE_TOLERANCE = 0.01
#: Algorithms whose cost grows fast with n (mixtures, density, hierarchical trees) are fitted on a
#: seeded subsample of at most this many rows of the fit sample; every row is still assigned.
HEAVY_FIT_SAMPLE = 6_000
#: Gower k-medoids searches its medoids on at most this many rows (a 72 MB distance matrix)
GOWER_FIT_SAMPLE = 3_000
_HEAVY = frozenset({"gmm", "hdbscan", "dbscan"})
SELECTION_RULE = (
    "Among candidates passing every gate, the highest noise-adjusted silhouette wins (sampled "
    "silhouette of the assigned customers x share of customers assigned, so that leaving hard "
    f"customers as noise is not rewarded); candidates within {TIE_TOLERANCE} of it are tied and "
    "the tie goes to the lowest noise share, then the lowest Davies-Bouldin index, then fewer "
    "segments. If no candidate passes every gate, the candidates failing the fewest gates are "
    "ranked the same way."
)


@dataclass(frozen=True)
class Candidate:
    """One point of the grid: an algorithm and its parameters."""

    algorithm: str
    params: dict[str, Any]

    @property
    def name(self) -> str:
        inner = ", ".join(f"{k}={v}" for k, v in self.params.items() if k not in _HIDDEN_PARAMS)
        return f"{self.algorithm}({inner})"

    def build(self, random_state: int) -> BaseEstimator:
        from cible.segmentation.algorithms import ALGORITHMS

        cls = ALGORITHMS[self.algorithm]
        params = dict(self.params)
        if "random_state" in cls().get_params():
            params["random_state"] = random_state
        return cls(**params)


_HIDDEN_PARAMS = {"n_init", "max_fit_samples", "categorical"}


@dataclass(frozen=True)
class CandidateScore:
    candidate: Candidate
    n_segments: int
    noise_share: float
    largest_share: float
    smallest_share: float
    silhouette: float
    davies_bouldin: float
    calinski_harabasz: float
    gates: dict[str, bool]
    seconds: float
    error: str | None = None
    inertia: float = float("nan")

    @property
    def adjusted_silhouette(self) -> float:
        """Silhouette of the assigned customers times the share assigned (noise costs)."""
        return self.silhouette * (1.0 - self.noise_share)

    @property
    def passed(self) -> bool:
        return self.error is None and all(self.gates.values())

    @property
    def failed_gates(self) -> int:
        return sum(not ok for ok in self.gates.values()) + (1 if self.error else 0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.candidate.name,
            "algorithm": self.candidate.algorithm,
            "params": {k: _plain(v) for k, v in self.candidate.params.items()},
            "n_segments": self.n_segments,
            "noise_share": _num(self.noise_share),
            "largest_share": _num(self.largest_share),
            "smallest_share": _num(self.smallest_share),
            "silhouette": _num(self.silhouette),
            "noise_adjusted_silhouette": _num(self.adjusted_silhouette),
            "davies_bouldin": _num(self.davies_bouldin),
            "calinski_harabasz": _num(self.calinski_harabasz),
            "gates": self.gates,
            "passed_all_gates": self.passed,
            "inertia": _num(self.inertia),
            "seconds": round(self.seconds, 3),
            "error": self.error,
        }


@dataclass(frozen=True)
class SelectionResult:
    """Every candidate with its scores and gates, the winner, and its labels for all rows."""

    candidates: list[CandidateScore]
    chosen: CandidateScore
    labels: NDArray[np.int64]
    estimator: BaseEstimator
    n_rows: int
    fit_sample: int
    score_sample: int
    fallback: bool = False
    extras: dict[str, Any] = field(default_factory=dict)
    forward: ForwardPreference | None = None

    def to_dict(self) -> dict[str, Any]:
        """The content of ``selection.json`` (with ``forward`` when the selection used it)."""
        forward = {"forward": self.forward.to_dict()} if self.forward is not None else {}
        return {
            "rule": SELECTION_RULE,
            **forward,
            "chosen": self.chosen.candidate.name,
            "chosen_passed_all_gates": self.chosen.passed,
            "fallback_no_candidate_passed": self.fallback,
            "rows": self.n_rows,
            "fit_sample": self.fit_sample,
            "score_sample": self.score_sample,
            "candidates": [{**c.to_dict(), "chosen": c is self.chosen} for c in self.candidates],
        }


def _num(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 6)


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, tuple):
        return list(v)
    return v


def candidate_grid(
    config: SegmentationConfig, n_rows: int, categorical: tuple[int, ...] = ()
) -> list[Candidate]:
    """The candidates tried for ``config.selection.algorithms`` on ``n_rows`` customers."""
    sel = config.selection
    ks = [k for k in range(config.k_min, config.k_max + 1) if k < n_rows]
    fit_n = min(n_rows, sel.fit_sample)
    grid: list[Candidate] = []
    for algo in sel.algorithms:
        if algo == "kmeans":
            grid += [Candidate("kmeans", {"n_clusters": k, "n_init": config.n_init}) for k in ks]
        elif algo == "gmm":
            grid += [Candidate("gmm", {"n_components": k}) for k in ks]
        elif algo == "agglomerative":
            grid += [
                Candidate(
                    "agglomerative",
                    {
                        "n_clusters": k,
                        "linkage": "ward",
                        "max_fit_samples": min(fit_n, HEAVY_FIT_SAMPLE),
                    },
                )
                for k in ks
            ]
        elif algo == "hdbscan":
            sizes = sorted({max(10, int(fit_n * s)) for s in (0.02, 0.05)})
            grid += [
                Candidate("hdbscan", {"min_cluster_size": m, "min_samples": 10}) for m in sizes
            ]
        elif algo == "dbscan":
            grid += [Candidate("dbscan", {"min_samples": m}) for m in (10, 25)]
        elif is_mixed(algo) and categorical:
            extra = {"max_fit_samples": min(fit_n, GOWER_FIT_SAMPLE)} if algo == "gower" else {}
            grid += [
                Candidate(algo, {"n_clusters": k, "categorical": categorical, **extra}) for k in ks
            ]
    return grid


def evaluate(
    labels: NDArray[np.int64],
    X_score: NDArray[np.float64],
    score_idx: NDArray[np.intp],
    gates: GatesConfig,
    distances: NDArray[np.float64] | None = None,
    *,
    with_silhouette: bool = True,
) -> dict[str, Any]:
    """Shares over all rows, quality scores on the score sample (noise left out).

    ``distances``: the pairwise distances of ``X_score``, computed once for every candidate;
    ``with_silhouette=False`` leaves the silhouette NaN (the selection computes the silhouettes
    of every candidate together, :func:`silhouettes_from_distances`).
    """
    n = len(labels)
    noise = labels < 0
    clustered = labels[~noise]
    sizes = np.bincount(clustered) if clustered.size else np.zeros(0, dtype=np.int64)
    sizes = sizes[sizes > 0]
    k = len(sizes)
    shares = sizes / n if n else sizes
    sil = db = ch = float("nan")
    scored = scorable(labels, score_idx)
    if scored is not None:
        keep, ls = scored
        xs = X_score[keep]
        if distances is None:
            sil = float(silhouette_score(xs, ls)) if with_silhouette else sil
        else:
            sil = silhouette_from_distances(distances, keep, ls) if with_silhouette else sil
        if xs.shape[1]:  # no numeric column (every feature categorical): no centroid scores
            db = float(davies_bouldin_score(xs, ls))
            ch = float(calinski_harabasz_score(xs, ls))
    largest = float(shares.max()) if k else 1.0
    smallest = float(shares.min()) if k else 0.0
    return {
        "n_segments": k,
        "noise_share": float(noise.mean()) if n else 0.0,
        "largest_share": largest,
        "smallest_share": smallest,
        "silhouette": sil,
        "davies_bouldin": db,
        "calinski_harabasz": ch,
        "gates": {
            "at_least_2_segments": k >= 2,
            "min_segment_share": k > 0 and smallest >= gates.min_segment_share,
            "max_segments": k <= gates.max_segments,
            "max_noise_share": float(noise.mean()) <= gates.max_noise_share if n else True,
            "max_largest_share": largest <= gates.max_largest_share,
        },
    }


def _rank_key(
    c: CandidateScore, best: float, forward: ForwardPreference | None = None
) -> tuple[bool, float, float, float, float, int]:
    """Smaller is better: tied with the best adjusted silhouette first, then (``tiebreak``) the
    higher forward AUC (unmeasured last), less noise, lower Davies-Bouldin, fewer segments
    (candidates outside the tie are ordered by adjusted silhouette)."""
    tied = c.adjusted_silhouette >= best - TIE_TOLERANCE
    auc = forward.auc_of(c.candidate) if forward and forward.mode == "tiebreak" else 0.0
    return (
        not tied,
        0.0 if tied else -c.adjusted_silhouette,
        (math.inf if math.isnan(auc) else -auc) if tied else 0.0,
        c.noise_share,
        c.davies_bouldin,
        c.n_segments,
    )


def choose(
    scores: list[CandidateScore], forward: ForwardPreference | None = None
) -> tuple[CandidateScore, bool]:
    """Apply :data:`SELECTION_RULE` (and the ``forward`` tie-break); returns the winner and
    whether the fallback was used. A ``gate`` preference is already in the scores' gates."""
    usable = [c for c in scores if c.error is None and np.isfinite(c.silhouette)]
    if not usable:
        raise SegmentationError("no candidate segmentation could be scored (see selection.json)")
    eligible = [c for c in usable if c.passed]
    fallback = not eligible
    if fallback:
        fewest = min(c.failed_gates for c in usable)
        eligible = [c for c in usable if c.failed_gates == fewest]
    best = max(c.adjusted_silhouette for c in eligible)
    winner = min(eligible, key=lambda c: _rank_key(c, best, forward))
    if forward is not None and not fallback:  # ``best``: the forward AUC decides
        winner = forward.prefer(eligible, winner, lambda c: _rank_key(c, best))
    return winner, fallback


def _sample(n: int, size: int, rng: np.random.Generator) -> NDArray[np.intp]:
    if n <= size:
        return np.arange(n)
    return np.sort(rng.choice(n, size=size, replace=False))


def _fit_candidate(
    cand: Candidate,
    X_fit: NDArray[np.float64],
    trees: dict[tuple[Any, ...], BaseEstimator],
    random_state: int,
    categorical: tuple[int, ...] = (),
) -> BaseEstimator:
    if categorical and not is_mixed(cand.algorithm):  # numeric algorithms: numeric columns
        fitted = _fit_candidate(cand, numeric_part(X_fit, categorical), trees, random_state)
        return NumericColumns.wrap(fitted, categorical)
    if cand.algorithm in _HEAVY and X_fit.shape[0] > HEAVY_FIT_SAMPLE:
        rng = np.random.default_rng(random_state)
        X_fit = X_fit[np.sort(rng.choice(X_fit.shape[0], size=HEAVY_FIT_SAMPLE, replace=False))]
    if cand.algorithm == "agglomerative":
        key = (cand.params.get("linkage"), cand.params.get("max_fit_samples"))
        if key in trees:
            return trees[key].recut(int(cand.params["n_clusters"]), X_fit)
        est = cand.build(random_state).fit(X_fit)
        trees[key] = est
        return est
    return cand.build(random_state).fit(X_fit)


def fit_labels(
    cand: Candidate,
    X: NDArray[np.float64],
    config: SegmentationConfig,
    categorical: tuple[int, ...] = (),
) -> NDArray[np.int64]:
    """Fit ``cand`` on ``X`` as the selection does (same seeded fit sample) and label every row,
    without scoring it."""
    fit_idx = _sample(
        X.shape[0], config.selection.fit_sample, np.random.default_rng(config.random_state)
    )
    with threadpool_limits(limits=1, user_api="blas"):
        est = _fit_candidate(cand, X[fit_idx], {}, config.random_state, categorical)
        fitted_rows = len(getattr(est, "labels_", ()))
        raw = est.labels_ if fitted_rows == X.shape[0] == len(fit_idx) else est.predict(X)
    return np.asarray(raw, dtype=np.int64)


def _run_candidate(
    cand: Candidate,
    X: NDArray[np.float64],
    X_fit: NDArray[np.float64],
    fit_idx: NDArray[np.intp],
    X_score: NDArray[np.float64],
    score_idx: NDArray[np.intp],
    distances: NDArray[np.float64],
    trees: dict[tuple[Any, ...], BaseEstimator],
    config: SegmentationConfig,
    with_silhouette: bool = True,
    categorical: tuple[int, ...] = (),
) -> tuple[CandidateScore, BaseEstimator | None, NDArray[np.int64] | None]:
    """Fit one candidate, label every row, score it (the silhouette too unless
    ``with_silhouette`` is false); a candidate that cannot fit is reported."""
    n = X.shape[0]
    t0 = time.perf_counter()
    est: BaseEstimator | None
    labels: NDArray[np.int64] | None
    try:
        est = _fit_candidate(cand, X_fit, trees, config.random_state, categorical)
        fitted_rows = len(getattr(est, "labels_", ()))
        raw = est.labels_ if fitted_rows == n == len(fit_idx) else est.predict(X)
        labels = np.asarray(raw, dtype=np.int64)
        gates = config.selection.gates
        ev = evaluate(labels, X_score, score_idx, gates, distances, with_silhouette=with_silhouette)
        err = None
    except (ValueError, MemoryError) as e:
        ev = evaluate(np.full(n, -1, dtype=np.int64), X_score, score_idx, config.selection.gates)
        err, est, labels = f"{type(e).__name__}: {e}", None, None
    score = CandidateScore(
        cand,
        seconds=time.perf_counter() - t0,
        error=err,
        inertia=float(getattr(inner(est), "inertia_", float("nan"))),
        **ev,
    )
    return score, est, labels


def _selection_samples(
    X: NDArray[np.float64], config: SegmentationConfig, categorical: tuple[int, ...]
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64], NDArray[np.float64]]:
    """The seeded fit and score samples of the selection, the numeric part of the score rows and
    their distance matrix (Gower when some features are categorical)."""
    if X.shape[0] < config.k_min + 1:
        n, need = X.shape[0], config.k_min + 1
        raise SegmentationError(f"selection needs at least {need} rows, got {n:,}")
    rng = np.random.default_rng(config.random_state)
    fit_idx = _sample(X.shape[0], config.selection.fit_sample, rng)
    score_idx = _sample(X.shape[0], config.silhouette_sample, rng)
    X_score = numeric_part(X, categorical)[score_idx]
    return fit_idx, score_idx, X_score, score_distances(X, score_idx, categorical)


def select_segmentation(
    X: NDArray[np.float64],
    config: SegmentationConfig,
    *,
    categorical: tuple[int, ...] = (),
    on_candidate: Callable[[Candidate], None] | None = None,
    candidates: Sequence[Candidate] | None = None,
    on_labels: Callable[[CandidateScore, NDArray[np.int64]], None] | None = None,
    forward: ForwardPreference | None = None,
) -> SelectionResult:
    """Fit and score every candidate of the grid (or of ``candidates``) on ``X`` (rows =
    customers, prepared features); ``on_labels`` receives each fitted candidate's labels;
    ``forward`` is used as a tie-break or gate (module docstring)."""
    fit_idx, score_idx, X_score, distances = _selection_samples(X, config, categorical)
    scores: list[CandidateScore] = []
    fitted: dict[int, tuple[BaseEstimator, NDArray[np.int64]]] = {}  # by position in scores
    trees: dict[tuple[Any, ...], BaseEstimator] = {}  # one agglomerative tree serves every k
    X_fit = X[fit_idx]
    extras: dict[str, Any] = {"bic": []}
    grid = candidate_grid(config, len(X), categorical) if candidates is None else list(candidates)
    for cand in grid:
        # BLAS on one thread, OpenMP (k-means) within the share of the machine cible takes
        with threadpool_limits(limits={"blas": 1, "openmp": compute_threads()}):
            score, est, labels = _run_candidate(
                cand,
                X,
                X_fit,
                fit_idx,
                X_score,
                score_idx,
                distances,
                trees,
                config,
                False,
                categorical,
            )
        score = forward.gated(score) if forward is not None else score
        scores.append(score)
        if est is not None and labels is not None:
            fitted[len(scores) - 1] = (est, labels)
            keep_diagnostics(extras, cand, est, numeric_part(X_fit, categorical))
            if on_labels is not None:
                on_labels(score, labels)
        if on_candidate is not None:
            on_candidate(cand)
    scores = with_silhouettes(scores, fitted, score_idx, distances)
    chosen, fallback = choose(scores, forward)
    est, labels = fitted[next(i for i, c in enumerate(scores) if c is chosen)]
    return SelectionResult(
        candidates=scores,
        chosen=chosen,
        labels=labels,
        estimator=est,
        n_rows=len(X),
        fit_sample=len(fit_idx),
        score_sample=len(score_idx),
        fallback=fallback,
        extras=extras,
        forward=forward,
    )
