# =============================================================================
# r_change.R -- paired two-wave change statistics on small hand-written data;
# writes results_change.py
# =============================================================================
# Run from the repository root:
#     R --vanilla -q -f tests/stats/results/r_change.R \
#         > tests/stats/results/r_change.Rout 2>&1
# Debian packages: r-base-core r-cran-coin r-cran-lme4
#
# All data are defined literally below and repeated literally (as generated
# Python literals) in results_change.py. NA = stage not assessed at that wave.
#   waves   : 12 businesses C01..C12 x 3 stages, baseline x_sK, follow-up y_sK
#             s1: only 5 complete pairs (C01..C05), |d| = 5, 4, 1, 3, 2 -- no
#                 ties and no zeros, so the exact signed-rank test applies
#                 (with levels 0-5, |d| has only 5 possible non-zero values)
#             s2, s3: 10 complete pairs each, 3 zero differences, tied |d|
#   d = y - x (follow-up minus baseline) throughout; pairs with an NA at either
#   wave are dropped (complete pairs only).
#   tables  : square baseline (rows) x follow-up (columns) count tables
#   long    : mean scores of 14 businesses D01..D14 at wave 0 and 1; D12..D14
#             are missing at follow-up (rows absent), so 25 rows
# Nothing here is random (coin's exact distributions are computed exactly).
# =============================================================================
source(file.path("tests", "stats", "results", "r_common.R"))
suppressPackageStartupMessages({
  library(coin)
  library(lme4)
})
set.seed(20070101)

# ---- data (literal) ----------------------------------------------------------
business <- sprintf("C%02d", 1:12)
x_s1 <- c(0L, 1L, 3L, 2L, 1L, 2L, NA, 4L, NA, 3L, NA, 1L)
y_s1 <- c(5L, 5L, 2L, 5L, 3L, NA, 3L, NA, 2L, NA, 4L, NA)
x_s2 <- c(1L, 2L, 0L, 3L, 2L, 1L, 4L, 2L, NA, 1L, 3L, 0L)
y_s2 <- c(2L, 3L, 0L, 4L, 2L, 3L, 4L, 1L, 2L, NA, 5L, 1L)
x_s3 <- c(2L, 3L, 1L, 0L, 4L, 2L, 1L, 3L, 2L, 5L, NA, 1L)
y_s3 <- c(3L, 3L, 2L, 2L, 3L, 2L, 3L, 4L, NA, 4L, 2L, 1L)

t3 <- matrix(c(6L, 5L, 1L,
               2L, 7L, 4L,
               0L, 1L, 4L), 3, byrow = TRUE)
t4 <- matrix(c(3L, 4L, 1L, 0L,
               1L, 5L, 3L, 1L,
               0L, 2L, 4L, 3L,
               1L, 0L, 1L, 2L), 4, byrow = TRUE)
# t4 with the (1,4)/(4,1) pair emptied: an off-diagonal pair with no counts
t4_empty_pair <- matrix(c(3L, 4L, 1L, 0L,
                          1L, 5L, 3L, 1L,
                          0L, 2L, 4L, 3L,
                          0L, 0L, 1L, 2L), 4, byrow = TRUE)
# level 3 observed at neither wave: row 3 and column 3 all zero
t4_zero_level <- matrix(c(4L, 3L, 0L, 1L,
                          1L, 6L, 0L, 2L,
                          0L, 0L, 0L, 0L,
                          0L, 1L, 0L, 3L), 4, byrow = TRUE)
# the same counts with the unused level moved to the end (row 4 / column 4 zero)
t4_zero_last <- matrix(c(4L, 3L, 1L, 0L,
                         1L, 6L, 2L, 0L,
                         0L, 1L, 3L, 0L,
                         0L, 0L, 0L, 0L), 4, byrow = TRUE)
# level 1 used at follow-up but by nobody at baseline: row 1 all zero only
t4_zero_row <- matrix(c(0L, 0L, 0L, 0L,
                        2L, 5L, 1L, 0L,
                        1L, 2L, 4L, 2L,
                        0L, 1L, 2L, 3L), 4, byrow = TRUE)

long_business <- c(sprintf("D%02d", 1:14), sprintf("D%02d", 1:11))
long_wave <- c(rep(0L, 14), rep(1L, 11))
long_score <- c(1.8, 2.4, 1.1, 3.0, 2.2, 1.6, 2.9, 0.8, 2.0, 3.4, 1.3, 2.6, 1.9, 2.1,
                2.5, 2.6, 1.9, 3.3, 2.0, 2.4, 3.5, 1.6, 2.7, 3.6, 1.5)
