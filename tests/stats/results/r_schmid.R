# =============================================================================
# r_schmid.R -- multi-factor minres fits, oblimin rotations, Schmid-Leiman
# solutions and hierarchical omega (psych::fa, psych::schmid, psych::omega);
# writes results_schmid.py
# =============================================================================
# Run from the repository root:
#     R --vanilla -q -f tests/stats/results/r_schmid.R \
#         > tests/stats/results/r_schmid.Rout 2>&1
# Debian packages: r-base-core r-cran-psych r-cran-gparotation
#
# DATA: (1) `x` = the 12 complete cases of data/raw/customer_wise_2007.csv, as in
# r_reliability.R (recorded there as results_reliability.x); its 3-factor
# solution is an ultra-Heywood case. (2) psych::Thurstone, a well-conditioned
# 9 x 9 correlation matrix (n.obs = 213), the classic omega example. (3)
# psych::Bechtoldt.1 (17 x 17, n.obs = 212) with 4 factors (the general factor
# from a one-factor fit of a 4 x 4 Phi). Nothing here is random.
# =============================================================================
source(file.path("tests", "stats", "results", "r_common.R"))
suppressPackageStartupMessages({
  library(psych)
  library(GPArotation)
})
set.seed(20070101)  # nothing below is random; set anyway

t4 <- read_table4()
stage_cols <- paste0("stage_", 1:10)
x <- t4[complete.cases(t4[, stage_cols]), stage_cols]
rownames(x) <- t4$business_id[complete.cases(t4[, stage_cols])]

py_open("schmid",
        c("R reference values: multi-factor minres, oblimin and Schmid-Leiman (psych::omega).",
          "",
          "Data: ``x`` = the 12 complete cases of the Table 4 stages (as",
          "``results_reliability.x``); ``psych::Thurstone`` (9 x 9, n.obs = 213) and",
          "``psych::Bechtoldt.1`` (17 x 17, n.obs = 212), recorded below. Every psych call",
          "uses fm = \"minres\" and rotate = \"oblimin\" unless it says otherwise. psych's",
          "optimiser (L-BFGS-B, default factr) and rotations (eps = 1e-5) stop early: expect",
          "agreement to ~1e-5 with a tightly converged fit, ~1e-4 in the ultra-Heywood case.",
          "The ``*_tight`` values repeat psych's steps with each iterated to convergence."),
        c("psych", "GPArotation"))

# m: the matrix, names without dimnames
um <- function(m) { m <- unclass(m); dimnames(m) <- NULL; m }

# ---- Table 4, 3 factors ---------------------------------------------------------
py_comment("---- Table 4 complete cases (x), 3 factors ----")
f0 <- capture(fa(x, 3, rotate = "none", fm = "minres"))
emit("t4_fa3_loadings", "unclass(psych::fa(x, 3, rotate = \"none\", fm = \"minres\")$loadings)",
     um(f0$value$loadings))
emit("t4_fa3_communality", "psych::fa(x, 3, rotate = \"none\")$communality  # diag(L L')",
     unname(f0$value$communality))
emit("t4_fa3_psi", "1 - psych::fa(x, 3, rotate = \"none\")$communalities  # optim's par",
     unname(1 - f0$value$communalities),
     note = "psych's fitted uniquenesses (optim's par); stage_5 sits on the lower bound 0.005")
emit("t4_fa3_dof", "psych::fa(x, 3, rotate = \"none\")$dof", f0$value$dof)
emit_conditions("t4_fa3", f0, "psych::fa(x, 3, rotate = \"none\")")
fu <- capture(fa(x, 3, rotate = "none", fm = "uls"))
emit("t4_uls3_communality", "psych::fa(x, 3, rotate = \"none\", fm = \"uls\")$communality",
     unname(fu$value$communality),
     note = paste("fm = \"uls\": the same gradient as minres with the matching objective",
                  "||R - diag(psi) - L L'||^2, which this package minimises"))
# psych's minres gradient (FAgr.minres) with its matching objective, the sum of squared
# dropped eigenvalues of R - diag(psi), run by optim to convergence (factr = 1)
uls_tight <- function(R, nf) {
  obj <- function(psi) { e <- eigen(R - diag(psi), symmetric = TRUE)$values
                         sum(e[-(1:nf)]^2) + sum(pmin(e[1:nf], 0)^2) }
  grd <- function(psi) { e <- eigen(R - diag(psi), symmetric = TRUE)
                         L <- e$vectors[, 1:nf] %*% diag(sqrt(pmax(e$values[1:nf], 0)))
                         2 * (rowSums(L^2) + psi - diag(R)) }
  res <- optim(1 - smc(R), obj, grd, method = "L-BFGS-B", lower = 0.005, upper = 1,
               control = list(factr = 1, pgtol = 0, maxit = 10000))
  e <- eigen(R - diag(res$par), symmetric = TRUE)
  L <- e$vectors[, 1:nf] %*% diag(sqrt(pmax(e$values[1:nf], 0)))
  list(psi = res$par, communality = rowSums(L^2), convergence = res$convergence)
}
ut <- uls_tight(cor(x), 3)
emit("t4_uls_tight_communality", "uls_tight(cor(x), 3)$communality  # see r_schmid.R",
     ut$communality,
     note = paste("psych's minres gradient with its matching objective, optim(factr = 1):",
                  "what this package computes"))
