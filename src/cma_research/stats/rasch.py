"""The partial-credit Rasch model, by conditional maximum likelihood (as R's ``eRm::PCM``).

Masters' (1982) partial-credit model: business ``v`` with maturity ``theta_v`` reaches
level ``x`` (0 .. ``m_i``) on stage ``i`` with probability proportional to
``exp(x theta_v + beta_ix)`` (``beta_i0 = 0``); the item-category parameters ``beta_ix``
are *easiness* parameters as ``eRm`` reports them (``betapar``), and the thresholds
(where two adjacent levels are equally likely) are ``delta_i1 = -beta_i1``,
``delta_ix = beta_i,x-1 - beta_ix``. The thresholds of a stage should increase with the
level ("ordered thresholds"): a disordered pair means the higher level is never the most
likely one, so the levels do not work as ordered steps there.

Conditional maximum likelihood (Andersen 1973) removes ``theta`` by conditioning on each
business's total score ``r``: ``P(x_v | r) = exp(sum_i beta_i,x_vi) / gamma_r``, with
``gamma_r`` the elementary symmetric function of order ``r`` of the polynomial
``prod_i sum_x exp(beta_ix) z^x``; its gradient ``d log gamma_r / d beta_ix =
exp(beta_ix) gamma^(i)_{r - x} / gamma_r`` uses the same function without item ``i``.
Businesses with the lowest or highest possible total carry no information and drop
out. The conditional likelihood does not change when every ``beta_ix`` moves by
``c x`` (a shift of every ``theta`` by ``c``); as ``eRm`` (``sum0 = TRUE``) the
parameters are normalised along that direction to sum to 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from cma_research.core.errors import ParameterError

__all__ = ["PCMFit", "fit_pcm"]


@dataclass(frozen=True)
class PCMFit:
    """A partial-credit model fitted by conditional maximum likelihood."""

    beta: list[np.ndarray]  # per item, beta_i1 .. beta_im (easiness), sum over all = 0
    loglik: float  # conditional log-likelihood
    n_used: int  # businesses with a non-extreme total
    converged: bool

    @property
    def thresholds(self) -> list[np.ndarray]:
        """Per item, ``delta_i1 .. delta_im`` (``-beta_i1``, ``beta_i,x-1 - beta_ix``)."""
        return [-np.diff(np.concatenate([[0.0], b])) for b in self.beta]

    @property
    def locations(self) -> np.ndarray:
        """Per item, the mean of its thresholds (eRm's ``Location``, the stage's
        difficulty)."""
        return np.array([t.mean() for t in self.thresholds])


def _esf(polys: list[np.ndarray]) -> np.ndarray:
    """Coefficients of the product of polynomials (lowest degree first)."""
    out = np.array([1.0])
    for p in polys:
        out = np.convolve(out, p)
    return out


def fit_pcm(x: np.ndarray, *, gtol: float = 1e-8) -> PCMFit:
    """CML fit of the partial-credit model to complete item scores ``x`` (persons x items).

    Every item's categories 0 .. ``max`` must each occur (an unused middle category has
    no finite parameter); the number of categories is each item's highest observed
    level plus one.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> theta = rng.normal(size=300)
    >>> x = np.column_stack([np.clip(np.round(theta + rng.logistic(size=300) / 2 + d), 0, 2)
    ...                      for d in (1.0, 0.5, 0.0)])
    >>> fit = fit_pcm(x)
    >>> fit.converged, [len(t) for t in fit.thresholds]
    (True, [2, 2, 2])
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or np.isnan(x).any():
        raise ParameterError("fit_pcm needs a complete persons x items array of levels")
    xi = x.astype(int)
    k = xi.shape[1]
    m = xi.max(axis=0)
    for i in range(k):
        counts = np.bincount(xi[:, i], minlength=m[i] + 1)
        if m[i] < 1 or (counts == 0).any():
            raise ParameterError(
                f"item {i}: levels 0 to {m[i]} must each occur (counts {counts.tolist()}); "
                "the partial-credit model needs every category observed"
            )
    total = xi.sum(axis=1)
    keep = (total > 0) & (total < m.sum())
    xi, total = xi[keep], total[keep]
    if len(xi) < 2:
        raise ParameterError("fit_pcm: fewer than 2 businesses with a non-extreme total")
    offsets = np.concatenate([[0], np.cumsum(m)])[:-1]
    n_par = int(m.sum())
    # sufficient statistics: how many businesses reached each (item, category)
    suff = np.zeros(n_par)
    for i in range(k):
        for c in range(1, m[i] + 1):
            suff[offsets[i] + c - 1] = np.sum(xi[:, i] == c)
    score_counts = np.bincount(total, minlength=int(m.sum()) + 1)

    def split(free: np.ndarray) -> list[np.ndarray]:
        full = np.concatenate([[0.0], free])  # the first parameter fixed at 0
        return [full[offsets[i] : offsets[i] + m[i]] for i in range(k)]

    def negll(free: np.ndarray) -> tuple[float, np.ndarray]:
        betas = split(free)
        polys = [np.exp(np.concatenate([[0.0], b])) for b in betas]
        gamma = _esf(polys)
        ll = float(np.concatenate([[0.0], free]) @ suff - score_counts @ np.log(gamma))
        grad = suff.copy()
        for i in range(k):
            rest = _esf(polys[:i] + polys[i + 1 :])
            for c in range(1, m[i] + 1):
                r = np.arange(len(gamma))
                valid = (r - c >= 0) & (r - c < len(rest))
                prob = np.zeros(len(gamma))
                prob[valid] = polys[i][c] * rest[r[valid] - c] / gamma[valid]
                grad[offsets[i] + c - 1] -= score_counts @ prob
        return -ll, -grad[1:]

    res = minimize(negll, np.zeros(n_par - 1), jac=True, method="BFGS",
                   options={"gtol": gtol, "maxiter": 10_000})  # fmt: skip
    full = np.concatenate([[0.0], res.x])
    # the one direction the conditional likelihood does not see: beta_ix + c x (a shift of
    # every theta by c); eRm's sum0 normalisation picks c so that the betas sum to 0
    cats = np.concatenate([np.arange(1, m[i] + 1) for i in range(k)]).astype(float)
    full -= full.sum() / cats.sum() * cats
    betas = [full[offsets[i] : offsets[i] + m[i]] for i in range(k)]
    grad_norm = float(np.max(np.abs(negll(res.x)[1])))
    return PCMFit(beta=betas, loglik=-float(res.fun), n_used=len(xi), converged=grad_norm < 1e-5)
