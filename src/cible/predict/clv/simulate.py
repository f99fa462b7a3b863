"""Transaction logs drawn from the BG/NBD and Gamma-Gamma generative stories.

Used to check that the fitted models recover known parameters (tests, ``bench/``, docs/clv.md)
and to try the CLV pipeline without data. Each customer:

1. is acquired (first purchase) at a uniform time in ``[0, acquisition_days)``;
2. draws ``lambda ~ Gamma(r, rate alpha)`` and ``p ~ Beta(a, b)``; while active, waits
   ``Exponential(lambda)`` between purchases and drops out with probability ``p`` right after each
   repeat purchase (never after the first one, as in equation 6 of Fader, Hardie & Lee 2005);
3. optionally draws ``nu ~ Gamma(q, rate v)`` and spends ``Gamma(p, rate nu)`` on each purchase
   (Gamma-Gamma, Fader, Hardie & Lee 2005 "RFM and CLV").

Observation ends at ``observation_days`` for everyone. ``alpha`` is per ``unit_days`` days (7 for
the weekly CDNOW parameters).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa

from cible.exceptions import CLVError
from cible.schemas.events import EVENTS_SCHEMA

# Fader, Hardie & Lee (2005), CDNOW cohort (weeks): BG/NBD and Gamma-Gamma estimates.
CDNOW_BGNBD: dict[str, float] = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
CDNOW_GAMMA_GAMMA: dict[str, float] = {"p": 6.25, "q": 3.74, "v": 15.44}


@dataclass(frozen=True)
class SimulatedLog:
    """``transactions``: one row per purchase (``customer_id``, ``timestamp`` UTC, ``value``);
    ``customers``: the hidden truth per customer (``lam``, ``p``, ``nu``, ``acquired`` days)."""

    transactions: pd.DataFrame
    customers: pd.DataFrame
    as_of: date  # the first day not observed: every purchase is before its midnight (UTC)

    @property
    def observation_end(self) -> date:
        """The last day observed."""
        return self.as_of - timedelta(days=1)

    def to_events(self, source: str = "simulated") -> pa.Table:
        """The purchases as canonical warehouse events (one order of one line each)."""
        tr = self.transactions
        n = len(tr)
        ids = pa.array([f"{source}-{i}" for i in range(n)], pa.string())
        columns = {
            "event_id": ids,
            "customer_id": pa.array(tr["customer_id"].astype(str).tolist(), pa.string()),
            "source": pa.array([source] * n, pa.string()),
            "event_type": pa.array(["purchase"] * n, pa.string()),
            "timestamp": pa.array(tr["timestamp"].to_numpy(), pa.timestamp("us", tz="UTC")),
            "order_id": ids,
            "amount": pa.array(tr["value"].to_numpy(), pa.float64(), from_pandas=True),
        }
        return pa.table(
            {f.name: columns.get(f.name, pa.nulls(n, f.type)) for f in EVENTS_SCHEMA},
            schema=EVENTS_SCHEMA,
        )


def simulate_transactions(
    n_customers: int,
    bgnbd: dict[str, float],
    gamma_gamma: dict[str, float] | None = None,
    *,
    acquisition_days: float = 84.0,
    observation_days: int = 273,
    unit_days: float = 7.0,
    start: date = date(2020, 1, 1),
    random_state: int = 0,
) -> SimulatedLog:
    """A purchase log of ``n_customers`` drawn from the generative story in the module docstring.

    Observation runs from midnight UTC of ``start`` for ``observation_days`` whole days.
    Timestamps are rounded down to the second. ``value`` is NaN without ``gamma_gamma``.
    """
    if n_customers < 1 or not 0 <= acquisition_days <= observation_days:
        raise CLVError(
            "need n_customers >= 1 and 0 <= acquisition_days <= observation_days, got "
            f"{n_customers}, {acquisition_days}, {observation_days}"
        )
    rng = np.random.default_rng(random_state)
    lam = rng.gamma(bgnbd["r"], 1.0 / bgnbd["alpha"], n_customers) / unit_days  # per day
    drop = rng.beta(bgnbd["a"], bgnbd["b"], n_customers)
    acquired = rng.uniform(0.0, acquisition_days, n_customers)
    owner, when = _purchase_times(rng, lam, drop, acquired, observation_days)
    if gamma_gamma is not None:
        nu = rng.gamma(gamma_gamma["q"], 1.0 / gamma_gamma["v"], n_customers)
        value = rng.gamma(gamma_gamma["p"], 1.0 / nu[owner])
    else:
        nu = np.full(n_customers, np.nan)
        value = np.full(owner.size, np.nan)
    width = len(str(n_customers))
    ids = np.char.add("C", np.char.zfill(np.arange(n_customers).astype(str), width))
    seconds = np.floor(when * 86400.0).astype("int64")
    origin = pd.Timestamp(datetime(start.year, start.month, start.day, tzinfo=UTC))
    order = np.lexsort((seconds, owner))  # zero-padded ids: their order is the owners' order
    transactions = pd.DataFrame(
        {
            "customer_id": ids[owner[order]],
            "timestamp": origin + pd.to_timedelta(seconds[order], unit="s"),
            "value": value[order],
        }
    )
    customers = pd.DataFrame(
        {"customer_id": ids, "lam": lam, "p": drop, "nu": nu, "acquired": acquired}
    )
    return SimulatedLog(transactions, customers, start + timedelta(days=int(observation_days)))


def _purchase_times(
    rng: np.random.Generator,
    lam: np.ndarray,
    drop: np.ndarray,
    acquired: np.ndarray,
    end: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(customer index, time in days) of every purchase, first purchases included.

    All active customers advance one purchase per round, so the loop runs as many rounds as the
    heaviest buyer makes purchases, each on the customers still active.
    """
    owners = [np.arange(lam.size)]
    times = [acquired.copy()]
    active = np.arange(lam.size)
    clock = acquired.copy()
    while active.size:
        clock[active] += rng.exponential(1.0 / lam[active])
        active = active[clock[active] < end]
        owners.append(active)
        times.append(clock[active].copy())
        active = active[rng.random(active.size) >= drop[active]]
    return np.concatenate(owners), np.concatenate(times)
