"""Invariants of the lifecycle: the stable ids do not depend on how a retrain numbered its
segments (the ones it keeps), and drift statistics are symmetric where their definition is."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cible.lifecycle.drift import Histogram
from cible.lifecycle.drift.jensen_shannon import jensen_shannon_test
from cible.lifecycle.drift.ks import ks_test
from cible.lifecycle.drift.psi import psi_test
from cible.lifecycle.migration import migration_matrix
from cible.lifecycle.stable_ids import match_segments

labels = st.lists(st.integers(0, 4), min_size=20, max_size=120)


@settings(max_examples=60, deadline=None)
@given(before=labels, data=st.data())
def test_stable_ids_ignore_the_numbering_of_the_new_segments(
    before: list[int], data: st.DataObject
) -> None:
    after = data.draw(st.lists(st.integers(0, 4), min_size=len(before), max_size=len(before)))
    ids = [f"c{i}" for i in range(len(before))]
    prev, cur = pd.Series(before, index=ids), pd.Series(after, index=ids)
    perm = data.draw(st.permutations(range(5)))
    renamed = cur.map(dict(enumerate(perm)))
    rng = np.random.default_rng(len(before))
    # continuous centroid distances: no two pairs cost the same, the optimum is unique
    c_prev = pd.DataFrame(rng.normal(size=(5, 3)), columns=["a", "b", "c"])
    c_cur = pd.DataFrame(rng.normal(size=(5, 3)), columns=["a", "b", "c"])
    c_renamed = c_cur.set_axis([perm[i] for i in range(5)])
    first = match_segments(prev, cur, c_prev, c_cur)
    second = match_segments(prev, renamed, c_prev, c_renamed)
    one, two = first.relabel(cur), second.relabel(renamed)
    kept = one <= prev.max()  # fresh ids start above the previous ones
    pd.testing.assert_series_equal(one[kept], two[kept])
    assert (two[~kept] > prev.max()).all()
    assert sorted(first.kept) == sorted(second.kept)
    assert migration_matrix(prev, one).total == len(ids)


@settings(max_examples=60, deadline=None)
@given(
    a=st.lists(st.integers(1, 500), min_size=2, max_size=12),
    b=st.lists(st.integers(1, 500), min_size=2, max_size=12),
)
def test_ks_psi_and_jensen_shannon_are_symmetric(a: list[int], b: list[int]) -> None:
    n = min(len(a), len(b))
    ref, cur = Histogram(tuple(a[:n])), Histogram(tuple(b[:n]))
    for test in (ks_test, psi_test, jensen_shannon_test):
        assert np.isclose(test(ref, cur).score, test(cur, ref).score, rtol=1e-12, atol=1e-15)
        assert test(ref, ref).score == 0.0
