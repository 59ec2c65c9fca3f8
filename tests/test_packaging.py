"""Packaging promises: environment.yml and pyproject.toml list the same dependencies."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

import cma_research as cma

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip())[0].lower().replace("_", "-")


def test_environment_yml_matches_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {_name(r) for r in project["dependencies"]}
    declared |= {_name(r) for r in project["optional-dependencies"]["test"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {_name(d) for d in env["dependencies"] if isinstance(d, str)} - {"python", "pip"}
    assert conda == declared, (
        f"only in environment.yml: {sorted(conda - declared)}; "
        f"only in pyproject.toml: {sorted(declared - conda)}"
    )
    pip_section = [d for d in env["dependencies"] if isinstance(d, dict)]
    assert pip_section == [{"pip": ["-e ."]}]
    assert "python=3.11" in env["dependencies"]


def test_public_api_is_explicit() -> None:
    assert sorted(cma.__all__) == sorted(set(cma.__all__))
    for name in cma.__all__:
        assert hasattr(cma, name), name


def test_exceptions_share_one_base() -> None:
    for exc in (
        cma.DataValidationError,
        cma.InstrumentError,
        cma.ParameterError,
        cma.ReportBuildError,
    ):
        assert issubclass(exc, cma.CMAError)
        assert exc.__doc__ and exc.__doc__.startswith("Raised when")


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make report" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert [
        line for line in ci.splitlines() if line and not line.startswith(("#", "set ", "cd "))
    ] == ["exec make test"]
