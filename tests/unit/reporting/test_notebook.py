"""The notebook views' display rows: the entity list's caps at their boundaries, the Spark view."""

from __future__ import annotations

import pandas as pd

from cible.reporting.notebook import (
    ENTITIES_SHOWN,
    IDS_SHOWN,
    dedup_rows,
    largest_entities,
    profiles_view,
)


def _clusters(sizes: list[int]) -> pd.DataFrame:
    rows = [(f"e{e:02d}-r{r}", f"e{e:02d}") for e, n in enumerate(sizes) for r in range(n)]
    return pd.DataFrame(rows, columns=["record_id", "entity_id"])


def test_ids_listed_up_to_the_cap_then_counted() -> None:
    over, at = largest_entities(_clusters([IDS_SHOWN + 1, IDS_SHOWN, 1]))
    assert over == ("e00", "6", "e00-r0, e00-r1, e00-r2, e00-r3, e00-r4 (+1)")
    assert at == ("e01", "5", "e01-r0, e01-r1, e01-r2, e01-r3, e01-r4")


def test_only_merged_entities_largest_first_ties_by_id_and_at_most_the_cap() -> None:
    got = largest_entities(_clusters([2, 3, 1, 2]))
    assert [(e, n) for e, n, _ in got] == [("e01", "3"), ("e00", "2"), ("e03", "2")]
    many = largest_entities(_clusters([2] * (ENTITIES_SHOWN + 1)))
    assert len(many) == ENTITIES_SHOWN == 10
    assert many[-1][0] == "e09"


def test_dedup_rows_skip_what_the_summary_lacks() -> None:
    summary = {"records": 1200, "entities": 1000, "largest_entity": None, "threshold": 0.9}
    assert dedup_rows(summary) == [
        ("Records", "1,200"),
        ("Entities after merging", "1,000"),
        ("Match threshold", "0.90"),
    ]


def test_the_spark_view_lists_each_segment() -> None:
    profiles = pd.DataFrame(
        {
            "segment_id": [0, 1],
            "segment_name": ["Prospects - no purchase yet", "Champions"],
            "size": [1500, 250],
            "share": [0.857, 0.143],
        }
    )
    html = profiles_view(profiles, {"project": "shop", "as_of": "2024-03-01"})
    assert "<h3>shop · customer segmentation</h3>" in html
    assert (
        '<td class="text">1</td><td class="text">Champions</td><td>250</td><td>14.3%</td>' in html
    )
    assert "<dt>as_of</dt><dd>2024-03-01</dd>" in html
