"""Class 3 of issue 21: client batches that stay consistent and do not re-identify.

Members tried: the disclosure manifest of single-business batches (one and several ids,
pseudonymised: its name must not be a hash of the real ids), a pseudonymised batch
written over real-id batches (``--all``, ``--business``, pages of an older version
without a page list), a real-id batch over a pseudonymised one, batches of another k,
two writers on one folder, a batch killed while rendering and while moving its pages
in, pages that show exact staff numbers and audit dates (re-identification by the two),
and the position text for every percentage from 0 to 100.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
from fractions import Fraction
from pathlib import Path

import pytest

from cma_research.cli import main
from cma_research.core.files import folder_lock
from cma_research.reporting import business
from cma_research.reporting.business import BATCH_IN_PROGRESS
from cma_research.reporting.business_pages import percent_text
from cma_research.reporting.pseudonym import pseudonymise
from tests.paths import BUNDLED, ROOT

KEY_TEXT = "3f9c1a7e5b2d8046c1e9a3b7d5f20864\n"  # a fixed test key (random hex digits)
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@pytest.fixture(autouse=True)
def quick_figures(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about files, not figures: pages embed a 1-pixel stand-in."""
    monkeypatch.setattr(business, "page_figures", lambda page: (TINY_PNG, TINY_PNG))


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "keys" / "cma.key"
    path.parent.mkdir()
    path.write_text(KEY_TEXT, encoding="utf-8")
    path.chmod(0o600)
    return path


@pytest.fixture
def small_returns(tmp_path: Path) -> Path:
    """Six businesses of Table 4 with audit dates (a small batch renders quickly)."""
    lines = BUNDLED.read_text(encoding="utf-8").splitlines()
    rows = [lines[0] + ",Audit date"]
    rows += [f"{line},2007-0{1 + i % 9}-1{i % 10}" for i, line in enumerate(lines[1:7])]
    path = tmp_path / "returns.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def pages_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.html") if p.name != "index.html")


def report(returns: Path, out: Path, *args: str) -> int:
    return main(["business-report", str(returns), "--output-dir", str(out), *args])


# -- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize("ids", [["B04"], ["B04", "B05"], ["B01", "B02", "B06"]])
def test_a_single_batch_manifest_name_does_not_reveal_the_ids(
    small_returns: Path, tmp_path: Path, key_file: Path, ids: list[str]
) -> None:
    out = tmp_path / "out"
    assert report(small_returns, out, "--business", *ids, "--pseudonymise", str(key_file)) == 0
    (manifest,) = out.glob("disclosure-*.json")
    tag = manifest.stem.removeprefix("disclosure-")
    # the attack: hash every plausible id list B01..B99 (unkeyed), compare with the name
    plausible = [f"B{i:02d}" for i in range(1, 100)]
    guesses = {hashlib.sha256("\0".join(ids).encode()).hexdigest()[:10]}
    guesses |= {hashlib.sha256(b.encode()).hexdigest()[:10] for b in plausible}
    assert tag not in guesses
    # it is derived from what the pages show (the pseudonyms)
    key = KEY_TEXT.strip().encode()
    shown = "\0".join(pseudonymise(b, key) for b in ids)
    assert tag == hashlib.sha256(shown.encode()).hexdigest()[:10]
    assert not any(b in manifest.read_text(encoding="utf-8") for b in ids)


# -- earlier batches in the folder -----------------------------------------------------------


