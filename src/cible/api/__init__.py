"""The REST service: ``create_app`` builds the FastAPI app (``cible serve`` runs it)."""

from __future__ import annotations

from cible.api.app import create_app

__all__ = ["create_app"]
