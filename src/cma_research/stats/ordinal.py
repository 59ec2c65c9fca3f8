"""Proportional-odds (cumulative logit) model on plain arrays, fitted to the ML optimum.

``logit P(Y <= k) = zeta_k - x'beta`` (the parametrisation of R's ``MASS::polr``).
statsmodels' :class:`~statsmodels.miscmodels.ordinal_model.OrderedModel` gives the
starting fit (BFGS, which stops about 1e-5 short of the maximum); it is then polished
by Newton-Raphson steps with the analytic gradient and Hessian in ``(beta, zeta)``,
so that every threshold is a parameter with its own standard error (statsmodels
estimates the thresholds after the first as log increments). The log-likelihood is
concave in ``(beta, zeta)`` (Pratt 1981), so Newton's method with step halving
converges to the unique maximum; the fit is accepted when the largest absolute
gradient is below ``gtol``.

Derivatives, per observation in category k with ``a = zeta_k - eta`` and
``b = zeta_{k-1} - eta`` (``zeta_0 = -inf``, ``zeta_K = +inf``), logistic F,
f = F (1 - F), f' = f (1 - 2F), P = F(a) - F(b), log-likelihood ``log P``:

* d/da = f(a)/P, d/db = -f(b)/P;
* d2/da2 = f'(a)/P - (f(a)/P)^2, d2/db2 = -f'(b)/P - (f(b)/P)^2,
  d2/dadb = f(a) f(b)/P^2;
* da/dtheta = e(zeta_k) - x, db/dtheta = e(zeta_{k-1}) - x (chain rule).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from cma_research.core.errors import ParameterError

__all__ = ["MixedOrdinalFit", "OrdinalFit", "brant_test", "fit_clmm", "fit_polr"]


@dataclass(frozen=True)
class OrdinalFit:
    """A proportional-odds fit: ``params`` is ``(beta..., zeta...)``."""

    beta: np.ndarray
    zeta: np.ndarray
    loglik: float
    max_abs_gradient: float
    iterations: int  # Newton steps after the statsmodels start
    scores: np.ndarray  # per-observation score vectors (weighted), n x q
    hessian: np.ndarray  # of the log-likelihood, q x q
    n_obs: float  # sum of the weights

    @property
    def params(self) -> np.ndarray:
        return np.concatenate([self.beta, self.zeta])

    def vcov_naive(self) -> np.ndarray:
        """Inverse of the negative Hessian (R's ``vcov(polr)``)."""
        return np.asarray(np.linalg.inv(-self.hessian))

    def vcov_cluster(self, groups: np.ndarray, *, hc1: bool = True) -> np.ndarray:
        """Cluster sandwich ``c B (sum_g s_g s_g') B``, B the naive covariance.

        ``c = G/(G - 1)`` (R's ``sandwich::vcovCL(type = "HC0")``, its default for
        polr, and Stata's), times ``(N - 1)/(N - K)`` when ``hc1`` (``type = "HC1"``).
        """
        codes = np.unique(np.asarray(groups), return_inverse=True)[1]
        g = int(codes.max()) + 1
        if g < 2:
            raise ParameterError("a cluster-robust covariance needs at least 2 clusters")
        sums = np.zeros((g, self.scores.shape[1]))
        np.add.at(sums, codes, self.scores)
        bread = self.vcov_naive()
        c = g / (g - 1)
        if hc1:
            k = self.scores.shape[1]
            c *= (self.n_obs - 1) / (self.n_obs - k)
        return np.asarray(c * bread @ (sums.T @ sums) @ bread)


def _pieces(
    theta: np.ndarray, y: np.ndarray, x: np.ndarray, w: np.ndarray, n_cut: int
) -> tuple[float, np.ndarray, np.ndarray]:
    """Log-likelihood, per-observation weighted scores and Hessian at ``theta``."""
    n, p = x.shape
    beta, zeta = theta[:p], theta[p:]
    eta = x @ beta
    upper = np.concatenate([zeta, [np.inf]])[y]
    lower = np.concatenate([[-np.inf], zeta])[y]
    a, b = upper - eta, lower - eta
    fa_cdf, fb_cdf = expit(a), expit(b)
    fa, fb = fa_cdf * (1 - fa_cdf), fb_cdf * (1 - fb_cdf)
    dfa, dfb = fa * (1 - 2 * fa_cdf), fb * (1 - 2 * fb_cdf)
    prob = fa_cdf - fb_cdf
    if np.any(prob <= 0):
        return -np.inf, np.zeros((n, p + n_cut)), np.zeros((p + n_cut, p + n_cut))
    q = p + n_cut
    da = np.zeros((n, q))
    db = np.zeros((n, q))
    da[:, :p] = -x
    db[:, :p] = -x
    rows = np.arange(n)
    has_upper, has_lower = y < n_cut, y > 0
    da[rows[has_upper], p + y[has_upper]] = 1.0
    db[rows[has_lower], p + y[has_lower] - 1] = 1.0
    ga, gb = fa / prob, -fb / prob
    haa = dfa / prob - ga**2
    hbb = -dfb / prob - gb**2
    hab = fa * fb / prob**2
    scores = w[:, None] * (ga[:, None] * da + gb[:, None] * db)
    hess = (
        (da * (w * haa)[:, None]).T @ da
        + (db * (w * hbb)[:, None]).T @ db
        + (da * (w * hab)[:, None]).T @ db
        + (db * (w * hab)[:, None]).T @ da
    )
    return float(w @ np.log(prob)), scores, hess


def fit_polr(
    y: np.ndarray,
    x: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    gtol: float = 1e-9,
    max_newton: int = 50,
) -> OrdinalFit:
    """Maximum-likelihood proportional-odds fit of category codes ``y`` (0 .. K-1) on ``x``.

    Parameters
    ----------
    y : array of int
        Category codes 0 .. K-1 (every code must occur; K >= 3 is not required, K >= 2 is).
    x : array, n x p
        Covariates, without an intercept (the thresholds play its part).
    weights : array, optional
        Frequency weights (R's ``polr(weights = Freq)``).
    gtol : float
        Largest absolute gradient of the log-likelihood accepted as the optimum.
    max_newton : int
        Newton steps allowed after the statsmodels start.

    Returns
    -------
    OrdinalFit

    Raises
    ------
    ParameterError
        A category without observations, or no convergence to ``gtol``.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0, 0, 1, 0, 1, 2, 1, 2, 2, 2])
    >>> fit = fit_polr(y, np.arange(10.0)[:, None])
    >>> fit.max_abs_gradient < 1e-9, len(fit.zeta)
    (True, 2)
    """
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    y = np.asarray(y, dtype=int)
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    k = int(y.max()) + 1
    counts = np.bincount(y, weights=w, minlength=k)
    if y.min() < 0 or k < 2 or np.any(counts <= 0):
        raise ParameterError(
            "fit_polr needs category codes 0..K-1 that all occur; "
            f"weighted counts {counts.tolist()}"
        )
    n_cut, p = k - 1, x.shape[1]
    # start: statsmodels' BFGS fit (expanded by the weights when they are whole numbers)
    if weights is None or np.allclose(w, np.round(w)):
        rep = np.repeat(np.arange(len(y)), np.round(w).astype(int))
        model = OrderedModel(y[rep], x[rep], distr="logit")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = np.asarray(model.fit(method="bfgs", disp=False, maxiter=2000).params)
        cuts = np.asarray(model.transform_threshold_params(start))[1:-1]
        theta = np.concatenate([start[:p], cuts])
    else:  # marginal cumulative logits, beta = 0
        cum = np.cumsum(counts)[:-1] / counts.sum()
        theta = np.concatenate([np.zeros(p), np.log(cum / (1 - cum))])
    ll, scores, hess = _pieces(theta, y, x, w, n_cut)
    steps = 0
    grad = scores.sum(axis=0)
    while np.max(np.abs(grad)) > gtol and steps < max_newton:
        step = np.linalg.solve(hess, -grad)
        t = 1.0
        while t > 1e-10:
            cand = theta + t * step
            if np.all(np.diff(cand[p:]) > 0):
                ll_new, s_new, h_new = _pieces(cand, y, x, w, n_cut)
                if ll_new >= ll - 1e-12 * abs(ll):
                    break
            t /= 2
        else:
            break
        theta, ll, scores, hess = cand, ll_new, s_new, h_new
        grad = scores.sum(axis=0)
        steps += 1
    max_grad = float(np.max(np.abs(grad)))
    if max_grad > gtol:
        raise ParameterError(
            f"fit_polr did not reach the maximum: largest gradient {max_grad:.3g} > {gtol:g} "
            f"after {steps} Newton steps"
        )
    return OrdinalFit(theta[:p], theta[p:], ll, max_grad, steps, scores, hess, float(w.sum()))


def _logit_fit(z: np.ndarray, x1: np.ndarray) -> np.ndarray:
    """Maximum-likelihood coefficients of a binary logit (Newton-Raphson, IRLS)."""
    beta = np.zeros(x1.shape[1])
    for _ in range(100):
        pi = expit(x1 @ beta)
        w = pi * (1 - pi)
        step = np.linalg.solve(x1.T @ (x1 * w[:, None]), x1.T @ (z - pi))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-12:
            break
    return beta


def brant_test(y: np.ndarray, x: np.ndarray) -> list[dict[str, object]]:
    """Brant's (1990) Wald test of the proportional-odds assumption.

    The proportional-odds model has one slope vector for every split of the ordered
    categories. Brant fits a separate binary logit to each split ``Y > j`` (``j = 0 ..
    K - 2``), estimates the covariance of the stacked slopes across the fits
    (``V_jl = (X'W_jj X)^-1 X'W_jl X (X'W_ll X)^-1`` with ``W_jl = diag(pi_l - pi_j
    pi_l)`` for ``j <= l``, ``pi_j`` the fitted ``P(Y > j)``, ``X`` with an intercept),
    and tests that the slopes are equal across splits with the Wald statistic of the
    contrasts ``beta_0 - beta_j``: chi-squared with ``(K - 2) p`` df (omnibus) and
    ``K - 2`` df for each covariate. As R's ``brant::brant`` (coded in R in
    ``tests/stats/results/make_results.R`` from the paper, since brant is not in
    Debian).

    Returns
    -------
    list of dict
        ``term`` (``"omnibus"`` first, then ``x0``, ``x1``, ... by column), ``statistic``,
        ``df``, ``p_val``.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=(400, 1))
    >>> y = np.searchsorted([-1.0, 0.0, 1.0], x[:, 0] + rng.logistic(size=400))
    >>> res = brant_test(y, x)
    >>> res[0]["term"], res[0]["df"], bool(res[0]["p_val"] > 0.001)
    ('omnibus', 2.0, True)
    """
    y = np.asarray(y, dtype=int)
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    k = int(y.max()) + 1
    if k < 3:
        raise ParameterError("brant_test needs at least 3 ordered categories")
    n, p = x.shape
    x1 = np.column_stack([np.ones(n), x])
    if np.linalg.matrix_rank(x1) < p + 1:
        # e.g. one business: its log(staff) is the same on every row, a copy of the intercept
        raise ParameterError(
            "brant_test needs covariates that vary between the observations (and are not "
            "collinear); here they do not"
        )
    splits = k - 1
    betas, pis = [], []
    try:
        for j in range(splits):
            z = (y > j).astype(float)
            b = _logit_fit(z, x1)
            betas.append(b)
            pis.append(expit(x1 @ b))
        inv = [np.linalg.inv(x1.T @ (x1 * (pi * (1 - pi))[:, None])) for pi in pis]
    except np.linalg.LinAlgError as exc:
        raise ParameterError(
            f"brant_test: a logistic fit of level > j is singular ({exc}); the levels are "
            "perfectly separated by the covariates"
        ) from exc
    q = p + 1
    big_v = np.zeros((splits * q, splits * q))
    for j in range(splits):
        for m in range(j, splits):
            w = pis[m] - pis[j] * pis[m]
            block = inv[j] @ (x1.T @ (x1 * w[:, None])) @ inv[m]
            big_v[j * q : (j + 1) * q, m * q : (m + 1) * q] = block
            big_v[m * q : (m + 1) * q, j * q : (j + 1) * q] = block.T
    slopes = [i * q + 1 + c for i in range(splits) for c in range(p)]
    beta_s = np.concatenate([b[1:] for b in betas])
    v_s = big_v[np.ix_(slopes, slopes)]

    def wald(cols: list[int]) -> tuple[float, float]:
        # contrasts beta_0[c] - beta_j[c], j = 1 .. splits - 1, for the covariates cols
        rows = []
        for j in range(1, splits):
            for c in cols:
                d = np.zeros(splits * p)
                d[c] = 1.0
                d[j * p + c] = -1.0
                rows.append(d)
        dm = np.array(rows)
        diff = dm @ beta_s
        stat = float(diff @ np.linalg.solve(dm @ v_s @ dm.T, diff))
        return stat, float(len(rows))

    from scipy import stats as _stats

    out = []
    for term, cols in [("omnibus", list(range(p))), *[(f"x{c}", [c]) for c in range(p)]]:
        stat, df = wald(cols)
        out.append(
            {"term": term, "statistic": stat, "df": df, "p_val": float(_stats.chi2.sf(stat, df))}
        )
    return out


@dataclass(frozen=True)
class MixedOrdinalFit:
    """A cumulative logit model with a random intercept per cluster."""

    beta: np.ndarray
    zeta: np.ndarray
    sd: float  # standard deviation of the random intercepts
    vcov: np.ndarray  # of (beta, zeta, log sd), the inverse of the observed information
    loglik: float
    n_obs: int
    n_groups: int
    n_nodes: int
    converged: bool


def _clmm_negll(
    theta: np.ndarray,
    y: np.ndarray,
    x: np.ndarray,
    groups: np.ndarray,
    n_groups: int,
    nodes: np.ndarray,
    log_w: np.ndarray,
) -> float:
    p = x.shape[1]
    beta, zeta, sd = theta[:p], theta[p:-1], np.exp(theta[-1])
    if np.any(np.diff(zeta) <= 0):
        return np.inf
    eta = (x @ beta)[:, None] + sd * nodes[None, :]  # obs x nodes
    upper = np.concatenate([zeta, [np.inf]])[y][:, None] - eta
    lower = np.concatenate([[-np.inf], zeta])[y][:, None] - eta
    prob = expit(upper) - expit(lower)
    logp = np.log(np.maximum(prob, 1e-300))
    per_group = np.zeros((n_groups, len(nodes)))
    np.add.at(per_group, groups, logp)
    tot = per_group + log_w[None, :]
    top = tot.max(axis=1, keepdims=True)
    return -float((top[:, 0] + np.log(np.exp(tot - top).sum(axis=1))).sum())


def fit_clmm(
    y: np.ndarray, x: np.ndarray, groups: np.ndarray, *, n_nodes: int = 40
) -> MixedOrdinalFit:
    """Cumulative logit with a random intercept: ``logit P(Y_ij <= k) = zeta_k - x_ij'beta
    - b_i``, ``b_i ~ N(0, sd^2)`` (R's ``ordinal::clmm(y ~ x + (1 | group))``).

    The marginal likelihood integrates each cluster's random intercept by Gauss-Hermite
    quadrature on ``n_nodes`` fixed nodes (the non-adaptive rule; with 40 nodes it
    agrees with clmm's adaptive quadrature to about 1e-4 on the bundled data), maximised
    from the proportional-odds fit (BFGS, then Nelder-Mead polish). Standard errors: the
    inverse of the numerical (central-difference) Hessian of the log-likelihood in
    ``(beta, zeta, log sd)``, as clmm's Wald tests.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> g = np.repeat(np.arange(40), 6)
    >>> x = rng.normal(size=(240, 1))
    >>> latent = 0.8 * x[:, 0] + rng.normal(size=40)[g] + rng.logistic(size=240)
    >>> fit = fit_clmm(np.searchsorted([-1.0, 0.5, 2.0], latent), x, g)
    >>> fit.converged, fit.n_groups, bool(0.3 < fit.beta[0] < 1.4)
    (True, 40, True)
    """
    from scipy.optimize import minimize

    y = np.asarray(y, dtype=int)
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    codes = np.unique(np.asarray(groups), return_inverse=True)[1]
    n_groups = int(codes.max()) + 1
    if n_groups < 2:
        raise ParameterError("fit_clmm needs at least 2 clusters")
    nodes, weights = np.polynomial.hermite_e.hermegauss(n_nodes)
    log_w = np.log(weights / np.sqrt(2 * np.pi))
    start = fit_polr(y, x)
    theta0 = np.concatenate([start.beta, start.zeta, [np.log(0.5)]])

    def f(t: np.ndarray) -> float:
        return _clmm_negll(t, y, x, codes, n_groups, nodes, log_w)

    res = minimize(f, theta0, method="BFGS", options={"gtol": 1e-7, "maxiter": 5000})
    res = minimize(f, res.x, method="Nelder-Mead",
                   options={"xatol": 1e-9, "fatol": 1e-12, "maxiter": 20000})  # fmt: skip
    theta = res.x
    q = len(theta)
    h = 1e-4
    hess = np.zeros((q, q))
    f0 = f(theta)
    for i in range(q):
        for j in range(i, q):
            ei, ej = np.eye(q)[i] * h, np.eye(q)[j] * h
            val = (f(theta + ei + ej) - f(theta + ei - ej) - f(theta - ei + ej)
                   + f(theta - ei - ej)) / (4 * h * h)  # fmt: skip
            hess[i, j] = hess[j, i] = val
    grad = np.array([(f(theta + np.eye(q)[i] * h) - f(theta - np.eye(q)[i] * h)) / (2 * h)
                     for i in range(q)])  # fmt: skip
    p = x.shape[1]
    return MixedOrdinalFit(
        beta=theta[:p],
        zeta=theta[p:-1],
        sd=float(np.exp(theta[-1])),
        vcov=np.asarray(np.linalg.inv(hess)),
        loglik=-f0,
        n_obs=len(y),
        n_groups=n_groups,
        n_nodes=n_nodes,
        converged=bool(np.max(np.abs(grad)) < 1e-3),
    )
