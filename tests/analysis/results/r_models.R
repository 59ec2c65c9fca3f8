# =============================================================================
# r_models.R -- reference values for tests/analysis/test_models.py: the MASS
# housing data (as a frequency table) and polr(level ~ log(staff)) on Table 4
# with sandwich::vcovCL(type = "HC1") and t tests on G - 1 df; writes
# tests/analysis/results/results_models.py
# =============================================================================
# Run from the repository root:
#     R --vanilla -q -f tests/analysis/results/r_models.R \
#         > tests/analysis/results/r_models.Rout 2>&1
# Debian packages: r-base-core r-cran-mass r-cran-sandwich r-cran-lmtest
# Table 4 long form exactly as tests/stats/results/r_ordinal.R builds it.
# Nothing here is random.
# =============================================================================
source(file.path("tests", "stats", "results", "r_common.R"))
RESULTS_DIR <- file.path("tests", "analysis", "results")
suppressPackageStartupMessages({
  library(MASS)
  library(sandwich)
  library(lmtest)
})

py_open("models",
        c("R reference values for the ordinal model: MASS::housing and Table 4 (HC1, df = G - 1)."),
        c("MASS", "sandwich", "lmtest"))
.py$lines <- gsub("tests/stats/results/r_", "tests/analysis/results/r_", .py$lines, fixed = TRUE)

py_comment("---- MASS::housing: 72 rows; Sat varies fastest, then Infl, Type, Cont ----")
emit("housing_sat", "as.character(housing$Sat)", as.character(housing$Sat))
emit("housing_infl", "as.character(housing$Infl)", as.character(housing$Infl))
emit("housing_type", "as.character(housing$Type)", as.character(housing$Type))
emit("housing_cont", "as.character(housing$Cont)", as.character(housing$Cont))
emit("housing_freq", "housing$Freq", as.integer(housing$Freq))
py_blank()

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
py_close()
