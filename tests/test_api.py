"""The public API is declared once (``__init__.pyi``) and lands on the implementation."""

from __future__ import annotations

import ast
import importlib
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import cma_research as cma

STUB = Path(cma.__file__).with_suffix(".pyi")


def _stub_imports() -> list[tuple[str, str]]:
    """(module, name) for every ``from .module import name`` of the stub."""
    tree = ast.parse(STUB.read_text(encoding="utf-8"))
    pairs = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module:
            pairs += [(f"cma_research.{node.module}", a.name) for a in node.names]
    return pairs


def test_all_is_what_the_stub_declares() -> None:
    declared = {name for _, name in _stub_imports()}
    submodules = {"analysis", "datasets", "io", "missing", "pipeline", "plotting", "reporting"}
    assert set(cma.__all__) == declared | submodules | {"stats"}
    assert cma.__all__ == sorted(cma.__all__)


@pytest.mark.parametrize(("module", "name"), _stub_imports())
def test_every_public_name_is_defined_where_the_stub_says(module: str, name: str) -> None:
    # go-to-definition on the stub lands on the implementation, not on a re-export
    obj = getattr(cma, name)
    assert obj is getattr(importlib.import_module(module), name)
    if inspect.isfunction(obj) or inspect.isclass(obj):
        assert obj.__module__ == module, f"{name} is defined in {obj.__module__}, not {module}"


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_function"):
        cma.no_such_function  # noqa: B018


def test_importing_the_package_loads_no_scientific_stack() -> None:
    code = (
        "import sys, cma_research; "
        "print(sorted(m for m in ('pandas', 'numpy', 'scipy', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
