"""notebooks/06_change.ipynb really runs with papermill: one wave (nothing to compare: the
session's build of the bundled study) and the SYNTHETIC two-wave example (every table and
figure labelled SYNTHETIC)."""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import pytest

from cma_research.pipeline.build import BuildResult, notebook_parameters
from tests.notebooks import execute
from tests.paths import ROOT

NOTEBOOK = ROOT / "notebooks" / "06_change.ipynb"
EXAMPLE = ROOT / "data" / "raw" / "customer_wise_2007_two_waves_SYNTHETIC.csv"
PARAMS = ROOT / "params" / "two_waves_SYNTHETIC.yaml"

# papermill's nbclient keeps a per-thread asyncio loop that only the garbage collector
# reclaims (see tests/pipeline/test_build.py); that is theirs, not ours
pytestmark = [
    pytest.mark.filterwarnings("ignore:unclosed:ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


@pytest.fixture(autouse=True)
def _collect_leftovers() -> Iterator[None]:
    yield
    gc.collect()


def _run(tmp_path: Path, **params: Any) -> nbformat.NotebookNode:
    out_nb = tmp_path / "executed.ipynb"
    execute(NOTEBOOK, out_nb, {"output_dir": str(tmp_path / "out"), **params})
    return nbformat.read(out_nb, as_version=4)


def _markdown(nb: nbformat.NotebookNode) -> list[str]:
    texts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "text/markdown" in data:
                texts.append(str(data["text/markdown"]))
    return texts


def test_committed_without_outputs_and_with_the_standard_parameters() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    ours = notebook_parameters(NOTEBOOK)
    # the parameters every notebook has (tests/pipeline/test_build.py) and the loader's
    standard = {
        "returns_path", "covariates_path", "instrument", "missing_strategy", "seed",
        "n_boot", "n_perm", "target_level", "output_dir",
        "header_row", "sheet", "encoding", "na_values", "aliases", "wave_order",
    }  # fmt: skip
    assert standard <= set(ours)
    assert ours["baseline_wave"].default is None and ours["follow_up_wave"].default is None
    for name in ("baseline_wave", "follow_up_wave"):
        spec = ours[name]
        assert spec.accepts(None) and spec.accepts("Baseline") and not spec.accepts(1)
        assert spec.help
    # every parameter is used by the code below the parameters cell
    code = "\n".join(
        c.source
        for c in nb.cells
        if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])
    )
    for name in ours:
        assert re.search(rf"\b{name}\b", code), f"parameter {name} is never used"


def test_parameters_file_names_the_example_and_its_waves() -> None:
    import yaml

    params = yaml.safe_load(PARAMS.read_text(encoding="utf-8"))
    assert (ROOT / params["returns_path"]).resolve() == EXAMPLE.resolve()
    assert params["baseline_wave"] == "Baseline"
    assert params["follow_up_wave"] == "Follow-up (SYNTHETIC)"
    assert set(params) <= set(notebook_parameters(NOTEBOOK))
    assert "SYNTHETIC" in PARAMS.name and "SYNTHETIC" in PARAMS.read_text(encoding="utf-8")


@pytest.mark.integration
def test_one_wave_says_nothing_to_compare_and_succeeds(bundled_build: BuildResult) -> None:
    # the bundled returns (one wave), as the session's build of the bundled study ran 06
    assert bundled_build.ok, bundled_build.summary()
    executed = bundled_build.output_dir / "notebooks" / "06_change.ipynb"
    nb = nbformat.read(executed, as_version=4)
    assert (
        nb.metadata["papermill"]["parameters"]["returns_path"] == "data/raw/customer_wise_2007.csv"
    )
    texts = _markdown(nb)
    assert any("nothing to compare" in t and "one audit wave" in t for t in texts)
    assert not any("SYNTHETIC" in t for t in texts)  # the real data are not labelled synthetic
    # what the notebook compares, then that there is nothing to compare: no empty section
    # headings, no object shown as its repr
    assert len(texts) == 2 and texts[0].startswith("Paired change per stage between"), texts
    assert not [c for c in nb.cells[1:] if c.cell_type == "markdown"]
    plain = [
        str(o.get("data", {}).get("text/plain", "")) for c in nb.cells for o in c.get("outputs", [])
    ]
    assert not [t for t in plain if "<Cohort" in t or "<cma_research." in t]
    figures = bundled_build.output_dir / "figures"
    assert not list(figures.glob("06_*.png"))


@pytest.mark.integration
def test_synthetic_two_waves_every_output_says_synthetic(tmp_path: Path) -> None:
    import yaml

    params = yaml.safe_load(PARAMS.read_text(encoding="utf-8"))
    params["returns_path"] = str((ROOT / params["returns_path"]).resolve())
    nb = _run(tmp_path, **params, n_boot=200, n_perm=2000, seed=1)
    out = tmp_path / "out"
    figures = sorted(p.stem for p in (out / "figures").glob("06_*.png"))
    stages = [f"06_transitions_stage_{j}" for j in range(1, 11)]
    assert figures == sorted(
        ["06_change_forest", "06_levels_by_wave", "06_paired_slopes", "06_radar_B15", *stages]
    )
    captions = json.loads((out / "figures" / "06_captions.json").read_text(encoding="utf-8"))
    assert set(captions) == set(figures)
    assert all("SYNTHETIC" in c for c in captions.values())
    tables = sorted(p.stem for p in (out / "tables").glob("06_*.csv"))
    assert tables == sorted(
        ["06_attrition", "06_marginal_homogeneity", "06_paired_change", "06_scores_by_wave",
         "06_wave_model", "06_wave_pairs"]
    )  # fmt: skip
    for name in tables:
        latex = (out / "tables" / f"{name}.tex").read_text(encoding="utf-8")
        assert "SYNTHETIC" in latex, name
    texts = _markdown(nb)
    assert texts[0].startswith("**SYNTHETIC example data.**")
    prose = [t for t in texts if t.startswith("SYNTHETIC example data: ")]
    assert len(prose) == 5  # attrition counts, pairs, attrition tests, change, model
    # the pairs are counted from the returns, apart from the businesses complete at both
    pairs = pd.read_csv(out / "tables" / "06_wave_pairs.csv")
    assert pairs[["n_audited_both", "n_complete_both"]].to_numpy().tolist() == [[13, 9]]
    assert (
        "From Baseline to Follow-up (SYNTHETIC), 13 businesses were audited at both waves, "
        "9 of them assessed on every stage at both." in prose[1]
    )
    change = next(t for t in prose if "the mean score of the 13 businesses" in t)
    # the direction word follows the computed interval (module rule), never typed in
    from cma_research.reporting.rules import DIRECTION_WORDS, change_direction

    table = pd.read_csv(out / "tables" / "06_paired_change.csv")
    mean = table[table["stage"] == "mean"].iloc[0]
    assert f"audited at both waves {DIRECTION_WORDS[change_direction(mean)]}" in change
