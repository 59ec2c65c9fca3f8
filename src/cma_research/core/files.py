"""Atomic file writes, and the guard that keeps ``data/raw/`` read-only."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from cma_research.core.errors import ParameterError


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file's bytes, as 64 hex digits."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def guard_not_raw(path: str | Path) -> Path:
    """Refuse any output path inside a ``data/raw`` folder (raw data is immutable)."""
    resolved = Path(path).resolve()
    parts = resolved.parts
    for i in range(len(parts) - 1):
        if parts[i] == "data" and parts[i + 1] == "raw":
            raise ParameterError(
                f"refusing to write {path}: data/raw/ holds the raw inputs and is never "
                "written; choose another output folder (e.g. data/processed)"
            )
    return resolved


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _stage(target: Path, data: bytes) -> str:
    """Write ``data`` to a temporary file beside ``target``; return its path."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual mode
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


def write_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and a rename.

    A reader never sees a half-written file: either the old file or the new one.
    """
    write_all_atomic({path: data})


def write_all_atomic(files: Mapping[str | Path, bytes]) -> None:
    """Write several files all-or-nothing: every file is staged before any is renamed.

    If staging any file fails, no target is touched and the staged files are removed.
    """
    targets = [(guard_not_raw(path), data) for path, data in files.items()]
    staged: list[tuple[str, Path]] = []
    try:
        for target, data in targets:
            staged.append((_stage(target, data), target))
    except BaseException:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise
    for tmp, target in staged:
        os.replace(tmp, target)
