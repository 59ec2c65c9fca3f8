"""Benchmark of the report build against its floor (run on demand, prints figures).

    .venv/bin/python benchmarks/bench_build.py [--jobs N]

Floor: one papermill run of a one-cell notebook that imports pandas, scipy,
statsmodels and seaborn, plus one HTML conversion (the least any notebook report can
cost). Full build: ``cma_research.pipeline.build`` on the bundled data into a temporary folder.
Target on a 2-core machine: full build <= 2.5x the floor (stretch: 1.5x).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import papermill as pm
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parents[1]


def floor(tmp: Path) -> float:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells.append(
        nbformat.v4.new_code_cell("import pandas, scipy.stats, statsmodels.api, seaborn")
    )
    src = tmp / "floor.ipynb"
    nbformat.write(nb, src)
    start = time.perf_counter()
    pm.execute_notebook(
        str(src), str(tmp / "floor.out.ipynb"), progress_bar=False, kernel_name="python3"
    )
    HTMLExporter(template_name="lab").from_filename(str(tmp / "floor.out.ipynb"))
    return time.perf_counter() - start


def full(tmp: Path, jobs: int | None) -> float:
    from cma_research.pipeline.build import build

    start = time.perf_counter()
    result = build(
        output_dir=tmp / "reports",
        notebooks_dir=ROOT / "notebooks",
        jobs=jobs,
        progress=lambda line: None,
    )
    elapsed = time.perf_counter() - start
    if not result.ok:
        print(result.summary())
        raise SystemExit(1)
    for run in result.runs:
        print(f"    {run.name:<22} {run.seconds:6.1f} s")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        f = floor(tmp)
        print(f"floor (1 papermill run + 1 HTML conversion): {f:6.1f} s")
        print("full build on the bundled data:")
        b = full(tmp, args.jobs)
        print(f"full build:                                  {b:6.1f} s")
        print(f"ratio full / floor: {b / f:.2f}x (target <= 2.5x, stretch 1.5x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
