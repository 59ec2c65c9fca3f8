# =============================================================================
# r_change_ordinal.R -- proportional-odds model of stage levels on the wave
# (MASS::polr) with business-clustered SEs, on the literal two-wave data of
# results_change.py (stages s1..s3 of businesses C01..C12); writes
# results_change_ordinal.py
# =============================================================================
# Run from the repository root:
#     R --vanilla -q -f tests/stats/results/r_change_ordinal.R \
#         > tests/stats/results/r_change_ordinal.Rout 2>&1
# Debian packages: r-base-core r-cran-mass r-cran-sandwich r-cran-lmtest
#
# DATA PREPARATION (long form): one row per business x wave x stage, in the order
# business C01..C12, then wave (baseline 0, follow-up 1), then stage s1, s2, s3;
# rows whose level is NA (not assessed) are dropped. level = factor(level,
# levels = 0:5, ordered = TRUE) (all six levels occur); predictor followup = 0/1.
# G = 12 clusters (businesses). Nothing here is random.
# =============================================================================
source(file.path("tests", "stats", "results", "r_common.R"))
suppressPackageStartupMessages({
  library(MASS)
  library(sandwich)
  library(lmtest)
})

py_open("change_ordinal",
        c("R reference values: proportional-odds model of stage levels on the wave (MASS::polr),",
          "with cluster-robust (by business) standard errors, on the data of results_change.py.",
          "",
          "polr's parameterisation: logit P(Y <= k) = zeta_k - beta * followup. Its optimiser is",
          "optim BFGS, so agreement is ~1e-6 relative for coefficients; the *_tight values refit",
          "with reltol = 1e-15."),
        c("MASS", "sandwich", "lmtest"))

business <- sprintf("C%02d", 1:12)
x <- list(
  s1 = c(0, 1, 3, 2, 1, 2, NA, 4, NA, 3, NA, 1),
  s2 = c(1, 2, 0, 3, 2, 1, 4, 2, NA, 1, 3, 0),
  s3 = c(2, 3, 1, 0, 4, 2, 1, 3, 2, 5, NA, 1)
)
y <- list(
  s1 = c(5, 5, 2, 5, 3, NA, 3, NA, 2, NA, 4, NA),
  s2 = c(2, 3, 0, 4, 2, 3, 4, 1, 2, NA, 5, 1),
  s3 = c(3, 3, 2, 2, 3, 2, 3, 4, NA, 4, 2, 1)
)
rows <- list()
for (i in seq_along(business)) {
  for (w in 0:1) {
    for (s in c("s1", "s2", "s3")) {
      lv <- if (w == 0) x[[s]][i] else y[[s]][i]
      if (!is.na(lv)) rows[[length(rows) + 1]] <- data.frame(business = business[i],
                                                             followup = w, stage = s, level = lv)
    }
  }
}
long <- do.call(rbind, rows)
long$level <- factor(long$level, levels = 0:5, ordered = TRUE)
emit("long_business", "long$business", long$business)
emit("long_followup", "long$followup", as.integer(long$followup))
emit("long_level", "as.integer(as.character(long$level))", as.integer(as.character(long$level)))
emit("n_obs", "nrow(long)", nrow(long))

fit <- polr(level ~ followup, data = long, Hess = TRUE)
print(summary(fit, digits = 8))
emit("polr_coef", "coef(MASS::polr(level ~ followup, data = long, Hess = TRUE))",
     unname(coef(fit)))
emit("polr_zeta", "fit$zeta  # 0|1 ... 4|5", unname(fit$zeta))
emit("polr_loglik", "as.numeric(logLik(fit))", as.numeric(logLik(fit)))
emit("polr_se_naive", "sqrt(diag(vcov(fit)))  # followup, then the zetas", unname(sqrt(diag(vcov(fit)))))

tight <- polr(level ~ followup, data = long, Hess = TRUE, control = list(reltol = 1e-15))
emit("polr_coef_tight", "coef(polr(level ~ followup, data = long, Hess = TRUE, control = list(reltol = 1e-15)))",
     unname(coef(tight)))
emit("polr_zeta_tight", "tight$zeta", unname(tight$zeta))
emit("polr_loglik_tight", "as.numeric(logLik(tight))", as.numeric(logLik(tight)))

V <- vcovCL(tight, cluster = ~business, type = "HC1")
emit("polr_se_cluster_hc1_tight",
     "sqrt(diag(sandwich::vcovCL(tight, cluster = ~business, type = \"HC1\")))  # followup, zetas",
     unname(sqrt(diag(V))))
ct <- coeftest(tight, vcov = V, df = 11)
print(ct)
emit("polr_coeftest_followup_tight",
     "lmtest::coeftest(tight, vcov = V, df = 11)[\"followup\", ]  # estimate, se, t, p",
     unname(ct["followup", ]))

py_close()
sessionInfo()
