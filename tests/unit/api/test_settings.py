"""ServiceSettings: read from CIBLE_* variables, unsafe values refused outside dev."""

from __future__ import annotations

import pytest

from cible.config.service import ServiceSettings, load_service_settings, mask_url, with_password
from cible.exceptions import ConfigError

PG = "postgresql+psycopg://cible@db.internal:5432/cible"
SECRET = "r4nd0m-export-secret-0123456789"  # 31 characters, not a default
KEY_SECRET = "r4nd0m-api-key-secret-9876543210"


def test_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIBLE_STORE_URL", "sqlite:///x.db")
    monkeypatch.setenv("CIBLE_PROFILE_CACHE_TTL_S", "2.5")
    monkeypatch.setenv("CIBLE_CORS_ORIGINS", '["https://app.example"]')
    s = load_service_settings()
    assert (s.store_url, s.profile_cache_ttl_s, s.cors_origins) == (
        "sqlite:///x.db",
        2.5,
        ("https://app.example",),
    )
    assert s.environment == "dev" and s.batch_max == 1000


def test_an_override_beats_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIBLE_STORE_URL", "sqlite:///env.db")
    assert load_service_settings(store_url="sqlite:///cli.db").store_url == "sqlite:///cli.db"


def test_an_invalid_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIBLE_ENVIRONMENT", "staging")
    with pytest.raises(ConfigError, match=r"CIBLE_ENVIRONMENT: Input should be 'dev' or 'prod'"):
        load_service_settings()


@pytest.mark.parametrize(
    ("ttl", "ok"), [(-0.001, False), (0, True), (3600, True), (3600.001, False)]
)
def test_cache_ttl_bounds(ttl: float, ok: bool) -> None:
    if ok:
        assert load_service_settings(profile_cache_ttl_s=ttl).profile_cache_ttl_s == ttl
    else:
        with pytest.raises(ConfigError, match="CIBLE_PROFILE_CACHE_TTL_S"):
            load_service_settings(profile_cache_ttl_s=ttl)


@pytest.mark.parametrize(
    ("overrides", "rule"),
    [
        ({"store_url": "postgresql+psycopg://cible:s3cret@db:5432/cible"}, "contains a password"),
        ({"store_url": PG, "cors_origins": ("*",)}, "CIBLE_CORS_ORIGINS contains '\\*'"),
        ({"store_url": PG, "log_level": "debug"}, "CIBLE_LOG_LEVEL=debug"),
        ({}, "CIBLE_STORE_URL is not set"),
    ],
)
def test_unsafe_settings_are_refused_in_prod(overrides: dict[str, object], rule: str) -> None:
    with pytest.raises(ConfigError, match=rule):
        load_service_settings(environment="prod", export_secret=SECRET, **overrides)
    # the same settings are accepted in dev
    assert load_service_settings(environment="dev", **overrides).environment == "dev"


def test_prod_takes_the_password_from_its_own_variable() -> None:
    s = load_service_settings(
        environment="prod",
        store_url=PG,
        store_password="p@ss:w/rd",
        export_secret=SECRET,
        api_key_secret=KEY_SECRET,
    )
    assert (
        s.store_connect_url() == "postgresql+psycopg://cible:p%40ss%3Aw%2Frd@db.internal:5432/cible"
    )
    assert s.safe_url() == PG
    assert "p@ss" not in repr(s)  # SecretStr


def test_no_store_url_is_an_error_when_opening() -> None:
    with pytest.raises(ConfigError, match="set CIBLE_STORE_URL or pass --store URL"):
        ServiceSettings().store_connect_url()


def test_mask_and_set_password() -> None:
    assert mask_url("postgresql://u:pw@h:5432/d") == "postgresql://u:***@h:5432/d"
    assert mask_url("sqlite:///a/b.db") == "sqlite:///a/b.db"
    assert with_password("postgresql://u@h/d", "x y") == "postgresql://u:x%20y@h/d"


@pytest.mark.parametrize("password", ["postgres", "PASSWORD", " changeme ", "cible", ""])
def test_a_default_store_password_is_refused_in_prod(password: str) -> None:
    with pytest.raises(ConfigError, match="CIBLE_STORE_PASSWORD is empty or a well-known default"):
        load_service_settings(
            environment="prod", store_url=PG, store_password=password, export_secret=SECRET
        )
    assert load_service_settings(store_url=PG, store_password=password).environment == "dev"


@pytest.mark.parametrize(
    ("secret", "ok"),
    [
        ("", False),
        ("cible-development-secret", False),
        ("changeme", False),
        ("x" * 15, False),  # one short of the 16-character minimum
        ("x" * 16, True),  # exactly the minimum
        (SECRET, True),
    ],
)
def test_the_export_secret_is_checked_at_start_up_in_prod(secret: str, ok: bool) -> None:
    def load() -> ServiceSettings:
        return load_service_settings(
            environment="prod", store_url=PG, export_secret=secret, api_key_secret=KEY_SECRET
        )

    if ok:
        assert load().export_secret.get_secret_value() == secret
    else:
        with pytest.raises(ConfigError, match="CIBLE_EXPORT_SECRET is empty, a default or shorter"):
            load()


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(ConfigError) as e:
        load_service_settings(environment="prod", store_password="postgres", log_level="debug")
    assert str(e.value) == (
        "unsafe service settings for environment=prod: CIBLE_LOG_LEVEL=debug is for "
        "environment=dev only; CIBLE_STORE_URL is not set; CIBLE_STORE_PASSWORD is empty or a "
        "well-known default; CIBLE_EXPORT_SECRET is empty, a default or shorter than 16 "
        "characters; CIBLE_API_KEY_SECRET is empty, a default or shorter than 16 characters"
    )


@pytest.mark.parametrize(
    ("secret", "ok"),
    [
        ("", False),
        ("cible-development-api-key-secret", False),  # the dev fallback is a default
        ("password", False),
        ("k" * 15, False),  # one short of the 16-character minimum
        ("k" * 16, True),  # exactly the minimum
        (KEY_SECRET, True),
    ],
)
def test_the_api_key_secret_is_checked_at_start_up_in_prod(secret: str, ok: bool) -> None:
    def load() -> ServiceSettings:
        return load_service_settings(
            environment="prod", store_url=PG, export_secret=SECRET, api_key_secret=secret
        )

    if ok:
        assert load().api_key_secret.get_secret_value() == secret
    else:
        with pytest.raises(ConfigError, match="CIBLE_API_KEY_SECRET is empty, a default or shor"):
            load()
    assert load_service_settings(api_key_secret=secret).environment == "dev"  # dev: accepted


@pytest.mark.parametrize(
    ("field", "value", "ok"),
    [
        ("rate_limit_per_s", 0, True),
        ("rate_limit_per_s", -0.5, False),
        ("rate_limit_burst", 1, True),
        ("rate_limit_burst", 0, False),
    ],
)
def test_rate_limit_bounds(field: str, value: float, ok: bool) -> None:
    if ok:
        assert getattr(load_service_settings(**{field: value}), field) == value
    else:
        with pytest.raises(ConfigError, match=f"CIBLE_{field.upper()}"):
            load_service_settings(**{field: value})


def test_the_rate_limit_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIBLE_RATE_LIMIT_PER_S", "25")
    monkeypatch.setenv("CIBLE_RATE_LIMIT_BURST", "40")
    s = load_service_settings()
    assert (s.rate_limit_per_s, s.rate_limit_burst) == (25.0, 40)
