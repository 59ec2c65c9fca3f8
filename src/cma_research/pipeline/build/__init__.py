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

import json
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from cma_research.analysis.executor import SCHEDULER_ENV
from cma_research.core.errors import ParameterError
from cma_research.core.files import guard_not_raw, write_atomic
from cma_research.pipeline.build import execute, index, state, warm
from cma_research.pipeline.build import manifest as manifest_mod
from cma_research.pipeline.build import run as runner
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

__all__ = [
    "BuildResult",
    "NotebookRun",
    "ParamSpec",
    "build",
    "build_sweep",
    "notebook_parameters",
    "validate_parameters",
]


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
        Re-run every notebook even when the cache holds its result, and render every
        figure (the figure cache is not read).
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
    if not dry_run:
        warm.preloader(root)  # kernels' imports start now, while parameters are validated
    try:
        return _build(
            root, nb_dir, params_file, params, only, jobs, output_dir, say, force, dry_run,
            cache_dir, scheduler,
        )  # fmt: skip
    finally:
        warm.shutdown()  # never outlives the build (a changed source would go unseen)


def _build(
    root: Path,
    nb_dir: Path,
    params_file: str | Path | None,
    params: Mapping[str, Any] | None,
    only: Sequence[str] | None,
    jobs: int | None,
    output_dir: str | Path | None,
    say: Callable[[str], None],
    force: bool,
    dry_run: bool,
    cache_dir: str | Path | None,
    scheduler: str | None,
) -> BuildResult:
    paths = discover(nb_dir, only)
    specs = {p.stem: notebook_parameters(p) for p in paths}
    requested = {**load_params_file(params_file), **dict(params or {})}
    if output_dir is not None:
        requested["output_dir"] = str(output_dir)
    resolved = validate_parameters(requested, specs, base_dir=Path.cwd(), notebooks_dir=nb_dir)
    out = state.output_folder(requested, specs, root)
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
    entries: dict[str, dict[str, str]] = {}  # intact cache entries: file -> SHA-256
    for p in paths:
        found = None if force else cache.lookup(p.stem, keys[p.stem].key)
        if found is not None:
            entries[p.stem] = found  # checked once here, restored below
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
    client = runner.connect(address) if address else None
    if client is not None or all(v == "cached" for v in plan.values()):
        warm.shutdown()  # no kernel starts here

    out.mkdir(parents=True, exist_ok=True)
    try:
        with state.locked(out):
            state.clean_interrupted(out, say)
            (out / state.IN_PROGRESS).write_text(str(os.getpid()))
            for sub in state.SUBFOLDERS:
                (out / sub).mkdir(parents=True, exist_ok=True)
            previous = state.read_manifest(out)
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
                files = entries.get(name)
                if files is None:
                    to_run.append(p)
                    continue
                restored = cache.restore(name, key.key, files, out)
                runs[name] = NotebookRun(name, True, 0.0, "", restored, True, key.key, "cached")
                say(f"{name}: cached")
            # longest first (as they took last time; unknown ones first of all), so the
            # last notebook to finish is a short one and no worker idles at the end
            to_run.sort(key=lambda p: -(cache.last_seconds(p.stem) or float("inf")))

            def task(p: Path) -> tuple[Any, ...]:
                figures = None if force else str(cache.figure_folder(p.stem, keys[p.stem]))
                shown_p = shown_params(p.stem)
                return (p, params_for(p.stem), out, specs[p.stem], root, shown_p, figures)

            tasks = [(p, task(p)) for p in to_run]
            for p, run in runner.execute_all(tasks, workers, client):
                run.key, run.reason = keys[p.stem].key, plan[p.stem]
                if run.ok:
                    run.outputs = execute.owned_outputs(out, run.name)
                    cache.store(run.name, keys[p.stem], run.outputs, out, run.seconds)
                cache.prune_figures(run.name)
                runs[run.name] = run
                status = "ok" if run.ok else f"FAILED: {run.error}"
                say(f"{run.name}: {plan[p.stem]} -> {status} ({run.seconds:.1f} s)")
            ordered = [runs[p.stem] for p in paths]
            total = time.perf_counter() - start
            earlier = manifest_mod.earlier_records(previous, out, {p.stem for p in paths})
            manifest = manifest_mod.manifest(
                ordered, earlier, out, resolved, paths, root, total, params_for
            )
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
            (out / state.IN_PROGRESS).unlink(missing_ok=True)
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
