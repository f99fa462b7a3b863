"""No personal data in any log line of a whole run: ``cible demo`` (1,000 customers), then
``cible serve`` answering requests that carry customers' e-mails, phones and names (in bodies,
in a path, in a query string, in rejected values), then ``cible consume`` of a stream with
events whose fields and malformed lines hold the same data. Every line those processes print
(stdout and stderr, at ``debug`` level where allowed) is scanned for each of the world's
e-mails, phones (as written and as digits) and full names, and for anything shaped like an
e-mail or a phone number."""

from __future__ import annotations

import csv
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from cible.api.logs import EMAIL, PHONE

pytestmark = pytest.mark.integration
SRC = Path(__file__).resolve().parents[2] / "src"
CODE = "import sys; from cible.cli.main import app; sys.argv[0] = 'cible'; app()"


def cible(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC), "CIBLE_THREADS": "1", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-c", CODE, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def personal_values(customers_csv: Path) -> tuple[set[str], list[dict[str, str]]]:
    with customers_csv.open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f, delimiter=";"))
    values: set[str] = set()
    for r in rows:
        for v in (r["email"], r["telephone"], re.sub(r"\D", "", r["telephone"])):
            if len(v) >= 6:
                values.add(v)
        if r["prenom"] and r["nom"]:
            values.add(f"{r['prenom']} {r['nom']}")
    return values, rows


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_and_call(url: str, key: str, people: list[dict[str, str]]) -> str:
    """The output of ``cible serve`` after calls carrying personal data."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", CODE, "serve", "--store", url, "--port", str(port)],
        env={**os.environ, "PYTHONPATH": str(SRC), "CIBLE_LOG_LEVEL": "debug"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base, auth = f"http://127.0.0.1:{port}", {"X-API-Key": key}
    try:
        for _ in range(300):
            try:
                httpx.get(f"{base}/health", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None
                time.sleep(0.1)
        statuses = []
        for p in people[:20]:
            body = {"email": p["email"], "phone": p["telephone"], "first_name": p["prenom"],
                    "last_name": p["nom"]}  # fmt: skip
            r = httpx.put(f"{base}/v1/customers/{p['client_id']}", json=body, headers=auth)
            statuses.append(r.status_code)
            statuses.append(
                httpx.get(f"{base}/v1/customers/{p['client_id']}/profile", headers=auth).status_code
            )
        p = people[0]
        bad = {"email": p["email"], "phone": p["telephone"], "gender": "robot"}
        statuses.append(httpx.put(f"{base}/v1/customers/X1", json=bad, headers=auth).status_code)
        statuses.append(
            httpx.get(f"{base}/v1/customers/{p['email']}/profile", headers=auth).status_code
        )
        statuses.append(
            httpx.get(f"{base}/v1/segments?who={p['telephone']}", headers=auth).status_code
        )
        statuses.append(
            httpx.get(f"{base}/v1/segments", headers={"X-API-Key": p["email"]}).status_code
        )
        assert statuses[:40] == [200] * 40
        assert statuses[40:] == [422, 404, 200, 401]
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    return out


def consume(url: str, folder: Path, people: list[dict[str, str]]) -> str:
    lines = []
    for i, p in enumerate(people[:200]):
        event = {"event_id": f"priv-{i}", "customer_id": p["client_id"], "event_type": "purchase",
                 "timestamp": "2026-05-01T10:00:00+00:00", "order_id": f"PO{i}", "amount": 12.5,
                 "location": p["email"], "channel": p["telephone"]}  # fmt: skip
        lines.append(json.dumps(event))
        lines.append(json.dumps({**event, "event_id": f"bad-{i}", "timestamp": p["email"]}))
        lines.append(f"{{not json {p['email']} {p['prenom']} {p['nom']} {p['telephone']}")
    source = folder / "events.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = cible("consume", "--store", url, "--bus-url", str(source), "--log-level", "debug")
    stopped = [json.loads(x) for x in done.stderr.splitlines() if "consumer stopped" in x]
    assert (stopped[0]["applied"], stopped[0]["dead_lettered"]) == (200, 400)
    return done.stdout + done.stderr


def test_no_personal_data_in_any_log_line(tmp_path: Path) -> None:
    demo = cible("demo", "--out", str(tmp_path / "demo"), "--customers", "1000")
    values, people = personal_values(tmp_path / "demo" / "data" / "customers.csv")
    assert len(values) > 2000
    url = f"sqlite:///{tmp_path / 'demo' / 'store.db'}"
    key = cible("keys", "create", "--scope", "admin", "--store", url).stdout.strip().split()[-1]
    outputs = {
        "demo": demo.stdout + demo.stderr,
        "serve": serve_and_call(url, key, people),
        "consume": consume(url, tmp_path, people),
    }
    assert outputs["serve"].count('"cible.api.access"') == 45  # 44 calls + the health wait
    assert "consumer stopped" in outputs["consume"]
    assert scan(outputs, values) == []
    # the scan itself catches each kind of leak
    p = people[3]
    probes = {"probe": f"a {p['email']}\nb {p['telephone']}\nc {p['prenom']} {p['nom']}"}
    assert [row[1] for row in scan(probes, values)] == [1, 2, 3]


def scan(outputs: dict[str, str], values: set[str]) -> list[tuple[object, ...]]:
    leaks = []
    for name, text in outputs.items():
        for number, line in enumerate(text.splitlines(), start=1):
            shaped = EMAIL.findall(line) + PHONE.findall(line)
            found = [v for v in values if v in line]
            if shaped or found:
                leaks.append((name, number, shaped, found[:3], line[:200]))
    return leaks
