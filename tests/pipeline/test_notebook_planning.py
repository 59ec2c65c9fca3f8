"""notebooks/07_planning.ipynb: standard parameters, every one used, and prose whose
numbers are the simulations' (re-run here with the same seed as the session's build of
the bundled study ran them)."""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

import cma_research as cma
from cma_research.pipeline.build import BuildResult, notebook_parameters
from tests.paths import BUNDLED, ROOT

NOTEBOOK = ROOT / "notebooks" / "07_planning.ipynb"

pytestmark = [
    pytest.mark.filterwarnings("ignore:unclosed:ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


@pytest.fixture(autouse=True)
def _collect_leftovers() -> Iterator[None]:
    yield
    gc.collect()


def test_committed_without_outputs_and_with_the_standard_parameters() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    ours = notebook_parameters(NOTEBOOK)
    reference = notebook_parameters(ROOT / "notebooks" / "04_reliability.ipynb")
    reference.pop("omega_boot")  # 04's own: the bootstrap of omega's interval
    assert set(reference) <= set(ours)
    for name, spec in reference.items():
        assert ours[name].help, name
        if name != "seed":
            assert ours[name].default == spec.default, name
    assert {"target_power", "effect_rho", "alpha", "n_sims"} <= set(ours)
    code = "\n".join(
        c.source
        for c in nb.cells
        if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])
    )
    for name in ours:
        assert re.search(rf"\b{name}\b", code), f"parameter {name} is never used"


def _markdown(executed: Path) -> list[str]:
    nb = nbformat.read(executed, as_version=4)
    return [
        str(o["data"]["text/markdown"])
        for c in nb.cells
        for o in c.get("outputs", [])
        if "text/markdown" in o.get("data", {})
    ]


@pytest.mark.integration
def test_prose_numbers_are_the_simulations(bundled_build: BuildResult) -> None:
    # 07 as the session's build of the bundled study ran it (n_sims of FAST, the
    # notebook's seed, effect .6 instead of its default .5): its sentence is the
    # simulation re-run here
    assert bundled_build.ok, bundled_build.summary()
    executed = bundled_build.output_dir / "notebooks" / "07_planning.ipynb"
    params = nbformat.read(executed, as_version=4).metadata["papermill"]["parameters"]
    assert params["returns_path"] == "data/raw/customer_wise_2007.csv"
    effect = (params["n_sims"], params["effect_rho"], params["target_power"], params["alpha"])
    assert effect == (200, 0.6, 0.8, 0.05)
    texts = _markdown(executed)
    cohort = cma.load_returns(BUNDLED)
    need = cma.sample_size(
        "size_correlation", 0.8, effect=0.6, calibrate=cohort, n_sims=200, alpha=0.05,
        seed=params["seed"],
    ).iloc[0]  # fmt: skip
    sentence = next(t for t in texts if t.startswith("To detect"))
    wanted = f"ρ = .60 with 80% power at α = .05 you need about {int(need['n'])} businesses"
    assert wanted in sentence
    assert f"Monte-Carlo SE {need['mc_se']:.3f}" in sentence
    assert any("one wave" in t for t in texts)
    assert not any("SYNTHETIC" in t for t in texts)
    figures = sorted(p.name for p in (bundled_build.output_dir / "figures").glob("07_*.png"))
    assert figures == ["07_power_curves.png"]
