"""How many threads cible's numeric work uses, so that a run shares the machine gracefully.

scikit-learn's OpenMP loops (k-means, t-SNE gradients) and the BLAS behind NumPy start one thread
per core and meet at a barrier many times a second. When another CPU-bound process holds one of
the cores, every barrier waits for the thread that was descheduled, and the waiting threads spin
(issue 15: on 2 cores the Online Retail run went from 15 s to 61 s beside one busy process). The
matrices cible clusters are narrow (customers x about ten features), so those pools gain little
from a second thread on a quiet machine and lose a lot on a shared one.

* :func:`usable_cpus`: the cores this process may run on (its CPU affinity, which containers and
  ``taskset`` restrict; ``os.cpu_count()`` ignores both).
* :func:`compute_threads`: the size of the BLAS/OpenMP pools: ``CIBLE_THREADS`` when set, else
  one core fewer than :func:`usable_cpus` (at least 1), leaving a core to the rest of the
  machine. joblib work in cible already runs with ``n_jobs=1``.
* :func:`limited_threads`: applies :func:`compute_threads` to every pool threadpoolctl knows
  (OpenBLAS, MKL, OpenMP) for the duration of a block.

DuckDB's scheduler hands out tasks rather than meeting at barriers, so the warehouse keeps
:func:`usable_cpus` threads (``SET threads``), set explicitly because its own default counts the
host's cores, not the process's.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from threadpoolctl import threadpool_limits

from cible.exceptions import ConfigError

THREADS_ENV = "CIBLE_THREADS"


def usable_cpus() -> int:
    """The number of cores this process may run on (at least 1)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def compute_threads(environ: dict[str, str] | None = None) -> int:
    """Threads for BLAS/OpenMP: ``CIBLE_THREADS`` (a whole number >= 1) or ``usable_cpus() - 1``.

    Raises :class:`~cible.exceptions.ConfigError` naming the variable, its value and the rule
    when ``CIBLE_THREADS`` is not a whole number >= 1.
    """
    env = os.environ if environ is None else environ
    raw = env.get(THREADS_ENV, "").strip()
    if not raw:
        return max(1, usable_cpus() - 1)
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigError(
            f"environment variable {THREADS_ENV}={raw!r}: must be a whole number >= 1 "
            "(threads for the numeric libraries), or unset for one less than the usable cores"
        )
    return value


@contextmanager
def limited_threads(threads: int | None = None) -> Iterator[int]:
    """Cap every BLAS/OpenMP pool at ``threads`` (default :func:`compute_threads`) in the block;
    yields the cap."""
    cap = compute_threads() if threads is None else threads
    with threadpool_limits(limits=cap):
        yield cap
