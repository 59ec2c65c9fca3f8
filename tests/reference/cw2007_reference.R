# =============================================================================
# cw2007_reference.R -- independent R reference values for cma_research tests
# =============================================================================
#
# PURPOSE
#   Computes statistics on data/raw/customer_wise_2007.csv in R, independently
#   of the Python package, and writes them to
#   tests/reference/cw2007_reference.json, an intermediate that
#   tests/reference/make_results_files.py turns into the statsmodels-style
#   results files beside the tests (tests/analysis/results/results_*.py,
#   tests/stats/results/results_resampling.py and results_multitest.py; see
#   tests/reference/README.md), so Python tests compare against recorded
#   values without needing R at test time. The JSON is not committed.
#
# HOW TO RE-RUN (from the repository root):
#     cd /work/main && Rscript tests/reference/cw2007_reference.R
#     .venv/bin/python tests/reference/make_results_files.py
#     rm tests/reference/cw2007_reference.json
#   Needs R >= 4 and the packages psych, MASS, sandwich, lmtest, jsonlite
#   (Debian: apt-get install r-cran-psych r-cran-mass r-cran-sandwich
#    r-cran-lmtest r-cran-jsonlite; psych::omega also loads GPArotation).
#   The script is deterministic: nothing in it is random (everything is exact
#   enumeration, closed-form or a deterministic optimiser), but
#   set.seed(20070101) is set anyway. Every double is written with 17
#   significant digits (sprintf "%.17g"), which round-trips IEEE doubles
#   exactly (e.g. 1.6 appears as 1.6000000000000001 -- that is the same
#   double). jsonlite 1.8.4's digits=NA / digits=I(17) write only 15
#   significant digits, so they are NOT used; see the "write" block.
#
# DATA CONVENTIONS
#   read.csv(check.names=FALSE, na.strings="") -- an empty cell is "stage not
#   assessed" = NA (never 0). Columns "1".."10" -> stage_1..stage_10 in order.
#   Rows -> businesses B01..B16 in file order. Levels are 0..5.
#   cc        = complete cases (all 10 stages present; 12 rows)
#   mean_cc   = rowMeans of the 10 stages, complete cases only
#   mean_ac   = rowMeans(na.rm=TRUE), all 16 businesses (available case)
#   staff     = "Staff No" as given; log_staff = log(staff) (natural log)
#
# BLOCKS (each is a top-level key in the JSON)
#   meta                 R.version.string, package versions, conventions
#   data                 per-business ids, staff, n assessed, mean_ac, mean_cc
#   b1_correlations      cor.test spearman/kendall (exact=FALSE) and pearson:
#                        mean_cc~staff (n=12), mean_ac~staff (n=16),
#                        pearson mean_cc~log_staff; warnings (ties) recorded
#   b2_exact_permutation brute-force enumeration of all 8! permutations of
#                        staff for the first 8 complete-case businesses;
#                        two-sided p = mean(|stat_perm| >= |stat_obs| - 1e-12)
#                        for Spearman (cor of average ranks), Kendall tau-b,
#                        Pearson. Own recursive permutation generator.
#   b3_per_stage         per stage, pairwise with staff: spearman rho, n,
#                        cor.test(exact=FALSE) p; Holm and BH adjusted p
#   b4_interstage        every pair i<j of stages, pairwise complete: n,
#                        spearman rho, p (exact=FALSE)
#   b5_reliability       psych::alpha on 12x10 cc matrix; Feldt CI via
#                        psych::alpha.ci and by hand; omega (psych::omega and
#                        hand-computed from a 1-factor ML fa)
#   b6_share_below_1     per stage and pooled: x = #level-0, n = #assessed,
#                        Clopper-Pearson (binom.test) and Wilson
#                        (prop.test, correct=FALSE) 95% CIs
#   b7_group_comparisons EU size bands on mean_ac: Kruskal-Wallis, epsilon^2,
#                        pairwise Wilcoxon rank-sum (exact TRUE/FALSE,
#                        correct=FALSE), rank-biserial r
#   b8_ols               lm(mean ~ log(staff)) for cc (12) and ac (16):
#                        classical and HC3 SEs, t, p, R^2
#   b9_polr              proportional-odds model on the 137 assessed cells:
#                        MASS::polr(level ~ log_staff), naive and
#                        cluster-robust (by business) SEs; also a refit with
#                        a tight optimiser tolerance (tight_convergence) and a
#                        hand-coded Newton-polished optimum (newton_polished)
# =============================================================================

