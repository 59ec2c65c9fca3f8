"""Keyed pseudonyms for business ids (HMAC-SHA256 with a key kept outside the data).

A pseudonym depends on the id and a secret key only: the same id gets the same
pseudonym in every wave, run and batch made with the same key, and without the key it
cannot be computed from the id (unlike a plain hash, which anyone can recompute for
every plausible id such as ``B01`` ... ``B99``). The business reports
(:mod:`cma_research.reporting.business_pages`) show them instead of ids, and their
disclosure manifest records :func:`key_check`, so that two batches can be seen to share
a key without the key being written anywhere.

**What a key is.** A key is a secret: 32 random bytes written as 64 hex digits in a
small text file that only you can read (:func:`new_key`, ``cma-research key new
FILE``). Whoever holds it can turn every plausible id into its pseudonym and so map
pseudonyms back to businesses; whoever lacks it cannot. Keep it away from the returns
and the reports (a key inside the output folder is refused), back it up (a lost key
means new pseudonyms for every business), and use the same key for every wave and
batch whose pages should agree. A key file must be a small regular file (not a
folder, FIFO or device) of at most :data:`MAX_KEY_FILE_BYTES` bytes; a key shorter
than :data:`MIN_KEY_BYTES` bytes or easy to guess (runs, repeats and counting
sequences such as ``0000…``, ``abab…``, ``0123456789abcdef``: fewer than
:data:`MIN_DISTINCT` different bytes or steps between bytes) is refused, and a key file
that other users may read gets a warning.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
import os
import secrets
import stat
import warnings
from collections.abc import Callable
from pathlib import Path

from cma_research.core.errors import ParameterError
from cma_research.core.files import guard_not_raw, read_small_file

__all__ = [
    "MAX_KEY_FILE_BYTES",
    "MIN_DISTINCT",
    "MIN_KEY_BYTES",
    "PSEUDONYM_PREFIX",
    "KeyFileWarning",
    "key_check",
    "key_weakness",
    "new_key",
    "pseudonymise",
    "read_key",
]

#: Shortest key accepted (bytes, after stripping surrounding white space).
MIN_KEY_BYTES = 16
#: Largest key file read (a key is 64 hex digits; anything much larger is not a key).
MAX_KEY_FILE_BYTES = 4096
#: Fewest different byte values, and different steps between consecutive bytes, a key
#: must have (a random key of 16 hex digits has about 10 of each).
MIN_DISTINCT = 6
#: Every pseudonym starts with this, so a reader never mistakes it for a real id.
PSEUDONYM_PREFIX = "P-"
_DIGITS = 12  # hex digits kept: 48 bits, collision-free for any realistic programme
_KEY_CHECK_MESSAGE = b"cma_research pseudonym key check"
_HOW = "make one with: cma-research key new FILE"


class KeyFileWarning(UserWarning):
    """Raised (as a warning) when a key file can be read by other users."""


def key_weakness(key: bytes) -> str | None:
    """Why ``key`` is too weak to pseudonymise with, or None when it is acceptable.

    Refused: fewer than :data:`MIN_KEY_BYTES` bytes, fewer than :data:`MIN_DISTINCT`
    different byte values (``0000000000000000``, ``abababab…``), or fewer than
    :data:`MIN_DISTINCT` different steps between consecutive bytes (counting sequences
    such as ``0123456789abcdef`` or ``1234567890123456``). Such keys are among the first
    a person trying to reverse pseudonyms would guess.

    Examples
    --------
    >>> key_weakness(b"0" * 16)
    'it has 1 different byte value(s); a key needs at least 6'
    >>> key_weakness(b"0123456789abcdef")
    'it is a run or a counting sequence (2 different steps between bytes; at least 6 needed)'
    >>> key_weakness(bytes.fromhex("8f3a5c0e1b7d9264f0a1c3e5d7b98642")) is None
    True
    """
    if len(key) < MIN_KEY_BYTES:
        return f"it holds {len(key)} bytes; a key needs at least {MIN_KEY_BYTES}"
    distinct = len(set(key))
    if distinct < MIN_DISTINCT:
        return f"it has {distinct} different byte value(s); a key needs at least {MIN_DISTINCT}"
    steps = len({(b - a) % 256 for a, b in itertools.pairwise(key)})
    if steps < MIN_DISTINCT:
        return (
            f"it is a run or a counting sequence ({steps} different steps between bytes; "
            f"at least {MIN_DISTINCT} needed)"
        )
    return None


def read_key(path: str | Path, *, warn: Callable[[str], None] | None = None) -> bytes:
    """The pseudonymisation key stored in ``path``.

    Make one with ``cma-research key new FILE`` (:func:`new_key`) and keep it away from
    the returns and the reports: whoever holds it can map pseudonyms back to ids by
    trying every id. Surrounding white space is ignored.

    Parameters
    ----------
    path : str or Path
        The key file: a small regular file (at most :data:`MAX_KEY_FILE_BYTES` bytes).
    warn : callable, optional
        Called with one line when other users may read the file (default: a
        :class:`KeyFileWarning`).

    Raises
    ------
    ParameterError
        When the file is missing, unreadable, a folder, a FIFO or device (also through
        a symbolic link, e.g. to ``/dev/zero``), larger than a key file can be, or holds
        a key that is too short or too easy to guess (:func:`key_weakness`).
    """
    p = Path(path)
    try:
        raw = read_small_file(p, MAX_KEY_FILE_BYTES)
        mode = os.stat(p).st_mode
    except FileNotFoundError:
        raise ParameterError(
            f"key file {p} not found; expected a file holding a secret key ({_HOW})"
        ) from None
    except IsADirectoryError:
        raise ParameterError(
            f"key file {p} is a folder; expected a file holding a secret key ({_HOW})"
        ) from None
    except ValueError as exc:
        raise ParameterError(
            f"key file: {exc}; expected a small regular file holding a secret key ({_HOW})"
        ) from None
    except OSError as exc:
        raise ParameterError(f"key file {p} cannot be read ({exc.strerror})") from None
    key = raw.strip()
    if len(key) < MIN_KEY_BYTES:
        raise ParameterError(
            f"key file {p} holds {len(key)} bytes; expected a secret of at least "
            f"{MIN_KEY_BYTES} bytes (64 hex digits: {_HOW})"
        )
    weakness = key_weakness(key)
    if weakness is not None:
        raise ParameterError(f"key file {p}: the key is too easy to guess: {weakness} ({_HOW})")
    if mode & stat.S_IROTH:
        message = (
            f"key file {p} can be read by every user of this computer "
            f"(mode {stat.S_IMODE(mode):o}); make it private: chmod 600 {p}"
        )
        if warn is None:
            warnings.warn(message, KeyFileWarning, stacklevel=2)
        else:
            warn(message)
    return key


def new_key(path: str | Path) -> Path:
    """Write a new random key to ``path``: 64 hex digits, readable by its owner only.

    Never overwrites: an existing file (or link) at ``path`` is refused, as is a path
    inside ``data/raw/`` or in a folder that does not exist.

    Returns
    -------
    Path
        The key file.

    Raises
    ------
    ParameterError
        ``path`` exists, its folder does not, it lies in ``data/raw/``, or it cannot be
        written.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     f = new_key(Path(d) / "cma.key")
    ...     oct(f.stat().st_mode & 0o777), len(read_key(f))
    ('0o600', 64)
    """
    p = Path(path)
    guard_not_raw(p)
    if p.exists() or p.is_symlink():
        raise ParameterError(
            f"{p} already exists; a key is never overwritten (pseudonyms made with it would "
            "be lost): choose another file name"
        )
    if not p.parent.is_dir():
        raise ParameterError(f"{p}: the folder {p.parent} does not exist")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(p, flags, 0o600)
    except OSError as exc:
        raise ParameterError(f"{p} cannot be written ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_hex(32) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(p, 0o600)  # whatever the umask
    except OSError as exc:
        with contextlib.suppress(OSError):
            p.unlink()
        raise ParameterError(f"{p} cannot be written ({exc.strerror})") from None
    return p


def _checked(key: bytes) -> bytes:
    if not isinstance(key, bytes | bytearray):
        raise ParameterError(f"the key must be bytes (read_key(path)), not {type(key).__name__}")
    weakness = key_weakness(bytes(key))
    if weakness is not None:
        raise ParameterError(f"the key is too weak: {weakness} ({_HOW})")
    return bytes(key)


def pseudonymise(business_id: str, key: bytes) -> str:
    """The keyed pseudonym of a business id: ``P-`` and 12 hex digits of HMAC-SHA256.

    The key is checked as :func:`read_key` checks it (:func:`key_weakness`).

    Examples
    --------
    >>> key = bytes.fromhex("8f3a5c0e1b7d9264f0a1c3e5d7b98642")
    >>> pseudonymise("B04", key)
    'P-...'
    >>> pseudonymise("B04", key) == pseudonymise("B04", key) != pseudonymise("B05", key)
    True
    """
    mac = hmac.new(_checked(key), str(business_id).encode("utf-8", "surrogatepass"), hashlib.sha256)
    return PSEUDONYM_PREFIX + mac.hexdigest()[:_DIGITS]


def key_check(key: bytes) -> str:
    """A short check value of a key: 8 hex digits of HMAC-SHA256 of a fixed message.

    Equal keys give equal check values, so two disclosure manifests show whether their
    pseudonyms were made with the same key; the key cannot be recovered from it.

    Examples
    --------
    >>> key = bytes.fromhex("8f3a5c0e1b7d9264f0a1c3e5d7b98642")
    >>> key_check(key) == key_check(bytes(key))
    True
    >>> len(key_check(key))
    8
    """
    return hmac.new(key, _KEY_CHECK_MESSAGE, hashlib.sha256).hexdigest()[:8]
