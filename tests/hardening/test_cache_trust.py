"""Class 1 of issue 21: the build cache trusts nothing it cannot check.

Members tried: entries whose file list climbs out of the output folder (``../..``, an
absolute path, ``tables/../..``, a back slash, a hidden or nested name), entries swapped
between keys or notebooks, a self-consistent poisoned entry (an edited table with its
hash recomputed) and an entry signed with another project's key, entry folders, files
and ``files/`` folders that are symbolic links out of the cache, metadata of the wrong
shape (deeply nested JSON, a list where a mapping belongs, a text, wrong types) for
entries, ``last.json``, ``manifest.json``, captions and key facts, a large cached file
restored in bounded memory, ``--cache-dir`` inside ``data/raw/``, a regular file, under
a file, around the project's key or inside the output folder (refused before any
kernel), and a cache deleted or replaced by a file during the build.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

import cma_research as cma
from cma_research.cli import main
from cma_research.pipeline.build import build, index
from cma_research.pipeline.build import plan as plan_steps
from cma_research.pipeline.build.cache import (
    ENTRY_FORMAT,
    BuildCache,
    NotebookKey,
    safe_output_path,
    signing_key,
)

KEY = bytes.fromhex("0b9e4a1f7c2d58e6a3f1c07d9b5e2a48") * 2
KEY_A = "a" * 64
KEY_B = "b" * 64


def sign(record: dict[str, Any], key: bytes = KEY) -> str:
    """The entry signature, computed independently: HMAC-SHA256 of the canonical JSON."""
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


class Cache:
    """A BuildCache with a known key and the warnings it gave."""

    def __init__(self, tmp_path: Path, key: bytes | None = KEY) -> None:
        self.folder = tmp_path / "cache"
        self.out = tmp_path / "out"
        self.warnings: list[str] = []
        self.cache = BuildCache(self.folder, self.warnings.append, key)

    def stored(self, name: str = "01_rows", key: str = KEY_A, data: bytes = b"a,b\n1,2\n") -> Path:
        """Store one output of ``name`` under ``key``; the entry's folder."""
        table = self.out / "tables" / f"{name[:3]}rows.csv"
        table.parent.mkdir(parents=True, exist_ok=True)
        table.write_bytes(data)
        self.cache.store(name, NotebookKey(key, {"notebook": "x"}), [table], self.out)
        return self.folder / name / key

    def rewrite(self, entry: Path, **changes: Any) -> None:
        """Change entry.json as an attacker who holds the key would, re-signing it."""
        meta = json.loads((entry / "entry.json").read_text())
        meta.update(changes)
        meta.pop("signature")
        meta["signature"] = sign(meta)
        (entry / "entry.json").write_text(json.dumps(meta))


# -- paths -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rel",
    [
        "../../../outside.txt",
        "../outside.txt",
        "/tmp/cma_outside_abs.txt",
        "tables/../../outside.txt",
        "tables\\..\\..\\outside.txt",
        "tables/.hidden",
        "tables/sub/outside.txt",
        "elsewhere/x.csv",
        "tables/x\x00.csv",
        "",
    ],
)
def test_an_entry_listing_a_path_out_of_the_output_folders_is_discarded(
    tmp_path: Path, rel: str
) -> None:
    c = Cache(tmp_path)
    entry = c.stored()
    plain = rel and "\x00" not in rel and not rel.startswith("/")
    stored = entry / "files" / rel if plain else None
    if stored is not None:
        stored.parent.mkdir(parents=True, exist_ok=True)
        stored.write_bytes(b"pwned\n")
    digest = hashlib.sha256(b"pwned\n").hexdigest()
    c.rewrite(entry, files={rel: digest})  # signed: even the key's holder cannot
    assert safe_output_path(rel) is None
    assert c.cache.lookup("01_rows", KEY_A) is None
    assert any("not a file of an output folder" in w for w in c.warnings), c.warnings
    assert not entry.exists()  # discarded
    assert not (tmp_path / "outside.txt").exists() and not (c.out.parent / "outside.txt").exists()
    # restore checks on its own too (an entry listed by an older, trusting plan)
    assert c.cache.restore("01_rows", KEY_A, {rel: digest}, c.out) is None
    assert not Path("/tmp/cma_outside_abs.txt").exists()