suppressPackageStartupMessages({
  library(jsonlite)
  library(psych)
  library(MASS)
  library(sandwich)
  library(lmtest)
})
set.seed(20070101)

out_dir <- file.path("tests", "reference")
if (!dir.exists(out_dir)) stop("run from the repository root: cd /work/main && Rscript tests/reference/cw2007_reference.R")

# run an expression, collecting warnings (muffled) and any error
# (warnings/messages wrapped in I() so they are always JSON arrays)
capture <- function(expr) {
  warns <- character(0); msgs <- character(0)
  val <- withCallingHandlers(
    tryCatch(list(value = expr, error = NULL),
             error = function(e) list(value = NULL, error = conditionMessage(e))),
    warning = function(w) {
      warns <<- c(warns, conditionMessage(w))
      invokeRestart("muffleWarning")
    },
    message = function(m) {
      msgs <<- c(msgs, trimws(conditionMessage(m)))
      invokeRestart("muffleMessage")
    })
  val$warnings <- I(unique(warns))
  val$messages <- I(unique(msgs))
  val
}

# ---- data ------------------------------------------------------------------
raw <- read.csv(file.path("data", "raw", "customer_wise_2007.csv"),
                check.names = FALSE, na.strings = "")
stage_cols <- as.character(1:10)
stages <- as.matrix(raw[, stage_cols])
storage.mode(stages) <- "double"
colnames(stages) <- paste0("stage_", 1:10)
ids <- sprintf("B%02d", seq_len(nrow(raw)))
rownames(stages) <- ids
staff <- as.numeric(raw[["Staff No"]])
log_staff <- log(staff)
stopifnot(nrow(stages) == 16, all(stages >= 0 & stages <= 5, na.rm = TRUE))

cc <- complete.cases(stages)
stopifnot(sum(cc) == 12)
m_cc <- stages[cc, , drop = FALSE]
mean_cc <- rowMeans(m_cc)
staff_cc <- staff[cc]
mean_ac <- rowMeans(stages, na.rm = TRUE)

res <- list()
res$meta <- list(
  R_version_string = R.version.string,
  packages = list(
    psych = as.character(packageVersion("psych")),
    MASS = as.character(packageVersion("MASS")),
    sandwich = as.character(packageVersion("sandwich")),
    lmtest = as.character(packageVersion("lmtest")),
    jsonlite = as.character(packageVersion("jsonlite")),
    GPArotation = if (requireNamespace("GPArotation", quietly = TRUE))
      as.character(packageVersion("GPArotation")) else NULL),
  source_file = "data/raw/customer_wise_2007.csv",
  conventions = paste(
    "empty cell = NA (not assessed); columns 1..10 = stage_1..stage_10;",
    "rows = B01..B16 in file order; cc = rows with all 10 stages present;",
    "mean_cc = rowMeans over cc rows; mean_ac = rowMeans(na.rm=TRUE);",
    "log_staff = natural log of Staff No"),
  seed = 20070101L,
  script = "tests/reference/cw2007_reference.R")

res$data <- list(
  business = ids,
  staff = staff,
  type = as.character(raw[["Type"]]),
  n_assessed = as.integer(rowSums(!is.na(stages))),
  is_complete_case = cc,
  mean_ac = unname(mean_ac),
  cc_business = ids[cc],
  cc_staff = staff_cc,
  mean_cc = unname(mean_cc),
  n_complete_cases = sum(cc),
  n_assessed_cells = sum(!is.na(stages)))

