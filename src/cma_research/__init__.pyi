"""The public API of :mod:`cma_research`, declared once.

Type checkers and IDEs read this file (go-to-definition lands on the implementation);
at run time :func:`lazy_loader.attach_stub` reads the same imports and loads each name
from its module on first use, so ``import cma_research`` stays light (SPEC 1).
"""

from . import analysis, datasets, io, missing, pipeline, plotting, reporting, stats
from .analysis.change import Attrition, attrition, change_scores, paired_change
from .analysis.change_models import fit_ordinal_wave_model, fit_wave_model
from .analysis.claims import audit_claims
from .analysis.correlation import correlate, stage_correlations
from .analysis.describe import business_scores, level_distribution
from .analysis.disclosure import suppress_small_cells
from .analysis.groups import compare_groups, size_band
from .analysis.headline import headline_strategy
from .analysis.models import fit_ordinal_model, fit_size_model
from .analysis.peers import peer_groups, peer_statistics
from .analysis.power import sample_size, simulate_power
from .analysis.profiles import stage_profile
from .analysis.reliability import (
    cronbach_alpha,
    item_statistics,
    omega,
    ordinal_alpha,
    reliability_summary,
)
from .analysis.road_map import road_map
from .analysis.sensitivity import sensitivity
from .analysis.transitions import marginal_homogeneity, transition_table
from .core.cohort import CleaningReport, Cohort, CovariateSource, Source
from .core.errors import (
    CMAError,
    DataValidationError,
    InstrumentError,
    ParameterError,
    Problem,
    ReportBuildError,
)
from .core.instrument import Instrument, Level, Stage, get_instrument, list_instruments
from .core.version import __version__
from .datasets.synthetic import synthetic_cohort, synthetic_follow_up, synthetic_growth
from .io.claims import load_claims
from .io.covariates import load_covariates
from .io.inspection import inspect_returns
from .io.recruitment import load_recruitment
from .io.returns import load_returns
from .io.study import load_study
from .missing.comparison import compare_strategies
from .missing.missingness import Missingness, missingness
from .missing.pooling import pool_rubin
from .missing.strategies import STRATEGIES, Cleaned, clean
from .pipeline.process import ProcessResult, process
from .reporting.business import write_business_report, write_business_reports
