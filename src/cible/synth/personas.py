"""The personas planted in the synthetic world: how often, how much and where they buy, what they
send back.

Each real customer belongs to exactly one :class:`Persona`, recorded in ``truth.csv``. A persona is
a small generative model, not a fixed profile: every customer draws their own mean gap between
orders, their own price level and their own return propensity around the persona's values
(lognormal or beta noise), gaps are gamma distributed, and basket sizes follow from the SKUs they
pick, so customers of one persona differ and neighbouring personas overlap a little. The personas
are still far enough apart on the RFM-style features (recency, frequency, monetary, average basket,
tenure, inter-purchase time, refund rate, recent activity) for k-means on those features to find
them again, which is what the acceptance test of :mod:`cible.synth` checks.

Times are in days since the start of the event window (:data:`WINDOW_DAYS` days long); the
natural ``as_of`` of the world is the day after the window, day :data:`WINDOW_DAYS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

WINDOW_START = date(2024, 7, 1)
WINDOW_END = date(2026, 6, 30)
WINDOW_DAYS = (WINDOW_END - WINDOW_START).days + 1
AS_OF = WINDOW_END + timedelta(days=1)

ORDER_CHANNELS = ("web", "app", "store")


@dataclass(frozen=True)
class Persona:
    """Generative parameters of one persona (days are days since the window start)."""

    key: str
    label: str
    description: str
    share: float
    join_days: tuple[float, float]
    """First activity of a customer, uniform in this range of days after the window start."""
    stop_days: tuple[float, float]
    """Orders and browsing stop this many days before ``as_of`` (uniform; ``(0, 0)``: active)."""
    gap_days: float
    """Typical days between two orders: each customer's own mean gap is lognormal around it."""
    gap_shape: float
    """Gamma shape of the gaps: high values make a regular rhythm, 1 is memoryless."""
    gap_sigma: float
    """Lognormal spread of each customer's own mean gap around ``gap_days``."""
    max_orders: int
    """Cap on the number of orders in the window (0: no cap)."""
    lines_per_order: float
    """Mean number of lines of an order (1 + Poisson, at most 6)."""
    line_price: float
    """Median unit price (EUR) of the SKUs the persona buys."""
    price_sigma: float
    """Lognormal spread of each customer's own price level around ``line_price``."""
    quantity_extra: float
    """Mean number of extra units on a line (quantity = 1 + Poisson, at most 9)."""
    return_rate: float
    """Mean share of purchased lines that are returned (each customer draws their own)."""
    browse_per_day: float
    """Page views, product views and cart adds per day while the customer is active (each
    customer's own rate is lognormal around it)."""
    emails_per_day: float
    """Newsletter opens per day from the first activity to the end of the window (also after
    ``stop_days``)."""
    click_rate: float
    """Share of e-mail opens followed by a click."""
    channels: tuple[float, float, float]
    """Weights of the order channels ``web``, ``app``, ``store`` (browsing uses web/app alike)."""
    mobile_share: float
    """Share of web sessions on a mobile phone (the rest on desktop, a few on tablets)."""


