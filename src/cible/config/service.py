"""Settings of the REST service (``cible serve``), read from ``CIBLE_*`` environment variables.

Built only when the service starts (:func:`cible.api.create_app` or ``cible serve``), never at
import time. Outside ``environment=dev`` the settings that are unsafe in production are refused
with a :class:`~cible.exceptions.ConfigError` naming the variable and the rule:

- a password written inside ``CIBLE_STORE_URL`` (it would show in process listings, shell history
  and any log that prints the URL): give it in ``CIBLE_STORE_PASSWORD`` instead;
- ``*`` among ``CIBLE_CORS_ORIGINS`` (any web page could call the API with a user's key);
- ``CIBLE_LOG_LEVEL=debug`` (library debug logs may print request details);
- ``CIBLE_STORE_PASSWORD`` left at a well-known default (``postgres``, ``password``, ...);
- ``CIBLE_EXPORT_SECRET`` empty, a well-known default or shorter than 16 characters (it keys the
  pseudonyms of exports and of quarantine files, and the webhook signatures);
- ``CIBLE_API_KEY_SECRET`` empty, a well-known default or shorter than 16 characters (it keys the
  HMAC of the stored API-key hashes, :mod:`cible.store.keys`);
- ``CIBLE_WEBHOOK_SECRET`` set to a well-known default or shorter than 16 characters (it
  verifies the HMAC signatures of ``POST /v1/webhooks/crm``; unset, that route answers 409);
- ``CIBLE_RATE_LIMIT_PER_S`` or ``CIBLE_RATE_LIMIT_BURST`` out of range (checked in every
  environment by the field bounds).

There is no default API key: keys exist only in the store, created by ``cible keys create``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import quote, urlsplit, urlunsplit

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from cible.config.activation import ActivationSettings
from cible.exceptions import ConfigError

Environment = Literal["dev", "prod"]
LogLevel = Literal["debug", "info", "warning", "error"]
DEFAULT_BATCH_MAX = 1000
# passwords that scanners try first: refused for the store outside dev
DEFAULT_PASSWORDS = frozenset(
    {"postgres", "password", "changeme", "change-me", "secret", "admin", "root", "test", "cible"}
)


def mask_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (safe to log or print)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))


def with_password(url: str, password: str) -> str:
    """``url`` with ``password`` set (URL-quoted) for its user."""
    parts = urlsplit(url)
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    netloc = f"{user}:{quote(password, safe='')}@{host}{port}"
    return urlunsplit(parts._replace(netloc=netloc))


class ServiceSettings(BaseSettings):
    """What ``cible serve`` needs; every field is the variable ``CIBLE_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="CIBLE_", extra="ignore", frozen=True)

    store_url: str | None = Field(
        default=None,
        description="sqlite:///path/store.db or postgresql+psycopg://host:5432/db (no password)",
    )
    store_password: SecretStr | None = Field(
        default=None, description="password of the store's database user (kept out of the URL)"
    )
    store_schema: str | None = Field(
        default=None,
        pattern=r"^[a-z_][a-z0-9_]{0,62}$",
        description="PostgreSQL only: the schema holding the store's tables (default: public)",
    )
    store_migrate: bool = Field(
        default=True, description="run the store's migrations when the service opens it"
    )
    environment: Environment = "dev"
    log_level: LogLevel = "info"
    profile_cache_ttl_s: float = Field(
        default=1.0,
        ge=0,
        le=3600,
        description="how long a profile read stays cached in the process (0: no cache); the "
        "staleness bound for writes made by another process (the stream consumer)",
    )
    profile_cache_size: int = Field(default=100_000, ge=0, le=10_000_000)
    key_cache_ttl_s: float = Field(
        default=10.0,
        ge=0,
        le=600,
        description="how long a verified API key is trusted without asking the store again; "
        "a revoked key stops working within this delay",
    )
    batch_max: int = Field(
        default=DEFAULT_BATCH_MAX, ge=1, le=100_000, description="events or customers per batch"
    )
    cors_origins: tuple[str, ...] = Field(
        default=(), description='JSON list of allowed browser origins, e.g. ["https://app.example"]'
    )
    rate_limit_per_s: float = Field(
        default=0.0,
        ge=0,
        le=1_000_000,
        description="requests per second allowed to one API key (or one keyless client) on /v1 "
        "routes, per process; 0: no limit",
    )
    rate_limit_burst: int = Field(
        default=50,
        ge=1,
        le=1_000_000,
        description="requests a key may make at once before the per-second rate applies",
    )
    export_secret: SecretStr = Field(
        default=SecretStr(""),
        description="HMAC key of pseudonyms (exports, quarantine files) and webhook signatures",
    )
    api_key_secret: SecretStr = Field(
        default=SecretStr(""),
        description="HMAC key of the stored API-key hashes (changing it invalidates every key)",
    )
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="HMAC-SHA256 key of POST /v1/webhooks/crm signatures (unset: the CRM "
        "webhook is disabled); 16+ characters outside dev",
    )
    online_store_url: str | None = Field(
        default=None,
        description="redis://host:6379/0: GET profile reads this Redis copy first (falling "
        "back to SQL), and the service's own writes update it (unset: SQL only)",
    )
    online_store_prefix: str = Field(
        default="cible:", min_length=1, max_length=100, description="prefix of the Redis keys"
    )
    models_dir: Path | None = Field(
        default=None,
        description="the only directory under which POST /v1/models may publish batch runs "
        "(unset: publishing through the API is disabled)",
    )

    def check_safe(self) -> ServiceSettings:
        """``self`` when safe for :attr:`environment`; a ConfigError naming the rule otherwise."""
        if self.environment == "dev":
            return self
        problems = []
        if self.store_url and urlsplit(self.store_url).password is not None:
            problems.append(
                "CIBLE_STORE_URL contains a password: give it in CIBLE_STORE_PASSWORD instead"
            )
        if "*" in self.cors_origins:
            problems.append("CIBLE_CORS_ORIGINS contains '*': list the allowed origins")
        if self.log_level == "debug":
            problems.append("CIBLE_LOG_LEVEL=debug is for environment=dev only")
        if not self.store_url:
            problems.append("CIBLE_STORE_URL is not set")
        password = None if self.store_password is None else self.store_password.get_secret_value()
        if password is not None and password.strip().lower() in DEFAULT_PASSWORDS | {""}:
            problems.append("CIBLE_STORE_PASSWORD is empty or a well-known default")
        hook = None if self.webhook_secret is None else self.webhook_secret.get_secret_value()
        if hook is not None and (len(hook) < 16 or hook.strip().lower() in DEFAULT_PASSWORDS):
            problems.append(
                "CIBLE_WEBHOOK_SECRET is shorter than 16 characters or a well-known default"
            )
        secrets = ActivationSettings(
            environment=self.environment,
            export_secret=self.export_secret,
            api_key_secret=self.api_key_secret,
        )
        for check in (secrets.secret, secrets.key_hash_secret):
            try:
                check()
            except ConfigError as e:
                problems.append(str(e).split(":")[0])
        if problems:
            raise ConfigError(
                f"unsafe service settings for environment={self.environment}: "
                + "; ".join(problems)
            )
        return self

    def store_connect_url(self) -> str:
        """The URL to open the store with (password added); never log it: use :meth:`safe_url`."""
        if not self.store_url:
            raise ConfigError("no store: set CIBLE_STORE_URL or pass --store URL")
        if self.store_password is None:
            return self.store_url
        return with_password(self.store_url, self.store_password.get_secret_value())

    def safe_url(self) -> str:
        """The store URL with any password masked."""
        return mask_url(self.store_url or "")


def load_service_settings(**overrides: object) -> ServiceSettings:
    """Settings from the environment and ``overrides``, checked; a ConfigError names the field."""
    try:
        settings = ServiceSettings(**overrides)  # type: ignore[arg-type]
    except ValidationError as e:
        first = e.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise ConfigError(
            f"service setting CIBLE_{field.upper()}: {first['msg']} ({len(e.errors())} error(s))"
        ) from None
    return settings.check_safe()
