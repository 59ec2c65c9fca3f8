"""Shared fixtures: the bundled data, its cohort, a seeded generator, headless Chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import cma_research as cma
from tests.paths import BUNDLED
from tests.pipeline.clients import find_chromium

os.environ.setdefault("MPLBACKEND", "Agg")  # no display needed, ever


@pytest.fixture(scope="session")
def bundled_path() -> Path:
    return BUNDLED


@pytest.fixture
def cohort() -> cma.Cohort:
    return cma.load_returns(BUNDLED)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20071123)


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of headless Chromium; the test is skipped (naming the command) without it."""
    path, reason = find_chromium()
    if path is None:
        pytest.skip(reason)
    return path


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    """Every test starts and ends with no open matplotlib figure."""
    import matplotlib.pyplot as plt

    yield
    plt.close("all")
