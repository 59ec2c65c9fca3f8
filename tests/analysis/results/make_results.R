# =============================================================================
# make_results.R -- every R reference value of tests/analysis/results/
# =============================================================================
# The cohort-level analyses (cma_research.analysis) on the bundled first wave
# (data/raw/customer_wise_2007.csv, Table 4 of the 2007 paper) and on small
# hand-written two-wave data. Sections, each writing one module:
#   results_describe.py        the data as R read it; cells at level 0 + CIs
#   results_correlation.py     cor.test of the mean and of each stage with staff,
#                              p.adjust (holm, BH), every pair of stages
#   results_reliability.py     psych::alpha and its Feldt interval
#   results_groups.py          kruskal.test and wilcox.test by EU size band
#   results_models.py          polr(level ~ log(staff)) with sandwich::vcovCL
#                              and coeftest, hand-polished optimum; lm + HC3
#   results_claims.py          the readings of data/raw/customer_wise_2007_claims.yaml
#   results_change.py          hand-written two-wave data: signed-rank tests
#                              (wilcox.test, coin), Bowker, Stuart-Maxwell,
#                              coin::mh_test, lme4::lmer random intercept
#   results_change_ordinal.py  polr(level ~ followup) on two waves, clustered
#   results_power.py           pwr::pwr.r.test, Hmisc::popower / posamsize
#   results_groups_effect.py   effectsize::rank_biserial with its 95% interval
#   results_model_checks.py    Brant's test coded from the paper (glm per split);
#                              clubSandwich CR2 / Satterthwaite of the size OLS
#   results_clmm.py            ordinal::clmm, random intercept per business, stage effects
#   results_imputation.py      mice::quickpred on the stages and log_staff; mice (pmm)
#                              with the package's predictor matrix (seeded, m = 400)
# Debian packages: r-base-core r-cran-psych r-cran-mass r-cran-sandwich
#                  r-cran-lmtest r-cran-clubsandwich r-cran-coin r-cran-lme4
#                  r-cran-pwr r-cran-hmisc r-cran-mice r-cran-effectsize
#                  r-cran-ordinal
# Run from the repository root (R >= 4.2; the packages below, from Debian):
#     R --vanilla -q -f tests/analysis/results/make_results.R \
#         > tests/analysis/results/make_results.Rout 2>&1
# It writes every results_*.py of this folder (see README.md); tests/analysis/results/make_results.Rout
# is the console output: the script echoed, every recorded value, sessionInfo().
# Each section is a local({ ... }) block, so no section sees another's variables;
# values shared between sections are passed in `shared`. Nothing here is random but
# the seeded mice run of results_imputation.py (the same output every run).
# =============================================================================
source(file.path("tests", "results_writer.R"))
SCRIPT <- "tests/analysis/results/make_results.R"
RESULTS_DIR <- dirname(SCRIPT)
py_open_topic <- function(topic, docstring, packages) {
  py_open(file.path(RESULTS_DIR, paste0("results_", topic, ".py")), docstring, packages, SCRIPT)
}
shared <- new.env()  # values one section records and a later one compares with
options(mc.cores = 1)  # psych::polychoric uses parallel::mclapply; keep it serial
set.seed(20070101)     # nothing below is random; set anyway

# ---- the first wave as every section below reads it ----------------------------
# A blank cell is NA (not assessed, never 0); stage_1..stage_10; businesses B01..B16 in
# file order; cc = the 12 complete cases; mean_cc = rowMeans over them; mean_ac =
# rowMeans(na.rm = TRUE) over all 16; log_staff = natural log of "Staff No".
wave1 <- local({
  t4 <- read_table4()
  stages <- as.matrix(t4[, paste0("stage_", 1:10)])
  storage.mode(stages) <- "double"
  rownames(stages) <- t4$business_id
  staff <- as.numeric(t4$staff)
  cc <- complete.cases(stages)
  stopifnot(nrow(stages) == 16, sum(cc) == 12)
  list(t4 = t4, stages = stages, ids = t4$business_id, staff = staff, log_staff = log(staff),
       cc = cc, m_cc = stages[cc, , drop = FALSE], mean_cc = rowMeans(stages[cc, , drop = FALSE]),
       staff_cc = staff[cc], mean_ac = rowMeans(stages, na.rm = TRUE))
})

# ==== results_describe.py: the data as R read it, and cells at level 0 ==========
local({
  list2env(wave1, environment())
  py_open_topic("describe",
                c("R reference values: the first wave as R read it, and the share of cells at level 0.",
                  "",
                  "Data: ``data/raw/customer_wise_2007.csv`` read with ``na.strings = \"\"`` (a blank",
                  "is NA: not assessed, never 0); stage_1..stage_10, businesses B01..B16 in file",
                  "order; ``cc`` = the 12 complete cases."),
                c("stats"))
  py_comment("---- data: one entry per business, file order ----")
  emit("business", "ids <- sprintf(\"B%02d\", seq_len(nrow(raw)))", as_list(ids))
  emit("staff", "staff <- as.numeric(raw[[\"Staff No\"]])", as_pylist(staff))
  emit("business_type", "as.character(raw[[\"Type\"]])", as_list(as.character(t4$business_type)))
  emit("n_assessed", "as.integer(rowSums(!is.na(stages)))",
       as_pylist(as.integer(rowSums(!is.na(stages)))))
  emit("is_complete_case", "cc <- complete.cases(stages)", as_pylist(cc))
  emit("mean_ac", "unname(mean_ac <- rowMeans(stages, na.rm = TRUE))", as_pylist(unname(mean_ac)))
  emit("cc_business", "ids[cc]", as_list(ids[cc]))
  emit("cc_staff", "staff_cc <- staff[cc]", as_pylist(staff_cc))
  emit("mean_cc", "unname(mean_cc <- rowMeans(m_cc <- stages[cc, , drop = FALSE]))",
       as_pylist(unname(mean_cc)))
  emit("n_complete_cases", "sum(cc)", sum(cc))
  emit("n_assessed_cells", "sum(!is.na(stages))", sum(!is.na(stages)))

  py_blank()
  py_comment("---- cells at level 0 per stage and pooled (available case), 95% CIs ----")
  py_comment("x = number of cells at level 0, n = number assessed. binom_test_p is the test of ",
             "p = 0.5, recorded only. prop.test warns for small counts; the warning is suppressed.")
  share <- function(x, n) {
    b <- binom.test(x, n)
    list(x = x, n = n, share = x / n,
         clopper_pearson = as_pylist(as.numeric(b$conf.int)),
         wilson = as_pylist(as.numeric(suppressWarnings(prop.test(x, n, correct = FALSE))$conf.int)),
         binom_test_p = b$p.value)
  }
  by_stage <- lapply(colnames(stages), function(s) {
    v <- stages[, s]; v <- v[!is.na(v)]
    share(sum(v == 0), length(v))
  })
  names(by_stage) <- colnames(stages)
  calls <- c("x <- sum(v == 0); n <- length(v); x / n",
             "as.numeric(binom.test(x, n)$conf.int)  # clopper_pearson",
             "as.numeric(prop.test(x, n, correct = FALSE)$conf.int)  # wilson",
             "binom.test(x, n)$p.value  # binom_test_p")
  emit("level_0_by_stage", c("v <- stages[, s]; v <- v[!is.na(v)]  # for each stage s", calls),
       by_stage)
  allv <- stages[!is.na(stages)]
  emit("level_0_pooled", c("v <- stages[!is.na(stages)]  # every assessed cell", calls),
       share(sum(allv == 0), length(allv)))
  py_close()
  shared$level_0_by_stage <- by_stage
  shared$level_0_pooled <- share(sum(allv == 0), length(allv))
})

