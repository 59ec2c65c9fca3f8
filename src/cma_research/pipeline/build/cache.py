"""The build cache: each notebook's outputs keyed by everything that can change them.

A notebook's key is the SHA-256 of its *parts*:

- ``notebook``: its cells' types and sources (outputs, ids, execution counts and
  metadata ignored, so re-saving a notebook in JupyterLab changes nothing);
- ``parameter <name>``: each parameter value the notebook receives (paths excepted);
- ``<name> file``: the SHA-256 of every input file it reads (returns, covariates,
  recruitment, claims; the instrument file when the instrument is given as a path), and
  the path itself (the reports show it);
- ``cma_research source``: every file of the installed package (code, instruments,
  templates, bundled data);
- ``stack versions``: Python and the packages that can change a number or a figure.

Outputs are independent of the output folder (the executed notebooks show
``<output_dir>``), so the output folder is not a part. A rebuild re-runs a notebook
only when its key changed and says why (:func:`reasons`, against the notebook's most
recent run); otherwise its outputs are restored from the cache, after their hashes are
checked. Up to :data:`KEEP_ENTRIES` results are kept per notebook, so the sets of a
parameter sweep are each restored. A corrupt entry (a missing
file, a wrong hash, unreadable metadata) is discarded with a warning and rebuilt.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from cma_research.core.files import sha256_file, write_all_atomic
from cma_research.pipeline.provenance import package_versions

__all__ = [
    "KEEP_ENTRIES",
    "BuildCache",
    "NotebookKey",
    "notebook_key",
    "package_source_hash",
    "reasons",
]

_FILE_LABELS = {
    "returns_path": "returns file",
    "covariates_path": "covariates file",
    "recruitment_path": "recruitment file",
    "claims_path": "claims file",
}


@dataclass(frozen=True)
class NotebookKey:
    """A notebook's cache key and the parts it was computed from."""

    key: str
    parts: dict[str, str]


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def notebook_code_hash(nb_path: Path) -> str:
    """Hash of a notebook's cell types and sources only."""
    from cma_research.pipeline.build.parameters import read_notebook

    cells = [
        [c["cell_type"], str(c.get("source", "")).replace("\r\n", "\n").rstrip()]
        for c in read_notebook(nb_path)["cells"]
        if c.get("cell_type") in ("code", "markdown")
    ]
    return _digest(cells)


