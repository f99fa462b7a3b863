"""Vectorised simulation of what the customers of one chunk do: orders, returns, browsing, e-mails.

All times are float days since the window start; nothing is formatted here (see
:mod:`cible.synth.text_arrays`). Per persona, each customer draws a mean gap between orders (lognormal
around the persona's), the gaps are gamma distributed and accumulated in a (customers x orders)
matrix, so there is no Python loop per customer or per event. Every customer is given at least one
order inside their active period, and a first page view on the day they join, which therefore
fixes their tenure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cible.synth.catalogue import Catalogue
from cible.synth.personas import PERSONAS, WINDOW_DAYS, Persona

DEVICES = ("desktop", "mobile", "tablet")
_MAX_EXTRA_LINES = 5
_MAX_EXTRA_UNITS = 8
_LINE_PRICE_SIGMA = 0.35
_RETURN_CONCENTRATION = 40.0
_ACTIVITY_SIGMA = 0.3


@dataclass(frozen=True)
class Population:
    """The true customers of a chunk: persona code, first active day, day activity stops, own
    median unit price (EUR) and browsing intensity (multiplier of the persona's rate)."""

    persona: np.ndarray
    join: np.ndarray
    stop: np.ndarray
    price_level: np.ndarray
    activity: np.ndarray


@dataclass(frozen=True)
class OrderLines:
    """Purchase lines of a chunk, one row per line, orders numbered 0.. within the chunk."""

    order: np.ndarray
    customer: np.ndarray
    day: np.ndarray
    line_no: np.ndarray
    sku: np.ndarray
    quantity: np.ndarray
    price_cents: np.ndarray
    channel: np.ndarray
    device: np.ndarray


@dataclass(frozen=True)
class Returns:
    """Returned lines: index into :class:`OrderLines` and the day of the return."""

    line: np.ndarray
    day: np.ndarray


@dataclass(frozen=True)
class WebEvents:
    """Web, app and e-mail events; ``sku`` and ``category`` are -1 when the event has none."""

    customer: np.ndarray
    day: np.ndarray
    kind: np.ndarray
    channel: np.ndarray
    device: np.ndarray
    sku: np.ndarray
    category: np.ndarray


def draw_population(rng: np.random.Generator, persona: np.ndarray) -> Population:
    """Draw the customer-level traits of customers whose persona codes are given."""
    join = np.empty(persona.shape[0])
    stop = np.empty(persona.shape[0])
    for code, p in enumerate(PERSONAS):
        rows = np.flatnonzero(persona == code)
        join[rows] = rng.uniform(*p.join_days, size=len(rows))
        stop[rows] = WINDOW_DAYS - rng.uniform(*p.stop_days, size=len(rows))
    median = np.array([p.line_price for p in PERSONAS])[persona]
    sigma = np.array([p.price_sigma for p in PERSONAS])[persona]
    return Population(
        persona=persona,
        join=join,
        stop=stop,
        price_level=median * rng.lognormal(0.0, sigma),
        activity=rng.lognormal(0.0, _ACTIVITY_SIGMA, size=len(persona)),
    )


def _order_days(
    rng: np.random.Generator, p: Persona, start: np.ndarray, stop: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(row, day) of the orders of one persona group, at least one per row, sorted by row."""
    n = len(start)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    span = stop - start
    gap = p.gap_days * rng.lognormal(0.0, p.gap_sigma, size=n)
    width = int(np.ceil(1.5 * np.max(span / gap))) + 8
    if p.max_orders:
        width = min(width, p.max_orders)
    gaps = rng.gamma(p.gap_shape, 1.0 / p.gap_shape, size=(n, width)) * gap[:, None]
    gaps[:, 0] *= rng.uniform(size=n)
    days = start[:, None] + np.cumsum(gaps, axis=1)
    valid = days < stop[:, None]
    empty = ~valid[:, 0]
    days[empty, 0] = start[empty] + rng.uniform(size=int(empty.sum())) * span[empty]
    valid[empty, 0] = True
    rows, cols = np.nonzero(valid)
    return rows, days[rows, cols]


def devices(rng: np.random.Generator, channel: np.ndarray, mobile_share: np.ndarray) -> np.ndarray:
    """Device code per event: app -> mobile/tablet, web -> mobile/desktop/tablet, store -> -1."""
    u = rng.uniform(size=len(channel))
    web = np.where(u < mobile_share, 1, np.where(u < mobile_share + 0.08, 2, 0))
    app = np.where(u < 0.85, 1, 2)
    return np.where(channel == 0, web, np.where(channel == 1, app, -1)).astype(np.int8)


def simulate_orders(
    rng: np.random.Generator, pop: Population, catalogue: Catalogue
) -> tuple[OrderLines, Returns]:
    """Orders, their lines and the returned lines of every customer of the chunk."""
    customers, days, channels, n_lines = [], [], [], []
    for code, p in enumerate(PERSONAS):
        members = np.flatnonzero(pop.persona == code)
        rows, day = _order_days(rng, p, pop.join[members], pop.stop[members])
        customers.append(members[rows])
        days.append(day)
        channels.append(rng.choice(3, size=len(day), p=np.array(p.channels)))
        extra = rng.poisson(p.lines_per_order - 1.0, size=len(day))
        n_lines.append(1 + np.minimum(extra, _MAX_EXTRA_LINES))
    order_customer = np.concatenate(customers)
    order_day = np.concatenate(days)
    order_lines = np.concatenate(n_lines)
    order_channel = np.concatenate(channels).astype(np.int8)
    order_persona = pop.persona[order_customer]
    mobile = np.array([p.mobile_share for p in PERSONAS])[order_persona]
    order_device = devices(rng, order_channel, mobile)

    order = np.repeat(np.arange(order_day.shape[0]), order_lines)
    first_line = np.cumsum(order_lines) - order_lines
    line_no = np.arange(order.shape[0]) - np.repeat(first_line, order_lines) + 1
    customer = order_customer[order]
    persona = pop.persona[customer]
    target = pop.price_level[customer] * rng.lognormal(0.0, _LINE_PRICE_SIGMA, size=len(order))
    sku = catalogue.nearest(target)
    extra_units = np.array([p.quantity_extra for p in PERSONAS])[persona]
    quantity = 1 + np.minimum(rng.poisson(extra_units), _MAX_EXTRA_UNITS)
    lines = OrderLines(
        order=order,
        customer=customer,
        day=order_day[order],
        line_no=line_no,
        sku=sku,
        quantity=quantity,
        price_cents=catalogue.price_cents[sku],
        channel=order_channel[order],
        device=order_device[order],
    )
    return lines, _returns(rng, pop.persona, lines)


def _returns(rng: np.random.Generator, persona: np.ndarray, lines: OrderLines) -> Returns:
    """Each customer has a return propensity (beta around the persona's rate); returned lines
    come back 2 days to a few weeks later, and returns after the window are dropped."""
    mean = np.array([p.return_rate for p in PERSONAS])[persona]
    propensity = rng.beta(mean * _RETURN_CONCENTRATION, (1.0 - mean) * _RETURN_CONCENTRATION)
    returned = rng.uniform(size=len(lines.order)) < propensity[lines.customer]
    line = np.flatnonzero(returned)
    day = lines.day[line] + 2.0 + rng.gamma(2.0, 6.0, size=len(line))
    kept = day < WINDOW_DAYS
    return Returns(line=line[kept], day=day[kept])
