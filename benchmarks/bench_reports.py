"""Benchmark of per-business reports on a SYNTHETIC programme (run on demand, prints figures).

    .venv/bin/python benchmarks/bench_reports.py [--n 1000] [--jobs 2] [--sample 50]

1. Batch preparation for ``--n`` SYNTHETIC businesses (seeded ``synthetic_cohort``):
   peer groups, peer statistics, road maps and page contexts of every business
   (no figures), and the same for 10,000 businesses, to show the batch scales.
2. Per-report time: the full page (figures + HTML + atomic write) against the floor,
   drawing that page's two figures alone, measured on the same ``--sample`` pages in
   the same run. Target: ratio <= 1.5.
3. The whole batch (``write_business_reports``, index and manifest included) with
   ``jobs=1`` and ``jobs=--jobs``: wall time and speed-up.
4. Checks: every page <= 250 kB, no ``http`` reference in any page outside its embedded
   images, and the jobs=1 and jobs=N batches give byte-identical pages.

Run on 2026-12-01 (2 CPUs shared with other work): contexts 0.28 s for 1,000 and 4.3 s
for 10,000 businesses; floor 1194 ms, full page 1355 ms, ratio 1.13; batch of 1,000
821 s with jobs=1, 410 s with jobs=2 (2.00x); pages 131 kB mean, 143 kB max.
"""

from __future__ import annotations

import argparse
import os
import re
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--sample", type=int, default=50)
    args = parser.parse_args()
    print(f"SYNTHETIC cohort: {args.n} businesses (synthetic_cohort seed 1); CPUs {os.cpu_count()}")
    cohort = synthetic_cohort(args.n, seed=1)

    start = time.perf_counter()
    pages, manifest = business_pages(cohort, k=5)
    prep = time.perf_counter() - start
    print(f"1. page contexts, {args.n} businesses:       {prep:7.2f} s")
    big = synthetic_cohort(10_000, seed=1)
    start = time.perf_counter()
    big_pages, _ = business_pages(big, k=5)
    print(f"   page contexts, 10,000 businesses:     {time.perf_counter() - start:7.2f} s")
    del big, big_pages

    sample = pages[: args.sample]
    page_figures(sample[0])  # warm-up: imports, font cache
    floors, fulls = [], []
    with tempfile.TemporaryDirectory() as d:
        # alternate floor and full page on the same page, so a change in machine load
        # affects both alike
        for p in sample:
            start = time.perf_counter()
            page_figures(p)
            floors.append(time.perf_counter() - start)
            start = time.perf_counter()
            html = render_business_page(p).encode("utf-8")
            (Path(d) / p["file"]).write_bytes(html)
            fulls.append(time.perf_counter() - start)
    floor = float(np.median(floors))
    full = float(np.median(fulls)) + prep / args.n
    print(
        f"2. floor (two figures alone), per page:  {floor * 1000:7.1f} ms (median of {len(sample)})"
    )
    print(f"   full page incl. its context, per page: {full * 1000:7.1f} ms")
    print(f"   ratio to the floor:                  {full / floor:7.2f}  (target <= 1.5)")

    with tempfile.TemporaryDirectory() as d:
        start = time.perf_counter()
        one = write_business_reports(cohort, Path(d) / "one", k=5, jobs=1)
        t1 = time.perf_counter() - start
        start = time.perf_counter()
        many = write_business_reports(cohort, Path(d) / "many", k=5, jobs=args.jobs)
        tj = time.perf_counter() - start
        print(
            f"3. batch of {args.n}, jobs=1:              {t1:7.1f} s "
            f"({t1 / args.n * 1000:.0f} ms/page)"
        )
        print(
            f"   batch of {args.n}, jobs={args.jobs}:              {tj:7.1f} s; "
            f"speed-up {t1 / tj:.2f}x"
        )
        sizes = [p.stat().st_size for p in one.pages.values()]
        same = all(
            one.pages[b].read_bytes() == many.pages[b].read_bytes() for b in list(one.pages)[:100]
        )
        # outside the embedded images (whose base64 text may hold "http" by chance)
        network = sum(
            b"http" in re.sub(rb"data:image/png;base64,[A-Za-z0-9+/=]+", b"", p.read_bytes())
            for p in one.pages.values()
        )
        print(
            f"4. page size: max {max(sizes) / 1000:.0f} kB, "
            f"mean {sum(sizes) / len(sizes) / 1000:.0f} kB "
            f"(limit 250 kB): {'ok' if max(sizes) <= 250_000 else 'TOO LARGE'}"
        )
        print(f"   pages with an http reference: {network}")
        print(f"   jobs=1 and jobs={args.jobs} byte-identical (first 100): {same}")
        print(f"   suppressed cells in the manifest: {len(manifest['suppressed'])}")


if __name__ == "__main__":
    main()
