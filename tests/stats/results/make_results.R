# =============================================================================
# make_results.R -- every R reference value of tests/stats/results/
# =============================================================================
# The array-level statistics (cma_research.stats) on small data: the Table 4
# complete cases (reliability, polychoric correlations, factor analysis and
# Schmid-Leiman), psych's Thurstone and Bechtoldt.1, MASS::housing and exact
# permutations. Sections, each writing one module:
#   results_resampling.py    all 8! permutations (cor of ranks, tau-b, r)
#   results_reliability.py   psych::omega (1 and 3 factors), psych::polychoric,
#                            ordinal alpha, polycor::polychor on the 12 x 10 x
#   results_polychoric.py    two-step polychoric correlations solved tightly,
#                            omega from the ML one-factor model
#   results_schmid.py        psych::fa, rotations, schmid, omega internals
#   results_ordinal.py       MASS::polr on MASS::housing
#   results_clustered.py     shares pooled over businesses: boot (business
#                            resamples, seeded) and geepack's sandwich SE
#   results_mokken.py        Loevinger's H from its definitions (covariances of
#                            sorted items; Guttman errors on dichotomous items)
#   results_rasch.py         eRm::PCM (CML) on eRm's pcmdat2
# Debian packages: r-base-core r-cran-psych r-cran-gparotation r-cran-polycor
#                  r-cran-mass r-cran-geepack r-cran-erm (boot ships with R)
# Run from the repository root (R >= 4.2; the packages below, from Debian):
#     R --vanilla -q -f tests/stats/results/make_results.R \
#         > tests/stats/results/make_results.Rout 2>&1
# It writes every results_*.py of this folder (see README.md); tests/stats/results/make_results.Rout
# is the console output: the script echoed, every recorded value, sessionInfo().
# Each section is a local({ ... }) block, so no section sees another's variables;
# values shared between sections are passed in `shared`. Nothing here is random
# except the business bootstrap of results_clustered.py (seeded: same output every run).
# =============================================================================
source(file.path("tests", "results_writer.R"))
SCRIPT <- "tests/stats/results/make_results.R"
RESULTS_DIR <- dirname(SCRIPT)
py_open_topic <- function(topic, docstring, packages) {
  py_open(file.path(RESULTS_DIR, paste0("results_", topic, ".py")), docstring, packages, SCRIPT)
}
shared <- new.env()  # values one section records and a later one compares with
options(mc.cores = 1)  # psych::polychoric uses parallel::mclapply; keep it serial
set.seed(20070101)     # nothing below is random; set anyway

# ==== results_resampling.py: exact permutation p-values (all 8! orderings) ====
local({
  t4 <- read_table4()
  stages <- as.matrix(t4[, paste0("stage_", 1:10)])
  storage.mode(stages) <- "double"
  ids <- t4$business_id
  staff <- as.numeric(t4$staff)
  cc <- complete.cases(stages)
  mean_cc <- rowMeans(stages[cc, , drop = FALSE])
  staff_cc <- staff[cc]
  # own recursive generator: all permutations of 1..n as rows of a matrix
  perms_of <- function(v) {
    if (length(v) <= 1) return(matrix(v, nrow = 1))
    out <- vector("list", length(v))
    for (i in seq_along(v)) out[[i]] <- cbind(v[i], perms_of(v[-i]))
    do.call(rbind, out)
  }
  x8 <- unname(mean_cc[1:8]); y8 <- staff_cc[1:8]
  P <- perms_of(1:8)
  stopifnot(nrow(P) == factorial(8), nrow(unique(P)) == factorial(8))
  rx <- rank(x8)  # average ranks
  spear <- function(y) cor(rx, rank(y))
  kend <- function(y) cor(x8, y, method = "kendall")  # tau-b
  pear <- function(y) cor(x8, y)
  perm_test <- function(f) {
    obs <- f(y8)
    stat <- apply(P, 1, function(idx) f(y8[idx]))
    list(observed = obs, p_two_sided = mean(abs(stat) >= abs(obs) - 1e-12),
         n_permutations = length(stat), n_extreme = sum(abs(stat) >= abs(obs) - 1e-12))
  }

  py_open_topic("resampling",
                c("R reference values: exact permutation p-values (all 8! orderings).",
                  "",
                  "Data: ``data/raw/customer_wise_2007.csv`` (blanks are NA, never 0); x = the mean",
                  "level of the first 8 complete cases (file order), y = their staff."),
                c("stats"))
  py_comment("---- x = mean_cc of the first 8 complete cases, y = their staff ----")
  py_comment("P <- perms_of(1:8): the script's own recursive generator, 40320 rows. ",
             "p = mean(abs(stat_perm) >= abs(stat_obs) - 1e-12), observed arrangement included.")
  emit("business", "ids[cc][1:8]", as_list(ids[cc][1:8]))
  emit("x_mean_cc", "x8 <- unname(rowMeans(stages[cc, ])[1:8])", as_pylist(x8))
  emit("y_staff", "y8 <- staff[cc][1:8]", as_pylist(y8))
  emit("exact_permutation",
       c("rx <- rank(x8); spear <- function(y) cor(rx, rank(y))  # average ranks",
         "kend <- function(y) cor(x8, y, method = \"kendall\")  # tau-b",
         "pear <- function(y) cor(x8, y)",
         "f = spear, kend, pear: stat <- apply(P, 1, function(idx) f(y8[idx])); obs <- f(y8)",
         paste("list(observed = obs, p_two_sided = mean(abs(stat) >= abs(obs) - 1e-12),",
               "n_permutations = length(stat), n_extreme = sum(abs(stat) >= abs(obs) - 1e-12))")),
       list(spearman = perm_test(spear), kendall = perm_test(kend), pearson = perm_test(pear)))
  py_close()
})

