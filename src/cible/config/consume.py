"""The safety rules of ``cible consume`` outside development (``CIBLE_ENVIRONMENT=prod``).

The consumer holds the same secrets as the service: the store's database password and the bus
credentials, and it sends customer ids to a webhook. In ``dev`` everything is allowed; otherwise
:func:`check_consume_settings` refuses, with a :class:`~cible.exceptions.ConfigError` naming each
variable and rule (all at once, so one start-up shows every fix):

- a password written inside ``CIBLE_STORE_URL`` (process listings and shell history show it):
  give it in ``CIBLE_STORE_PASSWORD``, as for ``cible serve``;
- ``CIBLE_STORE_PASSWORD`` empty or a well-known default (``postgres``, ``password``, ...);
- a bus URL (``CIBLE_BUS_URL``) whose password is a well-known default, RabbitMQ's
  ``guest`` included, or no bus URL for RabbitMQ (its default URL logs in as guest/guest);
- a webhook (``CIBLE_WEBHOOK``) over plain ``http://`` to a host other than the loopback: the
  notifications carry customer ids;
- ``CIBLE_LOG_LEVEL=debug`` (library debug logs may print message bodies).
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from cible.config.service import DEFAULT_PASSWORDS, with_password
from cible.exceptions import ConfigError

BUS_DEFAULT_PASSWORDS = DEFAULT_PASSWORDS | {"guest"}
LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


class ConsumeSettings(BaseSettings):
    """``CIBLE_ENVIRONMENT`` and ``CIBLE_STORE_PASSWORD``, read as ``cible serve`` reads them."""

    model_config = SettingsConfigDict(env_prefix="CIBLE_", extra="ignore", frozen=True)

    environment: Literal["dev", "prod"] = "dev"
    store_password: SecretStr | None = None


def _weak(password: str, known: frozenset[str]) -> bool:
    return password.strip().lower() in known


def check_consume_settings(
    settings: ConsumeSettings,
    *,
    store_url: str,
    bus: str,
    bus_url: str | None,
    webhook: str | None,
    log_level: str,
) -> str:
    """The store URL to connect with (``CIBLE_STORE_PASSWORD`` added); a ConfigError listing
    every rule of the module docstring that the settings break outside ``dev``."""
    password = settings.store_password
    url = store_url if password is None else with_password(store_url, password.get_secret_value())
    if settings.environment == "dev":
        return url
    problems = []
    if urlsplit(store_url).password is not None:
        problems.append(
            "CIBLE_STORE_URL contains a password: give it in CIBLE_STORE_PASSWORD instead"
        )
    if password is not None and _weak(password.get_secret_value(), DEFAULT_PASSWORDS | {""}):
        problems.append("CIBLE_STORE_PASSWORD is empty or a well-known default")
    if bus == "rabbitmq" and not bus_url:
        problems.append("CIBLE_BUS_URL is not set: RabbitMQ's default URL logs in as guest/guest")
    bus_password = urlsplit(bus_url).password if bus_url else None
    if bus_password is not None and _weak(bus_password, BUS_DEFAULT_PASSWORDS):
        problems.append("CIBLE_BUS_URL uses a well-known default password (e.g. guest)")
    if webhook:
        parts = urlsplit(webhook)
        if parts.scheme == "http" and (parts.hostname or "") not in LOOPBACK:
            problems.append("CIBLE_WEBHOOK is plain http:// to another host: use https://")
    if log_level == "debug":
        problems.append("CIBLE_LOG_LEVEL=debug is for environment=dev only")
    if problems:
        raise ConfigError(
            f"unsafe consumer settings for environment={settings.environment}: "
            + "; ".join(problems)
        )
    return url
