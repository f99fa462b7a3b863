"""The dependency picture, checked by walking every import of every module (inside functions and
``TYPE_CHECKING`` blocks included): no cycle, a configuration floor that imports no domain
package, domain packages that import no driver, CLI or web framework, and a light ``cible --help``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import time
from functools import cache
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
DOMAIN = (
    "ingest",
    "quality",
    "identity",
    "features",
    "segmentation",
    "predict",
    "experiments",
    "reporting",
    "synth",
    "activation",
    "lifecycle",
)
DRIVERS = (
    "duckdb",
    "adbc_driver_postgresql",
    "adbc_driver_manager",
    "psycopg",
    "sqlalchemy",
    "pyspark",
)
FRONTS = ("typer", "rich", "fastapi", "uvicorn")
# The private in-memory DuckDB that reads source files and measures them: a compute engine, not
# storage (docs/architecture.md, "Not yet behind the seam").
COMPUTE_ENGINE = {
    "cible.ingest.engine",
    "cible.ingest.failures",
    "cible.ingest.jsonscan",
    "cible.ingest.staging",
    "cible.quality.report_measures",
    "cible.quality.report",
    # MLlib on the Spark warehouse's feature DataFrame: Spark as the compute engine of the
    # segmentation at scale (docs/architecture.md, Spark)
    "cible.segmentation.spark_segments",
    "cible.segmentation.spark_selection",
}
HEAVY = ("pyarrow", "duckdb", "pandas", "numpy", "scipy", "sklearn", "plotly", "sqlglot")


@cache
def _modules() -> dict[str, Path]:
    out = {}
    for path in SRC.rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


@cache
def _imports(name: str) -> frozenset[str]:
    """Every module ``name`` imports (absolute names; submodules resolved)."""
    mods = _modules()
    path = mods[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            subs = [f"{module}.{a.name}" for a in node.names if f"{module}.{a.name}" in mods]
            found.update(subs)
            if len(subs) < len(node.names):
                found.add(module)
    return frozenset(found)


def _internal(name: str) -> set[str]:
    mods = _modules()
    out = set()
    for m in _imports(name):
        while m and m not in mods:
            m = m.rpartition(".")[0]
        if m and m != name and m.startswith("cible"):
            out.add(m)
    return out


def _cycles() -> list[list[str]]:
    graph = {m: sorted(_internal(m)) for m in _modules()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_walker_sees_imports_inside_functions() -> None:
    # cli.main imports the services inside its commands only
    assert "cible.services.pipeline" in _internal("cible.cli.main")
    assert "cible.warehouse.duckdb" in _internal("cible.warehouse.registry")


def test_no_import_cycle() -> None:
    assert _cycles() == []


def test_configuration_imports_only_schemas_and_exceptions() -> None:
    allowed = ("cible.config", "cible.schemas", "cible.exceptions")
    bad = {
        m: sorted(d for d in _internal(m) if not d.startswith(allowed))
        for m in _modules()
        if m.startswith("cible.config")
    }
    assert {m: d for m, d in bad.items() if d} == {}


@pytest.mark.parametrize("package", DOMAIN)
def test_domain_packages_import_no_driver_cli_or_service(package: str) -> None:
    offenders = {}
    for m in _modules():
        if not m.startswith(f"cible.{package}"):
            continue
        top = {i.split(".")[0] for i in _imports(m)}
        bad = sorted(top & set(FRONTS))
        if m not in COMPUTE_ENGINE:
            bad += sorted(top & set(DRIVERS))
        bad += sorted(
            d for d in _internal(m) if d.startswith(("cible.cli", "cible.services", "cible.store"))
        )
        if bad:
            offenders[m] = bad
    assert offenders == {}


def test_the_store_stands_on_the_floor_only() -> None:
    """``cible.store`` may use SQLAlchemy and the drivers, but no domain package, service or
    front: domain code reaches it through the services (docs/architecture.md)."""
    allowed = ("cible.store", "cible.config", "cible.schemas", "cible.exceptions")
    offenders = {}
    for m in _modules():
        if not m.startswith("cible.store"):
            continue
        bad = sorted(d for d in _internal(m) if d != "cible" and not d.startswith(allowed))
        bad += sorted({i.split(".")[0] for i in _imports(m)} & set(FRONTS))
        if bad:
            offenders[m] = bad
    assert offenders == {}
    assert "sqlalchemy" in {i.split(".")[0] for i in _imports("cible.store.db")}


def _fresh(code: str) -> tuple[str, float]:
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=SRC.parent
    )
    return out.stdout.strip(), time.perf_counter() - t0


def test_import_cible_and_help_load_no_heavy_package() -> None:
    """``import cible`` and ``cible --help`` load none of the data libraries (target: ``cible
    --help`` under 0.5 s; the time is printed, never asserted)."""
    heavy = repr(HEAVY)
    loaded, _ = _fresh(
        f"import sys, cible; print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy}))"
    )
    assert loaded == "[]"
    loaded, seconds = _fresh(
        "import sys\nfrom cible.cli.main import app\nsys.argv = ['cible', '--help']\n"
        "try:\n    app()\nexcept SystemExit:\n    pass\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy}))"
    )
    assert loaded.splitlines()[-1] == "[]"
    print(f"cible --help in a fresh interpreter: {seconds:.2f} s")


MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60


def _long_functions(tree: ast.Module) -> list[tuple[str, int]]:
    """``(qualified name, lines)`` of every def longer than the limit: decorators, signature,
    docstring and body count; a nested def counts inside its parent and on its own."""
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    start = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                    lines = (child.end_lineno or child.lineno) - start + 1
                    if lines > MAX_FUNCTION_LINES:
                        found.append((name, lines))
                visit(child, f"{name}.")
            else:
                visit(child, prefix)

    visit(tree, "")
    return found


def test_the_length_walker_counts_the_whole_def() -> None:
    def source(n_body: int, indent: str) -> str:
        return "\n".join(f"{indent}x{i} = {i}" for i in range(n_body))

    # decorator + def + docstring + 57 statements = 60 lines: at the limit
    at_limit = f'@decorator\ndef f():\n    """doc"""\n{source(57, "    ")}\n'
    assert _long_functions(ast.parse(at_limit)) == []
    # def + docstring + 58 statements + return = 61 lines, in a class
    over = f"class C:\n    def g(self):\n        '''doc'''\n{source(58, '        ')}\n"
    assert _long_functions(ast.parse(over + "        return 1\n")) == [("C.g", 61)]


def test_no_module_over_500_lines_and_no_function_over_60() -> None:
    too_long_modules = {}
    too_long_functions = {}
    for name, path in sorted(_modules().items()):
        text = path.read_text(encoding="utf-8")
        n_lines = len(text.splitlines())
        if n_lines > MAX_MODULE_LINES:
            too_long_modules[name] = n_lines
        for function, lines in _long_functions(ast.parse(text)):
            too_long_functions[f"{name}.{function}"] = lines
    assert too_long_modules == {}
    assert too_long_functions == {}


# Packages whose modules are named after the subject they serve (config/quality.py is the
# ``quality:`` section, services/quality.py its use case, reporting/quality.py its rendering,
# store/customers.py its repository, api/routes/customers.py its routes).
LAYERS = (
    "cible.config",
    "cible.services",
    "cible.reporting",
    "cible.cli",
    "cible.store",
    "cible.api.routes",
)


def test_a_module_name_means_one_thing() -> None:
    """The same name in two places is the same subject seen from a layer; any other repeat is a
    name to make precise (the three ``profile.py`` were three different things)."""
    by_name: dict[str, list[str]] = {}
    for name in _modules():
        if name != "cible":
            by_name.setdefault(name.rpartition(".")[2], []).append(name)
    repeated = {
        n: sorted(ms)
        for n, ms in by_name.items()
        if len([m for m in ms if not m.startswith(LAYERS)]) > 1
    }
    assert repeated == {}


def test_only_the_cli_imports_the_web_service_and_services_import_no_web_framework() -> None:
    """``cible.api`` is a front like the CLI: the services under it never import FastAPI,
    Starlette or uvicorn, and nothing but ``cible.cli`` (and ``cible.api`` itself) imports it."""
    web = {"fastapi", "starlette", "uvicorn"}
    offenders = {}
    for m in _modules():
        if m.startswith("cible.services"):
            bad = sorted({i.split(".")[0] for i in _imports(m)} & web)
            if bad:
                offenders[m] = bad
        elif not m.startswith(("cible.cli", "cible.api")):
            bad = sorted(d for d in _internal(m) if d.startswith("cible.api"))
            if bad:
                offenders[m] = bad


def test_stream_adapters_import_no_store_driver_or_web_framework_and_services_no_adapter() -> None:
    """cli/api/stream -> services -> store: the bus adapters talk to the store only through the
    consume use case, and the use case sees the bus only through its port (services.consume.Bus)."""
    offenders = {}
    for m in _modules():
        if m.startswith("cible.stream"):
            top = {i.split(".")[0] for i in _imports(m)}
            bad = sorted(top & {"sqlalchemy", "psycopg", *FRONTS})
            bad += sorted(d for d in _internal(m) if d.startswith(("cible.cli", "cible.api")))
        elif m.startswith("cible.services"):
            bad = sorted(d for d in _internal(m) if d.startswith("cible.stream"))
        else:
            continue
        if bad:
            offenders[m] = bad
    assert offenders == {}
