# =============================================================================
# r_reliability.R -- omega, alpha, polychoric correlations and ordinal alpha on
# the Table 4 complete cases; writes results_reliability.py
# =============================================================================
# Run from the repository root:
#     R --vanilla -q -f tests/stats/results/r_reliability.R \
#         > tests/stats/results/r_reliability.Rout 2>&1
# Debian packages: r-base-core r-cran-psych r-cran-gparotation r-cran-polycor
#
# DATA: data/raw/customer_wise_2007.csv read with na.strings = "" (a blank is
# "stage not assessed" = NA, never 0); rows are businesses B01..B16 in file
# order; columns "1".."10" are stage_1..stage_10. `x` = the 12 complete cases
# (all 10 stages assessed): B02, B03, B07..B16. Nothing here is random.
# =============================================================================
source(file.path("tests", "stats", "results", "r_common.R"))
suppressPackageStartupMessages({
  library(psych)
  library(GPArotation)
  library(polycor)
})
options(mc.cores = 1)  # psych::polychoric uses parallel::mclapply; keep it serial
set.seed(20070101)     # nothing below is random; set anyway

t4 <- read_table4()
stage_cols <- paste0("stage_", 1:10)
x <- t4[complete.cases(t4[, stage_cols]), stage_cols]
rownames(x) <- t4$business_id[complete.cases(t4[, stage_cols])]
print(x)

py_open("reliability",
        c("R reference values: reliability of the 10 Table 4 stages (complete cases).",
          "",
          "Data: ``data/raw/customer_wise_2007.csv`` with blanks as NA; the 12 businesses",
          "with all 10 stages assessed (``x`` below, rows in file order). psych's ``omega``",
          "uses its defaults fm=\"minres\", rotate=\"oblimin\", poly=FALSE (Pearson correlations",
          "of the levels), Schmid-Leiman on a 3-factor (or 1-factor) solution."),
        c("psych", "GPArotation", "polycor"))

py_comment("---- data ----")
emit("business_ids", "rownames(x)")
emit("stage_names", "colnames(x)")
emit("x", "as.matrix(x)  # 12 x 10, rows = business_ids, cols = stage_names",
     value = { m <- as.matrix(x); storage.mode(m) <- "integer"; unname(m) })
emit("level_counts", "t(sapply(x, function(v) table(factor(v, levels = 0:5))))  # stage x level",
     value = { m <- t(sapply(x, function(v) table(factor(v, levels = 0:5))))
               storage.mode(m) <- "integer"; unname(m) })
py_comment("stage_3 never uses level 0; stage_4 and stage_10 never use level 5; stage_6 and ",
           "stage_7 never use level 4.")
py_blank()

# ---- psych::alpha --------------------------------------------------------------
py_comment("---- psych::alpha on the raw levels ----")
a <- capture(alpha(x))
emit("alpha_raw", "psych::alpha(x)$total$raw_alpha", a$value$total$raw_alpha)
emit("alpha_std", "psych::alpha(x)$total$std.alpha", a$value$total$std.alpha)
emit_conditions("alpha", a, "psych::alpha(x)")
py_blank()

# ---- psych::omega ---------------------------------------------------------------
py_comment("---- psych::omega, default nfactors = 3 (fm = \"minres\", rotate = \"oblimin\") ----")
o3 <- capture(omega(x, plot = FALSE))
print(o3$value)
emit("omega3_total", "psych::omega(x)$omega.tot", o3$value$omega.tot)
emit("omega3_hierarchical", "psych::omega(x)$omega_h", o3$value$omega_h)
emit("omega3_alpha", "psych::omega(x)$alpha", o3$value$alpha)
emit("omega3_limit", "psych::omega(x)$omega.lim", o3$value$omega.lim)
emit("omega3_general_loadings", "psych::omega(x)$schmid$sl[, \"g\"]",
     unname(o3$value$schmid$sl[, "g"]))