def test_a_good_entry_is_restored_exactly(tmp_path: Path) -> None:
    c = Cache(tmp_path)
    c.stored(data=b"x,y\n3,4\n")
    files = c.cache.lookup("01_rows", KEY_A)
    assert files == {"tables/01_rows.csv": hashlib.sha256(b"x,y\n3,4\n").hexdigest()}
    (c.out / "tables" / "01_rows.csv").unlink()
    restored = c.cache.restore("01_rows", KEY_A, files, c.out)
    assert restored == [(c.out / "tables" / "01_rows.csv").resolve()]
    assert (c.out / "tables" / "01_rows.csv").read_bytes() == b"x,y\n3,4\n"
    assert c.warnings == []


# -- an entry proves its key ------------------------------------------------------------


def test_entries_swapped_between_keys_or_notebooks_are_refused(tmp_path: Path) -> None:
    c = Cache(tmp_path)
    a = c.stored(key=KEY_A, data=b"seed,1\n")
    b = c.stored(key=KEY_B, data=b"seed,2\n")
    swap = tmp_path / "swap"
    a.rename(swap)
    b.rename(a)
    swap.rename(b)
    assert c.cache.lookup("01_rows", KEY_A) is None
    assert c.cache.lookup("01_rows", KEY_B) is None
    assert sum("another notebook or key" in w for w in c.warnings) == 2
    # another notebook's entry moved under this notebook's name
    other = c.stored(name="02_value", key=KEY_A)
    target = c.folder / "01_rows" / KEY_A
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(other, target)
    assert c.cache.lookup("01_rows", KEY_A) is None


def test_a_self_consistent_poisoned_entry_is_refused(tmp_path: Path) -> None:
    # the attacker edits the cached table and recomputes its hash in entry.json, but
    # cannot sign without the project's key
    c = Cache(tmp_path)
    entry = c.stored()
    poisoned = b"a,b\n999,999\n"
    (entry / "files" / "tables" / "01_rows.csv").write_bytes(poisoned)
    meta = json.loads((entry / "entry.json").read_text())
    meta["files"]["tables/01_rows.csv"] = hashlib.sha256(poisoned).hexdigest()
    (entry / "entry.json").write_text(json.dumps(meta))
    assert c.cache.lookup("01_rows", KEY_A) is None
    assert "signature does not match" in c.warnings[-1]
    # an entry signed with another project's key is refused alike
    entry = c.stored()
    meta = json.loads((entry / "entry.json").read_text())
    meta.pop("signature")
    meta["signature"] = sign(meta, key=b"another project's key 0123456789")
    (entry / "entry.json").write_text(json.dumps(meta))
    assert c.cache.lookup("01_rows", KEY_A) is None
    # and an edited file without a recomputed hash, as before
    entry = c.stored()
    (entry / "files" / "tables" / "01_rows.csv").write_bytes(b"garbage")
    assert c.cache.lookup("01_rows", KEY_A) is None
    assert "wrong hash" in c.warnings[-1]


# -- symbolic links ---------------------------------------------------------------------


def test_symbolic_links_in_the_cache_are_removed_never_followed(tmp_path: Path) -> None:
    c = Cache(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("mine")
    # 1. the entry folder is a link out of the cache (holding a copy of a good entry)
    good = c.stored()
    shutil.copytree(good, outside / "entry")
    shutil.rmtree(good)
    good.symlink_to(outside / "entry")
    assert c.cache.lookup("01_rows", KEY_A) is None
    assert not good.is_symlink() and (outside / "entry" / "entry.json").is_file()
    # 2. a stored file is a link (to a file whose hash the attacker knows)
    entry = c.stored()
    target = outside / "keep.txt"
    stored = entry / "files" / "tables" / "01_rows.csv"
    stored.unlink()
    stored.symlink_to(target)
    c.rewrite(entry, files={"tables/01_rows.csv": hashlib.sha256(b"mine").hexdigest()})
    assert c.cache.lookup("01_rows", KEY_A) is None
    assert "not a regular file" in c.warnings[-1]
    # 3. the notebook's folder is a link: a new result is stored in a real folder instead
    shutil.rmtree(c.folder / "01_rows")
    (c.folder / "01_rows").symlink_to(outside)
    c.stored()
    assert not (c.folder / "01_rows").is_symlink()
    assert sorted(p.name for p in outside.iterdir()) == ["entry", "keep.txt"]
    assert (outside / "keep.txt").read_text() == "mine"
    # 4. the figure cache folder is a link
    (c.folder / "01_rows" / "figures").symlink_to(outside)
    folder = c.cache.figure_folder("01_rows", NotebookKey(KEY_A, {"notebook": "x"}))
    assert outside not in folder.resolve().parents
    assert not (c.folder / "01_rows" / "figures").is_symlink()


def test_an_output_subfolder_linking_out_is_not_restored_through(tmp_path: Path) -> None:
    c = Cache(tmp_path)
    c.stored()
    files = c.cache.lookup("01_rows", KEY_A)
    assert files is not None
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    shutil.rmtree(c.out / "tables")
    (c.out / "tables").symlink_to(outside)
    assert c.cache.restore("01_rows", KEY_A, files, c.out) is None
    assert list(outside.iterdir()) == []
    assert "leads out of the output folder" in c.warnings[-1]


# -- wrong shapes -----------------------------------------------------------------------


NESTED = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    "text",
    [NESTED, "[1, 2]", '"a text"', "{", "", '{"format": 2}', '{"files": []}', "\xff\xfe"],
)
def test_entry_metadata_of_the_wrong_shape_is_discarded(tmp_path: Path, text: str) -> None:
    c = Cache(tmp_path)
    entry = c.stored()
    (entry / "entry.json").write_text(text, encoding="latin-1")
    assert c.cache.lookup("01_rows", KEY_A) is None
    assert "corrupt" in c.warnings[-1] and not entry.exists()


