"""LiveService decisions that need no database: where a run folder may be published from."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest

from cible.exceptions import ConflictError, NotFoundError
from cible.services.live import LiveService


def service(models_dir: Path | None) -> LiveService:
    return LiveService(cast(Any, None), models_dir=models_dir)


def test_publishing_is_disabled_without_a_models_dir() -> None:
    with pytest.raises(ConflictError, match="publishing through the API is disabled"):
        service(None).resolve_run_dir("run1")


def test_a_run_inside_the_models_dir_is_resolved(tmp_path: Path) -> None:
    (tmp_path / "runs" / "2026-12-01").mkdir(parents=True)
    assert (
        service(tmp_path / "runs").resolve_run_dir("2026-12-01")
        == (tmp_path / "runs" / "2026-12-01").resolve()
    )


@pytest.mark.parametrize("run_dir", ["../secrets", "/etc", "a/../../secrets"])
def test_a_path_outside_is_refused(tmp_path: Path, run_dir: str) -> None:
    (tmp_path / "runs" / "a").mkdir(parents=True)
    (tmp_path / "secrets").mkdir()
    with pytest.raises(ConflictError, match="is outside CIBLE_MODELS_DIR"):
        service(tmp_path / "runs").resolve_run_dir(run_dir)


def test_a_symlink_out_of_the_models_dir_is_refused(tmp_path: Path) -> None:
    (tmp_path / "runs").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "runs" / "link").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(ConflictError, match="'link' is outside CIBLE_MODELS_DIR"):
        service(tmp_path / "runs").resolve_run_dir("link")


def test_a_missing_run_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="run directory 'nope' does not exist"):
        service(tmp_path).resolve_run_dir("nope")


def test_the_models_dir_itself_is_allowed(tmp_path: Path) -> None:
    assert service(tmp_path).resolve_run_dir(".") == tmp_path.resolve()


def test_an_unusable_path_is_invalid_input(tmp_path: Path) -> None:
    from cible.exceptions import InvalidInputError

    with pytest.raises(InvalidInputError, match=r"run_dir: not a usable path \(ValueError\)"):
        service(tmp_path).resolve_run_dir("a\x00b")


def test_a_name_too_long_is_invalid_input(tmp_path: Path) -> None:
    from cible.exceptions import InvalidInputError

    with pytest.raises(InvalidInputError, match=r"run_dir: not a usable path \(OSError\)"):
        service(tmp_path).resolve_run_dir("x" * 300)
