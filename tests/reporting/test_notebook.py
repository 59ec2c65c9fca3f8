"""The notebook helpers: column labels, the project root, Outputs, setup() and md()."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from cma_research.reporting.notebook import Outputs, md, project_root, setup
from tests.paths import BUNDLED


def test_project_root_from_a_nested_folder(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    nested = tmp_path / "notebooks" / "drafts"
    nested.mkdir(parents=True)
    assert project_root(nested) == tmp_path.resolve()
    other = tmp_path / "elsewhere"
    (other / "notebooks").mkdir(parents=True)
    (other / "data").mkdir()
    assert project_root(other / "notebooks") == other.resolve()  # notebooks/ + data/


def test_project_root_without_markers_is_the_start(tmp_path: Path) -> None:
    assert project_root(tmp_path) == tmp_path.resolve()


def test_table_writes_csv_tex_md_and_a_readable_view(tmp_path: Path) -> None:
    out = Outputs(tmp_path / "reports", prefix="03_")
    df = pd.DataFrame(
        {
            "x": ["staff", "log_staff"],
            "n": [12, 16],
            "r": [0.5167, 0.5438],
            "ci95_low": [math.nan, 0.1],
            "ci95_high": [0.89, 0.8],
            "p_val": [0.0004, 0.0676],
        }
    )
    view = out.table(df, "correlations", caption="Size and level")
    for suffix in ("csv", "tex", "md"):
        assert (tmp_path / "reports" / "tables" / f"03_correlations.{suffix}").is_file()
    back = pd.read_csv(tmp_path / "reports" / "tables" / "03_correlations.csv")
    assert back.columns.tolist() == df.columns.tolist()  # the CSV keeps the identifiers
    assert back["p_val"].tolist() == [0.0004, 0.0676]  # full precision
    html = view._repr_html_()
    assert "<i>r</i> [95% CI]" in html  # estimate and interval in one column
    assert re.search(r">&lt; \.001</td>", html)  # p as in the text, escaped
    assert ">.068</td>" in html
    assert ".54 [.10, .80]" in html
    assert ">.52</td>" in html  # a missing bound: the estimate alone, no dash grid
    assert "\u2014" not in html
    assert "memory" not in repr(view) and "0x" not in repr(view)
    captions = json.loads((tmp_path / "reports" / "tables" / "03_captions.json").read_text())
    assert captions == {"03_correlations": "Size and level"}


def test_table_names_stages_with_the_instrument(tmp_path: Path) -> None:
    from cma_research.datasets import customer_wise_2007

    instrument = customer_wise_2007().instrument
    out = Outputs(tmp_path / "reports", prefix="04_", instrument=instrument)
    df = pd.DataFrame({"stage": ["stage_1", "stage_4"], "n": [12, 12], "mean": [2.5, 1.25]})
    html = out.table(df, "items")._repr_html_()
    assert "Customer Contact" in html and "Customer Feedback" in html
    assert "stage_1" not in html
    md_text = (tmp_path / "reports" / "tables" / "04_items.md").read_text()
    assert "*Note.* *n* = 12." in md_text  # the constant n is said once, in the note


def test_facts_write_key_facts_json(tmp_path: Path) -> None:
    out = Outputs(tmp_path, prefix="02_")
    out.facts(Businesses_audited=16, Cronbachs_alpha="α = .85")
    out.facts(Share_at_level_0="15%")
    path = tmp_path / "tables" / "02_key_facts.json"
    assert json.loads(path.read_text(encoding="utf-8")) == {
        "Businesses audited": "16",
        "Cronbachs alpha": "α = .85",
        "Share at level 0": "15%",
    }


def test_setup_from_a_temp_folder_with_absolute_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    study = setup("05", returns_path=BUNDLED, output_dir=tmp_path / "reports")
    assert study.root == tmp_path.resolve()
    assert study.cohort.n_businesses == 16 and study.wave == "1"
    # no absolute local path in what outputs show: outside the project, the file name
    assert study.cohort.source.path == "customer_wise_2007.csv"
    assert study.out.prefix == "05_"
    assert (tmp_path / "reports" / "figures").is_dir()
    assert (tmp_path / "reports" / "tables").is_dir()
    assert repr(study) == (
        "Study: 16 businesses, one wave, customer_wise_2007 (customer_wise_2007.csv)"
    )


# -- md(): Markdown that is never dropped ----------------------------------------------------


def test_md_displays_once_escapes_values_and_returns_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import IPython.display

    shown: list[Any] = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs: shown.extend(objs))
    result = md(
        "**{n}** businesses, {name}, {share:.0%}", n=16, name="Smith *&* <Sons>", share=0.25
    )
    assert result is None  # nothing for a cell's last line to show a second time
    assert len(shown) == 1 and isinstance(shown[0], IPython.display.Markdown)
    assert shown[0].data == r"**16** businesses, Smith \*&\* &lt;Sons&gt;, 25%"


def test_md_inside_blocks_reaches_the_output_in_a_real_ipython_shell(tmp_path: Path) -> None:
    # IPython shows an expression's value only on a cell's last line; md() inside an if,
    # a loop or a function must still show its text, and exactly once
    cell = textwrap.dedent(
        """
        from cma_research.reporting.notebook import md
        if True:
            md("in an if block")
        else:
            md("never shown")
        for i in range(2):
            md("loop {i}", i=i)
        def f():
            md("in a function")
        f()
        md("last line")
        """
    )
    script = textwrap.dedent(
        f"""
        import json
        from IPython.core.interactiveshell import InteractiveShell
        from IPython.utils.capture import capture_output
        shell = InteractiveShell.instance()
        with capture_output() as captured:
            result = shell.run_cell({cell!r})
        result.raise_error()
        print(json.dumps([o.data.get("text/markdown") for o in captured.outputs]))
        """
    )
    env = {"IPYTHONDIR": str(tmp_path), "MPLBACKEND": "Agg"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env
    )
    shown = json.loads(done.stdout.strip().splitlines()[-1])
    assert shown == ["in an if block", "loop 0", "loop 1", "in a function", "last line"]


def test_tables_show_the_wave_label_not_its_code(tmp_path: Path) -> None:
    # waves given as dates are coded 1, 2, 3 in the cohort's index; the CSV and the note
    # say 2021, never 3 (01_missing_by_business.csv held "wave = 2" for 2009)
    out = Outputs(tmp_path, prefix="01_", wave_labels=("2019", "2020", "2021"))
    table = pd.DataFrame({"business_id": ["B01", "B02"], "wave": [3, 3], "n_assessed": [10, 9]})
    view = out.table(table, "missing_by_business")
    assert (tmp_path / "tables" / "01_missing_by_business.csv").read_text().splitlines() == [
        "business_id,wave,n_assessed",
        "B01,2021,10",
        "B02,2021,9",
    ]
    assert view.table.note_text() == "Wave: 2021."
    # numbered waves (no labels), or a wave column that is not the codes: unchanged
    plain = Outputs(tmp_path / "plain", prefix="01_")
    assert plain.with_wave_labels(table)["wave"].tolist() == [3, 3]
    labelled = table.assign(wave=["2021", "2021"])
    assert out.with_wave_labels(labelled)["wave"].tolist() == ["2021", "2021"]
    assert out.with_wave_labels(table.assign(wave=[3, 7]))["wave"].tolist() == [3, 7]
