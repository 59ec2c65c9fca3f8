"""The output folder's state: one build at a time (a lock), a killed build cleaned up,
symbolic links refused, the previous manifest read."""

from __future__ import annotations

import contextlib
import fcntl
import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from cma_research.core.errors import ParameterError, ReportBuildError
from cma_research.core.files import guard_not_raw, sha256_file

__all__ = [
    "IN_PROGRESS",
    "SUBFOLDERS",
    "clean_interrupted",
    "locked",
    "output_folder",
    "read_manifest",
]


SUBFOLDERS = ("notebooks", "html", "figures", "tables", "manuscript")
IN_PROGRESS = ".build-in-progress"


@contextlib.contextmanager
def locked(out: Path) -> Iterator[None]:
    """Hold the output folder's lock; a second build refuses with one line."""
    lock_path = out / ".build.lock"
    handle = open(lock_path, "a+")  # noqa: SIM115 - held for the whole build
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ReportBuildError(
                f"another build is writing to {out.name}/ right now; wait for it to finish "
                "or choose another --output-dir"
            ) from None
        yield
    finally:
        handle.close()


def clean_interrupted(out: Path, say: Callable[[str], None]) -> None:
    """Remove what a killed build left: temporary files, and outputs its manifest lacks."""
    marker = out / IN_PROGRESS
    leftovers = [p for p in out.rglob(".*") if p.is_file() and p.name not in (".build.lock",)]
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


def read_manifest(out: Path) -> dict[str, Any]:
    try:
        data = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


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
