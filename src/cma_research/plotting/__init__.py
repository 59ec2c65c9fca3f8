"""Figures for papers and slides. Each ``plot_*`` draws what the statistics computed.

Every function has the signature ``plot_x(data, *, ..., ax=None, **kwargs) -> Axes``,
never calls ``show`` or ``savefig`` (saving lives in :mod:`cma_research.reporting`), and
leaves global matplotlib state alone: wrap calls in :func:`cma_style` for the package's
look. A stage that was not assessed is never drawn as level 0.

Importing this subpackage imports matplotlib; ``import cma_research`` does not.
"""

from cma_research.plotting.change import (
    plot_change_forest,
    plot_level_distribution_by_wave,
    plot_paired_slopes,
    plot_radar_waves,
    plot_transition_heatmap,
)
from cma_research.plotting.distributions import (
    plot_funnel,
    plot_level_distribution,
    plot_missingness,
)
from cma_research.plotting.heatmaps import plot_cohort_heatmap, plot_stage_correlations
from cma_research.plotting.power import plot_power_curves
from cma_research.plotting.radar import plot_radar
from cma_research.plotting.scatter import plot_scatter
from cma_research.plotting.style import (
    DOUBLE_COLUMN,
    NOT_ASSESSED_COLOR,
    OKABE_ITO,
    SINGLE_COLUMN,
    cma_style,
    level_colors,
)

__all__ = [
    "DOUBLE_COLUMN",
    "NOT_ASSESSED_COLOR",
    "OKABE_ITO",
    "SINGLE_COLUMN",
    "cma_style",
    "level_colors",
    "plot_change_forest",
    "plot_cohort_heatmap",
    "plot_funnel",
    "plot_level_distribution",
    "plot_level_distribution_by_wave",
    "plot_missingness",
    "plot_paired_slopes",
    "plot_power_curves",
    "plot_radar",
    "plot_radar_waves",
    "plot_scatter",
    "plot_stage_correlations",
    "plot_transition_heatmap",
]
