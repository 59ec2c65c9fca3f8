"""Write the statsmodels-style results files from the output of ``cw2007_reference.R``.

The R script ``tests/reference/cw2007_reference.R`` writes every value it computes to
``tests/reference/cw2007_reference.json`` (17 significant digits). This script turns that
JSON into one Python results file per tested module, each value preceded by a comment
``# > <R call>`` taken from the R script, and each number copied as text, byte for byte
from the JSON (no float round trip). The JSON is an intermediate and is not committed.

Regenerate, from the repository root::

    Rscript tests/reference/cw2007_reference.R
    .venv/bin/python tests/reference/make_results_files.py
    rm tests/reference/cw2007_reference.json

Output files (overwritten)::

    tests/analysis/results/results_describe.py        data block, b6 (binom.test, prop.test)
    tests/analysis/results/results_correlation.py     b1, b3, b4 (cor.test)
    tests/analysis/results/results_reliability.py     b5 (psych::alpha, alpha.ci, omega, fa)
    tests/analysis/results/results_groups.py          b7 (kruskal.test, wilcox.test)
    tests/analysis/results/results_models_wave1.py    b8 (lm + HC3), b9 (MASS::polr)
    tests/stats/results/results_resampling.py         b2 (all 8! permutations)
    tests/stats/results/results_multitest.py          b3 p.adjust (holm, BH)

Importing this module does nothing (pytest imports it with ``--doctest-modules``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
JSON_PATH = ROOT / "tests" / "reference" / "cw2007_reference.json"
SCRIPT = "tests/reference/cw2007_reference.R"
WIDTH = 100


class Num(str):
    """A number kept as the exact text R wrote."""


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"), parse_float=Num, parse_int=Num)


def lit(value: Any) -> str:
    """One-line Python literal; numbers verbatim."""
    if isinstance(value, Num):
        return str(value)
    if value is None:
        return "None"
    if isinstance(value, bool):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(lit(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + ", ".join(lit(v) for v in value) + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{lit(k)}: {lit(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))


def wrapped(head: str, items: list[str], opener: str, closer: str, indent: int) -> list[str]:
    """``head`` + items packed into lines of at most WIDTH characters."""
    one = head + opener + ", ".join(items) + closer
    if len(one) <= WIDTH:
        return [one]
    pad = " " * (indent + 4)
    lines = [head + opener]
    line = pad
    for item in items:
        piece = item + ","
        if line.strip() and len(line) + 1 + len(piece) > WIDTH:
            lines.append(line.rstrip())
            line = pad
        line += (" " if line.strip() else "") + piece
    lines.append(line.rstrip())
    lines.append(" " * indent + closer)
    return lines


def block(head: str, value: Any, indent: int = 0) -> list[str]:
    """Lines of ``head`` followed by the literal of ``value`` (lists of rows nested)."""
    if isinstance(value, list) and value and all(isinstance(v, list) for v in value):
        lines = [head + "["]
        for row in value:
            lines += block(" " * (indent + 4), row, indent + 4)
            lines[-1] += ","
        lines.append(" " * indent + "]")
        return lines
    if isinstance(value, list):
        return wrapped(head, [lit(v) for v in value], "[", "]", indent)
    if isinstance(value, dict) and len(head + lit(value)) >= WIDTH:
        lines = [head + "{"]
        for key, item in value.items():
            lines += block(" " * (indent + 4) + lit(key) + ": ", item, indent + 4)
            lines[-1] += ","
        lines.append(" " * indent + "}")
        return lines
    return [head + lit(value)]


class Writer:
    def __init__(self, path: str, title: str, sections: str, test: str, meta: Any) -> None:
        self.path = path
        self.lines: list[str] = []
        self.names: set[str] = set()
        self.lines += [
            f'"""R reference values for {title}.',
            "",
            "Data: ``data/raw/customer_wise_2007.csv``, read in R with",
            '``read.csv(check.names = FALSE, na.strings = "")`` (a blank cell is NA: not assessed,',
            'never 0); columns "1".."10" are stage_1..stage_10, rows are businesses B01..B16 in',
            "file order; ``cc`` = the 12 complete cases, ``mean_cc <- rowMeans(m_cc)``,",
            "``mean_ac <- rowMeans(stages, na.rm = TRUE)``, ``staff_cc <- staff[cc]``.",
            "",
            *textwrap.wrap(
                f"Produced by {sections} of ``{SCRIPT}`` (one script for the whole first"
                " wave; the sections are marked ``# ---- block N: ...``). Generated by"
                " ``tests/reference/make_results_files.py`` from the script's output; do not"
                " edit by hand. Each value is preceded by a comment ``# > <R call>``; names in"
                " the calls are those of the R script. Doubles carry 17 significant digits"
                ' (``sprintf("%.17g")``), exactly the double R held (1.6000000000000001 *is*'
                " 1.6).",
                WIDTH - 4,
                break_on_hyphens=False,
            ),
            "",
            f"Used by ``{test}``.",
            '"""',
            "",
            "# fmt: off",
            "# > R.version.string",
            f"R_VERSION = {lit(meta['R_version_string'])}",
            '# > as.character(packageVersion("psych"))  # and likewise for each package',
        ]
        self.lines += block("PACKAGE_VERSIONS = ", meta["packages"])

    def section(self, text: str) -> None:
        self.lines += [
            "",
            *textwrap.wrap(text, WIDTH, initial_indent="# ---- ", subsequent_indent="# "),
        ]

    def comment(self, *calls: str) -> None:
        for c in calls:
            self.lines += textwrap.wrap(
                c,
                WIDTH,
                initial_indent="# > ",
                subsequent_indent="# >     ",
                break_long_words=False,
                break_on_hyphens=False,
            )

    def note(self, text: str) -> None:
        self.lines += textwrap.wrap(text, WIDTH, initial_indent="# ", subsequent_indent="# ")

    def value(self, name: str, value: Any, *calls: str) -> None:
        if name in self.names:
            raise ValueError(f"{self.path}: {name} twice")
        self.names.add(name)
        self.comment(*calls)
        self.lines += block(f"{name} = ", value)

    def mapping(self, name: str, entries: list[tuple[list[str], Any, Any]], *calls: str) -> None:
        """A dict literal, each entry preceded by its own R calls."""
        self.names.add(name)
        self.comment(*calls)
        self.lines.append(f"{name} = {{")
        for entry_calls, key, value in entries:
            for c in entry_calls:
                self.lines += textwrap.wrap(
                    c,
                    WIDTH,
                    initial_indent="    # > ",
                    subsequent_indent="    # >     ",
                    break_long_words=False,
                    break_on_hyphens=False,
                )
            self.lines += block(f"    {lit(key)}: ", value, 4)
            self.lines[-1] += ","
        self.lines.append("}")

    def write(self) -> None:
        self.lines += ["# fmt: on", ""]
        (ROOT / self.path).write_text("\n".join(self.lines), encoding="utf-8")


