"""Duplicate detection on 100,000 generated customers with planted duplicates, against a textbook
recipe.

    python bench/dedup.py [--records 100000] [--seed 1] [--config examples/customers_dedup.yaml]

Data: :func:`cible.synth.duplicates.planted_customers` (French and British people; 20% of the
records are duplicates with typos, swapped names, missing fields, other phone/date/city formats).

cible: ``find_duplicates`` with the example configuration (exact key e-mail + phone, five blocking
rules, Fellegi-Sunter trained by EM). Incremental: the last 1% of the records matched against the
result on the other 99% with ``IncrementalMatcher``.
Textbook: block on the raw postal code, Levenshtein ratio of every field (lower-cased, missing as
empty text), match when the mean ratio is >= 0.85, clusters = connected components. Its pairs
and similarities are computed with the same vectorised helpers (numpy blocks, rapidfuzz cpdist),
so the comparison is about blocking and scoring, not about Python loops.

Both run in this process on the same data; pairwise precision / recall / F1 are counted against
the planted truth.
Last lines: one JSON object per measured configuration, {"bench": "dedup", ...} (bench/_emit.py).
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd
from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import cpdist

from _emit import emit  # bench/ is the script folder on sys.path
from cible.identity import find_duplicates, load_matching_config, pairwise_metrics
from cible.identity.blocking import pairs_within_blocks
from cible.identity.clustering import cluster_frame, components
from cible.identity.incremental import IncrementalMatcher
from cible.synth.duplicates import planted_customers

ROOT = Path(__file__).resolve().parents[1]
TEXTBOOK_FIELDS = ("first_name", "last_name", "email", "phone", "birth_date", "city")


def textbook(records: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Block on postal code, mean Levenshtein ratio >= 0.85, connected components."""
    frame = records.sort_values("record_id").reset_index(drop=True)
    codes = pd.factorize(frame["postal_code"])[0]
    left, right, _ = pairs_within_blocks(codes, max_block_size=len(frame))
    total = np.zeros(len(left))
    for column in TEXTBOOK_FIELDS:
        values = frame[column].fillna("").str.lower().to_numpy(dtype=object)
        for start in range(0, len(left), 2_000_000):
            part = slice(start, start + 2_000_000)
            total[part] += cpdist(
                values[left[part]].tolist(),
                values[right[part]].tolist(),
                scorer=Levenshtein.normalized_similarity,
                workers=1,
            )
    match = total / len(TEXTBOOK_FIELDS) >= 0.85
    ids = frame["record_id"].to_numpy(dtype=object)
    clusters = cluster_frame(ids, components(len(frame), left[match], right[match]))
    return clusters, len(left)


def _print_metrics(name: str, metrics: dict[str, float | int]) -> None:
    print(
        f"{name}: precision {metrics['precision']:.4f}, recall {metrics['recall']:.4f}, "
        f"F1 {metrics['f1']:.4f} (true pairs {metrics['true_pairs']:,}, predicted "
        f"{metrics['predicted_pairs']:,})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--config", type=Path, default=ROOT / "examples" / "customers_dedup.yaml")
    args = parser.parse_args()

    t0 = time.perf_counter()
    planted = planted_customers(args.records, seed=args.seed)
    records, truth = planted.records, planted.truth
    print(
        f"data: {len(records):,} records, {truth.nunique():,} true entities "
        f"(generated in {time.perf_counter() - t0:.1f}s)"
    )
    config = load_matching_config(args.config)

    t0 = time.perf_counter()
    result = find_duplicates(records, config)
    ours = time.perf_counter() - t0
    stats = result.stats
    print(f"cible: {stats['pairs_compared']:,} candidate pairs compared")
    for rule, count in stats["candidate_pairs"].items():
        print(f"  {rule:<48} {count:>10,} pairs")
    steps = ", ".join(f"{k} {v:.1f}s" for k, v in stats["seconds"].items() if k != "total")
    print(f"  seconds: {steps}; total {ours:.1f}s")
    print(
        f"  {stats['matches']:,} matching pairs ({stats['exact_matches']:,} by exact key), "
        f"{stats['clusters']:,} entities"
    )
    ours_metrics = pairwise_metrics(result.clusters, truth)
    _print_metrics("cible", ours_metrics)

    cut = int(len(records) * 0.99)
    base, new = records.iloc[:cut], records.iloc[cut:]
    base_result = find_duplicates(base, config)
    t0 = time.perf_counter()
    matcher = IncrementalMatcher(config).fit(base, base_result)
    fitted = time.perf_counter() - t0
    incremental = matcher.match(new)
    print(
        f"incremental: {len(new):,} new records against {len(base):,}: "
        f"{incremental.stats['pairs_compared']:,} pairs compared in "
        f"{incremental.stats['seconds']:.2f}s (fit {fitted:.1f}s), "
        f"{incremental.stats['new_entities']:,} new entities, "
        f"{incremental.stats['merges']:,} merges"
    )
    inc_metrics = pairwise_metrics(incremental.clusters, truth)
    _print_metrics("  incremental", inc_metrics)

    t0 = time.perf_counter()
    naive_clusters, naive_pairs = textbook(records)
    naive = time.perf_counter() - t0
    print(f"textbook: {naive_pairs:,} candidate pairs (postal code blocks) in {naive:.1f}s")
    naive_metrics = pairwise_metrics(naive_clusters, truth)
    _print_metrics("textbook", naive_metrics)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"time: cible {ours:.1f}s, textbook {naive:.1f}s; peak RSS {rss:,.0f} MiB")
    n = len(records)
    for engine, seconds, pairs, m in (
        ("cible", ours, stats["pairs_compared"], ours_metrics),
        (
            "cible-incremental",
            incremental.stats["seconds"],
            incremental.stats["pairs_compared"],
            inc_metrics,
        ),
        ("textbook", naive, naive_pairs, naive_metrics),
    ):
        emit(
            "dedup",
            engine=engine,
            records=n,
            seconds=seconds,
            candidate_pairs=pairs,
            precision=m["precision"],
            recall=m["recall"],
            f1=m["f1"],
            peak_rss_mb=rss,  # the whole process, every configuration included
        )


if __name__ == "__main__":
    main()
