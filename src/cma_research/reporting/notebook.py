"""Small helpers that keep the notebooks thin: save-and-show figures and tables.

In a notebook::

    out = Outputs(output_dir, prefix="03_")
    out.figure(ax.figure, "scatter_size")        # PDF, SVG, PNG; shows the PNG
    display(out.table(result, "correlations"))   # CSV, LaTeX, Markdown; shows escaped HTML
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cma_research.core.files import write_atomic
from cma_research.reporting.files import Formatter, save_figure, save_table
from cma_research.reporting.text import escape_markdown

__all__ = ["Outputs", "md"]


class Outputs:
    """Where a notebook writes its figures and tables (``<output_dir>/figures``, ``/tables``).

    Every file name starts with the notebook's prefix (e.g. ``02_``) so notebooks
    running in parallel never write the same file.
    """

    def __init__(self, output_dir: str | Path, prefix: str = "") -> None:
        self.root = Path(output_dir)
        self.prefix = prefix
        self.figures = self.root / "figures"
        self.tables = self.root / "tables"
        self.figures.mkdir(parents=True, exist_ok=True)
        self.tables.mkdir(parents=True, exist_ok=True)

    def figure(self, fig: Figure, name: str) -> None:
        """Save ``fig`` as PDF, SVG and 300-dpi PNG, show that PNG, and close the figure.

        The notebook shows exactly the file a paper would use, and the figure is not
        drawn a fourth time by the inline backend.
        """
        import matplotlib.pyplot as plt
        from IPython.display import Image, display

        paths = save_figure(fig, self.figures / f"{self.prefix}{name}")
        width = int(fig.get_figwidth() * 100)
        plt.close(fig)
        display(Image(filename=str(paths["png"]), width=width))

    def table(
        self,
        df: pd.DataFrame,
        name: str,
        *,
        caption: str | None = None,
        formats: Mapping[str, Formatter] | None = None,
    ) -> Any:
        """Save ``df`` as CSV, LaTeX and Markdown; return an escaped HTML view of it."""
        label = f"tab:{self.prefix}{name}"
        save_table(
            df, self.tables / f"{self.prefix}{name}", caption=caption, label=label, formats=formats
        )
        styler = df.style.hide(axis="index").format(precision=3, na_rep="", escape="html")
        if caption:
            styler = styler.set_caption(caption)
        return styler

    def facts(self, **facts: Any) -> None:
        """Record headline facts for the build's index page (``key_facts.json``)."""
        path = self.tables / "key_facts.json"
        current = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        current.update({k: str(v) for k, v in facts.items()})
        write_atomic(path, (json.dumps(current, indent=2, sort_keys=True) + "\n").encode())


def md(template: str, **values: Any) -> Any:
    """Markdown for a notebook, with every inserted value escaped.

    Numbers in the narrative come from computed results through ``values`` — never
    typed into the text — and text such as business names cannot break the markup.
    """
    from IPython.display import Markdown

    def safe(v: Any) -> Any:
        # numbers keep their type so the template can format them ({share:.0%})
        if isinstance(v, bool) or not isinstance(v, int | float | np.number):
            return escape_markdown(str(v))
        return v

    return Markdown(template.format(**{k: safe(v) for k, v in values.items()}))
