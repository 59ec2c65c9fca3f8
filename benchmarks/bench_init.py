"""What ``cma-research init`` costs on a national programme's workbook.

A SYNTHETIC workbook (seed 2022) of 5,000 businesses audited in three yearly rounds
(about 13,500 returns, each on its own audit date, as Excel date cells), with a notes
sheet, two title rows, stages named in words, level words, ``n/a`` and ``-``, and a
turnover sheet, is written once; then, each in a fresh interpreter:

- ``cma-research init`` end to end (read every sheet, inspect, write the study file,
  load the returns with it to check it): wall time and peak memory (max RSS);
- ``cma-research validate --study`` on the study file written (a plain load, the floor
  the inspection adds to);

and, in this process, :func:`cma_research.inspect_returns` alone, with its peak Python
allocation (``tracemalloc``). Figures are printed, not asserted.

Run: ``.venv/bin/python benchmarks/bench_init.py``
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
N_BUSINESSES = 5_000
YEARS = (2019, 2020, 2021)
sys.path.insert(0, str(ROOT))  # the test suite's generators: one spelling of the headers
from tests.studies import STAGE_HEADERS as STAGES  # noqa: E402
from tests.studies import WORDS  # noqa: E402


def write_workbook(path: Path, seed: int = 2022) -> int:
    """The SYNTHETIC programme workbook; returns its number of returns."""
    from openpyxl import Workbook

    rng = np.random.default_rng(seed)
    wb = Workbook(write_only=True)
    notes = wb.create_sheet("Notes")
    notes.append(["SYNTHETIC benchmark workbook (benchmarks/bench_init.py); no real businesses"])
    ws = wb.create_sheet("Audits")
    ws.append(["National programme returns (SYNTHETIC)"])
    ws.append(["Three rounds, 2019-2021"])
    ws.append(["Business ref", "Audit date", "Employees", "Sector", *STAGES])
    base = rng.integers(0, 4, size=N_BUSINESSES)
    n = 0
    for k, year in enumerate(YEARS):
        present = rng.random(N_BUSINESSES) < (1.0, 0.9, 0.8)[k]
        days = rng.integers(0, 300, size=N_BUSINESSES)
        for i in np.flatnonzero(present):
            levels = np.clip(base[i] + k + rng.integers(-1, 2, size=10), 0, 5)
            cells: list[object] = []
            for v in levels:
                draw = rng.random()
                if draw < 0.05:
                    cells.append("n/a")
                elif draw < 0.08:
                    cells.append("-")
                elif draw < 0.15 and int(v) in WORDS:
                    cells.append(WORDS[int(v)])
                else:
                    cells.append(int(v))
            when = dt.datetime(year, 1, 15) + dt.timedelta(days=int(days[i]))
            ws.append([f"NP-{i + 1:05d}", when, 5 + int(i % 200), "Retail", *cells])
            n += 1
    turnover = wb.create_sheet("Turnover")
    turnover.append(["Business ref", "Turnover 2020", "Turnover 2021"])
    for i in range(N_BUSINESSES):
        t = float(rng.uniform(50, 5000))
        turnover.append([f"NP-{i + 1:05d}", round(t, 1), round(t * rng.normal(1.05, 0.1), 1)])
    wb.save(path)
    return n


# runs the command line in a fresh interpreter and reports that process's own peak memory
_WRAPPER = (
    "import resource, sys\n"
    "from cma_research.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "print('MAXRSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def _timed(args: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MiB) of ``cma-research ARGS``, fresh process."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *args], cwd=cwd, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"cma-research {' '.join(args)} failed:\n{proc.stderr}")
    rss_kib = int(proc.stderr.rsplit("MAXRSS", 1)[1].split()[0])
    return seconds, rss_kib / 1024


def main() -> None:
    from cma_research import inspect_returns

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        book = folder / "national_SYNTHETIC.xlsx"
        start = time.perf_counter()
        n_returns = write_workbook(book)
        written = time.perf_counter() - start
        size = book.stat().st_size / 2**20
        print(f"workbook: {N_BUSINESSES:,} businesses, {len(YEARS)} rounds, {n_returns:,} returns,")
        print(f"          {size:.1f} MiB, written in {written:.1f} s (SYNTHETIC, seed 2022)")

        tracemalloc.start()
        start = time.perf_counter()
        proposal = inspect_returns(book)
        inspect_s = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"inspect_returns (in process)        {inspect_s:7.2f} s   peak Python memory "
            f"{peak / 2**20:7.1f} MiB"
        )
        print(
            f"  proposed: sheet {proposal.sheet!r}, header row {proposal.header_row}, "
            f"rounds {proposal.rounds.text() if proposal.rounds else None}"
        )

        init_s, init_mb = _timed(["init", str(book)], folder)
        print(f"cma-research init (fresh process)   {init_s:7.2f} s   max RSS {init_mb:7.1f} MiB")
        check_s, check_mb = _timed(["validate", "--study", "study.yaml"], folder)
        print(f"cma-research validate --study       {check_s:7.2f} s   max RSS {check_mb:7.1f} MiB")
        print(f"init / validate                     {init_s / check_s:7.2f}")


if __name__ == "__main__":
    main()