emit_conditions("omega3", o3, "psych::omega(x)")
py_comment("an ultra-Heywood case in the 3-factor minres solution: 12 observations for 10 items ",
           "and 3 factors is far too few; the 3-factor omega values are R's numbers, not a ",
           "well-determined estimate (compare them with a tolerance no tighter than ~1e-6 -- ",
           "they come from an iterative fit and an oblimin rotation).")
py_blank()

py_comment("---- psych::omega, nfactors = 1 ----")
o1 <- capture(omega(x, nfactors = 1, plot = FALSE))
print(o1$value)
emit("omega1_total", "psych::omega(x, nfactors = 1)$omega.tot", o1$value$omega.tot)
emit("omega1_hierarchical", "psych::omega(x, nfactors = 1)$omega_h", o1$value$omega_h,
     note = paste("psych says 'Omega_h for 1 factor is not meaningful, just omega_t'; its",
                  "omega_h here is the value it nevertheless returns, (sum l)^2 / sum(R),",
                  "which differs from omega.tot = 1 - sum(1 - l^2) / sum(R) (see by-hand",
                  "values below)."))
emit("omega1_loadings", "psych::omega(x, nfactors = 1)$schmid$sl[, \"g\"]",
     unname(o1$value$schmid$sl[, "g"]))
emit_conditions("omega1", o1, "psych::omega(x, nfactors = 1)")
# the 1-factor omegas by hand from the minres loadings l, uniquenesses 1 - l^2
R <- cor(x)
f1 <- fa(R, nfactors = 1, fm = "minres", n.obs = nrow(x))
l <- as.vector(f1$loadings)
emit("omega1_loadings_fa", "as.vector(psych::fa(cor(x), nfactors = 1, fm = \"minres\")$loadings)", l)
py_comment("by hand, l = omega1_loadings_fa, R = cor(x) (Pearson, 12 complete cases):")
emit("omega1_total_by_hand", "1 - sum(1 - l^2) / sum(R)  # == psych's omega.tot", 1 - sum(1 - l^2) / sum(R))
emit("omega1_h_by_hand", "sum(l)^2 / sum(R)  # == psych's 1-factor omega_h", sum(l)^2 / sum(R))
emit("omega1_model_implied", "sum(l)^2 / (sum(l)^2 + sum(1 - l^2))  # model-implied total variance",
     sum(l)^2 / (sum(l)^2 + sum(1 - l^2)),
     note = paste("McDonald's omega with the model-implied total variance (not what psych",
                  "reports; given for implementations that use it)"))
py_blank()

# ---- psych::polychoric -----------------------------------------------------------
py_comment("---- psych::polychoric (two-step: thresholds from the margins, then rho) ----")
p0 <- capture(polychoric(x, correct = 0))
print(p0$value)
emit("polychoric_c0_rho", "psych::polychoric(x, correct = 0)$rho",
     unname(p0$value$rho),
     note = paste("smooth = TRUE (default): the pairwise matrix was not positive definite, so",
                  "psych::cor.smooth was applied; see polychoric_c0_rho_unsmoothed for the raw",
                  "pairwise estimates."))
emit("polychoric_c0_tau", "psych::polychoric(x, correct = 0)$tau",
     unname(p0$value$tau),
     note = paste("rows = stages, cols = thresholds 1..5 (between levels 0|1 .. 4|5), qnorm of",
                  "the cumulative proportions; an unused level gives a repeated threshold or",
                  "-Inf / Inf (global is set to FALSE because the stages do not all use 6",
                  "levels)."))
emit_conditions("polychoric_c0", p0, "psych::polychoric(x, correct = 0)")
p0u <- capture(polychoric(x, correct = 0, smooth = FALSE))
emit("polychoric_c0_rho_unsmoothed", "psych::polychoric(x, correct = 0, smooth = FALSE)$rho",
     unname(p0u$value$rho))
emit("polychoric_c0_rho_unsmoothed_min_eigenvalue",
     "min(eigen(psych::polychoric(x, correct = 0, smooth = FALSE)$rho)$values)",
     min(eigen(p0u$value$rho)$values))
