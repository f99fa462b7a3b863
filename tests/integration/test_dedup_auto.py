"""The automatic configuration (only field names listed) on public sets, against the peers.

The peers' pairwise F1 were measured by bench/dedup_peers.py on the same files in one run
(recordlinkage 0.14 ECM, Splink 5.0.0; figures in docs/dedup.md): the tests hold cible to at least
the better of the two, without running them.
"""

from __future__ import annotations

import pandas as pd
import pytest

from cible.identity import pairwise_metrics
from cible.identity.auto_config import find_duplicates_auto
from tests.conftest import shared_dataset

pytestmark = pytest.mark.integration

FEBRL_FIELDS = [
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
    "soc_sec_id",
]
# best peer pairwise F1 per data set (bench/dedup_peers.py, docs/dedup.md)
BEST_PEER = {
    "dataset1": 1.0,  # recordlinkage 1.0, Splink 0.9960
    "dataset2": 1.0,  # recordlinkage 1.0, Splink 0.9982
    "dataset3": 2 * 6537 / (6537 + 6538),  # recordlinkage 0.999924 (6,537 of 6,538), Splink 0.9962
    "dataset4": 1.0,  # recordlinkage 1.0, Splink 0.9978
    "fake_1000": 0.887733,  # Splink 0.8877, recordlinkage 0.6711
}


def _febrl(name: str) -> pd.DataFrame:
    return pd.read_csv(
        shared_dataset("febrl", name), index_col="rec_id", skipinitialspace=True, dtype=str
    )


def _truth(records: pd.DataFrame) -> pd.Series:
    return pd.Series(records.index.str.extract(r"rec-(\d+)-")[0].to_numpy(), index=records.index)


@pytest.mark.parametrize(
    ("name", "true_pairs", "f1"),
    [("dataset1", 500, 1.0), ("dataset2", 1934, 1.0), ("dataset3", 6538, 0.999924)],
)
def test_febrl_dedup_with_only_field_names(name: str, true_pairs: int, f1: float) -> None:
    records = _febrl(f"{name}.csv")
    before = records.copy()
    result, auto = find_duplicates_auto(records, FEBRL_FIELDS)
    pd.testing.assert_frame_equal(records, before)
    metrics = pairwise_metrics(result.clusters, _truth(records))
    assert metrics["true_pairs"] == true_pairs
    assert metrics["f1"] >= BEST_PEER[name]
    assert metrics["f1"] == pytest.approx(f1, abs=5e-6)
    assert metrics["precision"] == 1.0
    kinds = {f.column: f.kind for f in auto.fields}
    assert kinds == {
        "given_name": "name",
        "surname": "name",
        "street_number": "number",
        "address_1": "address",
        "address_2": "address",
        "suburb": "city",
        "postcode": "postcode",
        "state": "category",
        "date_of_birth": "date",
        "soc_sec_id": "id",
    }
    assert result.stats["auto_config"]["threshold"] == 0.9


def test_febrl4_linkage_with_only_field_names() -> None:
    a, b = _febrl("dataset4a.csv"), _febrl("dataset4b.csv")
    a.index, b.index = "a:" + a.index, "b:" + b.index
    records = pd.concat([a.assign(source="a"), b.assign(source="b")])
    result, _ = find_duplicates_auto(records, FEBRL_FIELDS, link_column="source")
    metrics = pairwise_metrics(result.clusters, _truth(records))
    assert metrics["true_pairs"] == 5000
    assert metrics["f1"] >= BEST_PEER["dataset4"]
    assert metrics["f1"] == 1.0
    # lambda is the share of matches among the 25,000,000 cross-source pairs: 5,000 of them
    assert result.stats["em"]["lambda"] == pytest.approx(5000 / 25_000_000, rel=0.01)


def test_fake_1000_with_only_field_names() -> None:
    records = pd.read_csv(shared_dataset("splink", "fake_1000.csv"), dtype=str)
    truth = pd.Series(records["cluster"].to_numpy(), index=records["unique_id"])
    result, _ = find_duplicates_auto(
        records.drop(columns="cluster"),
        ["first_name", "surname", "dob", "city", "email"],
        id_column="unique_id",
    )
    metrics = pairwise_metrics(result.clusters, truth)
    assert metrics["true_pairs"] == 2031
    assert metrics["f1"] >= BEST_PEER["fake_1000"]
    assert metrics["f1"] == pytest.approx(0.961391, abs=5e-6)
    assert metrics["precision"] == 1.0
