"""What importing the package costs: ``import cma_research`` against the plotting stack.

The first wave's package imported matplotlib at ``import cma_research`` (through the
business report), so even ``cma-research validate`` paid for plotting. Now plotting and
reporting load on first use. This prints, as medians of fresh interpreters:

- ``import cma_research`` (what ``validate`` pays),
- ``import cma_research`` plus every public name and the plotting subpackage (what every
  import cost before the layers were split: the old import pulled all of it in; measured
  once against the old commit itself: 2.1-2.5 s old against 0.6-0.9 s now),
- ``cma-research validate`` on the bundled returns, end to end.

Run: ``.venv/bin/python benchmarks/bench_import.py``
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 7


def _median_seconds(cmd: list[str]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    py = sys.executable
    bare = _median_seconds([py, "-c", "pass"])
    now = _median_seconds([py, "-c", "import cma_research"])
    # what the first wave's ``import cma_research`` loaded: every analysis, and plotting
    everything = (
        "import cma_research as c, cma_research.plotting; [getattr(c, n) for n in c.__all__]"
    )
    before = _median_seconds([py, "-c", everything])
    validate = _median_seconds(
        [py, "-m", "cma_research", "validate", "data/raw/customer_wise_2007.csv"]
    )
    print(f"interpreter start             {bare:6.2f} s")
    print(f"import cma_research           {now:6.2f} s  (what validate pays)")
    print(f"... everything (as before)     {before:6.2f} s")
    print(f"cma-research validate         {validate:6.2f} s")
    print(f"import cost now / before       {(now - bare) / (before - bare):6.2f}  (target <= 0.5)")


if __name__ == "__main__":
    main()