emit_conditions("polychoric_c0_unsmoothed", p0u,
                "psych::polychoric(x, correct = 0, smooth = FALSE)")
py_blank()

py_comment("the default continuity correction (correct = 0.5) on all 10 stages FAILS in psych 2.2.9:")
pdef <- capture(polychoric(x))
emit("polychoric_default_rho", "psych::polychoric(x)$rho",
     if (is.null(pdef$value)) NULL else unname(pdef$value$rho))
emit_conditions("polychoric_default", pdef, "psych::polychoric(x)")
# which pairs fail
fails <- character(0)
for (i in 1:9) for (j in (i + 1):10) {
  r <- capture(polychoric(x[, c(i, j)]))
  if (!is.null(r$error)) fails <- c(fails, paste(stage_cols[i], stage_cols[j]))
}
emit("polychoric_default_failing_pairs",
     "pairs (i, j) for which psych::polychoric(x[, c(i, j)]) stops with an error", fails,
     note = paste("every failing pair involves stage_4 or stage_10 -- the two stages whose",
                  "highest observed level is 4, not 5. psych then decides the items 'do not",
                  "have an equal number of response alternatives' and sets global = FALSE; only",
                  "then is `correct` used: each empty cell of the pair's table becomes",
                  "correct/n, the table sums to more than 1, a cumulative margin exceeds 1,",
                  "qnorm gives NaN and the integration-limit check errors. With global = TRUE",
                  "`correct` is ignored, so on the other 8 stages (x8) the default (0.5) and",
                  "correct = 0 give identical matrices; polychoric(x8, global = FALSE) with",
                  "correct = 0.5 fails the same way (recorded below)."))
x8 <- x[, setdiff(stage_cols, c("stage_4", "stage_10"))]
p8 <- capture(polychoric(x8))
emit("stage_names_8", "colnames(x8)  # x8 <- x[, setdiff(colnames(x), c(\"stage_4\", \"stage_10\"))]",
     colnames(x8))
emit("polychoric_default_x8_rho", "psych::polychoric(x8)$rho  # correct = 0.5",
     unname(p8$value$rho))
emit("polychoric_default_x8_tau", "psych::polychoric(x8)$tau", unname(p8$value$tau))
emit_conditions("polychoric_default_x8", p8, "psych::polychoric(x8)")
p8l <- capture(polychoric(x8, global = FALSE))
emit_conditions("polychoric_default_x8_local", p8l, "psych::polychoric(x8, global = FALSE)")
p8u <- capture(polychoric(x8, smooth = FALSE))
emit("polychoric_default_x8_rho_unsmoothed", "psych::polychoric(x8, smooth = FALSE)$rho",
     unname(p8u$value$rho))
p80 <- capture(polychoric(x8, correct = 0))
emit("polychoric_c0_x8_rho", "psych::polychoric(x8, correct = 0)$rho", unname(p80$value$rho))
emit_conditions("polychoric_c0_x8", p80, "psych::polychoric(x8, correct = 0)")
py_blank()

# ---- ordinal alpha (Zumbo, Gadermann & Zeisser 2007) ------------------------------
py_comment("---- ordinal alpha (Zumbo et al. 2007): alpha of the polychoric matrix ----")
py_comment("for a correlation matrix raw_alpha == std.alpha == k/(k-1) * (1 - k/sum(R))")
oa <- capture(alpha(p0$value$rho))
emit("ordinal_alpha_c0", "psych::alpha(psych::polychoric(x, correct = 0)$rho)$total$raw_alpha",
     oa$value$total$raw_alpha)
emit("ordinal_alpha_c0_std", "psych::alpha(psych::polychoric(x, correct = 0)$rho)$total$std.alpha",
     oa$value$total$std.alpha)
emit_conditions("ordinal_alpha_c0", oa, "psych::alpha(psych::polychoric(x, correct = 0)$rho)")
kk <- ncol(x)
emit("ordinal_alpha_c0_by_hand", "R <- psych::polychoric(x, correct = 0)$rho; k <- 10; k/(k-1) * (1 - k/sum(R))",
     kk / (kk - 1) * (1 - kk / sum(p0$value$rho)))
