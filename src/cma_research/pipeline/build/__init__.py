"""The batch build: validate parameters, run the notebooks with papermill, write HTML.

``cma-research build`` (and :func:`build`) regenerates every report of the study in
named stages, each in its own module:

1. :mod:`~.parameters` reads each notebook's ``parameters`` cell (with papermill's
   ``inspect_notebook``) and validates the requested values **before any kernel
   starts**: an unknown key, a wrong type, a value out of range (bounds from the
   instrument), a missing dependency, a missing input file or a returns file that does
   not load is a :class:`~cma_research.ParameterError`, one line each;
2. :mod:`~.cache` keys each notebook by its code, parameters, input files, the
   package's source and the stack's versions; an unchanged notebook is restored from
   the cache (``cached``), the others re-run and the build says why;
3. :mod:`~.execute` runs them with papermill, several at once, each in a kernel of this
   interpreter, and makes the executed notebook shareable (no local paths);
4. :mod:`~.convert` writes two self-contained HTML files (with code, and code-free);
5. :mod:`~.index` writes ``index.html`` and ``manifest.json`` (input and output SHA-256s,
   parameters, cache keys, versions, kernel, git commit, timings).

A failing notebook does not stop the others; its outputs are removed, the summary
names the notebook, the cell, the line and the error, and the build reports failure.
One build at a time writes to an output folder (a lock); a build that was killed is
detected and its leftovers removed by the next one. Every file is written to a
temporary name and renamed.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from cma_research.core.errors import ParameterError, ReportBuildError
from cma_research.core.executor import SCHEDULER_ENV
from cma_research.core.files import guard_not_raw, sha256_file, write_atomic
from cma_research.pipeline.build import execute, index
from cma_research.pipeline.build.cache import BuildCache, notebook_key, reasons
from cma_research.pipeline.build.convert import shown
from cma_research.pipeline.build.parameters import (
    ParamSpec,
    discover,
    load_params_file,
    notebook_parameters,
    validate_parameters,
)
from cma_research.pipeline.build.records import BuildResult, NotebookRun
from cma_research.pipeline.provenance import git_commit, package_versions

__all__ = [
    "BuildResult",
    "NotebookRun",
    "ParamSpec",
    "build",
    "build_sweep",
    "notebook_parameters",
    "validate_parameters",
]

_SUBFOLDERS = ("notebooks", "html", "figures", "tables")
_IN_PROGRESS = ".build-in-progress"


@contextlib.contextmanager
def _locked(out: Path) -> Iterator[None]:
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


def _clean_interrupted(out: Path, say: Callable[[str], None]) -> None:
    """Remove what a killed build left: temporary files, and outputs its manifest lacks."""
    marker = out / _IN_PROGRESS
    leftovers = [p for p in out.rglob(".*") if p.is_file() and p.name not in (".build.lock",)]
    if not marker.exists() and not any(".running" in p.name for p in leftovers):
        return
    old = _read_manifest(out)
    vouched = old.get("outputs", {}) if isinstance(old.get("outputs"), dict) else {}
    removed = 0
    for p in leftovers:
        p.unlink(missing_ok=True)
        removed += 1
    for sub in _SUBFOLDERS:
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


def _read_manifest(out: Path) -> dict[str, Any]:
    try:
        data = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _output_folder(requested: Mapping[str, Any], specs: Mapping[str, Any], root: Path) -> Path:
    if "output_dir" in requested:
        out = Path.cwd() / Path(str(requested["output_dir"]))
    else:
        defaults = [s["output_dir"].default for s in specs.values() if "output_dir" in s]
        out = root / Path(defaults[0] if defaults else "reports")
    out = guard_not_raw(out)
    for sub in _SUBFOLDERS:
        if (out / sub).is_symlink():
            raise ParameterError(
                f"{out.name}/{sub} is a symbolic link; refusing to write through it "
                "(remove it or choose another --output-dir)"
            )
    return out


def build(
    *,
    params_file: str | Path | None = None,
    params: Mapping[str, Any] | None = None,
    only: Sequence[str] | None = None,
    jobs: int | None = None,
    output_dir: str | Path | None = None,
    notebooks_dir: str | Path = "notebooks",
    progress: Callable[[str], None] | None = None,
    force: bool = False,
    dry_run: bool = False,
    cache_dir: str | Path | None = None,
    scheduler: str | None = None,
) -> BuildResult:
    """Validate parameters, run (or restore) the notebooks, write HTML, index and manifest.

    Parameters
    ----------
    params_file : path, optional
        YAML mapping of parameter names to values (validated before any kernel starts).
    params : mapping, optional
        More parameters (override the file).
    only : sequence of str, optional
        Notebook names (``02_distributions``) to run; default all. The others keep the
        outputs of their earlier run, listed apart in the index with that run's inputs.
    jobs : int, optional
        Notebooks run at once (default: number of CPU cores).
    output_dir : path, optional
        Where reports go (default: the notebooks' ``output_dir`` default, ``reports/``).
    notebooks_dir : path
        Folder with the ``NN_name.ipynb`` notebooks; its parent is the project root.
    progress : callable, optional
        Called with one line per event (default: print to standard error).
    force : bool
        Re-run every notebook even when the cache holds its result.
    dry_run : bool
        Validate and print the plan (``cached`` / ``re-run: why``); run and write nothing.
    cache_dir : path, optional
        Where results are cached (default ``$CMA_CACHE_DIR`` or ``.cma-cache/build`` in
        the project root; never inside the output folder).
    scheduler : str, optional
        Address of a Dask distributed scheduler (``tcp://host:8786``; default
        ``$CMA_DASK_SCHEDULER``): the notebooks run as tasks on that cluster's workers,
        which must see the same file system; results and cache are identical either
        way. Needs ``pip install cma_research[dask]``; an unreachable scheduler is one
        error before anything runs.

    Returns
    -------
    BuildResult

    Raises
    ------
    ParameterError
        Invalid parameters (one line each), before anything runs.
    ReportBuildError
        Another build holds the output folder.
    """
    say = progress or (lambda line: print(line, file=sys.stderr, flush=True))
    nb_dir = Path(notebooks_dir).resolve()
    root = nb_dir.parent
    paths = discover(nb_dir, only)
    specs = {p.stem: notebook_parameters(p) for p in paths}
    requested = {**load_params_file(params_file), **dict(params or {})}
    if output_dir is not None:
        requested["output_dir"] = str(output_dir)
    resolved = validate_parameters(requested, specs, base_dir=Path.cwd(), notebooks_dir=nb_dir)
    out = _output_folder(requested, specs, root)
    resolved["output_dir"] = str(out)
    if jobs is not None and jobs < 1:
        raise ParameterError(f"--jobs {jobs}: must be 1 or more")
    workers = jobs or os.cpu_count() or 1
    cache_root = Path(cache_dir or os.environ.get("CMA_CACHE_DIR") or root / ".cma-cache" / "build")
    cache = BuildCache(cache_root.resolve(), say)

    def params_for(name: str) -> dict[str, Any]:
        chosen = {}
        for key, spec in specs[name].items():
            if key in resolved:
                chosen[key] = resolved[key]
            elif key.endswith("_path") and spec.default is not None:
                chosen[key] = str((root / spec.default).resolve())
            else:
                chosen[key] = spec.default
        return chosen

    def shown_params(name: str) -> dict[str, Any]:
        return {k: shown(v, root) for k, v in params_for(name).items()} | {"output_dir": "."}

    keys = {p.stem: notebook_key(p, params_for(p.stem)) for p in paths}
    plan: dict[str, str] = {}
    for p in paths:
        if not force and cache.lookup(p.stem, keys[p.stem].key) is not None:
            plan[p.stem] = "cached"  # this exact key was built before (any earlier run)
            continue
        why = ["--force"] if force else reasons(keys[p.stem], cache.last_parts(p.stem))
        plan[p.stem] = "re-run: " + ", ".join(why or ["no cached result"])
    plan_lines = [f"{name}: {what}" for name, what in plan.items()]
    if dry_run:
        for line in plan_lines:
            say(line)
        return BuildResult([], out, {}, plan_lines)
    address = scheduler or os.environ.get(SCHEDULER_ENV) or None
    client = _connect(address) if address else None

    out.mkdir(parents=True, exist_ok=True)
    try:
        with _locked(out):
            _clean_interrupted(out, say)
            (out / _IN_PROGRESS).write_text(str(os.getpid()))
            for sub in _SUBFOLDERS:
                (out / sub).mkdir(parents=True, exist_ok=True)
            previous = _read_manifest(out)
            n_run = sum(v != "cached" for v in plan.values())
            say(
                f"building {len(paths)} notebooks ({len(paths) - n_run} cached, {n_run} to run "
                f"with {min(workers, max(n_run, 1))} parallel kernels) -> {shown(str(out), root)}"
            )
            start = time.perf_counter()
            runs: dict[str, NotebookRun] = {}
            to_run = []
            for p in paths:
                name, key = p.stem, keys[p.stem]
                files = cache.lookup(name, key.key) if plan[name] == "cached" else None
                if files is None:
                    to_run.append(p)
                    continue
                restored = cache.restore(name, key.key, files, out)
                runs[name] = NotebookRun(name, True, 0.0, "", restored, True, key.key, "cached")
                say(f"{name}: cached")
            tasks = [
                (p, (p, params_for(p.stem), out, specs[p.stem], root, shown_params(p.stem)))
                for p in to_run
            ]
            for p, run in _execute(tasks, workers, client):
                run.key, run.reason = keys[p.stem].key, plan[p.stem]
                if run.ok:
                    run.outputs = execute.owned_outputs(out, run.name)
                    cache.store(run.name, keys[p.stem], run.outputs, out)
                runs[run.name] = run
                status = "ok" if run.ok else f"FAILED: {run.error}"
                say(f"{run.name}: {plan[p.stem]} -> {status} ({run.seconds:.1f} s)")
            ordered = [runs[p.stem] for p in paths]
            total = time.perf_counter() - start
            earlier = _earlier_records(previous, out, {p.stem for p in paths})
            manifest = _manifest(ordered, earlier, out, resolved, paths, root, total, params_for)
            succeeded = [r.name for r in ordered if r.ok]
            facts = {
                "notebooks": f"{len(succeeded)} of {len(ordered)} succeeded in this run",
                "returns": str(shown(params_for(paths[0].stem).get("returns_path"), root)),
            }
            facts.update(index.key_facts(out, succeeded))
            descriptions = {
                p.stem: index.describe_notebook(p)[1] for p in nb_dir.glob("[0-9]*.ipynb")
            }
            page = index.index_html(
                ordered, earlier, out, shown_params(paths[0].stem), facts, descriptions
            )
            write_atomic(out / "index.html", page.encode())
            manifest["outputs"] = index.hash_outputs(out)
            text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
            write_atomic(out / "manifest.json", text.encode())
            (out / _IN_PROGRESS).unlink(missing_ok=True)
    finally:
        if client is not None:
            client.close()
    used = {
        k: str(v) for p in paths for k, v in params_for(p.stem).items() if k.endswith("_path") and v
    }
    used["instrument"] = str(params_for(paths[0].stem).get("instrument", "customer_wise_2007"))
    return BuildResult(ordered, out, manifest, plan_lines, used)


def build_sweep(
    sweep_file: str | Path,
    *,
    output_dir: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
    **kwargs: Any,
) -> list[tuple[dict[str, Any], BuildResult]]:
    """Build every set of a parameter grid into its own folder, plus a comparison index.

    See :mod:`cma_research.pipeline.build.sweep` for the file format. ``output_dir``
    defaults to ``reports/sweep`` in the project root; the other keywords are those of
    :func:`build` (``params``, ``params_file``, ``notebooks_dir``, ``jobs``, ...).
    """
    from cma_research.pipeline.build.sweep import run_sweep

    say = progress or (lambda line: print(line, file=sys.stderr, flush=True))
    nb_dir = Path(kwargs.get("notebooks_dir", "notebooks")).resolve()
    out = guard_not_raw(Path(output_dir) if output_dir else nb_dir.parent / "reports" / "sweep")
    base_params = {**load_params_file(kwargs.pop("params_file", None)), **kwargs.pop("params", {})}

    def build_one(**args: Any) -> BuildResult:
        return build(progress=say, **kwargs, **args)

    out.mkdir(parents=True, exist_ok=True)
    return run_sweep(sweep_file, build_one, output_dir=out, params=base_params, say=say)


def _connect(address: str) -> Any:
    """A Dask client for ``address``, or one clear error line (before anything runs)."""
    try:
        from dask.distributed import Client  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise ParameterError(
            f"--scheduler {address}: dask.distributed is not installed; "
            "pip install cma_research[dask]"
        ) from None
    try:
        return Client(address, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise ParameterError(
            f"--scheduler {address}: cannot reach the Dask scheduler ({type(exc).__name__}); "
            "start it (dask scheduler) or check the address"
        ) from None


def _execute(
    tasks: Sequence[tuple[Path, tuple[Any, ...]]], workers: int, client: Any
) -> Iterator[tuple[Path, NotebookRun]]:
    """Run the notebooks: in threads of this process, or as tasks on a Dask cluster.

    On a cluster a worker that dies mid-task has its notebook rescheduled on another
    worker (``retries``); when every try failed the notebook is a named failure, and
    its outputs were removed before it ran, so nothing half-written remains.
    """
    if not tasks:
        return
    if client is None:
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(tasks)))) as pool:
            futures = {pool.submit(execute.run_one, *args): p for p, args in tasks}
            for fut in as_completed(futures):
                yield futures[fut], fut.result()
        return
    from dask.distributed import as_completed as dask_completed

    futures = {
        client.submit(execute.run_one, *args, key=f"cma-build-{p.stem}", pure=False, retries=2): p
        for p, args in tasks
    }
    for fut in dask_completed(list(futures)):
        p = futures[fut]
        try:
            yield p, fut.result()
        except Exception as exc:  # a worker that died on every try, or a lost task
            error = f"failed on the Dask cluster: {type(exc).__name__}: {str(exc)[:200]}"
            yield p, NotebookRun(p.stem, False, 0.0, error)


def _earlier_records(
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
            earlier[name] = {**record, "this_run": False}
    return earlier


def _manifest(
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
            key: {"path": shown(value, root), "sha256": sha256_file(value)}
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
        "kernel": execute.kernel_description(),
        "git_commit": git_commit(root),
    }
