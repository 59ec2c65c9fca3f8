"""A rebuild after a parameter change reuses unchanged figures from the figure cache and
still gives exactly the outputs of a build with an empty cache."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cma_research.pipeline.build import build
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
    return {k: v for k, v in outputs.items() if k != "index.html"}


def _entries(cache: Path) -> set[str]:
    return {p.name for p in cache.glob("*/figures/*/*.json")}


def test_a_changed_parameter_renders_only_the_figures_it_changes(tmp_path: Path) -> None:
    first = _build(tmp_path, "first", "cache")
    figures = {p.stem for p in (first.output_dir / "figures").glob("*.png")}
    stored = _entries(tmp_path / "cache")
    assert len(stored) == len(figures)  # one entry per figure drawn
    changed = _build(tmp_path, "changed", "cache", target_level=3)
    new = _entries(tmp_path / "cache") - stored
    # the radar charts draw the target level; the distributions, heatmap and funnel do not
    assert 0 < len(new) < len(figures)
    empty = _build(tmp_path, "empty", "empty-cache", target_level=3)
    assert _outputs(changed) == _outputs(empty)
    assert _outputs(changed) != _outputs(first)
