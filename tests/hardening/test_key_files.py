"""Class 4 of issue 21: a pseudonymisation key is a small private regular file holding a
secret that is hard to guess.

Members tried through ``business-report --pseudonymise``: a FIFO (must not hang), links
to ``/dev/zero``, ``/dev/urandom`` and ``/dev/null``, a gigabyte file, keys of sixteen
``0`` bytes, a counting sequence and a repeat, a key readable by every user (a warning),
and ``cma-research key new`` (private, random, never overwriting, refused in
``data/raw/``); the earlier members (empty, one byte, blank, a folder) still refused.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from cma_research.cli import main
from tests.paths import BUNDLED


def pseudonymise(key: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(
        [
            "business-report",
            str(BUNDLED),
            "--business",
            "B04",
            "--pseudonymise",
            str(key),
            "--output-dir",
            str(out),
        ]
    )
    return code, capsys.readouterr().err


def refused(key: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    out = tmp_path / "out"
    code, err = pseudonymise(key, out, capsys)
    assert code == 2 and err.count("\n") == 1 and err.startswith("error: key file"), err
    assert not out.exists()  # refused before anything is written
    return err


def test_a_fifo_is_refused_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "key.fifo"
    os.mkfifo(fifo)
    assert "FIFO" in refused(fifo, tmp_path, capsys)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_links_to_devices_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], device: str
) -> None:
    if not Path(device).exists():
        pytest.skip(f"{device} is absent")
    link = tmp_path / "key.txt"
    link.symlink_to(device)
    err = refused(link, tmp_path, capsys)
    assert "character device" in err and "MemoryError" not in err


def test_a_huge_file_is_refused_without_reading_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big = tmp_path / "big.key"
    with open(big, "wb") as fh:
        fh.truncate(1 << 30)
    assert "larger than 4,096 bytes" in refused(big, tmp_path, capsys)


@pytest.mark.parametrize(
    "content",
    [
        b"0000000000000000",  # sixteen 0 digits: the key
        b"\0" * 16,
        b"0123456789abcdef",
        b"abababababababababababab",
        b"",
        b"k",
        b"   \n\t  \n",
    ],
)
def test_weak_keys_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes
) -> None:
    key = tmp_path / "key.txt"
    key.write_bytes(content)
    key.chmod(0o600)
    err = refused(key, tmp_path, capsys)
    assert "too easy to guess" in err or "expected a secret of at least 16" in err


def test_a_folder_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "k").mkdir()
    assert "is a folder" in refused(tmp_path / "k", tmp_path, capsys)


def test_a_key_others_can_read_is_used_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "key.txt"
    key.write_text("9d41c7e2a05f3b68e1d4c97a2b6f0835\n")
    key.chmod(0o644)
    code, err = pseudonymise(key, tmp_path / "out", capsys)
    assert code == 0
    (line,) = [ln for ln in err.splitlines() if ln.startswith("warning:")]
    assert "can be read by every user" in line and f"chmod 600 {key}" in line


def test_key_new_makes_a_private_random_key_and_never_overwrites(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "cma.key"
    assert main(["key", "new", str(key)]) == 0
    out = capsys.readouterr().out
    assert "readable by you only" in out and "keep a copy" in out
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    text = key.read_text()
    assert len(text.strip()) == 64 and int(text, 16) >= 0
    code, err = pseudonymise(key, tmp_path / "out", capsys)
    assert code == 0 and "warning" not in err
    assert main(["key", "new", str(key)]) == 2
    assert "never overwritten" in capsys.readouterr().err
    assert key.read_text() == text
    assert main(["key", "new", str(tmp_path / "data" / "raw" / "x.key")]) == 2
    assert "data/raw" in capsys.readouterr().err
    assert main(["key", "new", str(tmp_path / "missing" / "x.key")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["key", "new", str(tmp_path / "second.key")]) == 0
    assert (tmp_path / "second.key").read_text() != text