# ==== results_reliability.py: omega, polychoric correlations, ordinal alpha =========
local({
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

  py_open_topic("reliability",
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
  py_comment("psych::alpha(x)$total (raw_alpha, std.alpha): tests/analysis/results/results_reliability.py")
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
})

# ==== results_polychoric.py: two-step polychoric correlations, solved tightly =======
local({
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

  py_open_topic("polychoric",
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
})

# ==== results_schmid.py: factor analysis, rotations, Schmid-Leiman ==================
local({
  suppressPackageStartupMessages({
    library(psych)
    library(GPArotation)
  })
  set.seed(20070101)  # nothing below is random; set anyway

  t4 <- read_table4()
  stage_cols <- paste0("stage_", 1:10)
  x <- t4[complete.cases(t4[, stage_cols]), stage_cols]
  rownames(x) <- t4$business_id[complete.cases(t4[, stage_cols])]

  py_open_topic("schmid",
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
})

# ==== results_ordinal.py: MASS::polr on MASS::housing ===============================
local({
  suppressPackageStartupMessages(library(MASS))

  py_open_topic("ordinal",
          c("R reference values: proportional-odds (cumulative logit) models, MASS::polr.",
            "",
            "polr's parameterisation: logit P(Y <= k) = zeta_k - eta, eta = X beta (no",
            "intercept). Its optimiser is optim BFGS (reltol 1e-8) and vcov() inverts optim's",
            "finite-difference Hessian, so agreement with another implementation is ~1e-6",
            "relative for coefficients and ~1e-5 for SEs; the *_tight values refit with",
            "reltol = 1e-15 for a closer optimum. The same model on Table 4:",
            "``tests/analysis/results/results_models.py``."),
          c("MASS"))

  py_comment("---- MASS::housing: 72 rows; Sat varies fastest, then Infl, Type, Cont ----")
  emit("housing_sat", "as.character(housing$Sat)", as.character(housing$Sat))
  emit("housing_infl", "as.character(housing$Infl)", as.character(housing$Infl))
  emit("housing_type", "as.character(housing$Type)", as.character(housing$Type))
  emit("housing_cont", "as.character(housing$Cont)", as.character(housing$Cont))
  emit("housing_freq", "housing$Freq", as.integer(housing$Freq))
  py_blank()


  # ---- MASS housing ------------------------------------------------------------------
  py_comment("---- MASS::housing (72 rows, weights = Freq, 1681 households) ----")
  py_comment("Sat: Low < Medium < High; Infl: Low, Medium, High; Type: Tower, Apartment, Atrium, ",
             "Terrace; Cont: Low, High (treatment contrasts, first level = reference)")
  fit <- polr(Sat ~ Infl + Type + Cont, weights = Freq, data = housing, Hess = TRUE)
  print(summary(fit, digits = 8))
  emit("housing_coef_names", "names(coef(fit))", names(coef(fit)))
  emit("housing_coef",
       "coef(MASS::polr(Sat ~ Infl + Type + Cont, weights = Freq, data = housing, Hess = TRUE))",
       unname(coef(fit)))
  emit("housing_zeta_names", "names(fit$zeta)", names(fit$zeta))
  emit("housing_zeta", "fit$zeta", unname(fit$zeta))
  emit("housing_se", "sqrt(diag(vcov(fit)))  # coef then zeta order", unname(sqrt(diag(vcov(fit)))))
  emit("housing_loglik", "as.numeric(logLik(fit))", as.numeric(logLik(fit)))
  emit("housing_deviance", "deviance(fit)", deviance(fit))
  emit("housing_aic", "AIC(fit)", AIC(fit))
  emit("housing_df", "attr(logLik(fit), \"df\")", as.integer(attr(logLik(fit), "df")))
  emit("housing_nobs", "sum(housing$Freq)", as.integer(sum(housing$Freq)))
  emit("housing_convergence", "fit$convergence  # 0 = optim converged", as.integer(fit$convergence))
  fit_t <- polr(Sat ~ Infl + Type + Cont, weights = Freq, data = housing, Hess = TRUE,
                control = list(reltol = 1e-15, maxit = 10000))
  emit("housing_coef_tight",
       paste("coef(MASS::polr(Sat ~ Infl + Type + Cont, weights = Freq, data = housing, Hess = TRUE,",
             "control = list(reltol = 1e-15, maxit = 10000)))"), unname(coef(fit_t)))
  emit("housing_zeta_tight", "fit_tight$zeta", unname(fit_t$zeta))
  emit("housing_se_tight", "sqrt(diag(vcov(fit_tight)))", unname(sqrt(diag(vcov(fit_t)))))
  emit("housing_loglik_tight", "as.numeric(logLik(fit_tight))", as.numeric(logLik(fit_t)))
  py_blank()
  py_close()
})

# ==== results_clustered.py: shares pooled over businesses (cluster bootstrap, GEE) ====
local({
  library(boot)
  library(geepack)
  t4 <- read_table4()
  stages <- as.matrix(t4[, paste0("stage_", 1:10)])
  storage.mode(stages) <- "double"
  py_open_topic("clustered",
    c("Shares pooled over the assessments of businesses: cluster bootstrap and GEE.",
      "",
      "Per business of Table 4: ``n`` assessed stages, ``k0`` of them at level 0, ``k01`` at",
      "level 0 or 1. The pooled share is sum(k) / sum(n). ``boot::boot`` resamples",
      "businesses (R = 200000 resamples, seeded: Monte-Carlo values, compare within their",
      "error); ``geepack::geeglm`` gives the deterministic cluster-robust standard error."),
    c("boot", "geepack"))
  n <- rowSums(!is.na(stages))
  k0 <- rowSums(stages == 0, na.rm = TRUE)
  k01 <- rowSums(stages <= 1, na.rm = TRUE)
  emit("n", "n <- rowSums(!is.na(stages))", as_pylist(unname(as.integer(n))))
  emit("k0", "k0 <- rowSums(stages == 0, na.rm = TRUE)", as_pylist(unname(as.integer(k0))))
  emit("k01", "k01 <- rowSums(stages <= 1, na.rm = TRUE)", as_pylist(unname(as.integer(k01))))
  long <- data.frame(business = rep(t4$business_id, 10), level = as.vector(stages))
  long <- long[!is.na(long$level), ]
  long <- long[order(long$business), ]
  for (what in c("k0", "k01")) {
    k <- get(what)
    cut <- if (what == "k0") 0 else 1
    y <- as.numeric(long$level <= cut)
    fit <- geeglm(y ~ 1, family = gaussian, id = factor(long$business), data = long,
                  corstr = "independence")
    emit(paste0(what, "_gee_estimate"),
         sprintf("coef(geeglm(y ~ 1, family = gaussian, id = business, corstr = \"independence\")) # y = level <= %d", cut),
         unname(coef(fit)))
    emit(paste0(what, "_gee_robust_se"), "summary(fit)$coefficients[, \"Std.err\"]  # sandwich",
         unname(summary(fit)$coefficients[, "Std.err"]))
    d <- data.frame(k = k, n = n)
    set.seed(2007)
    b <- boot(d, function(d, i) sum(d$k[i]) / sum(d$n[i]), R = 200000)
    L <- empinf(b, type = "jack")
    ci <- boot.ci(b, type = c("bca", "perc"), L = L)
    emit(paste0(what, "_boot_se"),
         "set.seed(2007); b <- boot(d, function(d, i) sum(d$k[i]) / sum(d$n[i]), R = 200000); sd(b$t)",
         sd(b$t[, 1]))
    emit(paste0(what, "_boot_bca"),
         "boot.ci(b, type = \"bca\", L = empinf(b, type = \"jack\"))$bca[4:5]",
         unname(ci$bca[4:5]))
    emit(paste0(what, "_boot_perc"), "boot.ci(b, type = \"perc\")$percent[4:5]",
         unname(ci$percent[4:5]))
    emit(paste0(what, "_jack_acceleration"), "sum(L^3) / (6 * sum(L^2)^1.5)",
         sum(L^3) / (6 * sum(L^2)^1.5))
  }
  py_blank()
  py_close()
})

# ==== results_mokken.py: Loevinger's H by its definitions (mokken is not in Debian) ====
local({
  t4 <- read_table4()
  stages <- as.matrix(t4[, paste0("stage_", 1:10)])
  storage.mode(stages) <- "double"
  x <- stages[complete.cases(stages), ]
  py_open_topic("mokken",
    c("Loevinger's H of Mokken scale analysis, computed in R from its definitions.",
      "",
      "The R package mokken is not in Debian (and CRAN is not reachable here), so H is",
      "computed by hand: for polytomous items H = sum over pairs of cov(X_i, X_j) divided",
      "by the sum of the covariances of the items each sorted (the largest covariance the",
      "marginals allow; Sijtsma & Molenaar 2002, sect. 4.2; mokken::coefH); for",
      "dichotomous items also from Guttman errors, 1 - sum F_ij / sum E_ij. ``x``: the 12",
      "complete cases of Table 4 (as results_reliability.x)."),
    c("stats"))
  k <- ncol(x)
  cv <- cov(x)
  cvmax <- matrix(NA_real_, k, k)
  for (i in 1:k) for (j in 1:k) cvmax[i, j] <- cov(sort(x[, i]), sort(x[, j]))
  up <- upper.tri(cv)
  emit("table4_H", "sum(cov(x)[upper.tri]) / sum(cvmax[upper.tri])  # cvmax[i, j] = cov(sort(x[, i]), sort(x[, j]))",
       sum(cv[up]) / sum(cvmax[up]))
  off <- !diag(k)
  emit("table4_H_items", "sapply(1:k, function(j) sum(cv[j, -j]) / sum(cvmax[j, -j]))",
       sapply(1:k, function(j) sum(cv[j, -j]) / sum(cvmax[j, -j])))
  hp <- cv / cvmax
  diag(hp) <- NA
  emit("table4_H_pairs", "cov(x) / cvmax  (diagonal NA)", unname(hp))
  # dichotomous example (rows: persons), Guttman errors
  d <- rbind(c(1, 1, 1, 0), c(1, 1, 0, 0), c(1, 0, 1, 0), c(1, 1, 0, 1), c(0, 1, 0, 0),
             c(1, 0, 0, 0), c(0, 0, 0, 0), c(1, 1, 1, 1), c(1, 0, 0, 0), c(0, 0, 1, 0))
  emit("dich", "d  # 10 persons x 4 items", as_rows(d))
  p <- colMeans(d)
  n <- nrow(d)
  Fsum <- 0; Esum <- 0
  for (i in 1:4) for (j in 1:4) if (i < j) {
    easy <- if (p[i] >= p[j]) i else j; hard <- if (easy == i) j else i
    Fsum <- Fsum + sum(d[, easy] == 0 & d[, hard] == 1)
    Esum <- Esum + n * (1 - p[easy]) * p[hard]
  }
  emit("dich_H_guttman", "1 - sum(F) / sum(E)  # F: easy item 0 and hard item 1; E = n (1 - p_easy) p_hard",
       unname(1 - Fsum / Esum))
  cvd <- cov(d); cvdm <- matrix(NA_real_, 4, 4)
  for (i in 1:4) for (j in 1:4) cvdm[i, j] <- cov(sort(d[, i]), sort(d[, j]))
  emit("dich_H_cov", "sum(cov(d)[upper.tri]) / sum(cvmax(d)[upper.tri])",
       sum(cvd[upper.tri(cvd)]) / sum(cvdm[upper.tri(cvdm)]))
  py_blank()
  py_close()
})

# ==== results_rasch.py: the partial-credit model by CML (eRm::PCM) ========================
local({
  library(eRm)
  py_open_topic("rasch",
    c("The partial-credit Rasch model by conditional maximum likelihood, eRm::PCM.",
      "",
      "eRm's own example data ``pcmdat2`` (300 persons, 4 items, categories 0-2):",
      "conditional log-likelihood, item-category easiness parameters (``betapar``, sum0),",
      "thresholds and locations (``thresholds(fit)$threshtable``)."),
    c("eRm"))
  data(pcmdat2)
  emit("pcmdat2", "as.matrix(pcmdat2)  # eRm's example data", as_rows(unname(as.matrix(pcmdat2))))
  fit <- PCM(pcmdat2)
  emit("loglik", "fit <- PCM(pcmdat2); fit$loglik", fit$loglik)
  emit("betapar", "fit$betapar  # I1.c1, I1.c2, ..., I4.c2", unname(fit$betapar))
  tt <- thresholds(fit)$threshtable[[1]]
  emit("thresholds", "thresholds(fit)$threshtable[[1]][, 2:3]", unname(tt[, 2:3]))
  emit("locations", "thresholds(fit)$threshtable[[1]][, 1]", unname(tt[, 1]))
  emit("n_persons_used", "sum(rowSums(pcmdat2) > 0 & rowSums(pcmdat2) < 8)",
       sum(rowSums(pcmdat2) > 0 & rowSums(pcmdat2) < 8))
  py_blank()
  py_close()
})

sessionInfo()