# ==== results_correlation.py: cor.test of the mean and of each stage ==============
local({
  list2env(wave1, environment())
  py_open_topic("correlation",
                c("R reference values: correlations on the first wave (cor.test, p.adjust).",
                  "",
                  "Data: ``data/raw/customer_wise_2007.csv`` (blanks are NA, never 0);",
                  "``mean_cc`` = mean level of the 12 complete cases, ``mean_ac`` = mean of the",
                  "assessed stages of all 16 businesses, ``staff`` = \"Staff No\"."),
                c("stats"))
  py_comment("---- correlations of the business mean with staff ----")
  py_comment("Spearman and Kendall with exact = FALSE: t approximation (Spearman, statistic S), ",
             "normal approximation with tie-corrected variance (Kendall tau-b, statistic z); ",
             "Pearson: t with df = n - 2 and the Fisher-z 95% CI. R raised no warnings.")
  pairs <- list(mean_cc_vs_staff = c("mean_cc", "staff_cc"),
                mean_ac_vs_staff = c("mean_ac", "staff"),
                mean_cc_vs_log_staff = c("mean_cc", "log(staff_cc)"))
  estimate <- c(spearman = "rho", kendall = "tau", pearson = "r")
  for (pair in names(pairs)) {
    methods <- if (pair == "mean_cc_vs_log_staff") "pearson" else c("spearman", "kendall", "pearson")
    for (method in methods) {
      xs <- pairs[[pair]][1]; ys <- pairs[[pair]][2]
      exact <- if (method == "pearson") "" else ", exact = FALSE"
      call <- sprintf("ct <- cor.test(%s, %s, method = \"%s\"%s)", xs, ys, method, exact)
      x <- unname(eval(parse(text = xs))); y <- eval(parse(text = ys))
      cap <- if (method == "pearson") capture(cor.test(x, y, method = method)) else
        capture(cor.test(x, y, method = method, exact = FALSE))
      stopifnot(is.null(cap$error), length(cap$warnings) == 0)
      ct <- cap$value
      stem <- paste0(method, "_", pair)
      py_blank()
      emit(paste0(stem, "_n"), c(call, sprintf("length(%s)", xs)), length(x))
      emit(paste0(stem, "_", estimate[[method]]), "unname(ct$estimate)", unname(ct$estimate))
      emit(paste0(stem, "_", names(ct$statistic)), "unname(ct$statistic)", unname(ct$statistic))
      if (!is.null(ct$parameter)) {
        emit(paste0(stem, "_", names(ct$parameter)), "unname(ct$parameter)", unname(ct$parameter))
      }
      emit(paste0(stem, "_p_value"), "ct$p.value", ct$p.value)
      if (!is.null(ct$conf.int)) {
        emit(paste0(stem, "_conf_int"), "as.numeric(ct$conf.int)",
             as_pylist(as.numeric(ct$conf.int)))
      }
      if (pair == "mean_cc_vs_staff" && method == "spearman") {
        shared$spearman_mean_cc_vs_staff <- ct
      }
    }
  }

  py_blank()
  py_comment("---- each stage with staff, available case (pairwise complete) ----")
  py_comment("lists in stage order stage_1..stage_10. R raised no warnings.")
  tests <- lapply(colnames(stages), function(s) {
    ok <- !is.na(stages[, s])
    cap <- capture(cor.test(stages[ok, s], staff[ok], method = "spearman", exact = FALSE))
    stopifnot(is.null(cap$error), length(cap$warnings) == 0)
    list(n = sum(ok), ct = cap$value)
  })
  p3 <- sapply(tests, function(r) r$ct$p.value)
  emit("stage_vs_staff_stage", "colnames(stages)", as_list(colnames(stages)))
  emit("stage_vs_staff_n",
       c("ok <- !is.na(stages[, s])  # for each s in colnames(stages)",
         "ct <- cor.test(stages[ok, s], staff[ok], method = \"spearman\", exact = FALSE)",
         "sum(ok)"),
       as_pylist(sapply(tests, `[[`, "n")))
  emit("stage_vs_staff_rho", "unname(ct$estimate)",
       as_pylist(sapply(tests, function(r) unname(r$ct$estimate))))
  emit("stage_vs_staff_S", "unname(ct$statistic)",
       as_pylist(sapply(tests, function(r) unname(r$ct$statistic))))
  emit("stage_vs_staff_p_value", "p3 <- ct$p.value", as_pylist(p3))
  emit("stage_vs_staff_p_holm", "p.adjust(p3, \"holm\")", as_pylist(p.adjust(p3, "holm")))
  emit("stage_vs_staff_p_bh", "p.adjust(p3, \"BH\")", as_pylist(p.adjust(p3, "BH")))
  shared$stage_vs_staff_rho <- sapply(tests, function(r) unname(r$ct$estimate))

  py_blank()
  py_comment("---- every pair of stages i < j, pairwise complete ----")
  py_comment("R raised no warnings.")
  inter <- list(); keys <- list()
  rho_mat <- matrix(NA_real_, 10, 10)
  n_mat <- matrix(NA_integer_, 10, 10)
  for (i in 1:9) for (j in (i + 1):10) {
    ok <- !is.na(stages[, i]) & !is.na(stages[, j])
    cap <- capture(cor.test(stages[ok, i], stages[ok, j], method = "spearman", exact = FALSE))
    stopifnot(is.null(cap$error), length(cap$warnings) == 0)
    ct <- cap$value
    keys[[length(keys) + 1]] <- colnames(stages)[c(i, j)]
    inter[[paste(i, j)]] <- list(n = sum(ok), rho = unname(ct$estimate), p_value = ct$p.value)
    rho_mat[i, j] <- rho_mat[j, i] <- unname(ct$estimate)
    n_mat[i, j] <- n_mat[j, i] <- sum(ok)
  }
  diag(rho_mat) <- 1
  emit("interstage_spearman",
       c("ok <- !is.na(stages[, i]) & !is.na(stages[, j])  # each pair i < j",
         "ct <- cor.test(stages[ok, i], stages[ok, j], method = \"spearman\", exact = FALSE)",
         "(stage_i, stage_j): list(n = sum(ok), rho = unname(ct$estimate), p_value = ct$p.value)"),
       tuple_keys(inter, keys))
  emit("interstage_rho_matrix",
       "rho_mat  # 10 x 10, rows stage_1..stage_10, rho_mat[i, j] = rho of pair (i, j), diag 1",
       as_rows(rho_mat))
  emit("interstage_n_matrix", "n_mat  # 10 x 10, n of pair (i, j), diag NA (None)",
       as_rows(n_mat))
  py_close()
})

# ==== results_reliability.py: Cronbach's alpha and its Feldt interval ===============
local({
  list2env(wave1, environment())
  py_open_topic("reliability",
                c("R reference values: Cronbach's alpha of the first wave and its Feldt interval.",
                  "",
                  "Data: the 12 x 10 complete-case matrix ``m_cc`` of",
                  "``data/raw/customer_wise_2007.csv`` (blanks are NA, never 0). Omega and the",
                  "polychoric (ordinal) variants: ``tests/stats/results/results_reliability.py``."),
                c("psych"))
  py_comment("---- psych::alpha on m_cc <- stages[cc, , drop = FALSE] ----")
  py_comment("psych::alpha and the hand formulas raised no warnings or errors.")
  cap <- capture(psych::alpha(m_cc))
  stopifnot(is.null(cap$error), length(cap$warnings) == 0)
  a <- cap$value
  raw_alpha <- a$total$raw_alpha
  n <- nrow(m_cc); k <- ncol(m_cc)
  emit("alpha_raw", c("a <- psych::alpha(m_cc)", "a$total$raw_alpha"), raw_alpha)
  emit("alpha_std", "a$total$std.alpha", a$total$std.alpha)
  emit("average_r", "a$total$average_r", a$total$average_r)
  emit("item", "rownames(a$item.stats)", as_list(rownames(a$item.stats)))
  emit("item_r_drop", "unname(a$item.stats$r.drop)", as_pylist(unname(a$item.stats$r.drop)))
  emit("item_r_cor", "unname(a$item.stats$r.cor)", as_pylist(unname(a$item.stats$r.cor)))
  emit("item_raw_r", "unname(a$item.stats$raw.r)", as_pylist(unname(a$item.stats$raw.r)))
  emit("alpha_if_deleted", "unname(a$alpha.drop$raw_alpha)",
       as_pylist(unname(a$alpha.drop$raw_alpha)))
  emit("alpha_by_hand", "k / (k - 1) * (1 - sum(apply(m_cc, 2, var)) / var(rowSums(m_cc)))",
       k / (k - 1) * (1 - sum(apply(m_cc, 2, var)) / var(rowSums(m_cc))))
  aci <- psych::alpha.ci(raw_alpha, n.obs = n, n.var = k, p.val = .05)
  emit("feldt_ci_alpha_ci",
       c("aci <- psych::alpha.ci(raw_alpha, n.obs = 12, n.var = 10, p.val = .05)",
         "c(aci$lower.ci, aci$upper.ci)"),
       as_pylist(c(aci$lower.ci, aci$upper.ci)))
  emit("feldt_ci_by_hand",
       c("n <- 12; k <- 10  # nrow(m_cc), ncol(m_cc)",
         "c(1 - (1 - raw_alpha) * qf(0.975, n - 1, (n - 1) * (k - 1)),",
         "  1 - (1 - raw_alpha) * qf(0.025, n - 1, (n - 1) * (k - 1)))"),
       as_pylist(c(1 - (1 - raw_alpha) * qf(0.975, n - 1, (n - 1) * (k - 1)),
                   1 - (1 - raw_alpha) * qf(0.025, n - 1, (n - 1) * (k - 1)))))
  py_close()
})

