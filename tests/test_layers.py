"""The package's layers only point down, and no private name crosses a subpackage.

Layers, lowest first: core < stats < io < datasets < missing < analysis < plotting <
reporting < pipeline < cli (the top-level ``__init__``/``__main__`` sit above all). A
module may import from its own layer or a lower one. The check reads every module's
imports (top level and inside functions) with ``ast``; it fails on an upward import, on
an import cycle between modules, on ``from x.y import _private`` from another module
(tests included) and on a module that only re-exports.
"""

from __future__ import annotations

import ast
import functools
import typing
from pathlib import Path

import pytest

import cma_research as cma

SRC = Path(cma.__file__).parent
TESTS = Path(__file__).parent
LAYERS = [
    "core",
    "stats",
    "io",
    "datasets",
    "missing",
    "analysis",
    "plotting",
    "reporting",
    "pipeline",
    "cli",
]
RANK = {name: i for i, name in enumerate(LAYERS)}


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) < 2:
        return None  # the package itself: the top
    return parts[1] if parts[1] in RANK else None


def _defines_something(node: ast.stmt) -> bool:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return True
    if isinstance(node, ast.AnnAssign):
        return True
    if isinstance(node, ast.Assign):
        return any(not (isinstance(t, ast.Name) and t.id == "__all__") for t in node.targets)
    return False


class _Read(typing.NamedTuple):
    """What the checks need from one file, read once (its syntax tree is not kept)."""

    edges: list[tuple[str, list[str], int]]  # (imported module, names, line)
    private: list[tuple[str, str, int]]  # (cma_research module, _name imported, line)
    defines: bool  # defines a function, class or variable of its own


@functools.cache
def _read(path: Path) -> _Read:
    # files are read when a test first asks, not at collection (every process collects)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    edges = []
    private = []
    defines = False
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("cma_research"):
                edges.append((node.module, [a.name for a in node.names], node.lineno))
                private += [
                    (node.module, a.name, node.lineno)
                    for a in node.names
                    if a.name.startswith("_") and not a.name.endswith("__")
                ]
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            edges.append(("<relative>", [a.name for a in node.names], node.lineno))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("cma_research."):
                    edges.append((alias.name, [], node.lineno))
        defines = defines or (isinstance(node, ast.stmt) and _defines_something(node))
    return _Read(edges, private, defines)


@functools.cache
def _imports() -> dict[str, list[tuple[str, list[str], int]]]:
    return {_module_name(path): _read(path).edges for path in sorted(SRC.rglob("*.py"))}


def test_every_module_sits_in_a_known_layer() -> None:
    unknown = [m for m in _imports() if m != "cma_research" and _layer(m) is None]
    unknown = [m for m in unknown if m not in ("cma_research.__main__",)]
    assert not unknown, f"modules outside the layers {LAYERS}: {unknown}"


def test_no_relative_imports() -> None:
    bad = [
        (m, line) for m, edges in _imports().items() for t, _, line in edges if t == "<relative>"
    ]
    assert not bad, f"use absolute imports: {bad}"


def test_imports_only_point_down() -> None:
    upward = []
    for module, edges in _imports().items():
        own = _layer(module)
        if own is None:
            continue  # the top-level package may import anything
        for target, names, line in edges:
            # ``from cma_research import x``: x is a subpackage or a re-export
            top = target == "cma_research"
            targets = [f"cma_research.{n}" for n in names] if top else [target]
            for t in targets:
                layer = _layer(t)
                if layer is not None and RANK[layer] > RANK[own]:
                    upward.append(f"{module}:{line} imports {t} ({own} -> {layer})")
                elif layer is None and t.split(".")[1:2] and t != "cma_research":
                    upward.append(f"{module}:{line} imports {t} (the top-level package)")
    assert not upward, "upward imports:\n" + "\n".join(upward)


def _private_crossings(path: Path, module: str) -> list[str]:
    return [
        f"{path}:{line} imports {home}.{name}"
        for home, name, line in _read(path).private
        if home != module
    ]


def test_no_private_name_is_imported_from_another_module() -> None:
    # a name two modules need is public in its home; tests test the public function
    crossing = []
    for path in sorted(SRC.rglob("*.py")):
        crossing += _private_crossings(path, _module_name(path))
    for path in sorted(TESTS.rglob("*.py")):
        crossing += _private_crossings(path, "")
    assert not crossing, "\n".join(crossing)


def test_no_module_only_re_exports() -> None:
    # statsmodels' thin api modules are for users: the subpackages' __init__ may gather
    # names; inside the package every other module defines something of its own
    shims = []
    for path in sorted(SRC.rglob("*.py")):
        if path.name in ("__init__.py", "__main__.py"):
            continue
        if not _read(path).defines:
            shims.append(str(path.relative_to(SRC)))
    assert not shims, f"modules that only re-export: {shims}"


def test_no_import_cycles_between_modules() -> None:
    graph: dict[str, set[str]] = {m: set() for m in _imports()}
    for module, edges in _imports().items():
        for target, _names, _line in edges:
            if target in graph and target != module:
                graph[module].add(target)
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                # a package and its own submodules importing each other is not a cycle,
                # wherever the search entered it
                cycle = stack[stack.index(nxt) :]
                if not any(all(c == p or c.startswith(p + ".") for c in cycle) for p in cycle):
                    cycles.append([*cycle, nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_cohort_type_hints_resolve() -> None:
    hints = typing.get_type_hints(cma.Cohort)
    assert {"scores", "attributes", "instrument", "cleaning"} <= set(hints)


@pytest.mark.parametrize("module", ["cma_research", "cma_research.cli"])
def test_importing_the_package_does_not_import_matplotlib(module: str) -> None:
    import subprocess
    import sys

    code = f"import sys, {module}; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_lazy_subpackages_are_reachable() -> None:
    assert callable(cma.plotting.plot_radar)
    assert callable(cma.reporting.save_table)
    assert callable(cma.write_business_report)
