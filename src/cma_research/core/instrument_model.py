"""An audit instrument as data: its stages, level scale and criteria (no file reading).

:func:`~cma_research.core.instrument.get_instrument` builds these from a bundled name or
an instrument file (see :mod:`cma_research.core.instrument_file`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from cma_research.core.errors import InstrumentError

__all__ = ["Instrument", "Level", "Stage", "normalise_label"]


@dataclass(frozen=True)
class Level:
    """One level of an instrument's maturity scale."""

    value: int
    label: str
    cmm_name: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Stage:
    """One stage (or dimension) of an instrument, with its criterion text per level."""

    id: str
    number: int
    short_name: str
    name: str
    expectation: str | None = None
    table_name: str | None = None
    criteria: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Instrument:
    """An audit instrument: ordered stages, a level scale and per-level criteria.

    Attributes
    ----------
    name : str
        Identifier used by :func:`get_instrument` and recorded in every output.
    title, source : str
        Human-readable title and bibliographic source.
    stages : tuple of Stage
        In the instrument's own order (for the CMA: journey order).
    levels : tuple of Level
        Ascending, contiguous integer values.
    stage_noun : str
        What the instrument calls a stage ("stage", "dimension").
    target_level : int or None
        The level the instrument recommends as a target, if it names one.
    box_scores : dict of int to float
        Optional: a score per level for reports that show one (for example a
        consultancy's 100/80/60/40/20/5 box scores); empty when the file defines none.
    path : str
        File the definition was read from; ``sha256`` is that file's checksum.
    """

    name: str
    title: str
    source: str
    stages: tuple[Stage, ...]
    levels: tuple[Level, ...]
    stage_noun: str = "stage"
    target_level: int | None = None
    path: str = ""
    sha256: str = ""
    box_scores: dict[int, float] = field(default_factory=dict)

    @property
    def stage_ids(self) -> list[str]:
        """Stage identifiers in instrument order (the cohort's score columns)."""
        return [s.id for s in self.stages]

    @property
    def level_values(self) -> list[int]:
        """Allowed level values, ascending."""
        return [lv.value for lv in self.levels]

    @property
    def min_level(self) -> int:
        """Lowest allowed level."""
        return self.levels[0].value

    @property
    def max_level(self) -> int:
        """Highest allowed level."""
        return self.levels[-1].value

    def stage(self, key: str | int) -> Stage:
        """Return the stage matching an id, number, short name or name.

        Examples
        --------
        >>> from cma_research.core.instrument import get_instrument
        >>> get_instrument("customer_wise_2007").stage("ict").id
        'stage_3'
        """
        lookup = self.stage_lookup()
        norm = normalise_label(str(key))
        if norm not in lookup:
            raise InstrumentError(
                f"instrument {self.name!r} has no {self.stage_noun} {key!r}; "
                f"expected one of {', '.join(self.stage_ids)}"
            )
        return self.stages[self.stage_ids.index(lookup[norm])]

    def stage_lookup(self) -> dict[str, str]:
        """Map every accepted spelling of a stage (normalised) to its id.

        Accepted: the id (``stage_3``), the number (``3``), ``stage 3``, ``s3``, the short
        name (``ict``) and the full and table names, compared case- and space-insensitively.
        """
        out: dict[str, str] = {}
        for s in self.stages:
            names = [s.id, str(s.number), f"stage {s.number}", f"s{s.number}", s.short_name, s.name]
            if s.table_name:
                names.append(s.table_name)
            for n in names:
                out[normalise_label(n)] = s.id
        return out

    def level_lookup(self) -> dict[str, int]:
        """Map every accepted spelling of a level (normalised) to its value.

        Accepted: the level's label (``Crawl``, ``Collect information``), its CMM name
        when it has one (``Initial``) and ``level N`` for each value N, compared case-
        and space-insensitively (:func:`normalise_label`). A spelling two levels share
        is left out, so it is never read as either.

        Examples
        --------
        >>> from cma_research.core.instrument import get_instrument
        >>> lookup = get_instrument("managing_customers_framework").level_lookup()
        >>> lookup["crawl"], lookup["level 3"]
        (1, 3)
        """
        out: dict[str, int] = {}
        clashes: set[str] = set()
        for lv in self.levels:
            names = {normalise_label(f"level {lv.value}"), normalise_label(lv.label)}
            if lv.cmm_name:
                names.add(normalise_label(lv.cmm_name))
            for n in names:
                if not n:
                    continue
                if n in out and out[n] != lv.value:
                    clashes.add(n)
                out[n] = lv.value
        return {k: v for k, v in out.items() if k not in clashes}

    def criteria_table(self) -> list[dict[str, Any]]:
        """The criteria as records (stage_id, stage_name, level, criterion), in order."""
        return [
            {"stage_id": s.id, "stage_name": s.name, "level": lv, "criterion": text}
            for s in self.stages
            for lv, text in sorted(s.criteria.items())
        ]


def normalise_label(text: str) -> str:
    """Fold a header or label for matching: case, underscores, dashes and spacing.

    >>> normalise_label("  Staff_No ")
    'staff no'
    """
    text = text.replace("\ufeff", "").strip().casefold()
    text = re.sub(r"[_\-\s]+", " ", text)
    return text.strip(" .:")
