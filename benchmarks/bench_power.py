"""Benchmark of the power simulations (run on demand, prints figures).

    .venv/bin/python benchmarks/bench_power.py [--sims 2000] [--jobs-sims 16000]

Calibrated on the bundled Table 4 returns (data/raw/customer_wise_2007.csv), for each
design at n = 16, 50 and 200:

1. simulations per second of ``cma.simulate_power`` (generation and testing);
2. the vectorised test kernel against a naive loop calling scipy once per simulated
   dataset (``spearmanr`` / ``kruskal`` / ``wilcoxon``) on the *same* simulated data:
   the speed ratio (target >= 20x) and the largest p-value difference (must be ~1e-15);
3. the speed-up of ``jobs=2`` over ``jobs=1`` for one large run (identical tables).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

import cma_research as cma
from cma_research.analysis.groups import SIZE_BANDS
from cma_research.analysis.power import calibrate
from cma_research.stats.power_kernels import (
    kruskal_test,
    mean_score,
    signed_rank_test,
    spearman_test,
)

BUNDLED = Path(__file__).resolve().parents[1] / "data" / "raw" / "customer_wise_2007.csv"
DESIGNS = ("size_correlation", "group_difference", "paired_change")


def _data(model, design: str, n: int, sims: int, seed: int):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    z = model.latent(rng, (sims, n))
    score = mean_score(model.observe(z, rng), True)
    if design == "paired_change":
        z2 = 0.7 * z + np.sqrt(1 - 0.49) * model.latent(rng, (sims, n)) + 0.3
        return (mean_score(model.observe(z2, rng), True) - score,)
    staff = model.staff(model.general(z), 0.5, rng)
    if design == "size_correlation":
        return score, staff
    edges = np.array([lo for _, lo, _ in SIZE_BANDS[1:]], dtype=float)
    return score, np.searchsorted(edges, staff, side="right")


def _kernel(design: str, data):  # type: ignore[no-untyped-def]
    if design == "size_correlation":
        return spearman_test(*data).p
    if design == "group_difference":
        return kruskal_test(data[0], data[1], len(SIZE_BANDS)).p
    return signed_rank_test(data[0]).p


def _naive(design: str, data) -> np.ndarray:  # type: ignore[no-untyped-def]
    out = np.full(data[0].shape[0], np.nan)
    for i in range(data[0].shape[0]):
        if design == "size_correlation":
            x, y = data[0][i], data[1][i]
            ok = ~np.isnan(x)
            if ok.sum() >= 3 and np.ptp(x[ok]) > 0 and np.ptp(y[ok]) > 0:
                out[i] = stats.spearmanr(x[ok], y[ok]).pvalue
        elif design == "group_difference":
            x, g = data[0][i], data[1][i]
            ok = ~np.isnan(x)
            groups = [x[ok & (g == k)] for k in range(len(SIZE_BANDS))]
            groups = [v for v in groups if v.size]
            if len(groups) >= 2 and np.ptp(x[ok]) > 0:
                out[i] = stats.kruskal(*groups).pvalue
        else:
            d = data[0][i]
            d = d[~np.isnan(d)]
            if np.any(d != 0):
                out[i] = stats.wilcoxon(
                    d, zero_method="wilcox", method="approx", correction=False
                ).pvalue
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sims", type=int, default=2000)
    parser.add_argument("--jobs-sims", type=int, default=16000)
    args = parser.parse_args()
    cohort = cma.load_returns(BUNDLED)
    model = calibrate(cohort, wave_correlation=0.7, attrition=0.2)
    rows = []
    for design in DESIGNS:
        for n in (16, 50, 200):
            start = time.perf_counter()
            cma.simulate_power(design, n, effect=0.3, calibrate=model, n_sims=args.sims, seed=1)
            full = args.sims / (time.perf_counter() - start)
            data = _data(model, design, n, args.sims, seed=2)
            start = time.perf_counter()
            fast = _kernel(design, data)
            t_fast = time.perf_counter() - start
            start = time.perf_counter()
            slow = _naive(design, data)
            t_slow = time.perf_counter() - start
            same = np.isnan(fast) == np.isnan(slow)
            diff = float(np.nanmax(np.abs(fast - slow))) if np.isfinite(slow).any() else 0.0
            rows.append(
                {
                    "design": design,
                    "n": n,
                    "simulate_power_sims_per_s": round(full),
                    "kernel_tests_per_s": round(args.sims / t_fast),
                    "scipy_loop_tests_per_s": round(args.sims / t_slow),
                    "speed_ratio": round(t_slow / t_fast, 1),
                    "max_abs_p_diff": diff,
                    "same_unusable": bool(same.all()),
                }
            )
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(pd.DataFrame(rows).to_string(index=False))
    print(f"\njobs=2 vs jobs=1: size_correlation, n = 50, {args.jobs_sims} simulations")
    timings = {}
    tables = {}
    for jobs in (1, 2):
        start = time.perf_counter()
        tables[jobs] = cma.simulate_power(
            "size_correlation", 50, effect=0.3, calibrate=model, n_sims=args.jobs_sims,
            seed=1, jobs=jobs,
        )  # fmt: skip
        timings[jobs] = time.perf_counter() - start
        print(f"  jobs={jobs}: {timings[jobs]:.2f} s")
    same = tables[1].equals(tables[2])
    print(f"  speed-up {timings[1] / timings[2]:.2f}x; identical tables: {same}")


if __name__ == "__main__":
    main()
