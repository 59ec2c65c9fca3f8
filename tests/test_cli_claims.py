"""``cma-research claims``: verdicts per reading, the must_hold check, bad claims files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cma_research.cli import main
from tests.paths import BUNDLED, ROOT

CLAIMS = ROOT / "data" / "raw" / "customer_wise_2007_claims.yaml"
FUNNEL = ROOT / "data" / "raw" / "customer_wise_2007_recruitment.csv"
FAST = ["--n-boot", "0", "--n-perm", "2000", "--recruitment", str(FUNNEL)]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], list[str]]:
    status = main(["claims", *args])
    captured = capsys.readouterr()
    return status, captured.out.splitlines(), captured.err.splitlines()


def test_prints_one_line_per_reading_and_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, str(BUNDLED), "--claims", str(CLAIMS), *FAST)
    assert status == 0 and err == []
    # 29 claim lines, 45 reading lines, 6 cannot-be-tested lines, 1 summary
    assert len(out) == 29 + 45 + 6 + 1
    assert out[-1] == (
        "23 testable claims: 5 supported, 1 holds in the sample only, 5 partly supported, "
        "12 not supported; 6 claims cannot be tested"
    )
    i = out.index(
        "abstract_most_below_level_1: not supported (0 of 4 readings supported) [Abstract, line 9]"
    )
    assert out[i + 2] == (
        "  [2] not supported: 12.5% of businesses, 95% CI 1.6–38.3% (2 of 16) | "
        "share_businesses_below(score=mean, level=1) > 0.5; blanks: available_case"
    )
    assert (
        "findings_16_radar_charts: supported (2 of 2 readings supported, must hold) "
        in "\n".join(out)
    )


def test_check_passes_on_the_papers_data_and_fails_on_altered_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(capsys, str(BUNDLED), "--claims", str(CLAIMS), "--check", *FAST)
    assert status == 0 and err == []
    assert out[-1] == f"check passed: every must_hold claim of {CLAIMS} holds in the returns"
    # drop the last row (the Florists): Table 4 then has 15 businesses, the funnel 16
    altered = tmp_path / "returns.csv"
    altered.write_text(
        "".join(BUNDLED.read_text(encoding="utf-8").splitlines(keepends=True)[:-1]),
        encoding="utf-8",
    )
    status, out, err = run(capsys, str(altered), "--claims", str(CLAIMS), "--check", *FAST)
    assert status == 1
    assert err == [
        "check failed: claim 'findings_16_radar_charts' must hold but is partly supported: "
        "not supported: 15 businesses in the returns"
    ]
    # without --check the same audit only reports
    status, _, err = run(capsys, str(altered), "--claims", str(CLAIMS), *FAST)
    assert status == 0 and err == []


def test_bad_claims_file_one_error_line_each_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "claims.yaml"
    bad.write_text(
        """\
claims:
  - id: a
    quote: ""
    source: {section: Abstract, line: 9}
    readings:
      - {reading: r, statistic: share_of_most, comparison: "> 0.5", strategy: available_case}
  - id: a
    quote: q
    source: {section: Abstract, line: 9}
    readings:
      - {reading: r, statistic: count_at_levels, args: {stage: marketing, levels: [1]},
         comparison: "at least one", strategy: available_case}
""",
        encoding="utf-8",
    )
    status, out, err = run(capsys, str(BUNDLED), "--claims", str(bad))
    assert status == 2 and out == []  # nothing printed before the error
    assert [line.split(": ", 2)[2].split(":")[0] for line in err] == [
        "claim 'a', field 'quote'",
        "claim 'a', field 'readings[1].statistic'",
        "claim 'a', field 'id'",
        "claim 'a', field 'readings[1].comparison'",
        "claim 'a', field 'readings[1].args.stage'",
    ]
    assert all(line.startswith(f"error: {bad}: claim 'a', field ") for line in err)


def test_oversized_claims_file_and_no_traceback(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("claims: []\n" + "#" * 1_100_000 + "\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "cma_research", "claims", str(BUNDLED), "--claims", str(big)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.splitlines() == [
        f"error: {big}: claims file is 1,100,012 bytes, larger than the 1,000,000-byte limit; "
        "expected a claims file under 1 MB"
    ]