# ---- block 1: correlations -------------------------------------------------
ct <- function(x, y, method) {
  args <- list(x = x, y = y, method = method)
  if (method != "pearson") args$exact <- FALSE
  r <- capture(do.call(cor.test, args))
  if (!is.null(r$error)) return(list(error = r$error, warnings = r$warnings))
  h <- r$value
  o <- list(method = method, n = length(x),
            estimate = unname(h$estimate),
            statistic = unname(h$statistic),
            statistic_name = names(h$statistic),
            p_value = h$p.value,
            exact = if (method == "pearson") NULL else FALSE,
            warnings = r$warnings,
            warned_ties = any(grepl("ties", r$warnings)))
  if (!is.null(h$parameter)) { o$parameter <- unname(h$parameter); o$parameter_name <- names(h$parameter) }
  if (!is.null(h$conf.int)) o$conf_int <- as.numeric(h$conf.int)
  o
}
res$b1_correlations <- list(
  note = paste("cor.test(x, y, method=..., exact=FALSE for spearman/kendall).",
               "spearman statistic = S (sum of squared rank differences), p via",
               "t-approximation with ties (exact=FALSE); kendall statistic = z",
               "(normal approximation, tau-b with tie-corrected variance);",
               "pearson: t, df=n-2, Fisher-z 95% CI."),
  mean_cc_vs_staff = list(
    spearman = ct(mean_cc, staff_cc, "spearman"),
    kendall = ct(mean_cc, staff_cc, "kendall"),
    pearson = ct(mean_cc, staff_cc, "pearson")),
  mean_ac_vs_staff = list(
    spearman = ct(mean_ac, staff, "spearman"),
    kendall = ct(mean_ac, staff, "kendall"),
    pearson = ct(mean_ac, staff, "pearson")),
  mean_cc_vs_log_staff = list(
    pearson = ct(mean_cc, log(staff_cc), "pearson")))

# ---- block 2: exact permutation by enumeration -----------------------------
# own recursive generator: all permutations of 1..n as rows of a matrix
perms_of <- function(v) {
  if (length(v) <= 1) return(matrix(v, nrow = 1))
  out <- vector("list", length(v))
  for (i in seq_along(v)) {
    sub <- perms_of(v[-i])
    out[[i]] <- cbind(v[i], sub)
  }
  do.call(rbind, out)
}
x8 <- unname(mean_cc[1:8]); y8 <- staff_cc[1:8]
P <- perms_of(1:8)
stopifnot(nrow(P) == factorial(8), nrow(unique(P)) == factorial(8))
rx <- rank(x8)   # average ranks
spear <- function(y) cor(rx, rank(y))
kend <- function(y) cor(x8, y, method = "kendall")   # tau-b
pear <- function(y) cor(x8, y)
perm_test <- function(f, label) {
  obs <- f(y8)
  stat <- apply(P, 1, function(idx) f(y8[idx]))
  list(statistic = label, observed = obs,
       p_two_sided = mean(abs(stat) >= abs(obs) - 1e-12),
       n_permutations = length(stat),
       n_extreme = sum(abs(stat) >= abs(obs) - 1e-12))
}
res$b2_exact_permutation <- list(
  note = paste("x = mean_cc of the first 8 complete-case businesses (file order),",
               "y = their staff. All 8! permutations of y enumerated by a",
               "recursive generator; p = mean(abs(stat_perm) >= abs(stat_obs) - 1e-12)",
               "(observed arrangement included). Spearman = cor(rank(x), rank(y))",
               "with average ranks; Kendall = cor(method='kendall') (tau-b); Pearson = cor."),
  business = ids[cc][1:8], x_mean_cc = x8, y_staff = y8,
  spearman = perm_test(spear, "spearman_rho_average_ranks"),
  kendall = perm_test(kend, "kendall_tau_b"),
  pearson = perm_test(pear, "pearson_r"))

# ---- block 3: per stage vs staff --------------------------------------------
b3 <- lapply(colnames(stages), function(s) {
  ok <- !is.na(stages[, s])
  r <- capture(cor.test(stages[ok, s], staff[ok], method = "spearman", exact = FALSE))
  list(stage = s, n = sum(ok), rho = unname(r$value$estimate),
       S = unname(r$value$statistic), p_value = r$value$p.value,
       warnings = r$warnings)
})
p3 <- sapply(b3, `[[`, "p_value")
holm3 <- p.adjust(p3, "holm"); bh3 <- p.adjust(p3, "BH")
for (i in seq_along(b3)) { b3[[i]]$p_holm <- holm3[i]; b3[[i]]$p_bh <- bh3[i] }
names(b3) <- colnames(stages)
res$b3_per_stage <- list(
  note = paste("available case, pairwise with staff; cor.test(method='spearman',",
               "exact=FALSE); p_holm / p_bh = p.adjust over the 10 stages."),
  stages = b3,
  rho = unname(sapply(b3, `[[`, "rho")), n = unname(sapply(b3, `[[`, "n")),
  p_value = unname(p3), p_holm = unname(holm3), p_bh = unname(bh3))

