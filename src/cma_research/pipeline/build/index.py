"""The landing page ``index.html`` and the manifest of a build.

Both describe exactly the outputs of the inputs they name: the key facts come only from
notebooks that succeeded in this run; a notebook not run this time (``--only``) is
listed apart, with the input hashes of the run that made its outputs; a failed notebook
has no outputs left (see :func:`cma_research.pipeline.build.execute.run_one`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from cma_research.core.files import read_json, sha256_file
from cma_research.pipeline.build.convert import footer
from cma_research.pipeline.build.records import NotebookRun
from cma_research.reporting.text import escape_html, parameter_value

__all__ = ["describe_notebook", "hash_outputs", "index_html", "key_facts"]


def _link(out_dir: Path, path: Path, text: str) -> str:
    href = escape_html(path.relative_to(out_dir).as_posix())
    return f'<a href="{href}">{escape_html(text)}</a>'


def describe_notebook(nb_path: Path) -> tuple[str, str]:
    """(title, one-line description) from a notebook's first markdown cell."""
    from cma_research.pipeline.build.parameters import read_notebook

    for cell in read_notebook(nb_path)["cells"]:
        if cell.get("cell_type") != "markdown":
            continue
        lines = [ln.strip() for ln in str(cell.get("source", "")).splitlines() if ln.strip()]
        if not lines:
            continue
        title = lines[0].lstrip("#").strip()
        rest = next((ln for ln in lines[1:] if not ln.startswith("#")), "")
        first = re.split(r"(?<=[.?!]) ", rest, maxsplit=1)[0]
        if first and not first.endswith((".", "?", "!")):
            first += "."
        return title, first
    return nb_path.stem, ""


def _in_order(path: Path) -> tuple[Any, ...]:
    """Sort key of an output file: numbers in its name by value (``stage_9`` before
    ``stage_10``), the rest as text.

    >>> [p.name for p in sorted(map(Path, ["t_stage_10.png", "t_stage_9.png"]), key=_in_order)]
    ['t_stage_9.png', 't_stage_10.png']
    """
    parts = re.split(r"(\d+)", path.name)
    return tuple((0, int(part), part) if part.isdigit() else (1, 0, part) for part in parts)


def _mapping(path: Path, warn: Callable[[str], None] | None) -> dict[str, str]:
    """A JSON mapping file as text keys and values; one warning and nothing if unusable."""
    try:
        data = read_json(path, expect=dict)
    except (OSError, ValueError) as exc:
        if warn is not None:
            warn(f"{path.parent.name}/{path.name} is unusable ({exc}); ignored")
        return {}
    return {str(k): str(v) for k, v in data.items()}


def key_facts(
    out: Path, names: Sequence[str], warn: Callable[[str], None] | None = None
) -> dict[str, str]:
    """Headline facts left by the named notebooks (``tables/NN_key_facts.json``).

    A file of the wrong shape (not a JSON mapping) is ignored, with one line to ``warn``.
    """
    facts: dict[str, str] = {}
    for name in names:
        path = out / "tables" / f"{name[:3]}key_facts.json"
        if path.is_file():
            facts.update(_mapping(path, warn))
    return facts


def _captions(
    out: Path, folder: str = "figures", warn: Callable[[str], None] | None = None
) -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted((out / folder).glob("*captions.json")):
        found.update(_mapping(path, warn))
    return found


def _report_item(out_dir: Path, run: NotebookRun, description: str, note: str = "") -> str:
    name = escape_html(run.name)
    if not run.ok:
        error = escape_html(run.error)
        return f'<li><b>{name}</b>: <span class="failed">FAILED</span> — {error}</li>'
    links = " · ".join(
        [
            _link(out_dir, out_dir / "html" / f"{run.name}.nocode.html", "report"),
            _link(out_dir, out_dir / "html" / f"{run.name}.html", "with code"),
            _link(out_dir, out_dir / "notebooks" / f"{run.name}.ipynb", "notebook"),
        ]
    )
    text = f" — {escape_html(description)}" if description else ""
    return f"<li><b>{name}</b>{text}<br>{links}{note}</li>"


