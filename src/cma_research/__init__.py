"""cma_research: analyse Customer Management Audit (CMA) cohort studies.

Load audit returns against an instrument, report and handle not-assessed stages with
explicit strategies, and write reproducible outputs.

>>> import cma_research as cma
>>> cohort = cma.load_returns(cma.datasets.bundled_path("customer_wise_2007.csv"))
>>> cma.clean(cohort, "complete_case").cohort.n_businesses
12
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from cma_research.core.cohort import Cohort, Source
from cma_research.core.errors import (
    CMAError,
    DataValidationError,
    InstrumentError,
    ParameterError,
    Problem,
    ReportBuildError,
)
from cma_research.core.instrument import Instrument, Level, Stage, get_instrument, list_instruments
from cma_research.core.records import CleaningReport, CovariateSource
from cma_research.core.version import __version__

if TYPE_CHECKING:  # for type checkers and IDEs; at run time these load on first use
    from cma_research.analysis.change import Attrition, attrition, change_scores, paired_change
    from cma_research.analysis.change_models import fit_ordinal_wave_model, fit_wave_model
    from cma_research.analysis.claims import audit_claims
    from cma_research.analysis.correlation import correlate, stage_correlations
    from cma_research.analysis.describe import business_scores, level_distribution
    from cma_research.analysis.disclosure import suppress_small_cells
    from cma_research.analysis.groups import compare_groups, size_band
    from cma_research.analysis.models import fit_ordinal_model, fit_size_model
    from cma_research.analysis.peers import peer_groups, peer_statistics
    from cma_research.analysis.power import sample_size, simulate_power
    from cma_research.analysis.profiles import stage_profile
    from cma_research.analysis.reliability import (
        cronbach_alpha,
        item_statistics,
        omega,
        ordinal_alpha,
        reliability_summary,
    )
    from cma_research.analysis.road_map import road_map
    from cma_research.analysis.sensitivity import sensitivity
    from cma_research.analysis.transitions import marginal_homogeneity, transition_table
    from cma_research.datasets.synthetic import (
        synthetic_cohort,
        synthetic_follow_up,
        synthetic_growth,
    )
    from cma_research.io.claims import load_claims
    from cma_research.io.covariates import load_covariates
    from cma_research.io.recruitment import load_recruitment
    from cma_research.io.returns import load_returns
    from cma_research.missing.comparison import compare_strategies
    from cma_research.missing.missingness import Missingness, missingness
    from cma_research.missing.pooling import pool_rubin
    from cma_research.missing.strategies import STRATEGIES, Cleaned, clean
    from cma_research.pipeline.process import ProcessResult, process

__all__ = [
    "STRATEGIES",
    "Attrition",
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
    "attrition",
    "audit_claims",
    "business_scores",
    "change_scores",
    "clean",
    "compare_groups",
    "compare_strategies",
    "correlate",
    "cronbach_alpha",
    "datasets",
    "fit_ordinal_model",
    "fit_ordinal_wave_model",
    "fit_size_model",
    "fit_wave_model",
    "get_instrument",
    "item_statistics",
    "level_distribution",
    "list_instruments",
    "load_claims",
    "load_covariates",
    "load_recruitment",
    "load_returns",
    "marginal_homogeneity",
    "missingness",
    "omega",
    "ordinal_alpha",
    "paired_change",
    "peer_groups",
    "peer_statistics",
    "plotting",
    "pool_rubin",
    "process",
    "reliability_summary",
    "reporting",
    "road_map",
    "sample_size",
    "sensitivity",
    "simulate_power",
    "size_band",
    "stage_correlations",
    "stage_profile",
    "suppress_small_cells",
    "synthetic_cohort",
    "synthetic_follow_up",
    "synthetic_growth",
    "transition_table",
    "write_business_report",
    "write_business_reports",
]

# Everything but the core loads on first use, so that ``import cma_research`` (and
# ``cma-research validate``) does not pay for scipy, statsmodels or matplotlib.
_LAZY_NAMES: dict[str, str] = {
    "Attrition": "cma_research.analysis.change",
    "Cleaned": "cma_research.missing.strategies",
    "Missingness": "cma_research.missing.missingness",
    "ProcessResult": "cma_research.pipeline.process",
    "STRATEGIES": "cma_research.missing.strategies",
    "attrition": "cma_research.analysis.change",
    "audit_claims": "cma_research.analysis.claims",
    "business_scores": "cma_research.analysis.describe",
    "change_scores": "cma_research.analysis.change",
    "clean": "cma_research.missing.strategies",
    "compare_groups": "cma_research.analysis.groups",
    "compare_strategies": "cma_research.missing.comparison",
    "correlate": "cma_research.analysis.correlation",
    "cronbach_alpha": "cma_research.analysis.reliability",
    "fit_ordinal_model": "cma_research.analysis.models",
    "fit_ordinal_wave_model": "cma_research.analysis.change_models",
    "fit_size_model": "cma_research.analysis.models",
    "fit_wave_model": "cma_research.analysis.change_models",
    "item_statistics": "cma_research.analysis.reliability",
    "reliability_summary": "cma_research.analysis.reliability",
    "level_distribution": "cma_research.analysis.describe",
    "load_claims": "cma_research.io.claims",
    "load_covariates": "cma_research.io.covariates",
    "load_recruitment": "cma_research.io.recruitment",
    "load_returns": "cma_research.io.returns",
    "marginal_homogeneity": "cma_research.analysis.transitions",
    "missingness": "cma_research.missing.missingness",
    "omega": "cma_research.analysis.reliability",
    "ordinal_alpha": "cma_research.analysis.reliability",
    "paired_change": "cma_research.analysis.change",
    "peer_groups": "cma_research.analysis.peers",
    "peer_statistics": "cma_research.analysis.peers",
    "pool_rubin": "cma_research.missing.pooling",
    "process": "cma_research.pipeline.process",
    "road_map": "cma_research.analysis.road_map",
    "sample_size": "cma_research.analysis.power",
    "sensitivity": "cma_research.analysis.sensitivity",
    "simulate_power": "cma_research.analysis.power",
    "size_band": "cma_research.analysis.groups",
    "stage_correlations": "cma_research.analysis.correlation",
    "stage_profile": "cma_research.analysis.profiles",
    "suppress_small_cells": "cma_research.analysis.disclosure",
    "synthetic_cohort": "cma_research.datasets.synthetic",
    "synthetic_follow_up": "cma_research.datasets.synthetic",
    "synthetic_growth": "cma_research.datasets.synthetic",
    "transition_table": "cma_research.analysis.transitions",
    "write_business_report": "cma_research.reporting.business",
    "write_business_reports": "cma_research.reporting.business",
}
_LAZY_MODULES = (
    "analysis",
    "datasets",
    "io",
    "missing",
    "pipeline",
    "plotting",
    "reporting",
    "stats",
)


def __getattr__(name: str) -> Any:
    if name in _LAZY_NAMES:
        value = getattr(importlib.import_module(_LAZY_NAMES[name]), name)
        globals()[name] = value  # later lookups are plain attribute reads
        return value
    if name in _LAZY_MODULES:
        return importlib.import_module(f"cma_research.{name}")
    raise AttributeError(f"module 'cma_research' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
