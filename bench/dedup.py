"""Duplicate detection on 100,000 generated customers with planted duplicates, against a textbook
recipe.

    python bench/dedup.py [--records 100000] [--seed 1] [--config examples/customers_dedup.yaml]
                          [--engines cible,cible-auto,cible-incremental,textbook,splink]

Data: :func:`cible.synth.duplicates.planted_customers` (French and British people; 20% of the
records are duplicates with typos, swapped names, missing fields, other phone/date/city formats).

cible: ``find_duplicates`` with the example configuration (exact key e-mail + phone, five blocking
rules, Fellegi-Sunter trained by EM). Incremental: the last 1% of the records matched against the
result on the other 99% with ``IncrementalMatcher``.
Textbook: block on the raw postal code, Levenshtein ratio of every field (lower-cased, missing as
empty text), match when the mean ratio is >= 0.85, clusters = connected components. Its pairs
and similarities are computed with the same vectorised helpers (numpy blocks, rapidfuzz cpdist),
so the comparison is about blocking and scoring, not about Python loops.

cible-auto: ``find_duplicates_auto`` with only the seven field names listed (kinds, comparators,
term frequencies and blocking rules chosen from the data).
Splink (optional, needs the ``bench`` extra): Splink 5 on DuckDB, comparisons from its
comparison library (names, date of birth, e-mail, city and postcode with term frequencies,
phone), ``block_on`` rules on e-mail, phone, birth date, postcode + surname and first name +
surname, u by random sampling, EM on two rules, match probability >= 0.9. It gets the records as a
careful user prepares them: lower-cased, dates in ISO, phones as their last 9 digits.

The engines run one after the other in this process on the same data (default: cible,
cible-auto, cible-incremental, textbook; the textbook and incremental runs are skipped above 200,000
records: the textbook's postal-code blocks grow as N^2). Pairwise precision / recall / F1 are
counted against the planted truth. ``peak_rss_mb`` is the peak of the whole process after the
engine ran (it includes the generated data and every engine run before it): run one engine per
process (``--engines cible-auto``) for the peak of one engine.
Last lines: one JSON object per measured configuration, {"bench": "dedup", ...} (bench/_emit.py):
{"bench": "dedup", "engine": ..., "records": ..., "seconds": ..., "candidate_pairs": ...,
"precision": ..., "recall": ..., "f1": ..., "peak_rss_mb": ...}.
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import cpdist

from _emit import emit  # bench/ is the script folder on sys.path
from cible.identity import find_duplicates, load_matching_config, pairwise_metrics
from cible.identity.auto_config import find_duplicates_auto
from cible.identity.blocking import pairs_within_blocks
from cible.identity.clustering import cluster_frame, components
from cible.identity.incremental import IncrementalMatcher
from cible.synth.duplicates import planted_customers

ROOT = Path(__file__).resolve().parents[1]
TEXTBOOK_FIELDS = ("first_name", "last_name", "email", "phone", "birth_date", "city")
AUTO_FIELDS = ["first_name", "last_name", "email", "phone", "birth_date", "city", "postal_code"]
DEFAULT_ENGINES = "cible,cible-auto,cible-incremental,textbook"
LARGE = 200_000


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


def _print_stats(name: str, stats: dict[str, Any], seconds: float) -> None:
    print(f"{name}: {stats['pairs_compared']:,} candidate pairs compared")
    for rule, count in stats["candidate_pairs"].items():
        print(f"  {rule:<48} {count:>10,} pairs")
    steps = ", ".join(f"{k} {v:.1f}s" for k, v in stats["seconds"].items() if k != "total")
    print(f"  seconds: {steps}; total {seconds:.1f}s")
    print(
        f"  {stats['matches']:,} matching pairs ({stats['exact_matches']:,} by exact key), "
        f"{stats['clusters']:,} entities"
    )


Run = tuple[float, int, dict[str, float | int]]


def run_cible(records: pd.DataFrame, truth: pd.Series, config_path: Path) -> Run:
    config = load_matching_config(config_path)
    t0 = time.perf_counter()
    result = find_duplicates(records, config)
    seconds = time.perf_counter() - t0
    _print_stats("cible", result.stats, seconds)
    metrics = pairwise_metrics(result.clusters, truth)
    _print_metrics("cible", metrics)
    return seconds, result.stats["pairs_compared"], metrics


def run_auto(records: pd.DataFrame, truth: pd.Series) -> Run:
    t0 = time.perf_counter()
    result, auto = find_duplicates_auto(records, AUTO_FIELDS, id_column="record_id")
    seconds = time.perf_counter() - t0
    print(auto)
    _print_stats("cible-auto", result.stats, seconds)
    metrics = pairwise_metrics(result.clusters, truth)
    _print_metrics("cible-auto", metrics)
    return seconds, result.stats["pairs_compared"], metrics


def run_incremental(records: pd.DataFrame, truth: pd.Series, config_path: Path) -> Run:
    config = load_matching_config(config_path)
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
    metrics = pairwise_metrics(incremental.clusters, truth)
    _print_metrics("  incremental", metrics)
    return incremental.stats["seconds"], incremental.stats["pairs_compared"], metrics


def run_textbook(records: pd.DataFrame, truth: pd.Series) -> Run:
    t0 = time.perf_counter()
    clusters, pairs = textbook(records)
    seconds = time.perf_counter() - t0
    print(f"textbook: {pairs:,} candidate pairs (postal code blocks) in {seconds:.1f}s")
    metrics = pairwise_metrics(clusters, truth)
    _print_metrics("textbook", metrics)
    return seconds, pairs, metrics


def run_splink(records: pd.DataFrame, truth: pd.Series) -> Run:
    from _peer_tasks import customers_task
    from _peers import run_splink as splink

    task = customers_task(records, truth)
    t0 = time.perf_counter()
    clusters, extra = splink(task)
    seconds = time.perf_counter() - t0
    metrics = pairwise_metrics(clusters, task.truth)
    _print_metrics(f"splink ({seconds:.1f}s)", metrics)
    return seconds, int(extra["pairs_over_0_2"]), metrics


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--config", type=Path, default=ROOT / "examples" / "customers_dedup.yaml")
    parser.add_argument("--engines", default=DEFAULT_ENGINES)
    args = parser.parse_args()
    engines = args.engines.split(",")
    if args.records > LARGE and args.engines == DEFAULT_ENGINES:
        engines = ["cible", "cible-auto"]
        print(f"{args.records:,} records: textbook and incremental skipped (above {LARGE:,})")

    t0 = time.perf_counter()
    planted = planted_customers(args.records, seed=args.seed)
    records, truth = planted.records, planted.truth
    print(
        f"data: {len(records):,} records, {truth.nunique():,} true entities "
        f"(generated in {time.perf_counter() - t0:.1f}s)"
    )
    runners: dict[str, Callable[[], Run]] = {
        "cible": lambda: run_cible(records, truth, args.config),
        "cible-auto": lambda: run_auto(records, truth),
        "cible-incremental": lambda: run_incremental(records, truth, args.config),
        "textbook": lambda: run_textbook(records, truth),
        "splink": lambda: run_splink(records, truth),
    }
    figures = []
    for engine in engines:
        seconds, pairs, metrics = runners[engine]()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        figures.append((engine, seconds, pairs, metrics, rss))
    for engine, seconds, pairs, m, rss in figures:
        emit(
            "dedup",
            engine=engine,
            records=len(records),
            seconds=seconds,
            candidate_pairs=pairs,
            precision=m["precision"],
            recall=m["recall"],
            f1=m["f1"],
            peak_rss_mb=rss,  # the whole process so far (see the docstring)
        )


if __name__ == "__main__":
    main()