# ==== results_groups.py: the business mean by EU size band ========================
local({
  list2env(wave1, environment())
  py_open_topic("groups",
                c("R reference values: the business mean (all 16) compared across EU size bands.",
                  "",
                  "Data: ``mean_ac`` (mean of the assessed stages) of",
                  "``data/raw/customer_wise_2007.csv``; bands by \"Staff No\": micro < 10, small",
                  "10-49, medium 50-249, large >= 250."),
                c("stats"))
  py_comment("---- mean_ac (16 businesses) by EU size band ----")
  py_comment("R raised no warnings. mean_ac has no ties, so exact = TRUE is truly exact. W = ",
             "number of pairs with group_1 > group_2 (the U of group_1); rank_biserial_r = ",
             "1 - 2W/(n1 n2) is POSITIVE when group_2 tends to be larger.")
  band <- cut(staff, breaks = c(-Inf, 9, 49, 249, Inf),
              labels = c("micro", "small", "medium", "large"), right = TRUE)
  sizes <- table(band)
  emit("band",
       c("band <- cut(staff, breaks = c(-Inf, 9, 49, 249, Inf),",
         "            labels = c(\"micro\", \"small\", \"medium\", \"large\"), right = TRUE)",
         "as.character(band)"),
       as_list(as.character(band)))
  emit("group_sizes", c("sizes <- table(band)", "as.list(setNames(as.integer(sizes), names(sizes)))"),
       as.list(setNames(as.integer(sizes), names(sizes))))
  cap <- capture(kruskal.test(mean_ac, droplevels(band)))
  stopifnot(is.null(cap$error), length(cap$warnings) == 0)
  kt <- cap$value
  H <- unname(kt$statistic); N <- length(mean_ac)
  emit("kruskal_H", c("kt <- kruskal.test(mean_ac, droplevels(band))", "H <- unname(kt$statistic)"), H)
  emit("kruskal_df", "unname(kt$parameter)", unname(kt$parameter))
  emit("kruskal_p_value", "kt$p.value", kt$p.value)
  emit("kruskal_n", "N <- length(mean_ac)", N)
  emit("kruskal_epsilon_squared", "H * (N + 1) / (N^2 - 1)", H * (N + 1) / (N^2 - 1))
  present <- names(sizes)[sizes >= 1]
  for (exact in c(TRUE, FALSE)) {
    out <- list(); keys <- list()
    for (a_i in seq_along(present)) for (b_i in seq_along(present)) if (a_i < b_i) {
      ga <- present[a_i]; gb <- present[b_i]
      xa <- mean_ac[band == ga]; xb <- mean_ac[band == gb]
      cap <- capture(wilcox.test(xa, xb, exact = exact, correct = FALSE))
      stopifnot(is.null(cap$error), length(cap$warnings) == 0)
      W <- unname(cap$value$statistic)
      keys[[length(keys) + 1]] <- c(ga, gb)
      out[[paste(ga, gb)]] <- list(n1 = length(xa), n2 = length(xb), W = W,
                                  p_value = cap$value$p.value,
                                  rank_biserial_r = 1 - 2 * W / (length(xa) * length(xb)),
                                  method = cap$value$method)
    }
    py_blank()
    emit(if (exact) "wilcox_exact" else "wilcox_normal",
         c("xa <- mean_ac[band == group_1]; xb <- mean_ac[band == group_2]  # each pair of bands",
           sprintf("wt <- wilcox.test(xa, xb, exact = %s, correct = FALSE)", exact),
           paste("(group_1, group_2): list(n1 = length(xa), n2 = length(xb), W = unname(wt$statistic),",
                 "p_value = wt$p.value, rank_biserial_r = 1 - 2 * W / (n1 * n2), method = wt$method)")),
         tuple_keys(out, keys))
  }
  py_close()
})

