"""The command line: summaries, one line per problem, exit status 2, no traceback."""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

import pytest

from cma_research.cli import main
from tests.paths import BUNDLED


def test_validate_bundled(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(BUNDLED)]) == 0
    out = capsys.readouterr().out
    assert "valid customer_wise_2007 returns" in out
    assert "businesses:       16 in 1 wave(s)" in out
    assert "stages assessed:  137 of 160 cells" in out
    assert "missing cells:    23" in out
    assert "complete cases:   12 of 16" in out
    assert "stage_7 4" in out


def test_validate_reports_every_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    text = BUNDLED.read_text(encoding="utf-8")
    text = text.replace("Florists,4,2,", "Florists,4,two,").replace(
        "Training,4,1,", "Training,4,2.5,"
    )
    bad.write_text(text, encoding="utf-8")
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2
    assert all(line.startswith(f"error: {bad}, row ") for line in err)
    assert "row 11, column '2': level is not a whole number (value '2.5')" in err[0]
    assert "row 17, column '2': level is not a number (value 'two')" in err[1]


def test_process_needs_seed_for_multiple(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["process", str(BUNDLED), "--strategy", "multiple", "--output-dir", str(tmp_path)])
    assert code == 2
    assert "needs --seed" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_process_all(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "process",
            str(BUNDLED),
            "--strategy",
            "all",
            "--min-stages",
            "6",
            "--seed",
            "1",
            "--m",
            "2",
            "--output-dir",
            str(tmp_path),
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "complete_case: kept 12 of 16 returns" in out
    assert "min_stages(min_stages=6): kept 13 of 16 returns" in out
    assert len(list(tmp_path.glob("*.parquet"))) == 7  # every strategy, blank_as_zero too


def test_alias_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    renamed = tmp_path / "r.csv"
    renamed.write_text(
        BUNDLED.read_text(encoding="utf-8").replace("Staff No", "Workforce"), encoding="utf-8"
    )
    assert main(["validate", str(renamed), "--alias", "Workforce=staff"]) == 0
    assert main(["validate", str(renamed), "--alias", "Workforce"]) == 2
    assert "must look like HEADER=TARGET" in capsys.readouterr().err


def test_installed_command_has_no_traceback(tmp_path: Path) -> None:
    # the one subprocess smoke test of the console script (every other CLI test calls
    # main() in this process): the installed entry point runs, and an error is one line
    missing = tmp_path / "missing.csv"
    script = Path(sys.executable).with_name("cma-research")
    proc = subprocess.run(
        [str(script), "validate", str(missing)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip() == (
        f"error: {missing}: file not found; expected an existing CSV, TSV or XLSX file"
    )


def test_python_dash_m_runs_the_command_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # ``python -m cma_research instruments`` and ``python -m cma_research.cli instruments``
    for module in ("cma_research", "cma_research.cli"):
        monkeypatch.setattr(sys, "argv", [module, "instruments"])
        with pytest.raises(SystemExit) as exited:
            runpy.run_module(module, run_name="__main__", alter_sys=True)
        assert exited.value.code == 0
        assert "customer_wise_2007:" in capsys.readouterr().out


def test_instruments_listing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["instruments"]) == 0
    out = capsys.readouterr().out
    assert "customer_wise_2007:" in out and "managing_customers_framework:" in out
