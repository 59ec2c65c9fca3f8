"""Saving figures and tables reproducibly, escaping, and APA strings."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest

import cma_research as cma
from cma_research import plotting as P
from cma_research.core.cohort import Cohort
from cma_research.reporting.files import save_figure, save_table, to_markdown
from cma_research.reporting.text import apa, format_p


def _figure(cohort: Cohort):  # type: ignore[no-untyped-def]
    with P.cma_style():
        ax = P.plot_radar(cma.stage_profile(cohort, "B05"), target_level=4)
    return ax.figure


def test_save_figure_is_byte_identical(cohort: Cohort, tmp_path: Path) -> None:
    a = save_figure(_figure(cohort), tmp_path / "a" / "radar")
    b = save_figure(_figure(cohort), tmp_path / "b" / "radar")
    assert sorted(a) == ["pdf", "png", "svg"]
    for kind in a:
        assert a[kind].read_bytes() == b[kind].read_bytes(), kind
    pdf = a["pdf"].read_bytes()
    assert b"/CreationDate" not in pdf and b"/Producer" not in pdf
    assert b"/FontFile2" in pdf  # TrueType fonts embedded (pdf.fonttype 42)
    svg = a["svg"].read_text()
    assert "<dc:date>" not in svg
    png = a["png"].read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and b"Software" not in png


def test_save_figure_png_is_300_dpi(cohort: Cohort, tmp_path: Path) -> None:
    from PIL import Image

    out = save_figure(_figure(cohort), tmp_path / "r", formats=["png"])
    with Image.open(out["png"]) as img:
        dpi = img.info["dpi"]
    assert dpi[0] == pytest.approx(300, abs=0.01)


TABLE = pd.DataFrame(
    {
        "business_type": ["R&D_50% {Ltd}", "Smith | Sons <b>"],
        "n": pd.array([12, 3], dtype="Int64"),
        "r": [0.51670, -0.2],
        "p_val": [0.0854, float("nan")],
    }
)


def test_save_table_outputs(tmp_path: Path) -> None:
    out = save_table(
        TABLE, tmp_path / "t", caption="Size & maturity", label="tab:size", formats={"r": "{:.2f}"}
    )
    csv = out["csv"].read_text()
    assert csv.splitlines()[1] == "R&D_50% {Ltd},12,0.5167,0.0854"  # full precision, unrounded
    tex = out["tex"].read_text()
    for rule in (r"\toprule", r"\midrule", r"\bottomrule"):
        assert tex.count(rule) == 1
    assert r"R\&D\_50\% \{Ltd\}" in tex
    assert r"\caption{Size \& maturity}" in tex and r"\label{tab:size}" in tex
    assert "0.52" in tex and "$-$0.20" in tex  # the given format; a true minus sign
    assert tex.count("{") == tex.count("}")
    md = out["md"].read_text()
    assert r"Smith \| Sons &lt;b&gt;" in md
    assert md.splitlines()[2] == "| Business type | *n* | *r* | *p* |"


def test_save_table_is_byte_identical(tmp_path: Path) -> None:
    a = save_table(TABLE, tmp_path / "a")
    b = save_table(TABLE.copy(), tmp_path / "b")
    for kind in a:
        assert a[kind].read_bytes() == b[kind].read_bytes()


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="no LaTeX engine installed")
def test_latex_table_compiles(tmp_path: Path) -> None:
    out = save_table(TABLE, tmp_path / "t", caption="Test", label="tab:t")
    doc = tmp_path / "doc.tex"
    doc.write_text(
        "\\documentclass{article}\\usepackage{booktabs}\\usepackage[utf8]{inputenc}"
        f"\\begin{{document}}\\input{{{out['tex'].name}}}\\end{{document}}\n"
    )
    proc = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", doc.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:]


def test_markdown_escapes_and_aligns() -> None:
    md = to_markdown(pd.DataFrame({"t": ["*x*"], "v": [1.5]}), caption="C_1")
    assert md.splitlines() == [
        "Table: C\\_1",
        "",
        "| *t* | V |",
        "| --- | ---: |",
        "| \\*x\\* | 1.50 |",
    ]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            {
                "method": "spearman",
                "n": 12,
                "r": 0.5167,
                "ci95_low": -0.1523,
                "ci95_high": 0.8866,
                "p_val": 0.0854,
                "p_perm": 0.08754,
            },
            "\u03c1(10) = .52, 95% CI [\u2212.15, .89], p = .088",
        ),
        (
            {
                "method": "kendall",
                "n": 16,
                "r": -0.05,
                "ci95_low": -0.5,
                "ci95_high": 0.41,
                "p_val": 0.8,
                "p_perm": float("nan"),
            },
            "\u03c4(14) = \u2212.05, 95% CI [\u2212.50, .41], p = .800",
        ),
        (
            {
                "method": "pearson",
                "n": 100,
                "r": 0.9,
                "ci95_low": 0.85,
                "ci95_high": 0.93,
                "p_val": 1e-30,
            },
            "r(98) = .90, 95% CI [.85, .93], p < .001",
        ),
        (
            {"alpha": 0.85315, "ci95_low": 0.6878, "ci95_high": 0.9503, "n": 12},
            "\u03b1 = .85, 95% CI [.69, .95], n = 12",
        ),
        (
            {
                "test": "kruskal_wallis",
                "statistic": 4.4669,
                "df": 2,
                "p_val": 0.1072,
                "effect_size": 0.2978,
            },
            "H(2) = 4.47, p = .107, \u03b5\u00b2 = .30",
        ),
        (
            {"test": "mann_whitney", "statistic": 11.0, "p_val": 0.151, "effect_size": -0.5},
            "U = 11.0, p = .151, r_rb = \u2212.50",
        ),
        (
            {
                "term": "log_staff",
                "estimate": 0.4417,
                "std_error": 0.199,
                "t": 2.2204,
                "df_resid": 10.0,
                "p_val": 0.05066,
                "ci95_low": -0.0015,
                "ci95_high": 0.8849,
            },
            "b = 0.44, 95% CI [\u22120.00, 0.88], t(10) = 2.22, p = .051",
        ),
    ],
)
def test_apa(row: dict, expected: str) -> None:
    assert apa(row) == expected


def test_apa_on_real_result_rows(cohort: Cohort) -> None:
    row = cma.correlate(cohort, n_boot=300, n_perm=2000, seed=3).iloc[0]
    text = apa(row)
    assert text.startswith("\u03c1(10) = .52, 95% CI [")
    assert apa(row, p="p_val").endswith("p = .085")
    with pytest.raises(cma.ParameterError, match="does not recognise"):
        apa({"foo": 1})


def test_format_p_edges() -> None:
    assert format_p(0.001) == "p = .001"
    assert format_p(0.00099) == "p < .001"
    assert format_p(0.0495) == "p = .050"  # rounds like the table, exact to 3 decimals


def test_apa_undefined_correlation() -> None:
    row = {
        "method": "spearman",
        "n": 5,
        "r": float("nan"),
        "ci95_low": float("nan"),
        "ci95_high": float("nan"),
        "p_val": float("nan"),
    }
    assert apa(row) == "\u03c1(3) undefined (a variable is constant)"
