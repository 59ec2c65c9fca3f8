"""Notebook parameters: read each ``parameters`` cell, validate requested values.

The cells are read as papermill's own reader (``PythonTranslator.inspect``, what
``inspect_notebook`` uses) reads them, so the build and plain ``papermill`` agree on
names, types, defaults and help (tested on every notebook and on odd cells); the
notebook file itself is read as JSON, without importing nbformat or papermill, whose
schema validator alone costs over a second, so a rebuild that runs nothing stays quick.
The cells are then held to the project's rules: one tagged cell, literals only, a type
from ``str``, ``int``, ``float``, ``bool`` (``"Optional[...]"`` for ones that may be
``None``) and a ``# help:`` comment.
Ranges, choices and dependencies come from :mod:`cma_research.core.params`, with bounds
from the instrument (levels, number of stages).

Paths: a relative path given by the user (parameters file, ``--params``) is taken from
the folder the command runs in; a notebook default is taken from the project root (the
folder holding ``notebooks/``), so ``data/raw/x.csv`` means the same file in JupyterLab,
in plain papermill run from the project root, and in the build.
"""

from __future__ import annotations

import ast
import contextlib
import difflib
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cma_research.core.errors import (
    CMAError,
    ParameterError,
    ReportBuildError,
    shorten,
    shorten_list,
)
from cma_research.core.files import safe_load_yaml, write_atomic
from cma_research.core.params import parameter_problems

if TYPE_CHECKING:
    from cma_research.core.instrument import Instrument

__all__ = [
    "KEEP_STAMPS",
    "ParamSpec",
    "check_returns_load",
    "discover",
    "load_params_file",
    "notebook_parameters",
    "packaged_notebooks",
    "parameter_cell_entries",
    "read_notebook",
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


def _type_text(inferred: str | None) -> str:
    text = (inferred or "").strip().strip("\"'")
    match = re.fullmatch(r"Optional\[\s*(\w+)\s*\]", text)
    return f"{match.group(1)} | None" if match else text


def read_notebook(path: str | Path) -> dict[str, Any]:
    """A notebook file as nbformat reads it: its JSON, each cell's ``source`` one string.

    The file is parsed as JSON and multi-line sources are joined, as
    ``nbformat.read(path, as_version=4)`` does for a version-4 notebook, without
    importing nbformat (its schema validator costs over a second to import). A notebook
    in an older format is converted by nbformat itself.

    Raises
    ------
    ReportBuildError
        When the file cannot be read or is not a notebook (naming the file).
    """
    nb_path = Path(path)
    try:
        data = json.loads(nb_path.read_bytes())
    except (OSError, ValueError, RecursionError) as exc:
        detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise ReportBuildError(f"{nb_path.name}: cannot be read as a notebook ({detail})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells", []), list):
        raise ReportBuildError(f"{nb_path.name}: not a Jupyter notebook (no list of cells)")
    if data.get("nbformat") != 4:
        import nbformat  # older formats: nbformat's own conversion

        data = json.loads(nbformat.writes(nbformat.read(nb_path, as_version=4)))
    for cell in data.get("cells", []):
        if not isinstance(cell, dict):
            raise ReportBuildError(
                f"{nb_path.name}: not a Jupyter notebook (a cell is not a mapping)"
            )
        if isinstance(cell.get("source"), list):
            cell["source"] = "".join(cell["source"])
    return data


#: papermill's pattern for one parameter line (``papermill.translators.PythonTranslator``).
_PARAMETER_PATTERN = re.compile(
    r"^(?P<target>\w[\w_]*)\s*(:\s*[\"']?(?P<annotation>\w[\w_\[\],\s]*)[\"']?\s*)?=\s*"
    r"(?P<value>.*?)(\s*#\s*(type:\s*(?P<type_comment>[^\s]*)\s*)?(?P<help>.*))?$"
)


def _flatten(accumulator: list[str]) -> str:
    """One multi-line definition as one line; comments kept only on its last line."""
    flat = ""
    for line in accumulator[:-1]:
        flat += line[: line.index("#")].strip() if "#" in line else line.strip()
    if accumulator:
        flat += accumulator[-1].strip()
    return flat


