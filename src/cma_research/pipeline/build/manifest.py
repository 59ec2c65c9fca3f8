"""The build's manifest: what ran, with which inputs, keys, versions and kernel."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from cma_research.core.files import sha256_file
from cma_research.core.version import __version__
from cma_research.io.study import Study
from cma_research.pipeline.build import execute
from cma_research.pipeline.build.convert import shown
from cma_research.pipeline.build.records import NotebookRun
from cma_research.pipeline.provenance import git_commit, package_versions

__all__ = ["earlier_records", "input_record", "manifest", "notebooks_source", "study_record"]

# Inputs that are secrets: recorded by their key check value, never by a hash of the key.
_SECRET_INPUTS = ("key_path",)


def input_record(key: str, value: str, root: Path) -> dict[str, str]:
    """One input file as the manifest records it: where, and its SHA-256.

    A pseudonymisation key is recorded by its check value
    (:func:`cma_research.reporting.pseudonym.key_check`), not by a hash of its bytes.
    """
    if key in _SECRET_INPUTS:
        from cma_research.reporting.pseudonym import key_check, read_key

        return {"path": shown(value, root), "key_check": key_check(read_key(value))}
    return {"path": shown(value, root), "sha256": sha256_file(value)}


def notebooks_source(kind: str, folder: Path, root: Path) -> dict[str, Any]:
    """Where the notebooks came from (the study's own, the package's, a folder) and their
    hashes."""
    where = {
        "study": "the study folder's own notebooks",
        "package": f"the notebooks shipped with cma_research {__version__}",
        "folder": "a notebooks folder given to the build",
    }[kind]
    return {
        "source": kind,
        "description": where,
        "folder": shown(str(folder), root) if kind != "package" else "cma_research/notebooks",
        "sha256": {p.name: sha256_file(p) for p in sorted(folder.glob("[0-9][0-9]_*.ipynb"))},
    }


def study_record(study: Study, root: Path) -> dict[str, Any]:
    """The study file the build read: its path (as shown), hash and title."""
    return {
        "path": shown(str(study.path), root),
        "sha256": sha256_file(study.path),
        "title": study.title,
    }


def earlier_records(
    previous: Mapping[str, Any], out: Path, this_run: set[str]
) -> dict[str, dict[str, Any]]:
    """Notebooks not run now whose outputs (of an earlier run) are still in the folder."""
    records = previous.get("notebooks", {})
    earlier: dict[str, dict[str, Any]] = {}
    if not isinstance(records, dict):
        return earlier
    for name, record in sorted(records.items()):
        if name in this_run or not isinstance(record, dict) or not record.get("ok"):
            continue
        if (out / "html" / f"{name}.nocode.html").is_file():
            inputs = record.get("inputs")
            inputs = {
                str(k): v
                for k, v in (inputs.items() if isinstance(inputs, dict) else [])
                if isinstance(v, dict)
            }
            earlier[name] = {**record, "inputs": inputs, "this_run": False}
    return earlier


def manifest(
    runs: Sequence[NotebookRun],
    earlier: Mapping[str, Mapping[str, Any]],
    out: Path,
    resolved: Mapping[str, Any],
    paths: Sequence[Path],
    root: Path,
    total: float,
    params_for: Callable[[str], dict[str, Any]],
) -> dict[str, Any]:
    from cma_research.core.instrument import get_instrument

    notebooks: dict[str, Any] = dict(earlier)
    for p, run in zip(paths, runs, strict=True):
        inputs = {
            key: input_record(key, value, root)
            for key, value in sorted(params_for(p.stem).items())
            if key.endswith("_path") and value
        }
        notebooks[p.stem] = {
            "ok": run.ok,
            "this_run": True,
            "reused": run.reused,
            "key": run.key,
            "plan": run.reason,
            "seconds": round(run.seconds, 3),
            "phases": {k: round(v, 3) for k, v in sorted(run.phases.items())},
            "kernel_start": run.kernel_start or ("cached" if run.reused else ""),
            "error": run.error,
            "sha256": sha256_file(p),
            "inputs": inputs,
        }
    instrument = params_for(paths[0].stem).get("instrument")
    inst = get_instrument(str(instrument)) if instrument else None
    shown_resolved = {k: shown(v, root) for k, v in sorted(resolved.items())}
    shown_resolved["output_dir"] = shown(str(out), root)
    return {
        "parameters": shown_resolved,
        "notebooks": dict(sorted(notebooks.items())),
        "instrument": {"name": inst.name, "sha256": inst.sha256} if inst else None,
        "total_seconds": round(total, 3),
        "versions": package_versions(),
        "package": {"name": "cma_research", "version": __version__},
        "kernel": execute.kernel_description(),
        "git_commit": git_commit(root),
    }