@cache
def package_source_hash() -> str:
    """Hash of every file of the installed ``cma_research`` package (bytecode aside)."""
    import cma_research

    root = Path(cma_research.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(sha256_file(path).encode())
    return digest.hexdigest()


def notebook_key(nb_path: Path, params: Mapping[str, Any]) -> NotebookKey:
    """The key of one notebook run with ``params`` (input paths absolute)."""
    parts: dict[str, str] = {"notebook": notebook_code_hash(nb_path)}
    for name, value in sorted(params.items()):
        if name == "output_dir":
            continue
        if name.endswith("_path"):
            label = _FILE_LABELS.get(name, f"{name.removesuffix('_path')} file")
            parts[label] = sha256_file(value) if value else "none"
            # the path itself too: the reports show it, so a renamed file is a new result
            parts[f"parameter {name}"] = _digest(value)
        elif name == "instrument" and isinstance(value, str) and Path(value).is_file():
            parts["instrument file"] = sha256_file(value)
        else:
            parts[f"parameter {name}"] = _digest(value)
    parts["cma_research source"] = package_source_hash()
    parts["stack versions"] = _digest(package_versions())
    return NotebookKey(_digest(parts), parts)


def reasons(new: NotebookKey, old_parts: Mapping[str, str] | None) -> list[str]:
    """Why a notebook must re-run, in words (empty when its key is unchanged).

    >>> a = NotebookKey("k1", {"notebook": "1", "parameter seed": "2"})
    >>> reasons(NotebookKey("k2", {"notebook": "1", "parameter seed": "3"}), a.parts)
    ['parameter seed changed']
    >>> reasons(a, None)
    ['no previous result']
    """
    if old_parts is None:
        return ["no previous result"]
    out = []
    for name in sorted(set(new.parts) | set(old_parts)):
        if new.parts.get(name) != old_parts.get(name):
            what = "notebook code" if name == "notebook" else name
            out.append(f"{what} changed")
    return out


#: The key parts a figure cache is specific to (the code that draws, and its versions).
FIGURE_KEY_PARTS = ("notebook", "cma_research source", "stack versions")

#: Entries kept per notebook (a sweep's sets each have their own); the oldest go first.
KEEP_ENTRIES = 64


class BuildCache:
    """A folder of cached notebook outputs: ``<dir>/<notebook>/<key>/``.

    ``warn`` is called with one line when a corrupt entry is discarded.
    """

    def __init__(self, folder: Path, warn: Callable[[str], None]) -> None:
        self.folder = folder
        self.warn = warn

    def _entry(self, name: str, key: str) -> Path:
        return self.folder / name / key

    def _last(self, name: str) -> dict[str, Any]:
        """The record of the notebook's most recent stored run (empty if none is readable)."""
        try:
            data = json.loads((self.folder / name / "last.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def last_parts(self, name: str) -> dict[str, str] | None:
        """The key parts of the notebook's most recent stored run, if any."""
        return self._last(name).get("parts")

    def figure_folder(self, name: str, key: NotebookKey) -> Path:
        """The notebook's figure cache: one folder per version of its code and the package.

        Figures are reused only by runs of the same notebook code with the same package
        source and stack (other parameters or inputs may differ): see
        :mod:`cma_research.reporting.figure_cache`.
        """
        code = {k: key.parts.get(k, "") for k in FIGURE_KEY_PARTS}
        folder = self.folder / name / "figures" / _digest(code)[:32]
        with contextlib.suppress(OSError):
            os.utime(folder)  # in use: kept by prune_figures
        return folder

    def prune_figures(self, name: str, keep_folders: int = 4) -> None:
        """Drop figure caches of old notebook or package versions; bound the others."""
        from cma_research.reporting.figure_cache import prune

        root = self.folder / name / "figures"
        if not root.is_dir():
            return
        folders = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
        for old in folders[: max(len(folders) - keep_folders, 0)]:
            shutil.rmtree(old, ignore_errors=True)
        for folder in folders[-keep_folders:]:
            prune(folder)

    def last_seconds(self, name: str) -> float | None:
        """How long the notebook's most recent stored run took (to start long ones first)."""
        seconds = self._last(name).get("seconds")
        return float(seconds) if isinstance(seconds, int | float) else None

    def lookup(self, name: str, key: str) -> dict[str, str] | None:
        """The entry's files (relative path -> SHA-256) when it exists and is intact."""
        entry = self._entry(name, key)
        meta = entry / "entry.json"
        if not meta.exists():
            return None
        try:
            files = json.loads(meta.read_text(encoding="utf-8"))["files"]
            if not isinstance(files, dict) or not files:
                raise ValueError("no files listed")
            for rel, digest in files.items():
                stored = entry / "files" / rel
                if not stored.is_file():
                    raise ValueError(f"{rel} is missing")
                if sha256_file(stored) != digest:
                    raise ValueError(f"{rel} has the wrong hash")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            self.warn(f"cache entry of {name} is corrupt ({exc}); discarded, re-running")
            shutil.rmtree(entry, ignore_errors=True)
            return None
        return {str(k): str(v) for k, v in files.items()}

    def restore(self, name: str, key: str, files: Mapping[str, str], out_dir: Path) -> list[Path]:
        """Copy an intact entry's files into ``out_dir`` (all or nothing)."""
        entry = self._entry(name, key) / "files"
        targets = {out_dir / rel: (entry / rel).read_bytes() for rel in files}
        changed: dict[str | Path, bytes] = {
            p: data
            for p, data in targets.items()
            if not p.is_file() or sha256_file(p) != hashlib.sha256(data).hexdigest()
        }
        if changed:
            write_all_atomic(changed)
        return sorted(targets)

    def _prune(self, name: str, keep: int) -> None:
        folder = self.folder / name
        if not folder.is_dir():
            return
        entries = sorted(
            (p for p in folder.iterdir() if p.is_dir() and p.name != "figures"),
            key=lambda p: p.stat().st_mtime,
        )
        for old in entries[: max(len(entries) - keep, 0)]:
            shutil.rmtree(old, ignore_errors=True)

    def store(
        self,
        name: str,
        notebook_key: NotebookKey,
        outputs: list[Path],
        out_dir: Path,
        seconds: float | None = None,
    ) -> None:
        """Keep a successful run's outputs under its key (replacing older entries)."""
        target = self._entry(name, notebook_key.key)
        shutil.rmtree(target, ignore_errors=True)
        self._prune(name, keep=KEEP_ENTRIES - 1)
        files: dict[str | Path, bytes] = {}
        listing: dict[str, str] = {}
        for path in outputs:
            rel = path.relative_to(out_dir).as_posix()
            data = path.read_bytes()
            files[target / "files" / rel] = data
            listing[rel] = hashlib.sha256(data).hexdigest()
        files[target / "entry.json"] = (json.dumps({"files": listing}, indent=1) + "\n").encode()
        record = {"key": notebook_key.key, "parts": notebook_key.parts, "seconds": seconds}
        files[self.folder / name / "last.json"] = (json.dumps(record, indent=1) + "\n").encode()
        for target_path in files:
            Path(target_path).parent.mkdir(parents=True, exist_ok=True)
        write_all_atomic(files)
