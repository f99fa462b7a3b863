"""Atomic output writing: a result file either appears whole or not at all."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from cible._version import __version__
from cible.exceptions import CibleError


def run_meta(project: str, **facts: str) -> dict[str, str]:
    """The metadata every output of a run carries (``run.json``, the reports): the project, the
    facts of the run given by the caller (``as_of``, ``mode``...), when and by which version."""
    return {
        "project": project,
        **facts,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cible_version": __version__,
    }


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


def _entries(root: Path) -> set[Path]:
    found: set[Path] = set()
    for folder, dirs, files in os.walk(root):
        base = Path(folder)
        found.update(base / d for d in dirs)
        found.update(base / f for f in files)
    return found


@contextmanager
def nothing_left_on_failure(out_dir: Path) -> Iterator[None]:
    """If the block raises a :class:`CibleError`, remove every file and folder it created under
    ``out_dir`` (and ``out_dir`` itself when the block created it), so a failed run leaves the
    folder as it found it. Files the error names in ``kept_files`` (the data-quality report of a
    breached gate, written on purpose so the user can see why) stay. Files that existed before
    are never touched: writes to them go through :func:`staged` or a warehouse transaction.
    """
    out_dir = out_dir.resolve()
    existed = out_dir.exists()
    before = _entries(out_dir) if existed else set()
    try:
        yield
    except CibleError as e:
        kept = {Path(p).resolve() for p in getattr(e, "kept_files", ())}
        keep = kept | {parent for p in kept for parent in p.parents}
        if out_dir.exists():
            new = _entries(out_dir) - before - keep
            for path in sorted(new, key=lambda p: len(p.parts), reverse=True):
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
            if not existed and out_dir not in keep and not any(out_dir.iterdir()):
                out_dir.rmdir()
        raise
