"""The HTML conversion's shortcuts give what nbconvert and its dependencies give.

- ``convert.report_exporter`` skips HTMLExporter's BeautifulSoup pass: both renderings
  of a notebook with every kind of cell and output parse to the same document tree.
  Its exporters share compiled templates and highlighted code, and render the same page.

- ``convert.clean_html`` returns highlighted code unparsed; bleach (nbconvert's own
  ``clean_html``) must return the same, on the bundled notebooks' cells and on arbitrary
  text (hypothesis), and anything that is not Pygments' output still goes to bleach.
- ``convert.import_notebook_stack`` imports nbformat without jsonschema's IRI grammars,
  and nbformat still validates.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import subprocess
import sys
from typing import Any

import nbformat
import pytest
from bs4 import BeautifulSoup, Comment, Doctype, NavigableString
from hypothesis import given, settings
from hypothesis import strategies as st
from nbconvert import HTMLExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.strings import clean_html as bleach_clean

from cma_research.pipeline.build import convert
from tests.paths import ROOT

HIGHLIGHT = Highlight2HTML(pygments_lexer="ipython3")


def _code_cells() -> list[str]:
    cells = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells += ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    return cells


def test_the_notebooks_code_converts_as_bleach_would_and_skips_bleach(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cells = _code_cells()
    assert len(cells) > 50
    expected = [bleach_clean(HIGHLIGHT(c)) for c in cells]
    calls: list[str] = []
    import nbconvert.filters.strings as strings

    monkeypatch.setattr(strings, "clean_html", lambda html: calls.append(html) or html)
    assert [convert.clean_html(HIGHLIGHT(c)) for c in cells] == expected
    assert calls == []  # every cell took the shortcut


# Every character UTF-8 can encode: all but the surrogates (category Cs). The same set
# as characters(codec="utf-8"), for which hypothesis first tries all 1.1 million code
# points against the codec (about 1.2 s in each process, until .hypothesis/ caches it).
@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=60))
def test_highlighted_text_of_any_characters_equals_bleach(source: str) -> None:
    html = HIGHLIGHT(source)
    assert convert.clean_html(html) == bleach_clean(html)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from([*"<>/=\"' ab&;\n\r#", "<script>", "</span>", "<span ", 'class="n">']),
        max_size=30,
    ).map("".join)
)
def test_markup_that_is_not_pygments_output_goes_to_bleach(body: str) -> None:
    html = f'<div class="highlight"><pre>{body}</pre></div>\n'
    assert convert.clean_html(html) == bleach_clean(html)


@pytest.mark.parametrize(
    "html",
    [
        '<div class="highlight"><pre><span class="n">a</span><script>alert(1)</script></pre></div>',
        '<div class="highlight"><pre><span onclick="x()">a</span></pre></div>',
        '<div class="highlight"><pre><span class="n">a\x01</span></pre></div>',
        "<svg><script>alert(1)</script></svg>",
    ],
)
def test_anything_else_is_sanitized(html: str) -> None:
    assert convert.clean_html(html) == bleach_clean(html)
    assert "<script" not in convert.clean_html(html) and "onclick" not in convert.clean_html(html)


def test_the_notebook_stack_imports_without_the_iri_grammars() -> None:
    code = (
        "import sys\n"
        "from cma_research.pipeline.build import convert\n"
        "convert.import_notebook_stack()\n"
        "import nbformat\n"
        "nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('1')])\n"
        "nbformat.validate(nb)\n"
        "cell = {'cell_type': 'code', 'id': 'a', 'source': '1', 'metadata': {}}  # no outputs\n"
        "bad = nbformat.from_dict({'nbformat': 4, 'nbformat_minor': 5, 'metadata': {},"
        " 'cells': [cell]})\n"
        "try:\n"
        "    nbformat.validate(bad)\n"
        "except nbformat.ValidationError:\n"
        "    print('invalid refused')\n"
        "print(sorted(m for m in ('lark', 'rfc3987_syntax') if m in sys.modules))\n"
        "print('rfc3987_syntax' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.splitlines() == ["invalid refused", "[]", "False"]


# -- the exporter without BeautifulSoup --------------------------------------------------------

_VERBATIM = {"pre", "textarea", "script", "style"}


def _tree(node: Any, verbatim: bool = False) -> list[Any]:
    """A parsed page as nested tuples: spacing between elements (which a browser collapses)
    left out, attributes as a sorted mapping (classes as one string)."""
    out: list[Any] = []
    for child in node.children:
        if isinstance(child, Comment | Doctype):
            out.append((type(child).__name__, str(child).strip()))
        elif isinstance(child, NavigableString):
            text = str(child)
            if verbatim:
                out.append(text)
            elif text.strip():
                out.append(re.sub(r"\s+", " ", text))
        else:
            attrs = {k: " ".join(v) if isinstance(v, list) else v for k, v in child.attrs.items()}
            inner = _tree(child, verbatim or child.name in _VERBATIM)
            out.append((child.name, tuple(sorted(attrs.items())), tuple(inner)))
    return out


def _every_kind_of_cell() -> Any:
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 40).decode()
    nb = nbformat.v4.new_notebook()
    nb.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    md = nbformat.v4.new_markdown_cell(
        "# Title\n\nText with *emphasis*, `code`, $x^2$, a [link](#t) and a list:\n\n- a\n- b"
    )
    code = nbformat.v4.new_code_cell("x = '<b>' & 1\nprint(x)  # comment", execution_count=1)
    code.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="line 1\n  indented <tag>\n"),
        nbformat.v4.new_output(
            "display_data",
            {"text/html": '<table class="cma"><tr><td>1</td><td>&minus;2</td></tr></table>'},
        ),
        nbformat.v4.new_output("display_data", {"image/png": png, "text/plain": "<Figure>"}),
        nbformat.v4.new_output(
            "display_data",
            {
                "text/html": f'<figure><img src="data:image/png;base64,{png}" '
                'alt="A figure"><figcaption>A figure</figcaption></figure>'
            },
        ),
        nbformat.v4.new_output("execute_result", {"text/plain": "42"}, execution_count=1),
        nbformat.v4.new_output("display_data", {"text/markdown": "**Bold** finding."}),
    ]
    error = nbformat.v4.new_code_cell("1 / 0", execution_count=2)
    error.outputs = [
        nbformat.v4.new_output(
            "error",
            ename="ZeroDivisionError",
            evalue="division by zero",
            traceback=["\x1b[0;31mZeroDivisionError\x1b[0m: division by zero"],
        )
    ]
    raw = nbformat.v4.new_raw_cell("raw text")
    nb.cells = [md, code, error, raw, nbformat.v4.new_code_cell("", execution_count=None)]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    return nb


@pytest.mark.parametrize("exclude", [False, True], ids=["with code", "code-free"])
def test_the_report_exporter_gives_nbconvert_s_document(exclude: bool) -> None:
    nb = _every_kind_of_cell()
    pages = []
    for exporter in (HTMLExporter, convert.report_exporter()):
        made = exporter(template_name="lab", embed_images=True)
        made.exclude_input = made.exclude_input_prompt = made.exclude_output_prompt = exclude
        pages.append(made.from_notebook_node(copy.deepcopy(nb))[0])
    stock, ours = pages
    assert stock != ours  # spacing and attribute order differ, not the document
    assert _tree(BeautifulSoup(ours, "html.parser")) == _tree(BeautifulSoup(stock, "html.parser"))
    assert ours.count('tabindex="0"') == stock.count('tabindex="0"') > 0
    assert ours.count(convert.NO_ALT) == stock.count(convert.NO_ALT) == 1


def test_report_exporters_share_compiled_templates_and_render_the_same_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import jinja2
    from nbconvert.filters import highlight

    nb = _every_kind_of_cell()
    first = convert.report_exporter()(template_name="lab", embed_images=True)
    page = first.from_notebook_node(copy.deepcopy(nb))[0]
    compiled: list[str | None] = []
    real = jinja2.Environment.compile

    def counting(self: jinja2.Environment, source: Any, name: Any = None, *a: Any, **k: Any) -> Any:
        compiled.append(name)
        return real(self, source, name, *a, **k)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    monkeypatch.setattr(highlight, "_pygments_highlight", lambda *a, **k: compiled.append("code"))
    second = convert.report_exporter()(template_name="lab", embed_images=True)
    assert second.environment is not first.environment
    assert second.from_notebook_node(copy.deepcopy(nb))[0] == page
    # every template came from the first exporter's compilation, every cell's highlighted
    # code from its highlighting
    assert compiled == []
