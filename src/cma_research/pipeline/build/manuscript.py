"""The build's paper step: ``values.json``, the manuscript as PDF, Word and LaTeX, and
what changed since the previous build.

After the notebooks (:func:`render_paper`, called by
:func:`cma_research.pipeline.build.plan.execute_plan`):

1. the notebooks' named values (``tables/NN_values.json``) are merged into
   ``values.json`` (:func:`~cma_research.reporting.values.collect_values`);
2. when the study has a manuscript (``manuscript/paper.md`` in the project root, see
   :func:`find_manuscript`) and every notebook succeeded, it is checked against the
   build (:func:`~cma_research.reporting.manuscript.resolve`: a value no notebook
   recorded is an error naming the closest names) and rendered into
   ``manuscript/``: ``paper.pdf`` (Typst), ``paper.docx`` (Word), ``paper.tex`` with
   ``values.tex`` and ``tables/*.tex`` (LaTeX), and ``paper.typ``. Like a notebook, the
   rendering is cached (``<cache>/manuscript/<key>/``), keyed by the manuscript source,
   ``values.json``, the figure and table files it places, the claims audit, the
   package's source and the stack's versions; an unchanged paper is restored, not
   rendered again;
3. ``changes.html`` and ``changes.json`` compare the values and claim verdicts with the
   previous build of the same output folder (:mod:`~.changes`), and the build prints
   one line (``paper: 3 numbers changed, 1 claim verdict changed``).

A notebook that failed leaves no paper: the previous one is removed rather than left
with stale numbers.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from cma_research.core.errors import CMAError, ReportBuildError
from cma_research.core.files import sha256_file, write_all_atomic, write_atomic
from cma_research.pipeline.build import changes as changes_mod
from cma_research.pipeline.build.cache import (
    BuildCache,
    NotebookKey,
    package_source_hash,
    reasons,
)
from cma_research.pipeline.build.records import NotebookRun
from cma_research.pipeline.provenance import package_versions
from cma_research.reporting.manuscript import (
    FigureBlock,
    Paper,
    Source,
    TableBlock,
    claims_from_tables,
    parse_manuscript,
    resolve,
)
from cma_research.reporting.values import NamedValue, collect_values, read_values, values_json

__all__ = [
    "CHANGES_FILE",
    "MANUSCRIPT_FOLDER",
    "VALUES_FILE",
    "PaperRun",
    "find_manuscript",
    "paper_key",
    "prepare",
    "render_files",
    "render_paper",
]

#: The manuscript of a study, relative to its project root.
MANUSCRIPT_SOURCE = Path("manuscript") / "paper.md"
#: Where the rendered paper goes in the output folder.
MANUSCRIPT_FOLDER = "manuscript"
VALUES_FILE = "values.json"
CHANGES_FILE = "changes.html"
STATE_FILE = "changes.json"
#: The name of the paper's entries in the build cache (beside the notebooks').
CACHE_NAME = "manuscript"
_RENDERERS = ("typst", "python-docx")

Say = Callable[[str], None]


@dataclass
class PaperRun:
    """What the paper step did."""

    ok: bool
    seconds: float
    line: str  # "paper: 3 numbers changed, 1 claim verdict changed"
    decision: str = ""  # "cached", "re-render: <why>", "not rendered: <why>", "no manuscript"
    error: str = ""
    outputs: list[Path] = field(default_factory=list)


def find_manuscript(root: str | Path) -> Path | None:
    """The study's manuscript, ``<root>/manuscript/paper.md``, if it exists."""
    path = Path(root) / MANUSCRIPT_SOURCE
    return path if path.is_file() else None


#: What rendering the paper imports: its tables (pandas, scipy) and the three writers.
_RENDERING = (
    "cma_research.reporting.paper_tables",
    "cma_research.reporting.latex",
    "cma_research.reporting.typeset",
    "cma_research.reporting.word",
    "docx",
    "typst",
)


def prepare(root: str | Path) -> threading.Thread | None:
    """Import what rendering the study's paper needs, in a thread; None without a paper.

    The paper is rendered after the last notebook, alone; its imports (about a second:
    pandas and scipy for its tables, python-docx, Typst) would wait there. The build
    starts this while its kernels run. An import that fails is left for the paper step
    to report.
    """
    if find_manuscript(root) is None:
        return None

    def run() -> None:
        for name in _RENDERING:
            with contextlib.suppress(Exception):
                importlib.import_module(name)

    thread = threading.Thread(target=run, name="cma-paper-imports", daemon=True)
    thread.start()
    return thread


