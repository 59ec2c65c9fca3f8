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

**What the cache trusts.** A cached result is restored only when its entry proves it
belongs where it is used: its ``entry.json`` names the notebook and the key it was
stored under (an entry moved to another key is refused), is signed with HMAC-SHA256
under the project's cache key (:func:`signing_key`: a secret file kept outside the
cache, ``.cma-cache/cache.key`` with owner-only permissions, or ``$CMA_CACHE_KEY``),
lists only files of the four output folders (never ``..``, an absolute path or a
hidden name), and every file still has its recorded SHA-256. An entry that fails any
of these, a symbolic link where a folder or file of the cache belongs, or metadata of
the wrong shape is discarded with one warning and the notebook runs again. So
whoever can write the cache folder but cannot read the key can make the build re-run
notebooks, never serve a result of their own; whoever holds the key (anyone who can
read your files) can. Files are copied in blocks, their hashes checked as they are
copied, and written inside the output folder only. A cache that cannot be written (a
full disk, a folder deleted during the build) loses the result, never the build.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import shutil
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

from cma_research.core.errors import ParameterError
from cma_research.core.files import (
    CopyFrom,
    read_json,
    read_small_file,
    sha256_file,
    write_all_atomic,
)
from cma_research.pipeline.build.state import NESTED_SUBFOLDERS, SUBFOLDERS
from cma_research.pipeline.provenance import package_versions

__all__ = [
    "CACHE_KEY_ENV",
    "ENTRY_FORMAT",
    "KEEP_ENTRIES",
    "BuildCache",
    "NotebookKey",
    "notebook_key",
    "package_source_hash",
    "reasons",
    "safe_output_path",
    "signing_key",
]

#: Environment variable naming the cache-signing key file (default: see :func:`signing_key`).
CACHE_KEY_ENV = "CMA_CACHE_KEY"
#: The version of ``entry.json``'s layout; entries of another version are rebuilt.
ENTRY_FORMAT = 2
_KEY_BYTES_MAX = 4096

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


def signing_key(root: Path, *, create: bool = True) -> tuple[bytes, Path]:
    """The project's cache-signing key and its file (made on first use).

    ``$CMA_CACHE_KEY`` names the file; by default it is ``.cma-cache/cache.key`` in the
    project root ``root``, outside the build cache (``.cma-cache/build``). A new key is
    32 random bytes (64 hex digits) in a file only its owner may read or write. The key
    never enters the cache or the reports; a team that shares a cache shares the key
    file by ``$CMA_CACHE_KEY``. With ``create=False`` (a dry run) a missing file is not
    made: a random key is returned, which no stored entry matches.

    Raises
    ------
    ParameterError
        The key file cannot be made or read, is not a small regular file (a folder, a
        FIFO, a device, a symbolic link), or holds fewer than 32 bytes.
    """
    chosen = os.environ.get(CACHE_KEY_ENV)
    path = Path(chosen).resolve() if chosen else root / ".cma-cache" / "cache.key"
    where = f"${CACHE_KEY_ENV} {chosen}" if chosen else f"the project's cache key {path}"
    if not create and not path.exists() and not path.is_symlink():
        return secrets.token_bytes(32), path
    try:
        if not path.exists() and not path.is_symlink():
            path.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileExistsError):  # another build made it just now
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w", encoding="ascii") as fh:
                    fh.write(secrets.token_hex(32) + "\n")
        key = read_small_file(path, _KEY_BYTES_MAX, follow_symlinks=False).strip()
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ParameterError(
            f"{where}: cannot be used ({reason}); the build cache signs its entries with it. "
            f"Make the folder writable, or point ${CACHE_KEY_ENV} at a key file"
        ) from None
    if len(key) < 32:
        raise ParameterError(
            f"{where} holds {len(key)} bytes; expected a secret of at least 32 "
            "(delete the file and the next build makes a new one; the cache is then rebuilt)"
        )
    return key, path


