"""What every bus adapter shares: lazy client imports naming the extra, masked URLs, deadlines."""

from __future__ import annotations

import importlib
import re
import time
from dataclasses import dataclass
from types import ModuleType

from cible.exceptions import OptionalDependencyError

DEAD_SUFFIX = ".dead"
DEFAULT_QUEUE = "cible.events"
DEFAULT_OUTPUT = "cible.segments"
_PASSWORD = re.compile(r"(//[^:/@]+:)[^@]+@")


def require(module: str, package: str, extra: str, purpose: str) -> ModuleType:
    """Import a bus client, or fail naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise OptionalDependencyError(package, extra, purpose) from e


def mask(url: str) -> str:
    """``url`` with any password replaced by ``***``."""
    return _PASSWORD.sub(r"\1***@", url)


def dead_name(name: str) -> str:
    """The dead-letter queue/topic/stream of ``name``."""
    return name + DEAD_SUFFIX


class Deadline:
    """Seconds left until a monotonic deadline."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return max(0.0, self.end - time.monotonic())


@dataclass(frozen=True)
class FlushPolicy:
    """When a batch in the making is handed to the consumer: as soon as it holds ``max_size``
    messages, or as soon as its OLDEST message has waited ``max_linger_s`` since the adapter
    received it, whichever comes first (both at once, a tie: due, by size). It never waits for
    a batch to fill: with ``max_linger_s`` 0 a batch is what the broker has already sent."""

    max_size: int
    max_linger_s: float = 0.0

    def __post_init__(self) -> None:
        if self.max_size < 1:
            raise ValueError(f"batch size {self.max_size} refused: give 1 or more")
        if not self.max_linger_s >= 0:  # NaN too
            raise ValueError(f"linger {self.max_linger_s} s refused: give 0 or more")

    def reason(self, size: int, oldest_at: float | None, now: float) -> str | None:
        """``"size"``, ``"linger"`` or None (not due) for ``size`` messages, the oldest
        received at ``oldest_at`` (monotonic seconds; None when empty), at ``now``."""
        if size >= self.max_size:
            return "size"
        if size and oldest_at is not None and now >= oldest_at + self.max_linger_s:
            return "linger"
        return None

    def due(self, size: int, oldest_at: float | None, now: float) -> bool:
        return self.reason(size, oldest_at, now) is not None

    def wait_s(self, oldest_at: float, now: float) -> float:
        """Seconds until the oldest message's linger ends (0 when it has)."""
        return max(0.0, oldest_at + self.max_linger_s - now)
