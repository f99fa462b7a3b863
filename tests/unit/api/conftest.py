"""Fixtures of the API tests: a real profile store (SQLite in tmp_path, or PostgreSQL in a
random schema for the ``postgresql``-marked run), keys of each scope, and a TestClient."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cible.api import create_app
from cible.config.service import ServiceSettings
from cible.store import LiveEvent, ProfileStore
from tests.conftest import POSTGRES_URL, fresh_schema_name

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
    from cible.store import StoreError

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
def store_and_schema(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[ProfileStore, str | None]]:
    opened, schema = open_store(request.param, tmp_path)
    try:
        yield opened, schema
    finally:
        opened.close()
        if schema is not None:
            drop_schema(schema)


@pytest.fixture
def store(store_and_schema: tuple[ProfileStore, str | None]) -> ProfileStore:
    return store_and_schema[0]


@pytest.fixture(scope="session")
def batch_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small batch run (the demo's generated world, 1,000 customers) for the session."""
    from cible.services.demo import run_demo

    out = tmp_path_factory.mktemp("runs") / "demo-1000"
    run_demo(out, customers=1000)
    return out


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


AS_OF = datetime(2024, 4, 1, tzinfo=UTC)


def world_events(n: int) -> list[LiveEvent]:
    """``n`` customers C00000...: every fifth only viewed a page (segment 0, Prospects), the
    next fifth bought for 50 (1, Small), the other three fifths for 500 (2, Big)."""
    events = []
    for i in range(n):
        cid, kind = f"C{i:05d}", i % 5
        ts = datetime(2024, 3, 1 + i % 28, 12, tzinfo=UTC)
        if kind == 0:
            events.append(
                LiveEvent(event_id=f"w{i}", customer_id=cid, event_type="page_view", timestamp=ts)
            )
        else:
            amount = Decimal("50") if kind == 1 else Decimal("500")
            events.append(
                LiveEvent(
                    event_id=f"w{i}",
                    customer_id=cid,
                    event_type="purchase",
                    timestamp=ts,
                    amount=amount,
                    order_id=f"O{i}",
                )
            )
    return events


@dataclass(frozen=True)
class Published:
    store: ProfileStore
    customer_ids: list[str]  # every customer with a profile, ascending
    sizes: dict[int, int]  # segment id -> members


def publish_world(store: ProfileStore, n: int) -> Published:
    """``n`` customers' events applied at :data:`AS_OF`, then the threshold model of the store
    tests published (version 1): segments 0, 1, 2 of sizes n/5, n/5, 3n/5."""
    from tests.unit.store.fakes import ThresholdModel

    store.apply_events(world_events(n), as_of=AS_OF)
    assert store.publish(ThresholdModel()) == 1
    sizes = {s.segment_id: s.size for s in store.list_segments()}
    return Published(store, [f"C{i:05d}" for i in range(n)], sizes)


@pytest.fixture
def published(store: ProfileStore) -> Published:
    """``store`` with 300 customers and a published model (segments of 60, 60, 180)."""
    return publish_world(store, 300)


@pytest.fixture
def published_big(store: ProfileStore) -> Published:
    """2,100 customers: segment 2 has 1,260 members (two pages of 1,000)."""
    return publish_world(store, 2100)