def safe_output_path(rel: object) -> str | None:
    """``rel`` if it names a file of an output subfolder (``tables/01_x.csv``), else None.

    A cache entry lists the files it restores; each must be one name inside one of the
    output folders (:data:`~cma_research.pipeline.build.state.SUBFOLDERS`, or one of
    :data:`~cma_research.pipeline.build.state.NESTED_SUBFOLDERS`): no ``..``, no absolute
    path, no back slash, no hidden or empty name, no NUL.

    >>> safe_output_path("tables/01_rows.csv")
    'tables/01_rows.csv'
    >>> safe_output_path("manuscript/tables/t1.tex")
    'manuscript/tables/t1.tex'
    >>> [safe_output_path(p) for p in ("../../x", "/etc/passwd", "tables/../../x", "x.csv")]
    [None, None, None, None]
    >>> safe_output_path("tables/a/b.csv") is None
    True
    """
    if not isinstance(rel, str) or not rel or "\\" in rel or "\0" in rel:
        return None
    parts = PurePosixPath(rel).parts
    folder = "/".join(parts[:-1])
    if folder not in SUBFOLDERS and folder not in NESTED_SUBFOLDERS:
        return None
    name = parts[-1]
    if name in (".", "..") or name.startswith(".") or rel != f"{folder}/{name}":
        return None
    return rel


def _remove(path: Path) -> None:
    """Remove a cache folder or file, never following a symbolic link out of the cache."""
    with contextlib.suppress(OSError):
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.is_dir():
            shutil.rmtree(path, ignore_errors=True)


class _CorruptEntry(Exception):
    """A cache entry that cannot be trusted (the reason is the message)."""


