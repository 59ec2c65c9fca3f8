"""The vocabulary of claims files: statistics, comparisons and readings of vague words.

:mod:`cma_research.io.claims` validates readings against these tables;
:func:`cma_research.audit_claims` computes each statistic with the package's public
functions and applies each comparison.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "CLAIM_SCORES",
    "CLAIM_STRATEGIES",
    "COMPARISON_FORMS",
    "CORRELATION_METHODS",
    "SIZE_BAND_LABELS",
    "STATISTICS",
    "VAGUE_WORD_READINGS",
    "ArgKind",
    "Comparison",
    "StatisticSpec",
    "parse_comparison",
]

#: The documented readings of the vague words in claims. A claims file says in each
#: reading which one it applies; the audit never decides a vague word on its own.
VAGUE_WORD_READINGS: dict[str, str] = {
    "most": "more than half (comparison '> 0.5' on a share)",
    "predominantly": "more than half (comparison '> 0.5' on a share)",
    "many": "at least a quarter ('>= 0.25' on a share), or more than one business ('>= 2')",
    "few": "less than a quarter ('< 0.25' on a share)",
    "only N": "exactly N ('== N' on a count)",
    "some N, approximately N, about N": "within 10% of N ('between 0.9N and 1.1N'); "
    "a second reading may take N exactly ('== N')",
    "about one third": "within 0.05 of 1/3 ('between 0.283 and 0.383')",
    "fail to reach level k, not up to level k": "below level k ('<' k)",
    "little or no attention, scant attention": "at most level 1 (Initial, collect "
    "information): below level 2",
}

#: Single-result missing-stage strategies (``cma_research.STRATEGIES`` without
#: ``multiple``, whose m cohorts would need pooling of every statistic).
CLAIM_STRATEGIES: tuple[str, ...] = (
    "complete_case",
    "available_case",
    "min_stages",
    "stage_median",
    "business_mean",
)
#: Business scores a claim may use (``business_scores`` columns that stay comparable
#: between businesses with blanks; sums are refused while blanks remain).
CLAIM_SCORES: tuple[str, ...] = ("mean", "median", "min", "max")
#: EU size bands (``cma_research.analysis.groups.SIZE_BANDS``).
SIZE_BAND_LABELS: tuple[str, ...] = ("micro", "small", "medium", "large")
#: Correlation methods (``cma_research.analysis.correlation.METHODS``).
CORRELATION_METHODS: tuple[str, ...] = ("spearman", "kendall", "pearson")

ArgKind = Literal[
    "score",
    "score_or_stage",
    "method",
    "level",
    "levels",
    "stage",
    "stage_or_all",
    "band",
    "text",
    "int",
]


@dataclass(frozen=True)
class StatisticSpec:
    """One statistic a reading may name: its arguments and what it needs.

    ``args`` maps each argument to ``(kind, required, default)``; ``data`` is
    ``"cohort"`` (computed on the returns; a ``strategy`` is required) or
    ``"recruitment"`` (read from the recruitment funnel; no strategy); ``has_p``: a
    comparison on a p-value (``p < .05``) is allowed; ``has_ci``: the value comes with
    an exact 95% interval.
    """

    name: str
    description: str
    args: Mapping[str, tuple[ArgKind, bool, Any]]
    data: Literal["cohort", "recruitment"] = "cohort"
    has_p: bool = False
    has_ci: bool = False


def _spec(
    name: str, description: str, args: Mapping[str, tuple[ArgKind, bool, Any]], **kw: Any
) -> tuple[str, StatisticSpec]:
    return name, StatisticSpec(name, description, args, **kw)


#: The statistics a reading may name (computed by :func:`cma_research.audit_claims`
#: from the package's public functions).
STATISTICS: dict[str, StatisticSpec] = dict(
    [
        _spec(
            "share_businesses_below",
            "share of businesses whose score (mean, median, min or max level over their "
            "assessed stages, business_scores) is below `level`; exact Clopper-Pearson CI",
            {"score": ("score", True, None), "level": ("level", True, None)},
            has_ci=True,
        ),
        _spec(
            "share_at_levels",
            "share of assessments on `stage` (default 'all': every assessed cell) at one of "
            "`levels` (level_distribution); exact Clopper-Pearson CI",
            {"levels": ("levels", True, None), "stage": ("stage_or_all", False, "all")},
            has_ci=True,
        ),
        _spec(
            "count_at_levels",
            "number of businesses at one of `levels` on `stage` (level_distribution)",
            {"levels": ("levels", True, None), "stage": ("stage", True, None)},
        ),
        _spec(
            "modal_level",
            "the most frequent level on `stage` (default 'all'); NaN when levels tie "
            "(level_distribution)",
            {"stage": ("stage_or_all", False, "all")},
        ),
        _spec(
            "share_band_among_levels",
            "share of businesses in size `band` (size_band: micro < 10 staff) among those at "
            "one of `levels` on `stage`; exact Clopper-Pearson CI",
            {
                "band": ("band", True, None),
                "levels": ("levels", True, None),
                "stage": ("stage", True, None),
            },
            has_ci=True,
        ),
        _spec(
            "correlation",
            "correlation of `score` (a business score or a stage) with `covariate` "
            "(default staff), method default spearman (correlate): r, BCa 95% CI, p "
            "(permutation p when available, else asymptotic)",
            {
                "covariate": ("text", False, "staff"),
                "score": ("score_or_stage", False, "mean"),
                "method": ("method", False, "spearman"),
                "seed": ("int", False, None),
                "n_boot": ("int", False, None),
                "n_perm": ("int", False, None),
            },
            has_p=True,
            has_ci=True,
        ),
        _spec(
            "n_businesses",
            "number of businesses in the returns (after the strategy: complete_case keeps "
            "only fully assessed ones)",
            {},
        ),
        _spec(
            "recruitment_count",
            "count of the recruitment-funnel `step` (load_recruitment)",
            {"step": ("text", True, None)},
            data="recruitment",
        ),
        _spec(
            "recruitment_share",
            "count of funnel `step` over the count of funnel step `of` (a complete count, no CI)",
            {"step": ("text", True, None), "of": ("text", True, None)},
            data="recruitment",
        ),
    ]
)

#: The comparisons a reading may use (examples).
COMPARISON_FORMS: tuple[str, ...] = (
    "> 0.5",
    ">= 2",
    "< 0.25",
    "<= 1",
    "== 16",
    "!= 0",
    "> 50%",
    "between 0.283 and 0.383",
    "direction positive",
    "direction negative",
    "p < .05",
    "p <= 0.01",
)

_NUMBER = r"([-+]?(?:\d+\.?\d*|\.\d+))(%?)"
_OP = r"(>=|<=|==|!=|>|<)"
_RE_VALUE = re.compile(rf"^{_OP}\s*{_NUMBER}$")
_RE_P = re.compile(rf"^p\s*(<=|<)\s*{_NUMBER}$")
_RE_BETWEEN = re.compile(rf"^between\s+{_NUMBER}\s+and\s+{_NUMBER}$")
_RE_DIRECTION = re.compile(r"^direction\s+(positive|negative)$")


def _number(digits: str, percent: str) -> float:
    return float(digits) / (100.0 if percent else 1.0)


@dataclass(frozen=True)
class Comparison:
    """A parsed comparison: ``op`` is ``>``, ``>=``, ``<``, ``<=``, ``==``, ``!=``,
    ``between``, ``positive`` or ``negative``; ``on_p`` compares the p-value.

    >>> parse_comparison("> 50%").holds(0.625, None)
    True
    >>> parse_comparison("p < .05").holds(0.3, 0.09)
    False
    """

    text: str
    op: str
    threshold: float | None = None
    upper: float | None = None
    on_p: bool = False

    def holds(self, value: float, p: float | None) -> bool:
        """Whether the comparison is true of ``value`` (or of ``p`` for ``p < x``)."""
        x = p if self.on_p else value
        if x is None:
            return False
        t = self.threshold
        if self.op == "positive":
            return bool(x > 0)
        if self.op == "negative":
            return bool(x < 0)
        if self.op == "between":
            return bool(t is not None and self.upper is not None and t <= x <= self.upper)
        if t is None:  # every other op has a threshold (parse_comparison)
            return False
        return {
            ">": x > t,
            ">=": x >= t,
            "<": x < t,
            "<=": x <= t,
            "==": x == t,
            "!=": x != t,
        }[self.op]


def parse_comparison(text: str) -> Comparison:
    """Parse a comparison (see :data:`COMPARISON_FORMS`); ``ValueError`` when unknown.

    >>> c = parse_comparison("between 0.283 and 0.383")
    >>> c.op, c.threshold, c.upper
    ('between', 0.283, 0.383)
    """
    s = " ".join(str(text).split())
    if m := _RE_VALUE.match(s):
        return Comparison(s, m.group(1), _number(m.group(2), m.group(3)))
    if m := _RE_P.match(s):
        return Comparison(s, m.group(1), _number(m.group(2), m.group(3)), on_p=True)
    if m := _RE_BETWEEN.match(s):
        lo, hi = _number(m.group(1), m.group(2)), _number(m.group(3), m.group(4))
        if lo > hi:
            raise ValueError(f"'between {lo} and {hi}': the lower bound is above the upper")
        return Comparison(s, "between", lo, hi)
    if m := _RE_DIRECTION.match(s):
        return Comparison(s, m.group(1))
    raise ValueError("unknown comparison")
