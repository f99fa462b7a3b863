from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from cible.config.predict import PredictConfig
from cible.exceptions import PredictError
from cible.predict import build_scoring_set, build_training_set
from cible.predict.labels import default_cutoff, describe_target, label_window
from cible.warehouse.duckdb import DuckDBWarehouse
from tests.unit.predict.data import events_table, purchase

CUTOFF = date(2025, 1, 1)


def _ts(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


@pytest.fixture
def warehouse() -> DuckDBWarehouse:
    wh = DuckDBWarehouse(":memory:")
    wh.append_events(
        events_table(
            [
                purchase("A", _ts("2024-11-01")),
                purchase("A", _ts("2025-01-01")),  # first instant of the window: positive
                purchase("B", _ts("2024-12-31 23:59:59")),
                purchase("B", _ts("2025-04-01")),  # first day after the 90-day window
                purchase("C", _ts("2024-06-01")),
                purchase("C", _ts("2025-03-31 23:59:59")),  # last instant of the window
                {"customer_id": "D", "event_type": "page_view", "timestamp": _ts("2024-12-01")},
                {"customer_id": "D", "event_type": "email_click", "timestamp": _ts("2025-02-01")},
                purchase("D", _ts("2025-02-02")),
                purchase("E", _ts("2025-02-01")),  # first seen after the cutoff: not labelled
            ]
        )
    )
    return wh


def test_window_and_default_cutoff() -> None:
    assert label_window(CUTOFF, 90) == (date(2025, 1, 1), date(2025, 4, 1))
    assert default_cutoff(date(2025, 4, 1), 90) == CUTOFF


def test_purchase_labels(warehouse: DuckDBWarehouse) -> None:
    s = build_training_set(warehouse, PredictConfig(horizon_days=90), CUTOFF)
    assert s.y.to_dict() == {"A": 1, "B": 0, "C": 1, "D": 1}
    assert s.window_end == date(2025, 4, 1)
    assert s.description == "a purchase in the 90 days from 2025-01-01 to 2025-03-31"
    assert s.X.loc["A", "frequency"] == 1.0  # the purchase at the cutoff is not a feature
    assert s.X.loc["B", "recency_days"] == pytest.approx(1 / 86_400)


def test_churn_is_among_buyers_and_inverted(warehouse: DuckDBWarehouse) -> None:
    s = build_training_set(warehouse, PredictConfig(target="churn"), CUTOFF)
    assert s.y.to_dict() == {"A": 0, "B": 1, "C": 0}  # D had not bought before the cutoff
    everyone = build_training_set(
        warehouse, PredictConfig(target="churn", population="all"), CUTOFF
    )
    assert everyone.y.to_dict() == {"A": 0, "B": 1, "C": 0, "D": 0}


def test_event_labels(warehouse: DuckDBWarehouse) -> None:
    warehouse.append_events(
        events_table(
            [
                {
                    "event_id": "x1",
                    "customer_id": "B",
                    "event_type": "email_click",
                    "timestamp": _ts("2025-01-05"),
                }
            ]
        )
    )
    cfg = PredictConfig(target="event", event_type="email_click", horizon_days=60)
    s = build_training_set(warehouse, cfg, CUTOFF)
    assert s.y.to_dict() == {"A": 0, "B": 1, "C": 0, "D": 1}
    assert cfg.score_column() == "email_click_propensity"


def test_window_past_the_last_event_is_refused(warehouse: DuckDBWarehouse) -> None:
    with pytest.raises(
        PredictError, match=r"ends after the last event \(2025-04-01\).*on or before 2025-01-02"
    ):
        build_training_set(warehouse, PredictConfig(horizon_days=90), date(2025, 1, 3))


def test_a_single_class_is_refused(warehouse: DuckDBWarehouse) -> None:
    with pytest.raises(
        PredictError, match=r"needs both positive and negative rows; got 0 positive"
    ):
        build_training_set(warehouse, PredictConfig(target="event", event_type="sms_click"), CUTOFF)


def test_scoring_set_sees_the_whole_history(warehouse: DuckDBWarehouse) -> None:
    X = build_scoring_set(warehouse, PredictConfig(), date(2025, 4, 2))
    assert list(X.index) == ["A", "B", "C", "D", "E"]
    assert X.loc["B", "frequency"] == 2.0


def test_a_window_ending_exactly_on_the_last_event_day_is_accepted(
    warehouse: DuckDBWarehouse,
) -> None:
    # the last event is on 2025-04-01: the window [2025-01-02, 2025-04-02) is fully observed,
    # [2025-01-03, 2025-04-03) is not (test above)
    s = build_training_set(warehouse, PredictConfig(horizon_days=90), date(2025, 1, 2))
    assert s.window_end == date(2025, 4, 2)
    assert s.cutoff == date(2025, 1, 2)
    assert s.y.to_dict() == {"A": 0, "B": 1, "C": 1, "D": 1}  # A bought at 2025-01-01: a feature
    assert s.positive_rate == pytest.approx(3 / 4)


def test_an_empty_warehouse_is_refused() -> None:
    with pytest.raises(PredictError, match="holds no event"):
        build_training_set(DuckDBWarehouse(":memory:"), PredictConfig(), CUTOFF)


def test_targets_are_described_with_the_last_day_of_the_window() -> None:
    churn = PredictConfig(target="churn", horizon_days=30)
    assert describe_target(churn, CUTOFF) == (
        "no purchase (churn, among customers who had bought) in the 30 days from 2025-01-01 "
        "to 2025-01-30"
    )
    click = PredictConfig(target="event", event_type="email_click", horizon_days=1)
    assert describe_target(click, CUTOFF) == (
        "an event of type 'email_click' in the 1 days from 2025-01-01 to 2025-01-01"
    )
    assert label_window(CUTOFF, 1) == (CUTOFF, date(2025, 1, 2))
    assert default_cutoff(date(2025, 1, 2), 1) == CUTOFF
