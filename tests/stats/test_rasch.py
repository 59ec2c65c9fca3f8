"""The partial-credit model by CML against eRm::PCM on eRm's own example data.

Reference values: ``tests/stats/results/results_rasch.py`` (``make_results.R``, section
``results_rasch.py``): ``eRm::PCM(pcmdat2)``.
"""

from __future__ import annotations

import numpy as np
import pytest

from cma_research import ParameterError
from cma_research.stats.rasch import fit_pcm
from tests.stats.results import results_rasch as R


def test_pcmdat2_matches_erm() -> None:
    fit = fit_pcm(np.asarray(R.pcmdat2, dtype=float))
    assert fit.converged and fit.n_used == R.n_persons_used
    # the conditional log-likelihood at the optimum: both optimisers reach it
    np.testing.assert_allclose(fit.loglik, R.loglik, rtol=1e-8)
    # eRm's optimiser (nlm) stops about 1e-5 short of the optimum
    np.testing.assert_allclose(np.concatenate(fit.beta), R.betapar, atol=5e-5)
    np.testing.assert_allclose(np.vstack(fit.thresholds), R.thresholds, atol=5e-5)
    np.testing.assert_allclose(fit.locations, R.locations, atol=5e-5)
    assert abs(np.concatenate(fit.beta).sum()) < 1e-12  # sum0, as eRm


def test_conditional_likelihood_by_brute_force() -> None:
    # 3 items of 0-2, a handful of persons: P(x | r) by enumerating every pattern
    from itertools import product

    x = np.array([[0, 1, 2], [1, 1, 0], [2, 1, 1], [1, 0, 0], [2, 2, 1], [0, 2, 1],
                  [1, 2, 2], [2, 0, 1], [0, 0, 1], [1, 1, 1]])  # fmt: skip
    fit = fit_pcm(x)
    beta = [np.concatenate([[0.0], b]) for b in fit.beta]
    patterns = list(product(range(3), repeat=3))
    ll = 0.0
    for row in x:
        r = row.sum()
        if r in (0, 6):
            continue
        num = np.exp(sum(beta[i][row[i]] for i in range(3)))
        den = sum(np.exp(sum(beta[i][p[i]] for i in range(3))) for p in patterns if sum(p) == r)
        ll += np.log(num / den)
    np.testing.assert_allclose(fit.loglik, ll, rtol=1e-10)


def test_unobserved_middle_category_refused() -> None:
    x = np.array([[0, 1], [2, 1], [0, 0], [2, 1], [0, 1]])
    with pytest.raises(ParameterError, match="item 0: levels 0 to 2 must each occur"):
        fit_pcm(x)
