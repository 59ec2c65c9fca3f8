"""The output folder's state: one build at a time (a lock), a killed build cleaned up,
symbolic links refused, the previous manifest read."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from cma_research.core.errors import ParameterError, ReportBuildError
from cma_research.core.files import guard_not_raw, read_json, sha256_file

__all__ = [
    "IN_PROGRESS",
    "LOCK",
    "SUBFOLDERS",
    "clean_interrupted",
    "locked",
    "mark_in_progress",
    "output_folder",
    "read_manifest",
]


SUBFOLDERS = ("notebooks", "html", "figures", "tables")
IN_PROGRESS = ".build-in-progress"
LOCK = ".build.lock"


def _open_own_file(path: Path, flags: int) -> int:
    """Open ``path`` for writing; a symbolic link there is removed first, never followed."""
    if path.is_symlink():
        path.unlink()
    return os.open(path, flags | os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)


@contextlib.contextmanager
def locked(out: Path, what: str = "build") -> Iterator[None]:
    """Hold the output folder's lock; a second writer refuses with one line.

    ``what`` names the writer in the message (``build``, ``batch of business reports``).
    """
    fd = _open_own_file(out / LOCK, os.O_APPEND)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ReportBuildError(
                f"another {what} is writing to {out.name}/ right now; wait for it to finish "
                "or choose another --output-dir"
            ) from None
        yield
    finally:
        os.close(fd)


def mark_in_progress(out: Path) -> None:
    """Mark ``out`` as being written (:data:`IN_PROGRESS`, holding this process's id)."""
    fd = _open_own_file(out / IN_PROGRESS, os.O_TRUNC)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(str(os.getpid()))


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
    for sub in SUBFOLDERS:
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
    for sub in SUBFOLDERS:
        if (out / sub).is_symlink():
            raise ParameterError(
                f"{out.name}/{sub} is a symbolic link; refusing to write through it "
                "(remove it or choose another --output-dir)"
            )
    return out