def parameter_cell_entries(source: str) -> list[dict[str, str]]:
    """The parameters of a cell's source, read as papermill's ``PythonTranslator.inspect``.

    Each entry has papermill's fields ``name``, ``inferred_type_name``, ``default`` (the
    value's text) and ``help`` (the comment's text). Lines are grouped between lines
    holding an ``=``; a line with two ``=`` is skipped; blank and comment lines are
    ignored, as papermill does (2.x).

    >>> parameter_cell_entries("seed: int = 2007  # help: random seed")
    [{'name': 'seed', 'inferred_type_name': 'int', 'default': '2007', 'help': 'help: random seed'}]
    """
    grouped: list[str] = []
    accumulator: list[str] = []
    for line in source.splitlines():
        if not line.strip() or line.strip().startswith("#"):
            continue
        n_equal = line.count("=")
        if n_equal > 0:
            grouped.append(_flatten(accumulator))
            accumulator = []
            if n_equal > 1:
                continue
        accumulator.append(line)
    grouped.append(_flatten(accumulator))
    entries = []
    for definition in grouped:
        match = _PARAMETER_PATTERN.match(definition) if definition else None
        if match is None or match["target"] is None:
            continue
        type_name = str(match["annotation"] or match["type_comment"] or None)
        entries.append(
            {
                "name": match["target"].strip(),
                "inferred_type_name": type_name.strip(),
                "default": str(match["value"]).strip(),
                "help": str(match["help"] or "").strip(),
            }
        )
    return entries