emit("t4_uls_tight_psi", "uls_tight(cor(x), 3)$psi", ut$psi)
emit("t4_uls_tight_convergence", "uls_tight(cor(x), 3)$convergence", ut$convergence,
     note = paste("52 = L-BFGS-B's 'abnormal termination in line search': with factr = 1 it",
                  "stops only when no step improves the objective in double precision"))
utt <- uls_tight(as.matrix(Thurstone), 3)
emit("thurstone_uls_tight_communality", "uls_tight(Thurstone, 3)$communality", utt$communality)
fo <- capture(fa(x, 3, rotate = "oblimin", fm = "minres"))
emit("t4_oblimin3_loadings", "unclass(psych::fa(x, 3, rotate = \"oblimin\")$loadings)",
     um(fo$value$loadings))
emit("t4_oblimin3_phi", "psych::fa(x, 3, rotate = \"oblimin\")$Phi", um(fo$value$Phi))
o3 <- capture(omega(x, plot = FALSE))
s3 <- o3$value$schmid
emit("t4_omega3_orthog", "psych::omega(x)$schmid$orthog  # varimax loadings", um(s3$orthog))
emit("t4_omega3_oblique", "psych::omega(x)$schmid$oblique  # oblimin pattern, unsorted",
     um(s3$oblique))
emit("t4_omega3_phi", "psych::omega(x)$schmid$phi", um(s3$phi))
emit("t4_omega3_gloading", "as.vector(psych::omega(x)$schmid$gloading)",
     as.vector(s3$gloading))
emit("t4_omega3_sl", "psych::omega(x)$schmid$sl  # cols g, F1*, F2*, F3*, h2, u2, p2",
     um(s3$sl))
py_comment("the two rotations alone, iterated tightly in R, from R's own loadings (GPArotation ",
           "stalls near a gradient norm of 1e-8 and may warn that it used all maxit steps)")
vt <- capture(stats::varimax(unclass(f0$value$loadings), eps = 1e-14))
emit("t4_varimax_tight", "unclass(stats::varimax(L0, eps = 1e-14)$loadings)  # L0 = the fa3 loadings",
     um(vt$value$loadings))
ot <- capture(GPArotation::oblimin(s3$orthog, eps = 1e-7, maxit = 5000))
emit("t4_oblimin_tight_loadings", "GPArotation::oblimin(orthog, eps = 1e-7, maxit = 5000)$loadings",
     um(ot$value$loadings))
emit("t4_oblimin_tight_phi", "GPArotation::oblimin(orthog, eps = 1e-7, maxit = 5000)$Phi",
     um(ot$value$Phi))
emit_conditions("t4_oblimin_tight", ot, "GPArotation::oblimin(orthog, eps = 1e-7, maxit = 5000)")
# psych::omega's arithmetic with every step converged: uls_tight's loadings, psych's
# column convention, stats::varimax(eps = 1e-14), GPArotation::oblimin(eps = 1e-7), and the
# exactly identified one-factor loadings of the 3 x 3 Phi (what fa(Phi) estimates)
omega_tight <- function(R, nf = 3) {
  ut <- uls_tight(R, nf)
  e <- eigen(R - diag(ut$psi), symmetric = TRUE)
  L <- e$vectors[, 1:nf] %*% diag(sqrt(pmax(e$values[1:nf], 0)))
  L <- L %*% diag(sign(colSums(L)))
  V <- unclass(stats::varimax(L, eps = 1e-14)$loadings)
  V <- V %*% diag(sign(colSums(V)))
  V <- V[, order(colSums(V^2), decreasing = TRUE)]
  ob <- GPArotation::oblimin(V, eps = 1e-7, maxit = 5000)
  P <- ob$loadings; Phi <- ob$Phi
  g1 <- sqrt(Phi[1, 2] * Phi[1, 3] / Phi[2, 3])
  gam <- c(g1, Phi[1, 2] / g1, Phi[1, 3] / g1)
  if (sum(gam) < 0) gam <- -gam
  g <- drop(P %*% gam)
  key <- ifelse(g < 0, -1, 1)
  Rk <- diag(key) %*% R %*% diag(key)
  u2 <- 1 - rowSums(V^2)
  gsq <- sum(abs(g))^2
  list(g = abs(g), gamma = gam, omega_h = gsq / sum(Rk),
       omega_tot = (sum(Rk) - sum(u2)) / sum(Rk), omega_lim = gsq / (sum(Rk) - sum(u2)))
}
otight <- omega_tight(cor(x))
py_comment("psych::omega(x)'s arithmetic with every step converged (omega_tight() in r_schmid.R)")
emit("t4_tight_gamma", "omega_tight(cor(x))$gamma", otight$gamma)
emit("t4_tight_g", "omega_tight(cor(x))$g", otight$g)
emit("t4_tight_hierarchical", "omega_tight(cor(x))$omega_h", otight$omega_h)
emit("t4_tight_total", "omega_tight(cor(x))$omega_tot", otight$omega_tot)
emit("t4_tight_limit", "omega_tight(cor(x))$omega_lim", otight$omega_lim)
emit("t4_omega3_hierarchical", "psych::omega(x)$omega_h", o3$value$omega_h)
emit("t4_omega3_total", "psych::omega(x)$omega.tot", o3$value$omega.tot)
emit("t4_omega3_limit", "psych::omega(x)$omega.lim", o3$value$omega.lim)
emit("t4_omega3_key", "psych::omega(x)$key", unname(o3$value$key))
emit_conditions("t4_omega3", o3, "psych::omega(x)")
py_blank()

