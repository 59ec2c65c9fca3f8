"""Keyed pseudonyms: HMAC-SHA256, stable, not derivable from the id alone."""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

import pytest

from cma_research.core.errors import ParameterError
from cma_research.reporting.pseudonym import key_check, pseudonymise, read_key

KEY = b"k" * 32


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
    other = [pseudonymise(b, b"j" * 32) for b in ids]
    assert not set(a) & set(other)


def test_not_derivable_from_the_id_alone() -> None:
    # a plain (unkeyed) hash of the id, any common encoding, never gives the pseudonym
    p = pseudonymise("B04", KEY)[2:]
    for h in (hashlib.sha256, hashlib.sha1, hashlib.md5, hashlib.blake2b):
        assert not h(b"B04").hexdigest().startswith(p)
    assert not hmac.new(b"", b"B04", hashlib.sha256).hexdigest().startswith(p)


def test_read_key(tmp_path: Path) -> None:
    f = tmp_path / "key.txt"
    f.write_bytes(b"  " + KEY + b"\n")
    assert read_key(f) == KEY
    with pytest.raises(ParameterError, match="not found"):
        read_key(tmp_path / "missing.txt")
    with pytest.raises(ParameterError, match="is a folder"):
        read_key(tmp_path)
    short = tmp_path / "short.txt"
    short.write_bytes(b"secret\n")
    with pytest.raises(ParameterError, match="holds 6 bytes; expected a secret of at least 16"):
        read_key(short)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(ParameterError, match="holds 0 bytes"):
        read_key(empty)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_key(tmp_path: Path) -> None:
    f = tmp_path / "key.txt"
    f.write_bytes(KEY)
    f.chmod(0)
    with pytest.raises(ParameterError, match="cannot be read"):
        read_key(f)


def test_key_path_through_a_file_is_unreadable(tmp_path: Path) -> None:
    f = tmp_path / "key.txt"
    f.write_bytes(KEY)
    with pytest.raises(ParameterError, match="cannot be read"):
        read_key(f / "inner")


def test_key_check_is_hmac_of_a_fixed_message() -> None:
    # independent recomputation with the standard library
    message = b"cma_research pseudonym key check"
    assert key_check(KEY) == hmac.new(KEY, message, hashlib.sha256).hexdigest()[:8]
    assert key_check(KEY) != key_check(b"j" * 32)
