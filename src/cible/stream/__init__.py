"""Bus adapters (in-process, RabbitMQ, Kafka, Redis Streams) and the thin consumer loop of
``cible consume``. Bus clients are imported only when their bus is opened."""

from __future__ import annotations

from cible.services.consume import BatchReport, Bus, Message
from cible.stream.consumer import ConsumerStats, run_consumer
from cible.stream.factory import BUSES, open_bus
from cible.stream.inprocess import InProcessBus, JsonLinesBus

__all__ = [
    "BUSES",
    "BatchReport",
    "Bus",
    "ConsumerStats",
    "InProcessBus",
    "JsonLinesBus",
    "Message",
    "open_bus",
    "run_consumer",
]