def no_conditions(node: Any, where: str) -> Iterator[str]:
    """Check R raised no warnings/errors below ``node``; yield the paths of any it did."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k in {"warnings", "messages", "fit_warnings", "alpha_warnings", "alpha_messages"}:
                if v:
                    yield f"{where}.{k}"
            elif k in {"error", "fit_error", "alpha_error"}:
                if v is not None:
                    yield f"{where}.{k}"
            else:
                yield from no_conditions(v, f"{where}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from no_conditions(v, f"{where}[{i}]")


def clean(block_: dict[str, Any], name: str, allowed: frozenset[str] = frozenset()) -> None:
    found = set(no_conditions(block_, name))
    if found - allowed:
        raise ValueError(f"unexpected R warnings/errors: {sorted(found - allowed)}")


NO_CONDITIONS = "R raised no warnings or errors in this section (checked when generating)."

CT = {
    "mean_cc_vs_staff": ("mean_cc", "staff_cc"),
    "mean_ac_vs_staff": ("mean_ac", "staff"),
    "mean_cc_vs_log_staff": ("mean_cc", "log(staff_cc)"),
}
ESTIMATE = {"spearman": "rho", "kendall": "tau", "pearson": "r"}


def correlation(ref: dict[str, Any], meta: Any) -> Writer:
    w = Writer(
        "tests/analysis/results/results_correlation.py",
        "correlations on Table 4 (cor.test)",
        "sections ``block 1: correlations``, ``block 3: per stage vs staff`` and "
        "``block 4: inter-stage matrix``",
        "tests/analysis/test_correlation.py",
        meta,
    )
    b1 = ref["b1_correlations"]
    clean(b1, "b1")
    w.section("block 1: correlations of the business mean with staff")
    w.note("Spearman and Kendall with exact = FALSE: t approximation (Spearman, statistic S),")
    w.note("normal approximation with tie-corrected variance (Kendall tau-b, statistic z);")
    w.note("Pearson: t with df = n - 2 and the Fisher-z 95% CI. " + NO_CONDITIONS)
    for pair, (x, y) in CT.items():
        for method, res in b1[pair].items():
            exact = "" if method == "pearson" else ", exact = FALSE"
            stem = f"{method}_{pair}"
            w.lines.append("")
            w.comment(f'ct <- cor.test({x}, {y}, method = "{method}"{exact})')
            w.value(f"{stem}_n", res["n"], f"length({x})")
            w.value(f"{stem}_{ESTIMATE[method]}", res["estimate"], "ct$estimate")
            w.value(f"{stem}_{res['statistic_name']}", res["statistic"], "ct$statistic")
            if "parameter" in res:
                w.value(f"{stem}_{res['parameter_name']}", res["parameter"], "ct$parameter")
            w.value(f"{stem}_p_value", res["p_value"], "ct$p.value")
            if "conf_int" in res:
                w.value(f"{stem}_conf_int", res["conf_int"], "as.numeric(ct$conf.int)")

    b3 = ref["b3_per_stage"]
    clean(b3, "b3")
    w.section("block 3: each stage with staff, available case (pairwise complete)")
    w.note("lists in stage order stage_1..stage_10. " + NO_CONDITIONS)
    w.comment("ok <- !is.na(stages[, s])  # for each s in colnames(stages)")
    w.comment('ct <- cor.test(stages[ok, s], staff[ok], method = "spearman", exact = FALSE)')
    stages = list(b3["stages"].values())
    for key, array in (("rho", "rho"), ("n", "n"), ("p_value", "p_value")):
        assert [s[key] for s in stages] == b3[array], key  # the parallel arrays are copies
    w.value("stage_vs_staff_stage", [s["stage"] for s in stages], "colnames(stages)")
    w.value("stage_vs_staff_n", b3["n"], "sum(ok)")
    w.value("stage_vs_staff_rho", b3["rho"], "ct$estimate")
    w.value("stage_vs_staff_S", [s["S"] for s in stages], "ct$statistic")
    w.value("stage_vs_staff_p_value", b3["p_value"], "ct$p.value")
    w.note("p.adjust of these p-values (holm, BH): tests/stats/results/results_multitest.py")

    b4 = ref["b4_interstage"]
    clean(b4, "b4")
    w.section("block 4: every pair of stages i < j, pairwise complete")
    w.note(NO_CONDITIONS)
    w.comment("ok <- !is.na(stages[, i]) & !is.na(stages[, j])")
    w.comment('ct <- cor.test(stages[ok, i], stages[ok, j], method = "spearman", exact = FALSE)')
    w.note("(stage_i, stage_j): {'n': sum(ok), 'rho': ct$estimate, 'p_value': ct$p.value}")
    pairs = {}
    for p in b4["pairs"]:
        assert (p["stage_i"], p["stage_j"]) == (f"stage_{p['i']}", f"stage_{p['j']}")
        pairs[(p["stage_i"], p["stage_j"])] = {
            "n": p["n"],
            "rho": p["rho"],
            "p_value": p["p_value"],
        }
    w.lines.append("interstage_spearman = {")
    for key, val in pairs.items():
        w.lines += block(f"    {lit(key)}: ", val, 4)
        w.lines[-1] += ","
    w.lines.append("}")
    w.names.add("interstage_spearman")
    w.value(
        "interstage_rho_matrix",
        b4["rho_matrix"],
        "rho_mat  # 10 x 10, rows stage_1..stage_10, rho_mat[i, j] = rho of pair (i, j), diag 1",
    )
    w.value(
        "interstage_n_matrix",
        b4["n_matrix"],
        "n_mat  # 10 x 10, n of pair (i, j), diag NA (None)",
    )
    return w


def multitest(ref: dict[str, Any], meta: Any) -> Writer:
    w = Writer(
        "tests/stats/results/results_multitest.py",
        "p-value adjustment (p.adjust holm and BH)",
        "section ``block 3: per stage vs staff``",
        "tests/stats/test_multitest.py and tests/analysis/test_correlation.py",
        meta,
    )
    b3 = ref["b3_per_stage"]
    w.section("block 3: p-values of cor.test(stage, staff, spearman) for the 10 stages")
    w.comment(
        "b3 <- lapply(colnames(stages), function(s) { ok <- !is.na(stages[, s]);"
        ' cor.test(stages[ok, s], staff[ok], method = "spearman", exact = FALSE) ... })',
        'p3 <- sapply(b3, `[[`, "p_value")  # the 10 cor.test p-values, stage order',
    )
    w.value("stage_vs_staff_p_value", b3["p_value"], "unname(p3)")
    w.value("stage_vs_staff_p_holm", b3["p_holm"], 'p.adjust(p3, "holm")')
    w.value("stage_vs_staff_p_bh", b3["p_bh"], 'p.adjust(p3, "BH")')
    for s in b3["stages"].values():
        assert s["p_value"] == b3["p_value"][int(s["stage"][6:]) - 1]
        assert s["p_holm"] == b3["p_holm"][int(s["stage"][6:]) - 1]
        assert s["p_bh"] == b3["p_bh"][int(s["stage"][6:]) - 1]
    return w


def resampling(ref: dict[str, Any], meta: Any) -> Writer:
    w = Writer(
        "tests/stats/results/results_resampling.py",
        "exact permutation p-values (all 8! orderings)",
        "section ``block 2: exact permutation by enumeration``",
        "tests/stats/test_resampling.py",
        meta,
    )
    b2 = ref["b2_exact_permutation"]
    w.section("block 2: x = mean_cc of the first 8 complete cases, y = their staff")
    w.note("P <- perms_of(1:8): the script's own recursive generator, 40320 rows.")
    w.note("p = mean(abs(stat_perm) >= abs(stat_obs) - 1e-12), observed arrangement included.")
    w.value("business", b2["business"], "ids[cc][1:8]")
    w.value("x_mean_cc", b2["x_mean_cc"], "x8 <- unname(mean_cc[1:8])")
    w.value("y_staff", b2["y_staff"], "y8 <- staff_cc[1:8]")
    funs = {
        "spearman": "rx <- rank(x8); spear <- function(y) cor(rx, rank(y))  # average ranks",
        "kendall": 'kend <- function(y) cor(x8, y, method = "kendall")  # tau-b',
        "pearson": "pear <- function(y) cor(x8, y)",
    }
    entries = []
    for method, fun in funs.items():
        r = b2[method]
        f = fun.split("; ")[-1].split(" <- ")[0]
        entries.append(
            (
                [
                    fun,
                    f"stat <- apply(P, 1, function(idx) {f}(y8[idx])); obs <- {f}(y8)",
                    "c(observed = obs, p_two_sided = mean(abs(stat) >= abs(obs) - 1e-12),"
                    " n_permutations = length(stat),"
                    " n_extreme = sum(abs(stat) >= abs(obs) - 1e-12))",
                ],
                method,
                {k: r[k] for k in ("observed", "p_two_sided", "n_permutations", "n_extreme")},
            )
        )
    w.mapping("exact_permutation", entries)
    return w


def describe(ref: dict[str, Any], meta: Any) -> Writer:
    w = Writer(
        "tests/analysis/results/results_describe.py",
        "the data as R read it and the share of cells at the lowest level",
        "the data section and section ``block 6: share below level 1``",
        "tests/analysis/test_describe.py",
        meta,
    )
    d = ref["data"]
    w.section("data: one entry per business, file order")
    w.value("business", d["business"], 'ids <- sprintf("B%02d", seq_len(nrow(raw)))')
    w.value("staff", d["staff"], 'staff <- as.numeric(raw[["Staff No"]])')
    w.value("business_type", d["type"], 'as.character(raw[["Type"]])')
    w.value("n_assessed", d["n_assessed"], "as.integer(rowSums(!is.na(stages)))")
    w.value("is_complete_case", d["is_complete_case"], "cc <- complete.cases(stages)")
    w.value("mean_ac", d["mean_ac"], "mean_ac <- rowMeans(stages, na.rm = TRUE)", "unname(mean_ac)")
    w.value("cc_business", d["cc_business"], "ids[cc]")
    w.value("cc_staff", d["cc_staff"], "staff[cc]")
    w.value(
        "mean_cc",
        d["mean_cc"],
        "m_cc <- stages[cc, , drop = FALSE]; mean_cc <- rowMeans(m_cc)",
        "unname(mean_cc)",
    )
    w.value("n_complete_cases", d["n_complete_cases"], "sum(cc)")
    w.value("n_assessed_cells", d["n_assessed_cells"], "sum(!is.na(stages))")

    b6 = ref["b6_share_below_1"]
    clean(b6, "b6")
    w.section("block 6: cells at level 0 per stage and pooled (available case), 95% CIs")
    w.note("x = number of cells at level 0, n = number assessed. binom_test_p is the test of")
    w.note("p = 0.5, recorded only. prop.test warns for small counts; the script suppresses it.")
    calls = [
        "v <- stages[, s]; v <- v[!is.na(v)]; x <- sum(v == 0); n <- length(v); x / n",
        "as.numeric(binom.test(x, n)$conf.int)  # clopper_pearson",
        "as.numeric(prop.test(x, n, correct = FALSE)$conf.int)  # wilson",
        "binom.test(x, n)$p.value  # binom_test_p",
    ]
    fields = ("x", "n", "share", "clopper_pearson", "wilson", "binom_test_p")
    entries = []
    for stage, r in b6["stages"].items():
        assert r["stage"] == stage
        entries.append(([f's <- "{stage}"'], stage, {k: r[k] for k in fields}))
    w.mapping("level_0_by_stage", entries, *calls)
    calls[0] = "allv <- stages[!is.na(stages)]; x <- sum(allv == 0); n <- length(allv); x / n"
    w.comment(*calls)
    w.lines += block("level_0_pooled = ", {k: b6["pooled"][k] for k in fields})
    w.names.add("level_0_pooled")
    return w


def reliability(ref: dict[str, Any], meta: Any) -> Writer:
    w = Writer(
        "tests/analysis/results/results_reliability.py",
        "Cronbach's alpha, its Feldt interval and omega (psych)",
        "section ``block 5: reliability``",
        "tests/analysis/test_reliability.py",
        meta,
    )
    b5 = ref["b5_reliability"]
    omega_warnings = frozenset({"b5.omega_psych.warnings", "b5.omega_psych.messages"})
    clean(b5, "b5", omega_warnings)
    w.section("block 5: the 12 x 10 complete-case matrix m_cc <- stages[cc, , drop = FALSE]")
    w.note("psych::alpha, psych::fa and the hand formulas raised no warnings or errors.")
    w.comment("a <- psych::alpha(m_cc)")
    w.value("alpha_raw", b5["raw_alpha"], "a$total$raw_alpha")
    w.value("alpha_std", b5["std_alpha"], "a$total$std.alpha")
    w.value("average_r", b5["average_r"], "a$total$average_r")
    w.value("item", b5["item"], "rownames(a$item.stats)")
    w.value("item_r_drop", b5["item_r_drop"], "unname(a$item.stats$r.drop)")
    w.value("item_r_cor", b5["item_r_cor"], "unname(a$item.stats$r.cor)")
    w.value("item_raw_r", b5["item_raw_r"], "unname(a$item.stats$raw.r)")
    w.value("alpha_if_deleted", b5["alpha_if_deleted"], "unname(a$alpha.drop$raw_alpha)")
    w.value(
        "alpha_by_hand",
        b5["raw_alpha_by_hand"],
        "k / (k - 1) * (1 - sum(apply(m_cc, 2, var)) / var(rowSums(m_cc)))",
    )
    ci = b5["feldt_ci_psych_alpha_ci"]
    w.value(
        "feldt_ci_alpha_ci",
        [ci["lower"], ci["upper"]],
        "aci <- psych::alpha.ci(raw_alpha, n.obs = 12, n.var = 10, p.val = .05)",
        "c(aci$lower.ci, aci$upper.ci)",
    )
    h = b5["feldt_ci_by_hand"]
    w.value(
        "feldt_ci_by_hand",
        [h["lower"], h["upper"]],
        "n <- 12; k <- 10  # nrow(m_cc), ncol(m_cc)",
        "c(1 - (1 - raw_alpha) * qf(0.975, n - 1, (n - 1) * (k - 1)),",
        "  1 - (1 - raw_alpha) * qf(0.025, n - 1, (n - 1) * (k - 1)))",
    )
    assert (h["n"], h["k"]) == ("12", "10")
    om = b5["omega_psych"]
    w.comment('om <- psych::omega(m_cc, nfactors = 1, fm = "ml", plot = FALSE)')
    w.value("omega_psych_omega_tot", om["omega_tot"], "om$omega.tot")
    w.value("omega_psych_warnings", om["warnings"], "warnings raised by psych::omega")
    w.value("omega_psych_messages", om["messages"], "messages printed by psych::omega")
    fa = b5["omega_fa_ml"]
    w.comment('fa1 <- psych::fa(m_cc, nfactors = 1, fm = "ml")')
    w.value("fa_ml_loadings", fa["loadings"], "L <- as.numeric(fa1$loadings[, 1])")
    w.value("fa_ml_uniquenesses", fa["uniquenesses"], "u2 <- as.numeric(fa1$uniquenesses)")
    w.note("model-implied total variance sum(L)^2 + sum(u2):")
    w.value("omega_fa_ml_total", fa["omega_total"], "sum(L)^2 / (sum(L)^2 + sum(u2))")
    w.note("observed total variance, as psych::omega's omega.tot:")
    w.value(
        "omega_fa_ml_total_observed_variance",
        fa["omega_total_observed_variance"],
        "1 - sum(u2) / sum(cor(m_cc))",
    )
    return w


def groups(ref: dict[str, Any], meta: Any) -> Writer:
    w = Writer(
        "tests/analysis/results/results_groups.py",
        "group comparisons of the business mean by EU size band",
        "section ``block 7: group comparisons by EU size band``",
        "tests/analysis/test_groups.py",
        meta,
    )
    b7 = ref["b7_group_comparisons"]
    clean(b7, "b7")
    w.section("block 7: mean_ac (16 businesses) by EU size band")
    w.note(NO_CONDITIONS)
    w.note("mean_ac has no ties, so exact = TRUE is truly exact. W = number of pairs with")
    w.note("group_1 > group_2 (the U of group_1); rank_biserial_r = 1 - 2W/(n1 n2) is POSITIVE")
    w.note("when group_2 tends to be larger.")
    w.value(
        "band",
        b7["band"],
        "band <- cut(staff, breaks = c(-Inf, 9, 49, 249, Inf),",
        '            labels = c("micro", "small", "medium", "large"), right = TRUE)',
        "as.character(band)",
    )
    w.value(
        "group_sizes",
        b7["group_sizes"],
        "sizes <- table(band)",
        "as.list(setNames(as.integer(sizes), names(sizes)))",
    )
    k = b7["kruskal"]
    w.comment("kt <- kruskal.test(mean_ac, droplevels(band))")
    w.value("kruskal_H", k["statistic_H"], "H <- unname(kt$statistic)")
    w.value("kruskal_df", k["df"], "unname(kt$parameter)")
    w.value("kruskal_p_value", k["p_value"], "kt$p.value")
    w.value("kruskal_n", k["n"], "N <- length(mean_ac)")
    w.value("kruskal_epsilon_squared", k["epsilon_squared"], "H * (N + 1) / (N^2 - 1)")
    for variant, exact in (("exact_true", "TRUE"), ("exact_false", "FALSE")):
        entries = []
        for pw in b7["pairwise"].values():
            g1, g2 = pw["group_1"], pw["group_2"]
            r = pw[variant]
            assert r["exact_requested"] == (exact == "TRUE")
            entries.append(
                (
                    [
                        f'xa <- mean_ac[band == "{g1}"]; xb <- mean_ac[band == "{g2}"]',
                        f"wt <- wilcox.test(xa, xb, exact = {exact}, correct = FALSE)",
                    ],
                    (g1, g2),
                    {
                        "n1": pw["n1"],
                        "n2": pw["n2"],
                        "W": r["W"],
                        "p_value": r["p_value"],
                        "rank_biserial_r": r["rank_biserial_r"],
                        "method": r["method"],
                    },
                )
            )
        name = "wilcox_exact" if exact == "TRUE" else "wilcox_normal"
        w.lines.append("")
        w.mapping(
            name,
            entries,
            "(group_1, group_2): {'n1': length(xa), 'n2': length(xb), 'W': unname(wt$statistic),"
            " 'p_value': wt$p.value, 'rank_biserial_r': 1 - 2 * W / (n1 * n2),"
            " 'method': wt$method}",
        )
    return w


def models(ref: dict[str, Any], meta: Any) -> Writer:
    w = Writer(
        "tests/analysis/results/results_models_wave1.py",
        "the size models on Table 4: OLS with HC3 and the proportional-odds model",
        "sections ``block 8: OLS`` and ``block 9: proportional odds``",
        "tests/analysis/test_models.py",
        meta,
    )
    b8 = ref["b8_ols"]
    clean(b8, "b8")
    w.section("block 8: lm(mean ~ log(staff)); coefficient order (intercept, log_staff)")
    for key, (y, s) in (("mean_cc", ("mean_cc", "staff_cc")), ("mean_ac", ("mean_ac", "staff"))):
        r = b8[key]
        assert r["coef_names"] == ["intercept", "log_staff"]
        stem = f"ols_{key}"
        w.lines.append("")
        w.comment(
            f"d <- data.frame(y = {y}, staff = {s}); fit <- lm(y ~ log(staff), data = d)",
            'cl <- coeftest(fit); V3 <- vcovHC(fit, type = "HC3")',
            "h3 <- coeftest(fit, vcov. = V3, df = fit$df.residual)",
        )
        w.value(f"{stem}_n", r["n"], "nobs(fit)")
        w.value(f"{stem}_df_residual", r["df_residual"], "fit$df.residual")
        w.value(f"{stem}_coef", r["coef"], "unname(coef(fit))")
        w.value(f"{stem}_se_classical", r["se_classical"], "unname(cl[, 2])")
        w.value(f"{stem}_t_classical", r["t_classical"], "unname(cl[, 3])")
        w.value(f"{stem}_p_classical", r["p_classical"], "unname(cl[, 4])")
        w.value(f"{stem}_se_hc3", r["se_hc3"], "unname(h3[, 2])")
        w.value(f"{stem}_t_hc3", r["t_hc3"], "unname(h3[, 3])")
        w.value(f"{stem}_p_hc3", r["p_hc3"], "unname(h3[, 4])  # t-based, df = residual df")
        w.value(f"{stem}_r_squared", r["r_squared"], "summary(fit)$r.squared")
        w.value(f"{stem}_adj_r_squared", r["adj_r_squared"], "summary(fit)$adj.r.squared")
        w.value(f"{stem}_sigma", r["sigma"], "summary(fit)$sigma")

    b9 = ref["b9_polr"]
    clean(b9, "b9")
    w.section("block 9: proportional odds on the 137 assessed cells")
    w.note("logit P(Y <= k) = zeta_k - beta * log_staff; parameter order log_staff, 0|1..4|5.")
    w.note("vcovCL's default cadjust = TRUE multiplies by G/(G-1) even for HC0; HC1 also by")
    w.note("(n-1)/(n-p), p = 6. " + NO_CONDITIONS)
    w.comment(
        "long$y <- factor(long$level, levels = 0:5, ordered = TRUE)",
        'fit <- polr(y ~ log_staff, data = long, Hess = TRUE, method = "logistic")',
    )
    w.value("polr_n", b9["n"], "nrow(long)")
    w.value("polr_n_clusters", b9["n_clusters"], "length(unique(long$business))")
    w.value("polr_param_names", b9["param_names"], 'c("log_staff", names(fit$zeta))')
    w.value("polr_beta_log_staff", b9["beta_log_staff"], "unname(coef(fit))")
    w.value("polr_zeta", b9["zeta"], "unname(fit$zeta)")
    w.value("polr_zeta_names", b9["zeta_names"], "names(fit$zeta)")
    w.value("polr_se_naive", b9["se_naive"], "unname(sqrt(diag(vcov(fit))))")
    w.value("polr_loglik", b9["loglik"], "as.numeric(logLik(fit))")
    w.value("polr_deviance", b9["deviance"], "fit$deviance")
    w.value("polr_convergence", b9["convergence"], "fit$convergence")
    w.value("polr_niter", b9["niter"], "unname(fit$niter)")
    for key, call in (
        ("cluster_HC0", 'vcovCL(fit, cluster = ~business, type = "HC0")'),
        ("cluster_HC1", 'vcovCL(fit, cluster = ~business, type = "HC1")'),
        (
            "cluster_HC0_no_cadjust",
            'vcovCL(fit, cluster = ~business, type = "HC0", cadjust = FALSE)',
        ),
    ):
        r = b9[key]
        w.value(f"polr_{key}_se", r["se"], f"V <- {call}", "unname(sqrt(diag(V)))")
        w.value(f"polr_{key}_vcov", r["vcov"], "unname(V)")

    t = b9["tight_convergence"]
    w.section("block 9, the same model refitted with a tight optimiser tolerance")
    w.comment(
        'ft <- polr(y ~ log_staff, data = long, Hess = TRUE, method = "logistic",'
        " control = list(reltol = 1e-15, maxit = 10000))"
    )
    w.value("polr_tight_beta_log_staff", t["beta_log_staff"], "unname(coef(ft))")
    w.value("polr_tight_zeta", t["zeta"], "unname(ft$zeta)")
    w.value("polr_tight_se_naive", t["se_naive"], "unname(sqrt(diag(vcov(ft))))")
    w.value("polr_tight_loglik", t["loglik"], "as.numeric(logLik(ft))")
    w.value("polr_tight_convergence", t["convergence"], "ft$convergence")
    for key, type_, extra in (
        ("cluster_HC0_se", "HC0", ""),
        ("cluster_HC1_se", "HC1", ""),
        ("cluster_HC0_no_cadjust_se", "HC0", ", cadjust = FALSE"),
    ):
        w.value(
            f"polr_tight_{key}",
            t[key],
            f'unname(sqrt(diag(vcovCL(ft, cluster = ~business, type = "{type_}"{extra}))))',
        )

    for key, stem, lead in (
        (
            "newton_polished",
            "polr_newton",
            "Newton steps from the polr fit on the script's analytic score obs_scores() with a"
            " central-difference Hessian hess_num(); th = the optimum; pol <- sandwich_cl(th)",
        ),
        (
            "hand_check_at_default_fit",
            "polr_hand_check",
            "the same hand formulas at the default polr fit: th <- c(coef(fit), fit$zeta);"
            " pol <- sandwich_cl(th)",
        ),
    ):
        r = b9[key]
        w.section(f"block 9, {key}: {lead}")
        if key == "newton_polished":
            w.value(f"{stem}_beta_log_staff", r["beta_log_staff"], "unname(th[1])")
            w.value(f"{stem}_zeta", r["zeta"], "unname(th[-1])")
            w.value(f"{stem}_iterations", r["newton_iterations"], "it  # Newton steps taken")
        w.value(f"{stem}_loglik", r["loglik"], "obs_scores(th)$loglik")
        w.value(
            f"{stem}_max_abs_gradient", r["max_abs_gradient"], "max(abs(colSums(obs_scores(th)$S)))"
        )
        w.value(f"{stem}_se_naive", r["se_naive"], "unname(pol$se_naive)  # sqrt(diag(solve(-H)))")
        w.value(f"{stem}_cluster_HC0_se", r["cluster_HC0_se"], "unname(pol$cluster_HC0_se)")
        w.value(f"{stem}_cluster_HC1_se", r["cluster_HC1_se"], "unname(pol$cluster_HC1_se)")
        w.value(
            f"{stem}_cluster_HC0_no_cadjust_se",
            r["cluster_HC0_no_cadjust_se"],
            "unname(pol$cluster_HC0_no_cadjust_se)",
        )

    lt = b9["long_table"]
    w.section("block 9: the long table the models were fitted to (one row per assessed cell)")
    w.comment(
        "idx <- which(!is.na(stages), arr.ind = TRUE); idx <- idx[order(idx[, 1], idx[, 2]), ]",
        "long <- data.frame(business = ids[idx[, 1]], stage = idx[, 2], level = stages[idx],",
        "                   log_staff = log_staff[idx[, 1]])",
    )
    w.value("long_business", lt["business"], "long$business")
    w.value("long_stage", lt["stage"], "long$stage")
    w.value("long_level", lt["level"], "long$level")
    w.value("long_log_staff", lt["log_staff"], "long$log_staff")
    return w


def main() -> None:
    ref = load(JSON_PATH)
    meta = ref["meta"]
    writers = [
        f(ref, meta)
        for f in (describe, correlation, multitest, resampling, reliability, groups, models)
    ]
    for w in writers:
        w.write()
    paths = [w.path for w in writers]
    ruff = ROOT / ".venv" / "bin" / "ruff"
    subprocess.run([str(ruff), "check", "-q", *paths], cwd=ROOT, check=True)
    print("wrote", *paths, sep="\n  ")


if __name__ == "__main__":
    sys.exit(main())
