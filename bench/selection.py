"""Automatic selection on 100,000 customers x 15 features, against the textbook recipe.

    python bench/selection.py [--rows 100000] [--features 15]

cible: the selection grid over k-means, Gaussian mixtures, Ward agglomerative and HDBSCAN (each
fitted on a 20,000-row sample, all rows assigned, scored on a 5,000-row sample).
Textbook: pandas + scikit-learn, StandardScaler, KMeans for k = 2..10 and the silhouette of each,
best k by silhouette, twice: with scikit-learn's sampled silhouette (``sample_size=10000,
random_state=0``: what a careful user runs, the honest baseline) and with the full silhouette
(the recipe in most tutorials; ``--no-full`` skips it).

Both are timed in this process on the same data; the quality of the two chosen segmentations is
compared with the same measure (silhouette on a common seeded sample of 20,000 rows), and their
agreement with the planted groups (ARI) is printed.
Last lines: one JSON object per measured configuration, {"bench": "selection", ...} (bench/_emit.py).
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.preprocessing import StandardScaler

from _emit import emit  # bench/ is the script folder on sys.path
from cible.config import SegmentationConfig, SelectionConfig
from cible.segmentation.selection import select_segmentation

SAMPLED_SILHOUETTE = 10_000  # silhouette_score(..., sample_size=10000, random_state=0)


def planted(rows: int, features: int) -> tuple[pd.DataFrame, np.ndarray]:
    X, y = make_blobs(
        n_samples=rows,
        n_features=features,
        centers=6,
        cluster_std=[1.0, 1.5, 0.8, 2.0, 1.2, 1.0],
        random_state=7,
    )
    frame = pd.DataFrame(X, columns=[f"f{i:02d}" for i in range(features)])
    return frame, y


def textbook(frame: pd.DataFrame, sample_size: int | None = None) -> tuple[np.ndarray, int, float]:
    """KMeans(n_init=10) for k = 2..10, best k by silhouette: the full silhouette (the tutorials)
    or, with ``sample_size``, scikit-learn's sampled one (what a careful user runs)."""
    X = StandardScaler().fit_transform(frame)
    best = (-1.0, 0, np.zeros(len(frame), dtype=int))
    what = "full" if sample_size is None else f"sampled ({sample_size:,})"
    for k in range(2, 11):
        labels = KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(X)
        if sample_size is None:
            sil = float(silhouette_score(X, labels))
        else:
            sil = float(silhouette_score(X, labels, sample_size=sample_size, random_state=0))
        print(f"  textbook k={k:<2} {what} silhouette {sil:.4f}", flush=True)
        if sil > best[0]:
            best = (sil, k, labels)
    return best[2], best[1], best[0]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--features", type=int, default=15)
    parser.add_argument(
        "--no-full", action="store_true", help="skip the full-silhouette loop (minutes at 100k)"
    )
    args = parser.parse_args()
    frame, truth = planted(args.rows, args.features)
    print(f"data: {args.rows:,} rows x {args.features} features, 6 planted groups")

    config = SegmentationConfig(
        k_min=2,
        k_max=10,
        selection=SelectionConfig(algorithms=["kmeans", "gmm", "agglomerative", "hdbscan"]),
    )
    t0 = time.perf_counter()
    X = StandardScaler().fit_transform(frame)
    result = select_segmentation(X, config)
    ours = time.perf_counter() - t0
    algos = sorted({c.candidate.algorithm for c in result.candidates})
    print(
        f"cible selection: {len(result.candidates)} candidates over {len(algos)} algorithms "
        f"({', '.join(algos)}) in {ours:.1f}s -> {result.chosen.candidate.name}"
    )

    t0 = time.perf_counter()
    careful_labels, careful_k, careful_sil = textbook(frame, sample_size=SAMPLED_SILHOUETTE)
    careful = time.perf_counter() - t0
    print(
        f"textbook, sampled silhouette: k={careful_k} in {careful:.1f}s "
        f"(best sampled silhouette {careful_sil:.4f})"
    )
    runs = [
        ("cible", ours, result.labels),
        ("textbook-sampled-silhouette", careful, careful_labels),
    ]
    if not args.no_full:
        t0 = time.perf_counter()
        naive_labels, naive_k, naive_sil = textbook(frame)
        naive = time.perf_counter() - t0
        print(f"textbook: k={naive_k} in {naive:.1f}s (best full silhouette {naive_sil:.4f})")
        runs.append(("textbook-full-silhouette", naive, naive_labels))

    rng = np.random.default_rng(0)
    common = rng.choice(len(frame), size=min(20_000, len(frame)), replace=False)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for engine, seconds, labels in runs:
        sil = float(silhouette_score(X[common], labels[common]))
        ari = adjusted_rand_score(truth, labels)
        print(
            f"{engine:<28} {seconds:7.1f}s  silhouette on a common 20,000-row sample {sil:.4f}  "
            f"ARI vs planted {ari:.4f}  time / cible {seconds / ours:.2f}x"
        )
    print(f"peak RSS {rss:,.0f} MiB")
    for engine, seconds, labels in runs:
        emit(
            "selection",
            engine=engine,
            rows=args.rows,
            features=args.features,
            seconds=seconds,
            ratio_to_cible=seconds / ours,
            silhouette_common_sample=float(silhouette_score(X[common], labels[common])),
            ari=adjusted_rand_score(truth, labels),
            peak_rss_mb=rss,
        )


if __name__ == "__main__":
    main()
