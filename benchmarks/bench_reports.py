"""Benchmark of per-business reports on a SYNTHETIC programme (run on demand, prints figures).

    .venv/bin/python benchmarks/bench_reports.py [--n 10000] [--jobs 2] [--sample 200]

1. Batch preparation for ``--n`` SYNTHETIC businesses (seeded ``synthetic_cohort``):
   peer groups, peer statistics, road maps and page contexts of every business.
2. Per page, on the same ``--sample`` pages in the same run: the templating floor (the
   page rendered and written without its two figures), the full page (its radar and
   strip drawn as SVG, rendered, written) and, for reference, the two figures drawn by
   matplotlib as PNG (:func:`page_figures`, what a page embedded before). Target: full
   page <= 1.5x the floor.
3. The whole batch (``write_business_reports``: pages, disclosure manifest, index) with
   ``jobs=1`` and ``jobs=--jobs``: wall and CPU seconds, each as a ratio to its floor
   (``n`` x the per-page floor, divided by the jobs), and the peak resident memory of
   this process and of the worker processes (flat: pages are drawn and written one at a
   time; what grows with ``n`` is the batch's page contexts). Target (issue 22): 10,000
   pages in <= 5 minutes with ``--jobs 2``.
4. Checks: every page <= 250 kB, no ``http`` in any page outside the SVG namespace, and
   the ``jobs=1`` and ``jobs=N`` batches byte-identical, every page.

Wall times on a machine shared with other work vary with its load; compare the ratios
of the same run, and CPU seconds.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from cma_research.datasets.synthetic import synthetic_cohort
from cma_research.reporting.business import (
    page_figures,
    render_business_page,
    write_business_reports,
)
from cma_research.reporting.business_pages import business_pages


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _peaks() -> tuple[float, float]:
    """Peak resident memory (MB) of this process and of its largest child so far."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, child


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--sample", type=int, default=200)
    args = parser.parse_args()
    print(
        f"SYNTHETIC cohort: {args.n} businesses (synthetic_cohort seed 1); CPUs {os.cpu_count()}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    cohort = synthetic_cohort(args.n, seed=1)

    start = time.perf_counter()
    pages, manifest = business_pages(cohort, k=5)
    prep = time.perf_counter() - start
    print(
        f"1. page contexts, {args.n} businesses: {prep:7.2f} s ({prep / args.n * 1000:.2f} ms each)"
    )

    sample = pages[: args.sample]
    render_business_page(sample[0])  # warm-up: imports, templates
    page_figures(sample[0])
    floors, fulls, pngs = [], [], []
    with tempfile.TemporaryDirectory() as d:
        # alternate floor and full page on the same page, so a change in machine load
        # affects both alike
        for p in sample:
            start = time.perf_counter()
            (Path(d) / p["file"]).write_bytes(
                render_business_page(p, figures=("", "")).encode("utf-8")
            )
            floors.append(time.perf_counter() - start)
            start = time.perf_counter()
            (Path(d) / p["file"]).write_bytes(render_business_page(p).encode("utf-8"))
            fulls.append(time.perf_counter() - start)
        for p in sample[:20]:
            start = time.perf_counter()
            page_figures(p)
            pngs.append(time.perf_counter() - start)
    floor = float(np.median(floors))
    full = float(np.median(fulls)) + prep / args.n
    print(f"2. templating floor (page without figures), per page: {floor * 1000:6.2f} ms")
    print(f"   full page (SVG figures) incl. its context, per page: {full * 1000:6.2f} ms")
    print(f"   ratio to the floor: {full / floor:6.2f}  (target <= 1.5)")
    print(
        f"   for reference, the two figures by matplotlib as PNG: {np.median(pngs) * 1000:6.1f} ms "
        f"(median of {len(pngs)}), {np.median(pngs) / floor:.0f}x the floor"
    )

    with tempfile.TemporaryDirectory() as d:
        runs, walls = {}, {}
        for jobs in (1, args.jobs):
            cpu0, start = _cpu(), time.perf_counter()
            result = write_business_reports(cohort, Path(d) / f"jobs{jobs}", k=5, jobs=jobs)
            wall, cpu = time.perf_counter() - start, _cpu() - cpu0
            runs[jobs], walls[jobs] = result, wall
            ideal = args.n * (floor + prep / args.n) / jobs + prep
            own, child = _peaks()
            print(
                f"3. batch of {args.n}, jobs={jobs}: {wall:7.1f} s wall, {cpu:7.1f} s CPU "
                f"({wall / args.n * 1000:.1f} ms/page) = {wall / ideal:5.2f}x its floor; "
                f"peak memory: this process {own:,.0f} MB, largest worker {child:,.0f} MB"
            )
            if jobs == args.jobs:
                print(
                    f"   {args.n} pages with jobs={jobs} in {wall / 60:.1f} min "
                    f"(target <= 5 min); speed-up {walls[1] / wall:.2f}x"
                )
        one, many = runs[1], runs[args.jobs]
        sizes = [p.stat().st_size for p in one.pages.values()]
        same = all(one.pages[b].read_bytes() == many.pages[b].read_bytes() for b in one.pages)
        network = sum(
            b"http" in p.read_bytes().replace(b'xmlns="http://www.w3.org/2000/svg"', b"")
            for p in one.pages.values()
        )
        print(
            f"4. page size: max {max(sizes) / 1000:.0f} kB, "
            f"mean {sum(sizes) / len(sizes) / 1000:.0f} kB "
            f"(limit 250 kB): {'ok' if max(sizes) <= 250_000 else 'TOO LARGE'}"
        )
        print(f"   pages with an http reference: {network}")
        print(f"   jobs=1 and jobs={args.jobs} byte-identical (all {len(one.pages)} pages): {same}")
        print(f"   suppressed cells in the manifest: {len(manifest['suppressed'])}")


if __name__ == "__main__":
    main()
