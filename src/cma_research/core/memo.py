"""A result cache shared by a build's kernels: an analysis computed once is loaded after.

The build runs each notebook in its own kernel, and several notebooks compute the same
analysis of the same data (the size correlation with its BCa interval and permutation
p in ``00``, ``05`` and ``07``; the multiple imputations of the ``multiple`` strategy in
``01`` and ``05``), and a rebuild after a changed parameter runs a notebook again whose
slowest analyses did not depend on it (the power simulations of ``07``). With
``CMA_RESULT_CACHE`` naming a folder (the build sets it for its kernels: one folder per
version of the package's source and of the stack, under the build cache), a function
decorated with :func:`memoize` stores each result under a key made of its name and the
*content* of its arguments, and a later call with equal arguments, in any process,
loads it instead of computing it. Without the variable
nothing is read or written: every result is computed, as before.

Only deterministic functions are decorated: a seed is an argument, no random generator
is passed in or advanced, nothing is printed or shown. Results are stored with
:mod:`pickle`, so a loaded result equals the computed one bit for bit. A call that
raises any warning is not stored (its warnings are part of what the notebook shows): it
is computed again with the warnings filters as they were. Loading and computing both
run inside :class:`warnings.catch_warnings`, which resets Python's "once per location"
warning registries, as the decorated analyses' own ``catch_warnings`` blocks do. A
cache file that cannot be read is ignored and written again; one that cannot be written
is no cache.

The folder holds pickles, and loading a pickle runs code: every file is signed with
HMAC-SHA256 under ``CMA_RESULT_KEY`` (hex; the build derives it from the project's
cache key, which never enters the cache), and a file whose signature does not match is
never unpickled, only computed again and overwritten. Without a key nothing is read or
written, as without a folder.

Keys are content hashes (:func:`content_key`): NumPy arrays by dtype, shape and bytes;
pandas objects by their values, dtypes and labels (the same data loaded twice gives the
same key, whatever pandas cached on it in between); dataclasses by their fields; plain
values by type and ``repr``. An argument of any other type (a random generator, a
function) leaves the call uncached.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import functools
import hashlib
import hmac
import inspect
import os
import pickle
import warnings
from collections.abc import Callable
from pathlib import Path, PurePath
from typing import Any, TypeVar

from cma_research.core.files import write_atomic

__all__ = [
    "RESULT_CACHE_ENV",
    "RESULT_KEY_ENV",
    "Uncacheable",
    "cache_folder",
    "content_key",
    "memoize",
]

#: Folder of the result cache of this process (set by the build for its kernels).
RESULT_CACHE_ENV = "CMA_RESULT_CACHE"
#: Key (hex) that signs the result cache's files (set by the build with the folder).
RESULT_KEY_ENV = "CMA_RESULT_KEY"
_MAC_BYTES = 32

F = TypeVar("F", bound=Callable[..., Any])


class Uncacheable(TypeError):
    """Raised by :func:`content_key` for a value it cannot hash by content."""


def cache_folder() -> Path | None:
    """The result cache in use: ``$CMA_RESULT_CACHE``, or None (results not cached)."""
    chosen = os.environ.get(RESULT_CACHE_ENV)
    return Path(chosen) if chosen else None


def _feed(h: Any, value: Any) -> None:
    """Feed a canonical encoding of ``value`` to the hash ``h``."""
    import numpy as np

    def tag(text: str) -> None:
        h.update(text.encode() + b"\0")

    if value is None or isinstance(value, bool | int | float | complex | str | bytes):
        tag(f"{type(value).__name__}:{value!r}")
    elif isinstance(value, enum.Enum | PurePath):
        tag(f"{type(value).__qualname__}:{value!r}")
    elif isinstance(value, np.generic):
        tag(f"np:{value.dtype.str}:{value!r}")
    elif isinstance(value, np.ndarray):
        tag(f"ndarray:{value.dtype.str}:{value.shape}")
        if value.dtype.hasobject:
            for item in value.ravel(order="C").tolist():
                _feed(h, item)
        else:
            h.update(np.ascontiguousarray(value).tobytes())
    elif isinstance(value, list | tuple):
        tag(f"{type(value).__name__}:{len(value)}")
        for item in value:
            _feed(h, item)
    elif isinstance(value, dict):
        tag(f"dict:{len(value)}")
        items = []
        for k, v in value.items():
            kh = hashlib.sha256()
            _feed(kh, k)
            items.append((kh.digest(), v))
        for digest, v in sorted(items, key=lambda kv: kv[0]):
            h.update(digest)
            _feed(h, v)
    elif isinstance(value, frozenset | set):
        tag(f"{type(value).__name__}:{len(value)}")
        digests = []
        for item in value:
            ih = hashlib.sha256()
            _feed(ih, item)
            digests.append(ih.digest())
        for digest in sorted(digests):
            h.update(digest)
    elif type(value).__module__.split(".")[0] == "pandas":
        _feed_pandas(h, value)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        tag(f"dataclass:{type(value).__module__}.{type(value).__qualname__}")
        for f in dataclasses.fields(value):
            tag(f.name)
            _feed(h, getattr(value, f.name))
    else:
        raise Uncacheable(f"cannot hash a {type(value).__qualname__} by its content")


def _feed_pandas(h: Any, value: Any) -> None:
    import pandas as pd

    def tag(text: str) -> None:
        h.update(text.encode() + b"\0")

    if isinstance(value, pd.DataFrame):
        tag(f"DataFrame:{value.shape}")
        _feed(h, [str(d) for d in value.dtypes])
        _feed_pandas(h, value.columns)
        _feed_pandas(h, value.index)
        for i in range(value.shape[1]):
            _feed_pandas(h, value.iloc[:, i].reset_index(drop=True))
    elif isinstance(value, pd.Series):
        tag(f"Series:{value.dtype}:{len(value)}")
        _feed(h, value.name)
        _feed_pandas(h, value.index)
        h.update(pd.util.hash_pandas_object(value, index=False).to_numpy().tobytes())
    elif isinstance(value, pd.MultiIndex):
        tag(f"MultiIndex:{len(value)}")
        _feed(h, list(value.names))
        for level in range(value.nlevels):
            _feed_pandas(h, value.get_level_values(level))
    elif isinstance(value, pd.Index):
        tag(f"Index:{value.dtype}:{len(value)}")
        _feed(h, value.name)
        h.update(pd.util.hash_pandas_object(value, index=False).to_numpy().tobytes())
    elif value is pd.NA or value is pd.NaT or isinstance(value, pd.Timestamp | pd.Timedelta):
        tag(f"{type(value).__qualname__}:{value!r}")
    else:
        raise Uncacheable(f"cannot hash a {type(value).__qualname__} by its content")


def content_key(*values: Any) -> str:
    """SHA-256 of the content of ``values`` (see the module documentation).

    >>> import numpy as np
    >>> content_key(np.arange(3), {"seed": 1}) == content_key(np.arange(3), {"seed": 1})
    True
    >>> content_key(np.arange(3)) == content_key(np.arange(3.0))
    False

    Raises
    ------
    Uncacheable
        For a value of a type that cannot be hashed by content.
    """
    h = hashlib.sha256()
    _feed(h, list(values))
    return h.hexdigest()


_MISSING = object()


def _result_key() -> bytes | None:
    """The signing key of this process's result cache, or None (results not cached)."""
    text = os.environ.get(RESULT_KEY_ENV, "")
    try:
        key = bytes.fromhex(text)
    except ValueError:
        return None
    return key if len(key) >= 16 else None


