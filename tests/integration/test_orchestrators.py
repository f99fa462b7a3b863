"""The orchestrator examples run ``cible refresh`` through their orchestrator (docs/operations.md).

Prefect 3 and Airflow 3 pin libraries older than cible's lock (Prefect: FastAPI < 0.151), so each
lives in an environment of its own, built by ``make setup-orchestrators`` from
``requirements/prefect.txt`` and ``requirements/airflow.txt`` (part of ``make test``). The
examples call the ``cible`` command of the project's venv (``CIBLE_BIN``), as a deployment would.
A missing orchestrator environment fails the test with the command that builds it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.unit.cli.test_refresh_command import _config, project  # noqa: F401 (fixture)

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
CIBLE = str(Path(sys.executable).parent / "cible")


def _python(name: str) -> str:
    path = Path(os.environ.get(f"CIBLE_{name.upper()}_PYTHON", ROOT / f".venv-{name}/bin/python"))
    if not path.exists():
        pytest.fail(f"no {name} environment at {path}: run `make setup-orchestrators`")
    return str(path)


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    # the subprocess cible must import the test fakes the store's model was pickled with
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "CIBLE_BIN": CIBLE,
        "CIBLE_REFRESH_RETRY_DELAY_S": "1",
        **extra,
    }


def test_the_prefect_flow_runs_cible_refresh_and_returns_its_decision(project: Path) -> None:  # noqa: F811
    config = _config(project, "same")
    script = (
        "import json, runpy, sys; m = runpy.run_path(sys.argv[1]); "
        "print('RESULT ' + json.dumps(m['refresh_flow'](sys.argv[2])))"
    )
    home = project / "prefect_home"
    done = subprocess.run(
        [_python("prefect"), "-c", script, str(ROOT / "examples/prefect_flow.py"), str(config)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=project,
        env=_env(
            project,
            PREFECT_HOME=str(home),
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            # the temporary API server starts slowly on a busy 2-core machine (default 20 s)
            PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="600",
        ),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    decision = json.loads(line.removeprefix("RESULT "))
    assert decision["action"] == "rescore"
    written = json.loads((project / "refresh" / "refresh.json").read_text())
    assert written == decision
    assert "Finished in state Completed" in done.stdout + done.stderr


def test_the_airflow_dag_runs_cible_refresh_and_pushes_its_decision(project: Path) -> None:  # noqa: F811
    config = _config(project, "same")
    home = project / "airflow_home"
    (home / "dags").mkdir(parents=True)
    shutil.copy(ROOT / "examples/airflow_dag.py", home / "dags" / "airflow_dag.py")
    env = _env(
        project,
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(home / "dags"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        CIBLE_REFRESH_CONFIG=str(config),
    )
    airflow = str(Path(_python("airflow")).parent / "airflow")
    for args in (["db", "migrate"], ["dags", "reserialize"]):
        step = subprocess.run(
            [airflow, *args], capture_output=True, text=True, timeout=600, cwd=project, env=env
        )
        assert step.returncode == 0, (args, step.stderr[-3000:])
    done = subprocess.run(
        [airflow, "dags", "test", "cible_refresh"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=project,
        env=env,
    )
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-3000:]
    assert "refresh decision: rescore" in log
    assert "state=success" in log and "state=failed" not in log
    written = json.loads((project / "refresh" / "refresh.json").read_text())
    assert (written["action"], written["scored"], written["changed"]) == ("rescore", 2, 0)


def test_the_kubeflow_pipeline_compiles_refresh_validate_publish(tmp_path: Path) -> None:
    package = tmp_path / "cible_retrain.yaml"
    done = subprocess.run(
        [_python("kfp"), str(ROOT / "examples/kubeflow_pipeline.py"), str(package)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "CIBLE_IMAGE": "registry.test/cible:1.2"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    spec, platform = list(yaml.safe_load_all(package.read_text()))
    tasks = spec["root"]["dag"]["tasks"]
    assert set(tasks) == {"refresh", "validate", "publish"}
    assert tasks["validate"]["dependentTasks"] == ["refresh"]
    assert sorted(tasks["publish"]["dependentTasks"]) == ["refresh", "validate"]
    params = spec["root"]["inputDefinitions"]["parameters"]
    assert params["min_stability"]["defaultValue"] == 0.75
    assert params["min_segment_share"]["defaultValue"] == 0.02
    assert not any("store" in name for name in params)  # the store URL is a secret, not a parameter
    executors = spec["deploymentSpec"]["executors"]
    assert {e["container"]["image"] for e in executors.values()} == {"registry.test/cible:1.2"}
    assert executors["exec-refresh"]["container"]["command"] == ["cible", "run"]
    assert executors["exec-publish"]["container"]["command"] == ["cible", "publish"]
    secret = platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"]["exec-publish"]
    assert secret["secretAsEnv"][0]["keyToEnv"] == [
        {"envVar": "CIBLE_STORE_URL", "secretKey": "url"}
    ]


def test_the_kubeflow_validate_command_gates_on_cible_check(tmp_path: Path) -> None:
    """The validate step's shell command, run here as the container would run it."""
    from tests.unit.services.test_run_check import _run

    package = tmp_path / "p.yaml"
    subprocess.run(
        [_python("kfp"), str(ROOT / "examples/kubeflow_pipeline.py"), str(package)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    spec = next(yaml.safe_load_all(package.read_text()))
    command = spec["deploymentSpec"]["executors"]["exec-validate"]["container"]["command"]
    env = {**os.environ, "PATH": f"{Path(CIBLE).parent}:{os.environ['PATH']}"}
    (tmp_path / "good").mkdir()
    (tmp_path / "bad").mkdir()
    good, bad = _run(tmp_path / "good"), _run(tmp_path / "bad", ari=0.7)
    for run, code in ((good, 0), (bad, 1)):
        out = tmp_path / f"check_{code}.json"
        step = subprocess.run(
            [*command, str(run), "0.75", "0.02", str(out)], capture_output=True, text=True, env=env
        )
        assert step.returncode == code, step.stdout + step.stderr
        assert out.exists() == (code == 0)
    assert json.loads((tmp_path / "check_0.json").read_text())["passed"] is True