@pytest.mark.parametrize(
    "text",
    [NESTED, "[1, 2]", '{"parts": [1, 2], "seconds": "slow"}', '{"parts": {"a": 1}}', "null"],
)
def test_a_last_run_record_of_the_wrong_shape_is_ignored(tmp_path: Path, text: str) -> None:
    c = Cache(tmp_path)
    c.stored()
    (c.folder / "01_rows" / "last.json").write_text(text)
    assert c.cache.last_parts("01_rows") is None
    assert c.cache.last_seconds("01_rows") is None


def test_a_large_cached_file_is_restored_in_bounded_memory(tmp_path: Path) -> None:
    c = Cache(tmp_path)
    size = 32 * 1024 * 1024
    table = c.out / "tables" / "01_big.csv"
    table.parent.mkdir(parents=True)
    with open(table, "wb") as fh:  # sparse: cheap to make
        fh.truncate(size)
    tracemalloc.start()
    try:
        c.cache.store("01_rows", NotebookKey(KEY_A, {}), [table], c.out)
        files = c.cache.lookup("01_rows", KEY_A)
        table.unlink()
        assert files is not None
        c.cache.restore("01_rows", KEY_A, files, c.out)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert table.stat().st_size == size
    assert peak < 8 * 1024 * 1024, f"{peak:,} bytes held at once for a {size:,}-byte file"


# -- the cache folder -------------------------------------------------------------------


def test_cache_folders_that_cannot_be_one_are_refused(tmp_path: Path) -> None:
    root = tmp_path / "project"
    (root / "data" / "raw").mkdir(parents=True)
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    cases = {
        str(root / "data" / "raw" / "cache"): "inside data/raw/",
        str(root / "data" / "raw"): "inside data/raw/",
        str(a_file): "is a file, not a folder",
        str(a_file / "cache"): "lies under the file",
        str(root / ".cma-cache"): "would hold the project's cache key",
        str(root): "would hold the project's cache key",
    }
    for chosen, message in cases.items():
        with pytest.raises(cma.ParameterError, match=message):
            plan_steps.cache_folder(chosen, root)
    assert plan_steps.cache_folder(None, root) == (root / ".cma-cache" / "build").resolve()
    out = tmp_path / "reports"
    for inside in (out, out / "cache"):
        with pytest.raises(cma.ParameterError, match="inside the output folder"):
            plan_steps.check_cache_outside(inside, out)
    with pytest.raises(cma.ParameterError, match="is inside the build cache"):
        plan_steps.check_cache_outside(tmp_path, out)


