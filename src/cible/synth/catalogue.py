"""The product catalogue of the synthetic shop: SKUs with a category and a price.

Customers pick SKUs by price: a persona's price level is turned into a target unit price and the
SKU whose price is nearest is bought, so baskets and categories follow from the catalogue (big
tickets end up in High-Tech, Maison and Jardin, bargains in Épicerie and Beauté).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CATEGORIES: tuple[str, ...] = (
    "Maison",
    "Mode",
    "Beauté",
    "Sport",
    "High-Tech",
    "Jardin",
    "Enfants",
    "Épicerie",
)
# Median price (EUR) and how many SKUs of each category, in the order of CATEGORIES.
_CATEGORY_MEDIAN_PRICE = (45.0, 35.0, 18.0, 40.0, 160.0, 60.0, 25.0, 6.0)
_CATEGORY_SKUS = (260, 300, 180, 180, 200, 120, 160, 100)
_PRICE_SIGMA = 0.9
_MIN_PRICE_CENTS = 99
_MAX_PRICE_CENTS = 299_999


@dataclass(frozen=True)
class Catalogue:
    """SKUs sorted by price: ``price_cents`` ascending, ``sku_number`` (1..n) and ``category``
    (index into :data:`CATEGORIES`) aligned with it."""

    sku_number: np.ndarray
    category: np.ndarray
    price_cents: np.ndarray

    def __len__(self) -> int:
        return int(self.price_cents.shape[0])

    def nearest(self, target_price: np.ndarray) -> np.ndarray:
        """Position (into the sorted arrays) of the SKU whose price is nearest each target (EUR)."""
        cents = np.asarray(target_price, dtype=np.float64) * 100.0
        right = np.searchsorted(self.price_cents, cents).clip(1, len(self) - 1)
        left = right - 1
        closer_left = (cents - self.price_cents[left]) < (self.price_cents[right] - cents)
        return np.where(closer_left, left, right)


def build_catalogue(rng: np.random.Generator) -> Catalogue:
    """Draw the catalogue: lognormal prices around each category's median, ending in .99."""
    category = np.repeat(np.arange(len(CATEGORIES)), _CATEGORY_SKUS)
    median = np.repeat(np.array(_CATEGORY_MEDIAN_PRICE), _CATEGORY_SKUS)
    euros = median * rng.lognormal(0.0, _PRICE_SIGMA, size=len(category))
    cents = (np.ceil(euros) * 100 - 1).astype(np.int64).clip(_MIN_PRICE_CENTS, _MAX_PRICE_CENTS)
    sku_number = rng.permutation(category.shape[0]) + 1
    order = np.argsort(cents, kind="stable")
    return Catalogue(
        sku_number=sku_number[order], category=category[order], price_cents=cents[order]
    )
