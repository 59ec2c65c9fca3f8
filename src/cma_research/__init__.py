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

from .business import road_map, write_business_report
from .cleaning import STRATEGIES, Cleaned, CleaningReport, Missingness, clean, missingness
from .cohort import Cohort, Source
from .correlation import correlate, stage_correlations
from .covariates import CovariateSource, load_covariates
from .describe import business_scores, level_distribution
from .exceptions import (
    CMAError,
    DataValidationError,
    InstrumentError,
    ParameterError,
    Problem,
    ReportBuildError,
)
from .groups import compare_groups, size_band
from .instrument import Instrument, Level, Stage, get_instrument, list_instruments
from .io import load_returns
from .models import fit_ordinal_model, fit_size_model
from .process import ProcessResult, process
from .profiles import stage_profile
from .recruitment import load_recruitment
from .reliability import cronbach_alpha, item_statistics
from .sensitivity import pool_rubin, sensitivity
from .synthetic import synthetic_cohort, synthetic_growth

__all__ = [
    "STRATEGIES",
    "CMAError",
    "Cleaned",
    "CleaningReport",
    "Cohort",
    "CovariateSource",
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
    "business_scores",
    "clean",
    "compare_groups",
    "correlate",
    "cronbach_alpha",
    "fit_ordinal_model",
    "fit_size_model",
    "get_instrument",
    "item_statistics",
    "level_distribution",
    "list_instruments",
    "load_covariates",
    "load_recruitment",
    "load_returns",
    "missingness",
    "pool_rubin",
    "process",
    "road_map",
    "sensitivity",
    "size_band",
    "stage_correlations",
    "stage_profile",
    "synthetic_cohort",
    "synthetic_growth",
    "write_business_report",
]
