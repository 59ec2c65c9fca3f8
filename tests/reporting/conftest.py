"""A small build folder for the manuscript tests: a figure, two tables, values, claims.

Made by the package's own writers (``save_figure``, ``save_table``, ``record_value``),
as a notebook would make them, so the manuscript is tested against real files without
running a notebook.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from cma_research.reporting.files import save_figure, save_table
from cma_research.reporting.values import record_value

#: A manuscript citing everything the small build has.
MINI_PAPER = """---
title: A small study
authors: [Ann Author, Ben Author]
abstract: We audited {n_businesses} businesses; alpha was {alpha}.
---

# Sample

We audited {n_businesses} businesses ({figure}`02_levels`). Most were small.{claim}`most_small`

## Shares

The share below level 1 was {share_below_1} ({table}`02_shares`), and the paper says
{quote}`only_two`

```{figure} 02_levels
:width: 60%
```

```{table} 02_shares
:columns: name, n, share
:format: share=percent
:labels: name=Stage
Shares per stage.
```

- a list item with {alpha}
- another

```{appendix}
```

# Claims

```{claims}
```
"""


def write_noted_table(build: Path, paper: Path) -> None:
    """Place a table whose note says what is constant (a strategy, a method) and letters
    the row whose p is computed otherwise, in the appendix of the small paper."""
    frame = pd.DataFrame(
        {
            "strategy": ["complete_case", "multiple"],
            "method": ["spearman", "spearman"],
            "n": [12, 16],
            "r": [0.5167, -0.3815],
            "ci95_low": [-0.1231, -0.7806],
            "ci95_high": [0.8531, 0.2386],
            "p_perm": [0.0881, 0.1976],
            "p_method": ["Monte Carlo permutation", "Rubin's rules"],
        }
    )
    save_table(frame, build / "tables" / "05_noted", caption="Noted")
    text = MINI_PAPER.replace("# Claims", "# Noted\n\n```{table} 05_noted\n```\n\n# Claims")
    paper.write_text(text, encoding="utf-8")


def _values(tables: Path) -> None:
    record_value(tables / "00_values.json", "n_businesses", 16, unit="count", notebook="00")
    record_value(tables / "00_values.json", "share_below_1", 0.153, unit="share", notebook="00")
    record_value(tables / "04_values.json", "alpha", 0.8531, unit="coefficient", notebook="04")
    record_value(tables / "04_values.json", "alpha_ci95_low", 0.69, unit="coefficient")


def write_claims(tables: Path, *, must_hold_fails: bool = False) -> None:
    verdicts = pd.DataFrame(
        {
            "claim_id": ["most_small", "only_two"],
            "source": ["Abstract, line 1", "Findings, line 9"],
            "quote": ["Most businesses are small.", "-Only two businesses operate here."],
            "n_readings": [1, 2],
            "n_supported": [1, 1],
            "verdict": ["supported", "partly supported"],
            "must_hold": [False, must_hold_fails],
        }
    )
    save_table(verdicts, tables / "08_claims_verdicts", caption="Claims")


@pytest.fixture(scope="session")
def _mini_build_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small build, written once per session (saving its figure takes 0.2 s)."""
    out = tmp_path_factory.mktemp("mini_build") / "reports"
    figures, tables = out / "figures", out / "tables"
    figures.mkdir(parents=True)
    tables.mkdir()
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.bar(["0", "1", "2"], [3, 5, 8])
    save_figure(fig, figures / "02_levels")
    plt.close(fig)
    (figures / "02_captions.json").write_text(json.dumps({"02_levels": "Levels per stage"}))
    shares = pd.DataFrame(
        {
            "stage": ["stage_1", "stage_2", "all"],
            "name": ["Contact [web] #1", "Skills_and *knowledge*", "All stages"],
            "n": [12, 12, 24],
            "share": [0.0833, 0.25, 0.1667],
            "p_val": [0.0004, 0.5, float("nan")],
        }
    )
    save_table(shares, tables / "02_shares", caption="Share below level 1 per stage")
    _values(tables)
    write_claims(tables)
    return out


@pytest.fixture
def mini_build(_mini_build_once: Path, tmp_path: Path) -> Path:
    """``<tmp>/reports`` with figures/, tables/ as notebooks leave them (a copy of the
    session's small build, so each test may change its own)."""
    out = tmp_path / "reports"
    shutil.copytree(_mini_build_once, out)
    return out


@pytest.fixture
def mini_paper(tmp_path: Path) -> Path:
    path = tmp_path / "manuscript" / "paper.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(MINI_PAPER, encoding="utf-8")
    return path
