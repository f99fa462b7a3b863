"""Choosing a bus: names, files, and the extra named when a client is missing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from cible.exceptions import ConfigError, OptionalDependencyError
from cible.stream import BUSES, JsonLinesBus, open_bus
from cible.stream.bus import Deadline, dead_name, mask


def test_unknown_bus_names_the_choices() -> None:
    assert BUSES == ("inprocess", "rabbitmq", "kafka", "redis")
    with pytest.raises(
        ConfigError,
        match=r"--bus 'nats' is not a bus: use one of inprocess, rabbitmq, kafka, redis",
    ):
        open_bus("nats")


def test_inprocess_reads_a_file_and_dead_letters_beside_it(tmp_path: Path) -> None:
    source = tmp_path / "events.jsonl"
    source.write_bytes(b'{"a": 1}\n')
    bus = open_bus("inprocess", f"file:{source}")
    assert isinstance(bus, JsonLinesBus)
    assert [m.body for m in bus.receive(5, 0)] == [b'{"a": 1}'] and bus.finished
    bus.close()
    assert (tmp_path / "events.jsonl.dead.jsonl").exists()
    with pytest.raises(ConfigError, match=r"--bus-url '.*missing.jsonl': no such file"):
        open_bus("inprocess", str(tmp_path / "missing.jsonl"))


@pytest.mark.parametrize(
    ("bus", "module", "extra"),
    [
        ("rabbitmq", "pika", "rabbitmq"),
        ("kafka", "confluent_kafka", "kafka"),
        ("redis", "redis", "redis"),
    ],
)
def test_a_missing_client_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, bus: str, module: str, extra: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(OptionalDependencyError, match=rf"pip install 'cible\[{extra}\]'"):
        open_bus(bus)


def test_helpers() -> None:
    assert mask("amqp://guest:secret@host:5672/") == "amqp://guest:***@host:5672/"
    assert mask("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
    assert dead_name("cible.events") == "cible.events.dead"
    assert Deadline(0).left() == 0.0
    assert 0 < Deadline(60).left() <= 60
