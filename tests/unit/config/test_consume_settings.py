"""``cible consume`` refuses unsafe settings outside dev (cible.config.consume)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from cible.cli.main import app
from cible.config.consume import ConsumeSettings, check_consume_settings
from cible.exceptions import ConfigError

PROD = ConsumeSettings(environment="prod", store_password=SecretStr("Long-and-rare-8731"))
SAFE = {
    "store_url": "postgresql+psycopg://cible@db:5432/cible",
    "bus": "rabbitmq",
    "bus_url": "amqp://cible:Rare-pass-9482@mq:5672/%2F",
    "webhook": "https://hooks.example.org/cible",
    "log_level": "info",
}


def test_safe_prod_settings_pass_and_the_password_is_added_to_the_url() -> None:
    url = check_consume_settings(PROD, **SAFE)
    assert url == "postgresql+psycopg://cible:Long-and-rare-8731@db:5432/cible"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"store_url": "postgresql+psycopg://cible:x@db/cible"}, "CIBLE_STORE_URL contains"),
        ({"bus_url": "amqp://guest:guest@mq:5672/%2F"}, "CIBLE_BUS_URL uses a well-known"),
        ({"bus_url": "amqp://cible:Guest @mq/%2F"}, "CIBLE_BUS_URL uses a well-known"),
        ({"bus_url": None}, "CIBLE_BUS_URL is not set"),
        ({"webhook": "http://hooks.example.org/x"}, "CIBLE_WEBHOOK is plain http://"),
        ({"log_level": "debug"}, "CIBLE_LOG_LEVEL=debug"),
    ],
)
def test_each_unsafe_setting_is_refused_in_prod(change: dict, message: str) -> None:
    with pytest.raises(ConfigError, match="unsafe consumer settings for environment=prod") as e:
        check_consume_settings(PROD, **{**SAFE, **change})
    assert message in str(e.value)
    assert "Long-and-rare" not in str(e.value)  # the message never shows a secret


def test_the_loopback_webhook_and_a_bus_without_url_other_than_rabbitmq_pass() -> None:
    check_consume_settings(PROD, **{**SAFE, "webhook": "http://127.0.0.1:9000/hook"})
    check_consume_settings(PROD, **{**SAFE, "bus": "kafka", "bus_url": None})


@pytest.mark.parametrize("password", ["postgres", " Password ", ""])
def test_a_default_or_empty_store_password_is_refused(password: str) -> None:
    settings = ConsumeSettings(environment="prod", store_password=SecretStr(password))
    with pytest.raises(ConfigError, match="CIBLE_STORE_PASSWORD is empty or a well-known"):
        check_consume_settings(settings, **SAFE)


def test_every_problem_is_listed_at_once() -> None:
    with pytest.raises(ConfigError) as e:
        check_consume_settings(
            PROD, **{**SAFE, "bus_url": "amqp://guest:guest@mq/", "log_level": "debug"}
        )
    assert str(e.value).count(";") == 1


def test_dev_allows_everything() -> None:
    dev = ConsumeSettings(environment="dev")
    unsafe = {**SAFE, "bus_url": "amqp://guest:guest@localhost/", "log_level": "debug"}
    assert check_consume_settings(dev, **unsafe) == SAFE["store_url"]


def test_the_command_stops_with_exit_2_before_opening_anything(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CIBLE_ENVIRONMENT", "prod")
    monkeypatch.delenv("CIBLE_STORE_PASSWORD", raising=False)
    db = tmp_path / "never.db"
    out = CliRunner().invoke(
        app,
        ["consume", "--store", f"sqlite:///{db}", "--bus", "rabbitmq", "--idle-exit-s", "1"],
    )
    assert out.exit_code == 2
    assert "CIBLE_BUS_URL is not set" in out.output
    assert not db.exists()
