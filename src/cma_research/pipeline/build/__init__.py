"""The batch build: validate parameters, run the notebooks with papermill, write HTML.

``cma-research build`` (and :func:`build`) regenerates every report of the study as a
plan of named steps (:mod:`~.plan`), as papermill's ``execute_notebook`` is a pipeline
of named stages:

1. **validate** (:func:`~.plan.validate_request`): :mod:`~.parameters` reads each
   notebook's ``parameters`` cell (as papermill's ``inspect_notebook`` reads it) and
   checks the requested values **before any kernel starts**: an unknown key, a wrong
   type, a value out of range (bounds from the instrument), a missing dependency, a
   missing input file or a returns file that does not load is a
   :class:`~cma_research.ParameterError`, one line each (the returns file is loaded
   once the plan is known, while the kernels' imports start, and not again while it,
   the parameters and the package are unchanged:
   :func:`~.parameters.check_returns_load`);
2. **plan** (:func:`~.plan.make_plan`): :mod:`~.cache` keys each notebook by its code,
   parameters, input files, the package's source and the stack's versions; an
   unchanged notebook is restored from the cache (``cached``), the others re-run and
   the build says why (``--dry-run`` prints this plan and stops);
3. **run** (:func:`~.plan.restore_cached`, :func:`~.plan.run_notebooks`): :mod:`~.execute`
   runs the notebooks with papermill, several at once (:mod:`~.run`: threads, or a Dask
   cluster), each in a kernel of this interpreter (:mod:`~.warm`), and makes the
   executed notebook shareable (no local paths);
4. **convert** (:mod:`~.convert`): two self-contained HTML files per notebook (with
   code, and code-free), written as each notebook finishes;
5. **index and manifest** (:func:`~.plan.write_index_and_manifest`): :mod:`~.index` and
   :mod:`~.manifest` write ``index.html`` and ``manifest.json`` (input and output
   SHA-256s, parameters, cache keys, versions, kernel, git commit, timings).

**The study.** A build builds one study: the study file given (``study=``, ``--study``),
else, when no returns file is given by parameters, the ``study.yaml`` of the current
folder (:func:`~cma_research.io.study.find_study`). Its folder is the project root; its
notebooks are its own ``notebooks/`` folder when it has one (a user's edited copies),
else the ones shipped in the package; the manifest says which, with their hashes.

A failing notebook does not stop the others; its outputs are removed, the summary
names the notebook, the cell, the line and the error, and the build reports failure.
One build at a time writes to an output folder (a lock); a build that was killed is
detected and its leftovers removed by the next one. Every file is written to a
temporary name and renamed.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cma_research.core.files import guard_not_raw
from cma_research.io.study import STUDY_FILE, Study, load_study
from cma_research.pipeline.build import plan as plan_mod
from cma_research.pipeline.build import run as runner
from cma_research.pipeline.build import warm
from cma_research.pipeline.build.cache import BuildCache, signing_key
from cma_research.pipeline.build.parameters import (
    ParamSpec,
    check_returns_load,
    load_params_file,
    notebook_parameters,
    packaged_notebooks,
    validate_parameters,
)
from cma_research.pipeline.build.plan import BuildPlan, Request
from cma_research.pipeline.build.records import BuildResult, NotebookRun

__all__ = [
    "BuildPlan",
    "BuildResult",
    "NotebookRun",
    "ParamSpec",
    "Request",
    "build",
    "build_sweep",
    "notebook_parameters",
    "resolve_sources",
    "validate_parameters",
]


@dataclass(frozen=True)
class Sources:
    """Where a build's study, notebooks and project root are (see :func:`resolve_sources`)."""

    study: Study | None
    notebooks_dir: Path
    root: Path
    notebooks_from: str  # "study", "package" or "folder"


def _has_notebooks(folder: Path) -> bool:
    return folder.is_dir() and any(folder.glob("[0-9][0-9]_*.ipynb"))


