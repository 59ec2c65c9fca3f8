"""Self-contained HTML renderings of an executed notebook (with code and code-free).

The code-free report opens with the findings: the parameters of the run come last, as a
collapsed table, and papermill's injected cell is left out of it; a footer names the
package version that made it. No file is fetched from the network when the page is
opened (external scripts and stylesheets are stripped).
"""

from __future__ import annotations

import copy
import os
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cma_research.core.version import __version__
from cma_research.pipeline.build.parameters import ParamSpec
from cma_research.reporting.text import escape_html, parameter_value

__all__ = ["footer", "html_variants", "parameter_table", "shown", "warm_up"]


def shown(value: Any, root: Path | None) -> Any:
    """A path as shared outputs show it: relative to the project, else its file name.

    >>> shown("/home/me/study/data/raw/x.csv", Path("/home/me/study"))
    'data/raw/x.csv'
    >>> shown("/tmp/elsewhere/y.csv", Path("/home/me/study"))
    'y.csv'
    """
    if not isinstance(value, str) or not os.path.isabs(value):
        return value
    if root is not None and value.startswith(str(root) + os.sep):
        return Path(value).relative_to(root).as_posix()
    return Path(value).name


def parameter_table(params: Mapping[str, Any], specs: Mapping[str, ParamSpec]) -> str:
    """The run's parameters as a collapsed HTML table (values as shown to readers)."""
    rows = "".join(
        f"<tr><td><code>{escape_html(k)}</code></td>"
        f"<td>{escape_html(_value(v, specs.get(k)))}</td>"
        f"<td>{escape_html(specs[k].help) if k in specs else ''}</td></tr>"
        for k, v in params.items()
    )
    return (
        "<details><summary><b>Parameters of this run</b></summary>\n\n"
        "<table><thead><tr><th>parameter</th><th>value</th><th>meaning</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></details>"
    )


def _value(value: Any, spec: ParamSpec | None) -> str:
    if spec is None:
        return parameter_value(value)
    return parameter_value(value, spec.default, has_default=True)


def footer() -> str:
    """The footer of every report page: the package version that made it.

    >>> footer().startswith('<footer class="cma-footer" ')
    True
    """
    return (
        '<footer class="cma-footer" style="margin:2em 0 1em;color:#666;font-size:.85em">'
        f"Made with cma_research {escape_html(__version__)}</footer>\n"
    )


_EXTERNAL = re.compile(
    r"<script[^>]*\bsrc=\"https?://[^\"]*\"[^>]*>\s*</script>|<link[^>]*\bhref=\"https?://[^\"]*\"[^>]*>",
    re.IGNORECASE,
)


_EXPORTERS = threading.local()


def _report_css() -> str:
    """The reports' stylesheet (``cma_research/reporting/templates/report.css``)."""
    from importlib.resources import files

    return files("cma_research.reporting").joinpath("templates/report.css").read_text("utf-8")


def _exporter(exclude: bool) -> Any:
    """This thread's HTML exporter for one variant (its compiled templates are reused).

    A new ``HTMLExporter`` compiles the lab templates again (about 0.3 s); one per
    thread and variant renders the same bytes (tested) and can run in parallel.
    """
    from nbconvert import HTMLExporter

    cache = getattr(_EXPORTERS, "by_variant", None)
    if cache is None:
        cache = _EXPORTERS.by_variant = {}
    if exclude not in cache:
        exporter = HTMLExporter(template_name="lab", embed_images=True)
        exporter.exclude_input = exclude
        exporter.exclude_input_prompt = exclude
        exporter.exclude_output_prompt = exclude
        cache[exclude] = exporter
    return cache[exclude]


def warm_up() -> None:
    """Make this thread's HTML exporters ready: templates loaded and compiled.

    Rendering a one-cell notebook compiles what every later rendering in this thread
    reuses (about 0.5 s); the build does it while its first kernels start. A failure
    here is left for the real conversion to report.
    """
    import contextlib

    import nbformat

    nb = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("1", id="warm-up")
    code.outputs = [
        nbformat.v4.new_output("execute_result", {"text/plain": "1"}, execution_count=1)
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("# warm-up", id="warm-up-md"), code]
    with contextlib.suppress(Exception):
        html_variants(nb, {}, {})


def html_variants(
    nb: Any, params: Mapping[str, Any], specs: Mapping[str, ParamSpec]
) -> dict[str, str]:
    """Two self-contained HTML renderings: with code (``""``) and code-free (``".nocode"``)."""
    import nbformat

    out = {}
    for variant, exclude in (("", False), (".nocode", True)):
        doc = copy.deepcopy(nb)
        if exclude:
            doc.cells = [
                c
                for c in doc.cells
                if "injected-parameters" not in c.get("metadata", {}).get("tags", [])
                and "parameters" not in c.get("metadata", {}).get("tags", [])
            ]
        table = nbformat.v4.new_markdown_cell(parameter_table(params, specs))
        table["id"] = "run-parameters"  # a fixed id: equal inputs give equal bytes
        doc.cells.append(table)
        body, _ = _exporter(exclude).from_notebook_node(doc)
        # no CDN: strip external scripts and stylesheets (MathJax, require.js); the
        # tables, figures and text need none of them
        body = _EXTERNAL.sub("", body)
        # the reports' layout (a readable text column) after JupyterLab's stylesheets
        body = body.replace("</head>", f"<style>{_report_css()}</style>\n</head>", 1)
        head, tag, tail = body.rpartition("</body>")
        out[variant] = head + footer() + tag + tail if tag else body + footer()
    return out
