"""The study's bundled data, usable from any directory (doctests, notebooks, a shell).

The files are copies of ``data/raw/`` shipped inside the package (a test checks they
are byte-identical); ``data/raw/`` stays the study's input for the build.

- :func:`customer_wise_2007`: Table 4 of the 2007 ISBE paper (16 businesses), transcribed.
- :func:`customer_wise_2007_recruitment`: the recruitment funnel reported in the paper.
- ``customer_wise_2007_claims.yaml``: the paper's claims, transcribed (for
  :func:`cma_research.load_claims`).
- ``customer_wise_2007_two_waves_SYNTHETIC.csv`` and ``managing_customers_SYNTHETIC.csv``:
  SYNTHETIC examples (a second wave; a second instrument in words), see data/raw/README.
"""

from __future__ import annotations

from dataclasses import replace
from importlib import resources
from pathlib import Path

import pandas as pd

from cma_research.core.cohort import Cohort
from cma_research.io.recruitment import load_recruitment
from cma_research.io.returns import load_returns

__all__ = ["bundled_path", "customer_wise_2007", "customer_wise_2007_recruitment"]

_FILES = (
    "customer_wise_2007.csv",
    "customer_wise_2007_recruitment.csv",
    "customer_wise_2007_claims.yaml",
    "customer_wise_2007_two_waves_SYNTHETIC.csv",
    "managing_customers_SYNTHETIC.csv",
)


def bundled_path(name: str) -> Path:
    """The installed path of a bundled data file (``customer_wise_2007.csv``, ...).

    >>> bundled_path("customer_wise_2007.csv").name
    'customer_wise_2007.csv'
    """
    if name not in _FILES:
        from cma_research.core.errors import ParameterError

        raise ParameterError(f"no bundled file {name!r}; expected one of: {', '.join(_FILES)}")
    return Path(str(resources.files("cma_research.datasets") / "data" / name))


def customer_wise_2007() -> Cohort:
    """Table 4 of the 2007 paper as a validated Cohort (Customer Wise returns).

    Its source is recorded as the file name, never a local path.

    >>> cohort = customer_wise_2007()
    >>> cohort.n_businesses, cohort.source.path
    (16, 'customer_wise_2007.csv')
    """
    cohort = load_returns(bundled_path("customer_wise_2007.csv"))
    return replace(cohort, source=replace(cohort.source, path="customer_wise_2007.csv"))


def customer_wise_2007_recruitment() -> pd.DataFrame:
    """The paper's recruitment funnel (see :func:`cma_research.load_recruitment`).

    >>> customer_wise_2007_recruitment()["count"].iloc[0] > 0
    np.True_
    """
    return load_recruitment(bundled_path("customer_wise_2007_recruitment.csv"))
