"""Secrets of the exports, read from ``CIBLE_*`` environment variables when an export runs
(never at import time).

- ``CIBLE_EXPORT_SECRET``: the HMAC key of pseudonymised identifiers and webhook signatures;
- ``CIBLE_HUBSPOT_TOKEN``, ``CIBLE_SFMC_TOKEN``: bearer tokens of the connectors;
- ``CIBLE_API_KEY_SECRET``: the HMAC key of the stored API-key hashes (:mod:`cible.store.keys`),
  read when a key is created or checked;
- ``CIBLE_ENVIRONMENT``: ``dev`` or ``prod``.

Outside ``dev`` an empty secret, or one left at a well-known default, is refused with a
:class:`~cible.exceptions.ConfigError` naming the variable; in ``dev`` an empty secret falls back
to a development secret (pseudonyms and key hashes made with it are not protected).
"""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from cible.exceptions import ConfigError

DEV_SECRET = "cible-development-secret"
DEV_KEY_SECRET = "cible-development-api-key-secret"
_DEFAULTS = {
    "",
    DEV_SECRET,
    DEV_KEY_SECRET,
    "secret",
    "changeme",
    "change-me",
    "default",
    "password",
    "test",
}
MIN_SECRET_CHARS = 16


def checked_secret(value: str, environment: str, variable: str, dev_value: str, use: str) -> bytes:
    """``value`` as bytes; in ``dev`` an empty one is ``dev_value``; elsewhere an empty, default
    or short one is a ConfigError naming ``variable`` and what depends on it (``use``)."""
    if environment == "dev":
        return (value or dev_value).encode("utf-8")
    if value.strip().lower() in _DEFAULTS or len(value) < MIN_SECRET_CHARS:
        raise ConfigError(
            f"{variable} is empty, a default or shorter than {MIN_SECRET_CHARS} characters: "
            f"set a random secret outside CIBLE_ENVIRONMENT=dev ({use} depend on it)"
        )
    return value.encode("utf-8")


class ActivationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CIBLE_", extra="ignore", frozen=True)

    environment: Literal["dev", "prod"] = "dev"
    export_secret: SecretStr = SecretStr("")
    hubspot_token: SecretStr = SecretStr("")
    sfmc_token: SecretStr = SecretStr("")
    api_key_secret: SecretStr = SecretStr("")

    def secret(self) -> bytes:
        """The export secret; refused outside dev when empty, a default or too short."""
        return checked_secret(
            self.export_secret.get_secret_value(),
            self.environment,
            "CIBLE_EXPORT_SECRET",
            DEV_SECRET,
            "pseudonyms and signatures",
        )

    def key_hash_secret(self) -> bytes:
        """The HMAC key of the API-key hashes; refused outside dev when empty, a default or
        too short (changing it invalidates every stored key: see docs/security.md)."""
        return checked_secret(
            self.api_key_secret.get_secret_value(),
            self.environment,
            "CIBLE_API_KEY_SECRET",
            DEV_KEY_SECRET,
            "the stored API-key hashes",
        )

    def token(self, target: str) -> str:
        value = (self.hubspot_token if target == "hubspot" else self.sfmc_token).get_secret_value()
        if not value and self.environment != "dev":
            raise ConfigError(
                f"CIBLE_{target.upper()}_TOKEN is empty outside CIBLE_ENVIRONMENT=dev"
            )
        return value
