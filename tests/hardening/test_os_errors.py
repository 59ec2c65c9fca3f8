"""Class 7 of issue 10: operating-system failures end in one line, and nothing half-done.

Members tried: a full disk while writing (ENOSPC from ``fsync`` and from ``write``), a
read-only folder (EACCES from creating the temporary file), a target that is a folder,
an output folder that is a file, and a rename failing part-way through a set of files.
Each is tried on the atomic writers, on ``save_table``/``save_figure`` and through the
``process`` command, which must print one ``error:`` line naming the path and exit 2.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from cma_research.cli import main
from cma_research.core import files
from cma_research.core.files import write_all_atomic, write_atomic
from cma_research.reporting.files import save_figure, save_table
from tests.paths import BUNDLED


def _disk_full(*_: object, **__: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize("where", ["fsync", "write"])
def test_disk_full_leaves_nothing_and_names_the_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    old = tmp_path / "a.csv"
    old.write_bytes(b"old")
    if where == "fsync":
        monkeypatch.setattr(os, "fsync", _disk_full)
    else:
        real_fdopen = os.fdopen

        class Full:
            def __init__(self, fh: object) -> None:
                self.fh = fh

            def __enter__(self) -> Full:
                return self

            def __exit__(self, *exc: object) -> None:
                self.fh.close()  # type: ignore[attr-defined]

            def write(self, data: bytes) -> int:
                raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(os, "fdopen", lambda fd, mode: Full(real_fdopen(fd, mode)))
    with pytest.raises(OSError) as info:
        write_all_atomic({old: b"new", tmp_path / "b.csv": b"b"})
    assert info.value.errno == errno.ENOSPC
    assert info.value.filename == str(old.resolve())
    assert _listing(tmp_path) == ["a.csv"]  # no temp file, no new file
    assert old.read_bytes() == b"old"


def test_read_only_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(*args: object, dir: object = None, **kw: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", f"{dir}/.hidden.tmp")

    monkeypatch.setattr(files.tempfile, "mkstemp", denied)
    target = tmp_path / "out" / "t.csv"
    with pytest.raises(PermissionError) as info:
        write_atomic(target, b"x")
    assert info.value.filename == str(target.resolve())  # the target, not the temp name


def test_a_target_that_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "t.manifest.json").mkdir()
    with pytest.raises(IsADirectoryError, match="is a folder"):
        write_all_atomic({tmp_path / "t.parquet": b"p", tmp_path / "t.manifest.json": b"{}"})
    assert _listing(tmp_path) == ["t.manifest.json"]  # the parquet was not written either


def test_rename_failing_part_way_restores_the_old_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b, c = (tmp_path / n for n in ("a.txt", "b.txt", "c.txt"))
    a.write_bytes(b"old a")
    real_replace = os.replace
    calls = {"n": 0}

    def flaky(src: str, dst: str) -> None:
        if str(dst).endswith("c.txt"):
            raise OSError(errno.EIO, "Input/output error")
        calls["n"] += 1
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", flaky)
    with pytest.raises(OSError) as info:
        write_all_atomic({a: b"new a", b: b"new b", c: b"new c"})
    monkeypatch.setattr(os, "replace", real_replace)
    assert info.value.filename == str(c.resolve())
    assert a.read_bytes() == b"old a"  # restored
    assert not b.exists()  # did not exist before: removed
    assert _listing(tmp_path) == ["a.txt"]  # no temp or backup file


def test_tables_and_figures_on_a_full_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "fsync", _disk_full)
    with pytest.raises(OSError, match="No space left"):
        save_table(pd.DataFrame({"x": [1]}), tmp_path / "tables" / "t")
    fig, _ = plt.subplots()
    with pytest.raises(OSError, match="No space left"):
        save_figure(fig, tmp_path / "figures" / "f", formats=["png", "svg"], dpi=20)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    status = main(argv)
    err = capsys.readouterr().err.splitlines()
    return status, err


def test_process_on_a_full_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(os, "fsync", _disk_full)
    out = tmp_path / "processed"
    status, err = _cli(["process", str(BUNDLED), "--output-dir", str(out)], capsys)
    assert status == 2
    assert len(err) == 1 and err[0].startswith("error: ") and "No space left on device" in err[0]
    assert str(out) in err[0]
    assert not out.exists() or _listing(out) == []


def test_process_into_a_file_or_onto_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    status, err = _cli(["process", str(BUNDLED), "--output-dir", str(not_a_folder)], capsys)
    assert status == 2 and len(err) == 1 and err[0].startswith(f"error: {not_a_folder}")
    out = tmp_path / "out"
    (out / "customer_wise_2007.manifest.json").mkdir(parents=True)
    status, err = _cli(["process", str(BUNDLED), "--output-dir", str(out)], capsys)
    assert status == 2 and len(err) == 1
    assert err[0].endswith("customer_wise_2007.manifest.json: is a folder, not a file")
    assert _listing(out) == ["customer_wise_2007.manifest.json"]  # no parquet, no .tmp


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_process_into_a_really_read_only_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o555)
    try:
        status, err = _cli(["process", str(BUNDLED), "--output-dir", str(out)], capsys)
    finally:
        out.chmod(0o755)
    assert status == 2 and len(err) == 1 and "Permission denied" in err[0]
    assert _listing(out) == []