def _placed_files(source: Source, out: Path) -> dict[str, str]:
    """SHA-256 of every build file the manuscript places or reads (figures, tables,
    captions, the claims audit)."""
    files: list[Path] = []
    for b in source.blocks:
        if isinstance(b, FigureBlock):
            files += [out / "figures" / f"{b.id}.pdf", out / "figures" / f"{b.id}.png"]
        elif isinstance(b, TableBlock) and b.id != "claims":
            files += [out / "tables" / f"{b.id}.csv", out / "tables" / f"{b.id}.md"]
    files += sorted((out / "figures").glob("*captions.json"))
    files += sorted((out / "tables").glob("*_claims_verdicts.csv"))
    return {
        p.relative_to(out).as_posix(): sha256_file(p) if p.is_file() else "missing"
        for p in sorted(set(files))
    }


def paper_key(source_path: Path, source: Source, values: bytes, out: Path) -> NotebookKey:
    """The paper's cache key and its parts (named as the plan explains a re-render)."""

    def digest(value: object) -> str:
        return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()

    versions = dict(package_versions())
    for name in _RENDERERS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    parts = {
        "manuscript": sha256_file(source_path),
        "values": hashlib.sha256(values).hexdigest(),
        "figures and tables": digest(_placed_files(source, out)),
        "cma_research source": package_source_hash(),
        "stack versions": digest(versions),
    }
    return NotebookKey(digest(parts), parts)


def render_files(paper: Paper, out: Path) -> dict[str, bytes]:
    """Render the paper: relative path in the output folder -> bytes.

    ``manuscript/paper.pdf`` and ``paper.typ`` (Typst), ``paper.docx`` (Word),
    ``paper.tex``, ``values.tex`` and ``tables/<id>.tex`` (LaTeX).
    """
    from cma_research.reporting.latex import latex_files
    from cma_research.reporting.typeset import render_pdf
    from cma_research.reporting.word import render_docx

    typ, pdf = render_pdf(paper, out)
    files = {"paper.typ": typ.encode("utf-8"), "paper.pdf": pdf, "paper.docx": render_docx(paper)}
    files.update(latex_files(paper))
    return {f"{MANUSCRIPT_FOLDER}/{rel}": data for rel, data in sorted(files.items())}


def _remove_paper(out: Path, keep: Sequence[str] = ()) -> None:
    """Remove the rendered paper's files (those not in ``keep``, relative paths)."""
    folder = out / MANUSCRIPT_FOLDER
    if not folder.is_dir():
        return
    for p in sorted(folder.rglob("*"), reverse=True):
        rel = p.relative_to(out).as_posix()
        if p.is_file() and rel not in keep and not p.name.startswith("."):
            p.unlink()
        elif p.is_dir() and not any(p.iterdir()):
            p.rmdir()


