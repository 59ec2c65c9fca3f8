"""Keyed pseudonyms for business ids (HMAC-SHA256 with a key kept outside the data).

A pseudonym depends on the id and a secret key only: the same id gets the same
pseudonym in every wave, run and batch made with the same key, and without the key it
cannot be computed from the id (unlike a plain hash, which anyone can recompute for
every plausible id such as ``B01`` ... ``B99``). The business reports
(:mod:`cma_research.reporting.business_pages`) show them instead of ids, and their
disclosure manifest records :func:`key_check`, so that two batches can be seen to share
a key without the key being written anywhere.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from cma_research.core.errors import ParameterError

__all__ = ["MIN_KEY_BYTES", "PSEUDONYM_PREFIX", "key_check", "pseudonymise", "read_key"]

#: Shortest key accepted (bytes, after stripping surrounding white space).
MIN_KEY_BYTES = 16
#: Every pseudonym starts with this, so a reader never mistakes it for a real id.
PSEUDONYM_PREFIX = "P-"
_DIGITS = 12  # hex digits kept: 48 bits, collision-free for any realistic programme
_KEY_CHECK_MESSAGE = b"cma_research pseudonym key check"


def read_key(path: str | Path) -> bytes:
    """The pseudonymisation key stored in ``path``.

    Make one with ``python -c "import secrets; print(secrets.token_hex(32))" > key.txt``
    and keep it away from the returns and the reports: whoever holds it can map
    pseudonyms back to ids by trying every id.

    Raises
    ------
    ParameterError
        When the file is missing, unreadable, or holds fewer than
        :data:`MIN_KEY_BYTES` bytes.
    """
    p = Path(path)
    try:
        key = p.read_bytes().strip()
    except FileNotFoundError:
        raise ParameterError(
            f"key file {p} not found; expected a file holding a secret key"
        ) from None
    except IsADirectoryError:
        raise ParameterError(
            f"key file {p} is a folder; expected a file holding a secret key"
        ) from None
    except OSError as exc:
        raise ParameterError(f"key file {p} cannot be read ({exc.strerror})") from None
    if len(key) < MIN_KEY_BYTES:
        raise ParameterError(
            f"key file {p} holds {len(key)} bytes; expected a secret of at least "
            f"{MIN_KEY_BYTES} bytes (e.g. 64 hex digits from secrets.token_hex(32))"
        )
    return key


def pseudonymise(business_id: str, key: bytes) -> str:
    """The keyed pseudonym of a business id: ``P-`` and 12 hex digits of HMAC-SHA256.

    Examples
    --------
    >>> key = b"0123456789abcdef0123456789abcdef"
    >>> pseudonymise("B04", key)
    'P-...'
    >>> pseudonymise("B04", key) == pseudonymise("B04", key) != pseudonymise("B05", key)
    True
    """
    if len(key) < MIN_KEY_BYTES:
        raise ParameterError(f"the key holds {len(key)} bytes; expected at least {MIN_KEY_BYTES}")
    mac = hmac.new(key, str(business_id).encode("utf-8", "surrogatepass"), hashlib.sha256)
    return PSEUDONYM_PREFIX + mac.hexdigest()[:_DIGITS]


def key_check(key: bytes) -> str:
    """A short check value of a key: 8 hex digits of HMAC-SHA256 of a fixed message.

    Equal keys give equal check values, so two disclosure manifests show whether their
    pseudonyms were made with the same key; the key cannot be recovered from it.

    Examples
    --------
    >>> key_check(b"0123456789abcdef0123456789abcdef") == key_check(b"0123456789abcdef" * 2)
    True
    >>> len(key_check(b"0123456789abcdef0123456789abcdef"))
    8
    """
    return hmac.new(key, _KEY_CHECK_MESSAGE, hashlib.sha256).hexdigest()[:8]
