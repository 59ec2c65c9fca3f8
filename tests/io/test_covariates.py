"""load_covariates: a seeded SYNTHETIC growth file merged by id, and every bad input named."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cma_research import DataValidationError, correlate, load_covariates, synthetic_growth
from cma_research.core.cohort import Cohort

GROWTH = "synthetic_turnover_growth_pct"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_synthetic_growth_round_trip(cohort: Cohort, tmp_path: Path) -> None:
    growth = synthetic_growth(cohort, seed=3)
    path = tmp_path / "growth.csv"
    growth.to_csv(path, index=False)
    merged = load_covariates(path, cohort)
    values = merged.attributes[GROWTH]
    assert str(values.dtype) == "Float64"
    # one decimal written by to_csv and parsed back: the same doubles
    np.testing.assert_array_equal(values.to_numpy(dtype=float), growth[GROWTH].to_numpy())
    assert merged.attributes["staff"].equals(cohort.attributes["staff"])
    assert len(merged) == 16 and merged.scores.equals(cohort.scores)
    assert cohort.covariate_sources == ()  # the input cohort is unchanged
    (source,) = merged.covariate_sources
    assert source.columns == (GROWTH,) and source.missing == {} and source.synthetic
    assert source.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert source.summary() == f"covariates from {path} (SYNTHETIC): {GROWTH}"


def test_covariate_can_be_correlated(cohort: Cohort, tmp_path: Path) -> None:
    growth = synthetic_growth(cohort, seed=3)
    path = tmp_path / "growth.csv"
    growth.to_csv(path, index=False)
    merged = load_covariates(path, cohort)
    row = correlate(merged, GROWTH, "mean", "pearson", n_boot=0, n_perm=0).iloc[0]
    complete = cohort.scores.notna().all(axis=1).to_numpy()
    mean = cohort.scores.astype(float).mean(axis=1).to_numpy()
    ref = stats.pearsonr(growth[GROWTH].to_numpy()[complete], mean[complete])
    assert row["n"] == 12 and row["covariate"] == GROWTH
    np.testing.assert_allclose([row["r"], row["p_val"]], [ref.statistic, ref.pvalue], rtol=1e-10)


def test_missing_values_are_reported_and_kept(cohort: Cohort, tmp_path: Path) -> None:
    # B03 and B07 absent; B10 blank; B11 "n/a": four businesses without a value
    lines = ["business_id,Turnover growth %,profit"]
    for i in range(1, 17):
        bid = f"B{i:02d}"
        if bid in ("B03", "B07"):
            continue
        value = {"B10": "", "B11": "n/a", "B12": "4%", "B13": "-3", "B14": "1,234.5"}.get(
            bid, f"{i}.5"
        )
        lines.append(f'{bid},"{value}",{i * 10}')
    path = write(tmp_path / "growth_2008.csv", "\n".join(lines) + "\n")
    merged = load_covariates(path, cohort)
    attrs = merged.attributes.droplevel("wave")
    # "Turnover growth %" -> turnover_growth; "4%" -> 4.0, "1,234.5" -> 1234.5
    assert {"turnover_growth", "profit"} <= set(attrs.columns)
    assert attrs.loc["B12", "turnover_growth"] == 4.0
    assert attrs.loc["B13", "turnover_growth"] == -3.0
    assert attrs.loc["B14", "turnover_growth"] == 1234.5
    assert attrs.loc["B01", "turnover_growth"] == 1.5
    for bid in ("B03", "B07", "B10", "B11"):
        assert pd.isna(attrs.loc[bid, "turnover_growth"])
    assert len(merged) == 16  # nobody dropped
    source = merged.covariate_sources[-1]
    assert source.missing == {"turnover_growth": ("B03", "B07", "B10", "B11"),
                              "profit": ("B03", "B07")}  # fmt: skip
    assert not source.synthetic
    assert source.summary() == (
        f"covariates from {path}: turnover_growth; no value for B03, B07, B10, B11 | "
        "profit; no value for B03, B07"
    )
    # n reflects the businesses lacking the covariate: 12 complete minus B03, B07, B10, B11
    row = correlate(merged, "turnover_growth", n_boot=0, n_perm=0).iloc[0]
    assert row["n"] == 8


def bad(path: Path, cohort: Cohort, *patterns: str, strict: bool = False) -> DataValidationError:
    with pytest.raises(DataValidationError) as info:
        load_covariates(path, cohort, strict=strict)
    message = str(info.value)
    for pattern in patterns:
        assert re.search(pattern, message), (pattern, message)
    return info.value


def test_unknown_business_id(cohort: Cohort, tmp_path: Path) -> None:
    path = write(tmp_path / "g.csv", "business_id,growth\nB01,1\nB99,2\n")
    err = bad(
        path,
        cohort,
        re.escape(
            f"{path}, row 3, column 'business_id': unknown business id "
            "(value 'B99'); expected an id of the returns (B01, B02"
        ),
        strict=True,
    )
    (problem,) = err.problems
    assert (problem.row, problem.column, problem.value) == (3, "business_id", "B99")


def test_duplicate_business_id(cohort: Cohort, tmp_path: Path) -> None:
    path = write(tmp_path / "g.csv", "ID,growth\nB01,1\nB02,2\nB01,3\n")
    bad(
        path,
        cohort,
        re.escape(
            f"{path}, row 4, column 'ID': duplicate business id: also on row 2 (value 'B01')"
        ),
    )


@pytest.mark.parametrize("value", ["abc", "12..5", "5 %", "inf", "1e999"])
def test_non_numeric_value(cohort: Cohort, tmp_path: Path, value: str) -> None:
    path = write(tmp_path / "g.csv", f"business_id,growth\nB01,1\nB02,{value}\n")
    bad(
        path,
        cohort,
        re.escape(
            f"{path}, row 3, column 'growth': covariate is not a number "
            f"(value {value!r}); expected a number such as 12.5, -3 or 4%"
        ),
    )


def test_every_problem_is_listed(cohort: Cohort, tmp_path: Path) -> None:
    path = write(tmp_path / "g.csv", "business_id,growth,profit\nB01,abc,1\nB02,2,x\nB77,1,1\n")
    err = bad(
        path, cohort, "row 2, column 'growth'", "row 3, column 'profit'", "row 4", strict=True
    )
    assert len(err.problems) == 3
    # not strict: B77 (not in the cohort) is ignored, the two bad values remain errors
    assert len(bad(path, cohort, "row 2, column 'growth'").problems) == 2


def test_missing_id_column(cohort: Cohort, tmp_path: Path) -> None:
    path = write(tmp_path / "g.csv", "name,growth\nB01,1\n")
    bad(
        path,
        cohort,
        re.escape(
            f"{path}, row 1: no business id column; expected exactly one column named business_id"
        ),
    )
    two = write(tmp_path / "h.csv", "business_id,ID,growth\nB01,B01,1\n")
    bad(two, cohort, "more than one business id column")


@pytest.mark.parametrize("header", ["staff", "Business type", "stage_3", "wave"])
def test_column_clash(cohort: Cohort, tmp_path: Path, header: str) -> None:
    path = write(tmp_path / "g.csv", f"business_id,{header}\nB01,1\n")
    bad(
        path,
        cohort,
        re.escape(f"{path}, row 1, column '{header}': covariate"),
        "already exists in the cohort",
    )


def test_clash_with_an_earlier_covariate_file(cohort: Cohort, tmp_path: Path) -> None:
    first = load_covariates(write(tmp_path / "a.csv", "business_id,growth\nB01,1\n"), cohort)
    path = write(tmp_path / "b.csv", "business_id,Growth\nB02,2\n")
    bad(path, first, "column 'Growth': covariate 'growth' already exists")
    # a new column is fine and both sources are kept, in order
    both = load_covariates(write(tmp_path / "c.csv", "business_id,profit\nB02,2\n"), first)
    assert [s.columns for s in both.covariate_sources] == [("growth",), ("profit",)]


def test_businesses_absent_from_the_cohort_are_reported_and_ignored(
    cohort: Cohort, tmp_path: Path
) -> None:
    # B17 and B18 dropped out before the audit (in the covariates, not in the returns)
    path = write(tmp_path / "growth.csv", "business_id,growth\nB18,7\nB01,1.5\nB17,9\nB02,-2\n")
    merged = load_covariates(path, cohort)
    source = merged.covariate_sources[-1]
    assert source.extra_ids == ("B17", "B18")
    assert len(merged) == 16 and "B17" not in merged.attributes.index.get_level_values(0)
    attrs = merged.attributes.droplevel("wave")
    assert (attrs.loc["B01", "growth"], attrs.loc["B02", "growth"]) == (1.5, -2.0)
    assert source.missing["growth"] == tuple(f"B{i:02d}" for i in range(3, 17))
    assert source.summary().endswith("; ignored 2 business(es) not in the cohort: B17, B18")
    # strict: the current error, one problem per absent business, naming its row
    err = bad(path, cohort, "row 2, column 'business_id': unknown business id", strict=True)
    assert [(p.row, p.value) for p in err.problems] == [(2, "B18"), (4, "B17")]
    # a duplicate absent id is still a duplicate
    dup = write(tmp_path / "dup.csv", "business_id,growth\nB01,1\nB17,2\nB17,3\n")
    bad(dup, cohort, "row 4, column 'business_id': duplicate business id: also on row 3")
    # a file that shares no business with the cohort is the wrong file
    wrong = write(tmp_path / "wrong.csv", "business_id,growth\nX1,1\nX2,2\n")
    bad(wrong, cohort, "none of the file's 2 business ids is in the cohort")


# -- named id column and derived covariates (issue 20) --------------------------------


def test_id_column_by_name_and_annual_growth_by_formula(cohort: Cohort, tmp_path: Path) -> None:
    path = write(
        tmp_path / "turnover.csv",
        "Business ref,Turnover 2008,Turnover 2009\nB01,100,110\nB02,200,150\nB03,0,5\nB04,80,\n",
    )
    merged = load_covariates(
        path,
        cohort,
        id_column="business REF",
        derived={"turnover_growth": "(turnover_2009 - turnover_2008) / turnover_2008"},
    )
    growth = merged.attributes["turnover_growth"]
    # by hand: B01 10/100, B02 -50/200; B03 divides by zero and B04 lacks 2009: missing
    assert growth.loc[("B01", 1)] == pytest.approx(0.10, abs=1e-12)
    assert growth.loc[("B02", 1)] == pytest.approx(-0.25, abs=1e-12)
    assert growth.loc[("B03", 1)] is pd.NA and growth.loc[("B04", 1)] is pd.NA
    (source,) = merged.covariate_sources
    assert source.columns == ("turnover_2008", "turnover_2009", "turnover_growth")
    assert source.derived == (
        ("turnover_growth", "(turnover_2009 - turnover_2008) / turnover_2008"),
    )
    assert "turnover_growth = (turnover_2009 - turnover_2008) / turnover_2008" in source.summary()


def test_formulas_are_arithmetic_only(cohort: Cohort, tmp_path: Path) -> None:
    from cma_research import ParameterError
    from cma_research.io.covariates import derived_option, evaluate_formula

    path = write(tmp_path / "t.csv", "business_id,a,b\nB01,4,2\nB02,9,3\n")
    values = {"a": np.array([4.0, 9.0]), "b": np.array([2.0, 3.0])}
    np.testing.assert_allclose(
        evaluate_formula("sqrt(a) * b ** 2 - log(exp(1)) + abs(-b)", values),
        [2 * 4 - 1 + 2, 3 * 9 - 1 + 3],
        rtol=1e-12,
    )
    for bad in ("__import__('os').system('true')", "a.real", "a if b else 1", "[a]", "open(a)"):
        with pytest.raises(ParameterError, match=r"only column names|not arithmetic"):
            load_covariates(path, cohort, derived={"x": bad})
    with pytest.raises(ParameterError, match="no column 'c'; expected one of: a, b"):
        load_covariates(path, cohort, derived={"x": "a / c"})
    with pytest.raises(ParameterError, match="already exists"):
        load_covariates(path, cohort, derived={"a": "b * 2"})
    assert derived_option("g = (t2 - t1) / t1; r=a/b") == {"g": "(t2 - t1) / t1", "r": "a/b"}
    with pytest.raises(ParameterError, match="is not 'name = formula'"):
        derived_option("growth")


def test_a_named_id_column_that_is_missing_is_named(cohort: Cohort, tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "business_id,a\nB01,4\n")
    with pytest.raises(DataValidationError, match="no business id column") as info:
        load_covariates(path, cohort, id_column="Ref")
    assert "a column named 'Ref' (id_column)" in str(info.value)
