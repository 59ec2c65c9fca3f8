"""The batch build: validate parameters, run the notebooks with papermill, write HTML.

``cma-research build`` (and :func:`build`) regenerates every report of the study:

1. reads each notebook's single cell tagged ``parameters`` (annotated literals, each
   with a ``# help`` comment) and validates the requested parameters against them
   **before any kernel starts**: an unknown key, a wrong type, a value out of range or
   a missing input file is a :class:`~cma_research.ParameterError`, one line each;
2. runs the notebooks with papermill, several at once, each in its own kernel;
3. converts each executed notebook to two self-contained HTML files (with code, and
   code-free for sharing) in-process, with the run's parameters shown as a table;
4. writes ``index.html`` and ``manifest.json`` (input and output SHA-256s, parameters,
   versions, git commit, timings).

A failing notebook does not stop the others; it gets no HTML (stale HTML is removed),
the build summary names the notebook, the cell and the error, and the build reports
failure. Every file is written to a temporary name and renamed.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import io
import json
import os
import re
import sys
import time
import tokenize
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cma_research.core.errors import ParameterError, ReportBuildError
from cma_research.core.files import guard_not_raw, sha256_file, write_all_atomic, write_atomic
from cma_research.pipeline.provenance import git_commit, package_versions
from cma_research.reporting.text import escape_html

__all__ = [
    "BuildResult",
    "NotebookRun",
    "ParamSpec",
    "build",
    "notebook_parameters",
    "validate_parameters",
]

_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
}


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a notebook's ``parameters`` cell."""

    name: str
    type_text: str  # e.g. "str", "int", "str | None"
    default: Any
    help: str

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` has this parameter's type (bool is not an int here)."""
        parts = [p.strip() for p in self.type_text.split("|")]
        if value is None:
            return "None" in parts
        for part in parts:
            if part == "None":
                continue
            allowed = _TYPES[part]
            if isinstance(value, bool) and bool not in allowed:
                continue
            if isinstance(value, allowed):
                return True
        return False


def _type_text(annotation: ast.expr) -> str:
    """``str``, ``int | None``, ``"Optional[str]"`` (quoted, as papermill can read it)."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        text = annotation.value.strip()
    else:
        text = ast.unparse(annotation)
    match = re.fullmatch(r"Optional\[\s*(\w+)\s*\]", text)
    return f"{match.group(1)} | None" if match else text


def notebook_parameters(path: str | Path) -> dict[str, ParamSpec]:
    """Parse a notebook's single ``parameters`` cell.

    The cell may hold only annotated assignments of literals, one per line, each with
    a ``# help: ...`` comment, e.g. ``seed: int = 2007  # help: random seed``. Types:
    ``str``, ``int``, ``float``, ``bool``, or ``"Optional[str]"`` etc. for ones that may
    be ``None`` (quoted, so the cell needs no import and papermill can read the type).

    Raises
    ------
    ReportBuildError
        When the notebook has no or several ``parameters`` cells, or the cell breaks
        these rules (naming the notebook and line).
    """
    import nbformat

    nb_path = Path(path)
    nb = nbformat.read(nb_path, as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ReportBuildError(
            f"{nb_path}: expected exactly one cell tagged 'parameters', found {len(cells)}"
        )
    source = cells[0].source
    comments: dict[int, str] = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            comments[tok.start[0]] = tok.string
    specs: dict[str, ParamSpec] = {}
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ReportBuildError(f"{nb_path}: parameters cell is not valid Python ({exc})") from None
    for node in tree.body:
        where = f"{nb_path}: parameters cell line {node.lineno}"
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            raise ReportBuildError(f"{where}: only 'name: type = literal  # help: ...' allowed")
        type_text = _type_text(node.annotation)
        parts = [p.strip() for p in type_text.split("|")]
        if not all(p in _TYPES or p == "None" for p in parts):
            raise ReportBuildError(f"{where}: type {type_text!r} not one of str, int, float, bool")
        try:
            default = ast.literal_eval(node.value) if node.value is not None else None
        except ValueError:
            raise ReportBuildError(
                f"{where}: the value must be a literal, not an expression"
            ) from None
        comment = comments.get(node.lineno, "")
        match = re.match(r"#\s*help:\s*(.+)", comment)
        if not match:
            raise ReportBuildError(f"{where}: missing '# help: ...' comment")
        spec = ParamSpec(node.target.id, type_text, default, match.group(1).strip())
        if not spec.accepts(default):
            raise ReportBuildError(f"{where}: default {default!r} is not of type {type_text}")
        specs[spec.name] = spec
    return specs


def _domain_problem(name: str, value: Any) -> str | None:
    """Range checks for the parameters every notebook shares."""
    from cma_research.core.errors import InstrumentError
    from cma_research.core.instrument import get_instrument
    from cma_research.missing.strategies import STRATEGIES

    if name == "missing_strategy" and value not in STRATEGIES:
        return f"parameter 'missing_strategy': {value!r} is not one of {', '.join(STRATEGIES)}"
    if name in ("n_boot", "n_perm", "seed", "m") and isinstance(value, int) and value < 0:
        return f"parameter {name!r}: {value} must be >= 0"
    if name == "target_level" and isinstance(value, int) and not 0 <= value <= 5:
        return f"parameter 'target_level': {value} must be a level from 0 to 5"
    if name == "instrument" and isinstance(value, str):
        try:
            get_instrument(value)
        except InstrumentError as exc:
            return f"parameter 'instrument': {exc}"
    return None


def validate_parameters(
    params: Mapping[str, Any],
    specs: Mapping[str, Mapping[str, ParamSpec]],
    *,
    base_dir: Path,
    notebooks_dir: Path,
) -> dict[str, Any]:
    """Check requested parameters against the notebooks' parameter cells.

    Returns the parameters with every ``*_path`` value made absolute (relative paths
    given by the user are taken from ``base_dir``; notebook defaults from
    ``notebooks_dir``). Raises :class:`ParameterError` listing every problem.
    """
    known: dict[str, ParamSpec] = {}
    for nb_specs in specs.values():
        for name, spec in nb_specs.items():
            known.setdefault(name, spec)
    problems: list[str] = []
    resolved: dict[str, Any] = {}
    for name, value in params.items():
        if name not in known:
            close = difflib.get_close_matches(name, list(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(f"unknown parameter {name!r}{hint} (known: {', '.join(sorted(known))})")
            continue
        spec = known[name]
        if not spec.accepts(value):
            problems.append(
                f"parameter {name!r} must be {spec.type_text}, got "
                f"{type(value).__name__} {value!r} ({spec.help})"
            )
            continue
        problem = _domain_problem(name, value)
        if problem:
            problems.append(problem)
            continue
        resolved[name] = value
    # defaults and overrides alike: input files must exist
    for name, spec in sorted(known.items()):
        if not name.endswith("_path"):
            continue
        given = name in params
        value = resolved.get(name, None if given else spec.default)
        if value is None:
            if given or name in resolved:
                resolved[name] = None
            continue
        path = Path(value)
        if not path.is_absolute():
            path = (base_dir if given else notebooks_dir) / path
        if not path.is_file():
            source = "given" if given else "the notebooks' default"
            problems.append(f"parameter {name!r}: file not found: {path} ({source}; {spec.help})")
            continue
        resolved[name] = str(path.resolve())
    if problems:
        raise ParameterError("\n".join(problems))
    return resolved


@dataclass
class NotebookRun:
    """The outcome of one notebook."""

    name: str
    ok: bool
    seconds: float
    error: str = ""
    outputs: list[Path] = field(default_factory=list)


@dataclass
class BuildResult:
    """What :func:`build` did: per-notebook runs and the manifest written."""

    runs: list[NotebookRun]
    output_dir: Path
    manifest: dict[str, Any]

    @property
    def ok(self) -> bool:
        """True when every notebook succeeded."""
        return all(r.ok for r in self.runs)

    def summary(self) -> str:
        """One line per notebook, then the overall verdict."""
        lines = [
            f"  {'ok    ' if r.ok else 'FAILED'} {r.name} ({r.seconds:.1f} s)"
            + (f": {r.error}" if r.error else "")
            for r in self.runs
        ]
        failed = [r.name for r in self.runs if not r.ok]
        verdict = (
            f"build failed: {', '.join(failed)}"
            if failed
            else f"build ok: {len(self.runs)} notebooks"
        )
        return "\n".join([*lines, verdict, f"reports: {self.output_dir / 'index.html'}"])


def _load_params_file(path: str | Path | None) -> dict[str, Any]:
    import yaml

    if path is None:
        return {}
    p = Path(path)
    if not p.is_file():
        raise ParameterError(f"--params {p}: file not found")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ParameterError(f"--params {p}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ParameterError(f"--params {p}: expected a mapping of parameter names to values")
    return data


def _discover(notebooks_dir: Path, only: Sequence[str] | None) -> list[Path]:
    found = sorted(notebooks_dir.glob("[0-9][0-9]_*.ipynb"))
    if not found:
        raise ParameterError(f"no notebooks (NN_name.ipynb) in {notebooks_dir}")
    if not only:
        return found
    by_name = {p.stem: p for p in found}
    unknown = [n for n in only if n.removesuffix(".ipynb") not in by_name]
    if unknown:
        raise ParameterError(
            f"--only {', '.join(unknown)}: no such notebook; expected some of {', '.join(by_name)}"
        )
    return [by_name[n.removesuffix(".ipynb")] for n in only]


def _shown(value: Any, root: Path | None) -> Any:
    """A path inside the project is shown relative to it (no machine paths in reports)."""
    if root is not None and isinstance(value, str) and value.startswith(str(root) + os.sep):
        return Path(value).relative_to(root).as_posix()
    return value


def _parameter_cell_markdown(
    params: Mapping[str, Any], specs: Mapping[str, ParamSpec], root: Path | None = None
) -> str:
    rows = "".join(
        f"<tr><td><code>{escape_html(k)}</code></td>"
        f"<td><code>{escape_html(repr(_shown(v, root)))}</code></td>"
        f"<td>{escape_html(specs[k].help) if k in specs else ''}</td></tr>"
        for k, v in params.items()
    )
    return (
        "**Parameters of this run** (injected by papermill)\n\n"
        "<table><thead><tr><th>parameter</th><th>value</th><th>meaning</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


_EXTERNAL = re.compile(
    r"<script[^>]*\bsrc=\"https?://[^\"]*\"[^>]*>\s*</script>|<link[^>]*\bhref=\"https?://[^\"]*\"[^>]*>",
    re.IGNORECASE,
)


def _html_variants(
    nb: Any, params: Mapping[str, Any], specs: Mapping[str, ParamSpec], root: Path | None = None
) -> dict[str, str]:
    """Two self-contained HTML renderings: with code and code-free."""
    import copy

    import nbformat
    from nbconvert import HTMLExporter

    nb = copy.deepcopy(nb)
    table = nbformat.v4.new_markdown_cell(_parameter_cell_markdown(params, specs, root))
    for i, cell in enumerate(nb.cells):
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            nb.cells.insert(i, table)
            break
    out = {}
    for variant, exclude in (("", False), (".nocode", True)):
        exporter = HTMLExporter(template_name="lab", embed_images=True)
        exporter.exclude_input = exclude
        exporter.exclude_input_prompt = exclude
        exporter.exclude_output_prompt = exclude
        body, _ = exporter.from_notebook_node(nb)
        # no CDN: strip external scripts and stylesheets (MathJax, require.js); the
        # tables, figures and text need none of them
        out[variant] = _EXTERNAL.sub("", body)
    return out


def _error_of(exc: BaseException, executed: Path) -> str:
    """Name the failing cell as the user sees it in the original notebook."""
    from papermill.exceptions import PapermillExecutionError

    if not isinstance(exc, PapermillExecutionError):
        return f"{type(exc).__name__}: {exc}"
    where = f"execution {exc.exec_count}"
    try:
        import nbformat

        nb = nbformat.read(executed, as_version=4)
        added = {"injected-parameters", "papermill-error-cell-tag"}  # cells papermill adds
        original = [c for c in nb.cells if not added & set(c.get("metadata", {}).get("tags", []))]
        for number, cell in enumerate(original, start=1):
            if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
                first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
                where = f"cell {number} ({first[:60]!r})"
                break
    except (OSError, ValueError):
        pass
    return f"{where} raised {exc.ename}: {exc.evalue}"


def _close_thread_loop() -> None:
    """Close the asyncio loop nbclient left for this worker thread (else it leaks)."""
    from jupyter_core.utils import ensure_event_loop

    loop = ensure_event_loop()
    if not loop.is_running():
        loop.close()


def _run_one(
    nb_path: Path,
    params: dict[str, Any],
    out_dir: Path,
    specs: Mapping[str, ParamSpec],
    kernel_name: str,
) -> NotebookRun:
    import nbformat
    import papermill as pm

    name = nb_path.stem
    start = time.perf_counter()
    executed_path = out_dir / "notebooks" / f"{name}.ipynb"
    html_paths = [out_dir / "html" / f"{name}.html", out_dir / "html" / f"{name}.nocode.html"]
    tmp = executed_path.with_name(f".{name}.running.ipynb")
    tmp.parent.mkdir(parents=True, exist_ok=True)
    try:
        pm.execute_notebook(
            str(nb_path),
            str(tmp),
            parameters=params,
            cwd=str(nb_path.parent),
            kernel_name=kernel_name,
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
        )
    except Exception as exc:  # any failure of one notebook is reported, not raised
        for stale in html_paths:
            stale.unlink(missing_ok=True)
        failed = executed_path.with_name(f"{name}.FAILED.ipynb")
        if tmp.exists():
            os.replace(tmp, failed)
        executed_path.unlink(missing_ok=True)
        error = _error_of(exc, failed)
        return NotebookRun(name, False, time.perf_counter() - start, error, [failed])
    finally:
        _close_thread_loop()
    executed_path.with_name(f"{name}.FAILED.ipynb").unlink(missing_ok=True)
    try:
        nb = nbformat.read(tmp, as_version=4)
        variants = _html_variants(nb, params, specs, nb_path.parent.parent)
        write_all_atomic(
            {html_paths[0]: variants[""].encode(), html_paths[1]: variants[".nocode"].encode()}
        )
    except Exception as exc:  # a conversion failure fails this notebook, not the build
        for stale in html_paths:
            stale.unlink(missing_ok=True)
        failed = executed_path.with_name(f"{name}.FAILED.ipynb")
        os.replace(tmp, failed)
        executed_path.unlink(missing_ok=True)
        error = f"HTML conversion failed: {type(exc).__name__}: {exc}"
        return NotebookRun(name, False, time.perf_counter() - start, error, [failed])
    os.replace(tmp, executed_path)
    return NotebookRun(name, True, time.perf_counter() - start, "", [executed_path, *html_paths])


def _link(out_dir: Path, path: Path, text: str) -> str:
    href = escape_html(path.relative_to(out_dir).as_posix())
    return f'<a href="{href}">{escape_html(text)}</a>'


def _index_html(
    runs: Sequence[NotebookRun],
    out_dir: Path,
    params: Mapping[str, Any],
    facts: Mapping[str, str],
) -> str:
    html_dir, nb_dir = out_dir / "html", out_dir / "notebooks"
    items = []
    for r in runs:
        name = escape_html(r.name)
        if r.ok:
            links = " · ".join(
                [
                    _link(out_dir, html_dir / f"{r.name}.nocode.html", "report"),
                    _link(out_dir, html_dir / f"{r.name}.html", "with code"),
                    _link(out_dir, nb_dir / f"{r.name}.ipynb", "notebook"),
                ]
            )
            items.append(f"<li><b>{name}</b>: {links}</li>")
        else:
            error = escape_html(r.error)
            items.append(f'<li><b>{name}</b>: <span class="failed">FAILED</span> — {error}</li>')
    fig_items = "".join(
        f"<li>{_link(out_dir, f, f.stem)} ({_link(out_dir, f.with_suffix('.pdf'), 'pdf')}, "
        f"{_link(out_dir, f.with_suffix('.svg'), 'svg')})</li>"
        for f in sorted((out_dir / "figures").glob("*.png"))
    )
    tab_items = "".join(
        f"<li>{_link(out_dir, t, t.stem)} ({_link(out_dir, t.with_suffix('.tex'), 'tex')}, "
        f"{_link(out_dir, t.with_suffix('.md'), 'md')})</li>"
        for t in sorted((out_dir / "tables").glob("*.csv"))
    )
    fact_rows = "".join(
        f"<tr><th>{escape_html(k)}</th><td>{escape_html(v)}</td></tr>" for k, v in facts.items()
    )
    param_rows = "".join(
        f"<tr><td><code>{escape_html(k)}</code></td>"
        f"<td><code>{escape_html(repr(v))}</code></td></tr>"
        for k, v in params.items()
    )
    style = (
        "body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}"
        "table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:.2em .6em;"
        "text-align:left}.failed{color:#b00;font-weight:bold}"
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>cma_research reports</title>
<style>{style}</style></head>
<body><h1>Customer Management Audit: reports</h1>
<h2>This run</h2><table>{fact_rows}</table>
<h2>Reports</h2><ul>{"".join(items)}</ul>
<h2>Figures</h2><ul>{fig_items}</ul>
<h2>Tables</h2><ul>{tab_items}</ul>
<h2>Parameters</h2><table>{param_rows}</table>
<p>Provenance (input and output SHA-256, versions, git commit):
<a href="manifest.json">manifest.json</a></p>
</body></html>
"""


def build(
    *,
    params_file: str | Path | None = None,
    params: Mapping[str, Any] | None = None,
    only: Sequence[str] | None = None,
    jobs: int | None = None,
    output_dir: str | Path | None = None,
    notebooks_dir: str | Path = "notebooks",
    kernel_name: str = "python3",
    progress: Callable[[str], None] | None = None,
) -> BuildResult:
    """Validate parameters, run the notebooks, and write HTML, index and manifest.

    Parameters
    ----------
    params_file : path, optional
        YAML mapping of parameter names to values (validated before any kernel starts).
    params : mapping, optional
        More parameters (override the file).
    only : sequence of str, optional
        Notebook names (``02_distributions``) to run; default all.
    jobs : int, optional
        Notebooks run at once (default: number of CPU cores).
    output_dir : path, optional
        Where reports go (default: the notebooks' ``output_dir`` default, ``reports/``).
    notebooks_dir : path
        Folder with the ``NN_name.ipynb`` notebooks.
    kernel_name : str
        Jupyter kernel to run them in.
    progress : callable, optional
        Called with one line per event (default: print to standard error).

    Returns
    -------
    BuildResult

    Raises
    ------
    ParameterError
        Invalid parameters (one line each), before anything runs.
    """
    say = progress or (lambda line: print(line, file=sys.stderr, flush=True))
    nb_dir = Path(notebooks_dir).resolve()
    paths = _discover(nb_dir, only)
    specs = {p.stem: notebook_parameters(p) for p in paths}
    requested = {**_load_params_file(params_file), **dict(params or {})}
    if output_dir is not None:
        requested["output_dir"] = str(output_dir)
    resolved = validate_parameters(requested, specs, base_dir=Path.cwd(), notebooks_dir=nb_dir)
    defaults = [s["output_dir"].default for s in specs.values() if "output_dir" in s]
    if "output_dir" in requested:
        out = Path.cwd() / Path(requested["output_dir"])
    else:
        out = nb_dir / Path(defaults[0] if defaults else "../reports")
    out = guard_not_raw(out)
    resolved["output_dir"] = str(out)
    if jobs is not None and jobs < 1:
        raise ParameterError(f"--jobs {jobs}: must be 1 or more")
    workers = jobs or os.cpu_count() or 1
    for sub in ("notebooks", "html", "figures", "tables"):
        (out / sub).mkdir(parents=True, exist_ok=True)

    def params_for(name: str) -> dict[str, Any]:
        chosen = {}
        for key, spec in specs[name].items():
            if key in resolved:
                chosen[key] = resolved[key]
            elif key.endswith("_path") and spec.default is not None:
                chosen[key] = str((nb_dir / spec.default).resolve())
            else:
                chosen[key] = spec.default
        return chosen

    say(f"building {len(paths)} notebooks with {workers} parallel kernels -> {out}")
    start = time.perf_counter()
    runs: dict[str, NotebookRun] = {}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {
            pool.submit(_run_one, p, params_for(p.stem), out, specs[p.stem], kernel_name): p.stem
            for p in paths
        }
        for done, fut in enumerate(as_completed(futures), start=1):
            run = fut.result()
            runs[run.name] = run
            status = "ok" if run.ok else f"FAILED: {run.error}"
            say(f"[{done}/{len(paths)}] {run.name}: {status} ({run.seconds:.1f} s)")
    ordered = [runs[p.stem] for p in paths]
    total = time.perf_counter() - start
    manifest = _manifest(ordered, out, resolved, paths, nb_dir, total, params_for)
    facts = {
        "notebooks": f"{sum(r.ok for r in ordered)} of {len(ordered)} succeeded",
        "returns": str(_shown(params_for(paths[0].stem).get("returns_path"), nb_dir.parent)),
        "git commit": str(manifest["git_commit"]),
        "cma_research": manifest["versions"]["cma_research"],
    }
    facts.update(_key_facts(out))
    root = nb_dir.parent
    shown = {k: _shown(v, root) for k, v in params_for(paths[0].stem).items()}
    write_atomic(out / "index.html", _index_html(ordered, out, shown, facts).encode())
    manifest["outputs"] = _hash_outputs(out)
    write_atomic(
        out / "manifest.json", (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    )
    return BuildResult(ordered, out, manifest)


def _key_facts(out: Path) -> dict[str, str]:
    """Headline facts a notebook left in tables/key_facts.json (if any)."""
    path = out / "tables" / "key_facts.json"
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in data.items()}


def _hash_outputs(out: Path) -> dict[str, str]:
    return {
        p.relative_to(out).as_posix(): sha256_file(p)
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name != "manifest.json" and not p.name.startswith(".")
    }


def _manifest(
    runs: Sequence[NotebookRun],
    out: Path,
    resolved: Mapping[str, Any],
    paths: Iterable[Path],
    nb_dir: Path,
    total: float,
    params_for: Callable[[str], dict[str, Any]],
) -> dict[str, Any]:
    inputs: dict[str, str] = {}
    for p in paths:
        for key, value in params_for(p.stem).items():
            if key.endswith("_path") and value:
                inputs[key] = value
    from cma_research.core.instrument import get_instrument

    instrument = resolved.get("instrument", params_for(next(iter(paths)).stem).get("instrument"))
    inst = get_instrument(str(instrument)) if instrument else None
    return {
        "parameters": {k: v for k, v in sorted(resolved.items())},
        "inputs": {k: {"path": v, "sha256": sha256_file(v)} for k, v in sorted(inputs.items())},
        "notebooks": {
            p.stem: {"sha256": hashlib.sha256(p.read_bytes()).hexdigest()} for p in paths
        },
        "instrument": {"name": inst.name, "sha256": inst.sha256} if inst else None,
        "runs": {
            r.name: {"ok": r.ok, "seconds": round(r.seconds, 3), "error": r.error} for r in runs
        },
        "total_seconds": round(total, 3),
        "versions": package_versions(),
        "git_commit": git_commit(nb_dir),
    }
