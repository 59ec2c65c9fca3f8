"""The study's bundled data, usable from any directory (doctests, notebooks, a shell).

The files are copies of ``data/raw/`` shipped inside the package (a test checks they
are byte-identical); ``data/raw/`` stays the study's input for the build.

- :func:`customer_wise_2007`: Table 4 of the 2007 ISBE paper (16 businesses), transcribed.
- :func:`customer_wise_2007_recruitment`: the recruitment funnel reported in the paper.
- ``customer_wise_2007_claims.yaml``: the paper's claims, transcribed (for
  :func:`cma_research.load_claims`).
- ``customer_wise_2007_two_waves_SYNTHETIC.csv`` and ``managing_customers_SYNTHETIC.csv``:
  SYNTHETIC examples (a second wave; a second instrument in words), see data/raw/README.
- ``customer_wise_2007_study.yaml``: the study file of the bundled study (a copy of the
  project's ``study.yaml``); :func:`example_study` sets it up, with its data, in a folder.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from importlib import resources
from pathlib import Path

import pandas as pd

from cma_research.core.cohort import Cohort
from cma_research.core.errors import ParameterError
from cma_research.io.recruitment import load_recruitment
from cma_research.io.returns import load_returns
from cma_research.io.study import STUDY_FILE

__all__ = [
    "bundled_manuscript",
    "bundled_path",
    "customer_wise_2007",
    "customer_wise_2007_recruitment",
    "example_study",
]

_FILES = (
    "customer_wise_2007.csv",
    "customer_wise_2007_recruitment.csv",
    "customer_wise_2007_claims.yaml",
    "customer_wise_2007_two_waves_SYNTHETIC.csv",
    "managing_customers_SYNTHETIC.csv",
    "customer_wise_2007_study.yaml",
)
# The files the bundled study reads, where its study file expects them.
_STUDY_DATA = (
    "customer_wise_2007.csv",
    "customer_wise_2007_recruitment.csv",
    "customer_wise_2007_claims.yaml",
)


def bundled_path(name: str) -> Path:
    """The installed path of a bundled data file (``customer_wise_2007.csv``, ...).

    >>> bundled_path("customer_wise_2007.csv").name
    'customer_wise_2007.csv'
    """
    if name not in _FILES:
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


def bundled_manuscript() -> Path:
    """The bundled study's manuscript (``paper.md``, shipped as ``cma_research.manuscript``).

    >>> bundled_manuscript().name
    'paper.md'
    """
    from importlib import resources

    return Path(str(resources.files("cma_research.manuscript").joinpath("paper.md")))


def example_study(folder: str | Path) -> Path:
    """Set up the bundled 2007 study in ``folder``: its study file and its data.

    Writes ``study.yaml``, ``data/raw/`` (the returns, the recruitment funnel and the
    claims, copies of the bundled files) and ``manuscript/paper.md`` (the bundled study's
    paper), so that ``cma-research build`` run there builds the bundled study and its
    paper into ``folder/reports``. Existing files are not replaced.

    Returns
    -------
    Path
        The study file.

    Raises
    ------
    ParameterError
        When ``folder`` already holds a study file or one of the data files.

    Examples
    --------
    >>> import tempfile
    >>> from cma_research.io.study import load_study
    >>> study = load_study(example_study(tempfile.mkdtemp()))
    >>> study.returns.name, study.recruitment.name
    ('customer_wise_2007.csv', 'customer_wise_2007_recruitment.csv')
    """
    root = Path(folder)
    files = {root / STUDY_FILE: bundled_path("customer_wise_2007_study.yaml")}
    files |= {root / "data" / "raw" / name: bundled_path(name) for name in _STUDY_DATA}
    files[root / "manuscript" / "paper.md"] = bundled_manuscript()
    present = [str(p.relative_to(root)) for p in files if p.exists()]
    if present:
        raise ParameterError(
            f"{folder}: already holds {', '.join(present)}; choose an empty folder for the "
            "example study"
        )
    for target, source in files.items():
        # a new study's raw data are put in place once (never replaced: checked above);
        # nothing writes to data/raw/ afterwards
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return root / STUDY_FILE
