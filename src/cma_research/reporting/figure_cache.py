"""A content-addressed cache of rendered figures: unchanged figures are not rendered again.

Saving a figure costs far more than drawing it: PDF with embedded TrueType fonts (font
subsetting) and a 300-dpi PNG take 0.5-1 s per figure, the SVG 0.1-0.2 s. The SVG
(text kept as text, fixed ids) describes everything drawn, so it is rendered first and
serves as the figure's fingerprint. Its key adds what the SVG does not show but the
PDF and PNG depend on: the resolution, the matplotlib settings in force while saving,
the font files matplotlib can use (path, size, modification time), and the versions of
matplotlib, fontTools, Pillow and NumPy. When an entry with that key exists and its
files have the recorded SHA-256, the PDF and PNG are copied from it; otherwise they are
rendered and stored.

The build turns the cache on for its notebook kernels (``CMA_FIGURE_CACHE``, one folder
per notebook and version of its code and of this package, under the build cache), so a
rebuild after a parameter change renders only the figures that changed; a run outside
the build renders everything, as before. ``tests/reporting/test_figure_cache.py`` shows
that cached and rendered files are byte-identical and that a changed figure, setting
or damaged entry is rendered again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from cma_research.core.files import write_all_atomic

__all__ = ["FIGURE_CACHE_ENV", "KEEP_FIGURES", "cache_folder", "cached_render", "prune"]

#: Folder of the figure cache for this process (set by the build for its kernels).
FIGURE_CACHE_ENV = "CMA_FIGURE_CACHE"
#: Entries kept per cache folder (the least recently used go first).
KEEP_FIGURES = 400


def cache_folder(explicit: str | Path | None = None) -> Path | None:
    """The cache folder in use: ``explicit``, else ``$CMA_FIGURE_CACHE``, else none."""
    chosen = explicit if explicit is not None else os.environ.get(FIGURE_CACHE_ENV)
    return Path(chosen) if chosen else None


@cache
def _fonts() -> str:
    """Fingerprint of the font files matplotlib can choose from."""
    from matplotlib import font_manager

    rows = []
    for entry in [*font_manager.fontManager.ttflist, *font_manager.fontManager.afmlist]:
        try:
            st = os.stat(entry.fname)
        except OSError:
            continue
        rows.append([str(entry.fname), st.st_size, st.st_mtime_ns])
    return hashlib.sha256(json.dumps(sorted(rows)).encode()).hexdigest()


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


def _key(svg: bytes, formats: Sequence[str], options: Mapping[str, Any]) -> str:
    import matplotlib as mpl

    parts = {
        "svg": hashlib.sha256(svg).hexdigest(),
        "formats": sorted(formats),
        "options": {k: repr(v) for k, v in sorted(options.items())},
        "rc": {k: repr(v) for k, v in sorted(mpl.rcParams.items()) if k != "backend"},
        "fonts": _fonts(),
        "versions": [_version(n) for n in ("matplotlib", "fonttools", "pillow", "numpy")],
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _lookup(folder: Path, key: str, formats: Sequence[str]) -> dict[str, bytes] | None:
    meta = folder / f"{key}.json"
    try:
        listing = json.loads(meta.read_text(encoding="utf-8"))
        found = {f: (folder / f"{key}.{f}").read_bytes() for f in formats}
    except (OSError, ValueError):
        return None
    if not isinstance(listing, dict):
        return None
    for f, data in found.items():
        if listing.get(f) != hashlib.sha256(data).hexdigest():
            return None  # damaged or partial: render again (and overwrite)
    with contextlib.suppress(OSError):
        os.utime(meta)  # recently used: kept longest
    return found


def cached_render(
    render: Callable[[str], bytes],
    formats: Sequence[str],
    options: Mapping[str, Any],
    folder: Path | None,
) -> dict[str, bytes]:
    """The figure's bytes per format, from ``folder`` when the same figure was rendered.

    ``render(fmt)`` saves the figure in one format (under the settings in force);
    ``options`` are the saving options (resolution, padding, metadata) that enter the
    key. Without a folder every format is rendered.
    """
    if folder is None or "svg" not in formats or len(formats) == 1:
        return {f: render(f) for f in formats}
    svg = render("svg")
    key = _key(svg, formats, options)
    others = [f for f in formats if f != "svg"]
    found = _lookup(folder, key, others)
    if found is None:
        found = {f: render(f) for f in others}
        listing = {f: hashlib.sha256(data).hexdigest() for f, data in found.items()}
        files: dict[str | Path, bytes] = {folder / f"{key}.{f}": d for f, d in found.items()}
        files[folder / f"{key}.json"] = (json.dumps(listing, sort_keys=True) + "\n").encode()
        with contextlib.suppress(OSError):  # a cache that cannot be written is no cache
            folder.mkdir(parents=True, exist_ok=True)
            write_all_atomic(files)
    return {f: svg if f == "svg" else found[f] for f in formats}


def prune(folder: Path, keep: int = KEEP_FIGURES) -> None:
    """Keep the ``keep`` most recently used entries of a cache folder."""
    if not folder.is_dir():
        return
    entries = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[keep:]:
        for path in folder.glob(f"{old.stem}.*"):
            path.unlink(missing_ok=True)
