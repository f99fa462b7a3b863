"""Use cases of ``cible versions``: the published segment models of a profile store, and a
rollback that re-publishes an older one (see :mod:`cible.store.versions`)."""

from __future__ import annotations

from dataclasses import dataclass

from cible.store import ProfileStore
from cible.store.versions import VersionInfo, VersionRegistry


@dataclass(frozen=True)
class RollbackResult:
    rolled_back_to: int
    new_version: int
    info: VersionInfo


def list_versions(url: str) -> list[VersionInfo]:
    with ProfileStore.open(url) as store:
        return VersionRegistry(store.engine, store.url).list()


def show_version(url: str, version: int) -> VersionInfo:
    with ProfileStore.open(url) as store:
        return VersionRegistry(store.engine, store.url).show(version)


def rollback_version(url: str, version: int) -> RollbackResult:
    """Make ``version`` the active model again: re-published as a new version, every profiled
    customer re-scored with it."""
    with ProfileStore.open(url) as store:
        registry = VersionRegistry(store.engine, store.url)
        new = registry.rollback(version)
        return RollbackResult(version, new, registry.show(new))