# ---- block 4: inter-stage matrix ---------------------------------------------
b4 <- list()
for (i in 1:9) for (j in (i + 1):10) {
  ok <- !is.na(stages[, i]) & !is.na(stages[, j])
  r <- capture(cor.test(stages[ok, i], stages[ok, j], method = "spearman", exact = FALSE))
  b4[[length(b4) + 1]] <- list(
    i = i, j = j, stage_i = colnames(stages)[i], stage_j = colnames(stages)[j],
    n = sum(ok),
    rho = if (is.null(r$error)) unname(r$value$estimate) else NULL,
    p_value = if (is.null(r$error)) r$value$p.value else NULL,
    error = r$error, warnings = r$warnings)
}
rho_mat <- matrix(NA_real_, 10, 10, dimnames = list(colnames(stages), colnames(stages)))
n_mat <- matrix(NA_integer_, 10, 10, dimnames = dimnames(rho_mat))
for (e in b4) { rho_mat[e$i, e$j] <- rho_mat[e$j, e$i] <- e$rho; n_mat[e$i, e$j] <- n_mat[e$j, e$i] <- e$n }
diag(rho_mat) <- 1
res$b4_interstage <- list(
  note = paste("pairs i<j (1-based stage numbers), pairwise complete;",
               "cor.test(method='spearman', exact=FALSE). rho_matrix row-major,",
               "diag = 1; n_matrix diag = NA."),
  pairs = b4,
  rho_matrix = unname(rho_mat), n_matrix = unname(n_mat))

# ---- block 5: reliability ------------------------------------------------------
# Feldt (1965) CI for Cronbach's alpha with n = observations, k = items:
#   lower = 1 - (1 - alpha) * qf(0.975, n - 1, (n - 1) * (k - 1))
#   upper = 1 - (1 - alpha) * qf(0.025, n - 1, (n - 1) * (k - 1))
al <- capture(psych::alpha(m_cc))
b5 <- list(alpha_warnings = al$warnings, alpha_messages = al$messages, alpha_error = al$error)
if (is.null(al$error)) {
  a <- al$value
  raw_alpha <- a$total$raw_alpha
  n <- nrow(m_cc); k <- ncol(m_cc)
  aci <- psych::alpha.ci(raw_alpha, n.obs = n, n.var = k, p.val = .05)
  b5$raw_alpha <- raw_alpha
  b5$std_alpha <- a$total$std.alpha
  b5$average_r <- a$total$average_r
  b5$item <- rownames(a$item.stats)
  b5$item_r_drop <- unname(a$item.stats$r.drop)
  b5$item_r_cor <- unname(a$item.stats$r.cor)
  b5$item_raw_r <- unname(a$item.stats$raw.r)
  b5$alpha_if_deleted <- unname(a$alpha.drop$raw_alpha)
  b5$feldt_ci_psych_alpha_ci <- list(lower = aci$lower.ci, upper = aci$upper.ci,
                                     call = "psych::alpha.ci(raw_alpha, n.obs=12, n.var=10, p.val=.05)")
  b5$feldt_ci_by_hand <- list(
    lower = 1 - (1 - raw_alpha) * qf(0.975, n - 1, (n - 1) * (k - 1)),
    upper = 1 - (1 - raw_alpha) * qf(0.025, n - 1, (n - 1) * (k - 1)),
    formula = "lower = 1-(1-alpha)*qf(0.975, n-1, (n-1)(k-1)); upper = 1-(1-alpha)*qf(0.025, n-1, (n-1)(k-1))",
    n = n, k = k)
  # hand-computed Cronbach alpha as a sanity check
  b5$raw_alpha_by_hand <- k / (k - 1) * (1 - sum(apply(m_cc, 2, var)) / var(rowSums(m_cc)))
}
om <- capture(psych::omega(m_cc, nfactors = 1, fm = "ml", plot = FALSE))
b5$omega_psych <- list(
  call = "psych::omega(m, nfactors=1, fm='ml', plot=FALSE)$omega.tot",
  omega_tot = if (is.null(om$error)) om$value$omega.tot else NULL,
  error = om$error, warnings = om$warnings, messages = om$messages)
