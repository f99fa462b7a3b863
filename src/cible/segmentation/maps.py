"""Two-dimensional maps of the customers: PCA, t-SNE, UMAP and a small autoencoder.

Every map is drawn for a seeded random sample of at most ``sample`` rows of the prepared matrix
``X`` (the scaled, weighted features the clustering used); results carry the sample's row indices
so that callers can attach customer ids and segments. The same ``random_state`` and ``sample``
give the same rows as :func:`cible.segmentation.customer_segments.segment_customers`'s PCA map
(``numpy.random.default_rng(random_state).choice``, sorted).

* :func:`pca_summary`: how many principal components reach a share of the variance, their
  loadings, and the first two components as map coordinates (linear, fast, faithful to global
  distances).
* :func:`tsne_map`: t-SNE (openTSNE, PCA initialisation): keeps neighbourhoods, not distances;
  cluster sizes and gaps on the map mean little. At most ``TSNE_FIT_SAMPLE`` rows are embedded,
  the rest of the sample is placed at the median of its nearest embedded neighbours.
* :func:`umap_map`: UMAP, from the optional ``umap-learn`` package (extra ``maps``).
* :func:`autoencoder_map`: a small tanh autoencoder ``X -> hidden -> 2 -> hidden -> X`` fitted
  with scikit-learn's :class:`~sklearn.neural_network.MLPRegressor`; the map is the 2-unit code
  layer, computed by a forward pass through the encoder weights. A non-linear PCA, with its
  reconstruction R² as a measure of what the two dimensions keep.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from openTSNE import TSNE
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.neural_network import MLPRegressor

from cible.exceptions import OptionalDependencyError

MAP_SAMPLE = 5000
#: t-SNE embeds at most this many rows of the map sample; the others are placed by neighbours.
TSNE_FIT_SAMPLE = 1000
PLACE_NEIGHBOURS = 10
#: each t-SNE phase (early exaggeration, then the final one; at most openTSNE's 250 and 500
#: iterations) stops once :data:`TSNE_CHECK_EVERY` iterations change the KL divergence by less
#: than this share of it (a plateau: on the demo and Online Retail, after 225-300 of the 500
#: final iterations, the KL then within 4% of its value at 500)
TSNE_TOLERANCE = 0.005
TSNE_CHECK_EVERY = 25


@dataclass(frozen=True, eq=False)
class MapResult:
    """2-D coordinates of a sample of rows.

    ``coords``: ``(len(sample_indices), 2)``; ``sample_indices``: sorted row indices into ``X``;
    ``params``: the settings used. The arrays are not to be modified.
    """

    method: str
    coords: NDArray[np.float64]
    sample_indices: NDArray[np.intp]
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self, include_coords: bool = True) -> dict[str, Any]:
        """JSON-ready plain types; ``include_coords=False`` leaves out the per-row arrays."""
        out: dict[str, Any] = {"method": self.method, "n_sample": len(self.sample_indices)}
        out["params"] = dict(self.params)
        if include_coords:
            out["sample_indices"] = [int(i) for i in self.sample_indices]
            out["coords"] = [[float(a), float(b)] for a, b in self.coords]
        return out


@dataclass(frozen=True, eq=False)
class AutoencoderMapResult(MapResult):
    """A :class:`MapResult` with the autoencoder's fit.

    ``reconstruction_r2``: variance-weighted R² of ``X`` rebuilt from the 2-D codes (on the
    sample); ``n_iter``: epochs run; ``converged``: stopped before ``max_iter``.
    """

    reconstruction_r2: float = float("nan")
    n_iter: int = 0
    converged: bool = False

    def to_dict(self, include_coords: bool = True) -> dict[str, Any]:
        """JSON-ready plain types."""
        out = super().to_dict(include_coords)
        out.update(
            reconstruction_r2=self.reconstruction_r2, n_iter=self.n_iter, converged=self.converged
        )
        return out


@dataclass(frozen=True, eq=False)
class PCAResult(MapResult):
    """Principal components reaching ``variance`` of the total, plus a 2-D map.

    ``n_components``: components kept; ``explained_variance_ratio`` and ``cumulative``: per kept
    component; ``loadings``: features (index) x ``PC1..PCk`` (columns), the unit-length weights
    of each feature in each component (scikit-learn's ``components_``, transposed); ``coords``:
    the first two components of the sampled rows (the second is 0 with a single feature);
    ``model``: the fitted :class:`~sklearn.decomposition.PCA`, so that PCA is fitted once per run.
    """

    variance: float = 0.95
    n_components: int = 0
    explained_variance_ratio: tuple[float, ...] = ()
    cumulative: tuple[float, ...] = ()
    loadings: pd.DataFrame = field(default_factory=pd.DataFrame)
    model: PCA | None = None  # the fitted PCA (all components): other maps project with it

    def to_dict(self, include_coords: bool = True) -> dict[str, Any]:
        """JSON-ready plain types."""
        out = super().to_dict(include_coords)
        out.update(
            variance=self.variance,
            n_components=self.n_components,
            explained_variance_ratio=list(self.explained_variance_ratio),
            cumulative=list(self.cumulative),
            loadings={
                str(f): [float(v) for v in row]
                for f, row in zip(self.loadings.index, self.loadings.to_numpy(), strict=True)
            },
        )
        return out


def pca_summary(
    X: ArrayLike,
    variance: float = 0.95,
    feature_names: list[str] | None = None,
    sample: int = MAP_SAMPLE,
    random_state: int = 0,
) -> PCAResult:
    """The fewest principal components explaining at least ``variance`` of ``X``'s variance.

    PCA is fitted on all rows; the 2-D map uses a seeded sample of at most ``sample`` rows.
    ``X`` is not modified.
    """
    if not 0.0 < variance <= 1.0:
        raise ValueError(f"variance must be in (0, 1], got {variance}")
    data = _matrix(X)
    names = feature_names or [f"x{i}" for i in range(data.shape[1])]
    if len(names) != data.shape[1]:
        raise ValueError(f"{len(names)} feature names for {data.shape[1]} columns")
    pca = PCA(svd_solver="full").fit(data)
    ratios = np.asarray(pca.explained_variance_ratio_, dtype=np.float64)
    cumulative = np.cumsum(ratios)
    k = min(int(np.searchsorted(cumulative, variance - 1e-12)) + 1, len(ratios))
    rows = sample_rows(data.shape[0], sample, random_state)
    projected = pca.transform(data[rows])
    coords = np.zeros((len(rows), 2))
    coords[:, : min(2, projected.shape[1])] = projected[:, :2]
    loadings = pd.DataFrame(
        pca.components_[:k].T, index=pd.Index(names), columns=[f"PC{i + 1}" for i in range(k)]
    )
    return PCAResult(
        method="pca",
        coords=coords,
        sample_indices=rows,
        params={"variance": variance, "sample": sample, "random_state": random_state},
        variance=variance,
        n_components=k,
        explained_variance_ratio=tuple(float(r) for r in ratios[:k]),
        cumulative=tuple(float(c) for c in cumulative[:k]),
        loadings=loadings,
        model=pca,
    )


def tsne_map(
    X: ArrayLike,
    sample: int = MAP_SAMPLE,
    random_state: int = 0,
    perplexity: float = 30.0,
    fit_sample: int = TSNE_FIT_SAMPLE,
) -> MapResult:
    """t-SNE coordinates of a seeded sample of at most ``sample`` rows.

    openTSNE (Barnes-Hut gradients, exact neighbours, one thread) embeds a seeded subset of at
    most ``fit_sample`` of those rows; every other sampled row is placed at the median position
    of its 10 nearest embedded rows in feature space (openTSNE ``prepare_partial``), so the
    cost stops growing with ``sample``. The perplexity is capped at ``(m - 1) / 3`` for ``m``
    embedded rows. ``X`` is not modified.
    """
    data = _matrix(X)
    rows = sample_rows(data.shape[0], sample, random_state)
    if len(rows) < 5:
        raise ValueError(f"t-SNE needs at least 5 rows, got {len(rows)}")
    fitted = sample_rows(len(rows), fit_sample, random_state)
    used = min(perplexity, (len(fitted) - 1) / 3)
    embedding, iterations = _tsne_embedding(data[rows[fitted]], used, random_state)
    coords = np.zeros((len(rows), 2))
    coords[fitted] = np.asarray(embedding, dtype=np.float64)
    placed = np.setdiff1d(np.arange(len(rows)), fitted)
    if placed.size:
        partial = embedding.prepare_partial(
            data[rows[placed]], initialization="median", k=min(PLACE_NEIGHBOURS, len(fitted))
        )
        coords[placed] = np.asarray(partial, dtype=np.float64)
    return MapResult(
        method="tsne",
        coords=coords,
        sample_indices=rows,
        params={
            "perplexity": used,
            "sample": sample,
            "fit_sample": len(fitted),
            "placed_by_neighbours": int(placed.size),
            "random_state": random_state,
            "iterations": iterations,
            "kl_divergence": float(embedding.kl_divergence),
        },
    )


class _Plateau:
    """An openTSNE callback that stops a phase once the KL divergence stops moving: a change of
    less than ``tolerance`` of it since the previous check (up or down: under early exaggeration
    it may rise)."""

    def __init__(self, tolerance: float) -> None:
        self.tolerance = tolerance
        self.last: float | None = None
        self.stopped_at: int | None = None

    def __call__(self, iteration: int, error: float, embedding: Any) -> bool:
        last, self.last = self.last, float(error)
        if last is not None and abs(last - self.last) < self.tolerance * abs(last):
            self.stopped_at = int(iteration)
            return True
        return False


def _tsne_embedding(
    data: NDArray[np.float64], perplexity: float, random_state: int
) -> tuple[Any, dict[str, int]]:
    """openTSNE's two phases (the parameters of ``TSNE.fit``), each stopped at a plateau
    (:data:`TSNE_TOLERANCE`); returns the embedding and the iterations of each phase."""
    tsne = TSNE(
        perplexity=perplexity,
        initialization="pca",
        neighbors="exact",
        n_jobs=1,
        random_state=random_state,
    )
    embedding = tsne.prepare_initial(data)
    iterations: dict[str, int] = {}
    phases = (
        ("early_exaggeration", tsne.early_exaggeration_iter, tsne.early_exaggeration),
        ("final", tsne.n_iter, tsne.exaggeration),
    )
    momenta = (tsne.initial_momentum, tsne.final_momentum)
    for (name, n_iter, exaggeration), momentum in zip(phases, momenta, strict=True):
        plateau = _Plateau(TSNE_TOLERANCE)
        embedding = embedding.optimize(
            n_iter=n_iter,
            exaggeration=exaggeration,
            momentum=momentum,
            inplace=True,
            callbacks=plateau,
            callbacks_every_iters=TSNE_CHECK_EVERY,
        )
        iterations[name] = n_iter if plateau.stopped_at is None else plateau.stopped_at
    return embedding, iterations


def umap_map(
    X: ArrayLike,
    sample: int = MAP_SAMPLE,
    random_state: int = 0,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
) -> MapResult:
    """UMAP coordinates of a seeded sample of at most ``sample`` rows.

    Needs the ``umap-learn`` package (``pip install 'cible[maps]'``); raises
    :class:`~cible.exceptions.OptionalDependencyError` without it. A fixed ``random_state``
    makes UMAP deterministic (and single-threaded). ``X`` is not modified.
    """
    try:
        import umap
    except ImportError as e:
        raise OptionalDependencyError("umap-learn", "maps", "UMAP maps") from e
    data = _matrix(X)
    rows = sample_rows(data.shape[0], sample, random_state)
    neighbours = max(2, min(n_neighbors, len(rows) - 1))
    reducer = umap.UMAP(
        n_components=2, n_neighbors=neighbours, min_dist=min_dist, random_state=random_state
    )
    coords = np.asarray(reducer.fit_transform(data[rows]), dtype=np.float64)
    return MapResult(
        method="umap",
        coords=coords,
        sample_indices=rows,
        params={
            "n_neighbors": neighbours,
            "min_dist": min_dist,
            "sample": sample,
            "random_state": random_state,
        },
    )


def autoencoder_map(
    X: ArrayLike,
    sample: int = MAP_SAMPLE,
    hidden: tuple[int, ...] = (16,),
    random_state: int = 0,
    max_iter: int = 300,
) -> AutoencoderMapResult:
    """2-D codes of a tanh autoencoder ``X -> hidden -> 2 -> reversed(hidden) -> X``.

    Fitted (Adam, early stopping on 10% of the rows) and coded on a seeded sample of at most
    ``sample`` rows; no deep-learning framework is involved. ``X`` is not modified.
    """
    data = _matrix(X)
    rows = sample_rows(data.shape[0], sample, random_state)
    if len(rows) < 20:
        raise ValueError(f"the autoencoder needs at least 20 rows, got {len(rows)}")
    Xs = data[rows]
    model = MLPRegressor(
        hidden_layer_sizes=(*hidden, 2, *reversed(hidden)),
        activation="tanh",
        max_iter=max_iter,
        early_stopping=True,
        random_state=random_state,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(Xs, Xs)
    codes = Xs
    for weights, bias in zip(
        model.coefs_[: len(hidden) + 1], model.intercepts_[: len(hidden) + 1], strict=True
    ):
        codes = np.tanh(codes @ weights + bias)
    r2 = float(r2_score(Xs, model.predict(Xs), multioutput="variance_weighted"))
    n_iter = int(model.n_iter_)
    return AutoencoderMapResult(
        method="autoencoder",
        coords=np.asarray(codes, dtype=np.float64),
        sample_indices=rows,
        params={"hidden": list(hidden), "sample": sample, "random_state": random_state},
        reconstruction_r2=r2,
        n_iter=n_iter,
        converged=n_iter < max_iter,
    )


def sample_rows(n_rows: int, sample: int, random_state: int) -> NDArray[np.intp]:
    """Sorted indices of a seeded sample of ``min(n_rows, sample)`` rows without replacement."""
    if n_rows <= sample:
        return np.arange(n_rows)
    rng = np.random.default_rng(random_state)
    return np.sort(rng.choice(n_rows, size=sample, replace=False))


def _matrix(X: ArrayLike) -> NDArray[np.float64]:
    data = np.asarray(X, dtype=np.float64)
    if data.ndim != 2 or data.shape[0] == 0 or data.shape[1] == 0:
        raise ValueError(f"X must be a non-empty 2-D array, got shape {data.shape}")
    if not np.isfinite(data).all():
        raise ValueError("X has missing or infinite values; maps need the prepared matrix")
    return data
