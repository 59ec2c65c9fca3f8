"""Benchmark of the manuscript's rendering (run on demand, prints figures).

    .venv/bin/python benchmarks/bench_manuscript.py [--repeat N]

Builds the bundled study once into a temporary folder (small n_boot/n_perm: the paper's
rendering does not depend on them), then times, in the same run and on the same build:

- the reference: one notebook's HTML conversion (``02_distributions``, both variants,
  as the build converts every notebook);
- the bundled manuscript read and checked against the build (parse + resolve);
- each output: the PDF (Typst source and compile), the Word file, the LaTeX sources;
- the whole paper step as a build runs it, when the cache holds the paper (a no-op
  rebuild) and when it does not.

Each time is the median of ``--repeat`` runs and is printed with its ratio to the
reference. Wall times on a shared 2-core machine vary by about 20 % from run to run;
compare ratios from the same run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
FAST = {"n_boot": 200, "n_perm": 2000, "m_imputations": 5, "omega_boot": 100, "n_sims": 200}


def median_seconds(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from cma_research.pipeline.build import build
    from cma_research.pipeline.build.cache import BuildCache
    from cma_research.pipeline.build.convert import html_variants
    from cma_research.pipeline.build.manuscript import render_paper
    from cma_research.pipeline.build.parameters import notebook_parameters
    from cma_research.reporting.latex import latex_files
    from cma_research.reporting.manuscript import parse_manuscript, resolve
    from cma_research.reporting.typeset import render_pdf
    from cma_research.reporting.values import collect_values
    from cma_research.reporting.word import render_docx

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "fast.yaml").write_text(yaml.safe_dump(FAST))
        print("building the bundled study once (small n_boot/n_perm) ...", file=sys.stderr)
        result = build(
            params_file=tmp / "fast.yaml",
            output_dir=tmp / "reports",
            notebooks_dir=ROOT / "notebooks",
            cache_dir=tmp / "cache",
            progress=lambda line: None,
        )
        if not result.ok:
            print(result.summary(), file=sys.stderr)
            return 1
        out = result.output_dir
        executed = nbformat.read(out / "notebooks" / "02_distributions.ipynb", as_version=4)
        specs = notebook_parameters(ROOT / "notebooks" / "02_distributions.ipynb")
        reference = median_seconds(lambda: html_variants(executed, {}, specs), args.repeat)

        source_path = ROOT / "manuscript" / "paper.md"
        values = collect_values(out / "tables")
        paper = resolve(parse_manuscript(source_path), values, out)
        names = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9]*.ipynb"))
        cache = BuildCache(tmp / "bench-cache", lambda line: None)

        def step(force: bool) -> None:
            run = render_paper(
                out, ROOT, result.runs, {}, cache, lambda line: None,
                notebook_names=names, force=force,
            )  # fmt: skip
            if not run.ok:
                raise SystemExit(run.error)

        rows = [
            ("one notebook's HTML conversion (reference)", reference),
            (
                "manuscript parsed and checked",
                median_seconds(
                    lambda: resolve(parse_manuscript(source_path), values, out), args.repeat
                ),
            ),
            ("PDF (Typst)", median_seconds(lambda: render_pdf(paper, out), args.repeat)),
            ("Word (python-docx)", median_seconds(lambda: render_docx(paper), args.repeat)),
            ("LaTeX sources", median_seconds(lambda: latex_files(paper), args.repeat)),
            ("paper step, rendered", median_seconds(lambda: step(True), args.repeat)),
            ("paper step, from the cache", median_seconds(lambda: step(False), args.repeat)),
        ]
    print(f"{'what':45} {'seconds':>8} {'x HTML':>7}")
    for what, seconds in rows:
        print(f"{what:45} {seconds:8.3f} {seconds / reference:7.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