def test_a_pseudonymised_batch_removes_real_id_pages(
    small_returns: Path, tmp_path: Path, key_file: Path
) -> None:
    out = tmp_path / "out"
    assert report(small_returns, out, "--all") == 0
    assert report(small_returns, out, "--business", "B03") == 0  # a single page too
    assert "B04.html" in pages_in(out)
    # a page of an older version, whose manifest lists no pages
    (out / "B05.html").write_text("<html>real id</html>", encoding="utf-8")
    (out / "disclosure-old.json").write_text('{"k": 5, "pseudonymised": false}')
    assert report(small_returns, out, "--all", "--pseudonymise", str(key_file)) == 0
    names = pages_in(out)
    assert len(names) == 6 and all(re.fullmatch(r"P-[0-9a-f]{12}\.html", n) for n in names)
    assert sorted(p.name for p in out.glob("disclosure*.json")) == ["disclosure.json"]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"\bB0\d\b", index)
    # and a real-id batch after it removes the pseudonymised pages
    assert report(small_returns, out, "--business", "B04") == 0
    assert pages_in(out) == ["B04.html"] and not (out / "index.html").exists()


def test_a_single_pseudonymised_page_removes_real_id_pages_too(
    small_returns: Path, tmp_path: Path, key_file: Path
) -> None:
    out = tmp_path / "out"
    assert report(small_returns, out, "--business", "B04", "B05") == 0
    assert report(small_returns, out, "--business", "B04", "--pseudonymise", str(key_file)) == 0
    assert pages_in(out) == [pseudonymise("B04", KEY_TEXT.strip().encode()) + ".html"]


