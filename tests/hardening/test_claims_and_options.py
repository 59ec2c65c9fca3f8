"""Classes 5 and 6 of issue 21: claims files and command options cost bounded work, and
what is echoed is bounded and inert.

Claims members: an id that is a nested alias (the 741-byte file), a reading's argument
that is one, a million readings made by aliases, 10,001 readings written out, resampling
counts beyond the parameter table in a reading, numbers YAML reads unlike a person
(``0_3``, ``1:20``, ``010``), and terminal escapes (ESC sequences, a right-to-left
override, C1 controls) in a quote, echoed by ``claims``. Option members: ``--seed -1``,
``--n-boot 2000000000``, negative ``--n-boot`` and ``--n-perm``, ``process --seed -1``
and ``--m 0``, ``--wave`` of 100,000 characters, a cohort of 10,000 waves, ``wave: 1_0``
in a parameters file and ``--wave 1_0`` on a cohort of waves 1 and 10.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import cma_research as cma
from cma_research.cli import main
from cma_research.io.claims import MAX_TOTAL_READINGS
from cma_research.pipeline.build import build
from tests.paths import BUNDLED

READING = (
    '{reading: "r", statistic: share_businesses_below, args: {score: median, level: 1}, '
    'comparison: "> 0.5", strategy: available_case}'
)


def refused(path: Path, *needles: str, seconds: float = 3.0) -> str:
    start = time.perf_counter()
    with pytest.raises(cma.DataValidationError) as info:
        cma.load_claims(path)
    assert time.perf_counter() - start < seconds
    text = str(info.value)
    assert len(text.splitlines()) <= 51 and max(len(ln) for ln in text.splitlines()) < 600
    for needle in needles:
        assert needle in text, text
    return text


def laughs(depth: int = 9) -> str:
    """An alias bomb of ``depth`` levels (10**depth strings), as a YAML flow node."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, depth):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    return "\n".join(lines)


def test_an_id_that_is_a_nested_alias_is_refused(tmp_path: Path) -> None:
    bomb = "\n".join("    " + line for line in laughs().splitlines())
    text = "claims:\n  - quote: q\n    source: {section: s, line: 1}\n    cannot_test: x\n"
    text += f"    bomb:\n{bomb}\n    id: *a8\n"
    path = tmp_path / "c.yaml"
    path.write_text(text)
    assert path.stat().st_size < 1000
    refused(path, "expands to more than")


def test_a_reading_argument_that_is_a_nested_alias_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        laughs()
        + "\nclaims:\n  - id: c\n    quote: q\n    source: {section: s, line: 1}\n"
        + "    readings:\n      - {reading: r, statistic: share_businesses_below, "
        + "args: {score: median, level: *a8}, comparison: '> 0.5', strategy: available_case}\n"
    )
    refused(path, "expands to more than")


def test_a_million_readings_by_aliases_are_refused(tmp_path: Path) -> None:
    readings = "readings: &r [" + ", ".join([READING] * 100) + "]"
    claim = "- &c {id: c, quote: q, source: {section: s, line: 1}, readings: *r}"
    path = tmp_path / "c.yaml"
    path.write_text(f"x: {{{readings}}}\nclaims:\n  {claim}\n" + "  - *c\n" * 9_999)
    assert path.stat().st_size < 800_000
    refused(path)


def test_more_readings_than_the_bound_are_refused(tmp_path: Path) -> None:
    # 201 claims of 50 readings (each an alias of one small reading: within the YAML
    # bound), 10,050 readings in all
    n_claims = MAX_TOTAL_READINGS // 50 + 1
    claims = "".join(
        f"  - {{id: c{i}, quote: q, source: {{section: s, line: 1}}, readings: "
        f"[{', '.join(['*r'] * 50)}]}}\n"
        for i in range(n_claims)
    )
    path = tmp_path / "c.yaml"
    path.write_text(f"x: &r {READING}\nclaims:\n" + claims)
    refused(path, f"{MAX_TOTAL_READINGS + 50:,} readings in all")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ("{n_boot: 2000000000}", "n_boot=2000000000 must be a whole number from 0 to"),
        ("{n_perm: 10000000000}", "n_perm=10000000000"),
        ("{seed: 99999999999}", "seed=99999999999"),
    ],
)
def test_resampling_counts_in_a_reading_follow_the_parameter_table(
    tmp_path: Path, args: str, needle: str
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "claims:\n  - id: c\n    quote: q\n    source: {section: s, line: 1}\n    readings:\n"
        f"      - {{reading: r, statistic: correlation, args: {args}, "
        "comparison: 'direction positive', strategy: available_case}\n"
    )
    refused(path, needle)


