"""Online centroid updates: the running mean of mini-batch k-means and the daily guard rail."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from sklearn.cluster import MiniBatchKMeans

from cible.exceptions import LifecycleError
from cible.lifecycle.online_centroids import OnlineCentroids

D1, D2 = date(2026, 12, 1), date(2026, 12, 2)


def test_a_batch_makes_each_centre_the_running_mean_of_what_it_absorbed() -> None:
    online = OnlineCentroids(
        np.array([[0.0, 0.0], [10.0, 10.0]]), np.array([3, 1]), max_shift_per_day=100
    )
    rows = np.array([[1.0, 0.0], [0.0, 1.0], [9.0, 11.0]])
    result = online.update(rows, D1)
    assert result.applied and result.assigned == (2, 1)
    np.testing.assert_allclose(online.centroids_[0], [1 / 5, 1 / 5])  # (3*0 + 1 + 0) / 5
    np.testing.assert_allclose(online.centroids_[1], [9.5, 10.5])  # (10 + 9) / 2, (10 + 11) / 2
    assert online.counts_.tolist() == [5, 2]


def test_the_rule_is_the_one_of_sklearn_minibatch_kmeans() -> None:
    rng = np.random.default_rng(0)
    start = np.array([[0.0, 0.0], [5.0, 5.0]])
    batch = np.vstack([rng.normal(0, 1, (50, 2)), rng.normal(5, 1, (50, 2))])
    sk = MiniBatchKMeans(n_clusters=2, init=start, n_init=1, batch_size=100, reassignment_ratio=0)
    sk.partial_fit(batch)
    online = OnlineCentroids(start, max_shift_per_day=100)
    online.update(batch, D1)
    np.testing.assert_allclose(online.centroids_, sk.cluster_centers_, atol=1e-12)


def test_a_shift_exactly_at_the_limit_passes_and_beyond_it_freezes() -> None:
    # one centre with 1 customer at 0; a row at 1 moves it to 0.5
    at_limit = OnlineCentroids(np.array([[0.0]]), np.array([1]), max_shift_per_day=0.5)
    assert at_limit.update(np.array([[1.0]]), D1).applied is True
    beyond = OnlineCentroids(np.array([[0.0]]), np.array([1]), max_shift_per_day=0.4999)
    result = beyond.update(np.array([[1.0]]), D1)
    assert (result.applied, result.frozen) == (False, True)
    assert result.alert is not None and "centroid 0 would move 0.500 on 2026-12-01" in result.alert
    assert beyond.centroids_.tolist() == [[0.0]] and beyond.counts_.tolist() == [1]
    refused = beyond.update(np.array([[0.0]]), D1)
    assert (refused.applied, refused.alert) == (False, "frozen: updates refused")
    beyond.unfreeze()
    assert beyond.update(np.array([[0.0]]), D1).applied is True


def test_the_limit_is_per_day_from_where_the_centre_stood_that_morning() -> None:
    online = OnlineCentroids(np.array([[0.0]]), np.array([1]), max_shift_per_day=0.6)
    assert online.update(np.array([[1.0]]), D1).applied  # 0 -> 0.5
    second = online.update(np.array([[2.0]]), D1)  # -> (1 + 2) / 3 = 1.0: 1.0 from 0 today
    assert second.applied is False and second.shift_today == pytest.approx((1.0,))
    online.unfreeze()
    assert online.update(np.array([[2.0]]), D2).applied  # a new day: 0.5 from 0.5
    np.testing.assert_allclose(online.centroids_, [[1.0]])
    with pytest.raises(LifecycleError, match="days must not go back"):
        online.update(np.array([[2.0]]), D1)


def test_bad_input_is_refused() -> None:
    with pytest.raises(LifecycleError, match="k x d"):
        OnlineCentroids(np.array([1.0, 2.0]))
    with pytest.raises(LifecycleError, match="one count >= 0"):
        OnlineCentroids(np.array([[1.0]]), np.array([-1]))
    online = OnlineCentroids(np.array([[1.0, 2.0]]))
    with pytest.raises(LifecycleError, match=r"rows must be n x 2 .* got shape \(1, 3\)"):
        online.update(np.array([[1.0, 2.0, 3.0]]), D1)
    with pytest.raises(LifecycleError, match="NaN"):
        online.update(np.array([[np.nan, 2.0]]), D1)