# ==== results_models.py: the size models (polr, lm) =================================
local({
  suppressPackageStartupMessages({
    library(MASS)
    library(sandwich)
    library(lmtest)
    library(clubSandwich)
  })
  py_open_topic("models",
                c("R reference values: the size models of the first wave (Table 4).",
                  "",
                  "polr(level ~ log(staff)) on the 137 assessed cells (one row per business x",
                  "stage, blanks dropped), clustered by business: MASS::polr, sandwich::vcovCL,",
                  "lmtest::coeftest, clubSandwich; lm(mean ~ log(staff)) with HC3. polr's optimiser",
                  "is BFGS (reltol 1e-8) with a finite-difference Hessian: agreement with another",
                  "implementation is ~1e-6 (coefficients) and ~1e-5 (SEs); the *_tight refits use",
                  "reltol = 1e-15 and polr_newton_* a hand-polished optimum (gradient ~1e-14)."),
                c("MASS", "sandwich", "lmtest", "clubSandwich"))
  local({
    t4 <- read_table4()
    stage_cols <- paste0("stage_", 1:10)
    # ---- Table 4, long form --------------------------------------------------------------
    py_comment("---- Table 4 in long form: polr(level ~ log(staff)), clustered by business ----")
    long <- data.frame(
      business_id = rep(t4$business_id, each = 10),
      staff = rep(t4$staff, each = 10),
      stage = rep(stage_cols, times = nrow(t4)),
      level = as.vector(t(as.matrix(t4[, stage_cols]))),
      stringsAsFactors = FALSE
    )
    long <- long[!is.na(long$level) & !is.na(long$staff), ]
    rownames(long) <- NULL
    long$level <- factor(long$level, levels = 0:5, ordered = TRUE)
    G <- length(unique(long$business_id))
    emit("t4_business_id", "t4$business_id", t4$business_id)
    emit("t4_staff", "t4$staff  # \"Staff No\"", as.integer(t4$staff))
    emit("long_n", "nrow(long)  # blanks dropped", nrow(long))
    emit("long_business_id", "long$business_id", long$business_id)
    emit("long_stage", "as.integer(sub(\"stage_\", \"\", long$stage))",
         as.integer(sub("stage_", "", long$stage)))
    emit("long_level", "as.integer(as.character(long$level))", as.integer(as.character(long$level)))
    emit("long_level_counts", "as.vector(table(long$level))  # levels 0..5",
         as.integer(table(long$level)))
    emit("n_clusters", "length(unique(long$business_id))  # G", G)

    fl <- polr(level ~ log(staff), data = long, Hess = TRUE)
    print(summary(fl, digits = 8))
    emit("t4_coef", "coef(MASS::polr(level ~ log(staff), data = long, Hess = TRUE))  # log(staff)",
         unname(coef(fl)))
    emit("t4_zeta_names", "names(fit$zeta)", names(fl$zeta))
    emit("t4_zeta", "fit$zeta", unname(fl$zeta))
    emit("t4_se_naive", "sqrt(diag(vcov(fit)))  # log(staff), then the 5 zetas",
         unname(sqrt(diag(vcov(fl)))))
    emit("t4_loglik", "as.numeric(logLik(fit))", as.numeric(logLik(fl)))
    flt <- polr(level ~ log(staff), data = long, Hess = TRUE,
                control = list(reltol = 1e-15, maxit = 10000))
    emit("t4_coef_tight",
         "coef(MASS::polr(level ~ log(staff), data = long, Hess = TRUE, control = list(reltol = 1e-15, maxit = 10000)))",
         unname(coef(flt)))
    emit("t4_zeta_tight", "fit_tight$zeta", unname(flt$zeta))
    emit("t4_loglik_tight", "as.numeric(logLik(fit_tight))", as.numeric(logLik(flt)))

    py_comment("sandwich::vcovCL: bread = vcov(fit) * n (from polr's Hessian), meat from ",
               "sandwich's estfun.polr summed within business; cadjust = TRUE multiplies by ",
               "G / (G - 1); type \"HC1\" additionally by (n - 1) / (n - k) with k = 6 parameters ",
               "(1 coefficient + 5 zetas). For a polr fit the default type is \"HC0\" (the ",
               "default and HC0 SEs below are identical).")
    V0 <- vcovCL(fl, cluster = ~business_id)
    emit("t4_vcovCL_default_se", "sqrt(diag(sandwich::vcovCL(fit, cluster = ~business_id)))",
         unname(sqrt(diag(V0))))
    Vh0 <- vcovCL(fl, cluster = ~business_id, type = "HC0")
    emit_same("t4_vcovCL_hc0_se", "t4_vcovCL_default_se",
              "sqrt(diag(sandwich::vcovCL(fit, cluster = ~business_id, type = \"HC0\")))",
              unname(sqrt(diag(Vh0))), unname(sqrt(diag(V0))))
    Vh1 <- vcovCL(fl, cluster = ~business_id, type = "HC1")
    emit("t4_vcovCL_hc1_se",
         "sqrt(diag(sandwich::vcovCL(fit, cluster = ~business_id, type = \"HC1\")))",
         unname(sqrt(diag(Vh1))))
    Vnc <- vcovCL(fl, cluster = ~business_id, type = "HC0", cadjust = FALSE)
    emit("t4_vcovCL_hc0_noadj_se",
         "sqrt(diag(sandwich::vcovCL(fit, cluster = ~business_id, type = \"HC0\", cadjust = FALSE)))",
         unname(sqrt(diag(Vnc))))
    emit("t4_vcovCL_default", "sandwich::vcovCL(fit, cluster = ~business_id)  # full 6 x 6",
         unname(V0))

    ct <- coeftest(fl, vcov. = V0, df = G - 1)
    print(ct)
    emit("t4_coeftest_rownames", "rownames(lmtest::coeftest(fit, vcov. = V, df = G - 1))",
         rownames(ct))
    row <- which(rownames(ct) == "log(staff)")
    emit("t4_coeftest_cl",
         paste("lmtest::coeftest(fit, vcov. = sandwich::vcovCL(fit, cluster = ~business_id),",
               "df = G - 1)[\"log(staff)\", ]  # estimate, SE, t, p; G - 1 = 15"),
         list(estimate = ct[row, 1], se = ct[row, 2], t = ct[row, 3], p_value = ct[row, 4],
              df = as.integer(G - 1)))
    ctz <- coeftest(fl, vcov. = V0)
    emit("t4_df_residual", "df.residual(fit)  # n - 6 = 131", as.integer(df.residual(fl)))
    emit("t4_coeftest_cl_dfres",
         paste("lmtest::coeftest(fit, vcov. = sandwich::vcovCL(fit, cluster = ~business_id))",
               "[\"log(staff)\", ]  # no df given: t test on df.residual(fit) = 131"),
         list(estimate = ctz[row, 1], se = ctz[row, 2], t = ctz[row, 3], p_value = ctz[row, 4]))
    ctzi <- coeftest(fl, vcov. = V0, df = Inf)
    emit("t4_coeftest_cl_normal",
         paste("lmtest::coeftest(fit, vcov. = sandwich::vcovCL(fit, cluster = ~business_id),",
               "df = Inf)[\"log(staff)\", ]  # z test"),
         list(estimate = ctzi[row, 1], se = ctzi[row, 2], z = ctzi[row, 3], p_value = ctzi[row, 4]))
    ctn <- coeftest(fl, df = Inf)
    emit("t4_coeftest_naive", "lmtest::coeftest(fit, df = Inf)[\"log(staff)\", ]  # polr vcov, z test",
         list(estimate = ctn[row, 1], se = ctn[row, 2], z = ctn[row, 3], p_value = ctn[row, 4]))
    ctn2 <- coeftest(fl)
    emit("t4_coeftest_naive_dfres", "lmtest::coeftest(fit)[\"log(staff)\", ]  # t test, df = 131",
         list(estimate = ctn2[row, 1], se = ctn2[row, 2], t = ctn2[row, 3], p_value = ctn2[row, 4]))

    py_comment("clubSandwich (CR2) has no method for polr objects: the attempt is recorded as is.")
    cs <- capture(coef_test(fl, vcov = "CR2", cluster = long$business_id))
    if (!is.null(cs$value)) print(cs$value)
    emit_conditions("t4_clubsandwich_cr2", cs,
                    "clubSandwich::coef_test(fit, vcov = \"CR2\", cluster = long$business_id)")
    if (!is.null(cs$value)) {
      emit("t4_clubsandwich_cr2", "clubSandwich::coef_test(fit, vcov = \"CR2\", cluster = long$business_id)",
           as.list(as.data.frame(cs$value)[, sapply(as.data.frame(cs$value), is.numeric)]))
    }

    py_comment("closest available alternative: clubSandwich CR2 (Bell-McCaffrey) with Satterthwaite ",
               "df on the LINEAR analogue, lm(level as number ~ log(staff)) on the same 137 rows, ",
               "clustered by business -- a reference for a CR2/OLS implementation, not for polr.")
    long$level_num <- as.integer(as.character(long$level))
    fo <- lm(level_num ~ log(staff), data = long)
    emit("t4_lm_coef", "coef(lm(level_num ~ log(staff), data = long))  # (Intercept), log(staff)",
         unname(coef(fo)))
    cr2 <- coef_test(fo, vcov = "CR2", cluster = long$business_id, test = "Satterthwaite")
    print(cr2)
    cr2d <- as.data.frame(cr2)
    se_col <- intersect(c("SE", "se"), names(cr2d))[1]
    t_col <- intersect(c("tstat", "t-stat"), names(cr2d))[1]
    df_col <- intersect(c("df_Satt", "df"), names(cr2d))[1]
    p_col <- intersect(c("p_Satt", "p_val"), names(cr2d))[1]
    emit("t4_lm_cr2_satterthwaite",
         paste("as.data.frame(clubSandwich::coef_test(lm(level_num ~ log(staff), data = long),",
               "vcov = \"CR2\", cluster = long$business_id, test = \"Satterthwaite\"))",
               "# columns beta, SE, tstat, df_Satt, p_Satt; rows (Intercept), log(staff)"),
         list(beta = unname(cr2d$beta), se = unname(cr2d[[se_col]]), t = unname(cr2d[[t_col]]),
              df = unname(cr2d[[df_col]]), p_value = unname(cr2d[[p_col]])))
    emit("t4_lm_cr2_vcov",
         "as.matrix(clubSandwich::vcovCR(lm(level_num ~ log(staff), data = long), cluster = long$business_id, type = \"CR2\"))",
         unname(as.matrix(vcovCR(fo, cluster = long$business_id, type = "CR2"))))
    emit("t4_lm_cl_hc1_se",
         "sqrt(diag(sandwich::vcovCL(lm(level_num ~ log(staff), data = long), cluster = ~business_id)))  # HC1 (lm default)",
         unname(sqrt(diag(vcovCL(fo, cluster = ~business_id)))))

    shared$t4 <- list(
      coef = unname(coef(fl)), zeta = unname(fl$zeta), zeta_names = names(fl$zeta),
      se_naive = unname(sqrt(diag(vcov(fl)))), loglik = as.numeric(logLik(fl)),
      coef_tight = unname(coef(flt)), zeta_tight = unname(flt$zeta),
      loglik_tight = as.numeric(logLik(flt)), se_default = unname(sqrt(diag(V0))),
      vcov_default = unname(V0), se_hc1 = unname(sqrt(diag(Vh1))),
      se_noadj = unname(sqrt(diag(Vnc))), long_business_id = long$business_id,
      long_stage = as.integer(sub("stage_", "", long$stage)),
      long_level = as.integer(as.character(long$level)))
  })
  local({
    # ---- the size models of the first wave: OLS with HC3, polr with hand-polished optimum ----
    list2env(wave1, environment())
    py_blank()
    py_comment("---- lm(mean ~ log(staff)); coefficient order (intercept, log_staff) ----")
    for (key in c("mean_cc", "mean_ac")) {
      y <- unname(if (key == "mean_cc") mean_cc else mean_ac)
      s <- if (key == "mean_cc") staff_cc else staff
      d <- data.frame(y = y, staff = s)
      fit <- lm(y ~ log(staff), data = d)
      cl <- coeftest(fit)
      h3 <- coeftest(fit, vcov. = vcovHC(fit, type = "HC3"), df = fit$df.residual)
      sm <- summary(fit)
      stem <- paste0("ols_", key)
      py_blank()
      emit(paste0(stem, "_n"),
           c(sprintf("d <- data.frame(y = %s, staff = %s); fit <- lm(y ~ log(staff), data = d)",
                     key, if (key == "mean_cc") "staff_cc" else "staff"),
             "cl <- coeftest(fit); V3 <- vcovHC(fit, type = \"HC3\")",
             "h3 <- coeftest(fit, vcov. = V3, df = fit$df.residual)",
             "nobs(fit)"),
           nobs(fit))
      emit(paste0(stem, "_df_residual"), "fit$df.residual", fit$df.residual)
      emit(paste0(stem, "_coef"), "unname(coef(fit))", as_pylist(unname(coef(fit))))
      emit(paste0(stem, "_se_classical"), "unname(cl[, 2])", as_pylist(unname(cl[, 2])))
      emit(paste0(stem, "_t_classical"), "unname(cl[, 3])", as_pylist(unname(cl[, 3])))
      emit(paste0(stem, "_p_classical"), "unname(cl[, 4])", as_pylist(unname(cl[, 4])))
      emit(paste0(stem, "_se_hc3"), "unname(h3[, 2])", as_pylist(unname(h3[, 2])))
      emit(paste0(stem, "_t_hc3"), "unname(h3[, 3])", as_pylist(unname(h3[, 3])))
      emit(paste0(stem, "_p_hc3"), "unname(h3[, 4])  # t-based, df = residual df",
           as_pylist(unname(h3[, 4])))
      emit(paste0(stem, "_r_squared"), "summary(fit)$r.squared", sm$r.squared)
      emit(paste0(stem, "_adj_r_squared"), "summary(fit)$adj.r.squared", sm$adj.r.squared)
      emit(paste0(stem, "_sigma"), "summary(fit)$sigma", sm$sigma)
    }

    py_blank()
    py_comment("---- polr on the 137 assessed cells, as the long table below: the same fit as ",
               "t4_* above, with the predictor named log_staff ----")
    py_comment("logit P(Y <= k) = zeta_k - beta * log_staff; parameter order log_staff, 0|1..4|5. ",
               "vcovCL's default cadjust = TRUE multiplies by G/(G-1) even for HC0; HC1 also by ",
               "(n-1)/(n-p), p = 6. R raised no warnings.")
    idx <- which(!is.na(stages), arr.ind = TRUE)
    idx <- idx[order(idx[, 1], idx[, 2]), , drop = FALSE]
    long <- data.frame(business = ids[idx[, 1]], stage = idx[, 2], level = stages[idx],
                       log_staff = log_staff[idx[, 1]], stringsAsFactors = FALSE)
    stopifnot(nrow(long) == 137)
    long$y <- factor(long$level, levels = 0:5, ordered = TRUE)
    cap <- capture(polr(y ~ log_staff, data = long, Hess = TRUE, method = "logistic"))
    stopifnot(is.null(cap$error), length(cap$warnings) == 0)
    fit <- cap$value
    t4fit <- shared$t4
    py_blank()
    emit("polr_n",
         c("long$y <- factor(long$level, levels = 0:5, ordered = TRUE)",
           "fit <- polr(y ~ log_staff, data = long, Hess = TRUE, method = \"logistic\")",
           "nrow(long)"),
         nrow(long))
    emit("polr_n_clusters", "length(unique(long$business))", length(unique(long$business)))
    emit("polr_param_names", "c(\"log_staff\", names(fit$zeta))", c("log_staff", names(fit$zeta)))
    emit_same("polr_beta_log_staff", "t4_coef", "unname(coef(fit))",
              unname(coef(fit)), t4fit$coef)
    emit_same("polr_zeta", "t4_zeta", "unname(fit$zeta)", unname(fit$zeta), t4fit$zeta)
    emit_same("polr_zeta_names", "t4_zeta_names", "names(fit$zeta)", names(fit$zeta),
              t4fit$zeta_names)
    emit_same("polr_se_naive", "t4_se_naive", "unname(sqrt(diag(vcov(fit))))",
              unname(sqrt(diag(vcov(fit)))), t4fit$se_naive)
    emit_same("polr_loglik", "t4_loglik", "as.numeric(logLik(fit))", as.numeric(logLik(fit)),
              t4fit$loglik)
    emit("polr_deviance", "fit$deviance", fit$deviance)
    emit("polr_convergence", "fit$convergence", fit$convergence)
    emit("polr_niter", "unname(fit$niter)", as_pylist(unname(fit$niter)))
    V0 <- vcovCL(fit, cluster = ~business, type = "HC0")
    V1 <- vcovCL(fit, cluster = ~business, type = "HC1")
    Vn <- vcovCL(fit, cluster = ~business, type = "HC0", cadjust = FALSE)
    emit_same("polr_cluster_HC0_se", "t4_vcovCL_default_se",
              c("V <- vcovCL(fit, cluster = ~business, type = \"HC0\")", "unname(sqrt(diag(V)))"),
              unname(sqrt(diag(V0))), t4fit$se_default)
    emit_same("polr_cluster_HC0_vcov", "t4_vcovCL_default", "unname(V)", unname(V0),
              t4fit$vcov_default)
    emit_same("polr_cluster_HC1_se", "t4_vcovCL_hc1_se",
              c("V <- vcovCL(fit, cluster = ~business, type = \"HC1\")", "unname(sqrt(diag(V)))"),
              unname(sqrt(diag(V1))), t4fit$se_hc1)
    emit("polr_cluster_HC1_vcov", "unname(V)", as_rows(unname(V1)))
    emit_same("polr_cluster_HC0_no_cadjust_se", "t4_vcovCL_hc0_noadj_se",
              c("V <- vcovCL(fit, cluster = ~business, type = \"HC0\", cadjust = FALSE)",
                "unname(sqrt(diag(V)))"),
              unname(sqrt(diag(Vn))), t4fit$se_noadj)
    emit("polr_cluster_HC0_no_cadjust_vcov", "unname(V)", as_rows(unname(Vn)))

    py_blank()
    py_comment("---- the same model refitted with a tight optimiser tolerance ----")
    cap <- capture(polr(y ~ log_staff, data = long, Hess = TRUE, method = "logistic",
                        control = list(reltol = 1e-15, maxit = 10000)))
    stopifnot(is.null(cap$error), length(cap$warnings) == 0)
    ft <- cap$value
    tight_call <- paste("ft <- polr(y ~ log_staff, data = long, Hess = TRUE, method = \"logistic\",",
                        "control = list(reltol = 1e-15, maxit = 10000))")
    emit_same("polr_tight_beta_log_staff", "t4_coef_tight", c(tight_call, "unname(coef(ft))"),
              unname(coef(ft)), t4fit$coef_tight)
    emit_same("polr_tight_zeta", "t4_zeta_tight", "unname(ft$zeta)", unname(ft$zeta),
              t4fit$zeta_tight)
    emit("polr_tight_se_naive", "unname(sqrt(diag(vcov(ft))))",
         as_pylist(unname(sqrt(diag(vcov(ft))))))
    emit_same("polr_tight_loglik", "t4_loglik_tight", "as.numeric(logLik(ft))",
              as.numeric(logLik(ft)), t4fit$loglik_tight)
    emit("polr_tight_convergence", "ft$convergence", ft$convergence)
    for (type in c("HC0", "HC1", "HC0_no_cadjust")) {
      cadj <- type != "HC0_no_cadjust"
      tp <- sub("_no_cadjust", "", type)
      extra <- if (cadj) "" else ", cadjust = FALSE"
      emit(sprintf("polr_tight_cluster_%s_se", type),
           sprintf("unname(sqrt(diag(vcovCL(ft, cluster = ~business, type = \"%s\"%s))))", tp, extra),
           as_pylist(unname(sqrt(diag(vcovCL(ft, cluster = ~business, type = tp, cadjust = cadj))))))
    }

    # Newton-polished optimum, computed by hand (no polr internals): optim/BFGS (even
    # with reltol = 1e-15) stops with |gradient| ~ 1e-6, so its parameters are good to
    # ~1e-7 only. Analytic per-observation scores of the cumulative-logit
    # log-likelihood, Newton steps with a central-difference Hessian (h = 1e-5) of the
    # analytic total score, naive vcov = solve(-H), and the cluster-robust
    # V = vcov (sum_g s_g s_g') vcov (* G/(G-1) if cadjust, * (n-1)/(n-p) for HC1),
    # which is what sandwich::vcovCL computes for polr.
    yy <- long$level; xx <- long$log_staff; nn <- length(yy); G <- length(unique(long$business))
    obs_scores <- function(th) {
      beta <- th[1]; z <- c(-Inf, th[-1], Inf); eta <- beta * xx
      up <- z[yy + 2] - eta; lo <- z[yy + 1] - eta
      p <- plogis(up) - plogis(lo)
      fu <- ifelse(is.finite(up), dlogis(up), 0); fl <- ifelse(is.finite(lo), dlogis(lo), 0)
      S <- matrix(0, nn, length(th))
      S[, 1] <- -xx * (fu - fl) / p
      for (j in 1:5) S[, j + 1] <- (fu * (yy + 2 == j + 1) - fl * (yy + 1 == j + 1)) / p
      list(S = S, loglik = sum(log(p)))
    }
    hess_num <- function(th, h = 1e-5) {
      H <- matrix(0, length(th), length(th))
      for (i in seq_along(th)) {
        e <- replace(numeric(length(th)), i, h)
        H[, i] <- (colSums(obs_scores(th + e)$S) - colSums(obs_scores(th - e)$S)) / (2 * h)
      }
      (H + t(H)) / 2
    }
    sandwich_cl <- function(th) {
      S <- obs_scores(th)$S; V <- solve(-hess_num(th))
      core <- V %*% crossprod(rowsum(S, long$business)) %*% V
      list(se_naive = sqrt(diag(V)),
           cluster_HC0_no_cadjust_se = sqrt(diag(core)),
           cluster_HC0_se = sqrt(diag(core * G / (G - 1))),
           cluster_HC1_se = sqrt(diag(core * G / (G - 1) * (nn - 1) / (nn - length(th)))))
    }
    th0 <- c(coef(fit), fit$zeta)
    th <- th0
    for (it in 1:20) {
      g <- colSums(obs_scores(th)$S)
      th <- th - solve(hess_num(th), g)
      if (max(abs(g)) < 1e-12) break
    }
    for (variant in c("newton", "hand_check")) {
      at <- if (variant == "newton") th else th0
      pol <- sandwich_cl(at)
      stem <- paste0("polr_", variant)
      py_blank()
      if (variant == "newton") {
        py_comment("---- Newton steps from the polr fit on the analytic score obs_scores() with a ",
                   "central-difference Hessian hess_num(); th = the optimum; pol <- sandwich_cl(th) ----")
        emit(paste0(stem, "_beta_log_staff"), "unname(th[1])", unname(at[1]))
        emit(paste0(stem, "_zeta"), "unname(th[-1])", as_pylist(unname(at[-1])))
        emit(paste0(stem, "_iterations"), "it  # Newton steps taken", it)
      } else {
        py_comment("---- the same hand formulas at the default polr fit: th <- c(coef(fit), ",
                   "fit$zeta); pol <- sandwich_cl(th); the cluster SEs match vcovCL's up to polr's ",
                   "own Hessian (optimHess, ndeps = 1e-3) ----")
      }
      emit(paste0(stem, "_loglik"), "obs_scores(th)$loglik", obs_scores(at)$loglik)
      emit(paste0(stem, "_max_abs_gradient"), "max(abs(colSums(obs_scores(th)$S)))",
           max(abs(colSums(obs_scores(at)$S))))
      emit(paste0(stem, "_se_naive"), "unname(pol$se_naive)  # sqrt(diag(solve(-H)))",
           as_pylist(unname(pol$se_naive)))
      emit(paste0(stem, "_cluster_HC0_se"), "unname(pol$cluster_HC0_se)",
           as_pylist(unname(pol$cluster_HC0_se)))
      emit(paste0(stem, "_cluster_HC1_se"), "unname(pol$cluster_HC1_se)",
           as_pylist(unname(pol$cluster_HC1_se)))
      emit(paste0(stem, "_cluster_HC0_no_cadjust_se"), "unname(pol$cluster_HC0_no_cadjust_se)",
           as_pylist(unname(pol$cluster_HC0_no_cadjust_se)))
    }

    py_blank()
    py_comment("---- the long table the polr fits above used (one row per assessed cell) ----")
    lt_call <- c("idx <- which(!is.na(stages), arr.ind = TRUE); idx <- idx[order(idx[, 1], idx[, 2]), ]",
                 "long <- data.frame(business = ids[idx[, 1]], stage = idx[, 2], level = stages[idx],",
                 "                   log_staff = log_staff[idx[, 1]])")
    emit_same("long_business", "long_business_id", c(lt_call, "long$business"), long$business,
              t4fit$long_business_id)
    stopifnot(identical(as.integer(long$stage), t4fit$long_stage),
              identical(as.integer(long$level), t4fit$long_level))
    py_comment("long$stage and long$level: long_stage and long_level above (identical)")
    emit("long_log_staff", "long$log_staff", as_pylist(long$log_staff))
  })
  local({
    py_comment("---- Table 4 long form: polr(level ~ log(staff)), clustered by business ----")
    t4 <- read_table4()
    stage_cols <- paste0("stage_", 1:10)
    long <- data.frame(
      business_id = rep(t4$business_id, each = 10),
      staff = rep(t4$staff, each = 10),
      stage = rep(stage_cols, times = nrow(t4)),
      level = as.vector(t(as.matrix(t4[, stage_cols]))),
      stringsAsFactors = FALSE
    )
    long <- long[!is.na(long$level) & !is.na(long$staff), ]
    rownames(long) <- NULL
    long$level <- factor(long$level, levels = 0:5, ordered = TRUE)
    G <- length(unique(long$business_id))
    fl <- polr(level ~ log(staff), data = long, Hess = TRUE,
               control = list(reltol = 1e-15, maxit = 10000))
    V1 <- vcovCL(fl, cluster = ~business_id, type = "HC1")
    ct <- coeftest(fl, vcov. = V1, df = G - 1)
    print(ct, digits = 10)
    emit("t4_coeftest_hc1_rownames", "rownames(ct)", rownames(ct))
    emit("t4_coeftest_hc1",
         paste("unclass(lmtest::coeftest(fit_tight, vcov. = sandwich::vcovCL(fit_tight, cluster =",
               "~business_id, type = \"HC1\"), df = G - 1))  # estimate, SE, t, p; G - 1 = 15;",
               "fit_tight = polr(level ~ log(staff), reltol = 1e-15)"),
         unname(unclass(ct)[, 1:4]))
    ct_n <- coeftest(fl, df = Inf)
    emit("t4_coeftest_naive_z",
         "unclass(lmtest::coeftest(fit_tight, df = Inf))  # estimate, SE, z, p (polr vcov)",
         unname(unclass(ct_n)[, 1:4]))
  })
  py_close()
})