@pytest.mark.parametrize(
    ("value", "read_as"), [("0_3", "3"), ("1:20", "80"), ("010", "8"), ("0x3", "3")]
)
def test_numbers_yaml_reads_unlike_a_person_are_refused(
    tmp_path: Path, value: str, read_as: str
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "claims:\n  - id: c\n    quote: q\n    source: {section: s, line: 1}\n    readings:\n"
        f"      - {{reading: r, statistic: count_at_levels, args: {{levels: [{value}], "
        "stage: ict}, comparison: '== 2', strategy: available_case}\n"
    )
    refused(path, f"'{value}' would be read as the number {read_as}", "line 6")


@pytest.mark.parametrize(
    "payload", ["\\e[2J\\e[31mSUPPORTED", "\\u202eevil", "\\x9b31m", "a\\rb", "\\a\\b"]
)
def test_terminal_escapes_from_a_claims_file_are_echoed_inert(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], payload: str
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "claims:\n  - id: c\n"
        f'    quote: "Most {payload} fail."\n'
        f'    source: {{section: "Abstract {payload}", line: 1}}\n    readings:\n'
        f'      - {{reading: "most {payload}", statistic: share_businesses_below, '
        "args: {score: median, level: 1}, comparison: '> 0.5', strategy: available_case}\n"
    )
    assert main(["claims", str(BUNDLED), "--claims", str(path)]) == 0
    out = capsys.readouterr().out
    for raw in ("\x1b", "\u202e", "\x9b", "\r", "\x07", "\x08"):
        assert raw not in out
    if "\\r" not in payload:  # (a carriage return is white space, folded into a space)
        assert "Abstract \\" in out  # shown, as escapes


# -- command options -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--seed", "-1"], "seed=-1 must be a whole number from 0 to 4294967295"),
        (["--n-boot", "2000000000"], "n_boot=2000000000 must be a whole number from 0 to"),
        (["--n-boot", "-5"], "n_boot=-5"),
        (["--n-perm", "-1"], "n_perm=-1"),
        (["--n-perm", "99999999999"], "n_perm=99999999999"),
    ],
)
def test_claims_options_follow_the_parameter_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], needle: str
) -> None:
    start = time.perf_counter()
    code = main(["claims", str(BUNDLED), "--claims", str(tmp_path / "none.yaml"), *args])
    assert code == 2 and time.perf_counter() - start < 5
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--strategy", "multiple", "--seed", "-1"], "seed=-1"),
        (["--m", "0"], "m_imputations=0"),
        (["--strategy", "min_stages", "--min-stages", "0"], "min_stages=0"),
    ],
)
def test_process_options_follow_the_parameter_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], needle: str
) -> None:
    out = tmp_path / "processed"
    code = main(["process", str(BUNDLED), "--output-dir", str(out), *args])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and needle in err
    assert not out.exists()


def _waves_file(tmp_path: Path, labels: list[str]) -> Path:
    row = BUNDLED.read_text(encoding="utf-8").splitlines()[3]
    lines = ["business_id,wave," + BUNDLED.read_text(encoding="utf-8").splitlines()[0]]
    lines += [f"B01,{w},{row}" for w in labels]
    path = tmp_path / "waves.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("wave", ["x" * 100_000, "no such wave", "\x1b[2J"])
def test_a_wave_option_is_quoted_short(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], wave: str
) -> None:
    labels = [f"Round {i}" for i in range(1, 10_001)]  # 10,000 waves
    path = _waves_file(tmp_path, labels)
    out = tmp_path / "out"
    code = main(
        [
            "business-report",
            str(path),
            "--business",
            "B01",
            "--wave",
            wave,
            "--output-dir",
            str(out),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "\x1b" not in err
    assert len(err) < 600, len(err)
    assert "10,000 in all" in err
    assert not out.exists()


def test_wave_1_0_is_refused_like_levels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _waves_file(tmp_path, ["1", "10"])
    out = tmp_path / "out"
    for wave in ("1_0", "0_10", "1:0"):
        args = ["--business", "B01", "--wave", wave, "--output-dir", str(out)]
        code = main(["business-report", str(path), *args])
        assert code == 2 and "is not in this cohort" in capsys.readouterr().err
    params = tmp_path / "p.yaml"
    params.write_text(f"returns_path: {path}\nwave: 1_0\n")
    with pytest.raises(cma.ParameterError, match="'1_0' would be read as the number 10"):
        build(params_file=params, output_dir=tmp_path / "r", dry_run=True)
