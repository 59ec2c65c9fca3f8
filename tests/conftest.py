"""Shared fixtures: the bundled data, its cohort, and a seeded generator."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import cma_research as cma
from tests.paths import BUNDLED

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


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    """Every test starts and ends with no open matplotlib figure."""
    import matplotlib.pyplot as plt

    yield
    plt.close("all")
