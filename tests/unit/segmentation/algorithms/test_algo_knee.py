"""knee_point: golden values on hand-checked curves, the no-knee rule and input errors."""

from __future__ import annotations

import numpy as np
import pytest

from cible.segmentation.algorithms.knee import knee_point


def test_flat_then_steep_curve() -> None:
    # x = i/6, y = (y - 1)/9: x - y = [0, .167, .333, .5, .556, .389, 0], largest at index 4.
    assert knee_point([1.0, 1.0, 1.0, 1.0, 2.0, 5.0, 10.0]) == 4


def test_concave_curve() -> None:
    # x = i/5, y = y/10: |x - y| = [0, .3, .4, .3, .15, 0], largest at index 2.
    assert knee_point([0.0, 5.0, 8.0, 9.0, 9.5, 10.0]) == 2


def test_exponential_curve() -> None:
    # x - y = [0, .096, .188, .276, .357, .424, .471, .482, .436, .296, 0]: index 7.
    assert knee_point(np.exp(np.linspace(0.0, 5.0, 11))) == 7


def test_knee_does_not_depend_on_scale_or_offset() -> None:
    y = np.exp(np.linspace(0.0, 5.0, 11))
    assert knee_point(1000.0 * y + 42.0) == 7


def test_distance_ties_go_to_the_smaller_index() -> None:
    # x = i/4, y = y/4: |x - y| = [0, .25, 0, .25, 0], a tie between indices 1 and 3 (on either
    # side of the chord).
    assert knee_point([0.0, 0.0, 2.0, 4.0, 4.0]) == 1


@pytest.mark.parametrize(
    ("curve", "expected"),
    [
        ([7.0], 0),
        ([1.0, 2.0], 1),
        ([3.0, 3.0, 3.0], 2),
        (np.arange(10.0), 9),
        (np.linspace(-2.0, 5.0, 50), 49),
    ],
)
def test_no_knee_gives_the_last_index(curve: list[float], expected: int) -> None:
    assert knee_point(curve) == expected


def test_input_errors() -> None:
    with pytest.raises(ValueError, match=r"non-empty 1-D curve, got shape \(0,\)"):
        knee_point([])
    with pytest.raises(ValueError, match=r"non-empty 1-D curve, got shape \(2, 2\)"):
        knee_point(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="NaN or infinity"):
        knee_point([0.0, np.nan, 1.0])
    with pytest.raises(ValueError, match=r"sorted ascending; y\[2\]=1.0 < y\[1\]=3.0"):
        knee_point([0.0, 3.0, 1.0])


def test_input_is_not_modified() -> None:
    y = np.array([1.0, 1.0, 2.0, 9.0])
    knee_point(y)
    np.testing.assert_array_equal(y, [1.0, 1.0, 2.0, 9.0])