fa1 <- capture(psych::fa(m_cc, nfactors = 1, fm = "ml"))
if (is.null(fa1$error)) {
  L <- as.numeric(fa1$value$loadings[, 1]); u2 <- as.numeric(fa1$value$uniquenesses)
  b5$omega_fa_ml <- list(
    call = "psych::fa(m, nfactors=1, fm='ml'); omega_total = sum(L)^2/(sum(L)^2+sum(u2))",
    omega_total = sum(L)^2 / (sum(L)^2 + sum(u2)),
    omega_total_observed_variance = 1 - sum(u2) / sum(cor(m_cc)),
    note = paste("omega_total uses the MODEL-implied total variance",
                 "sum(L)^2 + sum(u2); psych::omega's omega.tot instead uses the",
                 "OBSERVED total variance: 1 - sum(u2)/sum(cor(m)) (recorded as",
                 "omega_total_observed_variance, equals omega_psych$omega_tot)."),
    loadings = L, uniquenesses = u2,
    warnings = fa1$warnings, messages = fa1$messages, error = NULL)
} else {
  b5$omega_fa_ml <- list(omega_total = NULL, error = fa1$error, warnings = fa1$warnings)
}
res$b5_reliability <- b5

# ---- block 6: share below level 1 ------------------------------------------
share <- function(x, n) {
  b <- binom.test(x, n); p <- prop.test(x, n, correct = FALSE)
  list(x = x, n = n, share = x / n,
       clopper_pearson = as.numeric(b$conf.int),
       wilson = as.numeric(suppressWarnings(prop.test(x, n, correct = FALSE))$conf.int),
       binom_test_p = b$p.value)
}
b6 <- lapply(colnames(stages), function(s) {
  v <- stages[, s]; v <- v[!is.na(v)]
  c(list(stage = s), share(sum(v == 0), length(v)))
})
names(b6) <- colnames(stages)
allv <- stages[!is.na(stages)]
res$b6_share_below_1 <- list(
  note = paste("x = number of cells at level 0, n = number assessed (available case).",
               "clopper_pearson = binom.test(x,n)$conf.int; wilson =",
               "prop.test(x,n,correct=FALSE)$conf.int; 95%."),
  stages = b6,
  pooled = share(sum(allv == 0), length(allv)))

# ---- block 7: group comparisons by EU size band ----------------------------
band <- cut(staff, breaks = c(-Inf, 9, 49, 249, Inf),
            labels = c("micro", "small", "medium", "large"), right = TRUE)
# micro: staff < 10 (<=9), small: 10-49, medium: 50-249, large: >= 250
sizes <- table(band)
kt <- capture(kruskal.test(mean_ac, droplevels(band)))
H <- unname(kt$value$statistic); N <- length(mean_ac)
present <- names(sizes)[sizes >= 1]
pw <- list()
for (a_i in seq_along(present)) for (b_i in seq_along(present)) if (a_i < b_i) {
  ga <- present[a_i]; gb <- present[b_i]
  xa <- mean_ac[band == ga]; xb <- mean_ac[band == gb]
  one <- function(exact) {
    r <- capture(wilcox.test(xa, xb, exact = exact, correct = FALSE))
    W <- unname(r$value$statistic)
    list(exact_requested = exact, W = W, p_value = r$value$p.value,
         rank_biserial_r = 1 - 2 * W / (length(xa) * length(xb)),
         method = r$value$method, warnings = r$warnings)
  }
  pw[[paste(ga, gb, sep = "_vs_")]] <- list(
    group_1 = ga, group_2 = gb, n1 = length(xa), n2 = length(xb),
    exact_true = one(TRUE), exact_false = one(FALSE))
}
res$b7_group_comparisons <- list(
  note = paste("groups of mean_ac (16 businesses) by EU band: micro staff<10,",
               "small 10-49, medium 50-249, large >=250. kruskal.test on present",
               "groups; epsilon_squared = H*(n+1)/(n^2-1) = H/(n-1).",
               "wilcox.test(x=group_1, y=group_2, correct=FALSE): W = sum of group_1",
               "ranks - n1(n1+1)/2 = #pairs with group_1 > group_2 (+0.5 per tie).",
               "rank_biserial_r = 1 - 2W/(n1*n2): POSITIVE when group_2 tends to be",
               "larger than group_1. If there were ties, exact=TRUE would fall back to the",
               "normal approximation with a warning; mean_ac has no ties, so exact=TRUE",
               "is truly exact here -- see 'method' and 'warnings'."),
  band = as.character(band),
  group_sizes = as.list(setNames(as.integer(sizes), names(sizes))),
  kruskal = list(statistic_H = H, df = unname(kt$value$parameter),
                 p_value = kt$value$p.value, n = N,
                 epsilon_squared = H * (N + 1) / (N^2 - 1),
                 warnings = kt$warnings),
  pairwise = pw)

