"""Plain-language warnings: each rule of thumb fires on its own and only then."""

from __future__ import annotations

import math

from cible.config import ValidationConfig
from cible.segmentation.validation.warnings import segmentation_warnings

CONFIG = ValidationConfig()


def test_clean_segmentation_has_no_warning() -> None:
    sizes = {0: 500, 1: 300, 2: 200}
    out = segmentation_warnings(
        sizes, {0: 0.9, 1: 0.8, 2: 0.7}, {0: 0.4, 1: 0.3, 2: 0.2}, CONFIG, n_features=9
    )
    assert out == []


def test_each_rule() -> None:
    sizes = {1: 980, 2: 15, 3: 5}
    out = segmentation_warnings(
        sizes,
        {1: 0.9, 2: 0.55, 3: math.nan},
        {1: 0.3, 2: -0.05, 3: math.nan},
        CONFIG,
        n_features=20,
        n_noise=0,
        names={2: "Loyal"},
    )
    assert out == [
        "'Loyal' is tiny: 15 customers (1.5%, below 2%)",
        "segment 3 is tiny: 5 customers (0.5%, below 2%)",
        "'Loyal' is unstable: mean bootstrap Jaccard 0.55 (below 0.60)",
        "'Loyal' is badly separated: mean silhouette -0.05 (its customers are closer to "
        "another segment)",
        "few customers for 20 features: 1,000 (at least 70 per feature = 1,400 recommended)",
    ]


def test_too_many_segments_and_noise() -> None:
    sizes = {i: 10 for i in range(6)}  # 60 + 40 noise = 100 customers, sqrt(50) = 7.07
    assert segmentation_warnings(sizes, None, None, CONFIG, min_share=0.0, n_noise=40) == [
        "40 customers (40.0%) are noise, in no segment (above 25%)"
    ]
    sizes = {i: 10 for i in range(8)}  # 80 customers: sqrt(40) = 6.3 < 8
    assert segmentation_warnings(sizes, None, None, CONFIG, min_share=0.0) == [
        "too many segments: 8 for 80 customers (rule of thumb: at most sqrt(n/2) = 6.3)"
    ]


def test_threshold_comes_from_the_config() -> None:
    strict = ValidationConfig(unstable_jaccard=0.8)
    out = segmentation_warnings({0: 50, 1: 50}, {0: 0.7, 1: 0.85}, None, strict)
    assert out == ["segment 0 is unstable: mean bootstrap Jaccard 0.70 (below 0.80)"]


def test_nothing_to_segment() -> None:
    assert segmentation_warnings({}, None, None, CONFIG) == ["no customer to segment"]


def test_a_segment_of_exactly_the_minimum_share_is_not_tiny() -> None:
    sizes = {0: 60, 1: 38, 2: 2}  # 2 of 100 = exactly 2%
    assert segmentation_warnings(sizes, None, None, CONFIG) == []
    just_below = {0: 61, 1: 38, 2: 2}  # 2 of 101
    assert segmentation_warnings(just_below, None, None, CONFIG) == [
        "segment 2 is tiny: 2 customers (2.0%, below 2%)"
    ]
    # noise counts in the denominator: 2 of 100 with 1 noise customer is still 2%
    assert segmentation_warnings({0: 60, 1: 37, 2: 2}, None, None, CONFIG, n_noise=1) == []


def test_a_jaccard_exactly_at_the_limit_is_stable_and_a_zero_silhouette_is_separated() -> None:
    sizes = {0: 50, 1: 50}
    assert segmentation_warnings(sizes, {0: 0.6, 1: 0.61}, {0: 0.0, 1: 0.1}, CONFIG) == []
    assert segmentation_warnings(sizes, {0: 0.5999}, {1: -0.001}, CONFIG) == [
        "segment 0 is unstable: mean bootstrap Jaccard 0.60 (below 0.60)",
        "segment 1 is badly separated: mean silhouette -0.00 (its customers are closer to "
        "another segment)",
    ]


def test_exactly_sqrt_n_over_2_segments_is_not_too_many() -> None:
    sizes = {i: 8 for i in range(4)}  # 32 customers: sqrt(16) = 4 segments allowed
    assert segmentation_warnings(sizes, None, None, CONFIG, min_share=0.0) == []
    five = {i: 8 for i in range(5)}  # 40 customers: sqrt(20) = 4.47 < 5
    assert segmentation_warnings(five, None, None, CONFIG, min_share=0.0) == [
        "too many segments: 5 for 40 customers (rule of thumb: at most sqrt(n/2) = 4.5)"
    ]


def test_exactly_70_customers_per_feature_is_enough() -> None:
    assert segmentation_warnings({0: 70, 1: 70}, None, None, CONFIG, n_features=2) == []
    assert segmentation_warnings({0: 70, 1: 69}, None, None, CONFIG, n_features=2) == [
        "few customers for 2 features: 139 (at least 70 per feature = 140 recommended)"
    ]


def test_exactly_the_maximum_noise_share_is_no_warning() -> None:
    assert segmentation_warnings({0: 40, 1: 35}, None, None, CONFIG, n_noise=25) == []
    assert segmentation_warnings({0: 40, 1: 34}, None, None, CONFIG, n_noise=25) == [
        "25 customers (25.3%) are noise, in no segment (above 25%)"
    ]
