"""Errors of the profile store (part of the one tree of :mod:`cible.exceptions`)."""

from __future__ import annotations

from cible.exceptions import CibleError


class StoreError(CibleError):
    """The profile store failed: database unreachable, migration failed, bad model artifact.

    ``url`` is the store URL with any password masked."""

    def __init__(self, message: str, url: str = "") -> None:
        super().__init__(message)
        self.url = url


class InvalidEvent(CibleError):
    """A live event message is malformed: ``field`` names the culprit, ``reason`` the rule."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"invalid event: field {field!r}: {reason}")
        self.field = field
        self.reason = reason