def index_html(
    runs: Sequence[NotebookRun],
    earlier: Mapping[str, Mapping[str, Any]],
    out_dir: Path,
    params: Mapping[str, Any],
    facts: Mapping[str, str],
    descriptions: Mapping[str, str],
    title: str | None = None,
    warn: Callable[[str], None] | None = None,
) -> str:
    """The landing page: key facts in words, reports, figure thumbnails, tables.

    ``title`` is the study's (its study file's ``title``); the footer names the
    package version that made the reports. A captions file of the wrong shape is
    ignored with one line to ``warn``.
    """
    items = [_report_item(out_dir, r, descriptions.get(r.name, "")) for r in runs]
    earlier_items = []
    for name, record in earlier.items():
        hashes = ", ".join(
            f"{k} {str(v.get('sha256', ''))[:12]}" for k, v in record.get("inputs", {}).items()
        )
        run = NotebookRun(name, True, 0.0)
        note = f'<br><span class="earlier">from an earlier run (inputs: {escape_html(hashes)})'
        earlier_items.append(
            _report_item(out_dir, run, descriptions.get(name, ""), note + "</span>")
        )
    captions = _captions(out_dir, warn=warn)
    figures = []
    for png in sorted((out_dir / "figures").glob("*.png"), key=_in_order):
        caption = captions.get(png.stem, png.stem.replace("_", " "))
        alt = escape_html(caption)
        figures.append(
            f'<figure><a href="{escape_html("figures/" + png.name)}"><img src="'
            f'{escape_html("figures/" + png.name)}" alt="{alt}" loading="lazy"></a>'
            f"<figcaption>{alt}<br>{_link(out_dir, png.with_suffix('.pdf'), 'PDF')} · "
            f"{_link(out_dir, png.with_suffix('.svg'), 'SVG')} · "
            f"{_link(out_dir, png, 'PNG')}</figcaption></figure>"
        )
    table_captions = _captions(out_dir, "tables", warn=warn)
    tables = "".join(
        f"<li>{escape_html(table_captions.get(t.stem, t.stem[3:].replace('_', ' ')))} "
        f'<span class="earlier">({escape_html(t.stem[:2])})</span> — '
        f"{_link(out_dir, t, 'CSV')} · {_link(out_dir, t.with_suffix('.tex'), 'LaTeX')} · "
        f"{_link(out_dir, t.with_suffix('.md'), 'Markdown')}</li>"
        for t in sorted((out_dir / "tables").glob("*.csv"), key=_in_order)
    )
    machinery = ("notebooks", "returns")
    fact_rows = "".join(
        f"<tr><th>{escape_html(k)}</th><td>{escape_html(v)}</td></tr>"
        for k, v in facts.items()
        if k not in machinery
    )
    run_line = "; ".join(
        f"{escape_html(k)}: {escape_html(facts[k])}" for k in machinery if k in facts
    )
    param_rows = "".join(
        f"<tr><td><code>{escape_html(k)}</code></td><td>{escape_html(parameter_value(v))}</td></tr>"
        for k, v in params.items()
    )
    paper_links = [
        _link(out_dir, out_dir / rel, text)
        for rel, text in (
            ("manuscript/paper.pdf", "PDF"),
            ("manuscript/paper.docx", "Word"),
            ("manuscript/paper.tex", "LaTeX"),
            ("changes.html", "what changed"),
            ("values.json", "values.json"),
        )
        if (out_dir / rel).is_file()
    ]
    paper_html = f"<h2>Paper</h2><p>{' · '.join(paper_links)}</p>" if paper_links else ""
    earlier_html = (
        f"<h2>Reports from an earlier run</h2><ul>{''.join(earlier_items)}</ul>"
        if earlier_items
        else ""
    )
    style = (
        "body{font-family:sans-serif;max-width:64em;margin:2em auto;line-height:1.4;"
        "padding:0 1em}table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;"
        "padding:.2em .6em;text-align:left;vertical-align:top}.failed{color:#b00;"
        "font-weight:bold}.earlier{color:#666}figure{display:inline-block;width:15em;"
        "margin:.5em;vertical-align:top}figure img{width:100%;border:1px solid #eee}"
        "figcaption{font-size:.85em}li{margin-bottom:.4em}"
        "h1{font-size:1.6em}h2{font-size:1.2em;border-bottom:2px solid #0072B2}"
    )
    heading = escape_html(title) if title else "Customer Management Audit"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{heading}: reports</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{style}</style></head>
<body><h1>{heading}: reports</h1>
<h2>Key findings</h2><table id="key-findings">{fact_rows}</table>
<h2>Reports</h2><ul>{"".join(items)}</ul>
{paper_html}
{earlier_html}
<h2>Figures</h2><div>{"".join(figures)}</div>
<h2>Tables</h2><p class="earlier">Each table's caption, then its data at full precision
(CSV) and the table as a paper shows it (LaTeX with booktabs, Markdown).</p><ul>{tables}</ul>
<h2>This run</h2><p>{run_line}</p>
<details><summary>Parameters of this run</summary><table>{param_rows}</table></details>
<p>Provenance (input and output SHA-256, versions, git commit, cache keys):
<a href="manifest.json">manifest.json</a>; the study's shape and headline as data:
<a href="study_summary.json">study_summary.json</a></p>
{footer()}</body></html>
"""


def hash_outputs(out: Path) -> dict[str, str]:
    """SHA-256 of every output file (hidden files and the manifest aside)."""
    return {
        p.relative_to(out).as_posix(): sha256_file(p)
        for p in sorted(out.rglob("*"))
        if p.is_file()
        and p.name != "manifest.json"
        and not any(part.startswith(".") for part in p.relative_to(out).parts)
    }
