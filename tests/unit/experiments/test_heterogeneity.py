"""The per-segment table and the interaction likelihood-ratio test against statsmodels' formula
interface (an independent design), with a segment where one arm has no conversion."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from cible.exceptions import ExperimentError
from cible.experiments.heterogeneity import heterogeneity
from cible.experiments.proportions import two_proportion_ztest


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 20_000
    seg = rng.choice(["a", "b", "c"], n)
    arm = rng.choice(["control", "t1", "t2"], n)
    base = np.select([seg == "a", seg == "b"], [0.1, 0.2], 0.3)
    lift = np.where(arm == "control", 0.0, np.where(seg == "a", 0.15, 0.0))
    y = (rng.random(n) < base + lift).astype(int)
    return pd.DataFrame({"y": y, "arm": arm, "seg": seg})


def test_lrt_matches_statsmodels_formulas(frame: pd.DataFrame) -> None:
    r = heterogeneity(
        frame["y"], frame["arm"], frame["seg"], control="control", segment_column="seg"
    )
    reduced = smf.logit("y ~ C(arm, Treatment('control')) + C(seg)", frame).fit(disp=0)
    full = smf.logit("y ~ C(arm, Treatment('control')) * C(seg)", frame).fit(disp=0)
    lr = 2 * (full.llf - reduced.llf)
    assert r.interaction.llf_full == pytest.approx(full.llf, rel=1e-8)
    assert r.interaction.llf_reduced == pytest.approx(reduced.llf, rel=1e-8)
    assert r.interaction.statistic == pytest.approx(lr, rel=1e-6)
    assert r.interaction.dof == 4  # (3 arms - 1) x (3 segments - 1)
    assert r.interaction.p_value == pytest.approx(stats.chi2.sf(lr, 4), rel=1e-5)
    assert r.interaction.significant  # planted: +15 points in a, none elsewhere


def test_table_rows_are_the_z_tests_corrected_together(frame: pd.DataFrame) -> None:
    r = heterogeneity(
        frame["y"], frame["arm"], frame["seg"], control="control", segment_column="seg"
    )
    t = r.table
    assert list(zip(t["segment"], t["arm"], strict=True)) == [
        (s, a) for s in "abc" for a in ("t1", "t2")
    ]
    row = t.iloc[0]
    sub = frame[frame["seg"] == "a"]
    c, t1 = sub[sub["arm"] == "control"]["y"], sub[sub["arm"] == "t1"]["y"]
    z = two_proportion_ztest(int(c.sum()), len(c), int(t1.sum()), len(t1))
    assert row["p_value"] == pytest.approx(z.p_value)
    m = len(t)
    assert t["p_holm"].min() == pytest.approx(min(1.0, t["p_value"].min() * m))
    assert (t["p_bh"] <= t["p_holm"] + 1e-15).all()


def test_identical_effect_everywhere_is_not_significant() -> None:
    # every segment has the same rates in both arms: LR = 0
    seg = np.repeat(["a", "b"], 400)
    arm = np.tile(np.repeat(["control", "t"], 200), 2)
    y = np.tile(np.r_[np.ones(20), np.zeros(180), np.ones(40), np.zeros(160)], 2)
    r = heterogeneity(
        pd.Series(y), pd.Series(arm), pd.Series(seg), control="control", segment_column="s"
    )
    assert r.interaction.statistic == pytest.approx(0.0, abs=1e-8)
    assert r.interaction.p_value == pytest.approx(1.0, abs=1e-6)
    assert r.table["difference"].tolist() == pytest.approx([0.1, 0.1])


def test_inputs_are_not_modified_and_errors_name_the_problem(frame: pd.DataFrame) -> None:
    before = frame.copy()
    heterogeneity(frame["y"], frame["arm"], frame["seg"], control="control", segment_column="seg")
    pd.testing.assert_frame_equal(frame, before)
    with pytest.raises(ExperimentError, match="control arm 'nope'"):
        heterogeneity(frame["y"], frame["arm"], frame["seg"], control="nope", segment_column="seg")
    with pytest.raises(ExperimentError, match="fewer than 2 values"):
        heterogeneity(
            frame["y"], frame["arm"], frame["y"] * 0, control="control", segment_column="z"
        )


def test_zero_conversions_in_one_arm_of_a_segment_gives_the_saturated_likelihood() -> None:
    """2 arms x 2 segments: the interaction model is saturated, its log-likelihood is the sum
    over cells of n (p ln p + (1 - p) ln(1 - p)), the empty cell (p = 0) contributing 0."""
    seg = np.repeat(["a", "b"], 400)
    arm = np.tile(np.repeat(["control", "t"], 200), 2)
    y = np.r_[
        np.ones(20),
        np.zeros(180),
        np.zeros(200),
        np.ones(40),
        np.zeros(160),
        np.ones(60),
        np.zeros(140),
    ]
    r = heterogeneity(
        pd.Series(y), pd.Series(arm), pd.Series(seg), control="control", segment_column="s"
    )

    def cell(p: float, n: int = 200) -> float:
        return 0.0 if p in (0.0, 1.0) else n * (p * np.log(p) + (1 - p) * np.log(1 - p))

    assert r.interaction.llf_full == pytest.approx(
        cell(0.1) + cell(0.0) + cell(0.2) + cell(0.3), abs=1e-4
    )
    assert r.interaction.dof == 1
    assert r.table["rate_treatment"].tolist() == [0.0, 0.3]
    assert r.table["p_value"].iloc[0] == pytest.approx(
        two_proportion_ztest(20, 200, 0, 200).p_value
    )
    assert r.interaction.significant
