"""Fixtures of the API tests: a real profile store (SQLite in tmp_path, or PostgreSQL in a
random schema for the ``postgresql``-marked run), keys of each scope, and a TestClient."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cible.api import create_app
from cible.config.service import ServiceSettings
from tests.conftest import POSTGRES_URL, fresh_schema_name

if TYPE_CHECKING:
    from cible.store import ProfileStore

STORE_PG_URL = POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1)
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """create_app installs its JSON handler on the ``cible`` and ``uvicorn`` loggers: undone
    after each test so that other tests see the logging they expect."""
    names = ("cible", "uvicorn", "uvicorn.error", "uvicorn.access")
    saved = {
        n: (list(lg.handlers), lg.propagate, lg.level, lg.disabled)
        for n in names
        for lg in [logging.getLogger(n)]
    }
    yield
    for n, (handlers, propagate, level, disabled) in saved.items():
        lg = logging.getLogger(n)
        lg.handlers[:] = handlers
        lg.propagate, lg.level, lg.disabled = propagate, level, disabled


def open_store(backend: str, tmp_path: Path) -> tuple[ProfileStore, str | None]:
    """A migrated store; for PostgreSQL also the schema to drop (fails, never skips, when the
    server is unreachable)."""
    from cible.store import ProfileStore, StoreError

    if backend == "sqlite":
        return ProfileStore.open(f"sqlite:///{tmp_path / 'store.db'}"), None
    schema = fresh_schema_name()
    try:
        return ProfileStore.open(STORE_PG_URL, schema=schema), schema
    except StoreError as e:
        pytest.fail(
            f"the PostgreSQL server at {STORE_PG_URL} cannot be reached ({e}); start it with "
            "`make services` or point CIBLE_POSTGRES_URL at one",
            pytrace=False,
        )


def drop_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ProfileStore]:
    opened, schema = open_store(request.param, tmp_path)
    try:
        yield opened
    finally:
        opened.close()
        if schema is not None:
            drop_schema(schema)


@dataclass(frozen=True)
class Keys:
    read: str
    write: str
    admin: str
    read_write: str

    def for_scope(self, scope: str) -> str:
        return {"read": self.read, "write": self.write, "admin": self.admin}[scope]

    def lacking(self, scope: str) -> str:
        """A valid key that does not have ``scope``."""
        return {"read": self.write, "write": self.read, "admin": self.read_write}[scope]


@pytest.fixture
def keys(store: ProfileStore) -> Keys:
    return Keys(
        read=store.create_api_key(["read"], name="r"),
        write=store.create_api_key(["write"], name="w"),
        admin=store.create_api_key(["admin"], name="a"),
        read_write=store.create_api_key(["read", "write"], name="rw"),
    )


def make_app(store: ProfileStore, **settings: object) -> FastAPI:
    return create_app(ServiceSettings(**settings), store=store)  # type: ignore[arg-type]


@pytest.fixture
def client(store: ProfileStore) -> Iterator[TestClient]:
    with TestClient(make_app(store)) as c:
        yield c


@pytest.fixture(scope="session")
def batch_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small batch run (the demo's generated world, 1,000 customers) for the session."""
    from cible.services.demo import run_demo

    out = tmp_path_factory.mktemp("batch-run")
    run_demo(out, customers=1000)
    return out


@dataclass(frozen=True)
class Published:
    store: ProfileStore
    customer_ids: list[str]  # every customer with a profile, ascending
    sizes: dict[int, int]  # segment id -> members


@pytest.fixture
def published(store: ProfileStore, batch_run: Path) -> Published:
    """``store`` with the batch run's segmentation published (version 1)."""
    from cible.services.publish import publish_run

    publish_run(batch_run, store)
    sizes = {s.segment_id: s.size for s in store.list_segments()}
    ids: list[str] = []
    for segment_id in sizes:
        cursor = None
        while True:
            page, cursor = store.segment_members(segment_id, cursor=cursor, limit=1000)
            ids += page
            if cursor is None:
                break
    return Published(store, sorted(ids), sizes)
