"""Every ``md(...)`` of the notebooks reaches the code-free HTML of the bundled study.

The notebooks' code cells are parsed for ``md(...)`` calls. The bundled study is built
for real, once per session (``bundled_rebuild`` in ``tests/pipeline/conftest.py``: fresh
kernels, small ``n_boot``/``n_perm``), with a probe (``tests/pipeline/md_probe.py``): an
IPython startup file, in an ``IPYTHONDIR`` of the build's own, wraps ``md`` in every
notebook kernel and records each call that ran (notebook, cell source,
line, template, and the Markdown it should show: the template filled with the values,
escaped as ``md`` documents) before passing it on unchanged. For every call that ran,
that Markdown, rendered to text as nbconvert renders it, must appear in the notebook's
code-free HTML (white space aside). The text of a call is checked whole, not a fragment:
"**Caution:** {w}." has no literal text of its own worth looking for, and its warning
also stands in the table above it. A call in a branch that did not run for the bundled
data is skipped and says so; a call outside any block that did not run fails (so does a
probe that recorded nothing).

``md`` once returned a ``Markdown`` object: IPython shows an expression's value only on a
cell's last line, so the texts of the calls inside ``if``/``else`` blocks of
``03_size_and_growth`` never reached the HTML. This test fails on that.
"""

from __future__ import annotations

import ast
import html
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from nbconvert.filters.markdown import markdown2html

from cma_research.pipeline.build import BuildResult
from tests.paths import ROOT
from tests.pipeline.md_probe import MD_PROBE_FOLDER

# as tests/pipeline/test_build.py: nbclient's per-thread event loops are reclaimed late
pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:unclosed:ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

NOTEBOOKS = ROOT / "notebooks"


@dataclass(frozen=True)
class Call:
    """One ``md(...)`` call as written in a notebook."""

    notebook: str  # file stem, e.g. 03_size_and_growth
    cell_id: str
    source: str
    first_line: int  # lines of the call within its cell (1-based)
    last_line: int
    template: str | None  # the literal template; None when it is computed
    conditional: bool  # inside an if/for/while/try/def block: may not run

    @property
    def label(self) -> str:
        return f"{self.notebook}-{self.cell_id}-line{self.first_line}"


def md_calls(path: Path) -> list[Call]:
    """The ``md(...)`` calls of a notebook's code cells (the parameters cell has none)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    calls = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        tree = ast.parse("".join(cell["source"]))
        for statement in tree.body:
            conditional = not isinstance(statement, ast.Expr | ast.Assign | ast.AugAssign)
            for node in ast.walk(statement):
                if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "md"):
                    continue
                first = node.args[0] if node.args else None
                literal = isinstance(first, ast.Constant) and isinstance(first.value, str)
                calls.append(
                    Call(
                        notebook=path.stem,
                        cell_id=str(cell["id"]),
                        source="".join(cell["source"]),
                        first_line=node.lineno,
                        last_line=node.end_lineno or node.lineno,
                        template=first.value if literal else None,  # type: ignore[union-attr]
                        conditional=conditional,
                    )
                )
    return calls


CALLS = [call for path in sorted(NOTEBOOKS.glob("*.ipynb")) for call in md_calls(path)]


def squash(text: str) -> str:
    """Text without white space: tags and line breaks may split it anywhere."""
    return "".join(text.split())


def visible_text(page: str) -> str:
    """The visible text of HTML: no scripts, styles or tags; entities decoded."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


@dataclass(frozen=True)
class Built:
    result: BuildResult
    records: list[dict[str, Any]]


@pytest.fixture(scope="module")
def built(bundled_rebuild: BuildResult) -> Built:
    # the session's fresh-kernel build of the bundled study ran with the md() probe
    # (tests/pipeline/md_probe.py, installed by the bundled_rebuild fixture)
    probe = bundled_rebuild.output_dir.parent / MD_PROBE_FOLDER
    records = [
        json.loads(line)
        for log in sorted(probe.glob("*.jsonl"))
        for line in log.read_text(encoding="utf-8").splitlines()
    ]
    return Built(bundled_rebuild, records)


def ran(call: Call, built: Built) -> list[dict[str, Any]]:
    """The probe's records of ``call``: same notebook, cell and line."""
    prefix = f"{call.notebook[:2]}_"
    return [
        r
        for r in built.records
        if r["prefix"] == prefix
        and r["cell"].strip() == call.source.strip()
        and call.first_line <= r["line"] <= call.last_line
    ]


def test_the_build_succeeds_and_the_probe_recorded_calls(built: Built) -> None:
    assert built.result.ok, built.result.summary()
    assert built.records, "the md() probe recorded nothing: was the IPython startup file run?"
    assert {r["prefix"] for r in built.records} >= {"00_", "01_", "03_"}


@pytest.mark.parametrize("call", CALLS, ids=[c.label for c in CALLS])
def test_md_text_reaches_the_code_free_html(call: Call, built: Built) -> None:
    records = ran(call, built)
    if not records:
        if call.conditional:
            pytest.skip(f"{call.label}: branch did not run for the bundled data")
        pytest.fail(f"{call.label}: an md() call outside any block did not run")
    path = built.result.output_dir / "html" / f"{call.notebook}.nocode.html"
    page = squash(visible_text(path.read_text(encoding="utf-8")))
    for record in records:
        if call.template is not None:
            assert record["template"] == call.template
        text = visible_text(markdown2html(record["markdown"]))
        assert text, f"{call.label}: md() showed no text"
        assert squash(text) in page, f"{call.label}: {text!r} is not in {path.name}"


def test_every_md_call_is_found_by_the_parser() -> None:
    # the parser sees what a reader sees: one call per md( in the code cells
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        code = "".join("".join(c["source"]) + "\n" for c in nb["cells"] if c["cell_type"] == "code")
        written = len(re.findall(r"(?<![\w.])md\(", code))
        assert len([c for c in CALLS if c.notebook == path.stem]) == written, path.name
