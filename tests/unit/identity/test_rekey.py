"""rekey_events: events follow the surviving id, and follow it back after an undo."""

from __future__ import annotations

import pandas as pd
import pytest

from cible.exceptions import IdentityResolutionError
from cible.identity import ORIGINAL_ID, build_golden, rekey_events, undo_merge
from tests.unit.identity.frames import family, family_clusters, family_pairs


def _events() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "event_id": ["e1", "e2", "e3", "e4", "e5"],
            "customer_id": ["A", "B", "C", "D", "anonymous"],
            "amount": [10.0, 20.0, 30.0, 40.0, 50.0],
        }
    )


def test_events_point_at_the_surviving_id_and_keep_the_original() -> None:
    result = build_golden(family(), family_clusters(), family_pairs())
    events = _events()
    before = events.copy()
    rekeyed = rekey_events(events, result.id_map)
    assert rekeyed["customer_id"].tolist() == ["A", "A", "A", "D", "anonymous"]
    assert rekeyed[ORIGINAL_ID].tolist()[1:3] == ["B", "C"]
    assert rekeyed[ORIGINAL_ID].isna().tolist() == [True, False, False, True, True]
    assert rekeyed["amount"].tolist() == events["amount"].tolist()
    pd.testing.assert_frame_equal(events, before)  # the input is not modified
    # idempotent
    pd.testing.assert_frame_equal(rekey_events(rekeyed, result.id_map), rekeyed)


def test_rekeying_with_the_map_after_an_undo_moves_events_back() -> None:
    records = family()
    result = build_golden(records, family_clusters(), family_pairs())
    rekeyed = rekey_events(_events(), result.id_map)
    undone = undo_merge(result, records, "C")
    back = rekey_events(rekeyed, undone.id_map)
    assert back["customer_id"].tolist() == ["A", "A", "C", "D", "anonymous"]
    assert back[ORIGINAL_ID].isna().tolist() == [True, False, True, True, True]


def test_a_plain_mapping_works_too() -> None:
    rekeyed = rekey_events(_events(), {"B": "A"})
    assert rekeyed["customer_id"].tolist() == ["A", "A", "C", "D", "anonymous"]
    series = pd.Series({"C": "A"})
    assert rekey_events(_events(), series)["customer_id"].tolist()[2] == "A"


def test_bad_inputs() -> None:
    with pytest.raises(IdentityResolutionError, match="no column 'customer_id'"):
        rekey_events(pd.DataFrame({"event_id": ["e1"]}), {"B": "A"})
    with pytest.raises(IdentityResolutionError, match=r"no column\(s\) \['surviving_id'\]"):
        rekey_events(_events(), pd.DataFrame({"record_id": ["B"]}))
    doubled = pd.DataFrame({"record_id": ["B", "B"], "surviving_id": ["A", "C"]})
    with pytest.raises(IdentityResolutionError, match="record id 'B' is mapped more than once"):
        rekey_events(_events(), doubled)
