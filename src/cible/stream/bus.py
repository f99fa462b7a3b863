"""What every bus adapter shares: lazy client imports naming the extra, masked URLs, deadlines."""

from __future__ import annotations

import importlib
import re
import time
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
