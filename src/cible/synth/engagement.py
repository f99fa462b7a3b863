"""Vectorised simulation of the web, app and e-mail events of the customers of one chunk.

Four sources of events, concatenated:

* a first ``page_view`` on the day each customer joins (it fixes their tenure);
* browsing while active: ``page_view``, ``product_view`` and ``cart_add`` at the persona's daily
  rate times the customer's own activity, uniform between joining and stopping;
* a ``cart_add`` a few minutes before half of the lines bought on the web or in the app;
* newsletters: ``email_open`` from joining to the end of the window (lapsed customers keep
  receiving them), some followed by an ``email_click`` a few minutes later.
"""

from __future__ import annotations

import numpy as np

from cible.synth.activity import OrderLines, Population, WebEvents, devices
from cible.synth.catalogue import Catalogue
from cible.synth.personas import PERSONAS, WINDOW_DAYS

WEB_TYPES = ("page_view", "product_view", "cart_add", "email_open", "email_click")
WEB_CHANNELS = ("web", "app", "email")
PAGE_VIEW, PRODUCT_VIEW, CART_ADD, EMAIL_OPEN, EMAIL_CLICK = range(5)
EMAIL_CHANNEL = 2
_BROWSE_TYPE_WEIGHTS = (0.55, 0.35, 0.10)
_CATEGORY_PAGE_SHARE = 0.5
_CART_BEFORE_ORDER_SHARE = 0.1
_BROWSE_PRICE_SIGMA = 0.6
_MINUTE = 1.0 / 1440.0


def _persona_values(pop: Population, attribute: str) -> np.ndarray:
    """One persona attribute per customer of the chunk."""
    return np.array([getattr(p, attribute) for p in PERSONAS])[pop.persona]


def _app_share(pop: Population) -> np.ndarray:
    """Share of a customer's browsing done in the app rather than on the web site."""
    weights = np.array([p.channels for p in PERSONAS])[pop.persona]
    return weights[:, 1] / (weights[:, 0] + weights[:, 1])


def _browsing(
    rng: np.random.Generator, pop: Population, catalogue: Catalogue, n_categories: int
) -> WebEvents:
    """Join visit plus browsing between joining and stopping."""
    rate = _persona_values(pop, "browse_per_day") * pop.activity
    counts = rng.poisson(rate * (pop.stop - pop.join)) + 1
    customer = np.repeat(np.arange(pop.persona.shape[0]), counts)
    first = np.cumsum(counts) - counts
    day = pop.join[customer] + rng.uniform(size=len(customer)) * (
        pop.stop[customer] - pop.join[customer]
    )
    day[first] = pop.join
    kind = rng.choice(3, size=len(customer), p=np.array(_BROWSE_TYPE_WEIGHTS))
    kind[first] = PAGE_VIEW
    channel = (rng.uniform(size=len(customer)) < _app_share(pop)[customer]).astype(np.int8)
    device = devices(rng, channel, _persona_values(pop, "mobile_share")[customer])
    target = pop.price_level[customer] * rng.lognormal(0.0, _BROWSE_PRICE_SIGMA, len(customer))
    sku = np.where(kind == PAGE_VIEW, -1, catalogue.nearest(target))
    category = np.where(sku >= 0, catalogue.category[sku], -1)
    category_page = (kind == PAGE_VIEW) & (rng.uniform(size=len(kind)) < _CATEGORY_PAGE_SHARE)
    category[category_page] = rng.integers(0, n_categories, size=int(category_page.sum()))
    return WebEvents(customer, day, kind.astype(np.int8), channel, device, sku, category)


def _carts(
    rng: np.random.Generator, pop: Population, lines: OrderLines, catalogue: Catalogue
) -> WebEvents:
    """A cart_add shortly before some of the lines bought online (web or app)."""
    online = np.flatnonzero(lines.channel <= 1)
    picked = online[rng.uniform(size=len(online)) < _CART_BEFORE_ORDER_SHARE]
    customer = lines.customer[picked]
    minutes = rng.uniform(2.0, 30.0, size=len(picked))
    day = np.maximum(lines.day[picked] - minutes * _MINUTE, pop.join[customer])
    sku = lines.sku[picked]
    kind = np.full(picked.shape[0], CART_ADD, dtype=np.int8)
    return WebEvents(
        customer,
        day,
        kind,
        lines.channel[picked],
        lines.device[picked],
        sku,
        catalogue.category[sku],
    )


def _emails(rng: np.random.Generator, pop: Population) -> WebEvents:
    """Newsletter opens from joining to the end of the window, some followed by a click."""
    rate = _persona_values(pop, "emails_per_day")
    counts = rng.poisson(rate * (WINDOW_DAYS - pop.join))
    opener = np.repeat(np.arange(pop.persona.shape[0]), counts)
    opened = pop.join[opener] + rng.uniform(size=len(opener)) * (WINDOW_DAYS - pop.join[opener])
    clicked = rng.uniform(size=len(opener)) < _persona_values(pop, "click_rate")[opener]
    click_day = opened[clicked] + rng.uniform(0.5, 30.0, size=int(clicked.sum())) * _MINUTE
    kept = click_day < WINDOW_DAYS
    customer = np.concatenate([opener, opener[clicked][kept]])
    day = np.concatenate([opened, click_day[kept]])
    kind = np.concatenate(
        [np.full(opener.shape[0], EMAIL_OPEN), np.full(int(kept.sum()), EMAIL_CLICK)]
    ).astype(np.int8)
    return email_events(rng, customer, day, kind)


def email_events(
    rng: np.random.Generator, customer: np.ndarray, day: np.ndarray, kind: np.ndarray
) -> WebEvents:
    """E-mail events (channel ``email``, read on mobile or desktop, no product)."""
    n = len(customer)
    device = np.where(rng.uniform(size=n) < 0.6, 1, 0).astype(np.int8)
    none = np.full(n, -1)
    channel = np.full(n, EMAIL_CHANNEL, dtype=np.int8)
    return WebEvents(customer, day, kind, channel, device, none, none.copy())


def concat_events(parts: list[WebEvents]) -> WebEvents:
    """Concatenate event arrays field by field."""
    return WebEvents(
        customer=np.concatenate([p.customer for p in parts]),
        day=np.concatenate([p.day for p in parts]),
        kind=np.concatenate([p.kind for p in parts]),
        channel=np.concatenate([p.channel for p in parts]),
        device=np.concatenate([p.device for p in parts]),
        sku=np.concatenate([p.sku for p in parts]),
        category=np.concatenate([p.category for p in parts]),
    )


def simulate_engagement(
    rng: np.random.Generator,
    pop: Population,
    lines: OrderLines,
    catalogue: Catalogue,
    n_categories: int,
) -> WebEvents:
    """Every web, app and e-mail event of the chunk's true customers (unsorted)."""
    return concat_events(
        [
            _browsing(rng, pop, catalogue, n_categories),
            _carts(rng, pop, lines, catalogue),
            _emails(rng, pop),
        ]
    )
