"""Named values: what the notebooks record for a paper (values.json)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cma_research.core.errors import ParameterError, ReportBuildError
from cma_research.reporting.notebook import Outputs
from cma_research.reporting.values import (
    NamedValue,
    collect_values,
    format_value,
    latex_macro,
    read_values,
    record_value,
    unknown_value_error,
    values_json,
)


def test_outputs_value_records_number_text_and_provenance(tmp_path: Path) -> None:
    out = Outputs(tmp_path, prefix="04_")
    out.value("alpha", np.float64(0.8531499), unit="coefficient", table="cronbach_alpha",
              strategy="complete_case", n=np.int64(12))  # fmt: skip
    out.value("n_businesses", 16, unit="count")
    record = json.loads((tmp_path / "tables" / "04_values.json").read_text())
    assert record["alpha"] == {
        "value": 0.8531499,  # full precision, not the printed .85
        "text": ".85",
        "unit": "coefficient",
        "table": "04_cronbach_alpha",
        "notebook": "04",
        "strategy": "complete_case",
        "n": 12,
    }
    assert record["n_businesses"]["value"] == 16 and record["n_businesses"]["text"] == "16"


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (0.153285, "share", "15%"),  # rule 8: whole percentages
        (0.004, "share", "< 1%"),
        (-0.5234, "coefficient", "\u2212.52"),  # APA: no leading zero, true minus
        (0.08754, "p", "p = .088"),
        (0.0004, "p", "p < .001"),
        (2.04, "level", "2.0"),
        (20000, "count", "20,000"),
        (1.234, None, "1.23"),
        (float("nan"), "share", "n/a"),
        (None, "coefficient", "n/a"),
    ],
)
def test_default_text_follows_the_unit(value: float | None, unit: str | None, text: str) -> None:
    assert format_value(value, unit) == text


def test_words_only_values_and_missing_numbers(tmp_path: Path) -> None:
    path = tmp_path / "00_values.json"
    record_value(path, "size_verdict", None, text="no clear association")
    record_value(path, "size_r", float("nan"), unit="coefficient")
    record_value(path, "n_stages", pd.NA, unit="count")
    values = read_values(path)
    assert values["size_verdict"].value is None and values["size_verdict"].text == (
        "no clear association"
    )
    assert values["size_r"].value is None and values["size_r"].text == "n/a"
    assert values["n_stages"].text == "n/a"


@pytest.mark.parametrize("name", ["Alpha", "share-below", "1st", "alpha value", ""])
def test_a_name_must_be_snake_case(tmp_path: Path, name: str) -> None:
    with pytest.raises(ParameterError, match="snake_case"):
        record_value(tmp_path / "00_values.json", name, 1.0)


def test_bad_number_and_unit_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="not a number"):
        record_value(tmp_path / "00_values.json", "label", "sixteen")
    with pytest.raises(ParameterError, match="unit 'percentage'"):
        record_value(tmp_path / "00_values.json", "share", 0.5, unit="percentage")


def test_collect_merges_notebooks_and_names_them(tmp_path: Path) -> None:
    record_value(tmp_path / "00_values.json", "n_businesses", 16, unit="count", notebook="00")
    record_value(tmp_path / "04_values.json", "alpha", 0.85, unit="coefficient", notebook="04")
    (tmp_path / "00_key_facts.json").write_text("{}")  # not a values file
    merged = collect_values(tmp_path, {"00": "00_findings", "04": "04_reliability"})
    assert sorted(merged) == ["alpha", "n_businesses"]
    assert merged["alpha"].notebook == "04_reliability"
    data = values_json(merged)
    assert data == values_json(
        collect_values(tmp_path, {"00": "00_findings", "04": "04_reliability"})
    )
    assert list(json.loads(data)) == ["alpha", "n_businesses"]  # sorted, byte-stable


def test_one_name_from_two_notebooks_is_an_error(tmp_path: Path) -> None:
    record_value(tmp_path / "00_values.json", "n", 16, notebook="00")
    record_value(tmp_path / "02_values.json", "n", 12, notebook="02")
    with pytest.raises(ReportBuildError, match="'n' is recorded by two notebooks, 00 and 02"):
        collect_values(tmp_path)


def test_unknown_name_error_lists_the_closest_names() -> None:
    known = ["alpha", "alpha_ci95_low", "n_businesses", "share_below_1"]
    error = unknown_value_error("share_below1", known, "paper.md, line 7")
    assert str(error) == (
        "paper.md, line 7: no notebook recorded a value named 'share_below1'; "
        "closest: share_below_1"
    )
    far = unknown_value_error("zzz", known, "paper.md, line 1")
    assert "no recorded name is close" in str(far)


def test_read_values_names_the_file_of_a_bad_record(tmp_path: Path) -> None:
    path = tmp_path / "values.json"
    path.write_text('{"alpha": 0.85}')
    with pytest.raises(ReportBuildError, match=r"values.json: value 'alpha' has no record"):
        read_values(path)


def test_latex_macros_are_letters_only() -> None:
    assert latex_macro("alpha") == "cmaAlpha"
    assert latex_macro("share_below_1_stage_10") == "cmaShareBelowOneStageOneZero"
    assert latex_macro("n_boot").isalpha()


def test_named_value_record_round_trips(tmp_path: Path) -> None:
    value = NamedValue("x", 0.1 + 0.2, "0.30", "number", None, "00", None, 3)
    path = tmp_path / "values.json"
    path.write_bytes(values_json({"x": value}))
    back = read_values(path)["x"]
    assert back == value and math.isclose(back.value or 0, 0.30000000000000004, rel_tol=0)
