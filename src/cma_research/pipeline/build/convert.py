"""Self-contained HTML renderings of an executed notebook (with code and code-free).

The code-free report opens with the findings: the parameters of the run come last, as a
collapsed table, and papermill's injected cell is left out of it; a footer names the
package version that made it. No file is fetched from the network when the page is
opened (external scripts and stylesheets are stripped).
"""

from __future__ import annotations

import copy
import importlib
import json
import os
import re
import sys
import threading
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from cma_research.core.version import __version__
from cma_research.pipeline.build.parameters import ParamSpec
from cma_research.reporting.text import escape_html, parameter_value

__all__ = [
    "KEEP_HIGHLIGHTED",
    "clean_html",
    "footer",
    "html_variants",
    "import_notebook_stack",
    "parameter_table",
    "report_exporter",
    "shown",
    "warm_up",
]


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

#: Highlighted code as Pygments writes it: its wrapper, spans with a class, and text in
#: which Pygments has escaped every ``<``, ``>``, ``&`` and quote (the five entities).
_ESCAPED = r"(?:[^<>&]|&(?:amp|lt|gt|quot|#39);)"
_SPAN = rf'<span(?: class="[\w -]*")?>{_ESCAPED}*</span>'
_HIGHLIGHTED = re.compile(
    rf'<div class="[\w -]*"><pre>(?!\n)(?:{_SPAN}|{_ESCAPED})*</pre></div>\s*\Z'
)
#: Characters bleach's HTML parser replaces or drops (controls, carriage returns,
#: surrogates, noncharacters); a line break right after ``<pre>`` is dropped too.
_PARSER_REPLACES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")


def clean_html(html: str) -> str:
    """nbconvert's ``clean_html`` filter (bleach), without re-parsing highlighted code.

    The lab template sanitizes every highlighted code cell with bleach, about 0.02 s a
    cell, a third of a notebook's conversion. On Pygments' output bleach changes nothing
    (it keeps ``div``, ``pre`` and ``span`` with their class, and Pygments has escaped the
    text) unless the text holds a character bleach's parser replaces; so such code is
    returned as it is, and anything else goes to bleach. ``test_convert.py`` checks the
    two agree on the notebooks' cells and on arbitrary text.

    >>> clean_html('<div class="highlight"><pre><span class="n">x</span>\\n</pre></div>\\n')
    '<div class="highlight"><pre><span class="n">x</span>\\n</pre></div>\\n'
    >>> clean_html('<div class="highlight"><pre><script>x</script></pre></div>')
    '<div class="highlight"><pre>&lt;script&gt;x&lt;/script&gt;</pre></div>'
    """
    text = html.decode() if isinstance(html, bytes) else str(html)
    if _HIGHLIGHTED.match(text) and not _PARSER_REPLACES.search(text):
        return text
    from nbconvert.filters.strings import clean_html as bleach_clean

    return bleach_clean(text)


def _report_css() -> str:
    """The reports' stylesheet (``cma_research/reporting/templates/report.css``)."""
    from importlib.resources import files

    return files("cma_research.reporting").joinpath("templates/report.css").read_text("utf-8")


#: What nbconvert's HTMLExporter adds after rendering, by parsing the whole page with
#: BeautifulSoup: keyboard focus on each cell's input and output, and an alt text.
_FOCUSABLE = re.compile(
    r'<div class="(?:[^"]*\s)?(?:jp-Cell-inputWrapper|jp-OutputArea-output)(?:\s[^"]*)?"'
)
_IMG_WITHOUT_ALT = re.compile(r"<img(?![^>]*\salt=)(?=[\s>/])")
NO_ALT = "No description has been provided for this image"


