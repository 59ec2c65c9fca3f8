"""The landing page ``index.html`` and the manifest of a build.

Both describe exactly the outputs of the inputs they name: the key facts come only from
notebooks that succeeded in this run; a notebook not run this time (``--only``) is
listed apart, with the input hashes of the run that made its outputs; a failed notebook
has no outputs left (see :func:`cma_research.pipeline.build.execute.run_one`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from cma_research.core.files import sha256_file
from cma_research.pipeline.build.records import NotebookRun
from cma_research.reporting.text import escape_html

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
        first = rest.split(". ")[0].rstrip(".")
        return title, (first + "." if first else "")
    return nb_path.stem, ""


def key_facts(out: Path, names: Sequence[str]) -> dict[str, str]:
    """Headline facts left by the named notebooks (``tables/NN_key_facts.json``)."""
    facts: dict[str, str] = {}
    for name in names:
        path = out / "tables" / f"{name[:3]}key_facts.json"
        if path.is_file():
            data = json.loads(path.read_text(encoding="utf-8"))
            facts.update({str(k): str(v) for k, v in data.items()})
    return facts


def _captions(out: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted((out / "figures").glob("*captions.json")):
        try:
            found.update(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
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
) -> str:
    """The landing page: key facts in words, reports, figure thumbnails, tables."""
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
    captions = _captions(out_dir)
    figures = []
    for png in sorted((out_dir / "figures").glob("*.png")):
        caption = captions.get(png.stem, png.stem.replace("_", " "))
        alt = escape_html(caption)
        figures.append(
            f'<figure><a href="{escape_html("figures/" + png.name)}"><img src="'
            f'{escape_html("figures/" + png.name)}" alt="{alt}" loading="lazy"></a>'
            f"<figcaption>{alt}<br>{_link(out_dir, png.with_suffix('.pdf'), 'PDF')} · "
            f"{_link(out_dir, png.with_suffix('.svg'), 'SVG')} · "
            f"{_link(out_dir, png, 'PNG')}</figcaption></figure>"
        )
    tables = "".join(
        f"<li>{_link(out_dir, t, t.stem)} ({_link(out_dir, t.with_suffix('.tex'), 'LaTeX')}, "
        f"{_link(out_dir, t.with_suffix('.md'), 'Markdown')})</li>"
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
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>cma_research reports</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{style}</style></head>
<body><h1>Customer Management Audit: reports</h1>
<h2>Key facts of this run</h2><table>{fact_rows}</table>
<h2>Reports</h2><ul>{"".join(items)}</ul>
{earlier_html}
<h2>Figures</h2><div>{"".join(figures)}</div>
<h2>Tables</h2><ul>{tables}</ul>
<details><summary>Parameters of this run</summary><table>{param_rows}</table></details>
<p>Provenance (input and output SHA-256, versions, git commit, cache keys):
<a href="manifest.json">manifest.json</a></p>
</body></html>
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
