"""Packaging promises: environment.yml and pyproject.toml list the same dependencies."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

import cma_research as cma
from tests.fast import FAST

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


# -- installed, not cloned (issue 26) ----------------------------------------------------


def test_the_package_list_names_every_package_folder() -> None:
    # pyproject lists the packages (find cannot add the notebooks mapped from notebooks/)
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    src = ROOT / "src"
    folders = {
        ".".join(p.relative_to(src).parts)
        for p in src.joinpath("cma_research").rglob("*")
        if p.is_dir() and p.name != "__pycache__" and any(p.iterdir())
    }
    mapped = {"cma_research.notebooks": "notebooks", "cma_research.manuscript": "manuscript"}
    assert set(tool["packages"]) == folders | {"cma_research"} | set(mapped)
    assert tool["package-dir"] == {"": "src", **mapped}


def _run(args: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    # the dependencies' data files (nbconvert's templates) live in this environment; an
    # installation by pip puts them into its own environment
    env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


#: The xdist group of the tests that share the installed wheel (built once, on one worker).
INSTALLED_GROUP = "installed_wheel"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built once from a copy of the project, installed into a fresh venv.

    The venv has no pip and no dependencies of its own: this environment's
    site-packages is added behind it (a ``.pth`` line) for pandas, scipy and the rest,
    while ``cma_research`` comes from the wheel (this environment's editable install is
    a finder that a plain path line does not activate). Returns the venv's ``bin``.
    """
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"
    top = {".venv", ".git", "reports", ".cma-cache", "build", "dist"}

    def ignore(folder: str, names: list[str]) -> set[str]:
        skip = {n for n in names if n == "__pycache__" or n.endswith(".egg-info")}
        return skip | (top & set(names) if Path(folder) == ROOT else set())

    shutil.copytree(ROOT, source, ignore=ignore)
    pip = [sys.executable, "-m", "pip"]
    made = _run([*pip, "wheel", "--no-deps", "-q", "-w", str(base / "dist"), str(source)], base)
    assert made.returncode == 0, made.stderr[-2000:]
    (wheel,) = (base / "dist").glob("cma_research-*.whl")
    venv = base / "venv"
    assert _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], base).returncode == 0
    (site,) = (venv / "lib").glob("python3*/site-packages")
    deps = next(p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir())
    (site / "zz_dependencies.pth").write_text(deps + "\n", encoding="utf-8")
    done = _run(
        [
            *pip,
            "--python",
            str(venv / "bin" / "python"),
            "install",
            "--no-deps",
            "--no-index",
            "-q",
            str(wheel),
        ],
        base,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return venv / "bin"


# the small parameters of the build tests; FAST names n_sims and omega_boot, which 00 and
# 08 do not declare: with --only they are left out (the same file serves the full build)
FAST_YAML = yaml.safe_dump(FAST)


@pytest.mark.integration
@pytest.mark.xdist_group(INSTALLED_GROUP)
def test_installed_init_then_build_the_bundled_example(installed: Path, tmp_path: Path) -> None:
    where = _run(
        [str(installed / "python"), "-c", "import cma_research; print(cma_research.__file__)"],
        tmp_path,
    )
    assert where.stdout.strip().startswith(str(installed.parent)), where.stdout  # not the clone
    # the notebooks' typical seconds (a first build's order) ship beside them
    order = "from cma_research.pipeline.build import plan, parameters as p;" + (
        "print(sorted(plan.typical_seconds(p.packaged_notebooks())))"
    )
    shipped = _run([str(installed / "python"), "-c", order], tmp_path)
    names = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert shipped.stdout.strip() == str(names), shipped.stdout + shipped.stderr
    folder = tmp_path / "example"
    folder.mkdir()
    init = _run([str(installed / "cma-research"), "init", "--example"], folder)
    assert init.returncode == 0, init.stderr
    # the wheel ships the bundled paper (cma_research.manuscript): the example has it
    paper = (folder / "manuscript" / "paper.md").read_bytes()
    assert paper == (ROOT / "manuscript" / "paper.md").read_bytes()
    (tmp_path / "fast.yaml").write_text(FAST_YAML, encoding="utf-8")
    only = ["--only", "08_claims", "--params", str(tmp_path / "fast.yaml")]
    built = _run([str(installed / "cma-research"), "build", *only], folder)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    out = folder / "reports"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["notebooks_from"]["source"] == "package"
    assert manifest["notebooks_from"]["folder"] == "cma_research/notebooks"
    assert manifest["package"]["version"] == cma.__version__
    assert (out / "tables" / "08_claims_audit.csv").is_file()  # the study gives its claims
    # reported in review: papermill's input_path held the absolute path of the installed
    # notebook (site-packages, with the user's home) in every executed notebook
    executed = (out / "notebooks" / "08_claims.ipynb").read_text(encoding="utf-8")
    for local in (tmp_path, installed.parent, ROOT):  # the study, the installation, a clone
        assert str(local) not in executed, local
    assert json.loads(executed)["metadata"]["papermill"]["input_path"] == (
        "cma_research/notebooks/08_claims.ipynb"
    )
    assert json.loads((out / "study_summary.json").read_text())["businesses"] == 16
    # python -m cma_research and the console script behave the same
    for args in (["--version"], ["validate"], ["validate", "missing.csv"]):
        script = _run([str(installed / "cma-research"), *args], folder)
        module = _run([str(installed / "python"), "-m", "cma_research", *args], folder)
        assert (script.returncode, script.stdout, script.stderr) == (
            module.returncode,
            module.stdout,
            module.stderr,
        ), args


@pytest.mark.integration
@pytest.mark.xdist_group(INSTALLED_GROUP)
def test_installed_init_then_build_a_generated_workbook(installed: Path, tmp_path: Path) -> None:
    from tests.studies import programme_workbook

    book = programme_workbook(tmp_path)
    folder = tmp_path / "cohort"
    folder.mkdir()
    init = _run([str(installed / "cma-research"), "init", str(book)], folder)
    assert init.returncode == 0, init.stderr
    assert "assumed: rounds by calendar year" in init.stdout
    (tmp_path / "fast.yaml").write_text(FAST_YAML, encoding="utf-8")
    only = ["--only", "00_findings", "08_claims", "--params", str(tmp_path / "fast.yaml")]
    built = _run([str(installed / "cma-research"), "build", *only, "--jobs", "2"], folder)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    out = folder / "reports"
    assert not list(out.glob("*/00_recruitment_funnel*"))  # nothing of the 2007 paper
    assert not list(out.glob("tables/08_claims_*"))
    page = (out / "html" / "08_claims.nocode.html").read_text(encoding="utf-8")
    assert "No claims file was given" in page
    assert f"Made with cma_research {cma.__version__}" in page
    summary = json.loads((out / "study_summary.json").read_text())
    assert summary["waves"] == ["2008", "2009"] and summary["businesses"] == 40


def test_xdist_keeps_a_group_on_one_worker(tmp_path: Path) -> None:
    """``make test`` relies on ``--dist loadgroup`` to build the bundled study once:
    tests marked with one ``xdist_group`` (as tests/pipeline/conftest.py marks every
    test of the session builds) must run on one worker (pytest-xdist#1386 broke this
    with pytest 9.2)."""
    for name in ("a", "b"):
        (tmp_path / f"test_{name}.py").write_text(
            "import pytest\n"
            "@pytest.mark.xdist_group('one')\n"
            "@pytest.mark.parametrize('i', range(4))\n"
            "def test_w(i):\n"
            "    pass\n",
            encoding="utf-8",
        )
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    # pytest and xdist only: the other installed plugins (hypothesis, anyio, ...) would
    # be imported by all three processes, about 2 CPU-seconds
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "xdist.plugin", "-p", "no:cacheprovider",
         "-n", "2", "--dist", "loadgroup", "-v"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:]
    ran = re.findall(r"\[(gw\d+)\] (?:\[ *\d+%\] )?PASSED test_\w\.py::test_w", done.stdout)
    assert len(ran) == 8 and len(set(ran)) == 1, done.stdout[-2000:]
