"""Claims files: a paper's sentences written down as statistics that can be checked.

A claims file (YAML) holds, for each claim of a paper, the **verbatim quote**, where it
stands in the source (section, and page or line), and one or more **readings**: a named
statistic computed by the package, the comparison that makes the claim true, and the
strategy for blanks (not-assessed stages). A claim whose test needs data the study does
not have says so with ``cannot_test`` (what would be needed) instead of readings. The
audit itself is :func:`cma_research.audit_claims`.

The file format::

    instrument: customer_wise_2007        # optional; stages and levels are checked against it
    source_text: the paper's text file    # optional; where the quotes come from (no local paths)
    study: a title                        # optional, for people
    claims:
      - id: most_below_level_1            # unique; letters, digits, _ and -
        quote: "Most businesses fail to reach the first level (out of five levels)."
        source: {section: Abstract, line: 9}   # section and page and/or line
        must_hold: false                  # optional (default false): gate for --check
        note: free text                   # optional, for people
        readings:
          - reading: "most = more than half; fails = median level below 1"
            statistic: share_businesses_below
            args: {score: median, level: 1}
            comparison: "> 0.5"
            strategy: available_case      # for blanks; not for recruitment statistics
            # min_stages: 5               # with strategy: min_stages
      - id: growth
        quote: "..."
        source: {section: Summary of Research Findings, line: 572}
        cannot_test: growth and profit figures per business

This module is the claims file's whole vocabulary and its validation. The statistics a
reading may name, with their arguments and meaning, are declared once, in
:data:`STATISTICS`; :mod:`cma_research.analysis.claims` computes each of them and
checks at import that it computes exactly these. The comparisons are listed in
:data:`COMPARISON_FORMS`; vague words get the readings in :data:`VAGUE_WORD_READINGS`
(``most`` = more than half). Every problem of a file is reported, each naming the claim
id and the field.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cma_research.core.errors import DataValidationError, InstrumentError, ParameterError, Problem
from cma_research.core.files import read_small_file, safe_load_yaml
from cma_research.core.instrument import Instrument, get_instrument
from cma_research.core.params import PARAMETERS, check_parameter

__all__ = [
    "CLAIM_SCORES",
    "CLAIM_STRATEGIES",
    "COMPARISON_FORMS",
    "CORRELATION_METHODS",
    "MAX_CLAIMS",
    "MAX_CLAIMS_BYTES",
    "MAX_CLAIMS_NODES",
    "MAX_PROBLEMS",
    "MAX_READINGS",
    "MAX_TOTAL_READINGS",
    "SIZE_BAND_LABELS",
    "STATISTICS",
    "VAGUE_WORD_READINGS",
    "ArgKind",
    "Claim",
    "Claims",
    "Comparison",
    "Reading",
    "StatisticSpec",
    "load_claims",
    "parse_comparison",
]

#: Claims files larger than this are refused before they are parsed (1 MB).
MAX_CLAIMS_BYTES = 1_000_000
#: At most this many claims per file (YAML aliases could otherwise make a small file
#: describe millions); readings per claim: :data:`MAX_READINGS`.
MAX_CLAIMS = 10_000
#: At most this many readings per claim (YAML aliases could otherwise make a small file
#: describe millions).
MAX_READINGS = 100
#: At most this many readings in a whole file (each may resample: work is bounded).
MAX_TOTAL_READINGS = 10_000
#: Most values a claims file may expand to, aliases counted as full copies (a claim with
#: one reading is about 30; see :func:`cma_research.core.files.safe_load_yaml`).
MAX_CLAIMS_NODES = 1_000_000
#: Problems reported at most; the rest are counted.
MAX_PROBLEMS = 50


# -- the vocabulary: statistics, comparisons, readings of vague words --------------


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
    "blank_as_zero",
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
    "change_score",
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
    ``"cohort"`` (computed on the returns of one wave; a ``strategy`` is required),
    ``"change"`` (computed on the businesses audited at a baseline and a follow-up wave;
    a ``strategy`` is required) or ``"recruitment"`` (read from the recruitment funnel;
    no strategy); ``has_p``: a comparison on a p-value (``p < .05``) is allowed;
    ``has_ci``: the value comes with a 95% interval.
    """

    name: str
    description: str
    args: Mapping[str, tuple[ArgKind, bool, Any]]
    data: Literal["cohort", "change", "recruitment"] = "cohort"
    has_p: bool = False
    has_ci: bool = False