long <- data.frame(business = factor(long_business), wave = long_wave, score = long_score)

py_open("change",
        c("R reference values: paired two-wave change statistics on hand-written data.",
          "",
          "The data are literal below (``x_sK`` baseline, ``y_sK`` follow-up for stage K of",
          "businesses C01..C12; None = not assessed), d = y - x, and a pair with a None at",
          "either wave is dropped. Tables are baseline (rows) x follow-up (columns) counts."),
        c("stats", "coin", "lme4", "Matrix"))

# ---- data into the module ------------------------------------------------------
py_comment("---- data (literal, as in r_change.R) ----")
emit("business", "business", business)
for (nm in c("x_s1", "y_s1", "x_s2", "y_s2", "x_s3", "y_s3")) {
  v <- get(nm)
  # integer NA -> None in a plain list, so the Python side sees the blanks
  emit(nm, nm, value = as_pylist(v))
}
for (nm in c("t3", "t4", "t4_empty_pair", "t4_zero_level", "t4_zero_last", "t4_zero_row")) {
  emit(nm, nm, value = get(nm))
}
emit("long_business", "long_business", long_business)
emit("long_wave", "long_wave", long_wave)
emit("long_score", "long_score", long_score)
py_blank()

# ---- signed-rank tests -----------------------------------------------------------
pair_ok <- function(x, y) !is.na(x) & !is.na(y)
rank_biserial <- function(d, zero = c("wilcoxon", "pratt")) {
  zero <- match.arg(zero)
  if (zero == "wilcoxon") {
    d <- d[d != 0]
    r <- rank(abs(d))
  } else {
    r <- rank(abs(d))
    r <- r[d != 0]
    d <- d[d != 0]
  }
  tp <- sum(r[d > 0]); tm <- sum(r[d < 0])
  c(t_plus = tp, t_minus = tm, r = (tp - tm) / (tp + tm))
}

