"""A build as a plan of named steps.

As papermill's ``execute_notebook`` is a pipeline of named stages, :func:`~.build` is
a sequence of steps, each a function of this module that can be called (and tested) on
its own:

1. :func:`validate_request`: the notebooks, their ``parameters`` cells and the
   requested values (:mod:`~.parameters`), the output folder and the number of parallel
   kernels, all checked before any kernel starts; the result is a :class:`Request`;
2. :func:`make_plan`: each notebook's cache key (:mod:`~.cache`) and whether its outputs
   are restored (``cached``) or it must run again, and why (``re-run: ...``); the result
   is a :class:`BuildPlan`, whose :attr:`~BuildPlan.lines` are what ``--dry-run`` prints;
3. :func:`restore_cached`: the cached notebooks' outputs copied into the output folder;
4. :func:`run_notebooks`: the other notebooks executed with papermill, longest first,
   in threads or on a Dask cluster (:mod:`~.run`, :mod:`~.execute`); each is converted
   to HTML as it finishes (:mod:`~.convert`) and stored in the cache;
5. :func:`~.manuscript.render_paper`: ``values.json``, the study's manuscript as PDF,
   Word and LaTeX (cached like a notebook), and ``changes.html`` (:mod:`~.manuscript`);
6. :func:`write_index_and_manifest`: ``index.html`` and ``manifest.json``
   (:mod:`~.index`, :mod:`~.manifest`).

:func:`execute_plan` carries out steps 3 to 6 under the output folder's lock
(:mod:`~.state`): one build at a time, a killed build's leftovers removed first.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cma_research.core.errors import ParameterError
from cma_research.core.files import guard_not_raw, read_json, sha256_file, write_atomic
from cma_research.io.study import Study
from cma_research.pipeline import summary
from cma_research.pipeline.build import execute, index, state, warm
from cma_research.pipeline.build import manifest as manifest_mod
from cma_research.pipeline.build import manuscript as manuscript_mod
from cma_research.pipeline.build import run as runner
from cma_research.pipeline.build.cache import (
    CACHE_KEY_ENV,
    BuildCache,
    NotebookKey,
    notebook_key,
    reasons,
)
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
    "DURATIONS_FILE",
    "BuildPlan",
    "Request",
    "cache_folder",
    "check_cache_outside",
    "execute_plan",
    "make_plan",
    "restore_cached",
    "run_notebooks",
    "typical_seconds",
    "validate_request",
    "write_index_and_manifest",
]

Say = Callable[[str], None]


@dataclass(frozen=True)
class Request:
    """A validated build request: which notebooks run with which values, into which folder.

    ``root`` is the study's folder (relative notebook defaults are taken from it, and the
    notebooks run there); ``notebooks_from`` says where the notebooks come from:
    ``"study"`` (the study folder's own ``notebooks/``), ``"package"`` (the ones shipped
    in the package) or ``"folder"`` (a ``--notebooks-dir`` given).
    """

    notebooks_dir: Path  # absolute
    notebooks: list[Path]  # the NN_name.ipynb notebooks to build, in order
    specs: dict[str, dict[str, ParamSpec]]  # each notebook's parameters cell
    resolved: dict[str, Any]  # the requested values, input paths absolute, and output_dir
    output_dir: Path
    workers: int  # notebooks run at once
    root: Path
    notebooks_from: str = "folder"
    study: Study | None = None

    def params_for(self, name: str) -> dict[str, Any]:
        """The values notebook ``name`` receives: requested, else its own defaults."""
        chosen = {}
        for key, spec in self.specs[name].items():
            if key in self.resolved:
                chosen[key] = self.resolved[key]
            elif key.endswith("_path") and spec.default is not None:
                chosen[key] = str((self.root / spec.default).resolve())
            else:
                chosen[key] = spec.default
        return chosen

    def shown_params(self, name: str) -> dict[str, Any]:
        """:meth:`params_for` as the reports show it (paths relative to the project)."""
        return {k: shown(v, self.root) for k, v in self.params_for(name).items()} | {
            "output_dir": "."
        }

    def inputs(self) -> dict[str, str]:
        """The input files the notebooks read (absolute paths), and the instrument."""
        used = {
            k: str(v)
            for p in self.notebooks
            for k, v in self.params_for(p.stem).items()
            if k.endswith("_path") and v
        }
        first = self.params_for(self.notebooks[0].stem)
        used["instrument"] = str(first.get("instrument") or "customer_wise_2007")
        return used


def validate_request(
    notebooks_dir: Path,
    *,
    params_file: str | Path | None = None,
    params: Mapping[str, Any] | None = None,
    only: Sequence[str] | None = None,
    output_dir: str | Path | None = None,
    jobs: int | None = None,
    root: Path | None = None,
    study: Study | None = None,
    notebooks_from: str = "folder",
    notes: list[str] | None = None,
    check_returns: bool = True,
) -> Request:
    """Step 1: find the notebooks and check every requested value before any kernel starts.

    With a ``study`` its parameters (:meth:`~cma_research.io.study.Study.parameters`)
    come first, those the chosen notebooks declare; the parameters file and ``params``
    override them. With ``only``, a parameter that only the other notebooks of the
    folder declare is left out (the same parameters file serves a full build and a
    partial one). ``root`` defaults to the parent of ``notebooks_dir``.

    Raises :class:`~cma_research.ParameterError` (one line per problem) or
    :class:`~cma_research.ReportBuildError` (a notebook's parameters cell breaks the rules).
    With ``check_returns=False`` loading the returns file is left to
    :func:`~.parameters.check_returns_load` (the build does it once the plan is known).
    """
    root = root or notebooks_dir.parent
    paths = discover(notebooks_dir, only)
    specs = {p.stem: notebook_parameters(p) for p in paths}
    requested = {**_study_parameters(study, specs, notebooks_dir, only)}
    requested |= {**load_params_file(params_file), **dict(params or {})}
    if only:  # a parameter only the other notebooks declare does not apply: not an error
        chosen = {name for nb in specs.values() for name in nb}
        others = {
            name
            for p in discover(notebooks_dir, None)
            if p.stem not in specs
            for name in notebook_parameters(p)
        }
        requested = {k: v for k, v in requested.items() if k in chosen or k not in others}
    if output_dir is not None:
        requested["output_dir"] = str(output_dir)
    resolved = validate_parameters(
        requested,
        specs,
        base_dir=Path.cwd(),
        root=root,
        notes=notes,
        check_returns=check_returns,
    )
    out = state.output_folder(requested, specs, root)
    resolved["output_dir"] = str(out)
    _check_key(resolved, out)
    request = Request(notebooks_dir, paths, specs, resolved, out, 1, root, notebooks_from, study)
    declares = [p.stem for p in paths if "returns_path" in specs[p.stem]]
    if declares and not request.params_for(declares[0]).get("returns_path"):
        raise ParameterError(
            "no returns file: give --study FILE (a study file; `cma-research init FILE` "
            "writes one) or returns_path in --params; there is no study.yaml in "
            f"{shown(str(root), None)}"
        )
    if jobs is not None and jobs < 1:
        raise ParameterError(f"--jobs {jobs}: must be 1 or more")
    workers = jobs or os.cpu_count() or 1
    return Request(notebooks_dir, paths, specs, resolved, out, workers, root, notebooks_from, study)


def _study_parameters(
    study: Study | None,
    specs: Mapping[str, Mapping[str, ParamSpec]],
    notebooks_dir: Path,
    only: Sequence[str] | None,
) -> dict[str, Any]:
    """The study's parameters that the chosen notebooks declare.

    A name of the study's ``parameters`` section that no notebook of the folder declares
    is refused (a typo); the study's own entries are passed where declared.
    """
    if study is None:
        return {}
    declared = {name for nb in specs.values() for name in nb}
    every = declared
    if only and study.extra:
        every = {name for p in discover(notebooks_dir, None) for name in notebook_parameters(p)}
    unknown = sorted(k for k in study.extra if k not in every)
    if unknown:
        raise ParameterError(
            "\n".join(
                f"{study.path.name}: parameters.{k}: no notebook has this parameter "
                f"(known: {', '.join(sorted(every))})"
                for k in unknown
            )
        )
    return {k: v for k, v in study.parameters().items() if k in declared or k == "output_dir"}


def _check_key(resolved: Mapping[str, Any], out: Path) -> None:
    """A pseudonymisation key never lies inside the output folder (it would be shared)."""
    key = resolved.get("key_path")
    if not key:
        return
    key_path = Path(key).resolve()
    if out == key_path.parent or out in key_path.parents:
        raise ParameterError(
            f"the pseudonymisation key {key_path.name} is inside the output folder "
            f"{out.name}/, so it would be shared with the reports; keep it elsewhere"
        )


def cache_folder(cache_dir: str | Path | None, root: Path) -> Path:
    """The build cache: ``cache_dir``, else ``$CMA_CACHE_DIR``, else ``.cma-cache/build``.

    Checked before anything runs or is written: refused inside ``data/raw/``, when it is
    (or lies under) a regular file, when its nearest existing folder cannot be written,
    and when it would hold the project's cache key (:func:`~.cache.signing_key`).

    Raises
    ------
    ParameterError
        One line naming the folder and the problem.
    """
    chosen = cache_dir or os.environ.get("CMA_CACHE_DIR") or root / ".cma-cache" / "build"
    option = (
        "--cache-dir"
        if cache_dir
        else "$CMA_CACHE_DIR"
        if os.environ.get("CMA_CACHE_DIR")
        else "the build cache"
    )
    folder = Path(chosen).resolve()
    try:
        guard_not_raw(folder)
    except ParameterError:
        raise ParameterError(
            f"{option} {chosen}: inside data/raw/, which holds the raw inputs and is never "
            "written; choose another folder"
        ) from None
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        what = "is a file" if existing == folder else f"lies under the file {existing}"
        raise ParameterError(f"{option} {chosen}: {what}, not a folder; choose a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ParameterError(f"{option} {chosen}: {existing} cannot be written; choose a folder")
    key_file = root / ".cma-cache" / "cache.key"
    if not os.environ.get(CACHE_KEY_ENV) and folder in key_file.resolve().parents:
        raise ParameterError(
            f"{option} {chosen}: would hold the project's cache key ({key_file.name}), which "
            "must stay outside the cache; choose a folder inside or beside it"
        )
    return folder


def check_cache_outside(cache: Path, out: Path) -> None:
    """Refuse a cache folder inside the output folder, or an output folder inside the cache."""
    cache, out = cache.resolve(), out.resolve()
    if cache == out or out in cache.parents:
        raise ParameterError(
            f"the build cache {cache} is inside the output folder {out.name}/, which is "
            "shared; choose a --cache-dir outside it"
        )
    if cache in out.parents:
        raise ParameterError(
            f"the output folder {out} is inside the build cache {cache}; choose another "
            "--output-dir or --cache-dir"
        )


@dataclass(frozen=True)
class BuildPlan:
    """What a build will do: per notebook, its cache key and ``cached`` or ``re-run: why``."""

    request: Request
    cache: BuildCache
    keys: dict[str, NotebookKey]
    decisions: dict[str, str]  # notebook -> "cached" or "re-run: <why>"
    entries: dict[str, dict[str, str]]  # intact cache entries (file -> SHA-256) to restore
    force: bool = False

    @property
    def lines(self) -> list[str]:
        """One line per notebook, as ``--dry-run`` prints them."""
        return [f"{name}: {what}" for name, what in self.decisions.items()]

    @property
    def to_run(self) -> list[Path]:
        """The notebooks that run (not restored from the cache), in notebook order."""
        return [p for p in self.request.notebooks if p.stem not in self.entries]


def make_plan(request: Request, cache: BuildCache, *, force: bool = False) -> BuildPlan:
    """Step 2: key every notebook and decide, from the cache, whether it runs again and why.

    With ``force`` every notebook runs (``re-run: --force``). A corrupt cache entry is
    discarded (``cache.warn`` says so) and its notebook runs again.
    """
    check_cache_outside(cache.folder, request.output_dir)
    keys = {p.stem: notebook_key(p, request.params_for(p.stem)) for p in request.notebooks}
    decisions: dict[str, str] = {}
    entries: dict[str, dict[str, str]] = {}
    for p in request.notebooks:
        found = None if force else cache.lookup(p.stem, keys[p.stem].key)
        if found is not None:
            entries[p.stem] = found  # checked once here, restored by restore_cached
            decisions[p.stem] = "cached"  # this exact key was built before (any earlier run)
            continue
        why = ["--force"] if force else reasons(keys[p.stem], cache.last_parts(p.stem))
        decisions[p.stem] = "re-run: " + ", ".join(why or ["no cached result"])
    return BuildPlan(request, cache, keys, decisions, entries, force)


def restore_cached(plan: BuildPlan, say: Say) -> dict[str, NotebookRun]:
    """Step 3: copy the cached notebooks' outputs into the output folder.

    An entry that changed or vanished since the plan checked it (a cache deleted or
    edited during the build) is discarded with a warning; its notebook is left out of
    the result, and :func:`run_notebooks` runs it.
    """
    out = plan.request.output_dir
    runs: dict[str, NotebookRun] = {}
    for p in plan.request.notebooks:
        files = plan.entries.get(p.stem)
        if files is None:
            continue
        key = plan.keys[p.stem].key
        restored = plan.cache.restore(p.stem, key, files, out)
        if restored is None:
            continue
        runs[p.stem] = NotebookRun(p.stem, True, 0.0, "", restored, True, key, "cached")
        say(f"{p.stem}: cached")
    return runs


def run_notebooks(
    plan: BuildPlan,
    say: Say,
    client: Any = None,
    notebooks: Sequence[Path] | None = None,
) -> dict[str, NotebookRun]:
    """Step 4: run the notebooks that are not cached; store each success in the cache.

    Longest first (as they took last time, else as :func:`typical_seconds` says;
    unknown ones first of all), so the last notebook to finish is a short one and no
    worker idles at the end. ``client`` is a Dask client (run there) or None (threads
    of this process). ``notebooks``: the ones to run (default
    :attr:`BuildPlan.to_run`; more when a restore failed).
    """
    request, cache = plan.request, plan.cache
    chosen = plan.to_run if notebooks is None else list(notebooks)
    typical = typical_seconds(request.notebooks_dir)

    def expected(p: Path) -> float:
        last = cache.last_seconds(p.stem)
        return last if last is not None else typical.get(p.stem, float("inf"))

    to_run = sorted(chosen, key=lambda p: -expected(p))
    results = None  # one result cache for the build's kernels (cma_research.core.memo)
    if to_run:
        parts = plan.keys[to_run[0].stem].parts
        folder = execute.result_cache_folder(cache.folder, parts, fresh=plan.force)
        results = str(folder) if folder is not None else None

    def task(p: Path) -> tuple[Any, ...]:
        figures = None if plan.force else str(cache.figure_folder(p.stem, plan.keys[p.stem]))
        return (
            p,
            request.params_for(p.stem),
            request.output_dir,
            request.specs[p.stem],
            request.root,
            request.shown_params(p.stem),
            figures,
            results,
        )

    runs: dict[str, NotebookRun] = {}
    tasks = [(p, task(p)) for p in to_run]
    for p, run in runner.execute_all(tasks, request.workers, client):
        reason = plan.decisions[p.stem]
        if p.stem in plan.entries:  # planned as cached, but its entry could not be restored
            reason = "re-run: the cached result could not be restored"
        run.key, run.reason = plan.keys[p.stem].key, reason
        if run.ok:
            run.outputs = execute.owned_outputs(request.output_dir, run.name)
            cache.store(run.name, plan.keys[p.stem], run.outputs, request.output_dir, run.seconds)
        cache.prune_figures(run.name)
        runs[run.name] = run
        status = "ok" if run.ok else f"FAILED: {run.error}"
        say(f"{run.name}: {reason} -> {status} ({run.seconds:.1f} s)")
    return runs


#: Beside the notebooks: how long each typically takes (seconds; a first build's order).
DURATIONS_FILE = "durations.json"


def typical_seconds(notebooks_dir: Path) -> dict[str, float]:
    """The notebooks' typical seconds from ``durations.json`` beside them, else none.

    A build starts the longest notebooks first, by how long each took when last stored
    in the build cache. A first build has no such record; the packaged notebooks ship
    their seconds on the bundled study (as a test-splitting tool ships its tests'
    durations), so a fresh clone's first build is ordered too. Only the order depends on
    it: a stale, missing or unreadable file gives another order, never another output.
    Refresh it from a build's ``manifest.json`` (each notebook's ``seconds``).

    >>> from cma_research.pipeline.build.parameters import packaged_notebooks
    >>> typical = typical_seconds(packaged_notebooks())
    >>> max(typical, key=typical.get)
    '07_planning'
    >>> typical_seconds(Path("no such folder"))
    {}
    """
    try:
        found = read_json(notebooks_dir / DURATIONS_FILE, expect=dict, max_bytes=64_000)
    except (OSError, ValueError):
        return {}
    return {
        str(name): float(seconds)
        for name, seconds in found.items()
        if isinstance(seconds, int | float) and not isinstance(seconds, bool) and seconds >= 0
    }


def write_index_and_manifest(
    plan: BuildPlan,
    runs: Sequence[NotebookRun],
    previous: Mapping[str, Any],
    seconds: float,
) -> dict[str, Any]:
    """Step 5: write ``index.html`` and ``manifest.json`` for ``runs`` (in notebook order).

    ``previous`` is the output folder's manifest before this build (notebooks not run
    now keep their earlier outputs, listed apart); ``seconds`` is the build's duration.
    Returns the manifest written.
    """
    request = plan.request
    out, root, paths = request.output_dir, request.root, request.notebooks
    earlier = manifest_mod.earlier_records(previous, out, {p.stem for p in paths})
    manifest = manifest_mod.manifest(
        runs, earlier, out, request.resolved, paths, root, seconds, request.params_for
    )
    manifest["notebooks_from"] = manifest_mod.notebooks_source(
        request.notebooks_from, request.notebooks_dir, root
    )
    if request.study is not None:
        manifest["study"] = manifest_mod.study_record(request.study, root)
    succeeded = [r.name for r in runs if r.ok]
    headline_tables = [  # the summary reads them: an earlier run's (--only) count too
        f"{p.name}:{sha256_file(p)}" for p in sorted((out / "tables").glob("00_*.csv"))
    ]
    summary_key = "\n".join(
        [*sorted(k.key for k in plan.keys.values()), *succeeded, *headline_tables]
    )
    summary.write_study_summary(
        out,
        request.params_for(paths[0].stem),
        succeeded,
        stamp=plan.cache.folder / "summaries" / hashlib.sha256(summary_key.encode()).hexdigest(),
        sign=plan.cache.sign,
    )
    facts = {
        "notebooks": f"{len(succeeded)} of {len(runs)} succeeded in this run",
        "returns": str(shown(request.params_for(paths[0].stem).get("returns_path"), root)),
    }
    facts.update(index.key_facts(out, succeeded, plan.cache.warn))
    descriptions = {
        p.stem: index.describe_notebook(p)[1]
        for p in request.notebooks_dir.glob("[0-9][0-9]_*.ipynb")
    }
    title = request.study.title if request.study is not None else None
    page = index.index_html(
        runs,
        earlier,
        out,
        request.shown_params(paths[0].stem),
        facts,
        descriptions,
        title,
        plan.cache.warn,
    )
    write_atomic(out / "index.html", page.encode())
    manifest["outputs"] = index.hash_outputs(out)
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    write_atomic(out / "manifest.json", text.encode())
    return manifest


def _prepare_output(out: Path, say: Say) -> dict[str, Any]:
    """Clean up after a killed build, mark this one in progress; the previous manifest."""
    state.clean_interrupted(out, say)
    state.mark_in_progress(out)
    for sub in state.SUBFOLDERS:
        (out / sub).mkdir(parents=True, exist_ok=True)
    return state.read_manifest(out, say)


def execute_plan(plan: BuildPlan, say: Say, scheduler: str | None = None) -> BuildResult:
    """Carry out the plan: steps 3 to 5 under the output folder's lock.

    ``scheduler`` (or ``$CMA_DASK_SCHEDULER``) is a Dask scheduler's address; an
    unreachable one is a :class:`~cma_research.ParameterError` before anything runs.
    """
    request = plan.request
    out, paths = request.output_dir, request.notebooks
    address = runner.scheduler_address(scheduler)
    client = runner.connect(address, runner.source(scheduler)) if address else None
    if client is not None:
        warm.shutdown()  # kernels start on the cluster's workers, not here
    out.mkdir(parents=True, exist_ok=True)
    try:
        with state.locked(out):
            previous = _prepare_output(out, say)
            summary.write_pseudonym_map_of(request.params_for(paths[0].stem))
            n_run = len(plan.to_run)
            say(
                f"building {len(paths)} notebooks ({len(paths) - n_run} cached, {n_run} to run "
                f"with {min(request.workers, max(n_run, 1))} parallel kernels) -> "
                f"{shown(str(out), request.root)}"
            )
            start = time.perf_counter()
            runs = restore_cached(plan, say)
            missing = [p for p in paths if p.stem not in runs]
            if missing and client is None:  # the paper's imports, while the kernels run
                manuscript_mod.prepare(request.root)
            runs.update(run_notebooks(plan, say, client, missing))
            ordered = [runs[p.stem] for p in paths]
            names = sorted(p.stem for p in request.notebooks_dir.glob("[0-9]*.ipynb"))
            paper = manuscript_mod.render_paper(
                out,
                request.root,
                ordered,
                plan.keys,
                plan.cache,
                say,
                notebook_names=names,
                returns=request.inputs().get("returns_path"),
                force=plan.force,
            )
            manifest = write_index_and_manifest(
                plan, ordered, previous, time.perf_counter() - start
            )
            (out / state.IN_PROGRESS).unlink(missing_ok=True)
    finally:
        if client is not None:
            client.close()
    result = BuildResult(
        ordered,
        out,
        manifest,
        plan.lines,
        request.inputs(),
        paper=paper.line,
        paper_error=paper.error,
        parameters=request.params_for(paths[0].stem),
    )
    return result
