"""The figure cache: a cached figure is byte-identical to a rendered one, and anything
that changes the figure, its settings or the stored files makes it render again."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from cma_research.reporting import figure_cache
from cma_research.reporting.files import save_figure


def _figure(y: float = 1.0) -> Figure:
    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([0, 1], [0, y], label="a")
    ax.set_title("Level 0.5 %")
    ax.legend()
    return fig


def _digests(paths: dict[str, Path]) -> dict[str, str]:
    return {f: hashlib.sha256(p.read_bytes()).hexdigest() for f, p in paths.items()}


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The formats matplotlib was asked to render, in order."""
    seen: list[str] = []
    original = Figure.savefig

    def spy(self: Figure, fname: Any, *args: Any, **kwargs: Any) -> None:
        seen.append(kwargs["format"])
        original(self, fname, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", spy)
    return seen


def test_a_cached_figure_is_byte_identical_to_a_rendered_one(
    tmp_path: Path, renders: list[str]
) -> None:
    plain = _digests(save_figure(_figure(), tmp_path / "plain"))
    assert sorted(renders) == ["pdf", "png", "svg"]
    renders.clear()
    first = _digests(save_figure(_figure(), tmp_path / "first", cache_dir=tmp_path / "c"))
    assert sorted(renders) == ["pdf", "png", "svg"]  # a miss renders every format
    renders.clear()
    second = _digests(save_figure(_figure(), tmp_path / "second", cache_dir=tmp_path / "c"))
    assert renders == ["svg"]  # a hit renders only the fingerprint
    assert plain == first == second
    plt.close("all")


def test_a_changed_figure_or_setting_renders_again(tmp_path: Path, renders: list[str]) -> None:
    cache = tmp_path / "c"
    save_figure(_figure(), tmp_path / "a", cache_dir=cache)
    renders.clear()
    changed = _digests(save_figure(_figure(2.0), tmp_path / "b", cache_dir=cache))
    assert sorted(renders) == ["pdf", "png", "svg"]
    assert changed == _digests(save_figure(_figure(2.0), tmp_path / "b_plain"))
    renders.clear()
    save_figure(_figure(), tmp_path / "c", cache_dir=cache, dpi=150)  # another resolution
    assert sorted(renders) == ["pdf", "png", "svg"]
    renders.clear()
    with mpl.rc_context({"lines.antialiased": False}):  # changes the PNG, not the SVG
        save_figure(_figure(), tmp_path / "d", cache_dir=cache)
    assert sorted(renders) == ["pdf", "png", "svg"]
    plt.close("all")


def test_a_damaged_entry_is_rendered_again_and_replaced(tmp_path: Path, renders: list[str]) -> None:
    cache = tmp_path / "c"
    good = _digests(save_figure(_figure(), tmp_path / "a", cache_dir=cache))
    (png,) = cache.glob("*.png")
    png.write_bytes(b"not a png")
    renders.clear()
    again = _digests(save_figure(_figure(), tmp_path / "b", cache_dir=cache))
    assert sorted(renders) == ["pdf", "png", "svg"] and again == good
    assert hashlib.sha256(png.read_bytes()).hexdigest() == good["png"]  # replaced
    plt.close("all")


def test_the_environment_variable_turns_the_cache_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, renders: list[str]
) -> None:
    monkeypatch.setenv(figure_cache.FIGURE_CACHE_ENV, str(tmp_path / "env"))
    save_figure(_figure(), tmp_path / "a")
    save_figure(_figure(), tmp_path / "b")
    assert renders.count("pdf") == 1
    assert len(list((tmp_path / "env").glob("*.json"))) == 1
    plt.close("all")


def test_one_format_or_no_folder_renders_directly(tmp_path: Path, renders: list[str]) -> None:
    save_figure(_figure(), tmp_path / "a", formats=["png"], cache_dir=tmp_path / "c")
    assert renders == ["png"] and not (tmp_path / "c").exists()
    plt.close("all")


def test_prune_keeps_the_most_recently_used_entries(tmp_path: Path) -> None:
    cache = tmp_path / "c"
    for i in range(5):
        save_figure(_figure(1.0 + i), tmp_path / f"f{i}", cache_dir=cache)
    figure_cache.prune(cache, keep=2)
    assert len(list(cache.glob("*.json"))) == 2
    assert len(list(cache.iterdir())) == 2 * 3  # json, pdf and png of each
    plt.close("all")