# ==== results_claims.py: the readings of the claims file ============================
local({
  py_open_topic("claims",
          c("R reference values for the readings of data/raw/customer_wise_2007_claims.yaml."),
          c("stats"))
  py_import("results_correlation")
  py_import("results_describe")

  t4 <- read_table4()
  S <- as.matrix(t4[, paste0("stage_", 1:10)])
  mean_b <- rowMeans(S, na.rm = TRUE)
  median_b <- apply(S, 1, median, na.rm = TRUE)
  min_b <- apply(S, 1, min, na.rm = TRUE)
  cells <- as.vector(S[!is.na(S)])
  at <- function(stage, levels) { x <- S[, stage]; x <- x[!is.na(x)]; sum(x %in% levels) }
  n_on <- function(stage) sum(!is.na(S[, stage]))

  share <- function(prefix, k_call, n_call) {
    k <- eval(parse(text = k_call)); n <- eval(parse(text = n_call))
    emit(paste0(prefix, "_value"), paste0("(", k_call, ") / (", n_call, ")"), k / n)
    emit(paste0(prefix, "_ci"), paste0("as.vector(binom.test(", k_call, ", ", n_call, ")$conf.int)"),
         as.vector(binom.test(k, n)$conf.int))
    emit(paste0(prefix, "_n"), n_call, as.integer(n))
  }
  # a share that results_describe records already (its share and Clopper-Pearson CI)
  share_same <- function(prefix, k_call, n_call, same_as, same) {
    k <- eval(parse(text = k_call)); n <- eval(parse(text = n_call))
    emit_same(paste0(prefix, "_value"), paste0(same_as, "[\"share\"]"),
              paste0("(", k_call, ") / (", n_call, ")"), k / n, same$share)
    emit_same(paste0(prefix, "_ci"), paste0(same_as, "[\"clopper_pearson\"]"),
              paste0("as.vector(binom.test(", k_call, ", ", n_call, ")$conf.int)"),
              as.vector(binom.test(k, n)$conf.int), same$clopper_pearson)
    emit(paste0(prefix, "_n"), n_call, as.integer(n))
  }
  count <- function(prefix, k_call, n_call) {
    emit(paste0(prefix, "_value"), k_call, as.integer(eval(parse(text = k_call))))
    emit(paste0(prefix, "_n"), n_call, as.integer(eval(parse(text = n_call))))
  }

  py_comment("---- Table 4 ----")
  emit("n_rows", "nrow(t4)", nrow(t4))
  emit("n_complete", "sum(complete.cases(S))", sum(complete.cases(S)))

  py_comment("---- shares of businesses by their mean / median / weakest stage ----")
  share("abstract_little_or_no_attention_1", "sum(median_b < 2)", "length(median_b)")
  share("abstract_little_or_no_attention_2", "sum(mean_b < 2)", "length(mean_b)")
  share("abstract_little_or_no_attention_3", "sum(cells %in% 0:1)", "length(cells)")
  share("abstract_most_below_level_1_1", "sum(median_b < 1)", "length(median_b)")
  share("abstract_most_below_level_1_2", "sum(mean_b < 1)", "length(mean_b)")
  share("abstract_most_below_level_1_3", "sum(min_b < 1)", "length(min_b)")
  share_same("abstract_most_below_level_1_4", "sum(cells == 0)", "length(cells)",
             "results_describe.level_0_pooled", shared$level_0_pooled)
  share("abstract_no_processes_for_good_service_1", "sum(median_b < 3)", "length(median_b)")
  share("abstract_no_processes_for_good_service_2", "sum(mean_b < 3)", "length(mean_b)")
  share("implications_scant_attention_1", "sum(median_b < 2)", "length(median_b)")
  share("implications_scant_attention_2", "sum(mean_b < 2)", "length(mean_b)")

  py_comment("---- shares of the businesses assessed on a stage ----")
  share("abstract_ict_little_information_1", "at(3, 0:1)", "n_on(3)")
  share("reputation_few_keep_records_1", "at(3, 2:5)", "n_on(3)")
  share_same("contact_many_below_level_1_1", "at(1, 0)", "n_on(1)",
             "results_describe.level_0_by_stage[\"stage_1\"]", shared$level_0_by_stage$stage_1)
  share("skills_levels_2_3_problematic_1", "at(2, 0:2)", "n_on(2)")
  share("skills_levels_2_3_problematic_2", "at(2, 0:1)", "n_on(2)")
  share("knowledge_little_routine_collection_1", "at(7, 2:5)", "n_on(7)")
  share("knowledge_most_at_level_1_1", "at(7, 1)", "n_on(7)")
  share("knowledge_most_at_level_1_2", "at(7, 0:1)", "n_on(7)")

  py_comment("---- counts of businesses at levels of a stage ----")
  count("contact_many_below_level_1_2", "at(1, 0)", "n_on(1)")
  count("empowerment_only_two_1", "at(9, 5)", "n_on(9)")
  count("empowerment_only_two_2", "at(9, 4:5)", "n_on(9)")
  count("reputation_only_one_1", "at(10, 4:5)", "n_on(10)")
  count("reputation_only_one_2", "at(10, 5)", "n_on(10)")

  py_comment("---- modal level (customer knowledge) ----")
  tab7 <- table(S[, 7])
  emit("knowledge_most_at_level_1_3_value",
       "as.integer(names(tab7)[tab7 == max(tab7)])  # tab7 <- table(S[, 7]); one value = unique mode",
       as.integer(names(tab7)[tab7 == max(tab7)]))
  emit("knowledge_most_at_level_1_3_n", "sum(tab7)", as.integer(sum(tab7)))

  py_comment("---- micro businesses (staff < 10) among those at level 1 (or 0-1) on new products ----")
  s8 <- S[, 8]
  share("new_products_level_1_micro_1", "sum(t4$staff[!is.na(s8) & s8 == 1] < 10)",
        "sum(!is.na(s8) & s8 == 1)")
  share("new_products_level_1_micro_2", "sum(t4$staff[!is.na(s8) & s8 %in% 0:1] < 10)",
        "sum(!is.na(s8) & s8 %in% 0:1)")

  py_comment("---- Spearman correlations ----")
  ok8 <- !is.na(s8)
  emit_same("new_products_level_1_micro_3_value", "results_correlation.stage_vs_staff_rho[7]",
       "unname(cor.test(s8[ok8], t4$staff[ok8], method = 'spearman', exact = FALSE)$estimate)",
       unname(cor.test(s8[ok8], t4$staff[ok8], method = "spearman", exact = FALSE)$estimate),
       shared$stage_vs_staff_rho[8])
  emit("new_products_level_1_micro_3_n", "sum(ok8)", sum(ok8))
  cc <- complete.cases(S)
  emit_same("mean_staff_complete_case_r", "results_correlation.spearman_mean_cc_vs_staff_rho",
       "unname(cor.test(rowMeans(S[cc, ]), t4$staff[cc], method = 'spearman', exact = FALSE)$estimate)",
       unname(cor.test(rowMeans(S[cc, ]), t4$staff[cc], method = "spearman", exact = FALSE)$estimate),
       unname(shared$spearman_mean_cc_vs_staff$estimate))
  emit_same("mean_staff_complete_case_p", "results_correlation.spearman_mean_cc_vs_staff_p_value",
       "cor.test(rowMeans(S[cc, ]), t4$staff[cc], method = 'spearman', exact = FALSE)$p.value",
       cor.test(rowMeans(S[cc, ]), t4$staff[cc], method = "spearman", exact = FALSE)$p.value,
       shared$spearman_mean_cc_vs_staff$p.value)

  py_close()
})