@cache
def report_exporter() -> type[Any]:
    """nbconvert's ``HTMLExporter`` without its BeautifulSoup pass over the page.

    ``HTMLExporter.from_notebook_node`` renders the lab template, then parses the whole
    page (its inline stylesheets and base64 figures included) with BeautifulSoup to add
    ``tabindex="0"`` to every cell's input and output and an alt text to images without
    one, and serialises it again: 40% of a notebook's conversion. This exporter renders
    the template as nbconvert does and adds the same attributes to the same elements by
    pattern. The page differs in spacing and attribute order only: ``test_convert.py``
    parses both renderings of notebooks with code, Markdown, streams, tables, figures
    and errors and checks that their document trees agree.

    Its exporters share the compiled templates (a Jinja bytecode cache kept in memory,
    keyed by template and checked against its source): each new exporter would compile
    the lab templates again (about 0.3 s), once per thread and variant in every build.
    They also share highlighted code (:func:`_highlighted`): each cell is highlighted in
    both variants of its page, and again in every build of a session.
    """
    import jinja2
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class TemplateCode(jinja2.BytecodeCache):
        """Compiled templates of this process's exporters (same settings for all)."""

        def __init__(self) -> None:
            self.code: dict[str, bytes] = {}

        def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            found = self.code.get(bucket.key)
            if found is not None:
                bucket.bytecode_from_string(found)  # ignored if the source has changed

        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            self.code[bucket.key] = bucket.bytecode_to_string()

    shared = TemplateCode()

    class CachedHighlight(Highlight2HTML):
        """``Highlight2HTML`` remembering its pages of highlighted code (the same cells
        are highlighted in both variants of a page and in every build of a session)."""

        def __call__(self, source: str, language: str | None = None, metadata: Any = None) -> str:
            key = json.dumps(
                [source, language or self.pygments_lexer, metadata, self.extra_formatter_options],
                sort_keys=True,
                default=str,
            )
            return _highlighted(
                key, lambda: super(CachedHighlight, self).__call__(source, language, metadata)
            )

    class ReportExporter(HTMLExporter):
        def _create_environment(self) -> jinja2.Environment:
            environment: jinja2.Environment = super()._create_environment()
            environment.bytecode_cache = shared
            return environment

        def from_notebook_node(  # type: ignore[override]  # as HTMLExporter's
            self, nb: Any, resources: Any = None, **kw: Any
        ) -> tuple[str, dict[str, Any]]:
            # HTMLExporter.from_notebook_node up to its BeautifulSoup pass
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            highlight = self.filters.get(
                "highlight_code", CachedHighlight(pygments_lexer=lexer, parent=self)
            )
            resources = self._init_resources(resources)
            widgets = WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources
            )
            self.register_filter("highlight_code", highlight)
            self.register_filter("filter_data_type", widgets)
            html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            html = _FOCUSABLE.sub(lambda m: m.group(0) + ' tabindex="0"', html)
            html = _IMG_WITHOUT_ALT.sub(f'<img alt="{NO_ALT}"', html)
            return html, resources

    return ReportExporter


_HIGHLIGHT_CACHE: dict[str, str] = {}
_HIGHLIGHT_CACHE_LOCK = threading.Lock()
#: Highlighted cells kept per process (the oldest go first).
KEEP_HIGHLIGHTED = 4096


def _highlighted(key: str, highlight: Callable[[], str]) -> str:
    """The highlighted code stored under ``key``, made by ``highlight()`` once."""
    with _HIGHLIGHT_CACHE_LOCK:
        found = _HIGHLIGHT_CACHE.get(key)
    if found is None:
        found = highlight()
        with _HIGHLIGHT_CACHE_LOCK:
            _HIGHLIGHT_CACHE[key] = found
            while len(_HIGHLIGHT_CACHE) > KEEP_HIGHLIGHTED:
                del _HIGHLIGHT_CACHE[next(iter(_HIGHLIGHT_CACHE))]
    return found


def _exporter(exclude: bool) -> Any:
    """This thread's HTML exporter for one variant (its compiled templates are reused).

    A new ``HTMLExporter`` compiles the lab templates again (about 0.3 s); one per
    thread and variant renders the same bytes (tested) and can run in parallel.
    """
    found = getattr(_EXPORTERS, "by_variant", None)
    if found is None:
        found = _EXPORTERS.by_variant = {}
    if exclude not in found:
        exporter = report_exporter()(
            template_name="lab", embed_images=True, filters={"clean_html": clean_html}
        )
        exporter.exclude_input = exclude
        exporter.exclude_input_prompt = exclude
        exporter.exclude_output_prompt = exclude
        found[exclude] = exporter
    return found[exclude]


_IMPORTING = threading.Lock()

#: jsonschema's optional IRI checker: importing it compiles 39 lark grammars (about 1 s).
_IRI_CHECKER = "rfc3987_syntax"


def import_notebook_stack() -> None:
    """Import nbformat and papermill without the grammars nbformat never uses (about 1 s).

    jsonschema, which nbformat validates with, imports ``rfc3987_syntax`` when it is
    installed (Jupyter's server extras bring it) for its ``iri`` format checker, and that
    module compiles 39 lark grammars at import (python-jsonschema/jsonschema#1428).
    nbformat validates without format checkers, so the build imports jsonschema with
    that module hidden; afterwards it can be imported again as usual. Only jsonschema's
    ``FormatChecker`` of this process lacks the ``iri`` formats. A process that has
    imported jsonschema already is left as it is. Called before the build's threads
    start (a lock keeps concurrent callers, e.g. a Dask worker's tasks, in turn).
    """
    with _IMPORTING:
        if "jsonschema" not in sys.modules and _IRI_CHECKER not in sys.modules:
            sys.modules[_IRI_CHECKER] = None  # type: ignore[assignment]  # ImportError
            try:
                importlib.import_module("jsonschema")
            finally:
                if sys.modules.get(_IRI_CHECKER, ...) is None:
                    del sys.modules[_IRI_CHECKER]
        import nbformat  # noqa: F401
        import papermill  # noqa: F401


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