for (s in c("s1", "s2", "s3")) {
  x <- get(paste0("x_", s)); y <- get(paste0("y_", s))
  ok <- pair_ok(x, y)
  xs <- x[ok]; ys <- y[ok]; d <- ys - xs
  assign(paste0("d_", s), d)
  py_comment(sprintf("---- stage %s: paired signed-rank tests (complete pairs) ----", s))
  emit(paste0("d_", s), sprintf("(y_%s - x_%s)[!is.na(x_%s) & !is.na(y_%s)]", s, s, s, s), d)
  emit(paste0("n_pairs_", s), sprintf("sum(!is.na(x_%s) & !is.na(y_%s))", s, s), sum(ok))
  emit(paste0("n_zero_", s), sprintf("sum(d_%s == 0)", s), sum(d == 0))

  # exact=TRUE (only exact when no ties/zeros)
  call <- sprintf("wilcox.test(y_%s, x_%s, paired = TRUE, exact = TRUE)", s, s)
  w <- capture(wilcox.test(ys, xs, paired = TRUE, exact = TRUE))
  print(w$value)
  emit(paste0("wilcox_exact_", s), paste0(call, "  # statistic V, p.value"),
       list(statistic = unname(w$value$statistic), p_value = w$value$p.value))
  emit_conditions(paste0("wilcox_exact_", s), w, call)
  if (length(w$warnings)) {
    py_comment("with ties or zeros R does NOT compute the exact p: the value above is the normal ",
               "approximation with continuity correction (same as exact = FALSE, correct = TRUE)")
  }

  call <- sprintf("wilcox.test(y_%s, x_%s, paired = TRUE, exact = FALSE, correct = FALSE)", s, s)
  w <- capture(wilcox.test(ys, xs, paired = TRUE, exact = FALSE, correct = FALSE))
  emit(paste0("wilcox_normal_", s), paste0(call, "  # statistic V, p.value"),
       list(statistic = unname(w$value$statistic), p_value = w$value$p.value))
  emit_conditions(paste0("wilcox_normal_", s), w, call)

  call <- sprintf("wilcox.test(y_%s, x_%s, paired = TRUE, exact = FALSE, correct = TRUE)", s, s)
  w <- capture(wilcox.test(ys, xs, paired = TRUE, exact = FALSE, correct = TRUE))
  emit(paste0("wilcox_normal_cc_", s), paste0(call, "  # statistic V, p.value"),
       list(statistic = unname(w$value$statistic), p_value = w$value$p.value))

  # coin, exact and asymptotic, both zero methods
  dd <- data.frame(x = xs, y = ys)
  for (zm in c("Pratt", "Wilcoxon")) {
    for (dist in c("exact", "asymptotic")) {
      call <- sprintf(paste0("coin::wilcoxsign_test(y ~ x, data = data.frame(x = x_%s, y = y_%s)",
                             "[complete pairs], distribution = \"%s\", zero.method = \"%s\")"),
                      s, s, dist, zm)
      ct <- capture(wilcoxsign_test(y ~ x, data = dd, distribution = dist, zero.method = zm))
      if (dist == "exact") print(ct$value)
      emit(sprintf("coin_%s_%s_%s", tolower(zm), dist, s),
           paste0(call, "  # pvalue(), statistic(\"standardized\"), statistic(\"linear\")"),
           list(p_value = pvalue(ct$value),
                z = unname(statistic(ct$value, type = "standardized"))[1],
                linear = unname(statistic(ct$value, type = "linear"))[1]))
      if (length(ct$warnings) || !is.null(ct$error)) {
        emit_conditions(sprintf("coin_%s_%s_%s", tolower(zm), dist, s), ct, call)
      }
    }
  }
  rb <- rank_biserial(d, "wilcoxon")
  emit(paste0("rank_biserial_", s),
       sprintf(paste0("d <- d_%s[d_%s != 0]; rk <- rank(abs(d)); tp <- sum(rk[d > 0]); ",
                      "tm <- sum(rk[d < 0]); c(tp, tm, (tp - tm) / (tp + tm))"), s, s),
       list(t_plus = unname(rb["t_plus"]), t_minus = unname(rb["t_minus"]),
            r = unname(rb["r"])))
  rbp <- rank_biserial(d, "pratt")
  emit(paste0("rank_biserial_pratt_", s),
       sprintf(paste0("rk <- rank(abs(d_%s)); nz <- d_%s != 0; tp <- sum(rk[nz & d_%s > 0]); ",
                      "tm <- sum(rk[nz & d_%s < 0]); c(tp, tm, (tp - tm) / (tp + tm))"),
               s, s, s, s),
       list(t_plus = unname(rbp["t_plus"]), t_minus = unname(rbp["t_minus"]),
            r = unname(rbp["r"])))
  py_blank()
}
py_comment("matched-pairs rank-biserial correlation (Kerby 2014; King & Minium): drop zero ",
           "differences, rank |d| (average ranks for ties), T+ = sum of ranks of d > 0, ",
           "T- = sum of ranks of d < 0, r = (T+ - T-) / (T+ + T-); equivalently ",
           "r = 4 T+ / (n (n + 1)) - 1 with n = number of non-zero d when there are no zeros ",
           "dropped from the ranking. The *_pratt variant ranks |d| with the zeros included ",
           "and then drops the zeros' ranks. T+ equals wilcox.test's V (zeros dropped).")
py_comment("coin's wilcoxsign_test(y ~ x) works on d = y - x (same orientation as ",
           "wilcox.test(y, x, paired = TRUE)): z > 0 when follow-up is higher. Its linear ",
           "statistic is T+ -- with zero.method = \"Wilcoxon\" the zeros are dropped before ",
           "ranking (linear == V of wilcox.test); with \"Pratt\" |d| is ranked with the zeros ",
           "included and the zeros' ranks then dropped (linear == rank_biserial_pratt t_plus). ",
           "The exact p-values are computed by coin's shift algorithm, exactly, with ties.")
py_blank()

# ---- Bowker (mcnemar.test) and Stuart-Maxwell ------------------------------------
stuart_maxwell <- function(tab) {
  k <- nrow(tab)
  rs <- rowSums(tab); cs <- colSums(tab)
  d <- (rs - cs)[-k]
  S <- -(tab + t(tab))
  diag(S) <- rs + cs - 2 * diag(tab)
  S <- S[-k, -k, drop = FALSE]
  chi2 <- as.numeric(t(d) %*% solve(S, d))
  list(d = unname(d), S = unname(S), statistic = chi2, df = k - 1L,
       p_value = pchisq(chi2, k - 1, lower.tail = FALSE))
}
bowker_dropping_empty <- function(tab) {
  up <- upper.tri(tab)
  num <- (tab - t(tab))[up]^2
  den <- (tab + t(tab))[up]
  keep <- den > 0
  stat <- sum(num[keep] / den[keep])
  list(statistic = stat, df = sum(keep),
       p_value = pchisq(stat, sum(keep), lower.tail = FALSE))
}

