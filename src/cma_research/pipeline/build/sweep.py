"""Parameter sweeps: the whole build for every combination of a grid of parameters.

A sweep file is YAML::

    base:                          # optional: parameters every set shares
      n_boot: 2000
    grid:                          # every combination of these values is one set
      missing_strategy: [complete_case, available_case, multiple]
      seed: [1, 2]

Each set is built into its own folder (``<output>/missing_strategy=complete_case,seed=1-<hash>/``,
made safe as a file name; the hash is of every parameter the set was built with, base
included, so a folder only ever holds the results of exactly those values) with the same
cache as any build, so a set or a notebook that did not change is restored, not re-run.
Every combination is validated before anything runs. ``<output>/index.html`` compares
the sets' key facts side by side and links each set's own landing page;
``<output>/sweep.json`` records the sets, their folders and whether each succeeded.

One sweep at a time writes to an output folder (the build's lock), and while it runs
the folder is marked in progress and holds no index: the previous sweep's index and
``sweep.json`` are removed before the first set is built, so a sweep that is killed
never leaves an index linking results of another sweep. A sweep that completes removes
the set folders of the previous one that it did not rebuild.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from cma_research.core.errors import ParameterError
from cma_research.core.files import (
    ensure_inside,
    folder_lock,
    mark_in_progress,
    read_json,
    safe_filename,
    safe_load_yaml,
    write_atomic,
)
from cma_research.pipeline.build.records import BuildResult
from cma_research.reporting.text import escape_html

__all__ = ["MAX_SETS", "SWEEP_IN_PROGRESS", "load_sweep", "run_sweep", "set_name"]

#: The largest grid one sweep may expand to.
MAX_SETS = 200
#: The marker of a sweep folder being written (a killed sweep leaves it).
SWEEP_IN_PROGRESS = ".sweep-in-progress"


def load_sweep(path: str | Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(base parameters, one dict per combination) from a sweep file, in grid order.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = Path(d) / "s.yaml"
    ...     _ = p.write_text("base: {n_boot: 10}\\ngrid: {seed: [1, 2], missing_strategy: [a]}\\n")
    ...     load_sweep(p)
    ({'n_boot': 10}, [{'seed': 1, 'missing_strategy': 'a'}, {'seed': 2, 'missing_strategy': 'a'}])
    """
    p = Path(path)
    data = safe_load_yaml(p)
    if not isinstance(data, dict) or not isinstance(data.get("grid"), dict) or not data["grid"]:
        raise ParameterError(
            f"--sweep {p.name}: expected a mapping with 'grid' (parameter: [values, ...]) "
            "and optionally 'base'"
        )
    unknown = sorted(set(data) - {"base", "grid"})
    if unknown:
        raise ParameterError(f"--sweep {p.name}: unknown key(s) {', '.join(map(str, unknown))}")
    base = data.get("base") or {}
    if not isinstance(base, dict):
        raise ParameterError(f"--sweep {p.name}: 'base' must be a mapping of parameters")
    grid = data["grid"]
    for name, values in grid.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ParameterError(f"--sweep {p.name}: {name!r} is not a parameter name")
        if not isinstance(values, list) or not values:
            raise ParameterError(
                f"--sweep {p.name}: grid parameter {name!r} needs a non-empty list of values"
            )
    n_sets = 1
    for values in grid.values():
        n_sets *= len(values)
    if n_sets > MAX_SETS:
        raise ParameterError(
            f"--sweep {p.name}: the grid has {n_sets:,} sets, more than {MAX_SETS}; "
            "split it into several sweeps"
        )
    names = list(grid)
    # in grid order, the last parameter varying fastest
    combos = [
        dict(zip(names, values, strict=True))
        for values in itertools.product(*(grid[n] for n in names))
    ]
    return base, combos


def set_name(combo: Mapping[str, Any], params: Mapping[str, Any] | None = None) -> str:
    """The folder of one set: ``missing_strategy=complete_case,seed=1`` made file-safe,
    and with ``params`` (every value the set is built with) a short hash of them.

    >>> set_name({"seed": 1})
    'seed_1-bb8c554401'
    >>> set_name({"seed": 1}, {"seed": 1, "n_boot": 10})
    'seed_1-bb8c554401-47968089'
    """
    name = safe_filename(",".join(f"{k}={v}" for k, v in combo.items()))
    if params is None:
        return name
    text = json.dumps(dict(params), sort_keys=True, default=str)
    return f"{name}-{hashlib.sha256(text.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"


