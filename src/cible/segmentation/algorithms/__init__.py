"""The clustering algorithm suite: scikit-learn estimators sharing one interface.

Every estimator takes a numeric 2-D array (already scaled; :class:`KPrototypes` and
:class:`GowerKMedoids` also take categorical columns, as codes), ``fit(X)`` returns ``self`` with ``labels_`` (int64, clusters numbered
``0..n_clusters_-1``, ``-1`` for noise in the density methods) and ``n_clusters_`` (noise
excluded), and ``predict(X)`` labels new rows, so that a model fitted on a sample can assign every
customer. The same ``random_state`` gives the same labels.

:data:`ALGORITHMS` maps the names used in configuration to the classes.
"""

from cible.segmentation.algorithms.density import AutoDBSCAN, HDBSCANSegmenter
from cible.segmentation.algorithms.hierarchical import AgglomerativeSegmenter, cut_tree_labels
from cible.segmentation.algorithms.knee import knee_point
from cible.segmentation.algorithms.kprototypes import KPrototypes
from cible.segmentation.algorithms.medoids import GowerKMedoids
from cible.segmentation.algorithms.mixture import GMMSegmenter
from cible.segmentation.algorithms.partition import KMeansSegmenter

ALGORITHMS: dict[str, type] = {
    "kmeans": KMeansSegmenter,
    "gmm": GMMSegmenter,
    "agglomerative": AgglomerativeSegmenter,
    "dbscan": AutoDBSCAN,
    "hdbscan": HDBSCANSegmenter,
    "kprototypes": KPrototypes,
    "gower": GowerKMedoids,
}

__all__ = [
    "ALGORITHMS",
    "AgglomerativeSegmenter",
    "AutoDBSCAN",
    "GMMSegmenter",
    "GowerKMedoids",
    "HDBSCANSegmenter",
    "KMeansSegmenter",
    "KPrototypes",
    "cut_tree_labels",
    "knee_point",
]
