"""``cible keys create`` and ``cible serve`` (a real uvicorn subprocess on a free port)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from cible.cli.main import app

runner = CliRunner()
SRC = Path(__file__).resolve().parents[3] / "src"


def test_keys_create_prints_a_key_that_the_store_verifies(tmp_path: Path) -> None:
    from cible.store import ProfileStore

    url = f"sqlite:///{tmp_path / 'store.db'}"
    result = runner.invoke(
        app, ["keys", "create", "--scope", "read", "--scope", "write", "--store", url]
    )
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    assert "scopes: read, write" in result.output
    store = ProfileStore.open(url)
    try:
        assert store.verify_api_key(key) == frozenset({"read", "write"})
        assert store.verify_api_key(key + "x") is None
    finally:
        store.close()


def test_keys_list_shows_prefix_name_scopes_and_status_never_the_secret(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    made = runner.invoke(
        app, ["keys", "create", "--scope", "admin", "--name", "ops", "--store", url]
    )
    key = made.output.strip().splitlines()[-1]
    prefix = key.split("_")[1]
    runner.invoke(app, ["keys", "create", "--scope", "read", "--name", "bi", "--store", url])
    listed = runner.invoke(app, ["keys", "list", "--store", url], env={"COLUMNS": "200"})
    assert listed.exit_code == 0, listed.output
    assert "2 key(s)" in listed.output
    line = next(row for row in listed.output.splitlines() if prefix in row)
    assert "ops" in line and "admin" in line and "active" in line
    assert key.split("_", 2)[2] not in listed.output  # the secret part is never shown


def test_keys_revoke_by_prefix_and_refuses_key_and_prefix_together(tmp_path: Path) -> None:
    from cible.store import ProfileStore

    url = f"sqlite:///{tmp_path / 'store.db'}"
    key = runner.invoke(app, ["keys", "create", "--scope", "read", "--store", url])
    key_text = key.output.strip().splitlines()[-1]
    prefix = key_text.split("_")[1]
    both = runner.invoke(app, ["keys", "revoke", key_text, "--prefix", prefix, "--store", url])
    assert both.exit_code == 2
    assert "either the key or --prefix" in both.output
    unknown = runner.invoke(app, ["keys", "revoke", "--prefix", "nope", "--store", url])
    assert unknown.exit_code == 2
    done = runner.invoke(app, ["keys", "revoke", "--prefix", prefix, "--store", url])
    assert done.exit_code == 0, done.output
    listed = runner.invoke(app, ["keys", "list", "--store", url], env={"COLUMNS": "200"})
    assert "revoked" in next(row for row in listed.output.splitlines() if prefix in row)
    store = ProfileStore.open(url)
    try:
        assert store.verify_api_key(key_text) is None
    finally:
        store.close()


def test_keys_create_refuses_an_unknown_scope(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    result = runner.invoke(app, ["keys", "create", "--scope", "root", "--store", url])
    assert result.exit_code == 2
    text = " ".join(result.output.replace("│", " ").split())  # the error box wraps lines
    assert "unknown scope(s) ['root']; allowed: read, write, admin" in text


def test_serve_refuses_unsafe_settings_in_prod(tmp_path: Path) -> None:
    url = "postgresql+psycopg://cible:s3cret@127.0.0.1:5432/test"
    result = runner.invoke(app, ["serve", "--store", url], env={"CIBLE_ENVIRONMENT": "prod"})
    assert result.exit_code == 2
    assert "CIBLE_STORE_URL contains a password" in result.output
    assert "s3cret" not in result.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_health_and_ready(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    port = _free_port()
    code = "import sys; from cible.cli.main import app; sys.argv[0] = 'cible'; app()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "serve", "--store", url, "--port", str(port)],
        env={**os.environ, "PYTHONPATH": str(SRC)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                health = httpx.get(f"{base}/health", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                time.sleep(0.1)
        assert health.json() == {"status": "ok"}
        ready = httpx.get(f"{base}/ready", timeout=5)
        assert ready.status_code == 503
        assert ready.json()["reason"] == "no segment model is published yet"
        assert httpx.get(f"{base}/v1/segments", timeout=5).status_code == 401
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=15)
    access = [line for line in err.splitlines() if '"cible.api.access"' in line]
    assert len(access) == 3 and '"route": "/v1/segments"' in access[2]


def test_keys_revoke(tmp_path: Path) -> None:
    from cible.store import ProfileStore

    url = f"sqlite:///{tmp_path / 'store.db'}"
    created = runner.invoke(app, ["keys", "create", "--scope", "admin", "--store", url])
    key = created.output.strip().splitlines()[-1]
    result = runner.invoke(app, ["keys", "revoke", "--store", url, key])
    assert (result.exit_code, result.output.strip()) == (0, "revoked")
    store = ProfileStore.open(url)
    try:
        assert store.verify_api_key(key) is None
    finally:
        store.close()
    again = runner.invoke(app, ["keys", "revoke", "--store", url, "cible_nope_x"])
    assert again.exit_code == 2 and "no such key in this store" in again.output