def _spec(
    name: str, description: str, args: Mapping[str, tuple[ArgKind, bool, Any]], **kw: Any
) -> tuple[str, StatisticSpec]:
    return name, StatisticSpec(name, description, args, **kw)


#: The statistics a reading may name: the one registry of them. Each is computed by
#: :func:`cma_research.audit_claims` from the package's public functions
#: (:data:`cma_research.analysis.claims.COMPUTE`, which is checked at import to compute
#: exactly these).
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
            "`levels` (level_distribution); exact Clopper-Pearson CI for one stage, "
            "cluster bootstrap over businesses for 'all' (assessments nest in businesses)",
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
            "share_improved",
            "share of the businesses with `score` (the mean level, or a stage) at both the "
            "baseline and the follow-up wave whose score is higher at the follow-up "
            "(paired_change's n_improved of n_pairs); exact Clopper-Pearson CI",
            {"score": ("change_score", False, "mean")},
            data="change",
            has_ci=True,
        ),
        _spec(
            "median_change",
            "median of follow-up minus baseline `score` (the mean level, or a stage) over "
            "the businesses with the score at both waves (paired_change), in levels",
            {"score": ("change_score", False, "mean")},
            data="change",
        ),
        _spec(
            "paired_test",
            "Wilcoxon signed-rank test of the change in `score` (the mean level, or a stage) "
            "between the baseline and the follow-up wave (paired_change): value the "
            "matched-pairs rank-biserial r with its BCa 95% CI, p two-sided",
            {
                "score": ("change_score", False, "mean"),
                "seed": ("int", False, None),
                "n_boot": ("int", False, None),
                "n_perm": ("int", False, None),
            },
            data="change",
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

    def established(self, low: float, high: float) -> bool:
        """Whether a 95% interval ``[low, high]`` lies wholly where the comparison holds.

        A claim about the businesses in general needs its interval, not only its value,
        on the holding side of the threshold (a share "> 0.5" needs its lower bound
        above one half). Comparisons on p, ``==`` and ``!=`` have no interval to judge:
        always True.

        >>> parse_comparison("> 0.5").established(0.392, 0.745)
        False
        >>> parse_comparison("> 0.5").established(0.54, 0.96)
        True
        >>> parse_comparison("direction positive").established(-0.13, 0.90)
        False
        """
        if self.on_p or self.op in ("==", "!="):
            return True
        return not _straddles(self, low, high)


def _straddles(c: Comparison, low: float, high: float) -> bool:
    """Whether an interval [low, high] reaches the other side of ``c``'s threshold."""
    t, u = c.threshold, c.upper
    if c.op == "positive":
        return low <= 0
    if c.op == "negative":
        return high >= 0
    if t is None:
        return False
    if c.op == "between":
        return u is not None and (low < t or high > u)
    return {
        ">": low <= t,
        ">=": low < t,
        "<": high >= t,
        "<=": high > t,
    }.get(c.op, False)


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


# -- claims and their readings -----------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """One operationalisation of a claim: statistic, arguments, comparison, strategy.

    ``args`` holds every argument of the statistic (defaults filled in; stages as the
    instrument's ids). ``strategy`` is ``None`` for recruitment statistics.
    """

    reading: str
    statistic: str
    args: Mapping[str, Any]
    comparison: Comparison
    strategy: str | None
    min_stages: int | None = None

    def args_text(self) -> str:
        """The arguments as ``key=value`` text, e.g. ``score=median, level=1``."""

        def show(v: Any) -> str:
            return "[" + ", ".join(map(str, v)) + "]" if isinstance(v, tuple) else str(v)

        return ", ".join(f"{k}={show(v)}" for k, v in self.args.items() if v is not None)


@dataclass(frozen=True)
class Claim:
    """A claim of a paper: id, verbatim quote, where it stands, readings or why untestable."""

    id: str
    quote: str
    section: str
    page: int | None
    line: int | None
    must_hold: bool
    readings: tuple[Reading, ...]
    cannot_test: str | None = None

    @property
    def source(self) -> str:
        """Where the quote stands, e.g. ``Abstract, line 9``."""
        parts = [self.section]
        if self.page is not None:
            parts.append(f"page {self.page}")
        if self.line is not None:
            parts.append(f"line {self.line}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Claims:
    """The validated claims of one file, in file order."""

    path: str
    sha256: str
    instrument: str
    source_text: str | None
    claims: tuple[Claim, ...] = field(default_factory=tuple)

    def __iter__(self) -> Iterator[Claim]:
        return iter(self.claims)

    def __len__(self) -> int:
        return len(self.claims)

    @property
    def ids(self) -> list[str]:
        """Claim ids in file order."""
        return [c.id for c in self.claims]

    def __repr__(self) -> str:
        return f"<Claims: {len(self)} claims from {self.path} (instrument {self.instrument})>"


# -- reading a claims file ---------------------------------------------------------


_TOP_KEYS = ("instrument", "source_text", "study", "claims")


def load_claims(path: str | Path, *, instrument: str | Path | Instrument | None = None) -> Claims:
    """Read and validate a claims file (YAML; see the module docstring for the format).

    Parameters
    ----------
    path : str or Path
        The claims file (at most 1 MB, read with the bounded YAML reader
        :func:`cma_research.core.files.safe_load_yaml`: aliases expand to at most
        :data:`MAX_CLAIMS_NODES` values; at most :data:`MAX_CLAIMS` claims and
        :data:`MAX_TOTAL_READINGS` readings, and resampling counts within the parameter
        table's bounds).
    instrument : str, Path or Instrument, optional
        Instrument whose stages and levels the readings may name; default the file's
        ``instrument:`` field, else ``customer_wise_2007``.

    Returns
    -------
    Claims
        The claims in file order; each :class:`Claim` has ``id``, ``quote``,
        ``source`` (text), ``must_hold``, ``readings`` (statistic, arguments with
        defaults filled in and stages as ids, parsed comparison, strategy) or
        ``cannot_test``.

    Raises
    ------
    DataValidationError
        One line per problem, each naming the file, the claim id and the field: unknown
        statistic, argument, stage, level, strategy or comparison, empty quote,
        duplicate id, unknown field, or a file that is missing, too large or not YAML.

    Examples
    --------
    >>> from cma_research.datasets import bundled_path
    >>> claims = load_claims(bundled_path("customer_wise_2007_claims.yaml"))
    >>> first = claims.claims[0]
    >>> first.id, first.source
    ('abstract_funnel', 'Abstract, line 5')
    >>> r = [c for c in claims if c.id == "abstract_most_below_level_1"][0].readings[0]
    >>> r.statistic, dict(r.args), r.comparison.text, r.strategy
    ('share_businesses_below', {'score': 'median', 'level': 1}, '> 0.5', 'available_case')
    """
    p = Path(path)
    name = str(path)

    def fail(message: str, expected: str | None = None) -> DataValidationError:
        return DataValidationError([Problem(name, message, expected=expected)])

    if not p.exists():
        raise fail("claims file not found", "an existing YAML file")
    if not p.is_file():
        raise fail("not a regular file (a folder, FIFO or device)", "a YAML file")
    size = p.stat().st_size
    if size > MAX_CLAIMS_BYTES:
        raise fail(
            f"claims file is {size:,} bytes, larger than the {MAX_CLAIMS_BYTES:,}-byte limit",
            "a claims file under 1 MB",
        )
    try:
        data_bytes = read_small_file(p, MAX_CLAIMS_BYTES)
    except (OSError, ValueError) as exc:
        raise fail(f"cannot be read ({getattr(exc, 'strerror', None) or exc})") from None
    try:
        data_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise fail(f"not UTF-8 text ({exc.reason})", "a UTF-8 YAML file") from None
    try:
        # bounded like every other YAML input: aliases expanded at most MAX_CLAIMS_NODES
        data = safe_load_yaml(p, max_bytes=MAX_CLAIMS_BYTES, max_nodes=MAX_CLAIMS_NODES)
    except ParameterError as exc:
        detail = str(exc).removeprefix(f"{path}: ")
        mark = re.search(r"line (\d+)", detail)
        if "cannot be parsed as YAML" in detail and mark:
            detail = f"line {mark.group(1)}: {detail}"
        raise fail(detail, "a YAML mapping with a 'claims' list") from None
    if not isinstance(data, dict):
        raise fail("not a YAML mapping", "a mapping with a 'claims' list")
    chk = _Checker(name)
    for key in data:
        if key not in _TOP_KEYS:
            chk.fail(None, str(key), "unknown field", key, "one of " + ", ".join(_TOP_KEYS))
    inst_name = (
        instrument if instrument is not None else data.get("instrument", "customer_wise_2007")
    )
    try:
        inst = get_instrument(inst_name)
    except InstrumentError as exc:
        raise fail(f"field 'instrument': {exc}") from None
    source_text = data.get("source_text")
    if source_text is not None and not isinstance(source_text, str):
        chk.fail(None, "source_text", "not a text", source_text, "where the quotes come from")
    raw_claims = data.get("claims")
    if not isinstance(raw_claims, list) or not raw_claims:
        chk.fail(None, "claims", "missing or empty", raw_claims, "a list of claims")
        raw_claims = []
    if len(raw_claims) > MAX_CLAIMS:
        raise fail(f"field 'claims': {len(raw_claims):,} claims", f"at most {MAX_CLAIMS:,}")
    n_readings = sum(
        len(c["readings"])
        for c in raw_claims
        if isinstance(c, dict) and isinstance(c.get("readings"), list)
    )
    if n_readings > MAX_TOTAL_READINGS:
        raise fail(
            f"field 'claims': {n_readings:,} readings in all",
            f"at most {MAX_TOTAL_READINGS:,} (each may resample; split the file)",
        )
    claims: list[Claim] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(raw_claims, start=1):
        cid = raw.get("id") if isinstance(raw, dict) else None
        if isinstance(cid, str):
            if cid in seen:
                chk.fail(
                    cid,
                    "id",
                    f"duplicate id (claims number {seen[cid]} and {i})",
                    cid,
                    "a unique id per claim",
                )
            seen.setdefault(cid, i)
        claim = _validate_claim(chk, i, raw, inst)
        if claim is not None:
            claims.append(claim)
    if chk.problems:
        raise DataValidationError(chk.problems, truncated=chk.count > len(chk.problems))
    return Claims(
        path=name,
        sha256=hashlib.sha256(data_bytes).hexdigest(),
        instrument=inst.name,
        source_text=source_text,
        claims=tuple(claims),
    )


# -- validating one claim ----------------------------------------------------------


_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_CLAIM_KEYS = ("id", "quote", "source", "must_hold", "readings", "cannot_test", "note")
_READING_KEYS = ("reading", "statistic", "args", "comparison", "strategy", "min_stages")
_SOURCE_KEYS = ("section", "page", "line")


class _Checker:
    """Collects problems (the first :data:`MAX_PROBLEMS`; ``count`` counts them all)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []
        self.count = 0

    def fail(
        self, claim: str | None, fld: str, message: str, value: Any = None, expected: str = ""
    ) -> None:
        self.count += 1
        if len(self.problems) >= MAX_PROBLEMS:
            return
        if value is not None and len(str(value)) > 80:
            value = str(value)[:77] + "..."
        where = f"claim {claim!r}, field {fld!r}: " if claim is not None else f"field {fld!r}: "
        self.problems.append(
            Problem(
                self.path,
                where + message,
                value=None if value is None else str(value),
                expected=expected or None,
            )
        )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _arg(chk: _Checker, cid: str, fld: str, kind: ArgKind, value: Any, inst: Instrument) -> Any:
    """Validate one argument; return its canonical value (or None after a problem)."""
    levels = inst.level_values
    if kind == "score":
        if value not in CLAIM_SCORES:
            chk.fail(cid, fld, "unknown score", value, "one of " + ", ".join(CLAIM_SCORES))
            return None
        return value
    if kind == "score_or_stage":
        if value in CLAIM_SCORES:
            return value
        try:
            return inst.stage(str(value)).id
        except InstrumentError:
            chk.fail(
                cid,
                fld,
                f"unknown score or {inst.stage_noun}",
                value,
                "one of " + ", ".join([*CLAIM_SCORES, *inst.stage_ids]),
            )
            return None
    if kind == "change_score":
        if value == "mean":
            return value
        try:
            return inst.stage(str(value)).id
        except InstrumentError:
            chk.fail(
                cid,
                fld,
                f"unknown score or {inst.stage_noun} for a change",
                value,
                "one of " + ", ".join(["mean", *inst.stage_ids]),
            )
            return None
    if kind == "level":
        if not _is_int(value) or value not in levels:
            chk.fail(cid, fld, "not a level of the instrument", value, f"one of {levels}")
            return None
        return value
    if kind == "levels":
        items = value if isinstance(value, list) else [value]
        bad = [v for v in items if not _is_int(v) or v not in levels]
        if bad or not items:
            chk.fail(cid, fld, "not levels of the instrument", value, f"a list from {levels}")
            return None
        return tuple(sorted(set(items)))
    if kind in ("stage", "stage_or_all"):
        if kind == "stage_or_all" and value == "all":
            return "all"
        try:
            return inst.stage(str(value)).id
        except InstrumentError:
            allowed = ", ".join(inst.stage_ids) + (", all" if kind == "stage_or_all" else "")
            chk.fail(cid, fld, f"unknown {inst.stage_noun}", value, f"one of {allowed}")
            return None
    if kind == "method":
        if value not in CORRELATION_METHODS:
            chk.fail(cid, fld, "unknown method", value, "one of " + ", ".join(CORRELATION_METHODS))
            return None
        return value
    if kind == "band":
        if value not in SIZE_BAND_LABELS:
            chk.fail(cid, fld, "unknown size band", value, "one of " + ", ".join(SIZE_BAND_LABELS))
            return None
        return value
    if kind == "int":
        if not _is_int(value) or value < 0:
            chk.fail(cid, fld, "not a whole number >= 0", value, "a whole number")
            return None
        name = fld.rsplit(".", 1)[-1]
        if name in PARAMETERS:
            try:
                check_parameter(name, value)
            except ParameterError as exc:
                chk.fail(cid, fld, str(exc), value, "a value the parameter table allows")
                return None
        return value
    if not isinstance(value, str) or not value.strip():
        chk.fail(cid, fld, "not a text", value, "a non-empty text")
        return None
    return value.strip()


def _reading(chk: _Checker, cid: str, i: int, raw: Any, inst: Instrument) -> Reading | None:
    """The claim's ``i``-th reading, or None after recording its problems in ``chk``."""
    at = f"readings[{i}]"
    if not isinstance(raw, dict):
        chk.fail(
            cid, at, "a reading must be a mapping", type(raw).__name__, "reading, statistic, ..."
        )
        return None
    n_before = chk.count
    for key in raw:
        if key not in _READING_KEYS:
            chk.fail(cid, f"{at}.{key}", "unknown field", key, "one of " + ", ".join(_READING_KEYS))
    text = raw.get("reading")
    if not isinstance(text, str) or not text.strip():
        chk.fail(
            cid,
            f"{at}.reading",
            "missing or empty",
            text,
            "the documented reading of the claim's vague words",
        )
    name = raw.get("statistic")
    spec = STATISTICS.get(name) if isinstance(name, str) else None
    if spec is None:
        chk.fail(
            cid, f"{at}.statistic", "unknown statistic", name, "one of " + ", ".join(STATISTICS)
        )
    comp_text = raw.get("comparison")
    comparison = _comparison(chk, cid, at, comp_text)
    args_raw = raw.get("args", {})
    if args_raw is None:
        args_raw = {}
    if not isinstance(args_raw, dict):
        chk.fail(cid, f"{at}.args", "args must be a mapping", args_raw, "e.g. {stage: ict}")
        args_raw = {}
    args: dict[str, Any] = {}
    strategy = raw.get("strategy")
    min_stages = raw.get("min_stages")
    if spec is not None:
        args = _args(chk, cid, at, spec, args_raw, inst)
        if comparison is not None and comparison.on_p and not spec.has_p:
            chk.fail(
                cid,
                f"{at}.comparison",
                f"statistic {spec.name} has no p-value",
                comp_text,
                "a comparison on its value",
            )
        _check_strategy(chk, cid, at, spec, strategy, min_stages)
    if chk.count > n_before or spec is None or comparison is None:
        return None
    return Reading(
        reading=" ".join(str(text).split()),
        statistic=spec.name,
        args=args,
        comparison=comparison,
        strategy=strategy,
        min_stages=min_stages if strategy == "min_stages" else None,
    )


def _comparison(chk: _Checker, cid: str, at: str, comp_text: Any) -> Comparison | None:
    """A reading's comparison, parsed (None after a problem)."""
    try:
        if not isinstance(comp_text, str):
            raise ValueError
        return parse_comparison(comp_text)
    except ValueError as exc:
        msg = str(exc) if str(exc) and str(exc) != "unknown comparison" else "unknown comparison"
        chk.fail(
            cid,
            f"{at}.comparison",
            msg,
            comp_text,
            "one of the forms " + "; ".join(repr(c) for c in COMPARISON_FORMS),
        )
        return None


def _args(
    chk: _Checker,
    cid: str,
    at: str,
    spec: StatisticSpec,
    args_raw: dict[Any, Any],
    inst: Instrument,
) -> dict[str, Any]:
    """Every argument of the statistic: those given, validated, and the defaults."""
    for key in args_raw:
        if key not in spec.args:
            chk.fail(
                cid,
                f"{at}.args.{key}",
                f"unknown argument of {spec.name}",
                key,
                "one of " + (", ".join(spec.args) or "no arguments"),
            )
    args: dict[str, Any] = {}
    for key, (kind, required, default) in spec.args.items():
        if key in args_raw:
            args[key] = _arg(chk, cid, f"{at}.args.{key}", kind, args_raw[key], inst)
        elif required:
            chk.fail(cid, f"{at}.args.{key}", f"missing argument of {spec.name}")
        else:
            args[key] = default
    return args


def _check_strategy(
    chk: _Checker, cid: str, at: str, spec: StatisticSpec, strategy: Any, min_stages: Any
) -> None:
    """A statistic of the returns needs a strategy for blanks; one of the funnel takes none."""
    if spec.data in ("cohort", "change"):
        if strategy not in CLAIM_STRATEGIES:
            chk.fail(
                cid,
                f"{at}.strategy",
                "missing or unknown strategy for blanks"
                if strategy != "multiple"
                else "'multiple' gives m cohorts, which a single verdict cannot pool",
                strategy,
                "one of " + ", ".join(CLAIM_STRATEGIES),
            )
        if strategy == "min_stages" and not (isinstance(min_stages, int) and min_stages >= 1):
            chk.fail(
                cid, f"{at}.min_stages", "needed for strategy min_stages", min_stages, "k >= 1"
            )
    elif strategy is not None:
        chk.fail(
            cid,
            f"{at}.strategy",
            f"{spec.name} reads the recruitment funnel, not the returns, so it takes no strategy",
            strategy,
            "no strategy field",
        )


def _validate_claim(chk: _Checker, i: int, raw: Any, inst: Instrument) -> Claim | None:
    """The ``i``-th claim of the file, or None after recording its problems in ``chk``."""
    if not isinstance(raw, dict):
        chk.fail(
            None, f"claims[{i}]", "a claim must be a mapping", type(raw).__name__, "id, quote, ..."
        )
        return None
    cid_raw = raw.get("id")
    cid = str(cid_raw) if cid_raw is not None else f"claims[{i}]"
    n_before = chk.count
    if not isinstance(cid_raw, str) or not _ID.match(cid_raw):
        chk.fail(cid, "id", "missing or malformed id", cid_raw, "letters, digits, _ and -")
    for key in raw:
        if key not in _CLAIM_KEYS:
            chk.fail(cid, str(key), "unknown field", key, "one of " + ", ".join(_CLAIM_KEYS))
    quote = raw.get("quote")
    if not isinstance(quote, str) or not quote.strip():
        chk.fail(cid, "quote", "the quote is empty", quote, "the claim's words, verbatim")
    source = raw.get("source")
    section, page, line = "", None, None
    if not isinstance(source, dict):
        chk.fail(cid, "source", "missing or not a mapping", source, "{section: ..., line: N}")
    else:
        for key in source:
            if key not in _SOURCE_KEYS:
                chk.fail(cid, f"source.{key}", "unknown field", key, "section, page, line")
        section = source.get("section") or ""
        if not isinstance(section, str) or not section.strip():
            chk.fail(cid, "source.section", "missing or empty", section, "the section's title")
        page, line = source.get("page"), source.get("line")
        for name, v in (("page", page), ("line", line)):
            if v is not None and not (_is_int(v) and v >= 1):
                chk.fail(cid, f"source.{name}", "not a whole number >= 1", v, "e.g. 9")
        if page is None and line is None:
            chk.fail(cid, "source", "neither page nor line given", None, "page: N and/or line: N")
    must_hold = raw.get("must_hold", False)
    if not isinstance(must_hold, bool):
        chk.fail(cid, "must_hold", "not true/false", must_hold, "true or false")
    cannot = raw.get("cannot_test")
    readings_raw = raw.get("readings")
    readings: list[Reading] = []
    if cannot is not None:
        if not isinstance(cannot, str) or not cannot.strip():
            chk.fail(cid, "cannot_test", "empty", cannot, "what data the test would need")
        if readings_raw is not None:
            chk.fail(cid, "readings", "a claim with cannot_test has no readings")
        if must_hold is True:
            chk.fail(cid, "must_hold", "a claim that cannot be tested cannot be gated")
    elif not isinstance(readings_raw, list) or not readings_raw:
        chk.fail(
            cid,
            "readings",
            "no readings",
            readings_raw,
            "a list of readings, or cannot_test: <what data would be needed>",
        )
    elif len(readings_raw) > MAX_READINGS:
        chk.fail(cid, "readings", f"{len(readings_raw)} readings", None, f"at most {MAX_READINGS}")
    else:
        for j, r in enumerate(readings_raw, start=1):
            reading = _reading(chk, cid, j, r, inst)
            if reading is not None:
                readings.append(reading)
    if chk.count > n_before:
        return None
    return Claim(
        id=cid,
        quote=str(quote),
        section=" ".join(str(section).split()),
        page=page,
        line=line,
        must_hold=bool(must_hold),
        readings=tuple(readings),
        cannot_test=" ".join(cannot.split()) if isinstance(cannot, str) else None,
    )