def resolve_sources(
    study: str | Path | None = None,
    params_file: str | Path | None = None,
    params: Mapping[str, Any] | None = None,
    notebooks_dir: str | Path | None = None,
) -> Sources:
    """The study, the notebooks and the project root of a build.

    The study is the file given; else, when neither the parameters file nor ``params``
    names a ``returns_path``, the ``study.yaml`` of the project folder (the parent of a
    given notebooks folder, else the current folder), if it has one. The notebooks are
    ``notebooks_dir`` when given; else the study folder's ``notebooks/`` (without a
    study, the current folder's) when it holds notebooks; else the ones shipped in the
    package. The root is the study's folder, else the parent of a given notebooks
    folder, else the current folder.

    Raises
    ------
    ParameterError
        A study file that does not read.
    """
    given = {**load_params_file(params_file), **dict(params or {})}
    folder = Path(notebooks_dir).resolve() if notebooks_dir is not None else None
    base = folder.parent if folder is not None else Path.cwd().resolve()
    found: Study | None = None
    if study is not None:
        found = load_study(study)
    elif not given.get("returns_path") and (base / STUDY_FILE).is_file():
        found = load_study(base / STUDY_FILE)
    if folder is not None:
        if found is not None and folder == (found.folder / "notebooks").resolve():
            return Sources(found, folder, found.folder, "study")
        return Sources(found, folder, found.folder if found else folder.parent, "folder")
    base = found.folder if found is not None else base
    own = base / "notebooks"
    if _has_notebooks(own):
        return Sources(found, own, base, "study" if found is not None else "folder")
    return Sources(found, packaged_notebooks(), base, "package")


def build(
    *,
    study: str | Path | None = None,
    params_file: str | Path | None = None,
    params: Mapping[str, Any] | None = None,
    only: Sequence[str] | None = None,
    jobs: int | None = None,
    output_dir: str | Path | None = None,
    notebooks_dir: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
    force: bool = False,
    dry_run: bool = False,
    cache_dir: str | Path | None = None,
    scheduler: str | None = None,
) -> BuildResult:
    """Validate parameters, run (or restore) the notebooks, write HTML, index and manifest.

    Parameters
    ----------
    study : path, optional
        The study file (default: see :func:`resolve_sources`). Its parameters
        (:meth:`~cma_research.io.study.Study.parameters`) come first; ``params_file`` and
        ``params`` override them.
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
        Where reports go (default: the study's output folder, else ``reports/`` in the
        project root).
    notebooks_dir : path, optional
        Folder with the ``NN_name.ipynb`` notebooks (default: see
        :func:`resolve_sources`).
    progress : callable, optional
        Called with one line per event (default: print to standard error).
    force : bool
        Re-run every notebook even when the cache holds its result, and render every
        figure (the figure cache is not read).
    dry_run : bool
        Validate and return the plan (``cached`` / ``re-run: why``, in
        :attr:`BuildResult.plan`); run and write nothing.
    cache_dir : path, optional
        Where results are cached (default ``$CMA_CACHE_DIR`` or ``.cma-cache/build`` in
        the project root): a folder, never inside the output folder or ``data/raw/``,
        checked before anything runs. Entries are signed with the project's cache key
        (:func:`~cma_research.pipeline.build.cache.signing_key`).
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
    sources = resolve_sources(study, params_file, params, notebooks_dir)
    cache_path = plan_mod.cache_folder(cache_dir, sources.root)  # refused before any kernel
    address = runner.scheduler_address(scheduler)  # malformed: one line, before anything
    if address is not None and not dry_run:  # silent, closed or not Dask: one line, now
        runner.probe(address, runner.source(scheduler))
    notes: list[str] = []
    request = plan_mod.validate_request(
        sources.notebooks_dir,
        params_file=params_file,
        params=params,
        only=only,
        output_dir=output_dir,
        jobs=jobs,
        root=sources.root,
        study=sources.study,
        notebooks_from=sources.notebooks_from,
        notes=notes,
        check_returns=False,
    )
    cache = BuildCache(cache_path, say, signing_key(request.root, create=not dry_run)[0])
    plan = plan_mod.make_plan(request, cache, force=force)
    if plan.to_run and not dry_run:
        # kernels' imports start now, while returns load (kept for later builds)
        warm.preloader(sources.root)
    keys = "\n".join(sorted(k.key for k in plan.keys.values()))
    check_returns_load(
        request.specs,
        request.resolved,
        sources.notebooks_dir,
        stamp=cache.folder / "checked" / hashlib.sha256(keys.encode()).hexdigest(),
        remember=not dry_run,
        root=sources.root,
        notes=notes,
    )
    for note in notes:
        say(f"note: {note}")
    if dry_run:  # the plan is returned (the command line prints it once)
        return BuildResult([], request.output_dir, {}, plan.lines)
    return plan_mod.execute_plan(plan, say, scheduler)


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
    base_params = {**load_params_file(kwargs.pop("params_file", None)), **kwargs.pop("params", {})}
    sources = resolve_sources(kwargs.get("study"), None, base_params, kwargs.get("notebooks_dir"))
    out = guard_not_raw(Path(output_dir) if output_dir else sources.root / "reports" / "sweep")

    def build_one(**args: Any) -> BuildResult:
        return build(progress=say, **kwargs, **args)

    out.mkdir(parents=True, exist_ok=True)
    return run_sweep(sweep_file, build_one, output_dir=out, params=base_params, say=say)
