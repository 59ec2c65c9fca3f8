"""The build refuses before any kernel starts, takes turns, and cleans up after a kill.

Classes from the hardening issue: parameter checks that used to wait for a kernel
(ranges, dependencies, levels from the instrument), two builds on one folder, a build
killed mid-way, symbolic links out of the output folder, hostile parameters files.
"""

from __future__ import annotations

import fcntl
import json
from pathlib import Path
from typing import Any

import nbformat
import pytest

import cma_research as cma
from cma_research.cli import main
from cma_research.pipeline.build import build
from tests.paths import ROOT

NOTEBOOKS = ROOT / "notebooks"


@pytest.fixture
def no_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    import papermill as pm

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a kernel was started")

    monkeypatch.setattr(pm, "execute_notebook", refuse)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"m_imputations": -5}, "m_imputations=-5 must be a whole number from 2 to 1000"),
        ({"min_stages": 99}, "min_stages=99 must be a whole number from 1 to 10"),
        ({"missing_strategy": "min_stages"}, "missing_strategy='min_stages' needs min_stages"),
        ({"target_level": 9}, "target_level=9 is not a level of customer_wise_2007"),
        (
            {"instrument": "managing_customers_framework", "target_level": 7},
            "target_level=7 is not a level of managing_customers_framework; expected one of "
            "0 (Proto)",
        ),
        ({"n_boot": -1}, "n_boot=-1 must be a whole number from 0 to 1000000"),
        ({"n_boot": 2_000_000_000}, "n_boot=2000000000 must be a whole number from 0 to"),
        ({"seed": -1}, "seed=-1 must be a whole number from 0 to 4294967295"),
        ({"wave": "Follow-up"}, "parameter 'wave': 'Follow-up' is not a wave of"),
        ({"header_row": 0}, "header_row=0 must be a whole number >= 1"),
        ({"aliases": "Headcount"}, "'Headcount' is not 'Header=role'"),
    ],
)
def test_parameter_problems_are_refused_before_any_kernel(
    tmp_path: Path, no_kernel: None, params: dict[str, Any], message: str
) -> None:
    with pytest.raises(cma.ParameterError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build(params=params, output_dir=tmp_path / "out", notebooks_dir=NOTEBOOKS)
    assert not (tmp_path / "out").exists()


def test_a_returns_file_that_does_not_load_fails_before_kernels(
    tmp_path: Path, no_kernel: None
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("Staff No,Type,1,2,3,4,5,6,7,8,9,10\n5,Shop,1,2,3,4,5,0,1,2,3,12\n")
    with pytest.raises(cma.ParameterError, match=r"returns_path.*bad.csv, row 2, column '10'"):
        build(params={"returns_path": str(bad)}, output_dir=tmp_path / "o", notebooks_dir=NOTEBOOKS)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: &a [1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
         "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
         "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n", "expands to"),
        ("1: 2\n", "parameter names must be words"),
        ("null: 2\n", "parameter names must be words"),
        ("[1, 2]\n", "expected a mapping"),
    ],
)  # fmt: skip
def test_hostile_parameters_files_get_one_line(
    tmp_path: Path, no_kernel: None, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    params = tmp_path / "p.yaml"
    params.write_text(text)
    code = main(["build", "--params", str(params), "--output-dir", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and message in err[0], err


def test_a_parameters_file_that_is_not_utf8_is_one_line(
    tmp_path: Path, no_kernel: None, capsys: pytest.CaptureFixture[str]
) -> None:
    params = tmp_path / "p.yaml"
    params.write_bytes("seed: 2007 # \u00a3\n".encode("cp1252"))
    assert main(["build", "--params", str(params), "--output-dir", str(tmp_path / "o")]) == 2
    assert "is not UTF-8" in capsys.readouterr().err


def test_a_second_build_on_the_same_folder_refuses(
    tmp_path: Path, no_kernel: None, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reports"
    out.mkdir()
    with open(out / ".build.lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        code = main(["build", "--output-dir", str(out), "--cache-dir", str(tmp_path / "c")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err == [
        "error: another build is writing to reports/ right now; wait for it to finish or "
        "choose another --output-dir"
    ]


def _tiny(nbs: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    cell = nbformat.v4.new_code_cell('output_dir: str = "reports"  # help: outputs')
    cell.metadata["tags"] = ["parameters"]
    body = (
        "from pathlib import Path\n(Path(output_dir) / 'tables').mkdir(parents=True, exist_ok=True)"
        "\n(Path(output_dir) / 'tables' / '01_t.csv').write_text('a\\n1\\n')"
    )
    nb.cells = [cell, nbformat.v4.new_code_cell(body)]
    for i, c in enumerate(nb.cells):
        c["id"] = f"c{i}"
    nbformat.write(nb, nbs / "01_t.ipynb")


@pytest.mark.integration
@pytest.mark.filterwarnings("ignore:unclosed:ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_killed_build_is_detected_and_cleaned(tmp_path: Path) -> None:
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    _tiny(nbs)
    out = tmp_path / "reports"
    first = build(notebooks_dir=nbs, output_dir=out, cache_dir=tmp_path / "c", progress=print)
    assert first.ok
    # what SIGKILL mid-build leaves: the marker, a running notebook, a half-written figure
    (out / ".build-in-progress").write_text("12345")
    (out / "notebooks" / ".01_t.abc.running.ipynb").write_text("{")
    (out / "figures" / "01_half.png").write_bytes(b"\x89PNG")
    lines: list[str] = []
    again = build(
        notebooks_dir=nbs, output_dir=out, cache_dir=tmp_path / "c", progress=lines.append
    )
    assert again.ok
    assert any("was interrupted" in line for line in lines), lines
    assert not (out / "figures" / "01_half.png").exists()
    assert not list(out.rglob(".*running*")) and not (out / ".build-in-progress").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    on_disk = {
        p.relative_to(out).as_posix()
        for p in out.rglob("*")
        if p.is_file() and not p.name.startswith(".") and p.name != "manifest.json"
    }
    assert set(manifest["outputs"]) == on_disk


def test_a_symlinked_output_subfolder_is_refused(tmp_path: Path, no_kernel: None) -> None:
    out = tmp_path / "reports"
    out.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (out / "notebooks").symlink_to(elsewhere)
    with pytest.raises(cma.ParameterError, match="reports/notebooks is a symbolic link"):
        build(output_dir=out, notebooks_dir=NOTEBOOKS, cache_dir=tmp_path / "c")
    assert list(elsewhere.iterdir()) == []


def test_an_output_folder_inside_data_raw_is_refused(tmp_path: Path, no_kernel: None) -> None:
    with pytest.raises(cma.ParameterError, match="data/raw/ holds the raw inputs"):
        build(output_dir=tmp_path / "data" / "raw" / "x", notebooks_dir=NOTEBOOKS)


def test_every_declared_parameter_is_used_by_its_notebook() -> None:
    from cma_research.pipeline.build import notebook_parameters

    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        code = "\n".join(
            c.source
            for c in nb.cells
            if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])
        )
        unused = [name for name in notebook_parameters(path) if name not in code]
        assert not unused, f"{path.name} declares but never uses {unused}"
