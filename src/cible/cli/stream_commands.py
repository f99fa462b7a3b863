"""``cible consume``: live events from a bus into the profile store (thin: see
:mod:`cible.stream.consumer` and :mod:`cible.services.consume`)."""

from __future__ import annotations

import logging
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

stream_app = typer.Typer()


def _as_of(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as e:
        raise typer.BadParameter(
            f"'{value}' is not an ISO date-time (e.g. 2024-03-01T00:00:00+00:00)"
        ) from e
    if parsed.tzinfo is None:
        raise typer.BadParameter(f"'{value}' has no time zone: add +00:00 for UTC")
    return parsed


StoreOpt = Annotated[
    str,
    typer.Option(
        help="Profile store URL (sqlite:///store.db, postgresql+psycopg://...).",
        envvar="CIBLE_STORE_URL",
    ),
]

SchemaOpt = Annotated[
    str | None,
    typer.Option(
        help="PostgreSQL schema of the store (default: the URL's).", envvar="CIBLE_STORE_SCHEMA"
    ),
]

BusOpt = Annotated[
    str,
    typer.Option(
        help="inprocess (JSON lines file or stdin), rabbitmq, kafka or redis.",
        envvar="CIBLE_BUS",
    ),
]

BusUrlOpt = Annotated[
    str | None,
    typer.Option(
        help="Broker URL; for inprocess a JSON-lines file or '-' (stdin).",
        envvar="CIBLE_BUS_URL",
    ),
]

QueueOpt = Annotated[
    str,
    typer.Option(
        "--queue",
        "--topic",
        "--stream",
        help="Queue/topic/stream the events come from.",
        envvar="CIBLE_QUEUE",
    ),
]

OutputOpt = Annotated[
    str,
    typer.Option(
        help="Queue/topic/stream for segment.entered/exited ('' for none).",
        envvar="CIBLE_OUTPUT",
    ),
]

GroupOpt = Annotated[str, typer.Option(help="Consumer group (Kafka, Redis).", envvar="CIBLE_GROUP")]

ConsumerOpt = Annotated[
    str | None,
    typer.Option(
        help="Stable name of this consumer in a Redis group (default cible-<hostname>).",
        envvar="CIBLE_CONSUMER_NAME",
    ),
]

BatchSizeOpt = Annotated[int, typer.Option(min=1, max=100_000, help="Most events per commit.")]

MaxWaitMsOpt = Annotated[
    float, typer.Option(min=0, help="Longest wait for the first message of a batch.")
]

LingerMsOpt = Annotated[
    float,
    typer.Option(
        min=0,
        help="RabbitMQ: hand a batch over when full or when its oldest message has waited "
        "this long (0: at once, with what the broker has sent).",
    ),
]

RelayEveryMsOpt = Annotated[
    float,
    typer.Option(
        min=0,
        help="Send segment notifications when idle, a page is full or the oldest has waited "
        "this long (0: after every batch).",
    ),
]

WebhookOpt = Annotated[
    str | None,
    typer.Option(help="Also POST notifications to this URL.", envvar="CIBLE_WEBHOOK"),
]

AsOfOpt = Annotated[
    str | None,
    typer.Option(help="Fix the live clock (ISO date-time with zone); default: live."),
]

LogLevelOpt = Annotated[
    str,
    typer.Option(
        help="info (counts every 10 s) or debug (counts of every batch).",
        envvar="CIBLE_LOG_LEVEL",
    ),
]

AudiencesOpt = Annotated[
    Path | None,
    typer.Option(
        help="Audience plan (YAML, as for `cible audience`): keep its audiences live and "
        "notify audience.entered/exited.",
        envvar="CIBLE_AUDIENCES",
    ),
]

OnlineCentroidsOpt = Annotated[
    bool,
    typer.Option(
        help="Move the active k-means centroids with the stream (mini-batch rule, guarded).",
        envvar="CIBLE_ONLINE_CENTROIDS",
    ),
]
MaxShiftOpt = Annotated[
    float,
    typer.Option(
        help="Online centroids: the largest move of a centroid in one UTC day (standardised "
        "units); a batch beyond it is refused and updates freeze.",
        envvar="CIBLE_MAX_CENTROID_SHIFT",
    ),
]

OnlineStoreOpt = Annotated[
    str | None,
    typer.Option(
        "--online-store",
        help="Also write each changed profile and membership to this Redis "
        "(redis://host:6379/0) after the SQL commit.",
        envvar="CIBLE_ONLINE_STORE_URL",
    ),
]

OnlinePrefixOpt = Annotated[
    str,
    typer.Option(help="Prefix of the online store's keys.", envvar="CIBLE_ONLINE_STORE_PREFIX"),
]

IdleExitSOpt = Annotated[
    float | None, typer.Option(help="Exit after this long without a message (default: never).")
]


@stream_app.command("consume")
def consume_cmd(
    store: StoreOpt,
    schema: SchemaOpt = None,
    bus: BusOpt = "inprocess",
    bus_url: BusUrlOpt = None,
    queue: QueueOpt = "cible.events",
    output: OutputOpt = "cible.segments",
    group: GroupOpt = "cible-consume",
    consumer: ConsumerOpt = None,
    batch_size: BatchSizeOpt = 500,
    max_wait_ms: MaxWaitMsOpt = 20.0,
    linger_ms: LingerMsOpt = 0.0,
    relay_every_ms: RelayEveryMsOpt = 100.0,
    webhook: WebhookOpt = None,
    as_of: AsOfOpt = None,
    log_level: LogLevelOpt = "info",
    idle_exit_s: IdleExitSOpt = None,
    audiences: AudiencesOpt = None,
    online_centroids: OnlineCentroidsOpt = False,
    max_centroid_shift: MaxShiftOpt = 0.25,
    online_store: OnlineStoreOpt = None,
    online_prefix: OnlinePrefixOpt = "cible:",
) -> None:
    """Consume events: update profiles, re-score, write memberships, notify segment changes."""
    _check_options(bus, log_level)
    clock = _as_of(as_of)
    _setup_logs(log_level)
    from cible.exceptions import CibleError

    try:
        _consume(
            store,
            schema,
            {
                "kind": bus,
                "url": bus_url,
                "queue": queue,
                "output": output or None,
                "batch_size": batch_size,
                "group": group,
                "consumer": consumer,
                "linger_s": linger_ms / 1000,
            },
            webhook=webhook,
            log_level=log_level,
            max_wait_s=max_wait_ms / 1000,
            relay_every_s=relay_every_ms / 1000,
            as_of=clock,
            idle_exit_s=idle_exit_s,
            audiences=audiences,
            online_shift=max_centroid_shift if online_centroids else None,
            online=(online_store, online_prefix) if online_store else None,
        )
    except CibleError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(code=2) from e


def _check_options(bus: str, log_level: str) -> None:
    from cible.stream.factory import BUSES

    if bus not in BUSES:
        raise typer.BadParameter(
            f"'{bus}' is not a bus: use one of {', '.join(BUSES)}", param_hint="--bus"
        )
    if log_level not in ("debug", "info", "warning", "error"):
        raise typer.BadParameter(
            f"'{log_level}' is not one of debug, info, warning, error", param_hint="--log-level"
        )


def _setup_logs(level: str) -> None:
    from cible.stream.consumer import JsonFormatter

    logger = logging.getLogger("cible")
    for old in [h for h in logger.handlers if isinstance(h.formatter, JsonFormatter)]:
        logger.removeHandler(old)  # from an earlier command in the same process (tests)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    logger.setLevel(level.upper())


def _checked_store_url(
    store_url: str, bus_options: dict[str, Any], webhook: str | None, log_level: str
) -> str:
    """The store URL to connect with, once the settings are safe for the environment (checked
    before anything is opened: :mod:`cible.config.consume`)."""
    from cible.config.consume import ConsumeSettings, check_consume_settings

    return check_consume_settings(
        ConsumeSettings(),
        store_url=store_url,
        bus=bus_options["kind"],
        bus_url=bus_options["url"],
        webhook=webhook,
        log_level=log_level,
    )


def _live_audiences(plan: Path | None) -> Any:
    if plan is None:
        return None
    from cible.services.live_audiences import LiveAudiences

    return LiveAudiences.from_file(plan)


def _consume(
    store_url: str,
    schema: str | None,
    bus_options: dict[str, Any],
    *,
    webhook: str | None,
    log_level: str,
    max_wait_s: float,
    as_of: datetime | None,
    idle_exit_s: float | None,
    relay_every_s: float = 0.1,
    audiences: Path | None = None,
    online_shift: float | None = None,
    online: tuple[str, str] | None = None,
) -> None:
    from cible.services.consume import (
        bus_notifier,
        combine,
        enable_online_centroids,
        webhook_notifier,
    )
    from cible.store import ProfileStore
    from cible.stream.consumer import run_consumer
    from cible.stream.factory import open_bus

    store_url = _checked_store_url(store_url, bus_options, webhook, log_level)
    live = _live_audiences(audiences)
    profile_store = ProfileStore.open(store_url, schema=schema)
    redis_copy = None
    try:
        if online_shift is not None:
            enable_online_centroids(profile_store, online_shift)
        if online is not None:
            from cible.store.online import OnlineStore

            redis_copy = OnlineStore.open(*online)
        source = open_bus(**bus_options)
        try:
            notifiers = [bus_notifier(source)] if bus_options["output"] else []
            if webhook:
                notifiers.append(webhook_notifier(webhook))
            run_consumer(
                source,
                profile_store,
                batch_size=bus_options["batch_size"],
                max_wait_s=max_wait_s,
                relay_every_s=relay_every_s,
                notify=combine(notifiers),
                as_of=as_of,
                idle_exit_s=idle_exit_s,
                audiences=live,
                online=redis_copy,
            )
        finally:
            source.close()
    finally:
        if redis_copy is not None:
            redis_copy.close()
        profile_store.close()
