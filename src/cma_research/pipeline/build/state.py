"""The output folder's state: one build at a time (a lock), a killed build cleaned up,
symbolic links refused, the previous manifest read."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from cma_research.core.errors import ParameterError
from cma_research.core.files import (
    IN_PROGRESS_NAME,
    LOCK_NAME,
    folder_lock,
    guard_not_raw,
    read_json,
    sha256_file,
)
from cma_research.core.files import mark_in_progress as _mark

__all__ = [
    "IN_PROGRESS",
    "LOCK",
    "NESTED_SUBFOLDERS",
    "SUBFOLDERS",
    "clean_interrupted",
    "locked",
    "mark_in_progress",
    "output_folder",
    "read_manifest",
]


SUBFOLDERS = ("notebooks", "html", "figures", "tables", "manuscript")
#: Output folders one level down (the manuscript's LaTeX tables); no other nesting.
NESTED_SUBFOLDERS = ("manuscript/tables",)
IN_PROGRESS = IN_PROGRESS_NAME
LOCK = LOCK_NAME


@contextlib.contextmanager
def locked(out: Path) -> Iterator[None]:
    """Hold the output folder's lock; a second build (or batch of business reports)
    refuses with one line."""
    with folder_lock(out, "build"):
        yield


def mark_in_progress(out: Path) -> None:
    """Mark ``out`` as being built (:data:`IN_PROGRESS`): a killed build leaves it."""
    _mark(out)


def clean_interrupted(out: Path, say: Callable[[str], None]) -> None:
    """Remove what a killed build left: temporary files, and outputs its manifest lacks."""
    marker = out / IN_PROGRESS
    leftovers = [p for p in out.rglob(".*") if p.is_file() and p.name not in (LOCK,)]
    if not marker.exists() and not any(".running" in p.name for p in leftovers):
        return
    old = read_manifest(out)
    vouched = old.get("outputs", {}) if isinstance(old.get("outputs"), dict) else {}
    removed = 0
    for p in leftovers:
        p.unlink(missing_ok=True)
        removed += 1
    for sub in (*SUBFOLDERS, *NESTED_SUBFOLDERS):
        for p in sorted((out / sub).glob("*")) if (out / sub).is_dir() else []:
            rel = p.relative_to(out).as_posix()
            if p.is_file() and vouched.get(rel) != sha256_file(p):
                p.unlink()
                removed += 1
    (out / "manifest.json").unlink(missing_ok=True)
    say(
        f"a previous build into {out.name}/ was interrupted; removed {removed} files it "
        "left unfinished (their notebooks run again)"
    )


def read_manifest(out: Path, warn: Callable[[str], None] | None = None) -> dict[str, Any]:
    """The output folder's ``manifest.json`` (empty when missing or unusable).

    A manifest of the wrong shape (not JSON, nested too deeply, a list where a mapping
    belongs) is ignored, with one line to ``warn``.
    """
    try:
        return dict(read_json(out / "manifest.json", expect=dict))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        if warn is not None:
            warn(f"{out.name}/manifest.json is unusable ({exc}); ignored")
        return {}


def output_folder(requested: Mapping[str, Any], specs: Mapping[str, Any], root: Path) -> Path:
    if "output_dir" in requested:
        out = Path.cwd() / Path(str(requested["output_dir"]))
    else:
        defaults = [s["output_dir"].default for s in specs.values() if "output_dir" in s]
        out = root / Path(defaults[0] if defaults else "reports")
    out = guard_not_raw(out)
    for sub in (*SUBFOLDERS, *NESTED_SUBFOLDERS):
        if (out / sub).is_symlink():
            raise ParameterError(
                f"{out.name}/{sub} is a symbolic link; refusing to write through it "
                "(remove it or choose another --output-dir)"
            )
    return out
