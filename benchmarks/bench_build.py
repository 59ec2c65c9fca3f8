"""Benchmark of the report build against its compute floor (run on demand, prints figures).

    .venv/bin/python benchmarks/bench_build.py [--repeat 3] [--jobs N] [--details]

The floor is the notebooks' own code: every code cell of every notebook executed in
**one plain Python process**, sequentially, with the parameters the build injects,
imports paid once (no kernels, no papermill, no HTML, no build caches; rich displays
are formatted as a kernel would, figures saved as the notebooks save them). It is
measured in a fresh interpreter (``--floor``), so both sides pay the interpreter's
start. Then, on the bundled data in a temporary folder with its own cache, each as the
``cma-research build`` command a user runs:

- a cold build (empty cache): every notebook runs;
- a no-op rebuild (nothing changed): every notebook is restored from the cache;
- a rebuild after changing one parameter that only some notebooks declare
  (``target_level``), against the floor of just those notebooks with that value.

Each figure is printed as wall seconds, CPU seconds (user + system of the process and
all its children: kernels, preload process) and the ratio of wall times to the floor
measured in the same repetition; the floor and the build alternate, so a change in the
machine's load affects both alike. With ``--repeat`` the ratios' spread is printed. The
floor is also measured with the build's result cache on (``--floor-cached``: what the
notebooks' code costs when an analysis computed once is reused, as the build's kernels
share it): information, not the target.

``--details`` adds where a cold build's seconds go: per notebook the cells, kernel and
papermill overhead, HTML conversion and writing (from the manifest), and figure saving
per format.

Targets (issue 22), on a 2-core machine: cold build <= 1.0x the floor (stretch 0.75x),
one changed parameter <= 1.0x those notebooks' floor, no-op <= 0.5 s.

Wall times on a machine shared with other work vary with its load; compare ratios from
the same repetition, and CPU seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


def _cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the process tree, standard output) of one command."""
    cpu0, start = _cpu_children(), time.perf_counter()
    done = subprocess.run(
        cmd, cwd=ROOT, capture_output=True, text=True, env={**os.environ, **(env or {})}
    )
    wall, cpu = time.perf_counter() - start, _cpu_children() - cpu0
    if done.returncode != 0:
        print(done.stdout[-2000:], done.stderr[-2000:], sep="\n")
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return wall, cpu, done.stdout


# ---- the floor, in its own interpreter ------------------------------------------------------


def floor_main(args: argparse.Namespace) -> int:
    """Run every selected notebook's code cells in this process; print a JSON summary."""
    start, cpu0 = time.perf_counter(), time.process_time()
    os.environ.setdefault("MPLBACKEND", "Agg")
    import IPython.display
    import matplotlib.pyplot as plt
    from IPython.core.formatters import DisplayFormatter

    import cma_research.plotting
    import cma_research.reporting.notebook  # noqa: F401
    from cma_research.pipeline.build import plan as plan_mod
    from cma_research.pipeline.build import resolve_sources

    formatter = DisplayFormatter()

    def display(*objs: Any, **kwargs: Any) -> None:
        for obj in objs:
            formatter.format(obj)  # the rich representations a kernel would send

    IPython.display.display = display  # md() shows Markdown through it
    imports = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        params = json.loads(args.params or "{}")
        # the bundled study's study.yaml gives the returns, as it does to the build
        sources = resolve_sources(params=params, notebooks_dir=NOTEBOOKS)
        request = plan_mod.validate_request(
            sources.notebooks_dir,
            params=params,
            only=args.only or None,
            output_dir=Path(tmp) / "reports",
            root=sources.root,
            study=sources.study,
            notebooks_from=sources.notebooks_from,
        )
        cells: dict[str, float] = {}
        for path in request.notebooks:
            nb = json.loads(path.read_text(encoding="utf-8"))  # version 4: sources as lists
            namespace: dict[str, Any] = {"display": display, "__name__": "__main__"}
            namespace.update(request.params_for(path.stem))
            t0 = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):
                for cell in nb["cells"]:
                    tags = cell.get("metadata", {}).get("tags", [])
                    if cell["cell_type"] == "code" and "parameters" not in tags:
                        source = "".join(cell["source"])
                        exec(compile(source, path.stem, "exec"), namespace)
            cells[path.stem] = time.perf_counter() - t0
            plt.close("all")
    summary = {
        "imports": imports,
        "cells": cells,
        "wall": time.perf_counter() - start,
        "cpu": time.process_time() - cpu0,
    }
    print(json.dumps(summary))
    return 0