def test_a_batch_of_another_k_replaces_the_earlier_one(small_returns: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert report(small_returns, out, "--all", "--disclosure-k", "3") == 0
    assert report(small_returns, out, "--business", "B04", "--disclosure-k", "2") == 0
    manifests = [json.loads(p.read_text()) for p in out.glob("disclosure*.json")]
    assert [m["k"] for m in manifests] == [2]
    assert pages_in(out) == ["B04.html"] and not (out / "index.html").exists()
    # same settings: single pages accumulate beside each other
    assert report(small_returns, out, "--business", "B05", "--disclosure-k", "2") == 0
    assert pages_in(out) == ["B04.html", "B05.html"]
    assert {json.loads(p.read_text())["k"] for p in out.glob("disclosure*.json")} == {2}


def test_two_writers_on_one_folder_take_turns(
    small_returns: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with folder_lock(out, "build"):  # a build or another batch holds the folder
        assert report(small_returns, out, "--all") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is writing to out/ right now" in err[0]
    assert pages_in(out) == []


# -- killed batches ---------------------------------------------------------------------------

_KILL = """
import os, signal, sys
import cma_research.core.files as files
import cma_research.reporting.business as business
from cma_research.cli import main

calls = {{"n": 0}}
real = {target}

def dying(*args, **kwargs):
    calls["n"] += 1
    if calls["n"] == {after}:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(*args, **kwargs)

{patch} = dying
business.page_figures = lambda page: (b"png", b"png")  # files, not figures, are tested
sys.exit(main(["business-report", {returns!r}, "--all", "--disclosure-k", "{k}",
               "--output-dir", {out!r}]))
"""


def _killed(returns: Path, out: Path, target: str, patch: str, after: int, k: int) -> None:
    code = textwrap.dedent(
        _KILL.format(
            target=target, patch=patch, after=after, returns=str(returns), out=str(out), k=k
        )
    )
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, timeout=300
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]


def _consistent(out: Path) -> set[int]:
    """The k of every batch whose pages are in the folder; no index links another batch."""
    manifests = [json.loads(p.read_text()) for p in out.glob("disclosure*.json")]
    listed = {name for m in manifests for name in m.get("pages", [])}
    if (out / "index.html").exists():
        links = set(re.findall(r'href="([^"]+\.html)"', (out / "index.html").read_text()))
        assert links <= set(pages_in(out)), "the index links a page that is not there"
        assert links == set(manifests[0]["pages"]) if len(manifests) == 1 else True
    for page in pages_in(out):
        k_on_page = re.search(r"groups of at least (\d+) other", (out / page).read_text())
        assert k_on_page is not None
        assert page in listed or (out / BATCH_IN_PROGRESS).exists()
    return {int(m["k"]) for m in manifests}


@pytest.mark.integration
def test_a_batch_killed_while_rendering_leaves_the_earlier_batch(
    small_returns: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert report(small_returns, out, "--all", "--disclosure-k", "3") == 0
    before = {p: (out / p).read_bytes() for p in [*pages_in(out), "index.html"]}
    # SIGKILL on the 4th page written (pages are written into the batch's own folder)
    _killed(small_returns, out, "business.write_atomic", "business.write_atomic", 4, 2)
    assert {p: (out / p).read_bytes() for p in before} == before  # untouched
    assert _consistent(out) == {3}
    assert report(small_returns, out, "--all", "--disclosure-k", "2") == 0
    assert _consistent(out) == {2}
    assert not list(out.glob(".batch-run-*")) and not (out / BATCH_IN_PROGRESS).exists()


@pytest.mark.integration
def test_a_batch_killed_while_moving_pages_in_never_shows_a_mixed_batch(
    small_returns: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert report(small_returns, out, "--all", "--disclosure-k", "3") == 0
    # 6 pages rendered (6 renames), then killed on the 3rd page moved into place
    _killed(small_returns, out, "os.replace", "os.replace", 6 + 3, 2)
    assert (out / BATCH_IN_PROGRESS).exists()
    assert not (out / "index.html").exists()  # removed before any page moved
    ks = set()
    for page in pages_in(out):
        found = re.search(r"groups of at least (\d+) other", (out / page).read_text())
        assert found is not None
        ks.add(int(found.group(1)))
    assert ks <= {2}, "pages of two batches side by side"
    # the next batch (any) removes what the killed one left
    assert report(small_returns, out, "--business", "B04", "--disclosure-k", "2") == 0
    assert pages_in(out) == ["B04.html"] and not (out / BATCH_IN_PROGRESS).exists()
    assert _consistent(out) == {2}


# -- what a page identifies -------------------------------------------------------------------


def test_pages_show_a_size_band_and_a_month_and_say_what_remains(
    small_returns: Path, tmp_path: Path, key_file: Path
) -> None:
    out = tmp_path / "out"
    assert report(small_returns, out, "--all", "--pseudonymise", str(key_file)) == 0
    texts = [(out / p).read_text(encoding="utf-8") for p in pages_in(out)]
    rows = small_returns.read_text(encoding="utf-8").splitlines()[1:]
    for html in texts:
        bands = re.sub(r"\((fewer than \d+|\d+–\d+|\d+) staff( or more)?\)", "(band)", html)
        assert not re.search(r"\b\d+ staff\b", bands)  # no exact staff number
        assert not re.search(r"2007-\d\d-\d\d", html)  # no exact date
        assert re.search(r"audited in (January|February|March|April|May|June|July|"
                         r"August|September|October|November|December) 2007", html)  # fmt: skip
        assert "What a reader could still infer" in html
        assert "two waves" in html and "nearly unique" in html
    assert len(texts) == len(rows)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "What a reader could still infer" in index
    # with --show-identifying the exact values are shown, and the page says what that means
    exact = tmp_path / "exact"
    assert report(small_returns, exact, "--business", "B04", "--show-identifying") == 0
    html = (exact / "B04.html").read_text(encoding="utf-8")
    assert "3 staff" in html and "audited 2007-04-13" in html
    assert "exact staff number and audit date" in html


@pytest.mark.parametrize("n", [1, 3, 7, 10, 20, 21, 50, 99, 100])
def test_every_percentage_reads_as_written(n: int) -> None:
    # the share below a business is b of n peers; the page must say round(100 b / n),
    # computed here with exact fractions (Python rounds half to even)
    for b in range(n + 1):
        assert percent_text(b / n) == str(round(Fraction(100 * b, n)))
    for p in range(101):  # every whole percentage, including 10, 20, ... 100
        assert percent_text(p / 100) == str(p)
