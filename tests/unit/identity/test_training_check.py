"""The automatic training on generated data with planted truth: F1 bounds, and the namesake trap.

The trap: 120 different people share the surname "Martin", the city Lyon and its 69003 postal
code, with first names drawn from six (so about 20 people share each full name and town, as at
the scale of a national customer file); they differ by birth date, e-mail and phone. Blocking on
the name and the postcode proposes every one of their pairs; a model that takes agreeing on name
and town for enough evidence merges them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cible.identity import pairwise_metrics
from cible.identity.auto_config import find_duplicates_auto
from cible.synth.duplicates import planted_customers

FIELDS = ["first_name", "last_name", "email", "phone", "birth_date", "city", "postal_code"]
TRAP = 120


def _namesakes(n: int, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    first = rng.choice(["Jean", "Marie", "Pierre", "Sophie", "Louis", "Claire"], size=n)
    days = rng.choice(np.arange(365 * 60), size=n, replace=False)
    births = pd.Timestamp("1940-01-01") + pd.to_timedelta(days, unit="D")
    records = pd.DataFrame(
        {
            "record_id": [f"N{i:04d}" for i in range(n)],
            "first_name": first,
            "last_name": "Martin",
            "email": [f"{f.lower()}.martin{i}@example.fr" for i, f in enumerate(first)],
            "phone": [f"06{rng.integers(10**7, 10**8)}" for _ in range(n)],
            "birth_date": births.strftime("%Y-%m-%d"),
            "city": "Lyon",
            "postal_code": "69003",
        }
    )
    truth = pd.Series([f"NP{i:04d}" for i in range(n)], index=records["record_id"])
    return records, truth


@pytest.fixture(scope="module")
def trapped() -> tuple[pd.DataFrame, pd.Series, dict, pd.DataFrame]:
    planted = planted_customers(3000, seed=4)
    trap, trap_truth = _namesakes(TRAP, seed=5)
    records = pd.concat([planted.records, trap], ignore_index=True)
    truth = pd.concat([planted.truth, trap_truth])
    result, _ = find_duplicates_auto(records, FIELDS, id_column="record_id")
    return records, truth, result.stats, result.clusters


def test_namesakes_sharing_surname_and_city_do_not_merge(trapped) -> None:  # type: ignore[no-untyped-def]
    _, _, _, clusters = trapped
    trap = clusters[clusters["record_id"].str.startswith("N")]
    assert len(trap) == TRAP
    # every namesake is alone in its entity: no two of the 120 merged, nor one with a planted record
    assert trap["entity_id"].nunique() == TRAP
    assert (trap["cluster_size"] == 1).all()


def test_f1_on_the_planted_customers_beside_the_trap(trapped) -> None:  # type: ignore[no-untyped-def]
    _, truth, stats, clusters = trapped
    metrics = pairwise_metrics(clusters, truth)
    assert metrics["precision"] == pytest.approx(1.0, abs=0.002)
    assert metrics["recall"] >= 0.95
    assert metrics["f1"] >= 0.975
    check = stats["auto_config"]
    assert set(check["expected_matches"]) == {"all_pairs", "candidates"}
    assert len(check["m_distance"]) == len(FIELDS)