# ---- Table 4, 2 factors ---------------------------------------------------------
py_comment(paste("---- Table 4, 2 factors: psych sets the general loadings of the two factors",
                 "equal (option = \"equal\", sqrt(phi_12)) and says 'Three factors are required",
                 "for identification' (a message, not a warning) ----"))
o2 <- capture(omega(x, nfactors = 2, plot = FALSE))
s2 <- o2$value$schmid
emit("t4_omega2_phi", "psych::omega(x, nfactors = 2)$schmid$phi", um(s2$phi))
emit("t4_omega2_gloading", "as.vector(psych::omega(x, nfactors = 2)$schmid$gloading)",
     as.vector(s2$gloading))
emit("t4_omega2_sl", "psych::omega(x, nfactors = 2)$schmid$sl  # g, F1*, F2*, h2, u2, p2",
     um(s2$sl))
emit("t4_omega2_hierarchical", "psych::omega(x, nfactors = 2)$omega_h", o2$value$omega_h)
emit("t4_omega2_total", "psych::omega(x, nfactors = 2)$omega.tot", o2$value$omega.tot)
emit("t4_omega2_limit", "psych::omega(x, nfactors = 2)$omega.lim", o2$value$omega.lim)
emit_conditions("t4_omega2", o2, "psych::omega(x, nfactors = 2)")
py_blank()

# ---- Thurstone --------------------------------------------------------------------
py_comment("---- psych::Thurstone (9 x 9, n.obs = 213), well conditioned ----")
emit("thurstone_names", "colnames(psych::Thurstone)", colnames(Thurstone))
emit("thurstone", "unname(as.matrix(psych::Thurstone))", um(as.matrix(Thurstone)))
th0 <- capture(fa(Thurstone, 3, n.obs = 213, rotate = "none"))
emit("thurstone_fa3_loadings",
     "unclass(psych::fa(Thurstone, 3, n.obs = 213, rotate = \"none\")$loadings)",
     um(th0$value$loadings))
emit("thurstone_fa3_communality",
     "psych::fa(Thurstone, 3, n.obs = 213, rotate = \"none\")$communality",
     unname(th0$value$communality))
emit("thurstone_fa3_psi",
     "1 - psych::fa(Thurstone, 3, n.obs = 213, rotate = \"none\")$communalities",
     unname(1 - th0$value$communalities))
emit_conditions("thurstone_fa3", th0, "psych::fa(Thurstone, 3, n.obs = 213, rotate = \"none\")")
tho <- capture(fa(Thurstone, 3, n.obs = 213, rotate = "oblimin"))
emit("thurstone_oblimin3_loadings",
     "unclass(psych::fa(Thurstone, 3, n.obs = 213, rotate = \"oblimin\")$loadings)",
     um(tho$value$loadings))
emit("thurstone_oblimin3_phi", "psych::fa(Thurstone, 3, n.obs = 213, rotate = \"oblimin\")$Phi",
     um(tho$value$Phi))
tho3 <- capture(omega(Thurstone, n.obs = 213, plot = FALSE))
ts3 <- tho3$value$schmid
emit("thurstone_omega3_phi", "psych::omega(Thurstone, n.obs = 213)$schmid$phi", um(ts3$phi))
emit("thurstone_omega3_gloading",
     "as.vector(psych::omega(Thurstone, n.obs = 213)$schmid$gloading)", as.vector(ts3$gloading))