def floor(
    only: list[str] | None = None, params: dict[str, Any] | None = None, cached: bool = False
) -> tuple[float, float, dict[str, Any]]:
    """(wall, CPU, summary) of the floor in a fresh interpreter."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--floor"]
    cmd += ["--params", json.dumps(params or {})]
    for name in only or []:
        cmd += ["--only", name]
    env = {}
    with tempfile.TemporaryDirectory() as tmp:
        if cached:
            env["CMA_RESULT_CACHE"] = str(Path(tmp) / "results")  # cma_research.core.memo
            env["CMA_RESULT_KEY"] = "ab" * 32  # its files are signed
        wall, cpu, out = timed(cmd, env)
    return wall, cpu, json.loads(out.strip().splitlines()[-1])


# ---- the builds, as the command a user runs ----------------------------------------------------


def build(tmp: Path, jobs: int | None, params: dict[str, Any] | None = None) -> tuple[float, float]:
    cmd = [sys.executable, "-m", "cma_research.cli", "build"]
    cmd += ["--output-dir", str(tmp / "reports"), "--cache-dir", str(tmp / "cache")]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    if params:
        path = tmp / "params.yaml"
        path.write_text("".join(f"{k}: {v!r}\n" for k, v in params.items()))
        cmd += ["--params", str(path)]
    wall, cpu, _ = timed(cmd)
    return wall, cpu


def phases(manifest: dict[str, Any]) -> list[str]:
    """Where each notebook that ran spent its seconds (from the manifest)."""
    lines, sums = [], {"cells": 0.0, "kernel_and_papermill": 0.0, "html_and_writing": 0.0}
    for name, record in manifest["notebooks"].items():
        if record.get("reused") or not record.get("phases"):
            continue
        ph = record["phases"]
        lines.append(
            f"    {name:<22} {record['seconds']:5.1f} s = {ph['cells']:4.1f} + "
            f"{ph['kernel_and_papermill']:4.1f} + {ph['html_and_writing']:4.1f}"
            f"  ({record.get('kernel_start', '')} kernel)"
        )
        for key in sums:
            sums[key] += ph.get(key, 0.0)
    lines.append("    sum: " + ", ".join(f"{k} {v:.1f} s" for k, v in sums.items()))
    return lines


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


def _spread(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:5.2f}x"
    return (
        f"{statistics.median(values):5.2f}x (median of {len(values)}; "
        f"{min(values):.2f}-{max(values):.2f})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--details", action="store_true")
    parser.add_argument("--floor", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--only", action="append", help=argparse.SUPPRESS)
    parser.add_argument("--params", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.floor:
        return floor_main(args)
    print(f"CPUs: {os.cpu_count()}; load average at start: {os.getloadavg()[0]:.1f}")
    ratios: dict[str, list[float]] = {"cold": [], "one": [], "cold_cached": []}
    for rep in range(args.repeat):
        with tempfile.TemporaryDirectory() as d:
            tmp = Path(d)
            fw, fc, fs = floor()
            cw, cc = build(tmp, args.jobs)
            nw, nc = build(tmp, args.jobs)
            ow, oc = build(tmp, args.jobs, {"target_level": 3})
            changed = json.loads((tmp / "reports" / "manifest.json").read_text())
            reran = [n for n, r in changed["notebooks"].items() if not r.get("reused")]
            pw, pc, _ = floor(reran, {"target_level": 3})
            kw, kc, ks = floor(cached=True)
        ratios["cold"].append(cw / fw)
        ratios["one"].append(ow / pw)
        ratios["cold_cached"].append(cw / kw)
        print(f"repetition {rep + 1} (load average {os.getloadavg()[0]:.1f}):")
        print(
            f"  floor, all notebooks     {fw:6.1f} s wall {fc:6.1f} s CPU "
            f"(imports {fs['imports']:.1f} s, cells {sum(fs['cells'].values()):.1f} s)"
        )
        print("    " + ", ".join(f"{k} {v:.2f}" for k, v in fs["cells"].items()))
        print(
            f"  cold build               {cw:6.1f} s wall {cc:6.1f} s CPU = {cw / fw:5.2f}x floor"
        )
        print(f"  no-op rebuild            {nw:6.2f} s wall {nc:6.2f} s CPU")
        print(f"  floor, {len(reran)} notebooks (target_level 3) {pw:6.1f} s wall {pc:6.1f} s CPU")
        print(
            f"  one changed parameter    {ow:6.1f} s wall {oc:6.1f} s CPU = {ow / pw:5.2f}x "
            f"its floor (re-ran {', '.join(reran)})"
        )
        print(
            f"  floor with the result cache on {kw:6.1f} s wall {kc:6.1f} s CPU "
            f"(cells {sum(ks['cells'].values()):.1f} s); cold build = {cw / kw:.2f}x it"
        )
    print("summary (wall ratios to the floor measured in the same repetition):")
    print(f"  cold build            {_spread(ratios['cold'])}   (target <= 1.0x, stretch 0.75x)")
    print(f"  one changed parameter {_spread(ratios['one'])}   (target <= 1.0x)")
    print(f"  cold build vs the floor with the result cache on {_spread(ratios['cold_cached'])}")
    if args.details:
        with tempfile.TemporaryDirectory() as d:
            tmp = Path(d)
            build(tmp, args.jobs)
            manifest = json.loads((tmp / "reports" / "manifest.json").read_text())
        print("cold build, per notebook: total = cells + kernel and papermill + HTML and writing")
        print("\n".join(phases(manifest)))
        saving = figure_saving()
        print("saving one figure: " + ", ".join(f"{k} {v:.2f} s" for k, v in saving.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