emit("ordinal_alpha_c0_unsmoothed_by_hand",
     "R <- psych::polychoric(x, correct = 0, smooth = FALSE)$rho; k/(k-1) * (1 - k/sum(R))",
     kk / (kk - 1) * (1 - kk / sum(p0u$value$rho)))
oa8 <- capture(alpha(p8$value$rho))
emit("ordinal_alpha_default_x8", "psych::alpha(psych::polychoric(x8)$rho)$total$raw_alpha",
     oa8$value$total$raw_alpha)
oa80 <- capture(alpha(p80$value$rho))
emit("ordinal_alpha_c0_x8", "psych::alpha(psych::polychoric(x8, correct = 0)$rho)$total$raw_alpha",
     oa80$value$total$raw_alpha)
emit("alpha_raw_x8", "psych::alpha(x8)$total$raw_alpha", alpha(x8)$total$raw_alpha)
py_blank()

# ---- polycor::polychor, ML with standard errors --------------------------------------
py_comment("---- polycor::polychor(a, b, ML = TRUE, std.err = TRUE) for stage pairs ----")
py_comment("joint ML of rho and both threshold sets (optim BFGS, numerical Hessian for the ",
           "covariance): agreement with another optimiser is ~1e-5 relative at best. Levels ",
           "not used by a stage are dropped by polychor (table of the observed values), so the ",
           "number of thresholds = number of observed levels - 1. var is ordered (rho, ",
           "row thresholds, column thresholds); the first stage of a pair is the row variable. ",
           "chisq/df/p = the test of bivariate normality.")
pairs <- list(c("stage_1", "stage_3"), c("stage_5", "stage_6"), c("stage_7", "stage_8"),
              c("stage_1", "stage_9"), c("stage_6", "stage_7"))
pc <- list()
for (pr in pairs) {
  key <- paste0(sub("stage_", "s", pr[1]), "_", sub("stage_", "s", pr[2]))
  call <- sprintf("polycor::polychor(x$%s, x$%s, ML = TRUE, std.err = TRUE)", pr[1], pr[2])
  r <- capture(polychor(x[[pr[1]]], x[[pr[2]]], ML = TRUE, std.err = TRUE))
  if (!is.null(r$value)) print(r$value)
  if (is.null(r$error)) {
    v <- r$value
    pc[[key]] <- list(rows = pr[1], cols = pr[2], rho = v$rho, se_rho = sqrt(v$var[1, 1]),
                      row_cuts = unname(v$row.cuts), col_cuts = unname(v$col.cuts),
                      se_all = unname(sqrt(diag(v$var))),
                      chisq = v$chisq, df = as.integer(v$df),
                      p_normality = pchisq(v$chisq, v$df, lower.tail = FALSE))
    emit(paste0("polychor_ml_", key),
         paste0(call, "  # rho, sqrt(var[1,1]), row.cuts, col.cuts, sqrt(diag(var)), chisq, df,",
                " pchisq(chisq, df, lower.tail = FALSE)"), value = pc[[key]])
  }
  emit_conditions(paste0("polychor_ml_", key), r, call)
  two <- capture(polychor(x[[pr[1]]], x[[pr[2]]], ML = FALSE))
  emit(paste0("polychor_2step_", key),
       sprintf("polycor::polychor(x$%s, x$%s, ML = FALSE)  # two-step rho", pr[1], pr[2]),
       if (is.null(two$value)) NULL else two$value)
  if (length(two$warnings) || !is.null(two$error)) {
    emit_conditions(paste0("polychor_2step_", key), two,
                    sprintf("polycor::polychor(x$%s, x$%s, ML = FALSE)", pr[1], pr[2]))
  }
}
py_comment("stage_6 x stage_7 (polychoric rho ~0.96, near the boundary): the ML fit fails ",
           "(error above); its two-step estimate is given.")

py_close()
sessionInfo()