emit("thurstone_omega3_sl", "psych::omega(Thurstone, n.obs = 213)$schmid$sl  # g, F1*..F3*, h2, u2, p2",
     um(ts3$sl))
emit("thurstone_omega3_hierarchical", "psych::omega(Thurstone, n.obs = 213)$omega_h",
     tho3$value$omega_h)
emit("thurstone_omega3_total", "psych::omega(Thurstone, n.obs = 213)$omega.tot",
     tho3$value$omega.tot)
emit("thurstone_omega3_limit", "psych::omega(Thurstone, n.obs = 213)$omega.lim",
     tho3$value$omega.lim)
emit_conditions("thurstone_omega3", tho3, "psych::omega(Thurstone, n.obs = 213)")
tho2 <- capture(omega(Thurstone, nfactors = 2, n.obs = 213, plot = FALSE))
ts2 <- tho2$value$schmid
emit("thurstone_omega2_phi", "psych::omega(Thurstone, nfactors = 2, n.obs = 213)$schmid$phi",
     um(ts2$phi))
emit("thurstone_omega2_sl",
     "psych::omega(Thurstone, nfactors = 2, n.obs = 213)$schmid$sl  # g, F1*, F2*, h2, u2, p2",
     um(ts2$sl))
emit("thurstone_omega2_hierarchical",
     "psych::omega(Thurstone, nfactors = 2, n.obs = 213)$omega_h", tho2$value$omega_h)
emit("thurstone_omega2_total",
     "psych::omega(Thurstone, nfactors = 2, n.obs = 213)$omega.tot", tho2$value$omega.tot)
emit("thurstone_omega2_limit",
     "psych::omega(Thurstone, nfactors = 2, n.obs = 213)$omega.lim", tho2$value$omega.lim)
emit_conditions("thurstone_omega2", tho2, "psych::omega(Thurstone, nfactors = 2, n.obs = 213)")
# one item reversed: psych reflects it back (flip = TRUE) before computing omega
key <- c(-1, rep(1, 8))
thr <- diag(key) %*% as.matrix(Thurstone) %*% diag(key)
dimnames(thr) <- dimnames(Thurstone)
py_comment("Thurstone with Sentences reversed: thr <- diag(key) %*% Thurstone %*% diag(key), ",
           "key = c(-1, rep(1, 8)); psych reflects it back (flip = TRUE)")
thf <- capture(omega(thr, n.obs = 213, plot = FALSE))
emit("thurstone_reversed_key", "psych::omega(thr, n.obs = 213)$key", unname(thf$value$key))
emit("thurstone_reversed_g", "psych::omega(thr, n.obs = 213)$schmid$sl[, \"g\"]",
     unname(thf$value$schmid$sl[, "g"]))
emit("thurstone_reversed_hierarchical", "psych::omega(thr, n.obs = 213)$omega_h",
     thf$value$omega_h)
emit("thurstone_reversed_total", "psych::omega(thr, n.obs = 213)$omega.tot",
     thf$value$omega.tot)
emit_conditions("thurstone_reversed", thf, "psych::omega(thr, n.obs = 213)")
py_blank()

# ---- Bechtoldt.1, 4 factors ------------------------------------------------------
py_comment("---- psych::Bechtoldt.1 (17 x 17, n.obs = 212), 4 factors ----")
emit("bechtoldt", "unname(as.matrix(psych::Bechtoldt.1))", um(as.matrix(Bechtoldt.1)))
b4 <- capture(omega(Bechtoldt.1, nfactors = 4, n.obs = 212, plot = FALSE))
emit("bechtoldt_omega4_gloading",
     "as.vector(psych::omega(Bechtoldt.1, nfactors = 4, n.obs = 212)$schmid$gloading)",
     as.vector(b4$value$schmid$gloading))
emit("bechtoldt_omega4_g", "psych::omega(Bechtoldt.1, nfactors = 4, n.obs = 212)$schmid$sl[, \"g\"]",
     unname(b4$value$schmid$sl[, "g"]))
emit("bechtoldt_omega4_hierarchical",
     "psych::omega(Bechtoldt.1, nfactors = 4, n.obs = 212)$omega_h", b4$value$omega_h)
emit("bechtoldt_omega4_total",
     "psych::omega(Bechtoldt.1, nfactors = 4, n.obs = 212)$omega.tot", b4$value$omega.tot)
emit("bechtoldt_omega4_limit",
     "psych::omega(Bechtoldt.1, nfactors = 4, n.obs = 212)$omega.lim", b4$value$omega.lim)
emit_conditions("bechtoldt_omega4", b4, "psych::omega(Bechtoldt.1, nfactors = 4, n.obs = 212)")

py_close()
print(o3$value)
print(tho3$value)
sessionInfo()
