"""Benchmark of the report build against its floor (run on demand, prints figures).

    .venv/bin/python benchmarks/bench_build.py [--jobs N]

Floor: one papermill run of a one-cell notebook that imports the stack (pandas, scipy,
statsmodels, matplotlib, cma_research), plus one HTML conversion: the least any
notebook report can cost. Then, in the same run, on the bundled data in a temporary
project cache:

- a cold build (empty cache): every notebook runs;
- a no-op rebuild (nothing changed): every notebook is restored from the cache;
- a rebuild after changing one parameter that only some notebooks declare
  (``target_level``);
- where a cold build's time goes: the warm kernels' preload process (imports, once per
  build, while parameters are validated), one kernel's start and stop (warm and fresh),
  per notebook the cells, kernel and papermill overhead, HTML conversion and writing,
  and figure saving per format (one figure, after a first one has loaded the fonts).

Wall times on a shared 2-core machine vary by about 20 % from run to run; compare
ratios from the same run.

Targets (issue 12), as ratios to the floor on a 2-core machine: cold <= 3x (stretch 2x),
no-op <= 0.25x, one changed parameter <= 1.5x.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import papermill as pm
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parents[1]


def floor(tmp: Path) -> tuple[float, float]:
    """(papermill run of an import-only notebook, its HTML conversion) in seconds."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells.append(
        nbformat.v4.new_code_cell(
            "import pandas, scipy.stats, statsmodels.api, matplotlib.pyplot, cma_research"
        )
    )
    src = tmp / "floor.ipynb"
    nbformat.write(nb, src)
    start = time.perf_counter()
    pm.execute_notebook(
        str(src), str(tmp / "floor.out.ipynb"), progress_bar=False, kernel_name="python3"
    )
    run = time.perf_counter() - start
    start = time.perf_counter()
    HTMLExporter(template_name="lab").from_filename(str(tmp / "floor.out.ipynb"))
    return run, time.perf_counter() - start


def preload_seconds() -> float:
    """Seconds until a warm kernels' preload process is ready."""
    from cma_research.pipeline.build import warm

    start = time.perf_counter()
    preloader = warm.Preloader(ROOT)
    try:
        preloader.wait_ready()
        return time.perf_counter() - start
    finally:
        preloader.close()


def kernel_start_stop(fresh: bool) -> float:
    """Seconds to start one build kernel, wait until it answers, and shut it down."""
    import asyncio

    from cma_research.pipeline.build import execute, warm

    async def once() -> float:
        km = execute.BuildKernelManager()
        start = time.perf_counter()
        await km.start_kernel(cwd=str(ROOT))
        kc = km.client()
        kc.start_channels()
        await kc.wait_for_ready(timeout=60)
        kc.stop_channels()
        await km.shutdown_kernel()
        return time.perf_counter() - start

    previous = os.environ.get(warm.WARM_ENV)
    os.environ[warm.WARM_ENV] = "0" if fresh else "1"
    try:
        if not fresh:
            asyncio.run(once())  # the first one waits for the preload process
        return asyncio.run(once())
    finally:
        warm.shutdown()
        if previous is None:
            os.environ.pop(warm.WARM_ENV)
        else:
            os.environ[warm.WARM_ENV] = previous


def timed_build(tmp: Path, jobs: int | None, **kwargs: object) -> tuple[float, object]:
    from cma_research.pipeline.build import build

    start = time.perf_counter()
    result = build(
        output_dir=tmp / "reports",
        notebooks_dir=ROOT / "notebooks",
        jobs=jobs,
        cache_dir=tmp / "cache",
        progress=lambda line: None,
        **kwargs,  # type: ignore[arg-type]
    )
    elapsed = time.perf_counter() - start
    if not result.ok:
        print(result.summary())
        raise SystemExit(1)
    return elapsed, result


def phases(result: object) -> None:
    """Print where each notebook's seconds went."""
    runs = [r for r in result.runs if not r.reused]  # type: ignore[attr-defined]
    for r in runs:
        ph = r.phases
        print(
            f"    {r.name:<22} {r.seconds:5.1f} s = {ph['cells']:4.1f} + "
            f"{ph['kernel_and_papermill']:4.1f} + {ph['html_and_writing']:4.1f}"
            f"  ({r.kernel_start} kernel)"
        )
    sums = {k: sum(r.phases[k] for r in runs) for k in runs[0].phases} if runs else {}
    print("    sum: " + ", ".join(f"{k} {v:.1f} s" for k, v in sums.items()))


def figure_saving() -> dict[str, float]:
    """Seconds to save one typical figure in each format."""
    import matplotlib

    matplotlib.use("Agg")
    import cma_research as cma
    from cma_research import plotting as P
    from cma_research.reporting.files import save_figure

    cohort = cma.datasets.customer_wise_2007()
    out = {}
    with tempfile.TemporaryDirectory() as d, P.cma_style():
        ax = P.plot_level_distribution(cma.level_distribution(cohort))
        save_figure(ax.figure, Path(d) / "first")  # loads fonts and backends
        matplotlib.pyplot.close(ax.figure)
        for fmt in ("pdf", "svg", "png"):
            ax = P.plot_level_distribution(cma.level_distribution(cohort))
            start = time.perf_counter()
            save_figure(ax.figure, Path(d) / "f", formats=[fmt])
            out[fmt] = time.perf_counter() - start
            matplotlib.pyplot.close(ax.figure)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        run, html = floor(tmp)
        f = run + html
        print(f"floor: papermill run {run:5.1f} s + HTML conversion {html:4.1f} s = {f:5.1f} s")
        print(f"warm kernels' preload process ready after {preload_seconds():4.1f} s")
        print(
            f"one kernel start + stop: warm {kernel_start_stop(False):4.2f} s, "
            f"fresh {kernel_start_stop(True):4.2f} s"
        )
        cold, result = timed_build(tmp, args.jobs)
        print("cold build, per notebook: total = cells + kernel and papermill + HTML and writing")
        phases(result)
        noop, _ = timed_build(tmp, args.jobs)
        one, changed = timed_build(tmp, args.jobs, params={"target_level": 3})
        print("one changed parameter, per notebook re-run:")
        phases(changed)
        reran = [r.name for r in changed.runs if not r.reused]  # type: ignore[attr-defined]
        print(f"cold build      {cold:6.1f} s  = {cold / f:5.2f}x floor (target <= 3x)")
        print(f"no-op rebuild   {noop:6.1f} s  = {noop / f:5.2f}x floor (target <= 0.25x)")
        print(
            f"one parameter   {one:6.1f} s  = {one / f:5.2f}x floor (target <= 1.5x; "
            f"re-ran {', '.join(reran)})"
        )
    saving = figure_saving()
    print("saving one figure: " + ", ".join(f"{k} {v:.2f} s" for k, v in saving.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
