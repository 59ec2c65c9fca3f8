"""The result cache: keys by content, results equal bit for bit, off unless asked for."""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cma_research as cma
from cma_research.core.memo import (
    RESULT_CACHE_ENV,
    RESULT_KEY_ENV,
    Uncacheable,
    content_key,
    memoize,
)
from cma_research.missing.strategies import clean
from tests.paths import BUNDLED

CALLS: list[tuple[int, int]] = []


@memoize
def _add(a: int, b: int = 2) -> pd.DataFrame:
    CALLS.append((a, b))
    return pd.DataFrame({"sum": [a + b], "x": [0.1 * a]})


@memoize
def _warns(a: int) -> int:
    CALLS.append((a, -1))
    warnings.warn(f"careful with {a}", UserWarning, stacklevel=2)
    return a


@pytest.fixture
def results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    CALLS.clear()
    monkeypatch.setenv(RESULT_CACHE_ENV, str(tmp_path / "results"))
    monkeypatch.setenv(RESULT_KEY_ENV, "ab" * 32)
    return tmp_path / "results"


def test_equal_content_gives_equal_keys_whatever_was_done_with_it(tmp_path: Path) -> None:
    from cma_research.reporting.notebook import setup

    def notebook_cohort() -> cma.Cohort:  # as the notebooks load it
        return setup("00", returns_path=str(BUNDLED), output_dir=str(tmp_path)).cohort

    a = notebook_cohort()
    before = content_key(a)
    # pandas caches things on frames and indexes as they are used (and the pickle of a
    # frame may change with them); the key is of the content only
    cma.business_scores(a)
    cma.correlate(a, n_boot=50, n_perm=50)
    assert content_key(a) == content_key(notebook_cohort()) == before


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (np.arange(3), np.arange(3.0)),  # dtype
        (np.arange(3), np.arange(3).reshape(3, 1)),  # shape
        (pd.Series([1, 2], dtype="Int64"), pd.Series([1, None], dtype="Int64")),  # a blank
        (pd.Series([1, 2], dtype="Int64"), pd.Series([1, 2], dtype="Int64", name="s")),  # name
        (pd.Series([1, 2]), pd.Series([1, 2], index=[1, 0])),  # index
        (pd.DataFrame({"a": [1]}), pd.DataFrame({"b": [1]})),  # column label
        (pd.DataFrame({"a": [1], "b": [2]}), pd.DataFrame({"b": [2], "a": [1]})),  # order
        ({"seed": 1}, {"seed": 2}),
        ((1, "a"), [1, "a"]),  # tuple or list
        (1, 1.0),
        (0.1 + 0.2, 0.3),  # the exact float
    ],
)
def test_different_content_gives_different_keys(one: object, other: object) -> None:
    assert content_key(one) != content_key(other)


def test_dicts_are_keyed_whatever_their_order() -> None:
    assert content_key({"a": 1, "b": 2}) == content_key({"b": 2, "a": 1})


@pytest.mark.parametrize("value", [np.random.default_rng(1), print, object()])
def test_values_without_content_are_uncacheable(value: object) -> None:
    with pytest.raises(Uncacheable):
        content_key(value)


def test_without_a_folder_every_call_computes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(RESULT_CACHE_ENV, raising=False)
    CALLS.clear()
    _add(1)
    _add(1)
    assert CALLS == [(1, 2), (1, 2)]


def test_a_result_is_computed_once_and_loaded_equal(results: Path) -> None:
    first = _add(1)
    again = _add(1, b=2)  # the default spelled out: the same call
    assert CALLS == [(1, 2)]
    assert pickle.dumps(first) == pickle.dumps(again)
    assert again is not first  # a copy the caller may change
    _add(2)
    assert CALLS == [(1, 2), (2, 2)]
    assert len(list(results.rglob("*.pkl"))) == 2


def test_a_damaged_result_is_computed_again(results: Path) -> None:
    _add(1)
    (stored,) = results.rglob("*.pkl")
    stored.write_bytes(b"not a pickle")
    assert _add(1)["sum"].tolist() == [3]
    assert CALLS == [(1, 2), (1, 2)]
    assert pickle.loads(stored.read_bytes()[32:])["sum"].tolist() == [3]  # written again


class _Boom:
    """A pickle that runs code when loaded."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (CALLS.append, ("unpickled!",))


def test_a_result_not_signed_with_the_key_is_never_unpickled(
    results: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _add(1)
    (stored,) = results.rglob("*.pkl")
    # whoever can write the cache but lacks the key: a bare pickle, or one signed with
    # another key, is computed again and overwritten; its code never runs
    for forged in (pickle.dumps(_Boom()), b"\0" * 32 + pickle.dumps(_Boom())):
        stored.write_bytes(forged)
        assert _add(1)["sum"].tolist() == [3]
        assert "unpickled!" not in CALLS
    monkeypatch.setenv(RESULT_KEY_ENV, "cd" * 32)  # another key: nothing matches
    CALLS.clear()
    _add(1)
    assert CALLS == [(1, 2)]


def test_a_folder_without_a_key_is_no_cache(results: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for bad in (None, "not hex", "ab" * 4):  # no key, a malformed one, a short one
        if bad is None:
            monkeypatch.delenv(RESULT_KEY_ENV)
        else:
            monkeypatch.setenv(RESULT_KEY_ENV, bad)
        _add(7)
    assert CALLS == [(7, 2)] * 3
    assert not results.exists()


def test_a_call_that_warns_is_not_stored_and_still_warns(results: Path) -> None:
    for _ in range(2):
        with pytest.warns(UserWarning, match="careful with 5"):
            assert _warns(5) == 5
    assert not list(results.rglob("*.pkl"))


def test_a_folder_that_cannot_be_written_is_no_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the folder would be")
    monkeypatch.setenv(RESULT_CACHE_ENV, str(blocker / "results"))
    CALLS.clear()
    assert _add(3)["sum"].tolist() == [5]
    assert _add(3)["sum"].tolist() == [5]
    assert CALLS == [(3, 2), (3, 2)]


def test_a_cached_correlation_equals_the_computed_one(results: Path) -> None:
    cohort = cma.load_returns(BUNDLED)
    kwargs = {"seed": 3, "n_boot": 500, "n_perm": 500}
    computed = cma.correlate(cohort, "staff", "mean", **kwargs)
    assert len(list(results.rglob("*.pkl"))) == 1
    loaded = cma.correlate(cma.load_returns(BUNDLED), "staff", "mean", **kwargs)
    pd.testing.assert_frame_equal(loaded, computed, check_exact=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(RESULT_CACHE_ENV)
        pd.testing.assert_frame_equal(
            cma.correlate(cohort, "staff", "mean", **kwargs), loaded, check_exact=True
        )


def test_imputations_are_stored_for_the_other_kernels(results: Path) -> None:
    cohort = cma.load_returns(BUNDLED)
    computed = [c.scores for c in clean(cohort, "multiple", m=3, seed=4104).cohorts]
    (stored,) = results.glob("*_mice_pmm/*.pkl")
    loaded = pickle.loads(stored.read_bytes()[32:])  # after its HMAC-SHA256
    assert len(loaded) == len(computed) == 3
    for a, b in zip(loaded, computed, strict=True):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
