"""Coverage of three 95% intervals for Spearman's rho on audit-like data, n = 8-40.

    .venv/bin/python benchmarks/bench_coverage.py [--sims 1000] [--n-boot 2000]

Which interval should :func:`cma_research.correlate` report at the sample sizes audit
studies have? Simulated data come from the package's own simulator
(:func:`cma_research.analysis.power.calibrate` on the bundled Table 4 returns: each
stage's level distribution, the inter-stage polychoric correlations, log headcount's
spread): ``n`` complete businesses, their mean level over the ten stages and their
whole-number staff, with a latent size-maturity correlation ``effect``. The target is
the Spearman rho of those two observed variables in the population
(:func:`~cma_research.analysis.power.observed_spearman`, 400,000 businesses). Each of
``--sims`` datasets per cell gets three intervals:

* ``bca``: the BCa bootstrap (:func:`cma_research.stats.resampling.bca_interval`,
  ``--n-boot`` resamples);
* ``fisher_bw``: Fisher's z with the Bonett & Wright (2000) standard error
  ``sqrt((1 + r^2/2) / (n - 3))`` (:func:`cma_research.stats.correlation.fisher_ci`),
  recommended for Spearman's rho by Bishara & Hittner (2017);
* ``permutation``: the inverted permutation test
  (:func:`cma_research.stats.correlation.permutation_ci`, 2,000 permutations, all
  orderings at n = 8).

Printed per cell: coverage (share of intervals containing the target; Monte-Carlo SE
``sqrt(c (1 - c) / sims)``, about 0.007 at 1,000 sims), the share missing on each side,
the median width, and how many intervals were undefined (counted as misses). A method
"holds 95%" at a cell when its coverage is at least 0.95 - 2 MC SE.

Measured (1,000 sims per cell, seed 2007, 2-core machine; see the closing note of
issue 25 for the table this printed).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import stats

import cma_research as cma
from cma_research.analysis.power import calibrate, observed_spearman
from cma_research.stats.correlation import fisher_ci, permutation_ci
from cma_research.stats.power_kernels import mean_score
from cma_research.stats.resampling import Cells, bca_interval

NS = (8, 12, 16, 24, 40)
EFFECTS = (0.0, 0.3, 0.5)
METHODS = ("bca", "fisher_bw", "permutation")


def one_cell(model, n: int, effect: float, sims: int, n_boot: int, seed: int) -> dict:
    """Intervals of every method for ``sims`` datasets of ``n`` businesses."""
    rng = np.random.default_rng([seed, n, int(effect * 1000)])
    complete = model.__class__(**{**model.__dict__, "blank_patterns": np.zeros((1, model.k), bool)})
    bounds = {m: np.full((sims, 2), np.nan) for m in METHODS}
    done = 0
    while done < sims:
        z = complete.latent(rng, (1, n))
        y = mean_score(complete.observe(z, rng), True)[0]
        x = complete.staff(complete.general(z), effect, rng)[0]
        if np.ptp(x) == 0 or np.ptp(y) == 0:
            continue  # constant data: no correlation at all (rare); drawn again
        r = float(stats.spearmanr(x, y).statistic)
        bounds["bca"][done] = bca_interval("spearman", Cells.from_pairs(x, y), r, n_boot, rng)
        bounds["fisher_bw"][done] = fisher_ci("spearman", r, n)
        low, high, _ = permutation_ci("spearman", x, y, n_perm=2000, rng=rng)
        bounds["permutation"][done] = (low, high)
        done += 1
    return bounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sims", type=int, default=1000)
    parser.add_argument("--n-boot", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=2007)
    args = parser.parse_args()
    model = calibrate(cma.datasets.customer_wise_2007())
    truth = observed_spearman(model, list(EFFECTS), n_businesses=400_000, seed=args.seed)
    targets = dict(zip(truth["effect"], truth["observed_spearman"], strict=True))
    mc = np.sqrt(0.95 * 0.05 / args.sims)
    print(f"coverage of 95% intervals, {args.sims} sims per cell, BCa {args.n_boot} resamples")
    print(f"(MC SE of a coverage near .95: {mc:.4f}; 'holds' = coverage >= {0.95 - 2 * mc:.3f})")
    header = f"{'n':>3} {'latent':>6} {'rho_obs':>7} | " + " | ".join(
        f"{m:>11} cov  lo_miss hi_miss width undef" for m in METHODS
    )
    print(header)
    summary = {m: [] for m in METHODS}
    for n in NS:
        for e in EFFECTS:
            t0 = time.perf_counter()
            b = one_cell(model, n, e, args.sims, args.n_boot, args.seed)
            target = targets[e]
            parts = []
            for m in METHODS:
                low, high = b[m][:, 0], b[m][:, 1]
                undef = np.isnan(low) | np.isnan(high)
                cover = (~undef & (low <= target) & (target <= high)).mean()
                lo_miss = (~undef & (low > target)).mean()
                hi_miss = (~undef & (high < target)).mean()
                width = float(np.median((high - low)[~undef])) if (~undef).any() else np.nan
                summary[m].append(cover)
                parts.append(
                    f"{'':>11} {cover:.3f} {lo_miss:7.3f} {hi_miss:7.3f} {width:5.2f} "
                    f"{int(undef.sum()):5d}"
                )
            print(f"{n:3d} {e:6.2f} {target:7.3f} | " + " | ".join(parts)
                  + f"   ({time.perf_counter() - t0:.0f} s)")  # fmt: skip
    print()
    for m in METHODS:
        c = np.array(summary[m])
        held = int((c >= 0.95 - 2 * mc).sum())
        print(f"{m:>11}: coverage {c.min():.3f} to {c.max():.3f}; holds 95% in {held} of {len(c)}")


if __name__ == "__main__":
    main()
