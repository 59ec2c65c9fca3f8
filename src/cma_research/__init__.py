"""cma_research: analyse Customer Management Audit (CMA) cohort studies.

Load audit returns against an instrument, report and handle not-assessed stages with
explicit strategies, and write reproducible outputs.

>>> import cma_research as cma
>>> cohort = cma.load_returns("data/raw/customer_wise_2007.csv")
>>> cma.clean(cohort, "complete_case").cohort.n_businesses
12
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cma_research")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

from .cleaning import STRATEGIES, Cleaned, CleaningReport, Missingness, clean, missingness
from .cohort import Cohort, Source
from .exceptions import (
    CMAError,
    DataValidationError,
    InstrumentError,
    ParameterError,
    Problem,
    ReportBuildError,
)
from .instrument import Instrument, Level, Stage, get_instrument, list_instruments
from .io import load_returns
from .process import ProcessResult, process

__all__ = [
    "STRATEGIES",
    "CMAError",
    "Cleaned",
    "CleaningReport",
    "Cohort",
    "DataValidationError",
    "Instrument",
    "InstrumentError",
    "Level",
    "Missingness",
    "ParameterError",
    "Problem",
    "ProcessResult",
    "ReportBuildError",
    "Source",
    "Stage",
    "__version__",
    "clean",
    "get_instrument",
    "list_instruments",
    "load_returns",
    "missingness",
    "process",
]
