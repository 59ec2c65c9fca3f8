"""What held in the third round (issue 21), kept by tests where none pinned it yet.

Members: keys unchanged by mtimes alone; sweep grids of 10,000 and 10**20 sets, alias
bombs, FIFOs and devices refused in under a second, and a grid value that would lead
out of the sweep folder; ``!!python`` tags executing nothing (claims, parameters,
sweep, instrument files); 10,000 claims pass and 10,001 are refused; a band of exactly
k others shown, one of k - 1 hidden; the reserved ids ``index`` and ``DISCLOSURE``; no
PNG text chunks in pages; wave labels escaped in pages; Excel serial numbers as waves
ordered by value; and, once dates are dates (issue 20), Excel date cells as waves
ordered by date.
"""

from __future__ import annotations

import base64
import os
import re
import time
from pathlib import Path

import pandas as pd
import pytest

import cma_research as cma
from cma_research.analysis.peers import peer_groups
from cma_research.core.cohort import Cohort
from cma_research.core.instrument import get_instrument
from cma_research.datasets.synthetic import synthetic_cohort
from cma_research.pipeline.build.cache import notebook_key
from cma_research.pipeline.build.parameters import load_params_file
from cma_research.pipeline.build.sweep import load_sweep, run_sweep
from cma_research.reporting.business import render_business_page
from cma_research.reporting.business_pages import business_pages
from tests.notebooks import tiny_notebook
from tests.paths import BUNDLED

PYTHON_TAGS = [
    "!!python/object/apply:os.system ['touch {marker}']",
    "!!python/object/new:os.system ['touch {marker}']",
    "!!python/name:os.system",
]


