from __future__ import annotations

import os

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from cible.cpu_threads import THREADS_ENV, compute_threads, limited_threads, usable_cpus
from cible.exceptions import ConfigError


def test_usable_cpus_follows_the_affinity() -> None:
    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert usable_cpus() == expected


def test_compute_threads_leaves_one_core_and_never_goes_below_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import cible.cpu_threads as cpu

    monkeypatch.setattr(cpu, "usable_cpus", lambda: 2)
    assert compute_threads({}) == 1
    monkeypatch.setattr(cpu, "usable_cpus", lambda: 1)
    assert compute_threads({}) == 1  # one core: still one thread
    monkeypatch.setattr(cpu, "usable_cpus", lambda: 8)
    assert compute_threads({}) == 7
    assert compute_threads({THREADS_ENV: "  "}) == 7  # blank counts as unset


def test_the_environment_variable_overrides_at_its_boundary() -> None:
    assert compute_threads({THREADS_ENV: "1"}) == 1
    assert compute_threads({THREADS_ENV: "3"}) == 3


@pytest.mark.parametrize("raw", ["0", "-2", "two", "1.5"])
def test_a_bad_value_names_the_variable_the_value_and_the_rule(raw: str) -> None:
    with pytest.raises(ConfigError, match=rf"CIBLE_THREADS='{raw}': must be a whole number >= 1"):
        compute_threads({THREADS_ENV: raw})


def test_limited_threads_caps_every_pool_and_restores_it() -> None:
    assert np.ones(1).sum() == 1.0  # NumPy's BLAS is loaded: there is a pool to cap
    assert threadpool_info()
    before = {(p["user_api"], p["filepath"]): p["num_threads"] for p in threadpool_info()}
    with limited_threads(1) as cap:
        assert cap == 1
        assert all(p["num_threads"] == 1 for p in threadpool_info())
    after = {(p["user_api"], p["filepath"]): p["num_threads"] for p in threadpool_info()}
    assert after == before


def test_the_duckdb_warehouse_uses_the_usable_cores() -> None:
    from cible.warehouse.duckdb import DuckDBWarehouse

    wh = DuckDBWarehouse(":memory:")
    try:
        assert wh._con.execute("SELECT current_setting('threads')").fetchone() == (usable_cpus(),)
    finally:
        wh.close()
