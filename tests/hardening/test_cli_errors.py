"""Class 11 of issue 10: every command's error path is one ``error:`` line, exit 2.

Members tried: a closed standard output (``| head``: quiet, exit 141 = 128 + SIGPIPE),
delimiters that are not one character (``;;``, a letter, a quote), an id with a NUL
or of 300 characters in ``business-report --all`` (refused before any page is
written), ``process`` when the manifest path is a folder (nothing left behind), a
mistyped option, a missing file, a folder, a device and a header row of 0.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cma_research.cli import EXIT_BROKEN_PIPE, main
from tests.paths import BUNDLED, ROOT

ROWS = "ID,Staff No,Type,1,2,3,4,5,6,7,8,9,10\nB1,3,Florist,1,2,3,4,5,0,1,2,3,4\n"


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run the command line in this process (as ``cma-research ARGS`` from the project root)."""
    monkeypatch.chdir(ROOT)

    def _run(*args: str) -> Result:
        try:
            status = main(list(args))
        except SystemExit as exc:  # argparse usage errors
            status = int(exc.code or 0)
        out = capsys.readouterr()
        return Result(status, out.out, out.err)

    return _run


def _one_error_line(proc: Result) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def test_closed_stdout_is_quiet() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "cma_research.cli", "instruments"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # like `| head` that has already exited
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=120) == EXIT_BROKEN_PIPE == 141
    assert err == ""


def test_broken_pipe_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    class Closed(io.StringIO):
        def write(self, s: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", Closed())
    assert main(["validate", str(BUNDLED)]) == 141


@pytest.mark.parametrize("sep", [";;", "ab", "x", '"', "\n"])
def test_bad_delimiters(run: Any, sep: str) -> None:
    line = _one_error_line(run("validate", str(BUNDLED), "--sep", sep))
    assert "cannot be a delimiter" in line


@pytest.mark.parametrize(
    "bad_id", ["B\x002", "x" * 300, "B\t2"], ids=["nul", "300_characters", "tab"]
)
def test_business_report_refuses_bad_ids_before_writing(
    run: Any, tmp_path: Path, bad_id: str
) -> None:
    returns = tmp_path / "r.csv"
    rows = ROWS + "".join(f"B{i},3,Florist,1,2,3,4,5,0,1,2,3,4\n" for i in range(3, 6))
    returns.write_text(rows + f'"{bad_id}",3,Florist,1,2,3,4,5,0,1,2,3,4\n', encoding="utf-8")
    out = tmp_path / "pages"
    line = _one_error_line(run("business-report", str(returns), "--all", "--output-dir", str(out)))
    assert "business id" in line and "row 6" in line
    assert len(line) < 400
    assert not out.exists() or list(out.iterdir()) == []


def test_process_with_a_folder_as_manifest_leaves_nothing(run: Any, tmp_path: Path) -> None:
    out = tmp_path / "processed"
    (out / "customer_wise_2007.manifest.json").mkdir(parents=True)
    line = _one_error_line(
        run(
            "process",
            str(BUNDLED),
            "--strategy",
            "all",
            "--min-stages",
            "3",
            "--seed",
            "1",
            "--m",
            "2",
            "--output-dir",
            str(out),
        )
    )
    assert "is a folder" in line
    assert sorted(p.name for p in out.iterdir()) == ["customer_wise_2007.manifest.json"]


@pytest.mark.parametrize(
    "args",
    [
        ["validate", str(BUNDLED), "--bogus"],
        ["validate", "no/such/file.csv"],
        ["validate", "data"],
        ["validate", str(BUNDLED), "--header-row", "0"],
        ["validate", str(BUNDLED), "--header-row", "x"],
        ["process", str(BUNDLED), "--strategy", "nope"],
        ["frobnicate"],
    ]
    + ([["validate", "/dev/zero"]] if os.path.exists("/dev/zero") else []),
    ids=lambda a: "_".join(x.replace(str(BUNDLED), "bundled") for x in a)[:40],  # no local path
)
def test_every_error_is_one_line(run: Any, args: list[str]) -> None:
    _one_error_line(run(*args))


def test_validate_without_a_file_uses_the_study_of_the_folder_or_says_what_to_give(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("validate").returncode == 0  # the project root holds the bundled study.yaml
    monkeypatch.chdir(tmp_path)  # no study file here
    line = _one_error_line(run("validate"))
    assert "study" in line
