"""The structure holds: `core/` knows no part of the record, no module imports itself round a circle,
every route passes the edge, every table is found, and who-may-see rules live in the access module."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.routing import APIRoute

from wijkregistratie.core.routes import Route
from wijkregistratie.main import create_app

pytestmark = pytest.mark.fast

SOURCE = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SOURCE / "wijkregistratie"


def _module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Every module of the package and the package modules it imports, at any depth of its code."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            found |= {t for t in targets if t in modules and t != name}
        graph[name] = found
    return graph


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 else ""


def test_core_imports_no_part_of_the_record() -> None:
    offending = {
        (module, target)
        for module, targets in _imports().items()
        if _part(module) == "core"
        for target in targets
        if _part(target) not in ("core", "")
    }
    assert not offending


def test_no_module_imports_itself_round_a_circle() -> None:
    graph = _imports()
    circles = []
    state: dict[str, int] = {}  # 1 on the current path, 2 done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                circles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not circles


def test_every_route_of_the_api_passes_the_edge() -> None:
    """Body limits, the access log and idempotency are applied by the route class: a route of another
    class would skip them."""
    app = create_app()
    paths = app.openapi()["paths"]
    routes = [r for r in _api_routes(app.routes)]
    assert routes and all(isinstance(r, Route) for r in routes), [r.path for r in routes if not isinstance(r, Route)]
    assert len({r.path for r in routes if r.include_in_schema}) == len(paths)


def _api_routes(routes: list[object]) -> list[APIRoute]:
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        for child in (getattr(route, "original_router", None), getattr(route, "router", None)):
            if child is not None:
                found.extend(_api_routes(child.routes))
    return found


def test_every_table_is_found_without_a_list() -> None:
    """A table in a module that the discovery does not import would be missing from the migrations check
    and from the privacy inventory. Importing every module of the package must add no table."""
    script = """
import importlib, pkgutil
from sqlmodel import SQLModel
import wijkregistratie
from wijkregistratie.core.discovery import import_all_models
import_all_models()
found = set(SQLModel.metadata.tables)
for module in pkgutil.walk_packages(wijkregistratie.__path__, "wijkregistratie."):
    importlib.import_module(module.name)
print(sorted(set(SQLModel.metadata.tables) - found) or "", sorted(found) and len(found))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    missing, count = result.stdout.rsplit(" ", 1)
    assert missing.strip() == ""
    assert int(count) >= 30


def test_who_coordinates_what_is_decided_in_the_access_module() -> None:
    """A principal's coordinated teams decide what it sees and may do; only the access module reads them
    (and the modules that issue or verify the token that carries them)."""
    allowed = {"access", "auth", "core", "demo"}
    readers = {
        _module_name(path)
        for path in PACKAGE.rglob("*.py")
        if "coordinated_team_ids" in path.read_text(encoding="utf-8")
    }
    assert {m for m in readers if _part(m) not in allowed} == set()
