"""cma-research business-report: batches, and bad input as one error line, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from cma_research.cli import main
from tests.paths import BUNDLED

KEY = "8f3a5c0e1b7d9264f0a1c3e5d7b98642\n"  # a fixed test key (random hex digits)


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["business-report", str(BUNDLED), *args])
    out, err = capsys.readouterr()
    return code, out, err


def refused(args: list[str], capsys: pytest.CaptureFixture[str], out_dir: Path) -> str:
    code, _, err = run([*args, "--output-dir", str(out_dir)], capsys)
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    assert not out_dir.exists() or not any(out_dir.iterdir())  # nothing half-written
    return lines[0]


def test_all_writes_pages_index_and_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["--all", "--output-dir", str(tmp_path)], capsys)
    assert code == 0
    assert len(list(tmp_path.glob("B*.html"))) == 16
    assert (tmp_path / "index.html").is_file() and (tmp_path / "disclosure.json").is_file()
    assert "16 reports in" in out and "disclosure manifest:" in out


def test_some_businesses_and_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = tmp_path / "secret" / "key.txt"
    key.parent.mkdir()
    key.write_text(KEY, encoding="utf-8")
    out_dir = tmp_path / "out"
    code, _, _ = run(
        [
            "--business", "B04", "B16",
            "--disclosure-k", "3",
            "--target-level", "5",
            "--pseudonymise", str(key),
            "--show-names",
            "--jobs", "2",
            "--output-dir", str(out_dir),
        ],
        capsys,
    )  # fmt: skip
    assert code == 0
    pages = sorted(p.name for p in out_dir.glob("*.html"))
    assert len(pages) == 2 and all(p.startswith("P-") for p in pages)
    assert not (out_dir / "index.html").exists()  # the index belongs to --all
    assert len(list(out_dir.glob("disclosure-*.json"))) == 1
    html = (out_dir / pages[0]).read_text(encoding="utf-8")
    assert "Target: level 5 (Continuous improvement)" in html


def test_unknown_business_lists_nearest_ids(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = refused(["--business", "B4"], capsys, tmp_path / "o")
    assert line.startswith("error: business 'B4' is not in the returns (nearest ids: ")
    assert "B04" in line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--disclosure-k", "0"], "--disclosure-k '0' must be a whole number >= 1"),
        (["--k", "2.5"], "--disclosure-k '2.5' must be a whole number >= 1"),
        (["--k", "five"], "--disclosure-k 'five' must be a whole number >= 1"),
        (["--jobs", "0"], "--jobs '0' must be a whole number >= 1"),
        (["--target-level", "6"], "--target-level '6' is not a level of customer_wise_2007"),
        (["--target-level", "x"], "--target-level 'x' is not a level"),
        (["--target-level", "-1"], "expected a whole number from 0 to 5"),
        (["--wave", "7"], "wave"),
    ],
)
def test_bad_options_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    line = refused(["--all", *args], capsys, tmp_path / "o")
    assert message in line


def test_key_file_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "o"
    line = refused(["--all", "--pseudonymise", str(tmp_path / "nope.txt")], capsys, out_dir)
    assert "key file" in line and "not found" in line
    short = tmp_path / "short.txt"
    short.write_text("abc\n", encoding="utf-8")
    line = refused(["--all", "--pseudonymise", str(short)], capsys, out_dir)
    assert "holds 3 bytes" in line
    line = refused(["--all", "--pseudonymise", str(tmp_path)], capsys, out_dir)
    assert "is a folder" in line
    # a key inside the output folder would be shared with the pages
    out_dir.mkdir()
    inside = out_dir / "key.txt"
    inside.write_text(KEY, encoding="utf-8")
    code, _, err = run(
        ["--all", "--pseudonymise", str(inside), "--output-dir", str(out_dir)], capsys
    )
    assert code == 2 and "inside the output folder" in err
    assert sorted(p.name for p in out_dir.iterdir()) == ["key.txt"]


def test_two_waves_are_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = BUNDLED.read_text(encoding="utf-8").splitlines()
    rows = ["business_id,wave," + lines[0]]
    rows += [f"B{i:02d},{w},{line}" for w in (1, 2) for i, line in enumerate(lines[1:], 1)]
    src = tmp_path / "waves.csv"
    src.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out_dir = tmp_path / "o"
    assert (
        main(["business-report", str(src), "--business", "B04", "--output-dir", str(out_dir)]) == 0
    )
    html = (out_dir / "B04.html").read_text(encoding="utf-8")
    assert "audit wave 2" in html and "Change since wave 1" in html
    capsys.readouterr()
    assert (
        main(
            [
                "business-report",
                str(src),
                "--business",
                "B04",
                "--wave",
                "1",
                "--output-dir",
                str(out_dir),
            ]
        )
        == 0
    )
    assert "Change since" not in (out_dir / "B04.html").read_text(encoding="utf-8")