def render_paper(
    out: Path,
    root: Path,
    runs: Sequence[NotebookRun],
    keys: Mapping[str, NotebookKey],
    cache: BuildCache,
    say: Say,
    *,
    notebook_names: Sequence[str] = (),
    manuscript: Path | None = None,
    returns: str | Path | None = None,
    force: bool = False,
) -> PaperRun:
    """The paper step (see the module docstring); never raises for a bad manuscript.

    Parameters
    ----------
    out, root : Path
        The output folder and the project root.
    runs : sequence of NotebookRun
        This build's notebooks (a failed one means no paper).
    keys : mapping
        This build's notebook cache keys (why a notebook ran again explains a change).
    cache : BuildCache
        The build cache (the paper has its own entries).
    say : callable
        Progress lines.
    notebook_names : sequence of str
        Every notebook of the study (``04_reliability``), to name a value's notebook.
    manuscript : Path, optional
        The manuscript (default: :func:`find_manuscript` of ``root``).
    returns : path, optional
        The build's returns file: a manuscript whose front matter names other ``data``
        is not rendered (a paper about one study never shows another's numbers).
    force : bool
        Render even when the cache holds this paper.
    """
    start = time.perf_counter()
    state = changes_mod.read_state(out / STATE_FILE)
    old_values = _previous_values(out)
    prefixes = {n[:2]: n for n in notebook_names}
    try:
        values = collect_values(out / "tables", prefixes)
    except CMAError as exc:
        return _failed(out, start, f"values: {exc}", say)
    claims = claims_from_tables(out / "tables")
    source_path = manuscript if manuscript is not None else find_manuscript(root)
    if not values and not claims and source_path is None:
        for name in (VALUES_FILE, CHANGES_FILE, STATE_FILE):  # nothing a paper could cite
            (out / name).unlink(missing_ok=True)
        return PaperRun(True, time.perf_counter() - start, "", "no values")
    data = values_json(values)
    write_atomic(out / VALUES_FILE, data)
    verdicts = {cid: c.verdict for cid, c in claims.items()}
    old_parts = state.get("notebooks") if isinstance(state.get("notebooks"), dict) else {}
    parts = {**(old_parts or {}), **{name: key.parts for name, key in keys.items()}}
    why = {
        name: reasons(key, (old_parts or {}).get(name)) if old_parts else []
        for name, key in keys.items()
    }
    paper: Paper | None = None
    run = PaperRun(True, 0.0, "", decision="no manuscript")
    failed = [r.name for r in runs if not r.ok]
    ran = {r.name for r in runs}
    never = [
        n
        for n in notebook_names
        if n not in ran and not (out / "notebooks" / f"{n}.ipynb").is_file()
    ]
    if source_path is not None and failed:
        _remove_paper(out)
        run = PaperRun(False, 0.0, "", f"not rendered: {', '.join(failed)} failed")
    elif source_path is not None and never:
        _remove_paper(out)  # a paper needs every notebook's outputs (a build with --only)
        run = PaperRun(
            True, 0.0, "", f"not rendered: no outputs of {', '.join(never)} in this folder yet"
        )
    elif source_path is not None:
        try:
            other = _other_data(source_path, root, returns)
            if other:
                _remove_paper(out)
                run = PaperRun(True, 0.0, "", f"not rendered: {other}")
            else:
                paper, run = _render(source_path, values, data, out, cache, force, say)
        except CMAError as exc:
            _remove_paper(out)
            run = PaperRun(False, 0.0, "", "not rendered", error=str(exc))
    verdict_notebook = next(
        (
            prefixes.get(p.name[:2], p.name[:2])
            for p in (out / "tables").glob("*_claims_verdicts.csv")
        ),
        "",
    )
    found = changes_mod.compare(
        old_values,
        values,
        state.get("verdicts") if "verdicts" in state else None,
        verdicts,
        reasons=why,
        sentences=paper.sentences if paper else None,
        verdict_notebook=verdict_notebook,
    )
    if old_values is None and "verdicts" not in state:
        found.first_build = True
    study = paper.title if paper else root.name
    write_all_atomic(
        {
            out / CHANGES_FILE: changes_mod.changes_html(
                found, study=study, has_paper=paper is not None
            ).encode("utf-8"),
            out / STATE_FILE: changes_mod.state_json(values, verdicts, parts, found),
        }
    )
    run.line = found.line()
    run.seconds = time.perf_counter() - start
    if run.ok and paper is not None:
        say(f"manuscript: {run.decision} -> ok ({run.seconds:.1f} s)")
    elif run.decision.startswith("not rendered") or not run.ok:
        say(f"manuscript: {run.decision}" + (f": {run.error}" if run.error else ""))
    return run


def _other_data(source_path: Path, root: Path, returns: str | Path | None) -> str:
    """Why the manuscript is about other returns than the build's ("" when it is not)."""
    data = parse_manuscript(source_path).front.get("data")
    if not data or returns is None:
        return ""
    wanted, given = (root / str(data)).resolve(), Path(returns).resolve()
    if wanted == given:
        return ""
    return f"{source_path.name} is about {data}, not this build's returns ({given.name})"


def _previous_values(out: Path) -> dict[str, NamedValue] | None:
    path = out / VALUES_FILE
    if not path.is_file():
        return None
    try:
        return read_values(path)
    except ReportBuildError:
        return None


def _failed(out: Path, start: float, error: str, say: Say) -> PaperRun:
    _remove_paper(out)
    say(f"manuscript: not rendered: {error}")
    return PaperRun(False, time.perf_counter() - start, "paper: not built", "not rendered", error)


def _render(
    source_path: Path,
    values: Mapping[str, NamedValue],
    values_data: bytes,
    out: Path,
    cache: BuildCache,
    force: bool,
    say: Say,
) -> tuple[Paper, PaperRun]:
    source = parse_manuscript(source_path)
    key = paper_key(source_path, source, values_data, out)
    found = None if force else cache.lookup(CACHE_NAME, key.key)
    restored = None if found is None else cache.restore(CACHE_NAME, key.key, found, out)
    if found is not None and restored is not None:
        # every citation is checked, also when cached; the tables need not be built
        paper = resolve(source, values, out, tables=False)
        _remove_paper(out, keep=list(found))
        return paper, PaperRun(True, 0.0, "", "cached", outputs=restored)
    paper = resolve(source, values, out)
    why = ["--force"] if force else reasons(key, cache.last_parts(CACHE_NAME))
    started = time.perf_counter()
    files = render_files(paper, out)
    targets: dict[str | Path, bytes] = {out / rel: data for rel, data in files.items()}
    for target in targets:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    write_all_atomic(targets)
    _remove_paper(out, keep=list(files))
    outputs = sorted(out / rel for rel in files)
    cache.store(CACHE_NAME, key, outputs, out, time.perf_counter() - started)
    decision = "re-render: " + ", ".join(why or ["no cached result"])
    return paper, PaperRun(True, 0.0, "", decision, outputs=outputs)