def test_mtimes_alone_change_no_key(tmp_path: Path) -> None:
    nb = tmp_path / "01_x.ipynb"
    tiny_notebook(nb, "seed: int = 1  # help: a seed", "print(seed)")
    returns = tmp_path / "r.csv"
    returns.write_bytes(BUNDLED.read_bytes())
    params = {"returns_path": str(returns), "seed": 1}
    before = notebook_key(nb, params)
    os.utime(returns, (1, 1))
    os.utime(nb, (1, 1))
    assert notebook_key(nb, params) == before
    returns.write_bytes(BUNDLED.read_bytes().replace(b"Florists", b"Florist"))
    assert notebook_key(nb, params).key != before.key


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("grid: {a: [" + ", ".join(map(str, range(100))) + "], b: ["
         + ", ".join(map(str, range(100))) + "]}\n", "10,000 sets"),
        ("grid: {" + ", ".join(f"p{i}: [1,2,3,4,5,6,7,8,9,10]" for i in range(20)) + "}\n",
         "100,000,000,000,000,000,000 sets"),
        ("a: &a [1,1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
         "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
         "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\ngrid: {seed: *e}\n", "expands to more than"),
    ],
)  # fmt: skip
def test_huge_and_hostile_sweep_files_are_refused_at_once(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    start = time.perf_counter()
    with pytest.raises(cma.ParameterError, match=message):
        load_sweep(path)
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize("kind", ["fifo", "/dev/zero", "/dev/urandom"])
def test_sweep_files_that_are_not_files_are_refused_at_once(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "s.yaml"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to(kind)
    start = time.perf_counter()
    with pytest.raises(cma.ParameterError, match="not a regular file"):
        load_sweep(path)
    assert time.perf_counter() - start < 1.0


def test_a_grid_value_cannot_lead_out_of_the_sweep_folder(tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text("grid: {returns_path: ['../../../etc/x', '/tmp/y', '..']}\n")
    folders: list[Path] = []

    def build_one(**kwargs: object) -> object:
        folder = kwargs["output_dir"]
        assert isinstance(folder, Path)
        folders.append(folder)
        raise cma.ParameterError("stop: only the folders are checked")

    out = tmp_path / "sweep"
    out.mkdir()
    with pytest.raises(cma.ParameterError, match="stop"):
        run_sweep(spec, build_one, output_dir=out, params={}, say=lambda line: None)
    assert folders and all(f.parent == out.resolve() for f in folders)


@pytest.mark.parametrize("tag", PYTHON_TAGS)
def test_python_tags_execute_nothing(tmp_path: Path, tag: str) -> None:
    marker = tmp_path / "pwned"
    payload = tag.format(marker=marker)
    claims = tmp_path / "c.yaml"
    claims.write_text(
        f"claims:\n  - id: c\n    quote: {payload}\n    source: {{section: s, line: 1}}\n"
        "    cannot_test: x\n"
    )
    with pytest.raises(cma.DataValidationError, match="cannot be parsed as YAML"):
        cma.load_claims(claims)
    params = tmp_path / "p.yaml"
    params.write_text(f"seed: {payload}\n")
    with pytest.raises(cma.ParameterError, match="cannot be parsed as YAML"):
        load_params_file(params)
    sweep = tmp_path / "s.yaml"
    sweep.write_text(f"grid: {{seed: [{payload}]}}\n")
    with pytest.raises(cma.ParameterError, match="cannot be parsed as YAML"):
        load_sweep(sweep)
    instrument = tmp_path / "i.yaml"
    instrument.write_text(f"name: {payload}\n")
    with pytest.raises(cma.InstrumentError):
        get_instrument(str(instrument))
    assert not marker.exists()


def _claims_file(tmp_path: Path, n: int) -> Path:
    body = "".join(
        f"  - {{id: c{i}, quote: q, source: {{section: s, line: 1}}, cannot_test: x}}\n"
        for i in range(n)
    )
    path = tmp_path / f"c{n}.yaml"
    path.write_text("claims:\n" + body)
    return path


def test_ten_thousand_claims_pass_and_one_more_is_refused(tmp_path: Path) -> None:
    assert len(cma.load_claims(_claims_file(tmp_path, 10_000))) == 10_000
    with pytest.raises(cma.DataValidationError, match="10,001 claims; expected at most 10,000"):
        cma.load_claims(_claims_file(tmp_path, 10_001))


def test_a_band_of_exactly_k_others_is_shown_and_of_k_minus_one_hidden() -> None:
    # k = 4: micro 5 (4 others = k: shown), small 4 (3 others = k - 1: hidden), medium 3
    # (hidden); the 7 businesses outside micro are >= k + 1, so micro stays shown
    base = synthetic_cohort(12, seed=2)
    staff = pd.array([3] * 5 + [20] * 4 + [100] * 3, dtype="Int64")
    cohort = Cohort(base.scores, base.attributes.assign(staff=staff), base.instrument, base.source)
    g = peer_groups(cohort, k=4).set_index("size_band")
    assert set(g.loc["micro", "peer_kind"]) == {"size_band"}
    assert set(g.loc["micro", "n_peers"]) == {4}
    assert set(g.loc["small", "peer_kind"]) == {"cohort"}
    assert all("fewer than 4 other businesses" in f for f in g.loc["small", "fallback"])


@pytest.mark.parametrize("reserved", ["index", "DISCLOSURE", "Index", "disclosure"])
def test_reserved_ids_never_take_a_batch_file(tmp_path: Path, reserved: str) -> None:
    text = BUNDLED.read_text(encoding="utf-8").splitlines()
    rows = ["business_id," + text[0]] + [
        f"{reserved if i == 1 else f'B{i:02d}'},{line}" for i, line in enumerate(text[1:], 1)
    ]
    path = tmp_path / "r.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    cohort = cma.load_returns(path)
    pages, _ = business_pages(cohort, [reserved, "B02"])
    names = [p["file"] for p in pages]
    assert names[0].casefold() not in ("index.html", "disclosure.html")
    assert names[0].startswith(reserved) and names[1] == "B02.html"


def _png_chunks(png: bytes) -> list[bytes]:
    chunks, i = [], 8
    while i < len(png):
        length = int.from_bytes(png[i : i + 4], "big")
        chunks.append(png[i + 4 : i + 8])
        i += 12 + length
    return chunks


def test_pages_carry_no_figure_metadata_and_escape_wave_labels(tmp_path: Path) -> None:
    text = BUNDLED.read_text(encoding="utf-8").splitlines()
    rows = ["business_id,wave," + text[0]]
    for wave in ("<b>Base</b>", "Follow & up"):
        rows += [f"B{i:02d},{wave},{line}" for i, line in enumerate(text[1:], 1)]
    path = tmp_path / "r.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    cohort = cma.load_returns(path)
    pages, _ = business_pages(cohort, ["B04"])
    html = render_business_page(pages[0])
    assert "<b>Base</b>" not in html and "&lt;b&gt;Base&lt;/b&gt;" in html
    assert "Follow &amp; up" in html
    # the radar and the strip are inline SVG now (issue 22), no PNG: neither carries
    # metadata (creator, date, title) a reader could mine
    assert "data:image/png" not in html
    svgs = re.findall(r"<svg\b.*?</svg>", html, flags=re.S)
    assert any("radar" in svg[:400] for svg in svgs), [svg[:120] for svg in svgs]
    for svg in svgs:
        assert not re.search(r"<metadata|dc:date|Matplotlib|<title>|CreationDate", svg), svg[:300]
    for encoded in re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", html):
        chunks = _png_chunks(base64.b64decode(encoded))  # any PNG still there: no text
        assert not {b"tEXt", b"iTXt", b"zTXt", b"tIME"} & set(chunks), chunks


def test_excel_serial_numbers_as_waves_are_ordered_by_value(tmp_path: Path) -> None:
    text = BUNDLED.read_text(encoding="utf-8").splitlines()
    rows = ["business_id,wave," + text[0]]
    for serial in (39508, 39142):  # 2008-03-01 first in the file, then 2007-02-28
        rows += [f"B{i:02d},{serial},{line}" for i, line in enumerate(text[1:], 1)]
    path = tmp_path / "r.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert cma.load_returns(path).waves == ("39142", "39508")


def test_excel_date_cells_as_waves_are_ordered_by_date(tmp_path: Path) -> None:
    import datetime as dt

    from openpyxl import Workbook

    text = [line.split(",") for line in BUNDLED.read_text(encoding="utf-8").splitlines()[:4]]
    wb = Workbook()
    ws = wb.active
    ws.append(["business_id", "wave", *text[0]])
    for when in (dt.datetime(2008, 3, 1), dt.datetime(2007, 2, 28)):  # later date first
        for i, row in enumerate(text[1:], 1):
            values = [int(c) if c.isdigit() else (c or None) for c in row]
            ws.append([f"B{i:02d}", when, *values])
    path = tmp_path / "dates.xlsx"
    wb.save(path)
    cohort = cma.load_returns(path)
    assert len(cohort.waves) == 2
    first, last = cohort.waves
    assert "2007" in str(first) and "2008" in str(last)  # the latest wave is the latest date
