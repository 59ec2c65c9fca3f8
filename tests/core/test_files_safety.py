"""safe_filename and ensure_inside: data values never write outside the output folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cma_research.core.errors import ParameterError
from cma_research.core.files import SAFE_NAME_MAX, ensure_inside, safe_filename

HOSTILE = [
    "../../x",
    "/tmp/x",
    "../index",
    "a/b",
    "a\\b",
    "x\x00y",
    "A" * 300,
    "..",
    ".",
    "",
    " ",
    "-rf",
    "CON",
    "nul",
    "é/../ß",
    "index",
    "B04\n",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_safe_filename_is_one_harmless_component(text: str, tmp_path: Path) -> None:
    name = safe_filename(text)
    assert name and name not in (".", "..")
    assert "/" not in name and "\\" not in name and "\x00" not in name
    assert len(name) <= SAFE_NAME_MAX
    assert not name.startswith("-")
    assert set(name) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
    # joined to a folder it stays directly inside it
    target = ensure_inside(tmp_path, tmp_path / f"{name}.html")
    assert target.parent == tmp_path.resolve()


def test_safe_filename_keeps_plain_ids_and_separates_lookalikes() -> None:
    assert safe_filename("B04") == "B04"
    assert safe_filename("S_0001-x") == "S_0001-x"
    # different values never share a name, even when their slugs agree
    names = {safe_filename(t) for t in ["a/b", "a_b", "a b", "a\x00b", "a//b"]}
    assert len(names) == 5
    assert safe_filename("../index") != "index"
    # long ids: distinct even when the first 100 characters agree
    assert safe_filename("A" * 300) != safe_filename("A" * 301)
    assert safe_filename("A" * SAFE_NAME_MAX) == "A" * SAFE_NAME_MAX


@pytest.mark.parametrize("rel", ["../x.html", "../../etc/x", "a/../../x", ""])
def test_ensure_inside_refuses_escapes(tmp_path: Path, rel: str) -> None:
    root = tmp_path / "out"
    root.mkdir()
    with pytest.raises(ParameterError, match="outside the output folder"):
        ensure_inside(root, root / rel)


def test_ensure_inside_refuses_absolute_elsewhere(tmp_path: Path) -> None:
    root = tmp_path / "out"
    root.mkdir()
    with pytest.raises(ParameterError, match="outside the output folder"):
        ensure_inside(root, tmp_path / "x.html")
    with pytest.raises(ParameterError, match="NUL"):
        ensure_inside(root, str(root) + "/a\x00b")


def test_ensure_inside_follows_symlinks(tmp_path: Path) -> None:
    root = tmp_path / "out"
    root.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere, root / "link")
    os.symlink(tmp_path / "victim.html", root / "B04.html")  # dangling link to outside
    with pytest.raises(ParameterError, match="outside the output folder"):
        ensure_inside(root, root / "link" / "B04.html")
    with pytest.raises(ParameterError, match="outside the output folder"):
        ensure_inside(root, root / "B04.html")
    # a link that stays inside is fine
    (root / "sub").mkdir()
    os.symlink(root / "sub", root / "inner")
    assert ensure_inside(root, root / "inner" / "a.html") == (root / "sub" / "a.html").resolve()


def test_ensure_inside_output_folder_itself_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    os.symlink(real, tmp_path / "out")
    # the output folder may itself be a link: what counts is where it resolves
    assert ensure_inside(tmp_path / "out", tmp_path / "out" / "a.html").parent == real.resolve()
