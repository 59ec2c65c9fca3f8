"""Keyed pseudonyms: HMAC-SHA256, stable, not derivable from the id alone; key files that
are small regular files holding keys hard to guess; ``new_key``."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

import pytest

from cma_research.core.errors import ParameterError
from cma_research.reporting.pseudonym import (
    MAX_KEY_FILE_BYTES,
    KeyFileWarning,
    key_check,
    key_weakness,
    new_key,
    pseudonymise,
    read_key,
)

KEY = bytes.fromhex("5be1c0a9d2f47e3816ac09bd4f72e5a1") * 2  # fixed random bytes
OTHER = bytes.fromhex("c3b8e2f05a7d14968e2b0fa7c5d3196e") * 2


def private(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    path.chmod(0o600)
    return path


def test_pseudonym_is_hmac_sha256_of_the_id() -> None:
    # independent recomputation with the standard library
    expected = "P-" + hmac.new(KEY, b"B04", hashlib.sha256).hexdigest()[:12]
    assert pseudonymise("B04", KEY) == expected
    # RFC 4231 test case 2 (key "Jefe") through the same construction
    mac = hmac.new(b"Jefe", b"what do ya want for nothing?", hashlib.sha256).hexdigest()
    assert mac.startswith("5bdcc146bf60754e6a042426089575c7")


def test_stable_across_calls_and_keys_matter() -> None:
    ids = [f"B{i:02d}" for i in range(1, 100)]
    a = [pseudonymise(b, KEY) for b in ids]
    assert a == [pseudonymise(b, KEY) for b in ids]
    assert len(set(a)) == len(ids)
    other = [pseudonymise(b, OTHER) for b in ids]
    assert not set(a) & set(other)


def test_not_derivable_from_the_id_alone() -> None:
    # a plain (unkeyed) hash of the id, any common encoding, never gives the pseudonym
    p = pseudonymise("B04", KEY)[2:]
    for h in (hashlib.sha256, hashlib.sha1, hashlib.md5, hashlib.blake2b):
        assert not h(b"B04").hexdigest().startswith(p)
    assert not hmac.new(b"", b"B04", hashlib.sha256).hexdigest().startswith(p)


def test_read_key(tmp_path: Path) -> None:
    f = private(tmp_path / "key.txt", b"  " + KEY.hex().encode() + b"\n")
    assert read_key(f) == KEY.hex().encode()
    with pytest.raises(ParameterError, match="not found"):
        read_key(tmp_path / "missing.txt")
    with pytest.raises(ParameterError, match="is a folder"):
        read_key(tmp_path)
    short = private(tmp_path / "short.txt", b"secret\n")
    with pytest.raises(ParameterError, match="holds 6 bytes; expected a secret of at least 16"):
        read_key(short)
    empty = private(tmp_path / "empty.txt", b"")
    with pytest.raises(ParameterError, match="holds 0 bytes"):
        read_key(empty)


@pytest.mark.parametrize(
    "weak",
    [
        b"0" * 16,  # sixteen zero digits (the issue's case)
        b"\0" * 32,  # sixteen or more zero bytes
        b"ab" * 16,  # a repeat
        b"abcabcabcabcabcabc",
        b"0123456789abcdef",  # counting
        b"0123456789abcdef0123456789abcdef",
        b"1234567890123456",
        b"aaaaaaaabbbbbbbb",
        b"abcdefabcdefabcd",
    ],
)
def test_keys_easy_to_guess_are_refused(tmp_path: Path, weak: bytes) -> None:
    assert key_weakness(weak) is not None
    f = private(tmp_path / "key.txt", weak)
    with pytest.raises(ParameterError, match=r"too easy to guess|expected a secret"):
        read_key(f)
    with pytest.raises(ParameterError, match="too weak"):
        pseudonymise("B01", weak)


def test_random_keys_are_accepted() -> None:
    # every key new_key can make, and shorter random keys in the usual encodings
    for _ in range(200):
        assert key_weakness(secrets.token_hex(32).encode()) is None
        assert key_weakness(secrets.token_bytes(16)) is None
        assert key_weakness(secrets.token_urlsafe(16).encode()) is None
    assert key_weakness(b"correct horse battery staple") is None


def test_guessed_keys_reverse_nothing_the_issue_reversed() -> None:
    # the trial: 8 guessed keys x 99 ids reversed 16 of 16 pseudonyms. Each of those
    # guesses is now refused before any pseudonym is made with it.
    guesses = [b"0" * 16, b"1" * 16, b"a" * 16, b"\0" * 16, b"0123456789abcdef",
               b"1234567890123456", b"abcdefghijklmnop", b"ab" * 8]  # fmt: skip
    for guess in guesses:
        with pytest.raises(ParameterError):
            pseudonymise("B01", guess)


def test_a_fifo_key_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "key.fifo"
    os.mkfifo(fifo)
    with pytest.raises(ParameterError, match="FIFO"):
        read_key(fifo)  # never blocks waiting for a writer


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_keys_linking_to_devices_are_refused(tmp_path: Path, device: str) -> None:
    if not Path(device).exists():
        pytest.skip(f"{device} is absent")
    link = tmp_path / "key.txt"
    link.symlink_to(device)
    with pytest.raises(ParameterError, match="character device"):
        read_key(link)


def test_a_large_file_is_not_a_key(tmp_path: Path) -> None:
    big = tmp_path / "big.key"
    with open(big, "wb") as fh:  # sparse: a gigabyte that costs nothing
        fh.truncate(1 << 30)
    with pytest.raises(ParameterError, match=f"larger than {MAX_KEY_FILE_BYTES:,} bytes"):
        read_key(big)


def test_a_key_others_can_read_gets_a_warning(tmp_path: Path) -> None:
    f = private(tmp_path / "key.txt", KEY.hex().encode())
    f.chmod(0o644)
    with pytest.warns(KeyFileWarning, match="can be read by every user.*chmod 600"):
        read_key(f)
    lines: list[str] = []
    read_key(f, warn=lines.append)
    assert len(lines) == 1 and "mode 644" in lines[0]
    f.chmod(0o600)
    read_key(f, warn=lines.append)  # private: no warning (filterwarnings = error)
    assert len(lines) == 1


def test_new_key_is_private_random_and_never_overwritten(tmp_path: Path) -> None:
    a = new_key(tmp_path / "a.key")
    b = new_key(tmp_path / "b.key")
    assert stat.S_IMODE(a.stat().st_mode) == 0o600
    ka, kb = read_key(a), read_key(b)
    assert len(ka) == 64 and int(ka, 16) >= 0 and ka != kb
    with pytest.raises(ParameterError, match="already exists; a key is never overwritten"):
        new_key(a)
    assert read_key(a) == ka
    link = tmp_path / "link.key"
    link.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(ParameterError, match="already exists"):
        new_key(link)
    assert not (tmp_path / "elsewhere").exists()
    with pytest.raises(ParameterError, match="does not exist"):
        new_key(tmp_path / "no" / "such" / "folder.key")
    with pytest.raises(ParameterError, match="data/raw"):
        new_key(tmp_path / "data" / "raw" / "x.key")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_key(tmp_path: Path) -> None:
    f = private(tmp_path / "key.txt", KEY)
    f.chmod(0)
    with pytest.raises(ParameterError, match="cannot be read"):
        read_key(f)


def test_key_path_through_a_file_is_unreadable(tmp_path: Path) -> None:
    f = private(tmp_path / "key.txt", KEY)
    with pytest.raises(ParameterError, match="cannot be read"):
        read_key(f / "inner")


def test_key_check_is_hmac_of_a_fixed_message() -> None:
    # independent recomputation with the standard library
    message = b"cma_research pseudonym key check"
    assert key_check(KEY) == hmac.new(KEY, message, hashlib.sha256).hexdigest()[:8]
    assert key_check(KEY) != key_check(OTHER)