# ==== results_change.py: paired change on hand-written two-wave data ================
local({
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

  py_open_topic("change",
          c("R reference values: paired two-wave change statistics on hand-written data.",
            "",
            "The data are literal below (``x_sK`` baseline, ``y_sK`` follow-up for stage K of",
            "businesses C01..C12; None = not assessed), d = y - x, and a pair with a None at",
            "either wave is dropped. Tables are baseline (rows) x follow-up (columns) counts."),
          c("stats", "coin", "lme4", "Matrix"))

  # ---- data into the module ------------------------------------------------------
  py_comment("---- data (literal, as in the R script) ----")
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
})

# ==== results_change_ordinal.py: polr(level ~ followup), clustered ==================
local({
  suppressPackageStartupMessages({
    library(MASS)
    library(sandwich)
    library(lmtest)
  })

  py_open_topic("change_ordinal",
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
})

# ==== results_power.py: pwr and Hmisc power and sample size =========================
local({
  suppressPackageStartupMessages({
    library(pwr)
    library(Hmisc)
  })

  py_open_topic("power",
          c("R reference values: power of a correlation test and of an ordinal (PO) comparison.",
            "",
            "pwr.r.test uses the arctanh approximation: for a two-sided test with n pairs,",
            "t = qt(1 - alpha/2, n - 2), rc = sqrt(t^2 / (t^2 + n - 2)), zr = atanh(r) +",
            "r / (2 (n - 1)), zrc = atanh(rc), power = pnorm((zr - zrc) sqrt(n - 3)) +",
            "pnorm((-zr - zrc) sqrt(n - 3)). Hmisc::popower is Whitehead's (1993) formula for",
            "the proportional-odds model (Wilcoxon-type comparison of two groups)."),
          c("pwr", "Hmisc"))

  # ---- pwr.r.test ------------------------------------------------------------------
  py_comment("---- pwr::pwr.r.test ----")
  emit("pwr_r_n", "c(16, 30, 50)", c(16L, 30L, 50L))
  p <- pwr.r.test(n = c(16, 30, 50), r = 0.5, sig.level = 0.05)
  print(p)
  emit("pwr_r_power", "pwr::pwr.r.test(n = c(16, 30, 50), r = 0.5, sig.level = 0.05)$power",
       p$power, note = "two-sided (the default alternative); power is vectorised over n")
  pg <- pwr.r.test(n = c(16, 30, 50), r = 0.5, sig.level = 0.05, alternative = "greater")
  emit("pwr_r_power_greater",
       "pwr::pwr.r.test(n = c(16, 30, 50), r = 0.5, sig.level = 0.05, alternative = \"greater\")$power",
       pg$power)
  p3 <- pwr.r.test(n = c(16, 30, 50), r = 0.3, sig.level = 0.05)
  emit("pwr_r_power_r03", "pwr::pwr.r.test(n = c(16, 30, 50), r = 0.3, sig.level = 0.05)$power",
       p3$power)
  pn <- pwr.r.test(r = 0.5, power = 0.8, sig.level = 0.05)
  print(pn)
  emit("pwr_r_n_for_power_08", "pwr::pwr.r.test(r = 0.5, power = 0.8)$n", pn$n,
       note = paste("solved by uniroot with its default tol = .Machine$double.eps^0.25 (~1.2e-4),",
                    "so this n is only accurate to ~1e-4; the tightly solved root follows."))
  # the same root, solved tightly with pwr's own power function
  pow2 <- function(n, r = 0.5, a = 0.05) {
    ttt <- qt(a / 2, df = n - 2, lower = FALSE)
    rc <- sqrt(ttt^2 / (ttt^2 + n - 2))
    zr <- atanh(r) + r / (2 * (n - 1))
    zrc <- atanh(rc)
    pnorm((zr - zrc) * sqrt(n - 3)) + pnorm((-zr - zrc) * sqrt(n - 3))
  }
  nt <- uniroot(function(n) pow2(n) - 0.8, c(4 + 1e-10, 1e9), tol = 1e-13)$root
  emit("pwr_r_n_for_power_08_tight",
       paste("uniroot(function(n) pwr.r.test(n = n, r = 0.5)$power - 0.8, c(4 + 1e-10, 1e9),",
             "tol = 1e-13)$root"), nt)
  emit("pwr_r_power_at_tight_n", "pwr::pwr.r.test(n = pwr_r_n_for_power_08_tight, r = 0.5)$power",
       pwr.r.test(n = nt, r = 0.5)$power)
  emit("pwr_r_n_for_power_08_ceiling", "ceiling(pwr::pwr.r.test(r = 0.5, power = 0.8)$n)",
       as.integer(ceiling(pn$n)))
  pn3 <- pwr.r.test(r = 0.3, power = 0.8, sig.level = 0.05)
  emit("pwr_r_n_for_power_08_r03", "pwr::pwr.r.test(r = 0.3, power = 0.8)$n", pn3$n)
  emit("pwr_r_r_detectable_n16", "pwr::pwr.r.test(n = 16, power = 0.8)$r",
       pwr.r.test(n = 16, power = 0.8)$r, note = "uniroot default tolerance again (~1e-4)")
  py_blank()

  # ---- Hmisc::popower ----------------------------------------------------------------
  py_comment("---- Hmisc::popower(p, odds.ratio, n, n1, n2, alpha = 0.05) ----")
  py_comment("p = the marginal cell probabilities of the ordinal levels (pooled over both ",
             "groups; must add up to 1); n = total sample size split equally (n1 = n2 = n/2) ",
             "unless n1 and n2 are given. Formula (Hmisc 4.8.0 source): ps = 1 - sum(p^3), ",
             "V = n1 n2 n / (3 (n + 1)^2) ps, power = pnorm(abs(log(OR)) sqrt(V) - ",
             "qnorm(1 - alpha/2)) (the far tail is ignored), eff = ps / (1 - 1/n^2) (efficiency ",
             "relative to a continuous response), approx.se = 1 / sqrt(V) (approximate SE of ",
             "the log odds ratio).")
  settings <- list(
    list(key = "a", call = "Hmisc::popower(p = c(.2, .3, .3, .2), odds.ratio = 2, n = 60)",
         args = list(p = c(.2, .3, .3, .2), odds.ratio = 2, n = 60)),
    list(key = "b", call = "Hmisc::popower(p = rep(1/6, 6), odds.ratio = 2.5, n = 40)",
         args = list(p = rep(1 / 6, 6), odds.ratio = 2.5, n = 40)),
    list(key = "c", call = "Hmisc::popower(p = c(.1, .2, .4, .2, .1), odds.ratio = 1.5, n = 100, alpha = 0.01)",
         args = list(p = c(.1, .2, .4, .2, .1), odds.ratio = 1.5, n = 100, alpha = 0.01)),
    list(key = "d", call = "Hmisc::popower(p = c(.2, .3, .3, .2), odds.ratio = 2, n1 = 20, n2 = 40)",
         args = list(p = c(.2, .3, .3, .2), odds.ratio = 2, n1 = 20, n2 = 40)),
    list(key = "e", call = "Hmisc::popower(p = c(.5, .5), odds.ratio = 0.5, n = 16)",
         args = list(p = c(.5, .5), odds.ratio = 0.5, n = 16))
  )
  for (s in settings) {
    r <- capture(do.call(popower, s$args))
    print(r$value)
    emit(paste0("popower_", s$key), paste0(s$call, "  # $power, $eff, $approx.se"),
         list(power = r$value$power, eff = r$value$eff, approx_se = r$value$approx.se))
    if (length(r$warnings) || !is.null(r$error)) emit_conditions(paste0("popower_", s$key), r, s$call)
  }
  # by hand, setting a
  pa <- c(.2, .3, .3, .2); n <- 60; n1 <- n2 <- 30
  V <- n1 * n2 * n / 3 / (n + 1)^2 * (1 - sum(pa^3))
  emit("popower_a_by_hand",
       paste("p <- c(.2, .3, .3, .2); V <- 30 * 30 * 60 / 3 / 61^2 * (1 - sum(p^3));",
             "pnorm(abs(log(2)) * sqrt(V) - qnorm(0.975))"),
       pnorm(abs(log(2)) * sqrt(V) - qnorm(0.975)))
  ps <- capture(posamsize(p = c(.2, .3, .3, .2), odds.ratio = 2, power = 0.8))
  print(ps$value)
  emit("posamsize_a", "Hmisc::posamsize(p = c(.2, .3, .3, .2), odds.ratio = 2, power = 0.8)  # $n, $eff",
       list(n = ps$value$n, eff = ps$value$eff))

  py_close()
})

# ==== results_imputation.py: the congenial imputation model (mice) ====================
local({
  list2env(wave1, environment())
  library(mice)
  py_open_topic("imputation",
    c("The imputation model of strategy ``multiple``: mice's quickpred and pmm.",
      "",
      "``d`` is Table 4's stages with ``log_staff`` (the analysis variable: size). mice's",
      "imputations are random: ``mice_*`` values are means over many imputations, to be",
      "compared within their Monte-Carlo error."),
    c("mice"))
  d <- data.frame(stages, log_staff = log_staff, check.names = FALSE)
  pm <- quickpred(d, mincor = 0.1, include = "log_staff")
  emit("quickpred", "quickpred(d, mincor = 0.1, include = \"log_staff\")  # rows: targets",
       as_rows(unname(pm)))
  emit("quickpred_mincor_03", "quickpred(d, mincor = 0.3, minpuc = 0.5)",
       as_rows(unname(quickpred(d, mincor = 0.3, minpuc = 0.5))))
  # the package's matrix (quickpred, then at most n_obs - 1 - 5 predictors per stage,
  # the most correlated; recorded from cma_research.missing.mice.quickpred)
  pkg <- list(c(0, 1, 0, 1, 1, 1, 1, 1, 1, 0, 1), c(0, 0, 1, 1, 1, 1, 1, 0, 1, 0, 1), c(1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1), c(1, 1, 1, 0, 1, 1, 1, 1, 0, 0, 1), c(1, 1, 1, 1, 0, 1, 1, 0, 1, 0, 1), c(1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 1), c(1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1), c(1, 0, 1, 0, 1, 1, 1, 0, 1, 0, 1), c(1, 0, 1, 0, 1, 1, 1, 1, 0, 1, 1), c(0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 1), c(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
  pkg <- matrix(unlist(pkg), nrow = 11, byrow = TRUE)
  dimnames(pkg) <- list(names(d), names(d))
  emit("package_predictors", "pkg <- (the package's predictor matrix, quickpred + the df cap)",
       as_rows(unname(pkg)))
  imp <- mice(d, m = 400, maxit = 10, method = "pmm", predictorMatrix = pkg, seed = 2007,
              printFlag = FALSE)
  means <- sapply(seq_len(400), function(i) rowMeans(complete(imp, i)[, 1:10]))
  rho <- apply(means, 2, function(mm) cor(mm, exp(log_staff), method = "spearman"))
  emit("mice_rho_mean_staff", c(
    "imp <- mice(d, m = 400, maxit = 10, method = \"pmm\", predictorMatrix = pkg, seed = 2007)",
    "tanh(mean(atanh(rho))) # rho_i = cor(rowMeans(complete(imp, i)[, 1:10]), staff, method = \"spearman\")"),
    tanh(mean(atanh(rho))))
  emit("mice_rho_mean_staff_sd", "sd(atanh(rho))  # between-imputation SD on Fisher's z",
       sd(atanh(rho)))
  s7 <- sapply(seq_len(400), function(i) mean(complete(imp, i)$stage_7))
  emit("mice_stage_7_mean", "mean(sapply(1:400, function(i) mean(complete(imp, i)$stage_7)))",
       mean(s7))
  emit("mice_stage_7_mean_sd", "sd(s7)", sd(s7))
  py_blank()
  py_close()
})

# ==== results_groups_effect.py: rank-biserial r with its interval (effectsize) ======
local({
  list2env(wave1, environment())
  library(effectsize)
  py_open_topic("groups_effect",
                c("R reference values: the rank-biserial correlation of each pair of EU size bands",
                  "with its 95% interval, ``effectsize::rank_biserial`` (Fisher z, SE",
                  "sqrt((n1 + n2 + 1) / (3 n1 n2))); data as ``results_groups.py``."),
                c("effectsize"))
  band <- cut(staff, breaks = c(-Inf, 9, 49, 249, Inf),
              labels = c("micro", "small", "medium", "large"), right = TRUE)
  present <- levels(droplevels(band))
  out <- list(); keys <- list()
  for (a_i in seq_along(present)) for (b_i in seq_along(present)) if (a_i < b_i) {
    ga <- present[a_i]; gb <- present[b_i]
    xa <- mean_ac[band == ga]; xb <- mean_ac[band == gb]
    es <- rank_biserial(xa, xb, ci = 0.95)
    keys[[length(keys) + 1]] <- c(ga, gb)
    out[[paste(ga, gb)]] <- list(r = es$r_rank_biserial, ci_low = es$CI_low, ci_high = es$CI_high)
  }
  emit("rank_biserial",
       c("xa <- mean_ac[band == group_1]; xb <- mean_ac[band == group_2]  # each pair of bands",
         "es <- effectsize::rank_biserial(xa, xb, ci = 0.95)",
         "(group_1, group_2): list(r = es$r_rank_biserial, ci_low = es$CI_low, ci_high = es$CI_high)"),
       tuple_keys(out, keys))
  x <- c(1, 2, 3); y <- c(4, 5, 6, 7)
  es <- rank_biserial(x, y, ci = 0.95)
  emit("separated", c("es <- effectsize::rank_biserial(c(1, 2, 3), c(4, 5, 6, 7), ci = 0.95)",
                      "c(es$r_rank_biserial, es$CI_low, es$CI_high)"),
       c(es$r_rank_biserial, es$CI_low, es$CI_high))
  py_blank()
  py_close()
})

# ==== results_model_checks.py: Brant's test (by hand) and CR2 of the size OLS ==========
local({
  list2env(wave1, environment())
  library(clubSandwich)
  py_open_topic("model_checks",
    c("R reference values: the proportional-odds assumption and CR2 errors for the size models.",
      "",
      "Brant's (1990) test is coded here from the paper (the brant package is not in",
      "Debian): one glm(binomial) per split level > j, the covariance of the stacked slopes",
      "V_jl = (X'W_jj X)^-1 X'W_jl X (X'W_ll X)^-1, W_jl = diag(pi_l - pi_j pi_l), and the",
      "Wald test of beta_0 = beta_j. Data: the 137 assessed cells of Table 4 (as",
      "results_models.py) and the 12 complete cases' mean level."),
    c("clubSandwich"))
  long <- data.frame(business_id = rep(ids, times = 10), level = as.vector(stages),
                     staff = rep(staff, times = 10))
  long <- long[!is.na(long$level), ]
  X <- cbind(1, log(long$staff))
  K <- 6
  fits <- lapply(0:(K - 2), function(j) glm(as.numeric(long$level > j) ~ log(long$staff),
                                            family = binomial))
  pis <- sapply(fits, fitted)
  b <- sapply(fits, coef)  # 2 x 5
  emit("brant_split_slopes", "sapply(0:4, function(j) coef(glm(level > j ~ log(staff), binomial))[2])",
       unname(b[2, ]))
  inv <- lapply(1:5, function(j) solve(t(X) %*% (X * (pis[, j] * (1 - pis[, j])))))
  V <- matrix(0, 10, 10)
  for (j in 1:5) for (m in j:5) {
    w <- pis[, m] - pis[, j] * pis[, m]
    blk <- inv[[j]] %*% (t(X) %*% (X * w)) %*% inv[[m]]
    V[(2 * j - 1):(2 * j), (2 * m - 1):(2 * m)] <- blk
    V[(2 * m - 1):(2 * m), (2 * j - 1):(2 * j)] <- t(blk)
  }
  s <- seq(2, 10, by = 2)
  bs <- b[2, ]; Vs <- V[s, s]
  D <- cbind(1, -diag(4))
  stat <- as.numeric(t(D %*% bs) %*% solve(D %*% Vs %*% t(D)) %*% (D %*% bs))
  emit("brant_statistic", "t(D %*% beta) %*% solve(D %*% V %*% t(D)) %*% (D %*% beta)  # D = cbind(1, -diag(4))", stat)
  emit("brant_df", "nrow(D)", 4L)
  emit("brant_p", "pchisq(stat, 4, lower.tail = FALSE)", pchisq(stat, 4, lower.tail = FALSE))
  d <- data.frame(y = mean_cc, staff = staff_cc, id = seq_along(mean_cc))
  fit <- lm(y ~ log(staff), data = d)
  ct <- as.data.frame(coef_test(fit, vcov = "CR2", cluster = d$id, test = "Satterthwaite"))
  emit("ols_cr2", c("fit <- lm(mean_cc ~ log(staff_cc))",
                    "as.data.frame(clubSandwich::coef_test(fit, vcov = \"CR2\", cluster = 1:12, test = \"Satterthwaite\"))"),
       list(beta = unname(ct$beta), se = unname(ct$SE), t = unname(ct$tstat),
            df = unname(ct$df_Satt), p_value = unname(ct$p_Satt)))
  py_blank()
  py_close()
})

# ==== results_clmm.py: the ordinal mixed model (ordinal::clmm) ===========================
local({
  list2env(wave1, environment())
  library(ordinal)
  py_open_topic("clmm",
    c("R reference values: cumulative logit with a random intercept per business, stage",
      "effects, ordinal::clmm (adaptive Gauss-Hermite quadrature, 10 points), on the 137",
      "assessed cells of Table 4 (stage_1 the reference stage)."),
    c("ordinal"))
  long <- data.frame(business = rep(ids, times = 10),
                     stage = factor(rep(paste0("stage_", 1:10), each = length(ids)),
                                    levels = paste0("stage_", 1:10)),
                     level = as.vector(stages), staff = rep(staff, times = 10))
  long <- long[!is.na(long$level), ]
  long$level <- factor(long$level, ordered = TRUE)
  fit <- clmm(level ~ log(staff) + stage + (1 | business), data = long, nAGQ = 10)
  call <- "fit <- clmm(level ~ log(staff) + stage + (1 | business), data = long, nAGQ = 10)"
  emit("beta", c(call, "fit$beta  # log(staff), stage_2 .. stage_10"), unname(fit$beta))
  emit("zeta", "fit$alpha  # thresholds 0|1 .. 4|5", unname(fit$alpha))
  emit("sd_business", "attr(VarCorr(fit)$business, \"stddev\")",
       unname(attr(VarCorr(fit)$business, "stddev")))
  emit("loglik", "as.numeric(logLik(fit))", as.numeric(logLik(fit)))
  s <- coef(summary(fit))
  emit("se", "coef(summary(fit))[, \"Std. Error\"]  # thresholds, then beta", unname(s[, 2]))
  emit("p_value", "coef(summary(fit))[, \"Pr(>|z|)\"]  # thresholds (NA), then beta",
       unname(s[, 4]))
  py_blank()
  py_close()
})

sessionInfo()