def _signed(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest() + data


def _load(path: Path, key: bytes) -> Any:
    """The result stored at ``path``, or ``_MISSING`` (absent, unreadable, damaged, or
    not signed with ``key``: never unpickled)."""
    # inside catch_warnings as the computation is: "once per location" warning
    # registries are reset alike whether a result is loaded or computed
    with warnings.catch_warnings():
        try:
            with open(path, "rb") as fh:
                raw = fh.read()
            mac, data = raw[:_MAC_BYTES], raw[_MAC_BYTES:]
            if not hmac.compare_digest(mac, hmac.new(key, data, hashlib.sha256).digest()):
                return _MISSING
            return pickle.loads(data)
        except Exception:  # whatever is wrong with it, it is computed again
            return _MISSING


def memoize(func: F) -> F:
    """Cache ``func``'s results in :func:`cache_folder` (when there is one), by content.

    The arguments are bound to ``func``'s signature with its defaults, so a call with a
    default spelled out and one without share a result.
    """
    signature = inspect.signature(func)
    where = f"{func.__module__}.{func.__qualname__}"

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        folder, secret = cache_folder(), _result_key()
        if folder is None or secret is None:
            return func(*args, **kwargs)
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        try:
            key = content_key(where, dict(bound.arguments))
        except Uncacheable:
            return func(*args, **kwargs)
        path = folder / where / f"{key}.pkl"
        found = _load(path, secret)
        if found is not _MISSING:
            return found
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = func(*args, **kwargs)
        if caught:  # its warnings are part of what the notebook shows: compute it as it was
            return func(*args, **kwargs)
        with contextlib.suppress(Exception):  # a cache that cannot be written is no cache
            path.parent.mkdir(parents=True, exist_ok=True)
            data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
            write_atomic(path, _signed(secret, data))
        return result

    return wrapper  # type: ignore[return-value]