py_comment("---- Bowker's test of symmetry: mcnemar.test(tab) ----")
py_comment("statistic = sum over i < j of (n_ij - n_ji)^2 / (n_ij + n_ji), df = k (k - 1) / 2. ",
           "An off-diagonal pair with n_ij + n_ji = 0 gives 0/0 = NaN in R, so the statistic ",
           "and p are NaN (R does not drop the pair). bowker_dropped_* drop such pairs by hand ",
           "(df = number of non-empty pairs).")
py_comment("Stuart-Maxwell by hand: d = (row sums - column sums)[-k], S[i,i] = r_i + c_i - ",
           "2 n_ii, S[i,j] = -(n_ij + n_ji), chi2 = d' S^-1 d (solve(S, d)), df = k - 1. ",
           "coin::mh_test(as.table(tab)) is the same marginal-homogeneity test inside coin's ",
           "permutation framework; its asymptotic statistic is given as a cross-check.")
for (nm in c("t3", "t4", "t4_empty_pair", "t4_zero_level", "t4_zero_last", "t4_zero_row")) {
  tab <- get(nm)
  call <- sprintf("mcnemar.test(%s)", nm)
  b <- capture(mcnemar.test(tab))
  print(b$value)
  emit(paste0("bowker_", nm), paste0(call, "  # statistic, parameter (df), p.value"),
       list(statistic = unname(b$value$statistic), df = as.integer(b$value$parameter),
            p_value = b$value$p.value))
  if (length(b$warnings)) emit_conditions(paste0("bowker_", nm), b, call)
  bd <- bowker_dropping_empty(tab)
  emit(paste0("bowker_dropped_", nm),
       sprintf(paste0("up <- upper.tri(%s); den <- (%s + t(%s))[up]; k <- den > 0; ",
                      "stat <- sum(((%s - t(%s))[up]^2)[k] / den[k]); ",
                      "c(stat, sum(k), pchisq(stat, sum(k), lower.tail = FALSE))"),
               nm, nm, nm, nm, nm),
       list(statistic = bd$statistic, df = as.integer(bd$df), p_value = bd$p_value))
  call <- sprintf("stuart_maxwell(%s)  # by hand, see the function in r_change.R", nm)
  sm <- capture(stuart_maxwell(tab))
  if (is.null(sm$error)) {
    emit(paste0("stuart_maxwell_", nm), paste0(call, ": d, S, chi2, df, p"),
         list(d = sm$value$d, S = sm$value$S, statistic = sm$value$statistic,
              df = sm$value$df, p_value = sm$value$p_value))
  } else {
    emit_conditions(paste0("stuart_maxwell_", nm), sm, call)
  }
  mh <- capture(mh_test(as.table(tab)))
  call <- sprintf("coin::mh_test(as.table(%s))  # statistic(), df, pvalue()", nm)
  if (is.null(mh$error)) {
    print(mh$value)
    emit(paste0("coin_mh_", nm), call,
         list(statistic = unname(statistic(mh$value)),
              df = as.integer(mh$value@statistic@df),
              p_value = pvalue(mh$value)))
  }
  if (length(mh$warnings) || !is.null(mh$error)) emit_conditions(paste0("coin_mh_", nm), mh, call)
}
# the zero level dropped: the 3x3 table that remains
t4_zero_level_dropped <- t4_zero_level[-3, -3]
emit("t4_zero_level_dropped", "t4_zero_level[-3, -3]", t4_zero_level_dropped)
sm <- stuart_maxwell(t4_zero_level_dropped)
emit("stuart_maxwell_t4_zero_level_dropped",
     "stuart_maxwell(t4_zero_level[-3, -3])  # by hand: d, S, chi2, df, p",
     list(d = sm$d, S = sm$S, statistic = sm$statistic, df = sm$df, p_value = sm$p_value))
b <- mcnemar.test(t4_zero_level_dropped)
emit("bowker_t4_zero_level_dropped", "mcnemar.test(t4_zero_level[-3, -3])",
     list(statistic = unname(b$statistic), df = as.integer(b$parameter), p_value = b$p.value))
