"""Documentation that must stay true to the code."""

from __future__ import annotations

from pathlib import Path

from cible.schemas import CUSTOMER_FIELDS, EVENT_FIELDS, EVENT_TYPES

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_data_model_lists_every_field_with_its_type() -> None:
    text = (DOCS / "data-model.md").read_text(encoding="utf-8")
    for spec in (*CUSTOMER_FIELDS, *EVENT_FIELDS):
        assert f"| `{spec.name}` | {spec.kind} |" in text, spec.name
    for event_type in EVENT_TYPES:
        assert f"`{event_type}`" in text, event_type


def test_predict_doc_lists_every_config_key() -> None:
    from cible.config.predict import (
        CLVConfig,
        FeatureSelectionConfig,
        PredictConfig,
        SearchConfig,
        TableConfig,
    )

    text = (DOCS / "predict.md").read_text(encoding="utf-8")
    reference = text.split("## Configuration reference", 1)[1].split("\n## ", 1)[0]
    for name in PredictConfig.model_fields:
        assert f"| `{name}` |" in reference, name
    for model in (SearchConfig, FeatureSelectionConfig, TableConfig, CLVConfig):
        for name in model.model_fields:
            assert f"`{name}`" in reference or f"{name}:" in reference, f"{model.__name__}.{name}"


TUTORIALS = sorted((DOCS / "tutorials").glob("*.ipynb"))


def test_the_tutorials_are_committed_without_outputs() -> None:
    import nbformat

    assert [p.name for p in TUTORIALS] == [
        "01-quick-start.ipynb",
        "02-online-retail.ipynb",
        "03-duplicate-customers.ipynb",
        "04-propensity-and-lifetime-value.ipynb",
    ]
    for path in TUTORIALS:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert code, path.name
        for i, cell in enumerate(code):
            assert cell.outputs == [], f"{path.name}: code cell {i} has outputs"
            assert cell.execution_count is None, f"{path.name}: code cell {i} has a count"


def _nav_pages(nav: object) -> list[str]:
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, list):
        return [p for item in nav for p in _nav_pages(item)]
    if isinstance(nav, dict):
        return [p for value in nav.values() for p in _nav_pages(value)]
    return []


def test_the_site_nav_lists_every_page_and_tutorial_once() -> None:
    import yaml

    text = (DOCS.parent / "mkdocs.yml").read_text(encoding="utf-8")
    nav = yaml.load(text, Loader=yaml.BaseLoader)["nav"]  # BaseLoader: no python/ tags run
    pages = _nav_pages(nav)
    assert len(pages) == len(set(pages))
    expected = {p.name for p in DOCS.glob("*.md")} | {f"tutorials/{p.name}" for p in TUTORIALS}
    assert set(pages) == expected


def test_the_python_api_has_a_docstring_on_every_public_member() -> None:
    import inspect

    import cible

    missing = []
    for name in ("segment", "dedup", "propensity", "run", "load_config"):
        if not inspect.getdoc(getattr(cible, name)):
            missing.append(name)
    for cls in (cible.SegmentResult, cible.DedupResult, cible.PropensityResult, cible.RunResult):
        if not cls.__doc__:
            missing.append(cls.__name__)
        for member, value in vars(cls).items():
            if member.startswith("_") or not callable(getattr(value, "fget", value)):
                continue
            if not inspect.getdoc(value):
                missing.append(f"{cls.__name__}.{member}")
    assert missing == []