def notebook_parameters(path: str | Path) -> dict[str, ParamSpec]:
    """The parameters of a notebook's single ``parameters`` cell, as papermill reads them.

    The cell may hold only annotated assignments of literals, one per line, each with
    a ``# help: ...`` comment, e.g. ``seed: int = 2007  # help: random seed``.

    Raises
    ------
    ReportBuildError
        When the notebook has no or several ``parameters`` cells, or the cell breaks
        these rules (naming the notebook and parameter).
    """
    nb_path = Path(path)
    nb = read_notebook(nb_path)
    cells = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ReportBuildError(
            f"{nb_path.name}: expected exactly one cell tagged 'parameters', found {len(cells)}"
        )
    source = str(cells[0].get("source", ""))
    statements = [
        line for line in source.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    # read as papermill's own reader of a parameters cell reads it
    found = {e["name"]: e for e in parameter_cell_entries(source)}
    if len(found) != len(statements):
        raise ReportBuildError(
            f"{nb_path.name}: parameters cell: only 'name: type = literal  # help: ...' lines "
            f"allowed ({len(statements)} lines, {len(found)} parameters read)"
        )
    specs: dict[str, ParamSpec] = {}
    for name, info in found.items():
        where = f"{nb_path.name}: parameter {name!r}"
        type_text = _type_text(info.get("inferred_type_name"))
        parts = [p.strip() for p in type_text.split("|")]
        if not all(p in _TYPES or p == "None" for p in parts):
            raise ReportBuildError(
                f"{where}: type {type_text!r} not one of str, int, float, bool, Optional[...]"
            )
        try:
            default = ast.literal_eval(str(info.get("default")))
        except (ValueError, SyntaxError):
            raise ReportBuildError(
                f"{where}: the value must be a literal, not an expression"
            ) from None
        help_text = re.sub(r"^\s*help:\s*", "", str(info.get("help") or "")).strip()
        if not help_text:
            raise ReportBuildError(f"{where}: missing '# help: ...' comment")
        spec = ParamSpec(name, type_text, default, help_text)
        if not spec.accepts(default):
            raise ReportBuildError(f"{where}: default {default!r} is not of type {type_text}")
        specs[name] = spec
    return specs


def load_params_file(path: str | Path | None) -> dict[str, Any]:
    """A YAML mapping of parameter names to values (bounded size, no alias bombs)."""
    if path is None:
        return {}
    p = Path(path)
    data = safe_load_yaml(p)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ParameterError(f"--params {p.name}: expected a mapping of parameter names to values")
    bad = [k for k in data if not isinstance(k, str) or not k.isidentifier()]
    if bad:
        raise ParameterError(
            f"--params {p.name}: parameter names must be words like 'seed', got "
            + ", ".join(repr(k)[:40] for k in bad)
        )
    return data


def packaged_notebooks() -> Path:
    """The notebooks shipped inside the package (``cma_research.notebooks``).

    They are built from the project's ``notebooks/`` folder (one source: the wheel
    packs that folder as ``cma_research/notebooks``; an editable install maps it).
    """
    from importlib import resources

    return Path(str(resources.files("cma_research.notebooks")))


def discover(notebooks_dir: Path, only: Sequence[str] | None) -> list[Path]:
    """The ``NN_name.ipynb`` notebooks of a folder (or the ones named in ``only``)."""
    if not notebooks_dir.is_dir():
        raise ParameterError(f"no notebooks folder {notebooks_dir.name!r}")
    found = sorted(notebooks_dir.glob("[0-9][0-9]_*.ipynb"))
    if not found:
        raise ParameterError(f"no notebooks (NN_name.ipynb) in {notebooks_dir.name}")
    if not only:
        return found
    by_name = {p.stem: p for p in found}
    unknown = [n for n in only if n.removesuffix(".ipynb") not in by_name]
    if unknown:
        raise ParameterError(
            f"--only {', '.join(unknown)}: no such notebook; expected some of {', '.join(by_name)}"
        )
    return [by_name[n.removesuffix(".ipynb")] for n in only]


def validate_parameters(
    params: Mapping[str, Any],
    specs: Mapping[str, Mapping[str, ParamSpec]],
    *,
    base_dir: Path,
    notebooks_dir: Path | None = None,
    root: Path | None = None,
    notes: list[str] | None = None,
    check_returns: bool = True,
) -> dict[str, Any]:
    """Check requested parameters against the notebooks' parameter cells.

    Returns the requested parameters with every ``*_path`` value (given or default) made
    absolute. Raises :class:`ParameterError` listing every problem: unknown names, wrong
    types, values outside :data:`cma_research.core.params.PARAMETERS` (with the
    instrument's levels and stages), missing dependencies, missing input files, and a
    returns file that does not load with the given loader options (nor its covariates
    or key with theirs; with ``check_returns=False`` that last check is left to
    :func:`check_returns_load`). Notebook defaults are taken from ``root`` (default: the
    parent of ``notebooks_dir``); what the loader notes about the returns
    (``source.notes``) is appended to ``notes``.
    """
    if root is None:
        if notebooks_dir is None:
            raise ParameterError("validate_parameters needs root or notebooks_dir")
        root = notebooks_dir.parent
    known: dict[str, ParamSpec] = {}
    for nb_specs in specs.values():
        for name, spec in nb_specs.items():
            known.setdefault(name, spec)
    problems: list[str] = []
    resolved = _known_and_typed(params, known, problems)
    merged = {k: s.default for k, s in known.items()} | resolved
    instrument = _instrument(merged, resolved, base_dir, root, problems)
    checked = {k: merged[k] for k in merged if k in resolved or k == "missing_strategy"}
    if "min_stages" in merged:
        checked.setdefault("min_stages", merged["min_stages"])
    problems += [f"parameter {p}" for p in parameter_problems(checked, instrument)]
    _input_files(params, known, resolved, base_dir, root, problems)  # defaults too
    if problems:
        raise ParameterError("\n".join(problems))
    if check_returns:
        found = _check_returns_load(merged | resolved, instrument, root)
        if notes is not None:
            notes.extend(found)
    return resolved


#: Stamps kept in a :func:`check_returns_load` folder (the least recently used go first).
KEEP_STAMPS = 64


def check_returns_load(
    specs: Mapping[str, Mapping[str, ParamSpec]],
    resolved: Mapping[str, Any],
    notebooks_dir: Path,
    *,
    stamp: Path | None = None,
    remember: bool = True,
    root: Path | None = None,
    notes: list[str] | None = None,
) -> None:
    """The last check of :func:`validate_parameters`: the returns file loads, its waves exist.

    ``resolved`` is what :func:`validate_parameters` returned for ``specs``. ``stamp`` is
    a file that exists when this check passed before for the same inputs: its name must
    be a digest of everything the check reads (the build uses its notebooks' cache keys,
    which cover every parameter value, the input files' SHA-256, the ``cma_research``
    source and the stack's versions). A rebuild that runs nothing then needs neither
    pandas nor the file's rows. The stamp is written when the check passes, unless
    ``remember=False`` (a dry run); the :data:`KEEP_STAMPS` most recent are kept. What
    the loader notes about the returns is appended to ``notes``, also when the check is
    skipped (the stamp keeps the notes). ``root`` is the project or study folder
    (default: the parent of ``notebooks_dir``).

    Raises
    ------
    ParameterError
        The returns file does not load with the loader options, or a wave named in
        ``wave``, ``baseline_wave`` or ``follow_up_wave`` is not in it.
    """
    if stamp is not None and stamp.is_file():
        if remember:
            with contextlib.suppress(OSError):
                os.utime(stamp)  # recently used: kept longest
        if notes is not None:
            with contextlib.suppress(OSError, UnicodeDecodeError):
                notes.extend(stamp.read_text(encoding="utf-8").splitlines()[1:])
        return
    root = root if root is not None else notebooks_dir.parent
    known: dict[str, ParamSpec] = {}
    for nb_specs in specs.values():
        for name, spec in nb_specs.items():
            known.setdefault(name, spec)
    values = {k: s.default for k, s in known.items()} | dict(resolved)
    problems: list[str] = []
    instrument = _instrument(values, dict(resolved), root, root, problems)
    if problems:
        raise ParameterError("\n".join(problems))
    found = _check_returns_load(values, instrument, root)
    if notes is not None:
        notes.extend(found)
    if stamp is None or not remember:
        return
    with contextlib.suppress(OSError):  # a cache that cannot be written is no cache
        stamp.parent.mkdir(parents=True, exist_ok=True)
        lines = ["loaded", *(" ".join(n.split()) for n in found)]
        write_atomic(stamp, ("\n".join(lines) + "\n").encode("utf-8"))
        old = sorted(stamp.parent.iterdir(), key=lambda p: p.stat().st_mtime)
        for path in old[: max(len(old) - KEEP_STAMPS, 0)]:
            path.unlink(missing_ok=True)


def _known_and_typed(
    params: Mapping[str, Any], known: Mapping[str, ParamSpec], problems: list[str]
) -> dict[str, Any]:
    """The requested values whose name a notebook declares and whose type it accepts."""
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
                f"{type(value).__name__} {str(repr(value))[:80]} ({spec.help})"
            )
            continue
        resolved[name] = value
    return resolved


