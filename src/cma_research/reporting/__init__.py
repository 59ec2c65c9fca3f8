"""Turning results into files and text: figures and tables for papers, APA strings,
findings in words, per-business HTML pages and the helpers the notebooks use.

- :mod:`~cma_research.reporting.text`: APA strings, escaping (LaTeX, Markdown, HTML);
- :mod:`~cma_research.reporting.rules`: the wording rules, each qualitative word with
  its source;
- :mod:`~cma_research.reporting.findings`: the notebooks' paragraphs, built from rows
  by those rules;
- :mod:`~cma_research.reporting.files`: figures and tables as files;
- :mod:`~cma_research.reporting.notebook`: ``setup``, ``md`` and the outputs of a
  notebook (figures, tables, facts and the named values of
  :mod:`~cma_research.reporting.values` a paper cites);
- :mod:`~cma_research.reporting.manuscript`: a paper's MyST-flavoured source resolved
  against a build, printed by :mod:`~cma_research.reporting.typeset` (PDF, Typst),
  :mod:`~cma_research.reporting.word` (Word) and :mod:`~cma_research.reporting.latex`,
  its tables through :mod:`~cma_research.reporting.paper_tables`;
- :mod:`~cma_research.reporting.business_pages` (what a business's page shows, as
  data), :mod:`~cma_research.reporting.business` (drawing and writing the pages) and
  :mod:`~cma_research.reporting.pseudonym` (keyed pseudonyms of business ids).

The text helpers load at once; ``save_figure``, ``save_table`` and ``to_markdown`` load
:mod:`cma_research.reporting.files` (and with it matplotlib) on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from cma_research.core.text import MINUS
from cma_research.reporting.text import (
    apa,
    escape_html,
    escape_latex,
    escape_markdown,
    format_p,
)

__all__ = [
    "FIGURE_METADATA",
    "MINUS",
    "apa",
    "escape_html",
    "escape_latex",
    "escape_markdown",
    "format_p",
    "save_figure",
    "save_table",
    "to_markdown",
]

_LAZY = {
    "FIGURE_METADATA": "cma_research.reporting.files",
    "save_figure": "cma_research.reporting.files",
    "save_table": "cma_research.reporting.files",
    "to_markdown": "cma_research.reporting.files",
}


#: Submodules reachable as attributes (``cma.reporting.findings``), loaded on first use.
_SUBMODULES = (
    "business",
    "business_pages",
    "claims",
    "files",
    "findings",
    "latex",
    "manuscript",
    "notebook",
    "paper_tables",
    "pseudonym",
    "rules",
    "tables",
    "text",
    "typeset",
    "values",
    "word",
)


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"cma_research.reporting.{name}")
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'cma_research.reporting' has no attribute {name!r}")