@pytest.mark.parametrize("where", ["data/raw/cache", "a_file", "a_file/sub", "reports/cache"])
def test_the_cli_refuses_a_cache_dir_before_any_kernel(
    tiny_project: Path,
    no_kernel: None,
    capsys: pytest.CaptureFixture[str],
    where: str,
) -> None:
    (tiny_project / "data" / "raw").mkdir()
    (tiny_project / "a_file").write_text("x")
    code = main(
        [
            "build",
            "--notebooks-dir",
            str(tiny_project / "notebooks"),
            "--output-dir",
            str(tiny_project / "reports"),
            "--cache-dir",
            str(tiny_project / where),
        ]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("error: ") and "\n" not in err, err
    assert not (tiny_project / "data" / "raw" / "cache").exists()
    assert not (tiny_project / "reports" / "tables").exists()
    assert not (tiny_project / "reports" / "cache").exists()


def test_the_signing_key_is_made_once_private_and_outside_the_cache(tmp_path: Path) -> None:
    key, path = signing_key(tmp_path)
    assert path == tmp_path / ".cma-cache" / "cache.key"
    assert oct(path.stat().st_mode & 0o777) == "0o600" and len(key) == 64
    assert signing_key(tmp_path)[0] == key
    path.write_text("short\n")
    with pytest.raises(cma.ParameterError, match="holds 5 bytes"):
        signing_key(tmp_path)
    path.unlink()
    path.symlink_to("/dev/zero")
    with pytest.raises(cma.ParameterError, match="cannot be used"):
        signing_key(tmp_path)


# -- whole builds -----------------------------------------------------------------------


def _build(root: Path, out: str = "reports", **kwargs: Any) -> Any:
    lines: list[str] = []
    result = build(
        notebooks_dir=root / "notebooks",
        output_dir=root / out,
        cache_dir=root / ".cache",
        progress=lines.append,
        **kwargs,
    )
    result.lines = lines
    return result


@pytest.mark.integration
def test_a_poisoned_cache_is_never_served_and_the_build_recovers(tiny_project: Path) -> None:
    first = _build(tiny_project)
    assert first.ok
    table = tiny_project / "reports" / "tables" / "01_rows.csv"
    truth = table.read_bytes()
    # poison: the cached table and its listed hash, consistently (no key)
    (entry,) = [p for p in (tiny_project / ".cache" / "01_rows").iterdir() if len(p.name) == 64]
    poisoned = b"rows,seed\n999,1\n"
    (entry / "files" / "tables" / "01_rows.csv").write_bytes(poisoned)
    meta = json.loads((entry / "entry.json").read_text())
    meta["files"]["tables/01_rows.csv"] = hashlib.sha256(poisoned).hexdigest()
    (entry / "entry.json").write_text(json.dumps(meta))
    # and the other records of the wrong shape
    (tiny_project / ".cache" / "01_rows" / "last.json").write_text(NESTED)
    (tiny_project / "reports" / "manifest.json").write_text("[1, 2, 3]")
    (tiny_project / "reports" / "figures" / "99_captions.json").write_text("[1, 2]")
    again = _build(tiny_project)
    assert again.ok, again.summary()
    assert table.read_bytes() == truth
    assert [r.reused for r in again.runs] == [False]
    text = "\n".join(again.lines)
    assert "signature does not match" in text
    assert "manifest.json is unusable" in text and "99_captions.json is unusable" in text
    assert json.loads((entry / "entry.json").read_text())["format"] == ENTRY_FORMAT


@pytest.mark.parametrize("text", [NESTED, "[1, 2]", '"x"', "{"])
def test_key_facts_of_the_wrong_shape_are_ignored_with_a_warning(tmp_path: Path, text: str) -> None:
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "01_key_facts.json").write_text(text)
    (tmp_path / "tables" / "02_key_facts.json").write_text('{"n": 16}')
    warnings: list[str] = []
    assert index.key_facts(tmp_path, ["01_a", "02_b"], warnings.append) == {"n": "16"}
    assert len(warnings) == 1 and "01_key_facts.json is unusable" in warnings[0]


@pytest.mark.integration
def test_a_cache_deleted_or_replaced_during_the_build_costs_only_the_cache(
    tiny_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _build(tiny_project).ok
    truth = (tiny_project / "reports" / "tables" / "01_rows.csv").read_bytes()
    real_restore = plan_steps.restore_cached

    def delete_then_restore(plan: Any, say: Any) -> Any:
        shutil.rmtree(tiny_project / ".cache")  # gone after the plan said "cached"
        return real_restore(plan, say)

    monkeypatch.setattr(plan_steps, "restore_cached", delete_then_restore)
    (tiny_project / "reports" / "tables" / "01_rows.csv").unlink()
    result = _build(tiny_project)
    assert result.ok, result.summary()
    assert result.runs[0].reason == "re-run: the cached result could not be restored"
    assert (tiny_project / "reports" / "tables" / "01_rows.csv").read_bytes() == truth
    assert not (tiny_project / "reports" / ".build-in-progress").exists()

    def replace_with_a_file(plan: Any, say: Any) -> Any:
        shutil.rmtree(tiny_project / ".cache", ignore_errors=True)
        (tiny_project / ".cache").write_text("not a folder")  # the store will fail
        return real_restore(plan, say)

    monkeypatch.setattr(plan_steps, "restore_cached", replace_with_a_file)
    result = _build(tiny_project, force=True)
    assert result.ok, result.summary()
    assert any("could not store the result of 01_rows" in line for line in result.lines)
    assert not (tiny_project / "reports" / ".build-in-progress").exists()
