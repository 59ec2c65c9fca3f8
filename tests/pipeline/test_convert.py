"""The HTML conversion's shortcuts give what nbconvert and its dependencies give.

- ``convert.clean_html`` returns highlighted code unparsed; bleach (nbconvert's own
  ``clean_html``) must return the same, on the bundled notebooks' cells and on arbitrary
  text (hypothesis), and anything that is not Pygments' output still goes to bleach.
- ``convert.import_notebook_stack`` imports nbformat without jsonschema's IRI grammars,
  and nbformat still validates.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
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


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
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