def _instrument(
    merged: Mapping[str, Any],
    resolved: dict[str, Any],
    base_dir: Path,
    root: Path,
    problems: list[str],
) -> Instrument | None:
    """The instrument the notebooks use (a relative file path made absolute), or None."""
    from cma_research.core.instrument import get_instrument

    if "instrument" not in merged:
        return None  # no notebook takes an instrument: nothing is checked against one
    inst_name = merged["instrument"] or "customer_wise_2007"
    if not isinstance(inst_name, str):
        return None
    try:
        inst_path = Path(inst_name)
        if inst_name.endswith((".yaml", ".yml")) and not inst_path.is_absolute():
            base = base_dir if "instrument" in resolved else root
            inst_name = str((base / inst_path).resolve())
            if "instrument" in resolved:
                resolved["instrument"] = inst_name
        return get_instrument(inst_name)
    except CMAError as exc:
        problems.append(f"parameter 'instrument': {exc}")
        return None


def _input_files(
    params: Mapping[str, Any],
    known: Mapping[str, ParamSpec],
    resolved: dict[str, Any],
    base_dir: Path,
    root: Path,
    problems: list[str],
) -> None:
    """Every ``*_path`` value, given or default, must name a file; made absolute."""
    for name, spec in sorted(known.items()):
        if not name.endswith("_path"):
            continue
        given = name in params
        value = resolved.get(name, None if given else spec.default)
        if value is None:
            if given:
                resolved[name] = None
            continue
        path = Path(value)
        if not path.is_absolute():
            path = (base_dir if given else root) / path
        if not path.is_file():
            source = "given" if given else "the notebooks' default"
            shown_path = value if not Path(value).is_absolute() else Path(value).name
            problems.append(
                f"parameter {name!r}: file not found: {shown_path} ({source}; {spec.help})"
            )
            continue
        resolved[name] = str(path.resolve())


def _check_returns_load(values: Mapping[str, Any], instrument: Any, root: Path) -> list[str]:
    """Load the returns (covariates, key) once with their options, before any kernel
    starts; the loader's notes about them."""
    from cma_research.io.returns import load_returns, loader_options
    from cma_research.io.study import cohort_from_parameters

    path = values.get("returns_path")
    if not path or instrument is None:
        return []
    full = Path(path) if Path(path).is_absolute() else root / path
    try:
        cohort = load_returns(full, instrument, **loader_options(values))
    except CMAError as exc:
        raise ParameterError(f"parameter 'returns_path': {exc}") from None
    if values.get("covariates_path"):
        try:
            cohort = cohort_from_parameters({**values, "instrument": instrument}, root)
        except CMAError as exc:
            raise ParameterError(f"parameter 'covariates_path': {exc}") from None
    if values.get("key_path"):
        from cma_research.reporting.pseudonym import read_key

        try:
            read_key(values["key_path"])
        except CMAError as exc:
            raise ParameterError(f"parameter 'key_path': {exc}") from None
    wave = values.get("wave")
    if wave is not None and str(wave) not in cohort.waves:
        raise ParameterError(
            f"parameter 'wave': {wave!r} is not a wave of {full.name}; "
            f"expected one of: {', '.join(cohort.waves)}"
        )
    for key in ("baseline_wave", "follow_up_wave"):
        label = values.get(key)
        if label is not None and str(label) not in cohort.waves:
            raise ParameterError(
                f"parameter {key!r}: {shorten(str(label))!r} is not a wave of {full.name}; "
                f"expected one of: {shorten_list(cohort.waves)}"
            )
    base, follow = values.get("baseline_wave"), values.get("follow_up_wave")
    if base is not None and base == follow:
        raise ParameterError(
            f"parameters 'baseline_wave' and 'follow_up_wave' are both {base!r}; "
            "choose two different waves"
        )
    return list(cohort.source.notes)
