"""A rebuild after a parameter change reuses unchanged figures from the figure cache and
still gives exactly the outputs of a build with an empty cache."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from cma_research.pipeline.build import BuildResult, build
from tests.paths import ROOT

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:unclosed:ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

ONLY = ["00_findings", "02_distributions"]
FAST = {"n_boot": 200, "n_perm": 2000, "m_imputations": 5}  # what these two notebooks declare


def _build(tmp: Path, out: str, cache: str, **params: Any) -> Any:
    result = build(
        notebooks_dir=ROOT / "notebooks",
        output_dir=tmp / out,
        cache_dir=tmp / cache,
        only=ONLY,
        params={**FAST, **params},
        progress=lambda line: None,
    )
    assert result.ok, result.summary()
    return result


def _outputs(result: Any) -> dict[str, str]:
    outputs = json.loads((result.output_dir / "manifest.json").read_text())["outputs"]
    return {k: v for k, v in outputs.items() if Path(k).name.startswith(("00_", "02_"))}


def _entries(cache: Path) -> set[str]:
    """The figure cache's entries, as <notebook>/figures/<code version>/<figure key>.json."""
    return {p.relative_to(cache).as_posix() for p in cache.glob("*/figures/*/*.json")}


def test_a_changed_parameter_renders_only_the_figures_it_changes(
    bundled_build: BuildResult, tmp_path: Path
) -> None:
    # the first build is the session's build of the bundled study (same n_boot, n_perm and
    # m_imputations for these notebooks); a copy of its cache is used from here on
    assert bundled_build.ok, bundled_build.summary()
    shutil.copytree(bundled_build.output_dir.parent / "cache", tmp_path / "cache")
    figures = {p.stem for p in (bundled_build.output_dir / "figures").glob("*.png")}
    stored = _entries(tmp_path / "cache")
    assert len(stored) == len(figures)  # one entry per figure drawn
    ours = {f for f in figures if f.startswith(("00_", "02_"))}
    changed = _build(tmp_path, "changed", "cache", target_level=3)
    new = _entries(tmp_path / "cache") - stored
    # the radar charts draw the target level; the distributions, heatmap and funnel do not
    assert 0 < len(new) < len(ours)
    empty = _build(tmp_path, "empty", "empty-cache", target_level=3)
    assert _outputs(changed) == _outputs(empty)
    assert _outputs(changed) != _outputs(bundled_build)