py_comment("WHAT HAPPENS WITH AN ALL-ZERO LEVEL: if a level is used at neither wave, S is ",
           "singular whichever level is dropped and solve() stops: t4_zero_level (level 3 ",
           "unused: S has a zero row and column, 'exactly singular') and t4_zero_last (the ",
           "same counts with the unused level last: the k - 1 kept rows of S then sum to zero, ",
           "'computationally singular', rcond ~1e-17). The sound rule is to drop levels unused ",
           "at both waves first: stuart_maxwell_t4_zero_level_dropped (3 x 3, df = 2), which is ",
           "what coin::mh_test reports for both tables (it drops empty levels itself). A ",
           "level used at only one wave (t4_zero_row: nobody at level 1 at baseline) is ",
           "harmless for Stuart-Maxwell. For Bowker, every pair with n_ij + n_ji = 0 makes R's ",
           "statistic NaN (t4_empty_pair, t4_zero_level, t4_zero_last, t4_zero_row); ",
           "bowker_dropped_* give the drop-empty-pairs version.")
py_blank()

# ---- lme4::lmer random-intercept model ----------------------------------------------
py_comment("---- lme4::lmer(score ~ wave + (1 | business), REML = TRUE) on `long` ----")
py_comment("long = data.frame(business = factor(long_business), wave = long_wave (0/1 numeric), ",
           "score = long_score); 25 rows, 14 businesses, D12..D14 have no follow-up row. ",
           "lme4 optimises theta with bobyqa/Nelder-Mead: expect agreement to ~1e-6 relative, ",
           "not to the last digit.")
fit <- lmer(score ~ wave + (1 | business), data = long, REML = TRUE)
print(summary(fit))
vc <- as.data.frame(VarCorr(fit))
emit("lmer_fixef", "lme4::fixef(fit)  # (Intercept), wave", unname(fixef(fit)))
emit("lmer_fixef_se", "sqrt(diag(as.matrix(vcov(fit))))", unname(sqrt(diag(as.matrix(vcov(fit))))))
emit("lmer_fixef_t", "coef(summary(fit))[, \"t value\"]", unname(coef(summary(fit))[, "t value"]))
emit("lmer_var_business", "as.data.frame(VarCorr(fit))$vcov[1]  # random-intercept variance",
     vc$vcov[1])
emit("lmer_var_residual", "as.data.frame(VarCorr(fit))$vcov[2]  # == sigma(fit)^2", vc$vcov[2])
emit("lmer_sigma", "sigma(fit)", sigma(fit))
emit("lmer_theta", "lme4::getME(fit, \"theta\")  # sd ratio", unname(getME(fit, "theta")))
emit("lmer_reml_criterion", "lme4::REMLcrit(fit)  # -2 * REML log-likelihood", REMLcrit(fit))
emit("lmer_loglik", "as.numeric(logLik(fit))  # REML log-likelihood", as.numeric(logLik(fit)))
emit("lmer_nobs", "nobs(fit)", as.integer(nobs(fit)))
emit("lmer_ngroups", "lme4::ngrps(fit)", as.integer(ngrps(fit)))
emit("lmer_messages", "fit@optinfo$conv$lme4$messages", {
  m <- fit@optinfo$conv$lme4$messages
  m <- if (is.null(m)) character(0) else m
  attr(m, "as_list") <- TRUE
  m
})
fit_ml <- lmer(score ~ wave + (1 | business), data = long, REML = FALSE)
emit("lmer_ml_fixef", "lme4::fixef(lmer(score ~ wave + (1 | business), long, REML = FALSE))",
     unname(fixef(fit_ml)))
emit("lmer_ml_fixef_se", "sqrt(diag(as.matrix(vcov(fit_ml))))",
     unname(sqrt(diag(as.matrix(vcov(fit_ml))))))
emit("lmer_ml_var_business", "as.data.frame(VarCorr(fit_ml))$vcov[1]",
     as.data.frame(VarCorr(fit_ml))$vcov[1])
emit("lmer_ml_var_residual", "as.data.frame(VarCorr(fit_ml))$vcov[2]",
     as.data.frame(VarCorr(fit_ml))$vcov[2])
emit("lmer_ml_loglik", "as.numeric(logLik(fit_ml))", as.numeric(logLik(fit_ml)))

py_close()
sessionInfo()
