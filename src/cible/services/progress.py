"""How long-running services report progress without knowing who draws it (CLI, API, tests)."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """A sink for progress: one task at a time, each with an optional total."""

    def start(self, description: str, total: float | None = None) -> None: ...

    def advance(self, amount: float = 1.0) -> None: ...

    def done(self, summary: str = "") -> None: ...


class NullProgress:
    """Progress that goes nowhere (library use, tests)."""

    def start(self, description: str, total: float | None = None) -> None:
        del description, total

    def advance(self, amount: float = 1.0) -> None:
        del amount

    def done(self, summary: str = "") -> None:
        del summary