# ---- block 8: OLS -----------------------------------------------------------
ols <- function(y, s, label) {
  d <- data.frame(y = y, staff = s)
  fit <- lm(y ~ log(staff), data = d)
  cl <- coeftest(fit)
  V3 <- vcovHC(fit, type = "HC3")
  h3 <- coeftest(fit, vcov. = V3, df = fit$df.residual)
  sm <- summary(fit)
  list(model = label, n = nobs(fit), df_residual = fit$df.residual,
       coef_names = c("intercept", "log_staff"),
       coef = unname(coef(fit)),
       se_classical = unname(cl[, 2]), t_classical = unname(cl[, 3]), p_classical = unname(cl[, 4]),
       se_hc3 = unname(h3[, 2]), t_hc3 = unname(h3[, 3]), p_hc3 = unname(h3[, 4]),
       r_squared = sm$r.squared, adj_r_squared = sm$adj.r.squared,
       sigma = sm$sigma)
}
res$b8_ols <- list(
  note = paste("lm(mean ~ log(staff)); HC3 via sandwich::vcovHC(type='HC3');",
               "t tests via lmtest::coeftest(df = residual df)."),
  mean_cc = ols(unname(mean_cc), staff_cc, "lm(mean_cc ~ log(staff)), 12 complete cases"),
  mean_ac = ols(unname(mean_ac), staff, "lm(mean_ac ~ log(staff)), 16 businesses"))

# ---- block 9: proportional odds ----------------------------------------------
idx <- which(!is.na(stages), arr.ind = TRUE)
idx <- idx[order(idx[, 1], idx[, 2]), , drop = FALSE]
long <- data.frame(business = ids[idx[, 1]],
                   stage = idx[, 2],
                   level = stages[idx],
                   log_staff = log_staff[idx[, 1]],
                   stringsAsFactors = FALSE)
stopifnot(nrow(long) == 137)
long$y <- factor(long$level, levels = 0:5, ordered = TRUE)
pf <- capture(polr(y ~ log_staff, data = long, Hess = TRUE, method = "logistic"))
b9 <- list(
  note = paste("MASS::polr(factor(level, levels=0:5, ordered=TRUE) ~ log_staff,",
               "Hess=TRUE, method='logistic') on 137 assessed cells. Parametrisation:",
               "logit P(Y <= k) = zeta_k - eta, eta = beta*log_staff (positive beta =",
               "higher levels). Cluster-robust: sandwich::vcovCL(fit, cluster=~business,",
               "type=...). NOTE vcovCL's default cadjust=TRUE multiplies by G/(G-1)",
               "even for type='HC0'; HC1 additionally multiplies by (n-1)/(n-p),",
               "p = 1 + 5 thresholds = 6. cadjust=FALSE variant also recorded.",
               "Parameter order: log_staff, then thresholds 0|1..4|5."),
  n = nrow(long), n_clusters = length(unique(long$business)),
  fit_warnings = pf$warnings, fit_error = pf$error)
