"""Warehouse backends behind one seam (DuckDB embedded by default)."""

from cible.warehouse.base import Dialect, LoadCounts, Warehouse
from cible.warehouse.registry import open_warehouse

__all__ = ["Dialect", "LoadCounts", "Warehouse", "open_warehouse"]
