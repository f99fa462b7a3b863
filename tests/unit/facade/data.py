"""Small generated data with planted truth for the Python API tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: three groups far apart in recency, frequency and monetary value
CENTERS = {"loyal": (10.0, 20, 2000.0), "lapsed": (200.0, 2, 50.0), "regular": (60.0, 8, 400.0)}
#: the quickest segmentation that still selects k: k-means only, no bootstrap, no t-SNE
FAST_SEGMENTATION: dict[str, object] = {
    "k_min": 2,
    "k_max": 4,
    "selection": {"algorithms": ["kmeans"]},
    "validation": {"bootstrap": 0},
    "maps": {"tsne": False},
}
FEATURES = ["recency_days", "frequency", "monetary"]


def planted_customers(per_group: int = 40, seed: int = 0) -> pd.DataFrame:
    """customer_id, the planted group, and the three features within 10% of the group's centre;
    plus ``prospects`` customers without a purchase (frequency 0)."""
    rng = np.random.default_rng(seed)
    rows = []
    for group, (recency, frequency, monetary) in CENTERS.items():
        for i in range(per_group):
            rows.append(
                {
                    "customer_id": f"{group}-{i:03d}",
                    "group": group,
                    "recency_days": recency * rng.uniform(0.9, 1.1),
                    "frequency": round(frequency * rng.uniform(0.9, 1.1)),
                    "monetary": monetary * rng.uniform(0.9, 1.1),
                }
            )
    return pd.DataFrame(rows)


FIRST = ["anna", "boris", "carla", "dmitri", "elena", "farid", "greta", "hugo", "ines", "jonas"]
LAST = ["smith", "jones", "brown", "white", "martin", "durand", "petit", "moreau", "simon", "roux"]


def planted_people() -> tuple[pd.DataFrame, set[tuple[str, str]]]:
    """Ten distinct people (one postcode each) and three planted duplicates (an exact copy,
    two with a typo in the first name); the truth
    is the set of duplicate pairs (smaller id, larger id)."""
    rows = [
        {"rec_id": f"p{i:02d}", "name": FIRST[i], "surname": LAST[i], "postcode": f"{1000 + i}"}
        for i in range(10)
    ]
    copies = [("d01", 1, "borris"), ("d02", 4, "elena"), ("d03", 4, "elina")]
    for rec_id, of, name in copies:
        rows.append({**rows[of], "rec_id": rec_id, "name": name})
    truth = {("d01", "p01"), ("d02", "p04"), ("d03", "p04"), ("d02", "d03")}
    return pd.DataFrame(rows), truth