def _previous_folders(output_dir: Path) -> list[str]:
    """The set folders the previous complete sweep recorded in ``sweep.json``."""
    try:
        records = read_json(output_dir / "sweep.json", expect=list)
    except (OSError, ValueError):
        return []
    return [
        str(r["folder"])
        for r in records
        if isinstance(r, dict) and isinstance(r.get("folder"), str) and r["folder"]
    ]


def run_sweep(
    sweep_file: str | Path,
    build_one: Callable[..., BuildResult],
    *,
    output_dir: Path,
    params: Mapping[str, Any],
    say: Callable[[str], None],
) -> list[tuple[dict[str, Any], BuildResult]]:
    """Validate every set (dry run), build each into its folder, write the comparison."""
    base, combos = load_sweep(sweep_file)
    values = [{**params, **base, **c} for c in combos]
    folders = [
        ensure_inside(output_dir, output_dir / set_name(c, v))
        for c, v in zip(combos, values, strict=True)
    ]
    for value, folder in zip(values, folders, strict=True):  # every set checked first
        build_one(params=value, output_dir=folder, dry_run=True)
    results = []
    with folder_lock(output_dir, "sweep"):
        previous = _previous_folders(output_dir)
        for stale in ("index.html", "sweep.json"):  # nothing links results while it runs
            (output_dir / stale).unlink(missing_ok=True)
        mark_in_progress(output_dir, SWEEP_IN_PROGRESS)
        for i, (combo, value, folder) in enumerate(
            zip(combos, values, folders, strict=True), start=1
        ):
            say(f"sweep set {i}/{len(combos)}: {', '.join(f'{k}={v}' for k, v in combo.items())}")
            results.append((combo, build_one(params=value, output_dir=folder)))
        _write_index(output_dir, results)
        mine = {f.name for f in folders}
        for name in previous:  # the previous sweep's sets that this one did not rebuild
            old = output_dir / name
            if name not in mine and "/" not in name and old.is_dir() and not old.is_symlink():
                with contextlib.suppress(OSError):
                    ensure_inside(output_dir, old)
                    shutil.rmtree(old)
        (output_dir / SWEEP_IN_PROGRESS).unlink(missing_ok=True)
    return results


def _facts(result: BuildResult) -> dict[str, str]:
    path = result.output_dir / "tables"
    facts: dict[str, str] = {}
    for run in result.runs:
        f = path / f"{run.name[:3]}key_facts.json"
        if run.ok and f.is_file():
            with contextlib.suppress(OSError, ValueError):  # a stray file of the wrong shape
                facts.update({str(k): str(v) for k, v in read_json(f, expect=dict).items()})
    return facts


def _write_index(output_dir: Path, results: list[tuple[dict[str, Any], BuildResult]]) -> None:
    facts = [_facts(r) for _, r in results]
    names = sorted({k for f in facts for k in f})
    grid = list(results[0][0]) if results else []
    head = "".join(f"<th>{escape_html(n)}</th>" for n in [*grid, "build", *names])
    rows = []
    records = []
    for (combo, result), fact in zip(results, facts, strict=True):
        link = f"{result.output_dir.name}/index.html"
        status = (
            "ok" if result.ok else "FAILED: " + ", ".join(r.name for r in result.runs if not r.ok)
        )
        cells = [escape_html(str(combo[k])) for k in grid]
        cells.append(f'<a href="{escape_html(link)}">{escape_html(status)}</a>')
        cells += [escape_html(fact.get(n, "—")) for n in names]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        records.append({"parameters": combo, "folder": result.output_dir.name, "ok": result.ok})
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>cma_research sweep</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border-bottom:1px solid #ddd;padding:.2em .6em;text-align:left}}</style></head>
<body><h1>Parameter sweep: key facts of every set</h1>
<p>{len(results)} sets; each links to its own reports. — = the fact was not produced.</p>
<table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>
</body></html>
"""
    write_atomic(output_dir / "sweep.json", (json.dumps(records, indent=2) + "\n").encode())
    write_atomic(output_dir / "index.html", page.encode())
