"""The profile change feed: what a commit changed is announced to listeners (PostgreSQL), and
nothing is started on SQLite, where the cache's TTL alone bounds staleness."""

from __future__ import annotations

import queue
from pathlib import Path

import pytest

from cible.store import ProfileStore
from cible.store.changes import PAYLOAD_MAX, _chunks
from tests.contract.test_store import AS_OF, dispose, open_store
from tests.unit.store.fakes import ThresholdModel, at, ev

WAIT_S = 30.0  # an upper bound for a loaded machine, not a figure


def test_chunks_stay_under_the_payload_limit_and_keep_every_id() -> None:
    ids = [f"customer-{i:05d}-" + "x" * 40 for i in range(400)]  # 400 x 56 bytes
    chunks = list(_chunks(ids))
    assert len(chunks) == 3
    assert all(len(c.encode()) <= PAYLOAD_MAX for c in chunks)
    assert [i for c in chunks for i in c.split("\n")] == ids
    assert list(_chunks([])) == []


def test_sqlite_has_no_feed(tmp_path: Path) -> None:
    store = ProfileStore.open(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        assert store.listen_profile_changes(lambda ids: None, lambda: None) is None
    finally:
        store.close()


@pytest.mark.postgresql
def test_a_commit_is_announced_to_a_listener_of_another_store_object(tmp_path: Path) -> None:
    store, schema = open_store("postgresql", tmp_path)
    heard: queue.Queue[list[str] | str] = queue.Queue()
    listener = store.listen_profile_changes(heard.put, lambda: heard.put("reset"))
    assert listener is not None
    try:
        assert heard.get(timeout=WAIT_S) == "reset"  # the feed (re)opened: drop everything
        writer = ProfileStore.open(store.url, schema=schema)
        try:
            writer.publish(ThresholdModel())
            assert heard.get(timeout=WAIT_S) == "reset"  # a publish changes every profile
            writer.apply_events([ev("n1", "b", at(1)), ev("n2", "a", at(2))], as_of=AS_OF)
            assert heard.get(timeout=WAIT_S) == ["a", "b"]
            writer.apply_events([ev("n1", "b", at(1))], as_of=AS_OF)  # a duplicate: no change
            with pytest.raises(queue.Empty):
                heard.get(timeout=1.0)
            # an erasure announces the ids it deleted, so that caches drop the profile
            from cible.store.exports import erase_customer

            erase_customer(writer.engine, ["b", "b-old"])
            assert heard.get(timeout=WAIT_S) == ["b", "b-old"]
        finally:
            writer.close()
    finally:
        listener.close()
        dispose(store, schema)


@pytest.mark.postgresql
def test_a_store_in_another_schema_is_not_heard(tmp_path: Path) -> None:
    """Two stores in two schemas of one database: each listener hears its own store only (the
    channel is the schema's), so one store's writes never flush the other's caches."""
    mine, my_schema = open_store("postgresql", tmp_path)
    other, other_schema = open_store("postgresql", tmp_path / "other")
    heard: queue.Queue[list[str] | str] = queue.Queue()
    listener = mine.listen_profile_changes(heard.put, lambda: heard.put("reset"))
    assert listener is not None
    try:
        assert heard.get(timeout=WAIT_S) == "reset"
        other.publish(ThresholdModel())
        other.apply_events([ev("o1", "x", at(1))], as_of=AS_OF)
        mine.publish(ThresholdModel())
        mine.apply_events([ev("m1", "y", at(1))], as_of=AS_OF)
        # only my own publish (reset) and my own customer arrive, in commit order
        assert heard.get(timeout=WAIT_S) == "reset"
        assert heard.get(timeout=WAIT_S) == ["y"]
        with pytest.raises(queue.Empty):
            heard.get(timeout=1.0)
    finally:
        listener.close()
        dispose(other, other_schema)
        dispose(mine, my_schema)