if (is.null(pf$error)) {
  fit <- pf$value
  Vn <- vcov(fit)
  b9$param_names <- c("log_staff", names(fit$zeta))
  b9$beta_log_staff <- unname(coef(fit))
  b9$zeta <- unname(fit$zeta)
  b9$zeta_names <- names(fit$zeta)
  b9$se_naive <- unname(sqrt(diag(Vn)))
  b9$loglik <- as.numeric(logLik(fit))
  b9$deviance <- fit$deviance
  b9$convergence <- fit$convergence
  b9$niter <- unname(fit$niter)
  rob <- function(type, cadjust = TRUE) {
    r <- capture(vcovCL(fit, cluster = ~business, type = type, cadjust = cadjust))
    if (!is.null(r$error)) return(list(error = r$error, warnings = r$warnings))
    list(type = type, cadjust = cadjust, se = unname(sqrt(diag(r$value))),
         vcov = unname(r$value), warnings = r$warnings)
  }
  b9$cluster_HC0 <- rob("HC0")
  b9$cluster_HC1 <- rob("HC1")
  b9$cluster_HC0_no_cadjust <- rob("HC0", cadjust = FALSE)
  # Same model refitted with a much tighter optimiser tolerance (polr passes
  # `control` to optim; default reltol ~1.5e-8 leaves the parameters accurate
  # only to ~1e-7). Use these for tight comparisons with other optimisers.
  pt <- capture(polr(y ~ log_staff, data = long, Hess = TRUE, method = "logistic",
                     control = list(reltol = 1e-15, maxit = 10000)))
  if (is.null(pt$error)) {
    ft <- pt$value
    b9$tight_convergence <- list(
      call = "polr(..., control = list(reltol = 1e-15, maxit = 10000))",
      beta_log_staff = unname(coef(ft)), zeta = unname(ft$zeta),
      se_naive = unname(sqrt(diag(vcov(ft)))), loglik = as.numeric(logLik(ft)),
      convergence = ft$convergence,
      cluster_HC0_se = unname(sqrt(diag(vcovCL(ft, cluster = ~business, type = "HC0")))),
      cluster_HC1_se = unname(sqrt(diag(vcovCL(ft, cluster = ~business, type = "HC1")))),
      cluster_HC0_no_cadjust_se = unname(sqrt(diag(vcovCL(ft, cluster = ~business, type = "HC0", cadjust = FALSE)))),
      warnings = pt$warnings)
  } else b9$tight_convergence <- list(error = pt$error, warnings = pt$warnings)

  # Newton-polished optimum, computed by hand (no polr internals):
  # optim/BFGS (even with reltol=1e-15) stops with |gradient| ~ 1e-6, so the
  # parameters are only good to ~1e-7. Here: analytic per-observation scores
  # of the cumulative-logit log-likelihood,
  #   p_i = F(zeta_{y_i+1} - eta_i) - F(zeta_{y_i} - eta_i), F = plogis,
  #   (zeta_0 = -Inf, zeta_6 = +Inf in 1-based level+1 indexing),
  #   d log p_i / d zeta_j = [f(u) 1{j = upper} - f(l) 1{j = lower}] / p_i,
  #   d log p_i / d beta   = -x_i [f(u) - f(l)] / p_i,   f = dlogis,
  # Newton steps with a Hessian from central differences (h = 1e-5) of the
  # analytic total score, naive vcov = solve(-H), and cluster-robust
  #   V = vcov %*% (sum_g s_g s_g') %*% vcov  (* G/(G-1) if cadjust,
  #                                            * (n-1)/(n-p) for HC1),
  # which is what sandwich::vcovCL computes for polr (bread = n*vcov,
  # meat = crossprod(cluster score sums)/n). The same hand formulas evaluated
  # at the default polr fit are recorded in hand_check_at_default_fit.
  yy <- long$level; xx <- long$log_staff; nn <- length(yy); G <- length(unique(long$business))
  obs_scores <- function(th) {
    beta <- th[1]; z <- c(-Inf, th[-1], Inf); eta <- beta * xx
    up <- z[yy + 2] - eta; lo <- z[yy + 1] - eta
    p <- plogis(up) - plogis(lo)
    fu <- ifelse(is.finite(up), dlogis(up), 0); fl <- ifelse(is.finite(lo), dlogis(lo), 0)
    S <- matrix(0, nn, length(th))
    S[, 1] <- -xx * (fu - fl) / p
    for (j in 1:5) {
      S[, j + 1] <- (fu * (yy + 2 == j + 1) - fl * (yy + 1 == j + 1)) / p
    }
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
    Sg <- rowsum(S, long$business)
    core <- V %*% crossprod(Sg) %*% V
    list(se_naive = sqrt(diag(V)),
         cluster_HC0_no_cadjust_se = sqrt(diag(core)),
         cluster_HC0_se = sqrt(diag(core * G / (G - 1))),
         cluster_HC1_se = sqrt(diag(core * G / (G - 1) * (nn - 1) / (nn - length(th)))))
  }
  th <- c(coef(fit), fit$zeta)
  hand_default <- sandwich_cl(th)
  for (it in 1:20) {
    g <- colSums(obs_scores(th)$S)
    th <- th - solve(hess_num(th), g)
    if (max(abs(g)) < 1e-12) break
  }
  g <- colSums(obs_scores(th)$S)
  pol <- sandwich_cl(th)
  b9$newton_polished <- list(
    note = "hand-coded analytic score + Newton; gradient at optimum recorded",
    beta_log_staff = unname(th[1]), zeta = unname(th[-1]),
    loglik = obs_scores(th)$loglik, max_abs_gradient = max(abs(g)),
    newton_iterations = it,
    se_naive = unname(pol$se_naive),
    cluster_HC0_se = unname(pol$cluster_HC0_se),
    cluster_HC1_se = unname(pol$cluster_HC1_se),
    cluster_HC0_no_cadjust_se = unname(pol$cluster_HC0_no_cadjust_se))
  b9$hand_check_at_default_fit <- list(
    note = paste("hand formulas at the default polr estimates; the cluster SEs",
                 "should match cluster_HC0/HC1 above up to polr's own Hessian",
                 "(polr uses optimHess, ndeps = 1e-3)"),
    loglik = obs_scores(c(coef(fit), fit$zeta))$loglik,
    max_abs_gradient = max(abs(colSums(obs_scores(c(coef(fit), fit$zeta))$S))),
    se_naive = unname(hand_default$se_naive),
    cluster_HC0_se = unname(hand_default$cluster_HC0_se),
    cluster_HC1_se = unname(hand_default$cluster_HC1_se),
    cluster_HC0_no_cadjust_se = unname(hand_default$cluster_HC0_no_cadjust_se))
}
res$b9_polr <- b9
res$b9_polr$long_table <- list(business = long$business, stage = long$stage,
                               level = long$level, log_staff = long$log_staff)

