# =============================================================================
# r_claims.R -- reference values for tests/analysis/test_claims.py: every
# statistic of the founding paper's claims file computed in R from Table 4;
# writes tests/analysis/results/results_claims.py
# =============================================================================
# Run from the repository root:
#     R --vanilla -q -f tests/analysis/results/r_claims.R \
#         > tests/analysis/results/r_claims.Rout 2>&1
# Debian packages: r-base-core
# Available case: each business's score over its assessed stages; each stage
# over the businesses assessed on it; blanks (NA) are never 0. Exact
# Clopper-Pearson intervals from binom.test; Spearman r from cor.test.
# Names: <claim id>_<reading no>_{value,ci,n} (see data/raw/customer_wise_2007_claims.yaml).
# Nothing here is random.
# =============================================================================
source(file.path("tests", "stats", "results", "r_common.R"))
RESULTS_DIR <- file.path("tests", "analysis", "results")

py_open("claims",
        c("R reference values for the readings of data/raw/customer_wise_2007_claims.yaml."),
        c("stats"))
.py$lines <- gsub("tests/stats/results/r_", "tests/analysis/results/r_", .py$lines, fixed = TRUE)

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
share("abstract_most_below_level_1_4", "sum(cells == 0)", "length(cells)")
share("abstract_no_processes_for_good_service_1", "sum(median_b < 3)", "length(median_b)")
share("abstract_no_processes_for_good_service_2", "sum(mean_b < 3)", "length(mean_b)")
share("implications_scant_attention_1", "sum(median_b < 2)", "length(median_b)")
share("implications_scant_attention_2", "sum(mean_b < 2)", "length(mean_b)")

py_comment("---- shares of the businesses assessed on a stage ----")
share("abstract_ict_little_information_1", "at(3, 0:1)", "n_on(3)")
share("reputation_few_keep_records_1", "at(3, 2:5)", "n_on(3)")
share("contact_many_below_level_1_1", "at(1, 0)", "n_on(1)")
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
emit("new_products_level_1_micro_3_value",
     "unname(cor.test(s8[ok8], t4$staff[ok8], method = 'spearman', exact = FALSE)$estimate)",
     unname(cor.test(s8[ok8], t4$staff[ok8], method = "spearman", exact = FALSE)$estimate))
emit("new_products_level_1_micro_3_n", "sum(ok8)", sum(ok8))
cc <- complete.cases(S)
emit("mean_staff_complete_case_r",
     "unname(cor.test(rowMeans(S[cc, ]), t4$staff[cc], method = 'spearman', exact = FALSE)$estimate)",
     unname(cor.test(rowMeans(S[cc, ]), t4$staff[cc], method = "spearman", exact = FALSE)$estimate))
emit("mean_staff_complete_case_p",
     "cor.test(rowMeans(S[cc, ]), t4$staff[cc], method = 'spearman', exact = FALSE)$p.value",
     cor.test(rowMeans(S[cc, ]), t4$staff[cc], method = "spearman", exact = FALSE)$p.value)

py_close()
