"""Old import paths of moved modules still resolve, to the same objects, with a warning."""

from __future__ import annotations

import importlib
import re
import sys
import warnings

import pytest

from cible import _moved


@pytest.mark.parametrize(("old", "new"), sorted(_moved.MOVED_MODULES.items()))
def test_an_old_module_path_is_the_new_module_and_warns(old: str, new: str) -> None:
    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=f"^{re.escape(old)} moved to {re.escape(new)}; "):
        module = importlib.import_module(old)
    assert module is importlib.import_module(new)
    assert module.__name__ == new
    sys.modules.pop(old, None)


def test_every_new_module_exists() -> None:
    for new in _moved.MOVED_MODULES.values():
        assert importlib.util.find_spec(new) is not None, new
    for new, _ in _moved.MOVED_PACKAGES.values():
        assert importlib.util.find_spec(new) is not None, new


def test_a_name_the_old_package_never_had_is_an_attribute_error() -> None:
    module = importlib.import_module("cible.quality.dedup")
    with pytest.raises(
        AttributeError, match=r"module 'cible\.quality\.dedup' has no attribute 'x'"
    ):
        _ = module.x


def test_the_new_paths_import_without_any_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for new in _moved.MOVED_MODULES.values():
            importlib.import_module(new)


def test_install_is_idempotent() -> None:
    before = sum(isinstance(f, _moved._MovedFinder) for f in sys.meta_path)
    _moved.install()
    assert sum(isinstance(f, _moved._MovedFinder) for f in sys.meta_path) == before == 1
