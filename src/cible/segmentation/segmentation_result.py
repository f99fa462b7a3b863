"""The typed result of a segmentation run: what renderers, exporters and the API read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from cible.segmentation.science import ScienceResult

PROSPECT_SEGMENT_ID = 0
NOISE_SEGMENT_NAME = "Atypical - no clear segment"
PROSPECT_SEGMENT_NAME = "Prospects - no purchase yet"
#: Customers with refunds but no purchase order and a negative net revenue (their purchases
#: predate the data, or were not recorded): not prospects, they get a segment of their own.
REFUND_ONLY_SEGMENT_NAME = "Refund only - no purchase recorded"


@dataclass(frozen=True, eq=False)
class SegmentationResult:
    """Everything a segmentation run produced; the frames are not to be modified.

    Attributes
    ----------
    assignments:
        ``customer_id`` (str), ``segment_id`` (int), ``segment_name`` (str): one row per input
        customer, in input order. Prospects (no purchase) have segment 0.
    profiles:
        :func:`~cible.segmentation.profiles.profile_segments` output for every segment (prospects
        included, segment 0 first) plus ``segment_name``. Lifts compare to the purchasing customers
        (the clustered base); shares are of all customers.
    k_scores:
        ``k``, ``inertia``, ``silhouette`` for every k tried.
    chosen_k:
        The number of k-means segments (prospects not counted).
    silhouette:
        The sampled silhouette of the chosen k.
    map_2d:
        ``customer_id``, ``pc1``, ``pc2``, ``segment_id``, ``segment_name`` for a seeded sample
        of at most 5,000 purchasing customers, projected on the first two principal components of
        the scaled features.
    pca_explained:
        Share of the variance explained by ``pc1`` and ``pc2``.
    feature_names:
        The features the clustering used.
    n_prospects:
        Customers without purchase (segment 0), not clustered; refund-only customers not counted.
    algorithm:
        The chosen candidate of the automatic selection, e.g. ``kmeans(n_clusters=8)``.
    science:
        Selection, validation, explanation, weights and maps (``None`` when not run).
    label_map:
        Label of the selected model (``-1`` noise) -> ``segment_id``, to read ``science``.
    n_refund_only:
        Customers with refunds and no purchase order (net revenue < 0), in their own segment
        "Refund only - no purchase recorded" (the last id), not clustered.
    """

    assignments: pd.DataFrame
    profiles: pd.DataFrame
    k_scores: pd.DataFrame
    chosen_k: int
    silhouette: float
    map_2d: pd.DataFrame
    pca_explained: tuple[float, float]
    feature_names: list[str]
    n_prospects: int
    algorithm: str = "kmeans"
    science: ScienceResult | None = None
    label_map: dict[int, int] = field(default_factory=dict)
    n_refund_only: int = 0

    @property
    def n_customers(self) -> int:
        """All customers given, prospects included."""
        return len(self.assignments)

    @property
    def n_segmented(self) -> int:
        """Customers placed in a k-means segment (purchasing customers)."""
        return self.n_customers - self.n_prospects - self.n_refund_only