# ---- write --------------------------------------------------------------------
# jsonlite caps numeric output at 15 significant digits (digits=NA and
# digits=I(17) both give 2.16666666666667), so every double is pre-formatted
# with sprintf("%.17g") and inserted verbatim (json_verbatim=TRUE). Matrices are
# written row-major as arrays of rows; NA -> null; length-1 doubles -> scalars.
num17 <- function(v) { s <- sprintf("%.17g", v); s[is.na(v)] <- "null"; s }
to_verbatim <- function(x) {
  if (is.list(x) && !is.data.frame(x)) {
    at <- attributes(x); out <- lapply(x, to_verbatim); attributes(out) <- at
    return(out)
  }
  if (is.double(x)) {
    if (is.matrix(x)) {
      rows <- apply(x, 1, function(r) paste0("[", paste(num17(r), collapse = ","), "]"))
      return(structure(paste0("[", paste(rows, collapse = ","), "]"), class = "json"))
    }
    if (length(x) == 1 && !inherits(x, "AsIs")) return(structure(num17(x), class = "json"))
    return(structure(paste0("[", paste(num17(x), collapse = ","), "]"), class = "json"))
  }
  x
}
json <- toJSON(to_verbatim(res), auto_unbox = TRUE, pretty = TRUE,
               json_verbatim = TRUE, null = "null", na = "null")
writeLines(json, file.path(out_dir, "cw2007_reference.json"))
cat("wrote", file.path(out_dir, "cw2007_reference.json"), "\n")
