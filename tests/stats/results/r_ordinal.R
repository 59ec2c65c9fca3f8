# =============================================================================
# r_ordinal.R -- proportional-odds models (MASS::polr): the MASS housing data
# and the Table 4 stage levels with cluster-robust SEs; writes
# results_ordinal.py
# =============================================================================
# Run from the repository root:
#     R --vanilla -q -f tests/stats/results/r_ordinal.R \
#         > tests/stats/results/r_ordinal.Rout 2>&1
# Debian packages: r-base-core r-cran-mass r-cran-sandwich r-cran-lmtest
#                  r-cran-clubsandwich
#
# DATA PREPARATION (Table 4, long form):
#   read.csv("data/raw/customer_wise_2007.csv", check.names = FALSE,
#            na.strings = ""); business_id = "B01".."B16" in file order,
#   staff = column "Staff No", stage_1..stage_10 = columns "1".."10".
#   One row per business x stage (16 x 10 = 160), in business-major order
#   (B01 stage_1..stage_10, then B02, ...); rows whose level is blank (NA) are
#   dropped -> 137 rows; businesses without staff would be dropped too, but all
#   16 have staff (so nothing is dropped for that reason). level =
#   factor(level, levels = 0:5, ordered = TRUE) (all six levels occur);
#   predictor log(staff), natural log. G = 16 clusters (businesses).
# Nothing here is random.
# =============================================================================
source(file.path("tests", "stats", "results", "r_common.R"))
suppressPackageStartupMessages({
  library(MASS)
  library(sandwich)
  library(lmtest)
  library(clubSandwich)
})

py_open("ordinal",
        c("R reference values: proportional-odds (cumulative logit) models, MASS::polr.",
          "",
          "polr's parameterisation: logit P(Y <= k) = zeta_k - eta, eta = X beta (no",
          "intercept). Its optimiser is optim BFGS (reltol 1e-8) and vcov() inverts optim's",
          "finite-difference Hessian, so agreement with another implementation is ~1e-6",
          "relative for coefficients and ~1e-5 for SEs; the *_tight values refit with",
          "reltol = 1e-15 for a closer optimum."),
        c("MASS", "sandwich", "lmtest", "clubSandwich"))

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

# ---- Table 4, long form --------------------------------------------------------------
py_comment("---- Table 4 in long form: polr(level ~ log(staff)), clustered by business ----")
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
emit("t4_vcovCL_hc0_se",
     "sqrt(diag(sandwich::vcovCL(fit, cluster = ~business_id, type = \"HC0\")))",
     unname(sqrt(diag(Vh0))))
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

py_close()
sessionInfo()
