"""Secrets of the exports, read from ``CIBLE_*`` environment variables when an export runs
(never at import time).

- ``CIBLE_EXPORT_SECRET``: the HMAC key of pseudonymised identifiers and webhook signatures;
- ``CIBLE_HUBSPOT_TOKEN``, ``CIBLE_SFMC_TOKEN``: bearer tokens of the connectors;
- ``CIBLE_ENVIRONMENT``: ``dev`` or ``prod``.

Outside ``dev`` an empty secret, or one left at a well-known default, is refused with a
:class:`~cible.exceptions.ConfigError` naming the variable; in ``dev`` an empty secret falls back
to :data:`DEV_SECRET` (pseudonyms made with it are not protected).
"""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from cible.exceptions import ConfigError

DEV_SECRET = "cible-development-secret"
_DEFAULTS = {"", DEV_SECRET, "secret", "changeme", "change-me", "default", "password", "test"}
MIN_SECRET_CHARS = 16


class ActivationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CIBLE_", extra="ignore", frozen=True)

    environment: Literal["dev", "prod"] = "dev"
    export_secret: SecretStr = SecretStr("")
    hubspot_token: SecretStr = SecretStr("")
    sfmc_token: SecretStr = SecretStr("")

    def secret(self) -> bytes:
        """The export secret; refused outside dev when empty, a default or too short."""
        value = self.export_secret.get_secret_value()
        if self.environment == "dev":
            return (value or DEV_SECRET).encode("utf-8")
        if value.strip().lower() in _DEFAULTS or len(value) < MIN_SECRET_CHARS:
            raise ConfigError(
                "CIBLE_EXPORT_SECRET is empty, a default or shorter than "
                f"{MIN_SECRET_CHARS} characters: set a random secret outside "
                "CIBLE_ENVIRONMENT=dev (pseudonyms and signatures depend on it)"
            )
        return value.encode("utf-8")

    def token(self, target: str) -> str:
        value = (self.hubspot_token if target == "hubspot" else self.sfmc_token).get_secret_value()
        if not value and self.environment != "dev":
            raise ConfigError(
                f"CIBLE_{target.upper()}_TOKEN is empty outside CIBLE_ENVIRONMENT=dev"
            )
        return value
