"""``POST /v1/models``: publish a batch run found under CIBLE_MODELS_DIR (admin only)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from cible.store import ProfileStore
from tests.unit.api.conftest import Keys, make_app


def test_publish_a_batch_run_through_the_api(
    store_and_schema: tuple[ProfileStore, str | None], keys: Keys, batch_run: Path
) -> None:
    store, schema = store_and_schema
    app = make_app(store, models_dir=batch_run.parent, store_schema=schema)
    admin = {"X-API-Key": keys.admin}
    with TestClient(app) as c:
        assert c.get("/ready").status_code == 503
        r = c.post("/v1/models", json={"run_dir": batch_run.name}, headers=admin)
        assert (r.status_code, r.json()) == (201, {"model_version": 1})
        assert c.get("/ready").json()["model_version"] == 1
        segments = c.get("/v1/segments", headers={"X-API-Key": keys.read}).json()
        assert segments["model_version"] == 1
        assert sum(s["size"] for s in segments["segments"]) == len(store.memberships()) > 900
        r = c.post("/v1/models", json={"run_dir": batch_run.name}, headers=admin)
        assert r.json() == {"model_version": 2}


def test_a_folder_that_is_not_a_run_is_404(store: ProfileStore, keys: Keys, tmp_path: Path) -> None:
    (tmp_path / "runs" / "empty").mkdir(parents=True)
    app = make_app(store, models_dir=tmp_path / "runs")
    with TestClient(app) as c:
        r = c.post("/v1/models", json={"run_dir": "empty"}, headers={"X-API-Key": keys.admin})
    assert r.status_code == 404
    assert r.json()["message"] == (
        "run directory 'empty' is not a batch run: it has no segment_model.joblib "
        "(write one with `cible run --out DIR`)"
    )


def test_publishing_is_409_when_disabled_or_outside(
    store: ProfileStore, keys: Keys, tmp_path: Path
) -> None:
    admin = {"X-API-Key": keys.admin}
    with TestClient(make_app(store)) as c:
        r = c.post("/v1/models", json={"run_dir": "x"}, headers=admin)
        assert r.status_code == 409 and "set CIBLE_MODELS_DIR" in r.json()["message"]
    with TestClient(make_app(store, models_dir=tmp_path)) as c:
        r = c.post("/v1/models", json={"run_dir": "../.."}, headers=admin)
        assert r.status_code == 409 and "is outside CIBLE_MODELS_DIR" in r.json()["message"]
