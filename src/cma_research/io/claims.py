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

The statistics, their arguments and the comparisons are listed in :data:`STATISTICS`
and :data:`COMPARISON_FORMS`; vague words get the readings in
:data:`VAGUE_WORD_READINGS` (``most`` = more than half).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from cma_research.core.errors import DataValidationError, InstrumentError, Problem
from cma_research.core.instrument import Instrument, get_instrument
from cma_research.io.claim_terms import (
    CLAIM_SCORES,
    CLAIM_STRATEGIES,
    COMPARISON_FORMS,
    CORRELATION_METHODS,
    SIZE_BAND_LABELS,
    STATISTICS,
    VAGUE_WORD_READINGS,
    Comparison,
    StatisticSpec,
    parse_comparison,
)
from cma_research.io.claim_validation import (
    MAX_PROBLEMS,
    MAX_READINGS,
    Checker,
    Claim,
    Reading,
    validate_claim,
)

__all__ = [
    "CLAIM_SCORES",
    "CLAIM_STRATEGIES",
    "COMPARISON_FORMS",
    "CORRELATION_METHODS",
    "MAX_CLAIMS",
    "MAX_CLAIMS_BYTES",
    "MAX_PROBLEMS",
    "MAX_READINGS",
    "SIZE_BAND_LABELS",
    "STATISTICS",
    "VAGUE_WORD_READINGS",
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


_TOP_KEYS = ("instrument", "source_text", "study", "claims")


def load_claims(path: str | Path, *, instrument: str | Path | Instrument | None = None) -> Claims:
    """Read and validate a claims file (YAML; see the module docstring for the format).

    Parameters
    ----------
    path : str or Path
        The claims file (at most 1 MB; read with ``yaml.safe_load``).
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

    if not p.is_file():
        raise fail("claims file not found", "an existing YAML file")
    size = p.stat().st_size
    if size > MAX_CLAIMS_BYTES:
        raise fail(
            f"claims file is {size:,} bytes, larger than the {MAX_CLAIMS_BYTES:,}-byte limit",
            "a claims file under 1 MB",
        )
    data_bytes = p.read_bytes()
    try:
        text = data_bytes.decode("utf-8-sig")
        data = yaml.safe_load(text)
    except UnicodeDecodeError as exc:
        raise fail(f"not UTF-8 text ({exc.reason})", "a UTF-8 YAML file") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise fail(f"{where}{problem}", "a YAML mapping with a 'claims' list") from None
    if not isinstance(data, dict):
        raise fail("not a YAML mapping", "a mapping with a 'claims' list")
    chk = Checker(name)
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
        claim = validate_claim(chk, i, raw, inst)
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
