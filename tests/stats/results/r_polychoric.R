# =============================================================================
# r_polychoric.R -- two-step polychoric correlations solved tightly, their
# standard errors, and one-factor ML omega on the Table 4 complete cases;
# writes results_polychoric.py
# =============================================================================
# Run from the repository root:
#     R --vanilla -q -f tests/stats/results/r_polychoric.R \
#         > tests/stats/results/r_polychoric.Rout 2>&1
# Debian packages: r-base-core r-cran-psych r-cran-polycor
#
# polycor::polychor(ML = FALSE) and psych::polychoric find rho with optimise()'s
# default tolerance (~1.2e-4), so their rho are accurate to ~1e-4 only
# (results_reliability.py). Here the same two-step likelihood (polycor's own
# binBvn, thresholds qnorm(cumsum(table)/n)) is maximised with tol = 1e-12, so
# an implementation can be checked to ~1e-8. Nothing here is random.
# =============================================================================
source(file.path("tests", "stats", "results", "r_common.R"))
suppressPackageStartupMessages({
  library(polycor)
  library(psych)
})

t4 <- read_table4()
stage_cols <- paste0("stage_", 1:10)
x <- t4[complete.cases(t4[, stage_cols]), stage_cols]

negll <- function(rho, a, b) {
  tab <- table(a, b)
  n <- sum(tab)
  rc <- qnorm(cumsum(rowSums(tab)) / n)[-nrow(tab)]
  cc <- qnorm(cumsum(colSums(tab)) / n)[-ncol(tab)]
  P <- polycor:::binBvn(rho, rc, cc)
  -sum(tab * log(P))
}
tight <- function(a, b) optimize(function(r) negll(r, a, b), c(-0.9999, 0.9999), tol = 1e-12)$minimum

py_open("polychoric",
        c("R reference values: two-step polychoric correlations of the Table 4 stages, solved tightly.",
          "",
          "Data: the 12 complete cases of ``data/raw/customer_wise_2007.csv`` (``x`` of",
          "results_reliability.py). The two-step likelihood is polycor's (thresholds from the",
          "margins, mvtnorm bivariate normal cell probabilities), maximised over rho in",
          "[-0.9999, 0.9999] with optimize(tol = 1e-12)."),
        c("polycor", "psych", "mvtnorm"))

py_comment("---- tight two-step rho for every pair (upper triangle, row-major: (1,2), (1,3), ...) ----")
rho <- matrix(1, 10, 10)
for (i in 1:9) for (j in (i + 1):10) rho[i, j] <- rho[j, i] <- tight(x[[i]], x[[j]])
emit("rho_tight", paste("R[i, j] <- optimize(function(r) negll(r, x[[i]], x[[j]]), c(-0.9999, 0.9999),",
                        "tol = 1e-12)$minimum  # negll = -sum(tab * log(polycor:::binBvn(r, rc, cc)))"),
     rho)
py_comment("stage_6 x stage_7: the likelihood is nearly flat towards 1; the tight maximum is the one ",
           "recorded, any value near the bound is within the optimiser's reach.")
emit("loglik_tight", "-negll(R[i, j], x[[i]], x[[j]]) for the same pairs (matrix)",
     {L <- matrix(0, 10, 10); for (i in 1:9) for (j in (i + 1):10) L[i, j] <- L[j, i] <- -negll(rho[i, j], x[[i]], x[[j]]); L})
emit("loglik_default", "-negll(polycor::polychor(x[[i]], x[[j]]), x[[i]], x[[j]])  # optimise() default tol",
     {L <- matrix(0, 10, 10); for (i in 1:9) for (j in (i + 1):10) L[i, j] <- L[j, i] <- -negll(suppressWarnings(polychor(x[[i]], x[[j]])), x[[i]], x[[j]]); L})
py_blank()

py_comment("---- standard error of the two-step rho ----")
py_comment("polychor(ML = FALSE, std.err = TRUE) takes var = 1/hessian from optim(BFGS)'s numerical ",
           "hessian (step 1e-3); the central second difference with h = 1e-4 at the tight rho follows.")
pairs <- list(c(1, 3), c(5, 6), c(7, 8), c(1, 9), c(2, 4), c(4, 10))
for (pr in pairs) {
  i <- pr[1]; j <- pr[2]
  key <- paste0("s", i, "_s", j)
  p2 <- polychor(x[[i]], x[[j]], ML = FALSE, std.err = TRUE)
  emit(paste0("se_polychor_", key),
       sprintf("sqrt(polycor::polychor(x$stage_%d, x$stage_%d, ML = FALSE, std.err = TRUE)$var)", i, j),
       sqrt(p2$var[1, 1]))
  r0 <- rho[i, j]; h <- 1e-4
  d2 <- (negll(r0 + h, x[[i]], x[[j]]) - 2 * negll(r0, x[[i]], x[[j]]) + negll(r0 - h, x[[i]], x[[j]])) / h^2
  emit(paste0("se_tight_", key),
       sprintf("r0 <- R[%d, %d]; 1/sqrt((negll(r0 + 1e-4) - 2 negll(r0) + negll(r0 - 1e-4)) / 1e-8)", i, j),
       1 / sqrt(d2))
}
py_blank()

py_comment("---- psych::fa one-factor minres on the tight polychoric matrix (unsmoothed: min eigenvalue) ----")
emit("rho_tight_min_eigenvalue", "min(eigen(R)$values)", min(eigen(rho)$values))
py_blank()
py_comment("---- one-factor omega with maximum-likelihood loadings (fm = \"ml\"), Pearson on x ----")
py_comment("the project notes' 0.8594 (omega total) and 0.8633 (model-implied) are these ML values; ",
           "psych's default fm = \"minres\" gives omega1_total in results_reliability.py.")
om <- suppressWarnings(omega(x, nfactors = 1, fm = "ml", plot = FALSE))
emit("omega1_ml_total", "psych::omega(x, nfactors = 1, fm = \"ml\")$omega.tot", om$omega.tot)
lml <- as.vector(fa(cor(x), nfactors = 1, fm = "ml")$loadings)
emit("omega1_ml_loadings", "as.vector(psych::fa(cor(x), nfactors = 1, fm = \"ml\")$loadings)", lml)
emit("omega1_ml_model_implied", "sum(l)^2 / (sum(l)^2 + sum(1 - l^2))  # l = omega1_ml_loadings",
     sum(lml)^2 / (sum(lml)^2 + sum(1 - lml^2)))
py_close()
sessionInfo()
