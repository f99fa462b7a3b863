"""Atomic output writing: a result file either appears whole or not at all."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def staged(out_dir: Path) -> Iterator[Callable[[str], Path]]:
    """Give paths in a private staging folder; on success move every file into ``out_dir``.

    If the block raises, nothing is moved and the staging folder is removed, so ``out_dir`` never
    holds a half-written set of results.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".cible-stage-", dir=out_dir))
    names: list[str] = []

    def path(name: str) -> Path:
        names.append(name)
        return stage / name

    try:
        yield path
        for name in names:
            if (stage / name).exists():
                os.replace(stage / name, out_dir / name)
    finally:
        for leftover in stage.iterdir():
            leftover.unlink()
        stage.rmdir()


def write_json(path: Path, data: object) -> None:
    path.write_text(
        json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n", encoding="utf-8"
    )
