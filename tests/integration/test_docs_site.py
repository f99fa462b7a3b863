"""The documentation site builds with ``mkdocs build --strict``: a broken link or anchor, a page
left out of the nav or a reference that mkdocstrings cannot resolve fails the test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert "WARNING" not in done.stderr, done.stderr[-4000:]
    reference = (site / "reference" / "index.html").read_text(encoding="utf-8")
    for name in ("segment", "dedup", "propensity", "run", "SegmentResult", "RunResult"):
        assert f'id="cible.{name}"' in reference, name
    tutorial = (site / "tutorials" / "02-online-retail" / "index.html").read_text(encoding="utf-8")
    assert "examples/online_retail.yaml" in tutorial
