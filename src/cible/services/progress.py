"""How long-running services report progress without knowing who draws it (CLI, API, tests)."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """A sink for progress: one task at a time, each with an optional total."""

    def start(self, description: str, total: float | None = None, unit: str = "") -> None:
        """A new task; ``unit="bytes"`` shows the total as a size and the speed."""

    def advance(self, amount: float = 1.0) -> None: ...

    def note(self, text: str) -> None:
        """A short live text beside the current task (e.g. rows read and rows/s)."""

    def done(self, summary: str = "") -> None: ...


class NullProgress:
    """Progress that goes nowhere (library use, tests)."""

    def start(self, description: str, total: float | None = None, unit: str = "") -> None:
        del description, total, unit

    def advance(self, amount: float = 1.0) -> None:
        del amount

    def note(self, text: str) -> None:
        del text

    def done(self, summary: str = "") -> None:
        del summary