PERSONAS: tuple[Persona, ...] = (
    Persona(
        key="champion",
        label="Champions",
        description="An order every two to three weeks, expensive items (baskets near 300 EUR), browse a lot.",
        share=0.10,
        join_days=(0.0, 60.0),
        stop_days=(0.0, 0.0),
        gap_days=18.0,
        gap_shape=3.0,
        gap_sigma=0.2,
        max_orders=0,
        lines_per_order=1.5,
        line_price=150.0,
        price_sigma=0.25,
        quantity_extra=0.3,
        return_rate=0.03,
        browse_per_day=0.08,
        emails_per_day=0.015,
        click_rate=0.35,
        channels=(0.55, 0.35, 0.10),
        mobile_share=0.5,
    ),
    Persona(
        key="loyal",
        label="Loyal regulars",
        description="Store regulars: an order every six weeks like clockwork, medium baskets, little online.",
        share=0.18,
        join_days=(0.0, 90.0),
        stop_days=(0.0, 0.0),
        gap_days=42.0,
        gap_shape=8.0,
        gap_sigma=0.15,
        max_orders=0,
        lines_per_order=1.7,
        line_price=35.0,
        price_sigma=0.25,
        quantity_extra=0.2,
        return_rate=0.03,
        browse_per_day=0.005,
        emails_per_day=0.005,
        click_rate=0.2,
        channels=(0.25, 0.15, 0.6),
        mobile_share=0.45,
    ),
    Persona(
        key="big_ticket",
        label="Big-ticket occasionals",
        description="Two or three orders a year of very expensive items (near 550 EUR), hardly browse.",
        share=0.10,
        join_days=(0.0, 150.0),
        stop_days=(0.0, 0.0),
        gap_days=170.0,
        gap_shape=2.0,
        gap_sigma=0.25,
        max_orders=0,
        lines_per_order=1.2,
        line_price=450.0,
        price_sigma=0.3,
        quantity_extra=0.0,
        return_rate=0.02,
        browse_per_day=0.004,
        emails_per_day=0.004,
        click_rate=0.2,
        channels=(0.6, 0.1, 0.3),
        mobile_share=0.3,
    ),
    Persona(
        key="bargain",
        label="Bargain hunters",
        description="Small cheap baskets (near 10 EUR) every three weeks, mostly in the app.",
        share=0.14,
        join_days=(0.0, 90.0),
        stop_days=(0.0, 0.0),
        gap_days=20.0,
        gap_shape=2.0,
        gap_sigma=0.25,
        max_orders=0,
        lines_per_order=1.1,
        line_price=5.0,
        price_sigma=0.25,
        quantity_extra=0.6,
        return_rate=0.02,
        browse_per_day=0.03,
        emails_per_day=0.01,
        click_rate=0.3,
        channels=(0.15, 0.8, 0.05),
        mobile_share=0.8,
    ),
    Persona(
        key="returner",
        label="Serial returners",
        description="An order every five to six weeks, multi-item baskets, half of the lines sent back.",
        share=0.10,
        join_days=(0.0, 90.0),
        stop_days=(0.0, 0.0),
        gap_days=40.0,
        gap_shape=2.5,
        gap_sigma=0.2,
        max_orders=0,
        lines_per_order=2.0,
        line_price=45.0,
        price_sigma=0.25,
        quantity_extra=0.3,
        return_rate=0.5,
        browse_per_day=0.07,
        emails_per_day=0.01,
        click_rate=0.3,
        channels=(0.75, 0.2, 0.05),
        mobile_share=0.5,
    ),
    Persona(
        key="lapsed",
        label="Lapsed",
        description="Used to buy every five to six weeks; no order and no visit for 8 to 15 months.",
        share=0.14,
        join_days=(0.0, 90.0),
        stop_days=(240.0, 450.0),
        gap_days=40.0,
        gap_shape=2.0,
        gap_sigma=0.2,
        max_orders=0,
        lines_per_order=1.8,
        line_price=30.0,
        price_sigma=0.25,
        quantity_extra=0.2,
        return_rate=0.03,
        browse_per_day=0.01,
        emails_per_day=0.002,
        click_rate=0.1,
        channels=(0.5, 0.2, 0.3),
        mobile_share=0.45,
    ),
    Persona(
        key="new",
        label="New customers",
        description="First seen in the last 15 to 60 days, one or two orders so far, browse eagerly.",
        share=0.10,
        join_days=(670.0, 715.0),
        stop_days=(0.0, 0.0),
        gap_days=15.0,
        gap_shape=2.0,
        gap_sigma=0.2,
        max_orders=2,
        lines_per_order=1.8,
        line_price=35.0,
        price_sigma=0.3,
        quantity_extra=0.2,
        return_rate=0.02,
        browse_per_day=0.15,
        emails_per_day=0.03,
        click_rate=0.3,
        channels=(0.6, 0.3, 0.1),
        mobile_share=0.55,
    ),
    Persona(
        key="window_shopper",
        label="Window shoppers",
        description="Browse every few days but buy once or twice a year, small baskets.",
        share=0.14,
        join_days=(0.0, 90.0),
        stop_days=(0.0, 0.0),
        gap_days=220.0,
        gap_shape=1.5,
        gap_sigma=0.2,
        max_orders=0,
        lines_per_order=1.3,
        line_price=25.0,
        price_sigma=0.3,
        quantity_extra=0.1,
        return_rate=0.02,
        browse_per_day=0.06,
        emails_per_day=0.012,
        click_rate=0.3,
        channels=(0.6, 0.35, 0.05),
        mobile_share=0.6,
    ),
)


def persona_keys() -> tuple[str, ...]:
    """The persona keys in the order of :data:`PERSONAS` (the codes used in the arrays)."""
    return tuple(p.key for p in PERSONAS)


def assign_personas(rng: np.random.Generator, n: int) -> np.ndarray:
    """Draw the persona code (index into :data:`PERSONAS`) of ``n`` customers by share."""
    shares = np.array([p.share for p in PERSONAS], dtype=np.float64)
    return rng.choice(len(PERSONAS), size=n, p=shares / shares.sum())
