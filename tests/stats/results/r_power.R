# =============================================================================
# r_power.R -- power of a correlation test (pwr) and of the proportional-odds
# (Wilcoxon / ordinal) two-group comparison (Hmisc::popower); writes
# results_power.py
# =============================================================================
# Run from the repository root:
#     R --vanilla -q -f tests/stats/results/r_power.R \
#         > tests/stats/results/r_power.Rout 2>&1
# Debian packages: r-base-core r-cran-pwr r-cran-hmisc
# Closed-form formulas except the solved-for n (uniroot), so nothing is random.
# =============================================================================
source(file.path("tests", "stats", "results", "r_common.R"))
suppressPackageStartupMessages({
  library(pwr)
  library(Hmisc)
})

py_open("power",
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
sessionInfo()