class BuildCache:
    """A folder of cached notebook outputs: ``<dir>/<notebook>/<key>/``.

    ``warn`` is called with one line when a corrupt entry is discarded, a record is
    ignored or a result cannot be stored. ``key`` signs and checks every entry (see the
    module's *What the cache trusts*); without one (tests, tools) entries are checked
    by their notebook, key and hashes only.
    """

    def __init__(self, folder: Path, warn: Callable[[str], None], key: bytes | None = None) -> None:
        self.folder = folder
        self.warn = warn
        self._key = key

    def _entry(self, name: str, key: str) -> Path:
        return self.folder / name / key

    def sign(self, data: bytes) -> str | None:
        """HMAC-SHA256 (hex) of ``data`` under the project's cache key (None without one):
        what the build keeps beside the entries (a reused study summary) is signed too."""
        if self._key is None:
            return None
        return hmac.new(self._key, data, hashlib.sha256).hexdigest()

    def _signature(self, record: Mapping[str, Any]) -> str | None:
        if self._key is None:
            return None
        text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return hmac.new(self._key, text.encode(), hashlib.sha256).hexdigest()

    def _unlinked(self, *parts: str) -> Path:
        """``<dir>/<parts...>`` with no symbolic link on the way (a link is removed)."""
        path = self.folder
        for part in parts:
            path = path / part
            if path.is_symlink():
                self.warn(f"cache folder {'/'.join(parts)} was a symbolic link; removed")
                with contextlib.suppress(OSError):
                    path.unlink()
        return path

    def _last(self, name: str) -> dict[str, Any]:
        """The record of the notebook's most recent stored run (empty if none is usable)."""
        path = self._unlinked(name) / "last.json"
        try:
            return dict(read_json(path, expect=dict, follow_symlinks=False))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            self.warn(f"cache record of {name} is unusable ({exc}); ignored")
            return {}

    def last_parts(self, name: str) -> dict[str, str] | None:
        """The key parts of the notebook's most recent stored run, if any."""
        parts = self._last(name).get("parts")
        if not isinstance(parts, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in parts.items()
        ):
            return None
        return parts

    def figure_folder(self, name: str, key: NotebookKey) -> Path:
        """The notebook's figure cache: one folder per version of its code and the package.

        Figures are reused only by runs of the same notebook code with the same package
        source and stack (other parameters or inputs may differ): see
        :mod:`cma_research.reporting.figure_cache`.
        """
        code = {k: key.parts.get(k, "") for k in FIGURE_KEY_PARTS}
        folder = self._unlinked(name, "figures", _digest(code)[:32])
        with contextlib.suppress(OSError):
            os.utime(folder)  # in use: kept by prune_figures
        return folder

    def prune_figures(self, name: str, keep_folders: int = 4) -> None:
        """Drop figure caches of old notebook or package versions; bound the others."""
        from cma_research.reporting.figure_cache import prune

        root = self._unlinked(name, "figures")
        with contextlib.suppress(OSError):  # a cache deleted during the build: nothing to prune
            folders = sorted(
                (p for p in root.iterdir() if p.is_dir() and not p.is_symlink()),
                key=lambda p: p.stat().st_mtime,
            )
            for old in folders[: max(len(folders) - keep_folders, 0)]:
                _remove(old)
            for folder in folders[-keep_folders:]:
                prune(folder)

    def last_seconds(self, name: str) -> float | None:
        """How long the notebook's most recent stored run took (to start long ones first)."""
        seconds = self._last(name).get("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            return None
        return float(seconds) if 0 <= seconds < 1e9 else None

    def _check(self, name: str, key: str, entry: Path) -> dict[str, str]:
        """The entry's files (relative path -> SHA-256); :class:`_CorruptEntry` if untrusted."""
        try:
            meta = read_json(entry / "entry.json", expect=dict, follow_symlinks=False)
        except (OSError, ValueError) as exc:
            raise _CorruptEntry(f"unreadable metadata: {exc}") from None
        if meta.get("format") != ENTRY_FORMAT:
            raise _CorruptEntry(f"metadata of another format ({str(meta.get('format'))[:20]})")
        if meta.get("notebook") != name or meta.get("key") != key:
            raise _CorruptEntry("it was stored for another notebook or key")
        files = meta.get("files")
        if not isinstance(files, dict) or not files:
            raise _CorruptEntry("no files listed")
        record = {k: v for k, v in meta.items() if k != "signature"}
        expected = self._signature(record)
        if expected is not None and not hmac.compare_digest(str(meta.get("signature")), expected):
            raise _CorruptEntry("its signature does not match this project's cache key")
        stored_root = entry / "files"
        if stored_root.is_symlink():
            raise _CorruptEntry("its files folder is a symbolic link")
        for rel, digest in files.items():
            if safe_output_path(rel) is None:
                raise _CorruptEntry(f"it lists {str(rel)[:80]!r}, not a file of an output folder")
            if not isinstance(digest, str) or len(digest) != 64:
                raise _CorruptEntry(f"{rel} has no SHA-256")
            stored = stored_root / rel
            try:
                mode = os.lstat(stored).st_mode
                if stored.parent.is_symlink() or not stat.S_ISREG(mode):
                    raise _CorruptEntry(f"{rel} is not a regular file")
                if sha256_file(stored) != digest:
                    raise _CorruptEntry(f"{rel} has the wrong hash")
            except OSError:
                raise _CorruptEntry(f"{rel} is missing") from None
        return {str(k): str(v) for k, v in files.items()}

    def _discard(self, name: str, entry: Path, why: str) -> None:
        self.warn(f"cache entry of {name} is corrupt ({why}); discarded, re-running")
        _remove(entry)

    def lookup(self, name: str, key: str) -> dict[str, str] | None:
        """The entry's files (relative path -> SHA-256) when it exists and is trusted."""
        entry = self._unlinked(name) / key
        if entry.is_symlink():
            self._discard(name, entry, "the entry is a symbolic link")
            return None
        if not (entry / "entry.json").exists() and not (entry / "entry.json").is_symlink():
            return None
        try:
            return self._check(name, key, entry)
        except _CorruptEntry as exc:
            self._discard(name, entry, str(exc))
            return None

    def restore(
        self, name: str, key: str, files: Mapping[str, str], out_dir: Path
    ) -> list[Path] | None:
        """Copy a checked entry's files into ``out_dir`` (all or nothing).

        Each file is copied in blocks and its hash checked as it is copied, into
        ``out_dir``'s output folders only. Returns the files, or None (with a warning)
        when the entry changed or vanished since it was checked: the notebook then runs.
        """
        entry = self._entry(name, key) / "files"
        base = out_dir.resolve()
        targets: list[Path] = []
        changed: dict[str | Path, bytes | CopyFrom] = {}
        try:
            for rel, digest in files.items():
                if safe_output_path(rel) is None:
                    raise _CorruptEntry(f"it lists {rel[:80]!r}, not a file of an output folder")
                *subs, file_name = rel.split("/")
                folder = out_dir.joinpath(*subs).resolve()
                if folder.parents[len(subs) - 1] != base:
                    raise _CorruptEntry(f"{'/'.join(subs)}/ leads out of the output folder")
                folder.mkdir(parents=True, exist_ok=True)
                target = folder / file_name
                targets.append(target)
                unchanged = (
                    not target.is_symlink() and target.is_file() and sha256_file(target) == digest
                )
                if not unchanged:
                    changed[target] = CopyFrom(entry / rel, digest)
            if changed:
                write_all_atomic(changed)
        except (_CorruptEntry, OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self._discard(name, self._entry(name, key), f"cannot be restored: {reason}")
            return None
        return sorted(targets)

    def _prune(self, name: str, keep: int) -> None:
        folder = self.folder / name
        with contextlib.suppress(OSError):
            entries = sorted(
                (
                    p
                    for p in folder.iterdir()
                    if p.name not in ("figures", "last.json") and (p.is_dir() or p.is_symlink())
                ),
                key=lambda p: p.lstat().st_mtime,
            )
            for old in entries[: max(len(entries) - keep, 0)]:
                _remove(old)

    def store(
        self,
        name: str,
        notebook_key: NotebookKey,
        outputs: list[Path],
        out_dir: Path,
        seconds: float | None = None,
    ) -> None:
        """Keep a successful run's outputs under its key (replacing older entries).

        A cache that cannot be written (full disk, a folder deleted or replaced by a
        file during the build) costs this result only: one warning, and the notebook
        runs again next time.
        """
        try:
            self._store(name, notebook_key, outputs, out_dir, seconds)
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            where = f" ({exc.filename})" if isinstance(exc, OSError) and exc.filename else ""
            self.warn(
                f"could not store the result of {name} in the cache: {reason}{where}; "
                "it runs again next time"
            )

    def _store(
        self,
        name: str,
        notebook_key: NotebookKey,
        outputs: list[Path],
        out_dir: Path,
        seconds: float | None,
    ) -> None:
        target = self._unlinked(name, notebook_key.key)
        _remove(target)
        self._prune(name, keep=KEEP_ENTRIES - 1)
        files: dict[str | Path, bytes | CopyFrom] = {}
        listing: dict[str, str] = {}
        for path in outputs:
            rel = path.relative_to(out_dir).as_posix()
            if safe_output_path(rel) is None:
                continue  # never a file the cache would refuse to restore
            digest = sha256_file(path)
            files[target / "files" / rel] = CopyFrom(path, digest)
            listing[rel] = digest
        record: dict[str, Any] = {
            "format": ENTRY_FORMAT,
            "notebook": name,
            "key": notebook_key.key,
            "files": listing,
        }
        record["signature"] = self._signature(record)
        files[target / "entry.json"] = (json.dumps(record, indent=1) + "\n").encode()
        last = {"key": notebook_key.key, "parts": notebook_key.parts, "seconds": seconds}
        files[self.folder / name / "last.json"] = (json.dumps(last, indent=1) + "\n").encode()
        for target_path in files:
            Path(target_path).parent.mkdir(parents=True, exist_ok=True)
        write_all_atomic(files)
